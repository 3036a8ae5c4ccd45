package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// loginRequest is the body of POST /api/v1/login.
type loginRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

// loginUser checks a name and password and starts a browser session.
func (s *Server) loginUser(c *gin.Context) {
	var req loginRequest
	if err := s.bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if req.Name == "" {
		s.fail(c, annotate.Invalidf("name", "give your user name"))
		return
	}
	if req.Password == "" {
		s.fail(c, annotate.Invalidf("password", "give your password"))
		return
	}
	u, csrf, err := s.login(c, req.Name, req.Password)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"user": u, "csrf_token": csrf})
}

// logoutUser ends the caller's browser session, if any.
func (s *Server) logoutUser(c *gin.Context) {
	if err := s.endSession(c); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// getMe returns the caller and, for a browser session, its CSRF token.
func (s *Server) getMe(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"user": me(c), "csrf_token": csrfToken(c)})
}

// tokenRequest is the body of POST /api/v1/tokens.
type tokenRequest struct {
	Name string `json:"name"`
}

// createToken makes an API token for the caller and shows its secret once.
func (s *Server) createToken(c *gin.Context) {
	var req tokenRequest
	if err := s.bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	secret, t, err := s.store.CreateToken(c.Request.Context(), me(c).ID, req.Name)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"token": secret, "id": t.ID, "name": t.Name, "created_at": t.CreatedAt})
}

// listMyTokens lists one page of the caller's tokens, without their
// secrets: ?limit= (default 50, at most 500) and ?next=.
func (s *Server) listMyTokens(c *gin.Context) {
	q, err := listQuery(c, annotate.DefaultTokenLimit, annotate.MaxTokenLimit)
	if err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.store.Tokens(c.Request.Context(), me(c).ID, q)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, withNext(gin.H{"tokens": page.Tokens}, page.Next))
}

// revokeMyToken revokes one of the caller's tokens.
func (s *Server) revokeMyToken(c *gin.Context) {
	id, err := pathID(c, "token_id")
	if err != nil {
		s.fail(c, err)
		return
	}
	u := me(c)
	if err := s.store.RevokeToken(c.Request.Context(), u.ID, u.ID, id); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
