package web_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
)

// TestAPIInvalidLabels checks that each kind of bad label is refused with
// 400, the field at fault and the values that would have been accepted.
func TestAPIInvalidLabels(t *testing.T) {
	e := newAPIEnv(t)
	_, ids := e.paragraphs()
	path := fmt.Sprintf("/api/v1/paragraphs/%d/annotation", ids[0])
	tests := []struct {
		name        string
		body        string
		field       string
		wantAllowed string
	}{
		{"unknown dimension", `{"version":0,"labels":{"stance":"agree","topic":["strike"],"mood":"calm"}}`, "labels.mood", "stance"},
		{"unknown value", `{"version":0,"labels":{"stance":"maybe","topic":["strike"]}}`, "labels.stance", "agree"},
		{"missing required dimension", `{"version":0,"labels":{"topic":["strike"]}}`, "labels.stance", "disagree"},
		{"several values on a single-choice dimension", `{"version":0,"labels":{"stance":["agree","disagree"],"topic":["strike"]}}`, "labels.stance", "discuss"},
		{"wrong JSON type", `{"version":0,"labels":{"stance":5,"topic":["strike"]}}`, "labels.stance", "unrelated"},
		{"unknown topic", `{"version":0,"labels":{"stance":"agree","topic":["weather"]}}`, "labels.topic", "media"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, body := e.do("ann1", "PUT", path, tt.body)
			if got != 400 {
				t.Fatalf("status: got %d, want 400; body: %s", got, body)
			}
			er := apiDecodeError(t, body)
			if er.Error.Field != tt.field {
				t.Errorf("field: got %q, want %q", er.Error.Field, tt.field)
			}
			if !slices.Contains(er.Error.Allowed, tt.wantAllowed) {
				t.Errorf("allowed: got %v, want it to hold %q", er.Error.Allowed, tt.wantAllowed)
			}
		})
	}
	if n := e.history(ids[0]); n != 0 {
		t.Errorf("history after refused writes: got %d rows, want 0", n)
	}
	// Bodies that are not label objects at all.
	shapes := []struct{ body, field string }{
		{`{"version":0,"labels":"agree"}`, "labels"},
		{`{"labels":{"stance":"agree","topic":["strike"]}}`, "version"},
		{`{"version":"1","labels":{}}`, "version"},
		{`{"version":0}`, "labels"},
	}
	for _, s := range shapes {
		got, body := e.do("ann1", "PUT", path, s.body)
		if got != 400 {
			t.Errorf("PUT %s: got %d, want 400", s.body, got)
			continue
		}
		if f := apiDecodeError(t, body).Error.Field; f != s.field {
			t.Errorf("PUT %s: field %q, want %q", s.body, f, s.field)
		}
	}
}

// apiAnnotation is the API shape of an annotation.
type apiAnnotation struct {
	ParagraphID int64          `json:"paragraph_id"`
	Version     int            `json:"version"`
	Labels      map[string]any `json:"labels"`
}

// TestAPIAnnotationVersions checks creating, updating, a stale version (409
// with the stored annotation) and an idempotent retry (200, no new history).
func TestAPIAnnotationVersions(t *testing.T) {
	e := newAPIEnv(t)
	_, ids := e.paragraphs()
	p := ids[0]
	path := fmt.Sprintf("/api/v1/paragraphs/%d/annotation", p)

	var a apiAnnotation
	e.must("ann1", "PUT", path, map[string]any{"version": 0, "labels": map[string]any{"stance": "Agree", "topic": []string{"terrorism", "strike"}}}, 201, &a)
	if a.Version != 1 || a.ParagraphID != p {
		t.Fatalf("created: got version %d paragraph %d, want 1 and %d", a.Version, a.ParagraphID, p)
	}
	// Encoded shape: names resolved to keys, multi sorted, every dimension present.
	want := map[string]any{"stance": "agree", "topic": []any{"strike", "terrorism"}, "event": nil}
	if fmt.Sprint(a.Labels) != fmt.Sprint(want) {
		t.Errorf("created labels: got %v, want %v", a.Labels, want)
	}
	if n := e.history(p); n != 1 {
		t.Errorf("history after create: got %d, want 1", n)
	}
	e.must("ann1", "PUT", path, map[string]any{"version": 1, "labels": apiLabels("discuss", "strike")}, 200, &a)
	if a.Version != 2 {
		t.Errorf("updated: got version %d, want 2", a.Version)
	}
	if n := e.history(p); n != 2 {
		t.Errorf("history after update: got %d, want 2", n)
	}

	// A stale version with other labels: 409 and the stored annotation.
	got, body := e.do("ann1", "PUT", path, map[string]any{"version": 1, "labels": apiLabels("unrelated", "media")})
	if got != 409 {
		t.Fatalf("stale PUT: got %d, want 409; body: %s", got, body)
	}
	er := apiDecodeError(t, body)
	var cur apiAnnotation
	if err := json.Unmarshal(er.Error.Current, &cur); err != nil {
		t.Fatalf("error.current is not an annotation: %v: %s", err, body)
	}
	if cur.Version != 2 || cur.Labels["stance"] != "discuss" || fmt.Sprint(cur.Labels["topic"]) != "[strike]" {
		t.Errorf("error.current: got %+v, want version 2 with stance discuss and topic [strike]", cur)
	}
	if _, ok := cur.Labels["event"]; !ok {
		t.Errorf("error.current labels are not in the encoded shape (no event key): %v", cur.Labels)
	}

	// A retry of the last save with its stale version: 200, nothing written.
	e.must("ann1", "PUT", path, map[string]any{"version": 1, "labels": apiLabels("discuss", "strike")}, 200, &a)
	if a.Version != 2 {
		t.Errorf("idempotent retry: got version %d, want 2", a.Version)
	}
	if n := e.history(p); n != 2 {
		t.Errorf("history after idempotent retry: got %d, want 2", n)
	}
	// The same for a retried create.
	q := fmt.Sprintf("/api/v1/paragraphs/%d/annotation", ids[1])
	e.must("ann1", "PUT", q, map[string]any{"version": 0, "labels": apiLabels("agree", "strike")}, 201, nil)
	e.must("ann1", "PUT", q, map[string]any{"version": 0, "labels": apiLabels("agree", "strike")}, 200, nil)
	if n := e.history(ids[1]); n != 1 {
		t.Errorf("history after a retried create: got %d, want 1", n)
	}

	// Delete needs the stored version.
	if got, _ := e.do("ann1", "DELETE", path+"?version=1", nil); got != 409 {
		t.Errorf("delete with a stale version: got %d, want 409", got)
	}
	if got, _ := e.do("ann1", "DELETE", path, nil); got != 400 {
		t.Errorf("delete without a version: got %d, want 400", got)
	}
	e.must("ann1", "DELETE", path+"?version=2", nil, 204, nil)
	e.must("ann1", "GET", path, nil, 404, nil)
	if n := e.history(p); n != 3 {
		t.Errorf("history after delete: got %d, want 3", n)
	}
}

