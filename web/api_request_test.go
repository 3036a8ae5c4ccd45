package web_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"concord/web"
)

// TestAPIBadRequests checks the answers to malformed requests: each is a
// JSON error with the right status, naming the field where there is one.
func TestAPIBadRequests(t *testing.T) {
	e := newAPIEnvConfig(t, web.Config{MaxBodyBytes: 1024})
	_, ids := e.paragraphs()
	note := fmt.Sprintf("/api/v1/paragraphs/%d/notes", ids[0])
	tests := []struct {
		name, method, path string
		body               any
		status             int
		field, message     string
	}{
		{"body too large", "POST", note, `{"body":"` + strings.Repeat("x", 2000) + `"}`, 413, "", "larger than"},
		{"unknown field", "POST", note, `{"body":"hi","colour":"red"}`, 400, "colour", "unknown field"},
		{"not JSON", "POST", note, `{"body":`, 400, "body", "not valid JSON"},
		{"syntax error", "POST", note, `{"body" "hi"}`, 400, "body", "not valid JSON"},
		{"trailing data", "POST", note, `{"body":"hi"} {"body":"again"}`, 400, "body", "after the JSON object"},
		{"empty body", "POST", note, "", 400, "body", "empty"},
		{"wrong type", "POST", note, `{"body":42}`, 400, "body", "must be a string"},
		{"array instead of object", "POST", note, `[1,2]`, 400, "body", "JSON object"},
		{"bad id", "GET", "/api/v1/paragraphs/abc", nil, 400, "id", "positive integers"},
		{"zero id", "GET", "/api/v1/documents/0/paragraphs", nil, 400, "id", "positive integers"},
		{"negative token id", "DELETE", "/api/v1/tokens/-3", nil, 400, "token_id", "positive integers"},
		{"missing paragraph", "GET", "/api/v1/paragraphs/99999", nil, 404, "", "no paragraph"},
		{"unknown route", "GET", "/api/v1/nothing/here", nil, 404, "", "no such page or endpoint"},
		{"wrong method", "PATCH", "/api/v1/documents", nil, 405, "", "not allowed"},
		{"limit out of range", "GET", "/api/v1/queue/next?limit=500", nil, 400, "limit", "1 to 100"},
		{"bad exclude", "GET", "/api/v1/queue/next?exclude=1,x", nil, 400, "exclude", "not a valid id"},
		{"unknown curation status", "GET", "/api/v1/curations?status=maybe", nil, 400, "status", "unknown status"},
		{"unknown flag kind", "POST", fmt.Sprintf("/api/v1/paragraphs/%d/flags", ids[0]), `{"kind":"spam"}`, 400, "kind", "unknown flag"},
		{"overlap out of range", "PUT", "/api/v1/settings", `{"overlap":0}`, 400, "overlap", "between 1 and 50"},
		{"unknown role", "POST", "/api/v1/users", `{"name":"x","role":"boss"}`, 400, "role", "unknown role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, body := e.do("admin", tt.method, tt.path, tt.body)
			if got != tt.status {
				t.Fatalf("status: got %d, want %d; body: %s", got, tt.status, body)
			}
			er := apiDecodeError(t, body)
			if er.Error.Field != tt.field {
				t.Errorf("field: got %q, want %q", er.Error.Field, tt.field)
			}
			if !strings.Contains(er.Error.Message, tt.message) {
				t.Errorf("message: got %q, want it to contain %q", er.Error.Message, tt.message)
			}
		})
	}
	// An unknown field names the fields that are known.
	_, body := e.do("admin", "POST", note, `{"body":"hi","colour":"red"}`)
	if got := apiDecodeError(t, body).Error.Allowed; fmt.Sprint(got) != "[body]" {
		t.Errorf("allowed for an unknown field: got %v, want [body]", got)
	}
}

