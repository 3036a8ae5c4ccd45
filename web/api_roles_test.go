package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"concord/annotate"
	"concord/web"
)

// TestAPIRoles checks every route for each role: anonymous callers get 401
// (pages they can open after logging in send them to the login page, 303),
// roles below the route's get 403, the others its answer. Rows run in order
// and some build on earlier ones (a GET after a PUT). The test fails when
// a route has no row, so a new route cannot miss the check.
func TestAPIRoles(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	doc, ids := e.paragraphs()
	p, skipP, flagP := ids[0], ids[1], ids[2]
	_, _, err := e.store.CreateToken(ctx, e.users["ann2"].ID, "spare")
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := tokensOf(e.store, ctx, e.users["ann2"].ID)
	if err != nil {
		t.Fatal(err)
	}
	spareID := tokens[len(tokens)-1].ID
	flag, err := e.store.Flag(ctx, e.users["rev"].ID, flagP, "duplicate", "seen before")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.SaveAnnotation(ctx, e.users["ann2"].ID, ids[4], 0, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}, "event": {"a-typed-event"}}); err != nil {
		t.Fatal(err)
	}
	typedPage, err := e.store.OpenValueReviews(ctx, annotate.OpenValueFilter{})
	if err != nil || len(typedPage.Values) != 1 {
		t.Fatalf("typed values: %v %v", typedPage, err)
	}
	typed := typedPage.Values
	schemaYAML := string(apiSchemaYAML(t, e))
	ann2 := e.users["ann2"].ID
	labels := apiLabels("agree", "strike")
	form := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}

	// want holds the status for anonymous, annotator, reviewer and admin;
	// route is the pattern the row checks.
	type row struct {
		method, route, path string
		body                any
		want                [4]int
	}
	rows := []row{
		{"GET", "/healthz", "/healthz", nil, [4]int{200, 200, 200, 200}},
		{"GET", "/static/:file", "/static/app.css", nil, [4]int{200, 200, 200, 200}},
		{"HEAD", "/static/:file", "/static/app.css", nil, [4]int{200, 200, 200, 200}},
		{"GET", "/api/v1/me", "/api/v1/me", nil, [4]int{401, 200, 200, 200}},
		{"GET", "/api/v1/documents", "/api/v1/documents", nil, [4]int{401, 200, 200, 200}},
		{"GET", "/api/v1/documents/:id", fmt.Sprintf("/api/v1/documents/%d", doc), nil, [4]int{401, 200, 200, 200}},
		{"GET", "/api/v1/documents/:id/paragraphs", fmt.Sprintf("/api/v1/documents/%d/paragraphs", doc), nil, [4]int{401, 200, 200, 200}},
		{"GET", "/api/v1/queue/next", "/api/v1/queue/next?limit=5", nil, [4]int{401, 200, 200, 200}},
		{"GET", "/api/v1/schema", "/api/v1/schema", nil, [4]int{401, 200, 200, 200}},
		{"GET", "/api/v1/schema/label-studio", "/api/v1/schema/label-studio", nil, [4]int{401, 200, 200, 200}},
		{"GET", "/api/v1/schema/versions", "/api/v1/schema/versions", nil, [4]int{401, 403, 403, 200}},
		{"POST", "/api/v1/schema", "/api/v1/schema", map[string]any{"yaml": schemaYAML}, [4]int{401, 403, 403, 200}},
		{"GET", "/api/v1/schema/open-values", "/api/v1/schema/open-values", nil, [4]int{401, 403, 200, 200}},
		{"GET", "/api/v1/schema/open-values/suggest", "/api/v1/schema/open-values/suggest?dimension=event&q=a", nil, [4]int{401, 200, 200, 200}},
		{"POST", "/api/v1/schema/open-values/decide", "/api/v1/schema/open-values/decide", map[string]any{"ids": []int64{typed[0].ID}, "status": "accepted"}, [4]int{401, 403, 200, 200}},
		{"GET", "/api/v1/paragraphs/:id", fmt.Sprintf("/api/v1/paragraphs/%d", p), nil, [4]int{401, 200, 200, 200}},
		{"GET", "/api/v1/paragraphs/:id/annotation", fmt.Sprintf("/api/v1/paragraphs/%d/annotation", p), nil, [4]int{401, 404, 404, 404}},
		{"PUT", "/api/v1/paragraphs/:id/annotation", fmt.Sprintf("/api/v1/paragraphs/%d/annotation", p), map[string]any{"version": 0, "labels": labels}, [4]int{401, 201, 201, 201}},
		{"GET", "/api/v1/paragraphs/:id/annotation", fmt.Sprintf("/api/v1/paragraphs/%d/annotation", p), nil, [4]int{401, 200, 200, 200}},
		{"GET", "/api/v1/paragraphs/:id/annotations", fmt.Sprintf("/api/v1/paragraphs/%d/annotations", p), nil, [4]int{401, 403, 200, 200}},
		{"GET", "/api/v1/paragraphs/:id/history", fmt.Sprintf("/api/v1/paragraphs/%d/history", p), nil, [4]int{401, 403, 200, 200}},
		{"PUT", "/api/v1/paragraphs/:id/gold", fmt.Sprintf("/api/v1/paragraphs/%d/gold", p), map[string]any{"version": 0, "labels": labels}, [4]int{401, 403, 200, 200}},
		{"GET", "/api/v1/paragraphs/:id/gold", fmt.Sprintf("/api/v1/paragraphs/%d/gold", p), nil, [4]int{401, 403, 200, 200}},
		{"DELETE", "/api/v1/paragraphs/:id/annotation", fmt.Sprintf("/api/v1/paragraphs/%d/annotation?version=1", p), nil, [4]int{401, 204, 204, 204}},
		{"POST", "/api/v1/paragraphs/:id/skip", fmt.Sprintf("/api/v1/paragraphs/%d/skip", skipP), map[string]any{"reason": "unclear"}, [4]int{401, 200, 200, 200}},
		{"DELETE", "/api/v1/paragraphs/:id/skip", fmt.Sprintf("/api/v1/paragraphs/%d/skip", skipP), nil, [4]int{401, 204, 204, 204}},
		{"POST", "/api/v1/paragraphs/:id/notes", fmt.Sprintf("/api/v1/paragraphs/%d/notes", p), map[string]any{"body": "a note"}, [4]int{401, 201, 201, 201}},
		{"GET", "/api/v1/paragraphs/:id/notes", fmt.Sprintf("/api/v1/paragraphs/%d/notes", p), nil, [4]int{401, 200, 200, 200}},
		{"POST", "/api/v1/paragraphs/:id/flags", fmt.Sprintf("/api/v1/paragraphs/%d/flags", flagP), map[string]any{"kind": "boilerplate"}, [4]int{401, 201, 201, 201}},
		{"GET", "/api/v1/curations", "/api/v1/curations?status=suggested", nil, [4]int{401, 403, 200, 200}},
		{"POST", "/api/v1/curations/decide", "/api/v1/curations/decide", map[string]any{"ids": []int64{flag.ID}, "status": "dismissed"}, [4]int{401, 403, 200, 200}},
		{"GET", "/api/v1/agreement", "/api/v1/agreement", nil, [4]int{401, 403, 200, 200}},
		{"GET", "/api/v1/agreement/confusion", "/api/v1/agreement/confusion?dimension=stance", nil, [4]int{401, 403, 400, 400}},
		{"GET", "/api/v1/adjudication", "/api/v1/adjudication", nil, [4]int{401, 403, 200, 200}},
		{"GET", "/api/v1/consensus", "/api/v1/consensus", nil, [4]int{401, 403, 200, 200}},
		{"GET", "/api/v1/export", "/api/v1/export?format=jsonl", nil, [4]int{401, 403, 200, 200}},
		{"GET", "/api/v1/users", "/api/v1/users", nil, [4]int{401, 403, 403, 200}},
		{"POST", "/api/v1/users", "/api/v1/users", map[string]any{"name": "newbie", "role": "annotator"}, [4]int{401, 403, 403, 201}},
		{"PATCH", "/api/v1/users/:id", fmt.Sprintf("/api/v1/users/%d", ann2), map[string]any{"role": "annotator"}, [4]int{401, 403, 403, 200}},
		{"GET", "/api/v1/users/:id/tokens", fmt.Sprintf("/api/v1/users/%d/tokens", ann2), nil, [4]int{401, 403, 403, 200}},
		{"DELETE", "/api/v1/users/:id/tokens/:token_id", fmt.Sprintf("/api/v1/users/%d/tokens/%d", ann2, spareID), nil, [4]int{401, 403, 403, 204}},
		{"POST", "/api/v1/tokens", "/api/v1/tokens", map[string]any{"name": "script"}, [4]int{401, 201, 201, 201}},
		{"GET", "/api/v1/tokens", "/api/v1/tokens", nil, [4]int{401, 200, 200, 200}},
		{"DELETE", "/api/v1/tokens/:token_id", "/api/v1/tokens/999999", nil, [4]int{401, 404, 404, 404}},
		{"GET", "/api/v1/settings", "/api/v1/settings", nil, [4]int{401, 200, 200, 200}},
		{"PUT", "/api/v1/settings", "/api/v1/settings", map[string]any{"overlap": 3}, [4]int{401, 403, 403, 200}},
		{"POST", "/api/v1/import", "/api/v1/import", nil, [4]int{401, 403, 403, 400}},
		{"POST", "/api/v1/suggestions", "/api/v1/suggestions", map[string]any{"suggestions": []map[string]any{{"paragraph_id": p, "dimension": "stance", "value": "agree", "score": 0.5, "agent": "m@1"}}}, [4]int{401, 403, 200, 200}},
		{"GET", "/api/v1/suggestions", "/api/v1/suggestions", nil, [4]int{401, 403, 200, 200}},
		{"GET", "/api/v1/suggestions/accept-rates", "/api/v1/suggestions/accept-rates", nil, [4]int{401, 403, 200, 200}},
		{"GET", "/api/v1/paragraphs/:id/suggestions", fmt.Sprintf("/api/v1/paragraphs/%d/suggestions", p), nil, [4]int{401, 200, 200, 200}},
		{"POST", "/api/v1/model/train", "/api/v1/model/train", map[string]any{"dimension": "no-such-dimension"}, [4]int{401, 403, 403, 400}},
		{"GET", "/api/v1/model/runs", "/api/v1/model/runs", nil, [4]int{401, 403, 200, 200}},
		{"GET", "/api/v1/label-errors", "/api/v1/label-errors?dimension=stance", nil, [4]int{401, 403, 404, 404}},
		{"GET", "", "/api/v1/no-such-thing", nil, [4]int{404, 404, 404, 404}},

		// Pages.
		{"GET", "/login", "/login", nil, [4]int{200, 303, 303, 303}},
		{"GET", "/", "/", nil, [4]int{303, 200, 200, 200}},
		{"GET", "/annotate", "/annotate", nil, [4]int{303, 200, 200, 200}},
		{"GET", "/account", "/account", nil, [4]int{303, 200, 200, 200}},
		{"POST", "/account/password", "/account/password", form(), [4]int{401, 400, 400, 400}},
		{"POST", "/account/tokens", "/account/tokens", form("name", "page token"), [4]int{401, 201, 201, 201}},
		{"POST", "/account/tokens/:token_id/revoke", "/account/tokens/999999/revoke", form(), [4]int{401, 404, 404, 404}},
		{"GET", "/review", "/review", nil, [4]int{303, 403, 200, 200}},
		{"GET", "/review/documents/:id", fmt.Sprintf("/review/documents/%d", doc), nil, [4]int{303, 403, 200, 200}},
		{"GET", "/agreement", "/agreement", nil, [4]int{303, 403, 200, 200}},
		{"GET", "/adjudicate", "/adjudicate", nil, [4]int{303, 403, 200, 200}},
		{"GET", "/export", "/export", nil, [4]int{303, 403, 200, 200}},
		{"GET", "/export/download", "/export/download?format=jsonl", nil, [4]int{303, 403, 200, 200}},
		{"GET", "/admin", "/admin", nil, [4]int{303, 403, 403, 303}},
		{"GET", "/admin/users", "/admin/users", nil, [4]int{303, 403, 403, 200}},
		{"POST", "/admin/users", "/admin/users", form(), [4]int{401, 403, 403, 400}},
		{"GET", "/admin/users/:id", fmt.Sprintf("/admin/users/%d", ann2), nil, [4]int{303, 403, 403, 200}},
		{"POST", "/admin/users/:id/role", fmt.Sprintf("/admin/users/%d/role", ann2), form("role", "annotator"), [4]int{401, 403, 403, 303}},
		{"POST", "/admin/users/:id/password", fmt.Sprintf("/admin/users/%d/password", ann2), form(), [4]int{401, 403, 403, 200}},
		{"POST", "/admin/users/:id/tokens/:token_id/revoke", fmt.Sprintf("/admin/users/%d/tokens/999999/revoke", ann2), form(), [4]int{401, 403, 403, 404}},
		{"GET", "/admin/import", "/admin/import", nil, [4]int{303, 403, 403, 200}},
		{"POST", "/admin/import", "/admin/import", form(), [4]int{401, 403, 403, 400}},
		{"GET", "/admin/schema", "/admin/schema", nil, [4]int{303, 403, 200, 200}},
		{"POST", "/admin/schema", "/admin/schema", form(), [4]int{401, 403, 403, 400}},
		{"POST", "/admin/schema/values", "/admin/schema/values", form("ids", fmt.Sprint(typed[0].ID), "decision", "pending"), [4]int{401, 403, 303, 303}},
		{"GET", "/admin/settings", "/admin/settings", nil, [4]int{303, 403, 403, 200}},
		{"POST", "/admin/settings", "/admin/settings", form("overlap", "3"), [4]int{401, 403, 403, 303}},
		{"POST", "/admin/settings/suggestions", "/admin/settings/suggestions", form("suggestions", "hint"), [4]int{401, 403, 403, 303}},
		{"POST", "/admin/settings/queue-order", "/admin/settings/queue-order", form("queue_order", "reading"), [4]int{401, 403, 403, 303}},
		{"GET", "/admin/model-server", "/admin/model-server", nil, [4]int{303, 403, 403, 200}},
		{"GET", "/api/v1/admin/model-server", "/api/v1/admin/model-server", nil, [4]int{401, 403, 403, 200}},
		{"GET", "/admin/model", "/admin/model", nil, [4]int{303, 403, 403, 200}},
		{"POST", "/admin/model/train", "/admin/model/train", form("dimension", "no-such-dimension"), [4]int{401, 403, 403, 400}},
		{"POST", "/admin/model/settings", "/admin/model/settings", form("train_every", "50"), [4]int{401, 403, 403, 303}},
		{"GET", "/review/label-errors", "/review/label-errors", nil, [4]int{303, 403, 200, 200}},
		{"GET", "/admin/curation", "/admin/curation", nil, [4]int{303, 403, 403, 200}},
		{"POST", "/admin/curation", "/admin/curation", form("ids", fmt.Sprint(flag.ID), "decision", "dismissed"), [4]int{401, 403, 403, 303}},
		{"POST", "/login", "/login", form("name", "", "password", ""), [4]int{400, 400, 400, 400}},
		{"POST", "/api/v1/login", "/api/v1/login", map[string]any{"name": "", "password": ""}, [4]int{400, 400, 400, 400}},
		{"POST", "/logout", "/logout", form(), [4]int{303, 303, 303, 303}},
		{"POST", "/api/v1/logout", "/api/v1/logout", nil, [4]int{204, 204, 204, 204}},
	}
	covered := map[string]bool{}
	callers := []string{"", "ann1", "rev", "admin"}
	for _, r := range rows {
		covered[r.method+" "+r.route] = true
		for i, who := range callers {
			got, body := e.doNoRedirect(who, r.method, r.path, r.body)
			if got != r.want[i] {
				t.Errorf("%s %s as %q: got %d, want %d; body: %.300s", r.method, r.path, who, got, r.want[i], body)
				continue
			}
			if got >= 400 && strings.HasPrefix(r.path, "/api/") {
				apiDecodeError(t, body)
			}
		}
	}
	for _, rt := range web.New(e.store, web.Config{}).Routes() {
		if !covered[rt.Method+" "+rt.Path] {
			t.Errorf("route %s %s has no row in the role matrix", rt.Method, rt.Path)
		}
	}
}

// doNoRedirect sends a request as user, as do does, without following a
// redirect; a url.Values body is sent as a form.
func (e *apiEnv) doNoRedirect(user, method, path string, body any) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	ct := "application/json"
	if f, ok := body.(url.Values); ok {
		rd, ct = strings.NewReader(f.Encode()), "application/x-www-form-urlencoded"
	} else {
		rd = apiBody(e.t, body)
	}
	req, err := http.NewRequest(method, e.server.URL+path, rd)
	if err != nil {
		e.t.Fatalf("new request: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", ct)
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[user])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return apiSend(e.t, client, req)
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
