package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// codeMethod marks a request with a method the route does not take.
const codeMethod = "method_not_allowed"

// codeThrottled marks a request refused because too many came before it,
// such as failed logins; the client should wait and try again.
const codeThrottled = "too_many_requests"

var errPanic = errors.New("panic")

// statuses maps each domain error code to its HTTP status.
var statuses = map[string]int{
	annotate.EINVALID:      http.StatusBadRequest,
	annotate.ENOTFOUND:     http.StatusNotFound,
	annotate.ECONFLICT:     http.StatusConflict,
	annotate.EUNAUTHORIZED: http.StatusUnauthorized,
	annotate.EFORBIDDEN:    http.StatusForbidden,
	annotate.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	codeMethod:             http.StatusMethodNotAllowed,
	codeThrottled:          http.StatusTooManyRequests,
}

// ErrorBody is the JSON shape of every API error.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong: a code, a message for people, the field
// at fault, the values that would have been accepted, and on a conflict the
// stored value.
type ErrorDetail struct {
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Field   string   `json:"field,omitempty"`
	Allowed []string `json:"allowed,omitempty"`
	Current any      `json:"current,omitempty"`
}

// status returns the HTTP status and the body for err. Internal errors get a
// generic message; their details go to the log only.
func status(err error) (int, ErrorDetail) {
	var e *annotate.Error
	if errors.As(err, &e) {
		st, ok := statuses[e.Code]
		if !ok {
			st = http.StatusInternalServerError
		}
		return st, ErrorDetail{Code: e.Code, Message: e.Error(), Field: e.Field, Allowed: e.Allowed, Current: e.Current}
	}
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return http.StatusRequestEntityTooLarge, ErrorDetail{Code: annotate.ETOOLARGE, Message: "the request body is larger than the limit of " + sizeWords(mb.Limit) + "; send less at a time"}
	}
	return http.StatusInternalServerError, ErrorDetail{Code: annotate.EINTERNAL, Message: "internal error; the server log has the details"}
}

// fail answers a request with err: JSON for the API and for clients that ask
// for JSON, an HTML page otherwise. It logs internal errors and nothing else.
func (s *Server) fail(c *gin.Context, err error) {
	// A request let in on a remembered credential (checkCallerInWrite)
	// that fails before its write has its credential checked now, so that
	// what the answer says is said only to a caller who may hear it.
	if cerr := s.store.CheckCaller(c.Request.Context()); cerr != nil {
		err = cerr
	}
	st, detail := status(err)
	if st >= 500 {
		s.log.Error("internal error", "method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
	}
	if wantsJSON(c) {
		c.AbortWithStatusJSON(st, ErrorBody{Error: detail})
		return
	}
	s.failPage(c, st, detail)
}

// wantsJSON reports whether a request is an API call rather than a page view.
func wantsJSON(c *gin.Context) bool {
	p := c.Request.URL.Path
	if strings.HasPrefix(p, "/api/") || p == "/healthz" {
		return true
	}
	return strings.Contains(c.GetHeader("Accept"), "application/json") && !strings.Contains(c.GetHeader("Accept"), "text/html")
}
