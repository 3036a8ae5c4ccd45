package web

import (
	"net/http"
	"strings"
	"unicode"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// loginPage is the data of the login page.
type loginPage struct {
	Name string
	Next string
}

// localPath returns next when it is a path on this site, and "/" otherwise,
// so that a crafted login link cannot send people elsewhere.
func localPath(next string) string {
	// Browsers drop tabs and line breaks from URLs, so "/\t/evil.example"
	// would become "//evil.example": any control character is refused.
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsFunc(next, unicode.IsControl) {
		return "/"
	}
	return next
}

// showLogin shows the login form, or sends a logged-in caller on.
func (s *Server) showLogin(c *gin.Context) {
	next := localPath(c.Query("next"))
	if currentUser(c) != nil {
		c.Redirect(http.StatusSeeOther, next)
		return
	}
	s.render(c, http.StatusOK, "login", loginPage{Next: next})
}

// submitLogin checks the form and starts a session.
func (s *Server) submitLogin(c *gin.Context) {
	name := strings.TrimSpace(c.PostForm("name"))
	password := c.PostForm("password")
	next := localPath(c.PostForm("next"))
	data := loginPage{Name: name, Next: next}
	if name == "" || password == "" {
		s.render(c, http.StatusBadRequest, "login", Page{Error: "Enter your user name and your password.", Data: data})
		return
	}
	if _, _, err := s.login(c, name, password); err != nil {
		st, d := status(err)
		if st >= 500 {
			s.log.Error("login", "err", err)
		}
		msg := d.Message
		switch code := annotate.ErrorCode(err); {
		case code == annotate.EUNAUTHORIZED && strings.Contains(msg, "wrong user name or password"):
			msg = "Wrong user name or password. Check both and try again; ask an admin to reset your password if you forgot it."
		case code == codeThrottled:
			// "too many failed logins …; try again in …", as a page says it.
			if first, rest, ok := strings.Cut(msg, "; "); ok && first != "" && rest != "" {
				msg = strings.ToUpper(first[:1]) + first[1:] + ". " + strings.ToUpper(rest[:1]) + rest[1:] + "."
			}
		}
		s.render(c, st, "login", Page{Error: msg, Data: data})
		return
	}
	c.Redirect(http.StatusSeeOther, next)
}

// submitLogout ends the session; the form carries the CSRF token.
func (s *Server) submitLogout(c *gin.Context) {
	if err := s.endSession(c); err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/login")
}
