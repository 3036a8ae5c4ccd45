package web

import "net/url"

// registerRoutes registers every route: the JSON API and the pages.
func (s *Server) registerRoutes() {
	s.registerAPIRoutes()
	s.registerPageRoutes()
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