// TestAPIDocumentShapes checks that embedded types show their fields at the
// top level of their JSON objects.
func TestAPIDocumentShapes(t *testing.T) {
	e := newAPIEnv(t)
	doc, ids := e.paragraphs()
	e.must("ann1", "PUT", fmt.Sprintf("/api/v1/paragraphs/%d/annotation", ids[0]), map[string]any{"version": 0, "labels": apiLabels("agree", "strike")}, 201, nil)

	var list struct {
		Documents []map[string]any `json:"documents"`
		Overlap   int              `json:"overlap"`
	}
	e.must("ann1", "GET", "/api/v1/documents", nil, 200, &list)
	if list.Overlap != 2 || len(list.Documents) != 2 {
		t.Fatalf("documents: got overlap %d and %d documents, want 2 and 2", list.Overlap, len(list.Documents))
	}
	d := list.Documents[0]
	for _, k := range []string{"id", "key", "title", "revision", "paragraphs", "done", "mine", "skipped", "annotations", "excluded"} {
		if _, ok := d[k]; !ok {
			t.Errorf("document progress lacks top-level %q: %v", k, d)
		}
	}
	if _, ok := d["Document"]; ok {
		t.Errorf("document progress nests its document: %v", d)
	}
	if d["mine"] != 1.0 || d["annotations"] != 1.0 {
		t.Errorf("progress: got mine %v annotations %v, want 1 and 1", d["mine"], d["annotations"])
	}

	var ps struct {
		Document   map[string]any   `json:"document"`
		Paragraphs []map[string]any `json:"paragraphs"`
	}
	e.must("ann1", "GET", fmt.Sprintf("/api/v1/documents/%d/paragraphs", doc), nil, 200, &ps)
	if ps.Document["id"] != float64(doc) || len(ps.Paragraphs) != len(ids) {
		t.Fatalf("paragraphs: got document %v and %d paragraphs, want %d and %d", ps.Document["id"], len(ps.Paragraphs), doc, len(ids))
	}
	first := ps.Paragraphs[0]
	for _, k := range []string{"id", "text", "position", "labelled", "skipped", "annotators", "flags"} {
		if _, ok := first[k]; !ok {
			t.Errorf("paragraph status lacks top-level %q: %v", k, first)
		}
	}
	if first["labelled"] != true || first["annotators"] != 1.0 {
		t.Errorf("first paragraph: got labelled %v annotators %v, want true and 1", first["labelled"], first["annotators"])
	}
	if _, ok := first["labels"]; ok {
		t.Errorf("paragraph status carries labels: %v", first)
	}

	var pc struct {
		Paragraph map[string]any  `json:"paragraph"`
		Document  map[string]any  `json:"document"`
		Previous  map[string]any  `json:"previous"`
		Next      map[string]any  `json:"next"`
		Flags     []any           `json:"flags"`
		Raw       json.RawMessage `json:"-"`
	}
	e.must("ann1", "GET", fmt.Sprintf("/api/v1/paragraphs/%d", ids[1]), nil, 200, &pc)
	if pc.Paragraph["id"] != float64(ids[1]) || pc.Previous["id"] != float64(ids[0]) || pc.Next["id"] != float64(ids[2]) || pc.Flags == nil {
		t.Errorf("paragraph context: got %+v, want paragraph %d between %d and %d with flags []", pc, ids[1], ids[0], ids[2])
	}

	var sc struct {
		Schema struct {
			Version    int `json:"version"`
			Dimensions []struct {
				Name string `json:"name"`
			} `json:"dimensions"`
		} `json:"schema"`
		OpenValues map[string][]string `json:"open_values"`
	}
	e.must("ann1", "PUT", fmt.Sprintf("/api/v1/paragraphs/%d/annotation", ids[1]), map[string]any{"version": 0, "labels": map[string]any{"stance": "agree", "topic": []string{"strike"}, "event": "Parade in Boston"}}, 201, nil)
	e.must("ann1", "GET", "/api/v1/schema", nil, 200, &sc)
	if sc.Schema.Version != 1 || len(sc.Schema.Dimensions) != 3 || fmt.Sprint(sc.OpenValues["event"]) != "[Parade in Boston]" {
		t.Errorf("schema: got version %d, %d dimensions, open values %v; want 1, 3, [Parade in Boston]", sc.Schema.Version, len(sc.Schema.Dimensions), sc.OpenValues)
	}
}

