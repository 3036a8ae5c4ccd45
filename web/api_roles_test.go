package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestAPIRoles checks every route for each role: anonymous callers get 401,
// roles below the route's get 403, the others its answer. Rows run in order
// and some build on earlier ones (a GET after a PUT).
func TestAPIRoles(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	doc, ids := e.paragraphs()
	p, skipP, flagP := ids[0], ids[1], ids[2]
	spare, _, err := e.store.CreateToken(ctx, e.users["ann2"].ID, "spare")
	_ = spare
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := e.store.Tokens(ctx, e.users["ann2"].ID)
	if err != nil {
		t.Fatal(err)
	}
	spareID := tokens[len(tokens)-1].ID
	flag, err := e.store.Flag(ctx, e.users["rev"].ID, flagP, "duplicate", "seen before")
	if err != nil {
		t.Fatal(err)
	}
	schemaYAML := string(apiSchemaYAML(t, e))
	ann2 := e.users["ann2"].ID
	labels := apiLabels("agree", "strike")

	// want holds the status for anonymous, annotator, reviewer and admin.
	type row struct {
		method, path string
		body         any
		want         [4]int
	}
	rows := []row{
		{"GET", "/healthz", nil, [4]int{200, 200, 200, 200}},
		{"GET", "/api/v1/me", nil, [4]int{401, 200, 200, 200}},
		{"GET", "/api/v1/documents", nil, [4]int{401, 200, 200, 200}},
		{"GET", fmt.Sprintf("/api/v1/documents/%d", doc), nil, [4]int{401, 200, 200, 200}},
		{"GET", fmt.Sprintf("/api/v1/documents/%d/paragraphs", doc), nil, [4]int{401, 200, 200, 200}},
		{"GET", "/api/v1/queue/next?limit=5", nil, [4]int{401, 200, 200, 200}},
		{"GET", "/api/v1/schema", nil, [4]int{401, 200, 200, 200}},
		{"GET", "/api/v1/schema/label-studio", nil, [4]int{401, 200, 200, 200}},
		{"GET", "/api/v1/schema/versions", nil, [4]int{401, 403, 403, 200}},
		{"POST", "/api/v1/schema", map[string]any{"yaml": schemaYAML}, [4]int{401, 403, 403, 200}},
		{"GET", fmt.Sprintf("/api/v1/paragraphs/%d", p), nil, [4]int{401, 200, 200, 200}},
		{"GET", fmt.Sprintf("/api/v1/paragraphs/%d/annotation", p), nil, [4]int{401, 404, 404, 404}},
		{"PUT", fmt.Sprintf("/api/v1/paragraphs/%d/annotation", p), map[string]any{"version": 0, "labels": labels}, [4]int{401, 201, 201, 201}},
		{"GET", fmt.Sprintf("/api/v1/paragraphs/%d/annotation", p), nil, [4]int{401, 200, 200, 200}},
		{"GET", fmt.Sprintf("/api/v1/paragraphs/%d/annotations", p), nil, [4]int{401, 403, 200, 200}},
		{"GET", fmt.Sprintf("/api/v1/paragraphs/%d/history", p), nil, [4]int{401, 403, 200, 200}},
		{"PUT", fmt.Sprintf("/api/v1/paragraphs/%d/gold", p), map[string]any{"version": 0, "labels": labels}, [4]int{401, 403, 200, 200}},
		{"GET", fmt.Sprintf("/api/v1/paragraphs/%d/gold", p), nil, [4]int{401, 403, 200, 200}},
		{"DELETE", fmt.Sprintf("/api/v1/paragraphs/%d/annotation?version=1", p), nil, [4]int{401, 204, 204, 204}},
		{"POST", fmt.Sprintf("/api/v1/paragraphs/%d/skip", skipP), map[string]any{"reason": "unclear"}, [4]int{401, 200, 200, 200}},
		{"DELETE", fmt.Sprintf("/api/v1/paragraphs/%d/skip", skipP), nil, [4]int{401, 204, 204, 204}},
		{"POST", fmt.Sprintf("/api/v1/paragraphs/%d/notes", p), map[string]any{"body": "a note"}, [4]int{401, 201, 201, 201}},
		{"GET", fmt.Sprintf("/api/v1/paragraphs/%d/notes", p), nil, [4]int{401, 200, 200, 200}},
		{"POST", fmt.Sprintf("/api/v1/paragraphs/%d/flags", flagP), map[string]any{"kind": "boilerplate"}, [4]int{401, 201, 201, 201}},
		{"GET", "/api/v1/curations?status=suggested", nil, [4]int{401, 403, 200, 200}},
		{"POST", "/api/v1/curations/decide", map[string]any{"ids": []int64{flag.ID}, "status": "dismissed"}, [4]int{401, 200, 200, 200}},
		{"GET", "/api/v1/users", nil, [4]int{401, 403, 403, 200}},
		{"POST", "/api/v1/users", map[string]any{"name": "newbie", "role": "annotator"}, [4]int{401, 403, 403, 201}},
		{"PATCH", fmt.Sprintf("/api/v1/users/%d", ann2), map[string]any{"role": "annotator"}, [4]int{401, 403, 403, 200}},
		{"GET", fmt.Sprintf("/api/v1/users/%d/tokens", ann2), nil, [4]int{401, 403, 403, 200}},
		{"DELETE", fmt.Sprintf("/api/v1/users/%d/tokens/%d", ann2, spareID), nil, [4]int{401, 403, 403, 204}},
		{"POST", "/api/v1/tokens", map[string]any{"name": "script"}, [4]int{401, 201, 201, 201}},
		{"GET", "/api/v1/tokens", nil, [4]int{401, 200, 200, 200}},
		{"GET", "/api/v1/settings", nil, [4]int{401, 200, 200, 200}},
		{"PUT", "/api/v1/settings", map[string]any{"overlap": 3}, [4]int{401, 403, 403, 200}},
		{"POST", "/api/v1/import", nil, [4]int{401, 403, 403, 400}},
		{"GET", "/api/v1/no-such-thing", nil, [4]int{404, 404, 404, 404}},
		{"POST", "/api/v1/logout", nil, [4]int{204, 204, 204, 204}},
	}
	callers := []string{"", "ann1", "rev", "admin"}
	for _, r := range rows {
		for i, who := range callers {
			got, body := e.do(who, r.method, r.path, r.body)
			if got != r.want[i] {
				t.Errorf("%s %s as %q: got %d, want %d; body: %s", r.method, r.path, who, got, r.want[i], body)
				continue
			}
			if got >= 400 {
				apiDecodeError(t, body)
			}
		}
	}
}

