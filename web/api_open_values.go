package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// listOpenValues returns one page of the values annotators typed into open
// dimensions, with how many annotators typed each and its review status,
// narrowed by dimension and status (reviewers and admins), a page at a
// time (next continues): {"values": [...], "total": N, "next": "..."}.
func (s *Server) listOpenValues(c *gin.Context) {
	ctx := c.Request.Context()
	sc, err := s.store.Schema(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	var open []string
	for _, d := range sc.Dimensions {
		if d.Kind == annotate.KindOpen {
			open = append(open, d.Name)
		}
	}
	dim, err := queryChoice(c, "dimension", open)
	if err != nil {
		s.fail(c, err)
		return
	}
	status, err := queryChoice(c, "status", annotate.OpenStatuses)
	if err != nil {
		s.fail(c, err)
		return
	}
	limit, err := queryInt(c, "limit", 100, 1, 1000)
	if err != nil {
		s.fail(c, err)
		return
	}
	offset, err := queryInt(c, "offset", 0, 0, 1<<30)
	if err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.store.OpenValueReviews(ctx, annotate.OpenValueFilter{Dimension: dim, Status: status, Limit: limit, After: c.Query("next"), Offset: offset})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, page)
}

// suggestOpenValues answers the type-ahead of an open dimension: the values
// the caller is offered that begin with ?q= (ignoring case; every value
// when empty), the most typed first, at most ?limit= (default 20, at most
// 100), as {"values": [...], "more": bool}. Annotators are offered the
// values a reviewer accepted and their own, reviewers and admins every
// typed value.
func (s *Server) suggestOpenValues(c *gin.Context) {
	dim := c.Query("dimension")
	if dim == "" {
		s.fail(c, annotate.Invalidf("dimension", "say which open dimension to search, as ?dimension=event"))
		return
	}
	limit, err := queryInt(c, "limit", annotate.DefaultOpenValueMatches, 1, annotate.MaxOpenValueMatches)
	if err != nil {
		s.fail(c, err)
		return
	}
	u := me(c)
	vs, more, err := s.store.OpenValuesMatching(c.Request.Context(), dim, u.ID, seesAll(u), c.Query("q"), limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"values": vs, "more": more})
}

// decideOpenValues accepts typed values into their dimension's list (offered
// to everyone from then on), rejects them or sets them back to pending.
func (s *Server) decideOpenValues(c *gin.Context) {
	req, err := s.bindDecision(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	n, err := s.store.DecideOpenValues(c.Request.Context(), me(c).ID, req.IDs, req.Status)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"changed": n})
}
