package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// templateFS holds the page templates. layout.html defines the frame every
// page shares; files starting with "_" are partials available to all pages;
// every other file is one page, named after the file without ".html".
//
//go:embed templates/*.html
var templateFS embed.FS

// flashCookie carries a one-line message across the redirect that follows a
// successful form post.
const flashCookie = "concord_flash"

// registerPageRoutes registers the HTML pages and static files.
func (s *Server) registerPageRoutes() {
	pageTemplates() // fail at start-up, not on the first request, on a broken template
	s.engine.GET("/static/:file", serveStatic)
	s.engine.HEAD("/static/:file", serveStatic)

	s.engine.GET("/login", s.showLogin)
	s.engine.POST("/login", s.submitLogin)
	s.engine.POST("/logout", s.submitLogout)

	anyone := s.requireRole(annotate.RoleAnnotator)
	reviewer := s.requireRole(annotate.RoleReviewer)
	admin := s.requireRole(annotate.RoleAdmin)

	s.engine.GET("/", anyone, s.showHome)
	s.engine.GET("/annotate", anyone, s.showAnnotate)
	s.engine.GET("/account", anyone, s.showAccount)
	s.engine.POST("/account/password", anyone, s.submitAccountPassword)
	s.engine.POST("/account/tokens", anyone, s.submitAccountToken)
	s.engine.POST("/account/tokens/:token_id/revoke", anyone, s.submitAccountRevokeToken)

	s.engine.GET("/review", reviewer, s.showReview)
	s.engine.GET("/review/documents/:id", reviewer, s.showReviewDocument)

	s.engine.GET("/admin", admin, func(c *gin.Context) { c.Redirect(http.StatusSeeOther, "/admin/users") })
	s.engine.GET("/admin/users", admin, s.showAdminUsers)
	s.engine.POST("/admin/users", admin, s.submitAdminUser)
	s.engine.GET("/admin/users/:id", admin, s.showAdminUser)
	s.engine.POST("/admin/users/:id/role", admin, s.submitAdminUserRole)
	s.engine.POST("/admin/users/:id/password", admin, s.submitAdminUserPassword)
	s.engine.POST("/admin/users/:id/tokens/:token_id/revoke", admin, s.submitAdminRevokeToken)
	s.engine.GET("/admin/import", admin, s.showAdminImport)
	s.engine.POST("/admin/import", admin, s.submitAdminImport)
	// Reviewers see the schema page for the values annotators typed, which
	// they accept into the schema's lists; only admins apply a schema.
	s.engine.GET("/admin/schema", reviewer, s.showAdminSchema)
	s.engine.POST("/admin/schema", admin, s.submitAdminSchema)
	s.engine.POST("/admin/schema/values", reviewer, s.submitAdminOpenValues)
	s.engine.GET("/admin/settings", admin, s.showAdminSettings)
	s.engine.POST("/admin/settings", admin, s.submitAdminSettings)
	s.engine.POST("/admin/settings/queue-order", admin, s.submitAdminQueueOrder)
	s.engine.GET("/admin/curation", admin, s.showAdminCuration)
	s.engine.POST("/admin/curation", admin, s.submitAdminCuration)
}

// Page is what every template receives: the caller, the CSRF token for
// forms, the active navigation entry, a one-off message and the page's own
// data in Data.
type Page struct {
	User  *annotate.User
	CSRF  string
	Nav   string
	Flash string
	// Error is a message shown at the top of the page in an alert box.
	Error string
	Data  any
}

// Reviewer reports whether the caller may see reviewer pages.
func (p Page) Reviewer() bool { return p.User != nil && p.User.Role.AtLeast(annotate.RoleReviewer) }

// Admin reports whether the caller may see admin pages.
func (p Page) Admin() bool { return p.User != nil && p.User.Role.AtLeast(annotate.RoleAdmin) }

// navFor returns the navigation entry a page belongs to, from its name.
func navFor(name string) string {
	for _, p := range []string{"home", "annotate", "review", "agreement", "adjudicate", "export", "admin"} {
		if strings.HasPrefix(name, p) {
			if p == "adjudicate" {
				return "agreement"
			}
			return p
		}
	}
	return ""
}