// TestAPIBlindAnnotation checks that an annotator never sees another
// annotator's labels or notes, by any route.
func TestAPIBlindAnnotation(t *testing.T) {
	e := newAPIEnv(t)
	doc, ids := e.paragraphs()
	p := ids[3]
	// ann2 labels p with values nobody else used; ann1 never labels it.
	secret := map[string]any{"stance": "disagree", "topic": []string{"justice"}, "event": "kourani-sentencing"}
	e.must("ann2", "PUT", fmt.Sprintf("/api/v1/paragraphs/%d/annotation", p), map[string]any{"version": 0, "labels": secret}, 201, nil)
	e.must("ann2", "POST", fmt.Sprintf("/api/v1/paragraphs/%d/notes", p), map[string]any{"body": "ann2-private-remark"}, 201, nil)
	e.must("ann1", "POST", fmt.Sprintf("/api/v1/paragraphs/%d/notes", p), map[string]any{"body": "ann1-own-remark"}, 201, nil)

	paths := []string{
		"/api/v1/documents",
		fmt.Sprintf("/api/v1/documents/%d", doc),
		fmt.Sprintf("/api/v1/documents/%d/paragraphs", doc),
		fmt.Sprintf("/api/v1/queue/next?limit=100&document=%d", doc),
		fmt.Sprintf("/api/v1/paragraphs/%d", p),
		fmt.Sprintf("/api/v1/paragraphs/%d/annotation", p),
		fmt.Sprintf("/api/v1/paragraphs/%d/annotations", p),
		fmt.Sprintf("/api/v1/paragraphs/%d/history", p),
		fmt.Sprintf("/api/v1/paragraphs/%d/gold", p),
		fmt.Sprintf("/api/v1/paragraphs/%d/notes", p),
		"/api/v1/curations",
	}
	for _, path := range paths {
		_, body := e.do("ann1", "GET", path, nil)
		for _, leak := range []string{`"disagree"`, `"justice"`, `"kourani-sentencing"`, "ann2-private-remark"} {
			if strings.Contains(string(body), leak) {
				t.Errorf("GET %s as ann1 shows %s: %s", path, leak, body)
			}
		}
	}
	if got, body := e.do("ann1", "GET", fmt.Sprintf("/api/v1/paragraphs/%d/annotations", p), nil); got != 403 {
		t.Errorf("annotator asking for everyone's labels: got %d, want 403; body: %s", got, body)
	}
	if got, _ := e.do("ann1", "GET", fmt.Sprintf("/api/v1/paragraphs/%d/annotation", p), nil); got != 404 {
		t.Errorf("annotator asking for own labels of a paragraph they did not label: got %d, want 404", got)
	}
	notes := e.must("ann1", "GET", fmt.Sprintf("/api/v1/paragraphs/%d/notes", p), nil, 200, nil)
	if !strings.Contains(string(notes), "ann1-own-remark") {
		t.Errorf("annotator's notes lack their own note: %s", notes)
	}
	// A reviewer sees both the labels and both notes.
	var all struct {
		Annotations []struct {
			UserName string         `json:"user_name"`
			Labels   map[string]any `json:"labels"`
		} `json:"annotations"`
	}
	e.must("rev", "GET", fmt.Sprintf("/api/v1/paragraphs/%d/annotations", p), nil, 200, &all)
	if len(all.Annotations) != 1 || all.Annotations[0].UserName != "ann2" || all.Annotations[0].Labels["event"] != "kourani-sentencing" {
		t.Errorf("reviewer's view of the annotations: got %+v, want ann2's with event kourani-sentencing", all.Annotations)
	}
	revNotes := string(e.must("rev", "GET", fmt.Sprintf("/api/v1/paragraphs/%d/notes", p), nil, 200, nil))
	if !strings.Contains(revNotes, "ann2-private-remark") || !strings.Contains(revNotes, "ann1-own-remark") {
		t.Errorf("reviewer's notes: got %s, want both annotators' notes", revNotes)
	}
}

func apiSchemaYAML(t *testing.T, e *apiEnv) []byte {
	t.Helper()
	sc, err := e.store.Schema(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return sc.YAML()
}
