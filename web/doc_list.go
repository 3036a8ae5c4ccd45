package web

import (
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// docList is one page of a paged list of documents, as the home and review
// pages show it: the page, what it was asked for, and the links to the
// first and the next page.
type docList struct {
	Action            string
	Query             annotate.DocumentQuery
	Documents         []annotate.DocumentProgress
	Next              int64
	FirstURL, NextURL string
	// Filtered says the list is narrowed by a search or a status.
	Filtered bool
	// Reviewer says the caller may filter by what others labelled (see
	// annotate.ReviewDocumentStatuses).
	Reviewer bool
}

// documentList reads the list parameters of a page at action and returns
// the page of documents they ask for, with the caller's progress.
func (s *Server) documentList(c *gin.Context, action string) (*docList, error) {
	q, err := documentQuery(c)
	if err != nil {
		return nil, err
	}
	page, err := s.store.DocumentPage(c.Request.Context(), currentUser(c).ID, q)
	if err != nil {
		return nil, err
	}
	l := &docList{Action: action, Query: q, Documents: page.Documents, Next: page.Next, Filtered: q.Search != "" || q.Status != "", Reviewer: seesAll(currentUser(c))}
	link := func(after int64) string {
		v := url.Values{}
		if q.Search != "" {
			v.Set("q", q.Search)
		}
		if q.Status != "" {
			v.Set("status", q.Status)
		}
		if q.Limit != annotate.DefaultDocumentLimit {
			v.Set("limit", strconv.Itoa(q.Limit))
		}
		if after != 0 {
			v.Set("next", strconv.FormatInt(after, 10))
		}
		if len(v) == 0 {
			return action
		}
		return action + "?" + v.Encode()
	}
	l.FirstURL, l.NextURL = link(0), link(page.Next)
	return l, nil
}
