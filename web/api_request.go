package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// bindJSON reads the request body as one JSON object into dst. It refuses
// bodies over cfg.MaxBodyBytes (413; limitBody caps the body), unknown
// fields, fields of the wrong type and anything after the object, and says
// which field was at fault.
func (s *Server) bindJSON(c *gin.Context, dst any) error {
	dec := json.NewDecoder(c.Request.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err, dst)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return err
		}
		return annotate.Invalidf("body", "request body is not valid JSON: unexpected data after the JSON object; send exactly one object")
	}
	return nil
}

// jsonError words a decoding error for the client.
func jsonError(err error, dst any) error {
	var (
		mb     *http.MaxBytesError
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mb):
		return err
	case errors.Is(err, io.EOF):
		return annotate.Invalidf("body", "request body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return annotate.Invalidf("body", "request body is not valid JSON: it ends in the middle of a value")
	case errors.As(err, &syntax):
		return annotate.Invalidf("body", "request body is not valid JSON: %v (at byte %d)", syntax, syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return annotate.Invalidf("body", "request body must be a JSON object, not %s", typ.Value)
		}
		return annotate.Invalidf(typ.Field, "%s must be %s, not %s", typ.Field, jsonKind(typ.Type), typ.Value)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return &annotate.Error{Code: annotate.EINVALID, Field: name, Message: fmt.Sprintf("unknown field %q", name), Allowed: jsonFields(dst)}
	}
	return annotate.Invalidf("body", "request body is not valid JSON: %v", err)
}

// jsonKind names a Go type the way a JSON client thinks of it.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return jsonKind(t.Elem())
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a " + t.String()
}

// jsonFields lists the JSON field names of the struct dst points to.
func jsonFields(dst any) []string {
	t := reflect.TypeOf(dst)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

// pathID returns the path parameter name as a positive integer id.
func pathID(c *gin.Context, name string) (int64, error) {
	raw := c.Param(name)
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, annotate.Invalidf(name, "%q is not a valid id; ids are positive integers", raw)
	}
	return id, nil
}

// queryInt returns the query parameter name as an integer between lo and hi,
// or def when it is absent.
func queryInt(c *gin.Context, name string, def, lo, hi int) (int, error) {
	raw, ok := c.GetQuery(name)
	if !ok || raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, annotate.Invalidf(name, "%s must be an integer from %d to %d, got %q", name, lo, hi, raw)
	}
	return n, nil
}

// queryID returns the query parameter name as a positive id, or 0 when it is
// absent.
func queryID(c *gin.Context, name string) (int64, error) {
	raw, ok := c.GetQuery(name)
	if !ok || raw == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, annotate.Invalidf(name, "%q is not a valid id; ids are positive integers", raw)
	}
	return id, nil
}

// queryIDs returns the query parameter name as a comma-separated list of
// positive ids.
func queryIDs(c *gin.Context, name string) ([]int64, error) {
	var out []int64
	for _, raw := range c.QueryArray(name) {
		for part := range strings.SplitSeq(raw, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			id, err := strconv.ParseInt(part, 10, 64)
			if err != nil || id <= 0 {
				return nil, annotate.Invalidf(name, "%q is not a valid id; give positive integers separated by commas", part)
			}
			out = append(out, id)
		}
	}
	if len(out) > 1000 {
		return nil, annotate.Invalidf(name, "at most 1000 ids, got %d", len(out))
	}
	return out, nil
}

// queryChoice returns the query parameter name, which must be empty or one
// of allowed.
func queryChoice(c *gin.Context, name string, allowed []string) (string, error) {
	v := c.Query(name)
	if v == "" {
		return "", nil
	}
	for _, a := range allowed {
		if v == a {
			return v, nil
		}
	}
	return "", &annotate.Error{Code: annotate.EINVALID, Field: name, Message: fmt.Sprintf("unknown %s %q", name, v), Allowed: allowed}
}

// me returns the logged-in caller. Routes behind requireRole always have one.
func me(c *gin.Context) *annotate.User { return currentUser(c) }

// nonNil returns xs, or an empty slice so that JSON shows [] rather than null.
func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// nonNilMap returns m, or an empty map so that JSON shows {} rather than
// null.
func nonNilMap[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return map[K]V{}
	}
	return m
}
