package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// curationStatuses lists the statuses a flag can have.
var curationStatuses = []string{annotate.StatusSuggested, annotate.StatusConfirmed, annotate.StatusDismissed}

// listCurations lists one page of the curation flags on current paragraphs
// in the order they were raised, narrowed by ?status= and ?kind= (reviewers
// and admins): ?limit= (default 100, at most 500) and ?next=.
func (s *Server) listCurations(c *gin.Context) {
	status, err := queryChoice(c, "status", append([]string{"all"}, curationStatuses...))
	if err != nil {
		s.fail(c, err)
		return
	}
	if status == "all" {
		status = "" // every status, as the curation page's "All" shows
	}
	kind, err := queryChoice(c, "kind", annotate.CurationKinds)
	if err != nil {
		s.fail(c, err)
		return
	}
	if _, ok := c.GetQuery("offset"); ok {
		s.fail(c, annotate.Invalidf("offset", "the curation list is paged with next, not offset: follow the next of each page"))
		return
	}
	q, err := listQuery(c, annotate.DefaultCurationLimit, annotate.MaxCurationLimit)
	if err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.store.Curations(c.Request.Context(), annotate.CurationFilter{Status: status, Kind: kind, Limit: q.Limit, After: q.After})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, withNext(gin.H{"curations": page.Curations}, page.Next))
}

// decideRequest is the body of a decision on a list of ids: POST
// /api/v1/curations/decide and /api/v1/schema/open-values/decide.
type decideRequest struct {
	IDs    []int64 `json:"ids"`
	Status string  `json:"status"`
}

// bindDecision reads a decideRequest and checks its ids.
func (s *Server) bindDecision(c *gin.Context) (decideRequest, error) {
	var req decideRequest
	if err := s.bindJSON(c, &req); err != nil {
		return req, err
	}
	for _, id := range req.IDs {
		if id <= 0 {
			return req, annotate.Invalidf("ids", "ids are positive integers, got %d", id)
		}
	}
	return req, nil
}

// decideCurations confirms or dismisses flags; the history records who.
func (s *Server) decideCurations(c *gin.Context) {
	req, err := s.bindDecision(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	n, err := s.store.DecideCurations(c.Request.Context(), me(c).ID, req.IDs, req.Status)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"changed": n})
}
