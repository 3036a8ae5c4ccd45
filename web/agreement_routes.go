package web

// registerAgreementRoutes registers the agreement and adjudication API and pages.
func (s *Server) registerAgreementRoutes() {}
