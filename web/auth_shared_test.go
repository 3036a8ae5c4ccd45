package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"concord/annotate"
	"concord/annotate/annotatetest"
	"concord/web"
)

// sharedDSN names the database that the tests of state shared between
// servers open more than once: a fresh SQLite file or, with
// CONCORD_TEST_POSTGRES set, a fresh PostgreSQL database (annotatetest).
func sharedDSN(t testing.TB) string { return annotatetest.DSN(t) }

// sharedEnv is several Concord servers, each with a store of its own, on
// one database: the way a team runs Concord behind a load balancer.
type sharedEnv struct {
	t       *testing.T
	dsn     string
	cfg     web.Config
	stores  []*annotate.Store
	servers []*httptest.Server
	users   map[string]*annotate.User
	tokens  map[string]string

	mu  sync.Mutex
	now time.Time
}

// sharedPassword is the password of every sharedEnv user.
const sharedPassword = "correct horse battery"

// newSharedEnv starts n servers on one fresh database with the users root
// and boss (admins), rev (reviewer) and alice (annotator), each with a
// password and an API token.
func newSharedEnv(t *testing.T, n int, cfg web.Config) *sharedEnv {
	t.Helper()
	e := &sharedEnv{t: t, dsn: sharedDSN(t), cfg: cfg, users: map[string]*annotate.User{}, tokens: map[string]string{}, now: time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)}
	e.cfg.Now = e.clock
	for range n {
		e.start()
	}
	ctx := context.Background()
	for _, u := range []struct {
		name string
		role annotate.Role
	}{{"root", annotate.RoleAdmin}, {"boss", annotate.RoleAdmin}, {"rev", annotate.RoleReviewer}, {"alice", annotate.RoleAnnotator}} {
		made, err := e.stores[0].CreateUser(ctx, 0, u.name, u.role, sharedPassword)
		if err != nil {
			t.Fatal(err)
		}
		secret, _, err := e.stores[0].CreateToken(ctx, made.ID, "tests")
		if err != nil {
			t.Fatal(err)
		}
		e.users[u.name], e.tokens[u.name] = made, secret
	}
	return e
}

// start opens one more store on the database and serves it; it returns
// the server's index.
func (e *sharedEnv) start() int {
	e.t.Helper()
	st, err := annotate.Open(context.Background(), e.dsn)
	if err != nil {
		e.t.Fatalf("open store: %v", err)
	}
	srv := httptest.NewServer(web.New(st, e.cfg).Handler())
	e.t.Cleanup(func() { srv.Close(); st.Close() })
	e.stores = append(e.stores, st)
	e.servers = append(e.servers, srv)
	return len(e.servers) - 1
}

// restart stops server i and its store and starts a new one in its place,
// as a restart of that process would.
func (e *sharedEnv) restart(i int) {
	e.t.Helper()
	e.servers[i].Close()
	if err := e.stores[i].Close(); err != nil {
		e.t.Fatal(err)
	}
	j := e.start()
	e.stores[i], e.servers[i] = e.stores[j], e.servers[j]
	e.stores, e.servers = e.stores[:j], e.servers[:j]
}

func (e *sharedEnv) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

// send sends a request to server i, as user by bearer token ("" for none)
// with client, and returns the status and body. A string body is sent as
// it is, anything else as JSON.
func (e *sharedEnv) send(i int, client *http.Client, user, method, path string, body any, header map[string]string) (int, []byte, http.Header) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.servers[i].URL+path, apiBody(e.t, body))
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[user])
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("read body: %v", err)
	}
	return resp.StatusCode, data, resp.Header
}

// login posts a login to server i and returns the status and the body.
func (e *sharedEnv) login(i int, client *http.Client, name, password string, header map[string]string) (int, []byte) {
	e.t.Helper()
	st, body, _ := e.send(i, client, "", "POST", "/api/v1/login", map[string]string{"name": name, "password": password}, header)
	return st, body
}

