package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// adminSettingsPage is the data of the settings page.
type adminSettingsPage struct {
	Overlap int
}

// showAdminSettings shows the project settings.
func (s *Server) showAdminSettings(c *gin.Context) {
	n, err := s.store.Overlap(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "admin_settings", &adminSettingsPage{Overlap: n})
}

// submitAdminSettings saves the overlap.
func (s *Server) submitAdminSettings(c *gin.Context) {
	raw := strings.TrimSpace(c.PostForm("overlap"))
	n, err := strconv.Atoi(raw)
	if err != nil {
		err = annotate.Invalidf("overlap", "overlap must be a whole number from 1 to 50, got %q", raw)
	} else {
		err = s.store.SetOverlap(c.Request.Context(), currentUser(c).ID, n)
	}
	if err != nil {
		st, msg := s.formFailure(c, err)
		cur, _ := s.store.Overlap(c.Request.Context())
		s.render(c, st, "admin_settings", Page{Error: msg, Data: &adminSettingsPage{Overlap: cur}})
		return
	}
	redirectFlash(c, "/admin/settings", fmt.Sprintf("Each paragraph now needs %d annotator(s).", n))
}
