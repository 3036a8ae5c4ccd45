package web

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// listDocuments lists every document with its progress, for everyone and for
// the caller, and the overlap the progress is measured against.
func (s *Server) listDocuments(c *gin.Context) {
	ctx := c.Request.Context()
	docs, err := s.store.Documents(ctx, me(c).ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	overlap, err := s.store.Overlap(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"documents": nonNil(docs), "overlap": overlap})
}

// getDocument returns one document.
func (s *Server) getDocument(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	d, err := s.store.Document(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, d)
}

// listParagraphs returns a document's current paragraphs with the caller's
// status on each. It never carries anyone's labels, nor, for annotators,
// another annotator's flags.
func (s *Server) listParagraphs(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	d, err := s.store.Document(ctx, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	u := me(c)
	ps, err := s.store.Paragraphs(ctx, id, u.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.blindStatuses(ctx, u, ps); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"document": d, "paragraphs": nonNil(ps)})
}