// TestLoginThrottleAcrossServers checks that failed logins are counted in
// the database: five failures through one server and one more through
// another is refused, and a restart keeps the count.
func TestLoginThrottleAcrossServers(t *testing.T) {
	e := newSharedEnv(t, 2, web.Config{})
	for i := range 5 {
		if st, body := e.login(0, http.DefaultClient, "alice", "not the password", nil); st != 401 {
			t.Fatalf("failure %d through A: %d, want 401; body: %s", i+1, st, body)
		}
	}
	st, body := e.login(1, http.DefaultClient, "alice", sharedPassword, nil)
	if st != 429 {
		t.Fatalf("login through B after five failures through A: %d, want 429; body: %s", st, body)
	}
	if msg := apiDecodeError(t, body).Error.Message; msg != "too many failed logins for this account; try again in 1 second" {
		t.Errorf("429 message = %q", msg)
	}
	// The login page says the same, as a page does.
	form := url.Values{"name": {"alice"}, "password": {sharedPassword}}.Encode()
	st, body, h := e.send(0, http.DefaultClient, "", "POST", "/login", form, map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if st != 429 || !strings.Contains(string(body), "Too many failed logins for this account. Try again in 1 second.") || h.Get("Retry-After") != "1" {
		t.Errorf("login page after five failures: %d, Retry-After %q, want 429, 1 and the wait in words; body: %.500s", st, h.Get("Retry-After"), body)
	}
	e.restart(1)
	if st, body := e.login(1, http.DefaultClient, "alice", sharedPassword, nil); st != 429 {
		t.Errorf("login through B after its restart: %d, want still 429; body: %s", st, body)
	}
	e.mu.Lock()
	e.now = e.now.Add(time.Second)
	e.mu.Unlock()
	if st, body := e.login(1, http.DefaultClient, "alice", sharedPassword, nil); st != 200 {
		t.Errorf("login after the wait: %d, want 200; body: %s", st, body)
	}
}

// TestLoginAddressLimit checks the per-address limit: a success on an
// account of the attacker's own does not clear the failures the address
// ran up against others, and X-Forwarded-For from an untrusted peer does
// not change the address counted, while from a trusted proxy it does.
func TestLoginAddressLimit(t *testing.T) {
	e := newSharedEnv(t, 2, web.Config{})
	for i := range 4 {
		if st, _ := e.login(i%2, http.DefaultClient, fmt.Sprintf("guess%d", i), "not the password", nil); st != 401 {
			t.Fatalf("failure %d: %d, want 401", i+1, st)
		}
	}
	// The attacker's own account logs in fine, through either server.
	if st, body := e.login(1, http.DefaultClient, "rev", sharedPassword, nil); st != 200 {
		t.Fatalf("login to the attacker's own account: %d, want 200; body: %s", st, body)
	}
	// Rotating X-Forwarded-For does not make a new address.
	if st, _ := e.login(0, http.DefaultClient, "guess4", "not the password", map[string]string{"X-Forwarded-For": "203.0.113.99"}); st != 401 {
		t.Fatalf("fifth failure: %d, want 401", st)
	}
	st, body := e.login(1, http.DefaultClient, "alice", sharedPassword, map[string]string{"X-Forwarded-For": "203.0.113.100"})
	if st != 429 {
		t.Fatalf("a sixth guess from the address, on another account with a forged X-Forwarded-For: %d, want 429; body: %s", st, body)
	}
	if msg := apiDecodeError(t, body).Error.Message; !strings.Contains(msg, "from this address; try again in") {
		t.Errorf("429 message = %q, want it to name the address", msg)
	}

	// Behind a trusted proxy each client is counted on its own address.
	p := newSharedEnv(t, 1, web.Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	for i := range 8 {
		xff := map[string]string{"X-Forwarded-For": fmt.Sprintf("203.0.113.%d", i+1)}
		if st, body := p.login(0, http.DefaultClient, fmt.Sprintf("guess%d", i), "not the password", xff); st != 401 {
			t.Fatalf("failure %d behind a trusted proxy from its own client address: %d, want 401; body: %s", i+1, st, body)
		}
	}
	n, err := p.stores[0].LoginFailures(context.Background(), annotate.AddressThrottleKey("203.0.113.1"))
	if err != nil || n != 1 {
		t.Errorf("failures counted on the forwarded address = %d %v, want 1", n, err)
	}
}

// TestAuthChangesAcrossServers checks that a token revoked, a role taken
// away or a password reset through one server is refused by another on the
// very next request, for bearer tokens and for sessions alike.
func TestAuthChangesAcrossServers(t *testing.T) {
	e := newSharedEnv(t, 2, web.Config{})
	// A token revoked through A is refused by B at once.
	if st, body, _ := e.send(1, http.DefaultClient, "alice", "GET", "/api/v1/me", nil, nil); st != 200 {
		t.Fatalf("alice's token on B: %d %s", st, body)
	}
	toks, err := tokensOf(e.stores[0], context.Background(), e.users["alice"].ID)
	if err != nil || len(toks) != 1 {
		t.Fatalf("tokens: %v %v", toks, err)
	}
	if st, body, _ := e.send(0, http.DefaultClient, "alice", "DELETE", fmt.Sprintf("/api/v1/tokens/%d", toks[0].ID), nil, nil); st != 204 {
		t.Fatalf("revoke through A: %d %s", st, body)
	}
	if st, body, _ := e.send(1, http.DefaultClient, "alice", "GET", "/api/v1/me", nil, nil); st != 401 {
		t.Errorf("revoked token on B, the very next request: %d, want 401; body: %s", st, body)
	}

	// boss, an admin, is logged in through B and uses a token there.
	jar := newAPIClient(t)
	if st, body := e.login(1, jar, "boss", sharedPassword, nil); st != 200 {
		t.Fatalf("boss logs in: %d %s", st, body)
	}
	for _, who := range []struct {
		name   string
		client *http.Client
		user   string
	}{{"session", jar, ""}, {"token", http.DefaultClient, "boss"}} {
		if st, body, _ := e.send(1, who.client, who.user, "GET", "/api/v1/users", nil, nil); st != 200 {
			t.Fatalf("boss's %s on B before the demotion: %d %s", who.name, st, body)
		}
	}
	role := "reviewer"
	if st, body, _ := e.send(0, http.DefaultClient, "root", "PATCH", fmt.Sprintf("/api/v1/users/%d", e.users["boss"].ID), map[string]any{"role": role}, nil); st != 200 {
		t.Fatalf("demote boss through A: %d %s", st, body)
	}
	for _, who := range []struct {
		name   string
		client *http.Client
		user   string
	}{{"session", jar, ""}, {"token", http.DefaultClient, "boss"}} {
		if st, body, _ := e.send(1, who.client, who.user, "GET", "/api/v1/users", nil, nil); st != 403 {
			t.Errorf("boss's %s on B right after the demotion through A: %d, want 403; body: %s", who.name, st, body)
		}
		st, body, _ := e.send(1, who.client, who.user, "GET", "/api/v1/me", nil, nil)
		var me struct {
			User struct {
				Role string `json:"role"`
			} `json:"user"`
		}
		if st != 200 || json.Unmarshal(body, &me) != nil || me.User.Role != role {
			t.Errorf("boss's %s on B: /me = %d %s, want the reviewer role", who.name, st, body)
		}
	}
	// A password reset through A ends the session on B.
	if st, body, _ := e.send(0, http.DefaultClient, "root", "PATCH", fmt.Sprintf("/api/v1/users/%d", e.users["boss"].ID), map[string]any{"password": "another long password"}, nil); st != 200 {
		t.Fatalf("reset boss's password through A: %d %s", st, body)
	}
	if st, body, _ := e.send(1, jar, "", "GET", "/api/v1/me", nil, nil); st != 401 {
		t.Errorf("boss's session on B right after a password reset through A: %d, want 401; body: %s", st, body)
	}
}

// TestLoginCSRF checks that form posts, the login form among them, are
// refused when the browser says they come from another site, and accepted
// from this server's own pages and from clients that send no Origin.
func TestLoginCSRF(t *testing.T) {
	e := newSharedEnv(t, 1, web.Config{})
	u, _ := url.Parse(e.servers[0].URL)
	own := "http://" + u.Host
	form := url.Values{"name": {"alice"}, "password": {sharedPassword}, "next": {"/account"}}.Encode()
	noRedirect := newAPIClient(t)
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	post := func(header map[string]string) (int, string, http.Header) {
		t.Helper()
		h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
		for k, v := range header {
			h[k] = v
		}
		st, body, resp := e.send(0, noRedirect, "", "POST", "/login", form, h)
		return st, string(body), resp
	}
	sessionSet := func(h http.Header) bool {
		for _, c := range (&http.Response{Header: h}).Cookies() {
			if c.Name == web.SessionCookie && c.Value != "" {
				return true
			}
		}
		return false
	}
	for _, tc := range []struct {
		name   string
		header map[string]string
	}{
		{"foreign Origin", map[string]string{"Origin": "https://evil.example"}},
		{"foreign Origin with our Referer", map[string]string{"Origin": "https://evil.example", "Referer": own + "/login"}},
		{"Origin null", map[string]string{"Origin": "null"}},
		{"same host, other port", map[string]string{"Origin": "http://" + u.Hostname() + ":1"}},
		{"foreign Referer and no Origin", map[string]string{"Referer": "https://evil.example/page"}},
	} {
		st, body, h := post(tc.header)
		if st != 403 || sessionSet(h) {
			t.Errorf("login with %s: %d, session set %v; want 403 and no session", tc.name, st, sessionSet(h))
		}
		if !strings.Contains(body, "another site") {
			t.Errorf("login with %s: the page does not say why: %.300s", tc.name, body)
		}
	}
	for _, tc := range []struct {
		name   string
		header map[string]string
	}{
		{"our Origin", map[string]string{"Origin": own}},
		{"our Referer", map[string]string{"Referer": own + "/login?next=/account"}},
		{"neither (not a browser)", nil},
	} {
		st, _, h := post(tc.header)
		if st != 303 || !sessionSet(h) {
			t.Errorf("login with %s: %d, session set %v; want 303 and a session", tc.name, st, sessionSet(h))
		}
	}

	// Cookie requests to the API are checked too; bearer calls are not.
	jar := newAPIClient(t)
	st, body := e.login(0, jar, "alice", sharedPassword, nil)
	if st != 200 {
		t.Fatalf("login: %d %s", st, body)
	}
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	evil := map[string]string{"Origin": "https://evil.example", "X-CSRF-Token": out.CSRF}
	if st, body, _ := e.send(0, jar, "", "POST", "/api/v1/tokens", map[string]string{"name": "x"}, evil); st != 403 {
		t.Errorf("cookie POST from a foreign Origin with the right CSRF token: %d, want 403; body: %s", st, body)
	}
	if st, body, _ := e.send(0, http.DefaultClient, "alice", "POST", "/api/v1/tokens", map[string]string{"name": "x"}, map[string]string{"Origin": "https://evil.example"}); st != 201 {
		t.Errorf("bearer POST with a foreign Origin: %d, want 201; body: %s", st, body)
	}

	// Behind a trusted proxy the public host is the one it forwards.
	p := newSharedEnv(t, 1, web.Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	fwd := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://concord.example", "X-Forwarded-Host": "concord.example"}
	if st, body, _ := p.send(0, noRedirect, "", "POST", "/login", form, fwd); st != 303 {
		t.Errorf("login through a trusted proxy from its public origin: %d, want 303; body: %.300s", st, body)
	}
	if st, _, _ := e.send(0, noRedirect, "", "POST", "/login", form, fwd); st != 403 {
		t.Errorf("X-Forwarded-Host from an untrusted peer: %d, want 403", st)
	}
}

// TestSaveChecksCredentialAcrossServers checks the annotation save, whose
// statement checks the caller's token or session itself once a server has
// seen it: a token revoked, a session ended or a role changed through
// another server is refused by the very next save, which writes nothing;
// and a save the schema refuses says only "log in" to a caller whose
// credential is no longer live.
func TestSaveChecksCredentialAcrossServers(t *testing.T) {
	e := newSharedEnv(t, 2, web.Config{})
	ctx := context.Background()
	annotatetest.ApplyDefaultSchema(t, e.stores[0])
	res, err := e.stores[0].ImportDocument(ctx, 0, annotate.Source{Key: "a.txt", Text: []byte("Title\n\nFirst paragraph.\n\nSecond paragraph.\n\nThird paragraph.\n"), Origin: "test"})
	if err != nil {
		t.Fatal(err)
	}
	paras, err := e.stores[0].Paragraphs(ctx, res.DocumentID, 0)
	if err != nil || len(paras) != 3 {
		t.Fatalf("paragraphs: %v %v", paras, err)
	}
	path := func(i int) string { return fmt.Sprintf("/api/v1/paragraphs/%d/annotation", paras[i].ID) }
	label := func(version int, stance string) map[string]any {
		return map[string]any{"version": version, "labels": map[string]any{"stance": stance, "topic": []string{"strike"}}}
	}
	stored := func(user string, i int) (int, string) {
		t.Helper()
		a, err := e.stores[0].Annotation(ctx, paras[i].ID, e.users[user].ID)
		if annotate.ErrorCode(err) == annotate.ENOTFOUND {
			return 0, ""
		}
		if err != nil {
			t.Fatal(err)
		}
		return a.Version, a.Labels["stance"][0]
	}

	// alice saves twice through B: the second save is let in on what B
	// remembers of her token, and checks it in its write.
	for v, stance := range []string{"agree", "disagree"} {
		if st, body, _ := e.send(1, http.DefaultClient, "alice", "PUT", path(0), label(v, stance), nil); st != 200 && st != 201 {
			t.Fatalf("alice saves version %d through B: %d %s", v, st, body)
		}
	}
	page, err := e.stores[0].Tokens(ctx, e.users["alice"].ID, annotate.ListQuery{})
	if err != nil || len(page.Tokens) != 1 {
		t.Fatalf("tokens: %v %v", page, err)
	}
	if st, body, _ := e.send(0, http.DefaultClient, "alice", "DELETE", fmt.Sprintf("/api/v1/tokens/%d", page.Tokens[0].ID), nil, nil); st != 204 {
		t.Fatalf("revoke through A: %d %s", st, body)
	}
	if st, body, _ := e.send(1, http.DefaultClient, "alice", "PUT", path(0), label(2, "discuss"), nil); st != 401 {
		t.Errorf("save with the token revoked through A, on B: %d, want 401; body: %s", st, body)
	}
	if v, stance := stored("alice", 0); v != 2 || stance != "disagree" {
		t.Errorf("after the refused save alice's label is version %d %q, want version 2 \"disagree\"", v, stance)
	}
	if st, body, _ := e.send(1, http.DefaultClient, "alice", "PUT", path(1), map[string]any{"version": 0, "labels": map[string]any{"stance": "no-such-stance"}}, nil); st != 401 || strings.Contains(string(body), "allowed") {
		t.Errorf("a label the schema refuses, with the revoked token: %d %s, want 401 and nothing about the schema", st, body)
	}

	// boss, an admin, saves through B by token and by session; a demotion
	// through A makes B's next save refuse, write nothing, and the one
	// after that goes through under the new role.
	jar := newAPIClient(t)
	st, body := e.login(1, jar, "boss", sharedPassword, nil)
	var login struct {
		CSRF string `json:"csrf_token"`
	}
	if st != 200 || json.Unmarshal(body, &login) != nil || login.CSRF == "" {
		t.Fatalf("boss logs in through B: %d %s", st, body)
	}
	csrf := map[string]string{web.CSRFHeader: login.CSRF}
	for v, stance := range []string{"agree", "disagree", "discuss", "unrelated"} {
		client, user, header := jar, "", csrf
		if v%2 == 1 {
			client, user, header = http.DefaultClient, "boss", nil
		}
		if st, body, _ := e.send(1, client, user, "PUT", path(1), label(v, stance), header); st != 200 && st != 201 {
			t.Fatalf("boss saves version %d through B (by token: %v): %d %s", v, user != "", st, body)
		}
	}
	if st, body, _ := e.send(0, http.DefaultClient, "root", "PATCH", fmt.Sprintf("/api/v1/users/%d", e.users["boss"].ID), map[string]any{"role": "reviewer"}, nil); st != 200 {
		t.Fatalf("demote boss through A: %d %s", st, body)
	}
	for _, who := range []struct {
		name   string
		client *http.Client
		user   string
		header map[string]string
	}{{"session", jar, "", csrf}, {"token", http.DefaultClient, "boss", nil}} {
		if st, body, _ := e.send(1, who.client, who.user, "PUT", path(1), label(4, "discuss"), who.header); st != 409 || !strings.Contains(string(body), "role changed") {
			t.Errorf("boss's %s on B right after the demotion: %d %s, want 409 saying the role changed", who.name, st, body)
		}
		if v, _ := stored("boss", 1); v != 4 {
			t.Errorf("after the refused save by boss's %s the label is version %d, want 4", who.name, v)
		}
	}
	if st, body, _ := e.send(1, http.DefaultClient, "boss", "PUT", path(1), label(4, "discuss"), nil); st != 200 {
		t.Errorf("boss's token sends the save again: %d %s, want 200", st, body)
	}

	// A password reset through A ends boss's session; B's next save by the
	// session is refused and writes nothing.
	for v, stance := range []string{"agree", "unrelated"} {
		if st, body, _ := e.send(1, jar, "", "PUT", path(2), label(v, stance), csrf); st != 200 && st != 201 {
			t.Fatalf("boss's session saves version %d through B: %d %s", v, st, body)
		}
	}
	if st, body, _ := e.send(0, http.DefaultClient, "root", "PATCH", fmt.Sprintf("/api/v1/users/%d", e.users["boss"].ID), map[string]any{"password": "another long password"}, nil); st != 200 {
		t.Fatalf("reset boss's password through A: %d %s", st, body)
	}
	if st, body, _ := e.send(1, jar, "", "PUT", path(2), label(2, "discuss"), csrf); st != 401 {
		t.Errorf("boss's ended session saves on B: %d, want 401; body: %s", st, body)
	}
	if v, stance := stored("boss", 2); v != 2 || stance != "unrelated" {
		t.Errorf("after the refused save boss's label is version %d %q, want version 2 \"unrelated\"", v, stance)
	}
}
