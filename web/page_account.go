package web

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// accountPage is the data of a user's own account page: their API tokens,
// and a token just created, shown this once.
type accountPage struct {
	Tokens   []annotate.Token
	Pager    *pager
	NewToken string
}

// showAccount shows the caller's password form and API tokens.
func (s *Server) showAccount(c *gin.Context) {
	s.renderAccount(c, http.StatusOK, Page{Data: &accountPage{}})
}

func (s *Server) renderAccount(c *gin.Context, st int, p Page) {
	data := p.Data.(*accountPage)
	ts, pg, err := s.tokenPage(c, currentUser(c).ID, "/account")
	if err != nil {
		s.fail(c, err)
		return
	}
	data.Tokens, data.Pager = ts, pg
	s.render(c, st, "account", p)
}

// submitAccountPassword changes the caller's own password. The current
// password must be given, so that an unattended browser cannot be used to
// take the account over. Every other session ends; this one goes on.
func (s *Server) submitAccountPassword(c *gin.Context) {
	u := currentUser(c)
	current, next, again := c.PostForm("current"), c.PostForm("password"), c.PostForm("again")
	var err error
	switch {
	case next != again:
		err = annotate.Invalidf("again", "the two new passwords differ; type the same one twice")
	default:
		if _, aerr := s.store.Authenticate(c.Request.Context(), u.Name, current); aerr != nil {
			err = annotate.Invalidf("current", "your current password is wrong")
		} else {
			err = s.store.SetPassword(c.Request.Context(), u.ID, u.ID, next)
		}
	}
	if err != nil {
		st, msg := s.formFailure(c, err)
		s.renderAccount(c, st, Page{Error: msg, Data: &accountPage{}})
		return
	}
	if _, err := s.startSession(c, u); err != nil {
		s.fail(c, err)
		return
	}
	redirectFlash(c, "/account", "Your password is changed. Other browsers logged in as you have been logged out.")
}

// submitAccountToken creates an API token for the caller and shows it once.
func (s *Server) submitAccountToken(c *gin.Context) {
	secret, _, err := s.store.CreateToken(c.Request.Context(), currentUser(c).ID, strings.TrimSpace(c.PostForm("name")))
	if err != nil {
		st, msg := s.formFailure(c, err)
		s.renderAccount(c, st, Page{Error: msg, Data: &accountPage{}})
		return
	}
	s.renderAccount(c, http.StatusCreated, Page{Flash: "Token created. Copy it now: it is not shown again.", Data: &accountPage{NewToken: secret}})
}

// submitAccountRevokeToken revokes one of the caller's tokens.
func (s *Server) submitAccountRevokeToken(c *gin.Context) {
	id, err := pathID(c, "token_id")
	if err == nil {
		u := currentUser(c)
		err = s.store.RevokeToken(c.Request.Context(), u.ID, u.ID, id)
	}
	if err != nil {
		st, msg := s.formFailure(c, err)
		s.renderAccount(c, st, Page{Error: msg, Data: &accountPage{}})
		return
	}
	redirectFlash(c, "/account", "Token revoked. Scripts that used it are refused from now on.")
}
