package web

import "concord/annotate"

// registerAgreementRoutes registers the agreement and adjudication API and
// pages. Everything here shows everyone's labels, so annotators are kept
// out. The gold label itself is read and written through
// /api/v1/paragraphs/:id/gold (see registerAPIRoutes).
func (s *Server) registerAgreementRoutes() {
	reviewer := s.requireRole(annotate.RoleReviewer)
	api := s.engine.Group("/api/v1")
	api.GET("/agreement", reviewer, s.getAgreement)
	api.GET("/agreement/confusion", reviewer, s.getConfusion)
	api.GET("/adjudication", reviewer, s.listDisagreements)
	api.GET("/consensus", reviewer, s.getConsensus)

	s.engine.GET("/agreement", reviewer, s.showAgreement)
	s.engine.GET("/adjudicate", reviewer, s.showAdjudicate)
}
