package web

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// getParagraph returns a paragraph in its context: its document, the
// paragraphs before and after it, and its curation flags (for annotators,
// their own flags and the confirmed ones only).
func (s *Server) getParagraph(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	pc, err := s.store.Context(ctx, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.blindContexts(ctx, me(c), []*annotate.ParagraphContext{pc}); err != nil {
		s.fail(c, err)
		return
	}
	mode, sug, err := s.suggestionsFor(ctx, []int64{id})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, struct {
		*annotate.ParagraphContext
		SuggestionsMode annotate.SuggestionMode `json:"suggestions_mode"`
		Suggestions     []suggestionView        `json:"suggestions,omitempty"`
	}{pc, mode, sug[strconv.FormatInt(id, 10)]})
}

// skipRequest is the body of POST …/skip.
type skipRequest struct {
	Reason string `json:"reason"`
}

// skipParagraph takes a paragraph out of the caller's queue, with a reason.
func (s *Server) skipParagraph(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	var req skipRequest
	if err := s.bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	k, err := s.store.SkipParagraph(c.Request.Context(), me(c).ID, id, req.Reason)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, k)
}

// unskipParagraph puts a skipped paragraph back in the caller's queue.
func (s *Server) unskipParagraph(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.store.UnskipParagraph(c.Request.Context(), me(c).ID, id); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// listNotes returns one page of the notes on a paragraph, oldest first:
// the caller's own for annotators, everyone's for reviewers and admins;
// ?limit= (default 100, at most 500) and ?next=.
func (s *Server) listNotes(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	q, err := listQuery(c, annotate.DefaultNoteLimit, annotate.MaxNoteLimit)
	if err != nil {
		s.fail(c, err)
		return
	}
	u := me(c)
	page, err := s.store.Notes(c.Request.Context(), id, u.ID, u.Role.AtLeast(annotate.RoleReviewer), q)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, withNext(gin.H{"notes": page.Notes}, page.Next))
}

// noteRequest is the body of POST …/notes.
type noteRequest struct {
	Body string `json:"body"`
}

// addNote adds the caller's note to a paragraph.
func (s *Server) addNote(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	var req noteRequest
	if err := s.bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	u := me(c)
	n, err := s.store.AddNote(c.Request.Context(), u.ID, id, req.Body)
	if err != nil {
		s.fail(c, err)
		return
	}
	n.UserName = u.Name
	c.JSON(http.StatusCreated, n)
}

// flagRequest is the body of POST …/flags.
type flagRequest struct {
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
}

// flagParagraph records the caller's flag that a paragraph is a duplicate,
// boilerplate or not relevant: a suggestion for reviewers, which takes the
// paragraph out of the caller's queue only. The answer is the caller's own
// flag (for annotators without the curation's id, which only reviewers
// decide on).
func (s *Server) flagParagraph(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	var req flagRequest
	if err := s.bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	u := me(c)
	f, err := s.store.Flag(c.Request.Context(), u.ID, id, req.Kind, req.Reason)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, blindFlag(u, f))
}

// paragraphHistory returns one page of the changes to a paragraph's
// labels, skips, notes and flags, oldest first: ?limit= (default 100, at
// most 1000) and ?next=. Reviewers and admins only: it holds labels.
func (s *Server) paragraphHistory(c *gin.Context) {
	q, err := listQuery(c, annotate.DefaultHistoryLimit, annotate.MaxHistoryLimit)
	if err != nil {
		s.fail(c, err)
		return
	}
	id, ok := s.pathParagraph(c)
	if !ok {
		return
	}
	page, err := s.store.History(c.Request.Context(), id, q)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, withNext(gin.H{"history": page.Changes}, page.Next))
}