// TestAPISchemaOrphans checks that a schema that would orphan labels is
// refused with the orphans, and applied with a mapping.
func TestAPISchemaOrphans(t *testing.T) {
	e := newAPIEnv(t)
	_, ids := e.paragraphs()
	e.must("ann1", "PUT", fmt.Sprintf("/api/v1/paragraphs/%d/annotation", ids[0]), map[string]any{"version": 0, "labels": apiLabels("unrelated", "strike")}, 201, nil)
	y := strings.NewReplacer("key: unrelated", "key: off-topic", "name: Unrelated", "name: Off topic").Replace(string(apiSchemaYAML(t, e)))
	got, body := e.do("admin", "POST", "/api/v1/schema", map[string]any{"yaml": y})
	if got != 409 {
		t.Fatalf("orphaning schema: got %d, want 409; body: %s", got, body)
	}
	var orphans []struct {
		Dimension string `json:"dimension"`
		Value     string `json:"value"`
		Count     int    `json:"count"`
	}
	if err := json.Unmarshal(apiDecodeError(t, body).Error.Current, &orphans); err != nil || len(orphans) != 1 || orphans[0].Value != "unrelated" || orphans[0].Count != 1 {
		t.Fatalf("error.current: got %+v (%v), want one orphan stance=unrelated", orphans, err)
	}
	var applied struct {
		Schema struct {
			Version int `json:"version"`
		} `json:"schema"`
	}
	e.must("admin", "POST", "/api/v1/schema", map[string]any{"yaml": y, "mapping": map[string]any{"stance": map[string]string{"unrelated": "off-topic"}}}, 200, &applied)
	if applied.Schema.Version != 2 {
		t.Errorf("applied schema version: got %d, want 2", applied.Schema.Version)
	}
	a, err := e.store.Annotation(context.Background(), ids[0], e.users["ann1"].ID)
	if err != nil || fmt.Sprint(a.Labels["stance"]) != "[off-topic]" {
		t.Errorf("migrated annotation: got %v (%v), want stance off-topic", a, err)
	}
	var versions struct {
		Versions []struct {
			Version int    `json:"version"`
			YAML    string `json:"yaml"`
		} `json:"versions"`
	}
	e.must("admin", "GET", "/api/v1/schema/versions", nil, 200, &versions)
	if len(versions.Versions) != 2 || versions.Versions[0].Version != 2 || !strings.Contains(versions.Versions[0].YAML, "off-topic") {
		t.Errorf("schema versions: got %+v, want 2 then 1", versions.Versions)
	}
}