// TestAPIHistoryRows checks that every accepted write adds exactly one
// history row for its paragraph and every refused one adds none.
func TestAPIHistoryRows(t *testing.T) {
	e := newAPIEnv(t)
	_, ids := e.paragraphs()
	p := ids[4]
	base := fmt.Sprintf("/api/v1/paragraphs/%d", p)
	steps := []struct {
		user, method, path string
		body               any
		status, rows       int
	}{
		{"ann1", "PUT", base + "/annotation", map[string]any{"version": 0, "labels": apiLabels("agree", "strike")}, 201, 1},
		{"ann1", "PUT", base + "/annotation", map[string]any{"version": 1, "labels": apiLabels("disagree", "strike")}, 200, 2},
		{"ann1", "PUT", base + "/annotation", map[string]any{"version": 1, "labels": apiLabels("unrelated", "strike")}, 409, 2},
		{"ann1", "PUT", base + "/annotation", map[string]any{"version": 2, "labels": map[string]any{"stance": "nope"}}, 400, 2},
		{"ann2", "POST", base + "/skip", map[string]any{"reason": "too long"}, 200, 3},
		{"ann2", "DELETE", base + "/skip", nil, 204, 4},
		{"ann2", "POST", base + "/skip", map[string]any{"reason": ""}, 400, 4},
		{"ann2", "POST", base + "/notes", map[string]any{"body": "odd wording"}, 201, 5},
		{"ann2", "POST", base + "/flags", map[string]any{"kind": "boilerplate", "reason": "footer"}, 201, 6},
		{"ann2", "POST", base + "/flags", map[string]any{"kind": "spam"}, 400, 6},
		{"rev", "PUT", base + "/gold", map[string]any{"version": 0, "labels": apiLabels("disagree", "strike")}, 200, 7},
		{"ann1", "DELETE", base + "/annotation?version=2", nil, 204, 8},
	}
	for _, s := range steps {
		got, body := e.do(s.user, s.method, s.path, s.body)
		if got != s.status {
			t.Fatalf("%s %s as %s: got %d, want %d; body: %s", s.method, s.path, s.user, got, s.status, body)
		}
		if n := e.history(p); n != s.rows {
			t.Errorf("after %s %s (%d): got %d history rows, want %d", s.method, s.path, got, n, s.rows)
		}
	}
	var flags struct {
		Curations []struct {
			ID int64 `json:"id"`
		} `json:"curations"`
	}
	e.must("rev", "GET", "/api/v1/curations?status=suggested&kind=boilerplate", nil, 200, &flags)
	var fid int64
	for _, c := range flags.Curations {
		fid = max(fid, c.ID)
	}
	var changed struct {
		Changed int `json:"changed"`
	}
	e.must("rev", "POST", "/api/v1/curations/decide", map[string]any{"ids": []int64{fid}, "status": "confirmed"}, 200, &changed)
	if changed.Changed != 1 {
		t.Errorf("decide: got changed %d, want 1", changed.Changed)
	}
	if n := e.history(p); n != 9 {
		t.Errorf("after deciding the flag: got %d history rows, want 9", n)
	}
	var hist struct {
		History []struct {
			Action string `json:"action"`
			UserID int64  `json:"user_id"`
		} `json:"history"`
	}
	e.must("rev", "GET", base+"/history", nil, 200, &hist)
	if len(hist.History) != 9 || hist.History[8].Action != "confirmed" || hist.History[8].UserID != e.users["rev"].ID {
		t.Errorf("history through the API: got %+v, want 9 rows ending with the reviewer's confirmation", hist.History)
	}
}
