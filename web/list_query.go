package web

import (
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// listQuery reads the paging parameters every list of the API and the
// pages shares: ?limit= (def when absent, at most max), ?next= (the cursor
// a page gave) and ?q= (a search, where the list has one).
func listQuery(c *gin.Context, def, max int) (annotate.ListQuery, error) {
	limit, err := queryInt(c, "limit", def, 1, max)
	if err != nil {
		return annotate.ListQuery{}, err
	}
	after, err := queryCursor(c)
	if err != nil {
		return annotate.ListQuery{}, err
	}
	return annotate.ListQuery{Limit: limit, After: after, Search: c.Query("q")}, nil
}

// queryCursor reads ?next=, the cursor of a list in id order, 0 when absent.
func queryCursor(c *gin.Context) (int64, error) {
	after, err := queryID(c, "next")
	if err != nil {
		return 0, annotate.Invalidf("next", "next must be the cursor a page gave (a positive integer), got %q; start again without next", c.Query("next"))
	}
	return after, nil
}

// withNext adds the cursor of the next page to a list's JSON answer, as a
// string (as the documents list gives it), when there is one.
func withNext(out gin.H, next int64) gin.H {
	if next != 0 {
		out["next"] = strconv.FormatInt(next, 10)
	}
	return out
}

// pager is what the "pager" partial draws under a paged list: a link to the
// first page when the list does not start there, and to the next page or
// the words "End of the list".
type pager struct {
	// What names the rows, for the navigation's label ("users").
	What              string
	Limit             int
	First             bool
	FirstURL, NextURL string
}

// newPager returns the pager of a list at action whose filters are base
// (without limit and next): first says the page shown is the first, next
// is the cursor of the page after ("" on the last).
func newPager(what, action string, base url.Values, limit, def int, first bool, next string) *pager {
	link := func(cursor string) string {
		v := url.Values{}
		for k, vs := range base {
			for _, x := range vs {
				if x != "" {
					v.Add(k, x)
				}
			}
		}
		if limit != def {
			v.Set("limit", strconv.Itoa(limit))
		}
		if cursor != "" {
			v.Set("next", cursor)
		}
		if len(v) == 0 {
			return action
		}
		return action + "?" + v.Encode()
	}
	p := &pager{What: what, Limit: limit, First: first, FirstURL: link("")}
	if next != "" {
		p.NextURL = link(next)
	}
	return p
}

// cursorString is a cursor of a list in id order as a pager takes it.
func cursorString(next int64) string {
	if next == 0 {
		return ""
	}
	return strconv.FormatInt(next, 10)
}

// tokenPage reads the page of userID's tokens the request asks for, with
// the pager of the page at action.
func (s *Server) tokenPage(c *gin.Context, userID int64, action string) ([]annotate.Token, *pager, error) {
	q, err := listQuery(c, annotate.DefaultTokenLimit, annotate.MaxTokenLimit)
	if err != nil {
		return nil, nil, err
	}
	page, err := s.store.Tokens(c.Request.Context(), userID, q)
	if err != nil {
		return nil, nil, err
	}
	return page.Tokens, newPager("tokens", action, nil, q.Limit, annotate.DefaultTokenLimit, q.After == 0, cursorString(page.Next)), nil
}
