package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// uploadRoutes are the routes that take files, by method and route pattern:
// only these get Config.MaxUploadBytes. Every other form gets
// Config.MaxFormBytes, and the rest of the JSON API Config.MaxBodyBytes.
var uploadRoutes = map[string]bool{
	"POST /admin/import":  true,
	"POST /admin/schema":  true,
	"POST /api/v1/import": true,
}

// bodyLimit returns the largest body the request's route takes.
func (s *Server) bodyLimit(c *gin.Context) int64 {
	switch {
	case uploadRoutes[c.Request.Method+" "+c.FullPath()]:
		return s.cfg.MaxUploadBytes
	case strings.HasPrefix(c.Request.URL.Path, "/api/"):
		return s.cfg.MaxBodyBytes
	}
	return s.cfg.MaxFormBytes
}

// limitBody caps the request body at its route's limit before any other
// handler runs, so that nothing (the CSRF check, a handler, Go's form
// parser, which spools large multipart bodies to disk) can read more, and
// nobody, logged in or not, can make the server take in more.
func (s *Server) limitBody() gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.Body != nil {
			// The connection's own writer, not Gin's wrapper, so that a
			// body over the limit also ends the connection rather than
			// leaving the server to read the rest.
			var w http.ResponseWriter = c.Writer
			if u, ok := w.(interface{ Unwrap() http.ResponseWriter }); ok {
				w = u.Unwrap()
			}
			c.Request.Body = http.MaxBytesReader(w, c.Request.Body, s.bodyLimit(c))
		}
		c.Next()
	}
}

// readForm reads the form of a form post to a route that takes no files,
// before authentication, which may look in it for the CSRF token: a form
// over the limit is refused here with 413, where the handlers, which read
// fields one by one, would see a form with nothing in it. Upload routes are
// left to their handlers, behind the role check.
func (s *Server) readForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		r := c.Request
		if safeMethod(r.Method) || strings.HasPrefix(r.URL.Path, "/api/") || uploadRoutes[r.Method+" "+c.FullPath()] {
			c.Next()
			return
		}
		ct := c.ContentType()
		var err error
		switch {
		case ct == "multipart/form-data":
			err = r.ParseMultipartForm(s.cfg.MaxFormBytes)
		case ct == "application/x-www-form-urlencoded":
			err = r.ParseForm()
		}
		var mb *http.MaxBytesError
		if errors.As(err, &mb) || (err != nil && strings.Contains(err.Error(), "request body too large")) {
			s.fail(c, &annotate.Error{Code: annotate.ETOOLARGE, Message: fmt.Sprintf("the form is larger than the limit of %s; forms take names and short texts, so shorten what you entered and send it again", sizeWords(s.cfg.MaxFormBytes))})
			return
		}
		c.Next()
	}
}

// sizeWords writes a byte count in the largest binary unit that divides
// it: "64 KiB", "1 MiB", "1500 bytes".
func sizeWords(n int64) string {
	switch {
	case n > 0 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n > 0 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n > 0 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
