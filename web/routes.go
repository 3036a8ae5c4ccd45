package web

import "net/url"

// registerRoutes registers every route: the JSON API, the pages, and the
// export and agreement features.
func (s *Server) registerRoutes() {
	s.registerAPIRoutes()
	s.registerPageRoutes()
	s.registerExportRoutes()
	s.registerAgreementRoutes()
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
