package annotate

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes used by Error. The web layer maps each to one HTTP status.
const (
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	ECONFLICT     = "conflict"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	ETOOLARGE     = "too_large"
	EINTERNAL     = "internal"
)

// Error is the one error type of the domain. Code says what kind of failure it
// is, Field names the offending input where there is one, Message is written
// for the person who sent that input, Allowed lists the values that would have
// been accepted, and Current carries the stored value on a conflict.
type Error struct {
	Code    string
	Field   string
	Message string
	Allowed []string
	Current any
}

// Error implements the error interface.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	if len(e.Allowed) > 0 {
		b.WriteString(" (allowed: ")
		b.WriteString(strings.Join(e.Allowed, ", "))
		b.WriteString(")")
	}
	return b.String()
}

// Is reports whether target is one of the sentinel errors with the same code,
// so that errors.Is(err, ErrNotFound) works for every not-found error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Code == e.Code
}

// Sentinel errors for errors.Is. Errors returned by the store carry a message
// and often a field, and match these by code.
var (
	ErrInvalid      = &Error{Code: EINVALID}
	ErrNotFound     = &Error{Code: ENOTFOUND}
	ErrConflict     = &Error{Code: ECONFLICT}
	ErrUnauthorized = &Error{Code: EUNAUTHORIZED}
	ErrForbidden    = &Error{Code: EFORBIDDEN}
)

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalidf returns an EINVALID error about field.
func Invalidf(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFoundf returns an ENOTFOUND error.
func NotFoundf(format string, args ...any) *Error {
	return Errorf(ENOTFOUND, format, args...)
}

// ErrorCode returns the code of the first *Error in err's chain, or EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message meant for people for err: the domain
// message when err carries an *Error, and a generic one otherwise, so that
// internal details never reach a client.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Error()
	}
	return "internal error"
}
