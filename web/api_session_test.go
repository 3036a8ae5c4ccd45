package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

const apiPassword = "correct horse battery"

// apiLogin logs user in through the API with client and returns the CSRF
// token.
func (e *apiEnv) apiLogin(client *http.Client, user string) string {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.server.URL+"/api/v1/login", strings.NewReader(fmt.Sprintf(`{"name":%q,"password":%q}`, user, apiPassword)))
	req.Header.Set("Content-Type", "application/json")
	got, body := apiSend(e.t, client, req)
	if got != 200 {
		e.t.Fatalf("login as %s: got %d, want 200; body: %s", user, got, body)
	}
	var out struct {
		User struct {
			Name string `json:"name"`
			Role string `json:"role"`
		} `json:"user"`
		CSRF string `json:"csrf_token"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.CSRF == "" || out.User.Name != user {
		e.t.Fatalf("login answer: %v %s", err, body)
	}
	return out.CSRF
}

// apiCookieRequest sends a request with client's cookies and the given CSRF
// header ("" for none).
func (e *apiEnv) apiCookieRequest(client *http.Client, method, path, csrf string, body any) (int, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.server.URL+path, apiBody(e.t, body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	return apiSend(e.t, client, req)
}

// TestAPISessionCSRF checks that cookie sessions need the CSRF token on
// writes, bearer tokens do not, and revoked tokens are refused.
func TestAPISessionCSRF(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	if err := e.store.SetPassword(ctx, 0, e.users["ann1"].ID, apiPassword); err != nil {
		t.Fatal(err)
	}
	_, ids := e.paragraphs()
	path := fmt.Sprintf("/api/v1/paragraphs/%d/annotation", ids[0])
	put := map[string]any{"version": 0, "labels": apiLabels("agree", "strike")}

	client := newAPIClient(t)
	csrf := e.apiLogin(client, "ann1")

	var me struct {
		User struct {
			Name string `json:"name"`
		} `json:"user"`
		CSRF string `json:"csrf_token"`
	}
	got, body := e.apiCookieRequest(client, "GET", "/api/v1/me", "", nil)
	if got != 200 || json.Unmarshal(body, &me) != nil || me.User.Name != "ann1" || me.CSRF != csrf {
		t.Fatalf("GET /me with the cookie: %d %s; want ann1 and the login's CSRF token", got, body)
	}
	if got, body := e.apiCookieRequest(client, "PUT", path, "", put); got != 403 {
		t.Errorf("cookie PUT without CSRF: got %d, want 403; body: %s", got, body)
	} else if !strings.Contains(apiDecodeError(t, body).Error.Message, "CSRF") {
		t.Errorf("cookie PUT without CSRF: message does not name CSRF: %s", body)
	}
	if got, _ := e.apiCookieRequest(client, "PUT", path, "wrong-token", put); got != 403 {
		t.Errorf("cookie PUT with a wrong CSRF token: got %d, want 403", got)
	}
	if got, body := e.apiCookieRequest(client, "PUT", path, csrf, put); got != 201 {
		t.Errorf("cookie PUT with CSRF: got %d, want 201; body: %s", got, body)
	}
	// Logging in again with a live session needs no CSRF token.
	csrf = e.apiLogin(client, "ann1")

	// Bearer tokens need no CSRF.
	if got, body := e.do("ann2", "PUT", path, put); got != 201 {
		t.Errorf("bearer PUT without CSRF: got %d, want 201; body: %s", got, body)
	}
	// A revoked token is refused everywhere.
	toks, err := tokensOf(e.store, ctx, e.users["ann2"].ID)
	if err != nil {
		t.Fatal(err)
	}
	e.must("ann2", "DELETE", fmt.Sprintf("/api/v1/tokens/%d", toks[0].ID), nil, 204, nil)
	for _, p := range []string{"/api/v1/me", "/api/v1/documents", path} {
		if got, body := e.do("ann2", "GET", p, nil); got != 401 {
			t.Errorf("GET %s with a revoked token: got %d, want 401; body: %s", p, got, body)
		}
	}
	req, _ := http.NewRequest("GET", e.server.URL+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Basic abc")
	if got, _ := apiSend(t, http.DefaultClient, req); got != 401 {
		t.Errorf("GET /me with a non-bearer Authorization: got %d, want 401", got)
	}

	// Logout needs the CSRF token too, then the cookie is dead.
	if got, _ := e.apiCookieRequest(client, "POST", "/api/v1/logout", "", nil); got != 403 {
		t.Errorf("logout without CSRF: got %d, want 403", got)
	}
	if got, _ := e.apiCookieRequest(client, "POST", "/api/v1/logout", csrf, nil); got != 204 {
		t.Errorf("logout: got %d, want 204", got)
	}
	if got, _ := e.apiCookieRequest(client, "GET", "/api/v1/me", "", nil); got != 401 {
		t.Errorf("GET /me after logout: got %d, want 401", got)
	}
}

// TestAPILoginThrottle checks that repeated failures make the next attempt
// wait, and that the wait runs out, on the server's clock.
func TestAPILoginThrottle(t *testing.T) {
	e := newAPIEnv(t)
	if err := e.store.SetPassword(context.Background(), 0, e.users["ann1"].ID, apiPassword); err != nil {
		t.Fatal(err)
	}
	bad := map[string]any{"name": "ann1", "password": "not the password"}
	for i := range 5 {
		got, body := e.do("", "POST", "/api/v1/login", bad)
		if got != 401 {
			t.Fatalf("failed login %d: got %d, want 401; body: %s", i+1, got, body)
		}
	}
	good := map[string]any{"name": "ann1", "password": apiPassword}
	got, body := e.do("", "POST", "/api/v1/login", good)
	if got != 429 {
		t.Fatalf("login after 5 failures: got %d, want 429; body: %s", got, body)
	}
	if msg := apiDecodeError(t, body).Error.Message; msg != "too many failed logins for this account; try again in 1 second" {
		t.Errorf("throttled login message: got %q, want it to say what to do and when", msg)
	}
	e.advance(2 * time.Second)
	if got, body := e.do("", "POST", "/api/v1/login", good); got != 200 {
		t.Errorf("login after the wait: got %d, want 200; body: %s", got, body)
	}
	if got, _ := e.do("", "POST", "/api/v1/login", map[string]any{"name": "ann1"}); got != 400 {
		t.Errorf("login without a password: got %d, want 400", got)
	}
}
