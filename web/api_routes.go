package web

import (
	"net/http"

	"concord/annotate"
)

// registerAPIRoutes registers the JSON API under /api/v1, grouped by
// resource and by the least role each route needs. The README documents
// every route.
func (s *Server) registerAPIRoutes() {
	api := s.engine.Group("/api/v1")
	anyone := s.requireRole(annotate.RoleAnnotator)
	reviewer := s.requireRole(annotate.RoleReviewer)
	admin := s.requireRole(annotate.RoleAdmin)

	// Sessions and tokens.
	api.POST("/login", s.loginUser)
	api.POST("/logout", s.logoutUser)
	api.GET("/me", anyone, s.getMe)
	api.GET("/tokens", anyone, s.listMyTokens)
	api.POST("/tokens", anyone, s.createToken)
	api.DELETE("/tokens/:token_id", anyone, s.revokeMyToken)

	// Documents and the queue.
	api.GET("/documents", anyone, s.listDocuments)
	api.GET("/documents/:id", anyone, s.getDocument)
	api.GET("/documents/:id/paragraphs", anyone, s.listParagraphs)
	api.GET("/queue/next", anyone, s.nextInQueue)

	// The label schema.
	api.GET("/schema", anyone, s.getSchema)
	api.GET("/schema/label-studio", anyone, s.getLabelStudioConfig)
	api.GET("/schema/versions", admin, s.listSchemaVersions)
	api.POST("/schema", admin, s.applySchema)
	api.GET("/schema/open-values", reviewer, s.listOpenValues)
	api.GET("/schema/open-values/suggest", anyone, s.suggestOpenValues)
	api.POST("/schema/open-values/decide", reviewer, s.decideOpenValues)

	// Paragraphs: the caller's own labels, skips, notes and flags.
	p := api.Group("/paragraphs/:id")
	p.GET("", anyone, s.getParagraph)
	p.GET("/annotation", anyone, s.getAnnotation)
	p.PUT("/annotation", anyone, s.saveAnnotation)
	s.checkCallerInWrite(http.MethodPut, p.BasePath()+"/annotation")
	p.DELETE("/annotation", anyone, s.deleteAnnotation)
	p.POST("/skip", anyone, s.skipParagraph)
	p.DELETE("/skip", anyone, s.unskipParagraph)
	p.GET("/notes", anyone, s.listNotes)
	p.POST("/notes", anyone, s.addNote)
	p.POST("/flags", anyone, s.flagParagraph)
	// Everyone's labels, the gold label and the history: never annotators.
	p.GET("/annotations", reviewer, s.listAnnotations)
	p.GET("/gold", reviewer, s.getGold)
	p.PUT("/gold", reviewer, s.saveGold)
	p.GET("/history", reviewer, s.paragraphHistory)

	// Curation: anyone flags (above), reviewers decide.
	api.GET("/curations", reviewer, s.listCurations)
	api.POST("/curations/decide", reviewer, s.decideCurations)

	// Users and settings.
	api.GET("/users", admin, s.listUsers)
	api.POST("/users", admin, s.createUser)
	api.PATCH("/users/:id", admin, s.updateUser)
	api.GET("/users/:id/tokens", admin, s.listUserTokens)
	api.DELETE("/users/:id/tokens/:token_id", admin, s.revokeUserToken)
	api.GET("/settings", anyone, s.getSettings)
	api.PUT("/settings", admin, s.updateSettings)

	// Corpus import.
	api.POST("/import", admin, s.importDocuments)
}