// render answers with the page template name (templates/name.html inside
// the shared layout) and data as the page's Data. A page may set the
// message shown on top by passing a Page as data instead.
func (s *Server) render(c *gin.Context, status int, name string, data any) {
	p, ok := data.(Page)
	if !ok {
		p = Page{Data: data}
	}
	p.User = currentUser(c)
	p.CSRF = csrfToken(c)
	if p.Nav == "" {
		p.Nav = navFor(name)
	}
	if p.Flash == "" {
		p.Flash = takeFlash(c)
	}
	t, ok := pageTemplates()[name]
	if !ok {
		s.log.Error("no such page template", "name", name)
		c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("internal error: no page template "+name))
		c.Abort()
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		s.log.Error("render page", "name", name, "err", err)
		c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("internal error: the page could not be drawn; the server log has the details"))
		c.Abort()
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// errorPage is the data of the error page.
type errorPage struct {
	Status  int
	Title   string
	Message string
	Field   string
	Allowed []string
}

// failPage answers a page request with an error page in the layout.
func (s *Server) failPage(c *gin.Context, status int, d ErrorDetail) {
	title := http.StatusText(status)
	switch status {
	case http.StatusNotFound:
		title = "Not found"
	case http.StatusForbidden:
		title = "Not allowed"
	case http.StatusUnauthorized:
		title = "Please log in"
	}
	msg := d.Message
	if d.Field != "" {
		msg = strings.TrimPrefix(msg, d.Field+": ")
	}
	s.render(c, status, "error", errorPage{Status: status, Title: title, Message: msg, Field: d.Field, Allowed: d.Allowed})
	c.Abort()
}

// setFlash keeps a message for the next page the caller sees.
func setFlash(c *gin.Context, msg string) {
	http.SetCookie(c.Writer, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(msg), Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: 60})
}

// takeFlash returns and clears the message setFlash kept.
func takeFlash(c *gin.Context) string {
	v, err := c.Cookie(flashCookie)
	if err != nil || v == "" {
		return ""
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: flashCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: -1})
	msg, err := url.QueryUnescape(v)
	if err != nil {
		return ""
	}
	return msg
}

// redirectFlash ends a successful form post: it keeps msg for the next page
// and sends the browser to to, so that reloading does not post again.
func redirectFlash(c *gin.Context, to, msg string) {
	if msg != "" {
		setFlash(c, msg)
	}
	c.Redirect(http.StatusSeeOther, to)
}

var templateFuncs = template.FuncMap{
	"asset": assetURL,
	"percent": func(part, whole int) int {
		if whole <= 0 {
			return 0
		}
		return min(100, part*100/whole)
	},
	"add":    func(a, b int) int { return a + b },
	"mul100": func(x float64) float64 { return 100 * x },
	"date": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			if v.IsZero() {
				return ""
			}
			return v.Local().Format("2006-01-02 15:04")
		case *time.Time:
			if v == nil || v.IsZero() {
				return ""
			}
			return v.Local().Format("2006-01-02 15:04")
		}
		return ""
	},
	"iso":   func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"join":  strings.Join,
	"roles": func() []annotate.Role { return annotate.Roles },
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return fmt.Sprintf("%d %s", n, one)
		}
		return fmt.Sprintf("%d %s", n, many)
	},
}

// pageTemplates parses every page once, each with the layout and partials.
var pageTemplates = sync.OnceValue(func() map[string]*template.Template {
	base := template.Must(template.New("layout.html").Funcs(templateFuncs).ParseFS(templateFS, "templates/layout.html"))
	partials, err := fs.Glob(templateFS, "templates/_*.html")
	if err != nil {
		panic(err)
	}
	if len(partials) > 0 {
		base = template.Must(base.ParseFS(templateFS, partials...))
	}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" || strings.HasPrefix(name, "_") {
			continue
		}
		t := template.Must(base.Clone())
		out[name] = template.Must(t.ParseFS(templateFS, f))
	}
	return out
})
