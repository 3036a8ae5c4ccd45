package web

import (
	"net/url"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// checkRequestText refuses a request whose path or query parameters hold a
// control character or bytes that are not UTF-8, before any handler passes
// them to the database: PostgreSQL cannot compare text with a NUL byte in
// it, and no name, key or search term Concord knows has one. Bodies are
// checked field by field where the store takes them (annotate.CheckText).
func (s *Server) checkRequestText() gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := annotate.CheckText("path", c.Request.URL.Path, false); err != nil {
			s.fail(c, err)
			return
		}
		q, err := url.ParseQuery(c.Request.URL.RawQuery)
		if err != nil {
			s.fail(c, annotate.Invalidf("query", "the query string cannot be read (%v); encode its values with percent-escapes", err))
			return
		}
		for name, values := range q {
			if err := annotate.CheckText("query", name, false); err != nil {
				s.fail(c, err)
				return
			}
			for _, v := range values {
				if err := annotate.CheckText(name, v, false); err != nil {
					s.fail(c, err)
					return
				}
			}
		}
		c.Next()
	}
}
