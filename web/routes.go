package web

import "net/url"

// registerRoutes registers every route: the JSON API, the pages, and the
// export and agreement features.
func (s *Server) registerRoutes() {
	s.registerAPIRoutes()
	s.registerPageRoutes()
	s.registerExportRoutes()
	s.registerAgreementRoutes()
	s.registerSuggestionRoutes()
	s.registerModelServerRoutes()
	s.registerTrainingRoutes()
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// Route is one registered route: its method and its path pattern, such as
// "/api/v1/paragraphs/:id".
type Route struct {
	Method, Path string
}

// Routes lists every registered route, so that a test can check that each
// one answers every role as it should.
func (s *Server) Routes() []Route {
	var out []Route
	for _, r := range s.engine.Routes() {
		out = append(out, Route{Method: r.Method, Path: r.Path})
	}
	return out
}
