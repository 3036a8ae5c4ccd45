package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// homePage is the data of the home page.
type homePage struct {
	List      *docList
	Remaining int64
	// RemainingMore says the queue holds at least Remaining (see
	// annotate.MaxRemaining).
	RemainingMore bool
	Overlap       int
	// Documents counts every document; Mine the paragraphs the caller
	// labelled or skipped.
	Documents, Mine int64
}

// showHome lists a page of documents with the caller's and the team's
// progress and what is left in the caller's queue. Nothing it reads grows
// with the corpus but the count of documents and the caller's own work.
func (s *Server) showHome(c *gin.Context) {
	ctx := c.Request.Context()
	u := currentUser(c)
	list, err := s.documentList(c, "/")
	if err != nil {
		s.fail(c, err)
		return
	}
	left, err := s.store.Remaining(ctx, u.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	overlap, err := s.store.Overlap(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	docs, err := s.store.DocumentCount(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	mine, err := s.store.UserDone(ctx, u.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "home", homePage{List: list, Remaining: left, RemainingMore: left >= annotate.MaxRemaining, Overlap: overlap, Documents: docs, Mine: mine})
}
