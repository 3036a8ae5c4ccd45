package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// adminCurationPage is the data of the curation page.
type adminCurationPage struct {
	Items  []curationRow
	Status string
	Kind   string
	Kinds  []string
}

// showAdminCuration lists the curation flags, suggested ones first by
// default, with their text, for deciding many at once.
func (s *Server) showAdminCuration(c *gin.Context) {
	status, err := queryChoice(c, "status", []string{"all", annotate.StatusSuggested, annotate.StatusConfirmed, annotate.StatusDismissed})
	if err != nil {
		s.fail(c, err)
		return
	}
	if status == "" {
		status = annotate.StatusSuggested
	}
	kind, err := queryChoice(c, "kind", annotate.CurationKinds)
	if err != nil {
		s.fail(c, err)
		return
	}
	f := annotate.CurationFilter{Status: status, Kind: kind}
	if status == "all" {
		f.Status = ""
	}
	items, err := s.store.Curations(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	users, err := s.store.Users(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	names := make(map[int64]string, len(users))
	for _, u := range users {
		names[u.ID] = u.Name
	}
	rows := make([]curationRow, len(items))
	for i, it := range items {
		rows[i] = curationRow{CurationItem: it}
		if it.FlaggedBy != nil {
			rows[i].FlaggedBy = names[*it.FlaggedBy]
		}
	}
	s.render(c, http.StatusOK, "admin_curation", &adminCurationPage{Items: rows, Status: status, Kind: kind, Kinds: annotate.CurationKinds})
}

// curationRow is one flag of the curation page with the name of who
// flagged it; FlaggedBy is empty for a flag the import suggested.
type curationRow struct {
	annotate.CurationItem
	FlaggedBy string
}

// submitAdminCuration confirms or dismisses the ticked flags.
func (s *Server) submitAdminCuration(c *gin.Context) {
	var ids []int64
	for _, raw := range c.PostFormArray("ids") {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || id <= 0 {
			s.fail(c, annotate.Invalidf("ids", "%q is not a flag id", raw))
			return
		}
		ids = append(ids, id)
	}
	back := "/admin/curation?" + url.Values{"status": {c.PostForm("filter_status")}, "kind": {c.PostForm("filter_kind")}}.Encode()
	if len(ids) == 0 {
		redirectFlash(c, back, "Tick at least one flag first.")
		return
	}
	decision := c.PostForm("decision")
	n, err := s.store.DecideCurations(c.Request.Context(), currentUser(c).ID, ids, decision)
	if err != nil {
		s.fail(c, err)
		return
	}
	redirectFlash(c, back, fmt.Sprintf("%d flag(s) %s.", n, decision))
}
