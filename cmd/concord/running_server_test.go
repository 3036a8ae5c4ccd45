package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"concord/annotate"
	"concord/web"
)

// TestCommandChangesReachARunningServer checks that a role changed, a
// password reset or a token revoked with the concord command, beside a
// server running on the same database, counts on the server's very next
// request.
func TestCommandChangesReachARunningServer(t *testing.T) {
	clearConcordEnv(t)
	db := tempDB(t)
	mustRun(t, "", "users", "add", "admin", "--role", "admin", "--db", db)
	mustRun(t, "", "users", "add", "maria", "--role", "reviewer", "--db", db)
	r := mustRun(t, "", "tokens", "create", "script", "--user", "maria", "--db", db)
	m := tokenLine.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("create: got stdout %q, want a token line", r.stdout)
	}
	secret := m[1]
	mustRun(t, "a long password for maria\n", "users", "passwd", "maria", "--password-stdin", "--db", db)

	s, err := annotate.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	srv := httptest.NewServer(web.New(s, web.Config{}).Handler())
	defer srv.Close()
	cookies, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	jar := &http.Client{Jar: cookies}
	resp, err := jar.PostForm(srv.URL+"/login", url.Values{"name": {"maria"}, "password": {"a long password for maria"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	me := func(client *http.Client, bearer bool) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/me", nil)
		if bearer {
			req.Header.Set("Authorization", "Bearer "+secret)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		var out struct {
			User struct {
				Role string `json:"role"`
			} `json:"user"`
		}
		_ = json.Unmarshal(data, &out)
		return resp.StatusCode, out.User.Role
	}
	for _, who := range []struct {
		name   string
		client *http.Client
		bearer bool
	}{{"token", http.DefaultClient, true}, {"session", jar, false}} {
		if st, role := me(who.client, who.bearer); st != 200 || role != "reviewer" {
			t.Fatalf("maria's %s before the changes: %d %q", who.name, st, role)
		}
	}
	mustRun(t, "", "users", "set-role", "maria", "annotator", "--db", db)
	for _, who := range []struct {
		name   string
		client *http.Client
		bearer bool
	}{{"token", http.DefaultClient, true}, {"session", jar, false}} {
		if st, role := me(who.client, who.bearer); st != 200 || role != "annotator" {
			t.Errorf("maria's %s right after concord users set-role: %d %q, want the annotator role", who.name, st, role)
		}
	}
	mustRun(t, "another long password\n", "users", "passwd", "maria", "--password-stdin", "--db", db)
	if st, _ := me(jar, false); st != 401 {
		t.Errorf("maria's session right after concord users passwd: %d, want 401", st)
	}
	r = mustRun(t, "", "tokens", "list", "--user", "maria", "--db", db)
	id := strings.Fields(strings.Split(strings.TrimSpace(r.stdout), "\n")[1])[0]
	mustRun(t, "", "tokens", "revoke", id, "--user", "maria", "--db", db)
	if st, _ := me(http.DefaultClient, true); st != 401 {
		t.Errorf("maria's token right after concord tokens revoke: %d, want 401", st)
	}
}
