package web

// registerAPIRoutes registers the JSON API under /api/v1.
func (s *Server) registerAPIRoutes() {
	api := s.engine.Group("/api/v1")
	_ = api
}
