package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// adminCurationPage is the data of the curation page: one page of flags.
type adminCurationPage struct {
	Items  []curationRow
	Status string
	Kind   string
	Kinds  []string
	Pager  *pager
	// Back is the address of this very page, where a decision returns.
	Back string
}

// showAdminCuration lists one page of the curation flags, suggested ones by
// default, with their text, for deciding the ticked ones at once:
// ?status=, ?kind=, ?limit= (default 100, at most 500) and ?next=.
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
	q, err := listQuery(c, annotate.DefaultCurationLimit, annotate.MaxCurationLimit)
	if err != nil {
		s.fail(c, err)
		return
	}
	f := annotate.CurationFilter{Status: status, Kind: kind, Limit: q.Limit, After: q.After}
	if status == "all" {
		f.Status = ""
	}
	page, err := s.store.Curations(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	rows := make([]curationRow, len(page.Curations))
	for i, it := range page.Curations {
		rows[i] = curationRow{CurationItem: it, FlaggedBy: it.FlaggedByName}
	}
	base := url.Values{"status": {status}, "kind": {kind}}
	if status == annotate.StatusSuggested {
		base.Del("status")
	}
	pg := newPager("flags", "/admin/curation", base, q.Limit, annotate.DefaultCurationLimit, q.After == 0, cursorString(page.Next))
	back := "/admin/curation"
	if raw := c.Request.URL.RawQuery; raw != "" {
		back += "?" + raw
	}
	s.render(c, http.StatusOK, "admin_curation", &adminCurationPage{Items: rows, Status: status, Kind: kind, Kinds: annotate.CurationKinds, Pager: pg, Back: back})
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
	// The decision returns to the page it was made on: the same filters
	// and the same cursor, so that the reviewer goes on from there.
	back := c.PostForm("back")
	if back != "/admin/curation" && !strings.HasPrefix(back, "/admin/curation?") {
		back = "/admin/curation?" + url.Values{"status": {c.PostForm("filter_status")}, "kind": {c.PostForm("filter_kind")}}.Encode()
	}
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
