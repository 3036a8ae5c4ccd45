package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"concord/annotate"
)

// accountLogin logs name in over the API with a fresh cookie jar and returns
// the client and the session's CSRF token.
func accountLogin(t *testing.T, e *apiEnv, name, password string) (*http.Client, string) {
	t.Helper()
	client := newAPIClient(t)
	resp, err := client.Post(e.server.URL+"/api/v1/login", "application/json", strings.NewReader(`{"name":"`+name+`","password":"`+password+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil {
		t.Fatalf("login as %s: status %d", name, resp.StatusCode)
	}
	return client, out.CSRF
}

// accountPost submits a form and returns the status and the page.
func accountPost(t *testing.T, client *http.Client, target string, form url.Values) (int, string) {
	t.Helper()
	resp, err := client.PostForm(target, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestAccountPage checks that any user can change their own password (with
// the current one) and create and revoke their own API tokens.
func TestAccountPage(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	u, err := e.store.CreateUser(ctx, 0, "ann3", annotate.RoleAnnotator, "first password")
	if err != nil {
		t.Fatal(err)
	}
	client, csrf := accountLogin(t, e, "ann3", "first password")

	resp, err := client.Get(e.server.URL + "/account")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /account: status %d", resp.StatusCode)
	}

	pw := e.server.URL + "/account/password"
	st, page := accountPost(t, client, pw, url.Values{"csrf_token": {csrf}, "current": {"wrong one!"}, "password": {"second password"}, "again": {"second password"}})
	if st != http.StatusBadRequest || !strings.Contains(page, "current password is wrong") {
		t.Errorf("wrong current password: status %d, want 400 with a message", st)
	}
	st, page = accountPost(t, client, pw, url.Values{"csrf_token": {csrf}, "current": {"first password"}, "password": {"second password"}, "again": {"second passwort"}})
	if st != http.StatusBadRequest || !strings.Contains(page, "differ") {
		t.Errorf("mismatched new passwords: status %d, want 400 with a message", st)
	}
	if st, _ = accountPost(t, client, pw, url.Values{"current": {"first password"}, "password": {"second password"}, "again": {"second password"}}); st != http.StatusForbidden {
		t.Errorf("password change without the CSRF token: status %d, want 403", st)
	}
	st, page = accountPost(t, client, pw, url.Values{"csrf_token": {csrf}, "current": {"first password"}, "password": {"second password"}, "again": {"second password"}})
	if st != http.StatusOK || !strings.Contains(page, "Your password is changed") {
		t.Fatalf("password change: status %d, want the account page with a notice", st)
	}
	if _, err := e.store.Authenticate(ctx, "ann3", "second password"); err != nil {
		t.Errorf("the new password does not work: %v", err)
	}
	if _, err := e.store.Authenticate(ctx, "ann3", "first password"); err == nil {
		t.Errorf("the old password still works")
	}

	// The session goes on after the change, with a new CSRF token.
	m := regexp.MustCompile(`data-csrf="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token on the account page")
	}
	csrf = m[1]
	st, page = accountPost(t, client, e.server.URL+"/account/tokens", url.Values{"csrf_token": {csrf}, "name": {"nightly export"}})
	tok := regexp.MustCompile(`cnc_[A-Za-z0-9_-]+`).FindString(page)
	if st != http.StatusCreated || tok == "" {
		t.Fatalf("create token: status %d, token %q", st, tok)
	}
	if got, err := e.store.UserByToken(ctx, tok); err != nil || got.ID != u.ID {
		t.Fatalf("the new token does not authenticate ann3: %v", err)
	}
	ts, err := tokensOf(e.store, ctx, u.ID)
	if err != nil || len(ts) != 1 {
		t.Fatalf("tokens: %v %d", err, len(ts))
	}
	revoke := e.server.URL + "/account/tokens/" + strconv.FormatInt(ts[0].ID, 10) + "/revoke"
	// Another user cannot revoke it.
	if _, err := e.store.CreateUser(ctx, 0, "ann4", annotate.RoleAnnotator, "her own password"); err != nil {
		t.Fatal(err)
	}
	other, otherCSRF := accountLogin(t, e, "ann4", "her own password")
	if st, _ = accountPost(t, other, revoke, url.Values{"csrf_token": {otherCSRF}}); st != http.StatusNotFound {
		t.Errorf("another user revoking ann3's token: status %d, want 404", st)
	}
	if _, err := e.store.UserByToken(ctx, tok); err != nil {
		t.Fatalf("another user revoked ann3's token")
	}
	st, _ = accountPost(t, client, revoke, url.Values{"csrf_token": {csrf}})
	if st != http.StatusOK {
		t.Errorf("revoke: status %d, want the account page", st)
	}
	if _, err := e.store.UserByToken(ctx, tok); err == nil {
		t.Errorf("the revoked token still authenticates")
	}
}
