package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// formFailure turns an error from a form post into a status and a message
// for the page; internal errors are logged and get a generic message.
func (s *Server) formFailure(c *gin.Context, err error) (int, string) {
	st, d := status(err)
	if st >= 500 {
		s.log.Error("internal error", "method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
	}
	return st, d.Message
}

// adminUsersPage is the data of the user list.
type adminUsersPage struct {
	Users  []annotate.User
	Search string
	Pager  *pager
	// Created is the user just added; Password is their generated password,
	// shown this once.
	Created  *annotate.User
	Password string
	Form     struct{ Name, Role string }
}

// showAdminUsers lists one page of users, in the order they were added,
// with a form to add one: ?q= (name contains), ?limit= (default 50, at
// most 500) and ?next=.
func (s *Server) showAdminUsers(c *gin.Context) {
	s.renderAdminUsers(c, http.StatusOK, Page{Data: &adminUsersPage{}})
}

func (s *Server) renderAdminUsers(c *gin.Context, st int, p Page) {
	data := p.Data.(*adminUsersPage)
	q, err := listQuery(c, annotate.DefaultUserLimit, annotate.MaxUserLimit)
	if err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.store.UserPage(c.Request.Context(), q)
	if err != nil {
		s.fail(c, err)
		return
	}
	data.Users, data.Search = page.Users, q.Search
	data.Pager = newPager("users", "/admin/users", url.Values{"q": {q.Search}}, q.Limit, annotate.DefaultUserLimit, q.After == 0, cursorString(page.Next))
	if data.Form.Role == "" {
		data.Form.Role = string(annotate.RoleAnnotator)
	}
	s.render(c, st, "admin_users", p)
}

// submitAdminUser adds a user with a typed or a generated password.
func (s *Server) submitAdminUser(c *gin.Context) {
	data := &adminUsersPage{}
	data.Form.Name = strings.TrimSpace(c.PostForm("name"))
	data.Form.Role = c.PostForm("role")
	password := c.PostForm("password")
	generated := password == ""
	if generated {
		password = annotate.NewSecret(12)
	}
	role, err := annotate.ParseRole(data.Form.Role)
	if err == nil {
		data.Created, err = s.store.CreateUser(c.Request.Context(), currentUser(c).ID, data.Form.Name, role, password)
	}
	if err != nil {
		st, msg := s.formFailure(c, err)
		s.renderAdminUsers(c, st, Page{Error: msg, Data: data})
		return
	}
	flash := "Added " + data.Created.Name + " as " + string(role) + "."
	if generated {
		data.Password = password
	}
	data.Form.Name, data.Form.Role = "", ""
	s.renderAdminUsers(c, http.StatusCreated, Page{Flash: flash, Data: data})
}

// adminUserPage is the data of one user's page: role, password, tokens.
type adminUserPage struct {
	Account  *annotate.User
	Tokens   []annotate.Token
	Pager    *pager
	Password string
}

func (s *Server) pathUser(c *gin.Context) (*annotate.User, bool) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	u, err := s.store.User(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	return u, true
}

// showAdminUser shows one user with forms to change their role and password
// and their API tokens.
func (s *Server) showAdminUser(c *gin.Context) {
	u, ok := s.pathUser(c)
	if !ok {
		return
	}
	s.renderAdminUser(c, http.StatusOK, Page{Data: &adminUserPage{Account: u}})
}

func (s *Server) renderAdminUser(c *gin.Context, st int, p Page) {
	data := p.Data.(*adminUserPage)
	ts, pg, err := s.tokenPage(c, data.Account.ID, "/admin/users/"+strconv.FormatInt(data.Account.ID, 10))
	if err != nil {
		s.fail(c, err)
		return
	}
	data.Tokens, data.Pager = ts, pg
	s.render(c, st, "admin_user", p)
}

// submitAdminUserRole changes a user's role.
func (s *Server) submitAdminUserRole(c *gin.Context) {
	u, ok := s.pathUser(c)
	if !ok {
		return
	}
	role, err := annotate.ParseRole(c.PostForm("role"))
	if err == nil {
		err = s.store.SetRole(c.Request.Context(), currentUser(c).ID, u.ID, role)
	}
	if err != nil {
		st, msg := s.formFailure(c, err)
		s.renderAdminUser(c, st, Page{Error: msg, Data: &adminUserPage{Account: u}})
		return
	}
	redirectFlash(c, "/admin/users/"+strconv.FormatInt(u.ID, 10), u.Name+" is now "+string(role)+".")
}

// submitAdminUserPassword sets a user's password, typed or generated, and
// ends their sessions.
func (s *Server) submitAdminUserPassword(c *gin.Context) {
	u, ok := s.pathUser(c)
	if !ok {
		return
	}
	password := c.PostForm("password")
	generated := password == ""
	if generated {
		password = annotate.NewSecret(12)
	}
	if err := s.store.SetPassword(c.Request.Context(), currentUser(c).ID, u.ID, password); err != nil {
		st, msg := s.formFailure(c, err)
		s.renderAdminUser(c, st, Page{Error: msg, Data: &adminUserPage{Account: u}})
		return
	}
	data := &adminUserPage{Account: u}
	if generated {
		data.Password = password
	}
	s.renderAdminUser(c, http.StatusOK, Page{Flash: "New password set for " + u.Name + "; their open sessions have ended.", Data: data})
}

// submitAdminRevokeToken revokes one of a user's API tokens.
func (s *Server) submitAdminRevokeToken(c *gin.Context) {
	u, ok := s.pathUser(c)
	if !ok {
		return
	}
	tid, err := pathID(c, "token_id")
	if err == nil {
		err = s.store.RevokeToken(c.Request.Context(), currentUser(c).ID, u.ID, tid)
	}
	if err != nil {
		st, msg := s.formFailure(c, err)
		s.renderAdminUser(c, st, Page{Error: msg, Data: &adminUserPage{Account: u}})
		return
	}
	redirectFlash(c, "/admin/users/"+strconv.FormatInt(u.ID, 10), "Token revoked.")
}
