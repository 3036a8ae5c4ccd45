package web

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// nextInQueue returns the next paragraphs for the caller to label, each in
// its context, and how many are left in their queue.
func (s *Server) nextInQueue(c *gin.Context) {
	limit, err := queryInt(c, "limit", 1, 1, 100)
	if err != nil {
		s.fail(c, err)
		return
	}
	doc, err := queryID(c, "document")
	if err != nil {
		s.fail(c, err)
		return
	}
	exclude, err := queryIDs(c, "exclude")
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	u := me(c)
	if doc != 0 {
		if _, err := s.store.Document(ctx, doc); err != nil {
			s.fail(c, err)
			return
		}
	}
	items, remaining, err := s.queueItems(ctx, u, annotate.QueueOptions{Limit: limit, DocumentID: doc, Exclude: exclude})
	if err != nil {
		s.fail(c, err)
		return
	}
	// The suggestions for the paragraphs come with them, so that the page
	// shows them without another round trip.
	mode, sug, err := s.suggestionsFor(ctx, contextIDs(items))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": items, "remaining": remaining, "remaining_more": remaining >= annotate.MaxRemaining, "suggestions_mode": mode, "suggestions": sug})
}

// queueItems returns the next paragraphs of a user's queue in their
// context, and how many are left in the queue (within opt's document when
// it names one): what the annotation page starts from and then fetches.
// An annotator sees only the flags blindContexts leaves.
func (s *Server) queueItems(ctx context.Context, u *annotate.User, opt annotate.QueueOptions) ([]*annotate.ParagraphContext, int64, error) {
	ps, err := s.store.Queue(ctx, u.ID, opt)
	if err != nil {
		return nil, 0, err
	}
	s.offerToModel(ps)
	items, err := s.store.Contexts(ctx, ps)
	if err != nil {
		return nil, 0, err
	}
	if err := s.blindContexts(ctx, u, items); err != nil {
		return nil, 0, err
	}
	remaining, err := s.store.RemainingIn(ctx, u.ID, opt.DocumentID)
	return items, remaining, err
}
