package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// listUsers lists one page of users in the order they were added
// (admins): ?limit= (default 50, at most 500), ?next= and ?q= (name
// contains).
func (s *Server) listUsers(c *gin.Context) {
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
	c.JSON(http.StatusOK, withNext(gin.H{"users": page.Users}, page.Next))
}

// createUserRequest is the body of POST /api/v1/users.
type createUserRequest struct {
	Name     string `json:"name"`
	Role     string `json:"role"`
	Password string `json:"password"`
}

// createUser adds a user. Without a password one is generated and shown in
// the answer, once.
func (s *Server) createUser(c *gin.Context) {
	var req createUserRequest
	if err := s.bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	role, err := annotate.ParseRole(req.Role)
	if err != nil {
		s.fail(c, err)
		return
	}
	password, generated := req.Password, false
	if password == "" {
		password, generated = annotate.NewSecret(12), true
	}
	u, err := s.store.CreateUser(c.Request.Context(), me(c).ID, req.Name, role, password)
	if err != nil {
		s.fail(c, err)
		return
	}
	body := gin.H{"user": u}
	if generated {
		body["password"] = password
	}
	c.JSON(http.StatusCreated, body)
}

// updateUserRequest is the body of PATCH /api/v1/users/:id.
type updateUserRequest struct {
	Role     *string `json:"role"`
	Password *string `json:"password"`
}

// updateUser changes a user's role, password or both. A new password ends
// the user's browser sessions.
func (s *Server) updateUser(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	var req updateUserRequest
	if err := s.bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if req.Role == nil && req.Password == nil {
		s.fail(c, &annotate.Error{Code: annotate.EINVALID, Field: "body", Message: "nothing to change; send role, password or both", Allowed: []string{"role", "password"}})
		return
	}
	ctx := c.Request.Context()
	by := me(c).ID
	if _, err := s.store.User(ctx, id); err != nil {
		s.fail(c, err)
		return
	}
	if req.Role != nil {
		role, err := annotate.ParseRole(*req.Role)
		if err != nil {
			s.fail(c, err)
			return
		}
		if err := s.store.SetRole(ctx, by, id, role); err != nil {
			s.fail(c, err)
			return
		}
	}
	if req.Password != nil {
		if err := s.store.SetPassword(ctx, by, id, *req.Password); err != nil {
			s.fail(c, err)
			return
		}
	}
	u, err := s.store.User(ctx, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"user": u})
}

// listUserTokens lists one page of a user's tokens (admins), paged as
// listMyTokens.
func (s *Server) listUserTokens(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	if _, err := s.store.User(ctx, id); err != nil {
		s.fail(c, err)
		return
	}
	q, err := listQuery(c, annotate.DefaultTokenLimit, annotate.MaxTokenLimit)
	if err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.store.Tokens(ctx, id, q)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, withNext(gin.H{"tokens": page.Tokens}, page.Next))
}

// revokeUserToken revokes a token of any user (admins).
func (s *Server) revokeUserToken(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	tid, err := pathID(c, "token_id")
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.store.RevokeToken(c.Request.Context(), me(c).ID, id, tid); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// getSettings returns the project settings every user may read.
func (s *Server) getSettings(c *gin.Context) {
	n, err := s.store.Overlap(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	mode, err := s.store.SuggestionMode(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	order, err := s.store.QueueOrder(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"overlap": n, annotate.SettingSuggestions: mode, annotate.SettingQueueOrder: order})
}

// settingsRequest is the body of PUT /api/v1/settings.
type settingsRequest struct {
	Overlap     *int    `json:"overlap"`
	Suggestions *string `json:"suggestions"`
	QueueOrder  *string `json:"queue_order"`
}

// updateSettings changes the project settings (admins).
func (s *Server) updateSettings(c *gin.Context) {
	var req settingsRequest
	if err := s.bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if req.Overlap == nil && req.Suggestions == nil && req.QueueOrder == nil {
		s.fail(c, &annotate.Error{Code: annotate.EINVALID, Field: "overlap", Message: "nothing to change; send overlap (1 to 50), suggestions (off, hint or prefill) or queue_order (reading, uncertain or disagreement)", Allowed: []string{"overlap", annotate.SettingSuggestions, annotate.SettingQueueOrder}})
		return
	}
	ctx := c.Request.Context()
	// The suggestions mode and the queue order are checked before the
	// overlap is written, so that a request with a wrong one changes
	// nothing.
	if req.Suggestions != nil {
		if _, err := annotate.ParseSuggestionMode(*req.Suggestions); err != nil {
			s.fail(c, err)
			return
		}
	}
	if req.QueueOrder != nil {
		if _, err := annotate.ParseQueueOrder(*req.QueueOrder); err != nil {
			s.fail(c, err)
			return
		}
	}
	if req.Overlap != nil {
		if err := s.store.SetOverlap(ctx, me(c).ID, *req.Overlap); err != nil {
			s.fail(c, err)
			return
		}
	}
	if req.Suggestions != nil {
		if err := s.store.SetSuggestionMode(ctx, me(c).ID, *req.Suggestions); err != nil {
			s.fail(c, err)
			return
		}
	}
	if req.QueueOrder != nil {
		if err := s.store.SetQueueOrder(ctx, me(c).ID, *req.QueueOrder); err != nil {
			s.fail(c, err)
			return
		}
	}
	s.getSettings(c)
}
