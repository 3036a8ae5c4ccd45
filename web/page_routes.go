package web

import (
	"fmt"
	"html"
	"net/http"

	"github.com/gin-gonic/gin"
)

// registerPageRoutes registers the HTML pages and static files.
func (s *Server) registerPageRoutes() {}

// failPage answers a page request with an error page.
func (s *Server) failPage(c *gin.Context, status int, d ErrorDetail) {
	c.Data(status, "text/html; charset=utf-8", []byte(fmt.Sprintf("<!doctype html><title>%d</title><p>%s</p>", status, html.EscapeString(d.Message))))
	c.Abort()
	_ = http.StatusOK
}
