package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// SessionCookie is the name of the browser session cookie.
const SessionCookie = "concord_session"

// CSRFHeader carries the CSRF token on state-changing requests made by pages.
const CSRFHeader = "X-CSRF-Token"

// CSRFField carries the CSRF token in HTML forms.
const CSRFField = "csrf_token"

const (
	keyUser    = "concord.user"
	keyCSRF    = "concord.csrf"
	keyBearer  = "concord.bearer"
	keySession = "concord.session"
)

// authenticate finds who is calling, from a bearer token or a session
// cookie, and checks the CSRF token on state-changing requests that rely on
// the cookie. It does not refuse anonymous requests; requireRole does.
func (s *Server) authenticate() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		inWrite := s.inWrite[c.Request.Method+" "+c.FullPath()]
		if h := c.GetHeader("Authorization"); h != "" {
			secret, ok := strings.CutPrefix(h, "Bearer ")
			secret = strings.TrimSpace(secret)
			if !ok || secret == "" {
				s.fail(c, &annotate.Error{Code: annotate.EUNAUTHORIZED, Message: "the Authorization header must be \"Bearer TOKEN\"; create a token with: concord tokens create NAME"})
				return
			}
			u, proof, remembered := (*annotate.User)(nil), annotate.Proof{}, false
			if inWrite {
				u, proof, remembered = s.store.RememberedToken(secret)
			}
			if remembered {
				c.Request = c.Request.WithContext(annotate.WithProof(ctx, proof))
			} else {
				var err error
				if u, err = s.store.UserByToken(ctx, secret); err != nil {
					s.fail(c, err)
					return
				}
			}
			c.Set(keyUser, u)
			c.Set(keyBearer, true)
			c.Next()
			return
		}
		cookie, err := c.Cookie(SessionCookie)
		if err != nil || cookie == "" {
			c.Next()
			return
		}
		u, csrf, proof, remembered := (*annotate.User)(nil), "", annotate.Proof{}, false
		if inWrite {
			u, csrf, proof, remembered = s.store.RememberedSession(cookie)
		}
		if !remembered {
			if u, csrf, err = s.store.SessionUser(ctx, cookie); err != nil {
				// A stale cookie is the same as none; clear it.
				s.clearSessionCookie(c)
				c.Next()
				return
			}
		}
		if !safeMethod(c.Request.Method) && !annotate.SameSecret(s.sentCSRF(c), csrf) {
			if isLogin(c) {
				// Logging in again from a page whose session is still
				// live: treat the caller as anonymous, as the new
				// session replaces the old one anyway.
				c.Next()
				return
			}
			s.fail(c, &annotate.Error{Code: annotate.EFORBIDDEN, Message: "missing or wrong CSRF token; reload the page and try again"})
			return
		}
		if remembered {
			c.Request = c.Request.WithContext(annotate.WithProof(ctx, proof))
		}
		c.Set(keyUser, u)
		c.Set(keyCSRF, csrf)
		c.Set(keySession, cookie)
		c.Next()
	}
}

// checkCallerInWrite marks a route whose whole effect is one guarded write
// that checks the caller's credential in its own statement: for a token or
// session this server has checked before, authenticate then lets the
// request in on what it remembers and leaves the check to the write (see
// annotate.WithProof), saving the request a round trip to the database.
// The check is as strict as authenticate's own: a credential that is no
// longer live, or a role that changed, writes nothing and is refused. Only
// routes that read nothing the caller could not read without the
// credential may be marked.
func (s *Server) checkCallerInWrite(method, path string) {
	s.inWrite[method+" "+path] = true
}

// sentCSRF returns the CSRF token a request carries: the header, or for
// HTML forms outside the API the form field. The body is already capped at
// its route's limit (see limitBody), so the check cannot be used to make
// the server take in an unbounded body.
func (s *Server) sentCSRF(c *gin.Context) string {
	if got := c.GetHeader(CSRFHeader); got != "" {
		return got
	}
	if strings.HasPrefix(c.Request.URL.Path, "/api/") {
		return ""
	}
	return c.PostForm(CSRFField)
}

