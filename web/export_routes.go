package web

// registerExportRoutes registers the export API and page.
func (s *Server) registerExportRoutes() {}
