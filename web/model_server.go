package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"concord/annotate"
	"concord/modelserver"
)

// ModelServer is what the server needs of the worker that asks an outside
// model server for suggestions.
type ModelServer interface {
	// Offer hands over paragraphs an annotator is about to see; it must
	// not block.
	Offer(paragraphIDs []int64)
	// Status says what the worker has done.
	Status() modelserver.Status
}

// registerModelServerRoutes registers the model server's status page and
// its JSON, for admins.
func (s *Server) registerModelServerRoutes() {
	admin := s.requireRole(annotate.RoleAdmin)
	s.engine.GET("/api/v1/admin/model-server", admin, s.getModelServer)
	s.engine.GET("/admin/model-server", admin, s.showAdminModelServer)
}

// offerToModel offers the paragraphs the queue hands out to the model
// server's worker, so that they are predicted before the rest.
func (s *Server) offerToModel(ps []annotate.Paragraph) {
	if s.cfg.ModelServer == nil || len(ps) == 0 {
		return
	}
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	s.cfg.ModelServer.Offer(ids)
}

// modelServerStatus is the JSON of GET /api/v1/admin/model-server.
type modelServerStatus struct {
	Configured bool                `json:"configured"`
	Status     *modelserver.Status `json:"status,omitempty"`
}

func (s *Server) modelServerStatus() modelServerStatus {
	if s.cfg.ModelServer == nil {
		return modelServerStatus{}
	}
	st := s.cfg.ModelServer.Status()
	return modelServerStatus{Configured: true, Status: &st}
}

// getModelServer answers the model server's status (admins).
func (s *Server) getModelServer(c *gin.Context) {
	c.JSON(http.StatusOK, s.modelServerStatus())
}

// showAdminModelServer shows the model server's status.
func (s *Server) showAdminModelServer(c *gin.Context) {
	s.render(c, http.StatusOK, "admin_model_server", s.modelServerStatus())
}