// isLogin reports whether the request is a login, which needs no session.
func isLogin(c *gin.Context) bool {
	p := c.Request.URL.Path
	return c.Request.Method == http.MethodPost && (p == "/api/v1/login" || p == "/login")
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// currentUser returns the caller, or nil when nobody is logged in.
func currentUser(c *gin.Context) *annotate.User {
	if v, ok := c.Get(keyUser); ok {
		return v.(*annotate.User)
	}
	return nil
}

// csrfToken returns the CSRF token of the caller's session, for pages.
func csrfToken(c *gin.Context) string {
	return c.GetString(keyCSRF)
}

// requireRole refuses callers who are not logged in (401) or whose role is
// below min (403).
func (s *Server) requireRole(min annotate.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		u := currentUser(c)
		if u == nil {
			if !wantsJSON(c) && safeMethod(c.Request.Method) {
				c.Redirect(http.StatusSeeOther, "/login?next="+urlQueryEscape(c.Request.URL.RequestURI()))
				c.Abort()
				return
			}
			s.fail(c, &annotate.Error{Code: annotate.EUNAUTHORIZED, Message: "log in first, or send an API token as \"Authorization: Bearer TOKEN\""})
			return
		}
		if !u.Role.AtLeast(min) {
			s.fail(c, &annotate.Error{Code: annotate.EFORBIDDEN, Message: "this needs the " + string(min) + " role; you are " + string(u.Role)})
			return
		}
		c.Next()
	}
}

// startSession logs a user in: it creates a session and sets its cookie.
func (s *Server) startSession(c *gin.Context, u *annotate.User) (csrf string, err error) {
	secret, csrf, err := s.store.CreateSession(c.Request.Context(), u.ID)
	if err != nil {
		return "", err
	}
	http.SetCookie(c.Writer, &http.Cookie{
		Name: SessionCookie, Value: secret, Path: "/", HttpOnly: true, Secure: s.cfg.SecureCookies,
		SameSite: http.SameSiteStrictMode, MaxAge: int(annotate.SessionTTL / time.Second),
	})
	return csrf, nil
}

// endSession logs the caller out.
func (s *Server) endSession(c *gin.Context) error {
	if secret := c.GetString(keySession); secret != "" {
		if err := s.store.DeleteSession(c.Request.Context(), secret); err != nil {
			return err
		}
	}
	s.clearSessionCookie(c)
	return nil
}

func (s *Server) clearSessionCookie(c *gin.Context) {
	http.SetCookie(c.Writer, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteStrictMode, MaxAge: -1})
}

// login checks a name and password and starts a session. The attempt is
// counted against the account and the client address in the database
// before the password is checked (see annotate.Store.StartLogin), so that
// the limits hold across every server sharing the database and across
// restarts.
func (s *Server) login(c *gin.Context, name, password string) (*annotate.User, string, error) {
	ctx := c.Request.Context()
	addr := throttleAddress(c.ClientIP())
	if err := s.store.StartLogin(ctx, name, addr, s.cfg.Now()); err != nil {
		var th *annotate.LoginThrottled
		if errors.As(err, &th) {
			c.Header("Retry-After", strconv.Itoa(int((th.Wait+time.Second-1)/time.Second)))
			return nil, "", &annotate.Error{Code: codeThrottled, Message: th.Error()}
		}
		return nil, "", err
	}
	u, err := s.store.Authenticate(ctx, name, password)
	if err != nil {
		return nil, "", err
	}
	if err := s.store.LoginSucceeded(ctx, name, addr); err != nil {
		return nil, "", err
	}
	csrf, err := s.startSession(c, u)
	if err != nil {
		return nil, "", err
	}
	return u, csrf, nil
}
