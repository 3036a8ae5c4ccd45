package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"concord/annotate"
	"concord/annotate/annotatetest"
	"concord/web"
)

// apiEnv is a Concord server over a seeded store (see seededTestStore),
// with one user of each role and a bearer token for each.
type apiEnv struct {
	t      *testing.T
	store  *annotate.Store
	server *httptest.Server
	users  map[string]*annotate.User
	tokens map[string]string

	mu  sync.Mutex
	now time.Time
}

// apiUsers are the users every apiEnv has, by name.
var apiUsers = map[string]annotate.Role{
	"admin": annotate.RoleAdmin,
	"rev":   annotate.RoleReviewer,
	"ann1":  annotate.RoleAnnotator,
	"ann2":  annotate.RoleAnnotator,
}

// seededTestStore opens a fresh store with the default schema and the seed
// corpus, closed when the test ends: an SQLite file, or a PostgreSQL
// database when CONCORD_TEST_POSTGRES is set (see annotatetest).
func seededTestStore(t testing.TB) *annotate.Store {
	t.Helper()
	return annotatetest.Seeded(t)
}

// newAPIEnv opens a fresh store with the default schema and the seed corpus
// and serves it over HTTP.
func newAPIEnv(t *testing.T) *apiEnv {
	t.Helper()
	return newAPIEnvConfig(t, web.Config{})
}

func newAPIEnvConfig(t *testing.T, cfg web.Config) *apiEnv {
	t.Helper()
	ctx := context.Background()
	st := seededTestStore(t)
	e := &apiEnv{t: t, store: st, users: map[string]*annotate.User{}, tokens: map[string]string{}, now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	for name, role := range apiUsers {
		u, err := st.CreateUser(ctx, 0, name, role, "")
		if err != nil {
			t.Fatalf("create user %s: %v", name, err)
		}
		secret, _, err := st.CreateToken(ctx, u.ID, "tests")
		if err != nil {
			t.Fatalf("create token for %s: %v", name, err)
		}
		e.users[name], e.tokens[name] = u, secret
	}
	cfg.Now = e.clock
	e.server = httptest.NewServer(web.New(st, cfg).Handler())
	t.Cleanup(e.server.Close)
	return e
}

// clock is the server's login-throttling clock.
func (e *apiEnv) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

// advance moves the server's clock forward.
func (e *apiEnv) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(d)
}

// apiBody turns a test's request body into bytes: nil is no body, a string
// or []byte is sent as is, anything else as JSON.
func apiBody(t *testing.T, body any) io.Reader {
	t.Helper()
	switch b := body.(type) {
	case nil:
		return nil
	case string:
		return strings.NewReader(b)
	case []byte:
		return bytes.NewReader(b)
	}
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatalf("marshal body: %v", err)
	}
	return bytes.NewReader(data)
}

// do sends a request as user (by bearer token; "" for anonymous) and
// returns the status and the body.
func (e *apiEnv) do(user, method, path string, body any) (int, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.server.URL+path, apiBody(e.t, body))
	if err != nil {
		e.t.Fatalf("new request: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		tok, ok := e.tokens[user]
		if !ok {
			e.t.Fatalf("no token for user %q", user)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return apiSend(e.t, http.DefaultClient, req)
}

// apiSend sends req with client and reads the answer.
func apiSend(t *testing.T, client *http.Client, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp.StatusCode, data
}

// must sends a request and fails the test unless the status is want; it
// decodes a JSON answer into out when out is not nil.
func (e *apiEnv) must(user, method, path string, body any, want int, out any) []byte {
	e.t.Helper()
	got, data := e.do(user, method, path, body)
	if got != want {
		e.t.Fatalf("%s %s as %q: status %d, want %d; body: %s", method, path, user, got, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			e.t.Fatalf("%s %s: decode %s: %v", method, path, data, err)
		}
	}
	return data
}

// apiError is the JSON shape of an error answer.
type apiError struct {
	Error struct {
		Code    string          `json:"code"`
		Message string          `json:"message"`
		Field   string          `json:"field"`
		Allowed []string        `json:"allowed"`
		Current json.RawMessage `json:"current"`
	} `json:"error"`
}

// apiDecodeError decodes an error answer.
func apiDecodeError(t *testing.T, data []byte) apiError {
	t.Helper()
	var e apiError
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, data)
	}
	if e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("error body has no code or message: %s", data)
	}
	return e
}

// paragraphs returns the current paragraph ids of the first document.
func (e *apiEnv) paragraphs() (docID int64, ids []int64) {
	e.t.Helper()
	ctx := context.Background()
	docs, err := e.store.Documents(ctx, 0)
	if err != nil || len(docs) == 0 {
		e.t.Fatalf("documents: %v (%d)", err, len(docs))
	}
	ps, err := e.store.Paragraphs(ctx, docs[0].ID, 0)
	if err != nil {
		e.t.Fatalf("paragraphs: %v", err)
	}
	for _, p := range ps {
		ids = append(ids, p.ID)
	}
	if len(ids) < 6 {
		e.t.Fatalf("the first seed document has %d paragraphs; tests need 6", len(ids))
	}
	return docs[0].ID, ids
}

// history counts the history rows of a paragraph.
func (e *apiEnv) history(paragraphID int64) int {
	e.t.Helper()
	h, err := historyOf(e.store, context.Background(), paragraphID)
	if err != nil {
		e.t.Fatalf("history: %v", err)
	}
	return len(h)
}

// apiLabels is a valid label set for the default schema.
func apiLabels(stance string, topics ...string) map[string]any {
	return map[string]any{"stance": stance, "topic": topics}
}

// newAPIClient returns a client with its own cookie jar.
func newAPIClient(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar}
}

// historyOf returns a paragraph's whole history, which in a test fits one
// page.
func historyOf(s *annotate.Store, ctx context.Context, paragraphID int64) ([]annotate.Change, error) {
	p, err := s.History(ctx, paragraphID, annotate.ListQuery{Limit: annotate.MaxHistoryLimit})
	if err != nil {
		return nil, err
	}
	return p.Changes, nil
}

// tokensOf returns a user's tokens, which in a test fit one page.
func tokensOf(s *annotate.Store, ctx context.Context, userID int64) ([]annotate.Token, error) {
	p, err := s.Tokens(ctx, userID, annotate.ListQuery{Limit: annotate.MaxTokenLimit})
	if err != nil {
		return nil, err
	}
	return p.Tokens, nil
}

// curationsOf returns the flags f keeps, which in a test fit one page.
func curationsOf(s *annotate.Store, ctx context.Context, f annotate.CurationFilter) ([]annotate.CurationItem, error) {
	f.Limit = annotate.MaxCurationLimit
	p, err := s.Curations(ctx, f)
	if err != nil {
		return nil, err
	}
	return p.Curations, nil
}

// notesOf returns the notes on a paragraph, which in a test fit one page.
func notesOf(s *annotate.Store, ctx context.Context, paragraphID, userID int64, all bool) ([]annotate.Note, error) {
	p, err := s.Notes(ctx, paragraphID, userID, all, annotate.ListQuery{})
	if err != nil {
		return nil, err
	}
	return p.Notes, nil
}