// TestAPIUsersAndTokens checks user management and token creation.
func TestAPIUsersAndTokens(t *testing.T) {
	e := newAPIEnv(t)
	var created struct {
		User struct {
			ID   int64  `json:"id"`
			Role string `json:"role"`
		} `json:"user"`
		Password string `json:"password"`
	}
	e.must("admin", "POST", "/api/v1/users", map[string]any{"name": "carol", "role": "reviewer"}, 201, &created)
	if created.Password == "" || created.User.Role != "reviewer" {
		t.Fatalf("created user: got %+v, want a generated password and role reviewer", created)
	}
	if got, _ := e.do("", "POST", "/api/v1/login", map[string]any{"name": "carol", "password": created.Password}); got != 200 {
		t.Errorf("login with the generated password: got %d, want 200", got)
	}
	body := e.must("admin", "POST", "/api/v1/users", map[string]any{"name": "dave", "role": "annotator", "password": "a long enough password"}, 201, nil)
	if strings.Contains(string(body), "password") {
		t.Errorf("a chosen password is echoed: %s", body)
	}
	if got, _ := e.do("admin", "POST", "/api/v1/users", map[string]any{"name": "dave", "role": "annotator"}); got != 409 {
		t.Errorf("duplicate user: got %d, want 409", got)
	}
	var upd struct {
		User struct {
			Role string `json:"role"`
		} `json:"user"`
	}
	e.must("admin", "PATCH", fmt.Sprintf("/api/v1/users/%d", created.User.ID), map[string]any{"role": "admin"}, 200, &upd)
	if upd.User.Role != "admin" {
		t.Errorf("role after PATCH: got %q, want admin", upd.User.Role)
	}
	if got, _ := e.do("admin", "PATCH", fmt.Sprintf("/api/v1/users/%d", created.User.ID), map[string]any{}); got != 400 {
		t.Errorf("empty PATCH: got %d, want 400", got)
	}
	if got, _ := e.do("admin", "PATCH", fmt.Sprintf("/api/v1/users/%d", created.User.ID), map[string]any{"password": "short"}); got != 400 {
		t.Errorf("short password: got %d, want 400", got)
	}

	var tok struct {
		Token string `json:"token"`
		ID    int64  `json:"id"`
		Name  string `json:"name"`
	}
	e.must("ann1", "POST", "/api/v1/tokens", map[string]any{"name": "nightly export"}, 201, &tok)
	if !strings.HasPrefix(tok.Token, "cnc_") || tok.Name != "nightly export" {
		t.Fatalf("token: got %+v, want a cnc_ secret", tok)
	}
	list := e.must("ann1", "GET", "/api/v1/tokens", nil, 200, nil)
	if strings.Contains(string(list), tok.Token) || !strings.Contains(string(list), "nightly export") {
		t.Errorf("token list shows the secret or lacks the token: %s", list)
	}
	// A call with the new token shows as its last use.
	req, err := http.NewRequest("GET", e.server.URL+"/api/v1/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	if code, body := apiSend(t, http.DefaultClient, req); code != 200 {
		t.Fatalf("call with the new token: %d %s", code, body)
	}
	var listed struct {
		Tokens []struct {
			ID         int64   `json:"id"`
			LastUsedAt *string `json:"last_used_at"`
		} `json:"tokens"`
	}
	e.must("ann1", "GET", "/api/v1/tokens", nil, 200, &listed)
	for _, lt := range listed.Tokens {
		if lt.ID == tok.ID && lt.LastUsedAt == nil {
			t.Errorf("token %d used once: no last_used_at in %+v", tok.ID, listed)
		}
	}
	// One user cannot revoke another's token through /tokens.
	if got, _ := e.do("ann2", "DELETE", fmt.Sprintf("/api/v1/tokens/%d", tok.ID), nil); got != 404 {
		t.Errorf("revoking someone else's token: got %d, want 404", got)
	}
	e.must("admin", "DELETE", fmt.Sprintf("/api/v1/users/%d/tokens/%d", e.users["ann1"].ID, tok.ID), nil, 204, nil)
}

// TestAPILabelStudioConfig downloads the Label Studio labelling
// configuration: XML that names the schema's dimensions, or only those
// asked for, and a 400 naming the dimensions for an unknown one.
func TestAPILabelStudioConfig(t *testing.T) {
	e := newAPIEnv(t)
	req, err := http.NewRequest("GET", e.server.URL+"/api/v1/schema/label-studio", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.tokens["ann1"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/xml") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "concord-label-studio.xml") {
		t.Fatalf("status %d, headers %v", resp.StatusCode, resp.Header)
	}
	var cfg struct {
		Choices []struct {
			Name string `xml:"name,attr"`
		} `xml:"Choices"`
		TextAreas []struct {
			Name string `xml:"name,attr"`
		} `xml:"TextArea"`
	}
	if err := xml.Unmarshal(body, &cfg); err != nil {
		t.Fatalf("not XML: %v\n%s", err, body)
	}
	if len(cfg.Choices) != 2 || cfg.Choices[0].Name != "stance" || cfg.Choices[1].Name != "topic" || len(cfg.TextAreas) != 1 || cfg.TextAreas[0].Name != "event" {
		t.Errorf("configuration = %+v", cfg)
	}

	_, only := e.do("ann1", "GET", "/api/v1/schema/label-studio?dimensions=topic,event", nil)
	if strings.Contains(string(only), `name="stance"`) || !strings.Contains(string(only), `name="topic"`) || !strings.Contains(string(only), `name="event"`) {
		t.Errorf("dimensions=topic,event gave:\n%s", only)
	}
	code, data := e.do("ann1", "GET", "/api/v1/schema/label-studio?dimensions=mood", nil)
	if ae := apiDecodeError(t, data); code != 400 || ae.Error.Field != "dimensions" || !slices.Contains(ae.Error.Allowed, "stance") {
		t.Errorf("unknown dimension: %d %s", code, data)
	}
}
