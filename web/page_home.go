package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// homePage is the data of the home page.
type homePage struct {
	Documents []annotate.DocumentProgress
	Remaining int64
	Overlap   int
	// Paragraphs, Mine and Done sum the documents' counts.
	Paragraphs, Mine, Done int
}

// showHome lists the documents with the caller's and the team's progress and
// what is left in the caller's queue.
func (s *Server) showHome(c *gin.Context) {
	ctx := c.Request.Context()
	u := currentUser(c)
	docs, err := s.store.Documents(ctx, u.ID)
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
	p := homePage{Documents: docs, Remaining: left, Overlap: overlap}
	for _, d := range docs {
		p.Paragraphs += d.Paragraphs
		p.Mine += d.Mine + d.Skipped
		p.Done += d.Done
	}
	s.render(c, http.StatusOK, "home", p)
}
