package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// listDocuments lists one page of documents with their progress, for
// everyone and for the caller, and the overlap the progress is measured
// against: ?limit= (default 50, at most 500), ?next= (the cursor from the
// page before), ?q= (title or key contains) and ?status= (see
// annotate.DocumentStatuses).
func (s *Server) listDocuments(c *gin.Context) {
	ctx := c.Request.Context()
	q, err := documentQuery(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.store.DocumentPage(ctx, me(c).ID, q)
	if err != nil {
		s.fail(c, err)
		return
	}
	overlap, err := s.store.Overlap(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := gin.H{"documents": page.Documents, "overlap": overlap}
	if page.Next != 0 {
		out["next"] = strconv.FormatInt(page.Next, 10)
	}
	c.JSON(http.StatusOK, out)
}

// documentQuery reads the paging and filter parameters of a documents list.
func documentQuery(c *gin.Context) (annotate.DocumentQuery, error) {
	limit, err := queryInt(c, "limit", annotate.DefaultDocumentLimit, 1, annotate.MaxDocumentLimit)
	if err != nil {
		return annotate.DocumentQuery{}, err
	}
	after, err := queryID(c, "next")
	if err != nil {
		return annotate.DocumentQuery{}, annotate.Invalidf("next", "next must be the cursor a page gave (a positive integer), got %q", c.Query("next"))
	}
	u := currentUser(c)
	if st := c.Query("status"); slices.Contains(annotate.ReviewDocumentStatuses, st) && !seesAll(u) {
		// Annotators label blind: where others disagree is not theirs
		// to see.
		return annotate.DocumentQuery{}, &annotate.Error{Code: annotate.EFORBIDDEN, Field: "status",
			Message: fmt.Sprintf("the %q status tells about other annotators' labels and is for reviewers and admins; you are %s", st, u.Role)}
	}
	// A mistyped status is answered with the statuses the caller may ask
	// for.
	allowed := annotate.DocumentStatuses
	if !seesAll(u) {
		allowed = slices.DeleteFunc(slices.Clone(allowed), func(st string) bool { return slices.Contains(annotate.ReviewDocumentStatuses, st) })
	}
	status, err := queryChoice(c, "status", allowed)
	if err != nil {
		return annotate.DocumentQuery{}, err
	}
	return annotate.DocumentQuery{Limit: limit, After: after, Search: c.Query("q"), Status: status}, nil
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

// listParagraphs returns one page of a document's current paragraphs in
// reading order with the caller's status on each: ?limit= (default 100, at
// most 500) and ?next= (the position the page starts at, from the page
// before). It never carries anyone's labels, nor, for annotators, another
// annotator's flags.
func (s *Server) listParagraphs(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	q, err := paragraphQuery(c)
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
	page, err := s.store.ParagraphPage(ctx, id, u.ID, q)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.blindStatuses(ctx, u, page.Paragraphs); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, withNext(gin.H{"document": d, "paragraphs": page.Paragraphs}, int64(page.Next)))
}

// paragraphQuery reads the paging parameters of a document's paragraphs.
func paragraphQuery(c *gin.Context) (annotate.ParagraphQuery, error) {
	limit, err := queryInt(c, "limit", annotate.DefaultParagraphLimit, 1, annotate.MaxParagraphLimit)
	if err != nil {
		return annotate.ParagraphQuery{}, err
	}
	from, err := queryCursor(c)
	if err != nil {
		return annotate.ParagraphQuery{}, err
	}
	if from > 1<<31 {
		return annotate.ParagraphQuery{}, annotate.Invalidf("next", "next must be the cursor a page gave, got %q; start again without next", c.Query("next"))
	}
	return annotate.ParagraphQuery{Limit: limit, From: int(from)}, nil
}
