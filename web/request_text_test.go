package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestControlCharactersAre400 sends NUL bytes and other control characters
// in bodies, paths and query strings, and expects a 400 that names the field
// and nothing stored, never a 500 from the database.
func TestControlCharactersAre400(t *testing.T) {
	e := newAPIEnv(t)
	_, ids := e.paragraphs()
	p := ids[0]
	before := e.history(p)
	tests := []struct {
		method, path string
		body         any
		field        string
	}{
		{"PUT", fmt.Sprintf("/api/v1/paragraphs/%d/annotation", p), `{"version":0,"labels":{"stance":"agree","topic":["strike"],"event":"raid\u0000"}}`, "labels.event"},
		{"POST", fmt.Sprintf("/api/v1/paragraphs/%d/notes", p), `{"body":"see\u0000this"}`, "body"},
		{"POST", fmt.Sprintf("/api/v1/paragraphs/%d/skip", p), `{"reason":"unclear\u001b"}`, "reason"},
		{"POST", fmt.Sprintf("/api/v1/paragraphs/%d/flags", p), `{"kind":"not_relevant","reason":"a\u0000"}`, "reason"},
		{"GET", "/api/v1/documents?q=a%00b", nil, "q"},
		{"GET", "/api/v1/queue/next?document=%00", nil, "document"},
	}
	for _, tc := range tests {
		code, body := e.do("ann1", tc.method, tc.path, tc.body)
		if code != http.StatusBadRequest {
			t.Errorf("%s %s: status %d, want 400; body %s", tc.method, tc.path, code, body)
			continue
		}
		var got struct {
			Error struct {
				Field   string `json:"field"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("%s %s: %v in %s", tc.method, tc.path, err, body)
		}
		if got.Error.Field != tc.field || !strings.Contains(got.Error.Message, "control character") {
			t.Errorf("%s %s: error %+v, want field %q and a message about the control character", tc.method, tc.path, got.Error, tc.field)
		}
	}
	if after := e.history(p); after != before {
		t.Errorf("history of paragraph %d: %d rows before, %d after refused writes", p, before, after)
	}
}
