package web_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"concord/annotate"
)

// browserClient logs a user in with the login form and returns an HTTP
// client that keeps the session cookie.
func browserClient(t testing.TB, env *browserEnv, name string) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	cl := &http.Client{Jar: jar}
	resp, err := cl.PostForm(env.URL+"/login", url.Values{"name": {name}, "password": {"password-" + name}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/" {
		t.Fatalf("log in as %s: status %d at %s", name, resp.StatusCode, resp.Request.URL)
	}
	return cl
}

// browserGet fetches a path and returns the status and the body.
func browserGet(t testing.TB, cl *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := cl.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestBrowserPagesByRole checks that every page draws for the roles that
// may see it, is refused to the others, and that the navigation shows each
// role only its own entries.
func TestBrowserPagesByRole(t *testing.T) {
	env := browserServer(t)
	browserSeedWork(t, env)
	browserUser(t, env, "ada", annotate.RoleAdmin)
	browserUser(t, env, "rita", annotate.RoleReviewer)
	clients := map[string]*http.Client{
		"annotator": browserClient(t, env, "ann"),
		"reviewer":  browserClient(t, env, "rita"),
		"admin":     browserClient(t, env, "ada"),
	}
	pages := []struct {
		path string
		min  string
	}{
		{"/", "annotator"},
		{"/annotate", "annotator"},
		{"/annotate?document=1", "annotator"},
		{"/review", "reviewer"},
		{"/review/documents/1", "reviewer"},
		{"/review/documents/1?only=disagreements", "reviewer"},
		{"/admin/users", "admin"},
		{"/admin/users/1", "admin"},
		{"/admin/import", "admin"},
		{"/admin/schema", "reviewer"},
		{"/admin/schema?version=1", "reviewer"},
		{"/admin/schema?values=all", "reviewer"},
		{"/admin/settings", "admin"},
		{"/admin/curation", "admin"},
		{"/admin/curation?status=all&kind=boilerplate", "admin"},
	}
	rank := map[string]int{"annotator": 0, "reviewer": 1, "admin": 2}
	for role, cl := range clients {
		for _, p := range pages {
			want := http.StatusOK
			if rank[role] < rank[p.min] {
				want = http.StatusForbidden
			}
			got, body := browserGet(t, cl, env.URL+p.path)
			if got != want {
				t.Errorf("%s GET %s: status %d, want %d", role, p.path, got, want)
			}
			if !strings.Contains(body, `<header class="top">`) {
				t.Errorf("%s GET %s: the page is not in the layout", role, p.path)
			}
		}
		if _, body := browserGet(t, cl, env.URL+"/admin/schema"); role == "reviewer" && (strings.Contains(body, `action="/admin/schema" enctype`) || !strings.Contains(body, `action="/admin/schema/values"`)) {
			t.Errorf("the reviewer's schema page: want the typed values form and no form to apply a schema")
		}
		_, home := browserGet(t, cl, env.URL+"/")
		for _, nav := range []struct {
			href string
			min  string
		}{{"/review", "reviewer"}, {"/agreement", "reviewer"}, {"/export", "reviewer"}, {"/admin", "admin"}} {
			shown := regexp.MustCompile(`<a href="` + nav.href + `"`).MatchString(home)
			if want := rank[role] >= rank[nav.min]; shown != want {
				t.Errorf("%s: nav link %s shown=%v, want %v", role, nav.href, shown, want)
			}
		}
	}
	// Anonymous visitors are sent to the login page, with the way back.
	cl := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := cl.Get(env.URL + "/annotate?document=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/login?next="+url.QueryEscape("/annotate?document=1") {
		t.Errorf("anonymous /annotate: %d to %q", resp.StatusCode, loc)
	}
	if got, body := browserGet(t, http.DefaultClient, env.URL+"/no/such/page"); got != http.StatusNotFound || !strings.Contains(body, "Not found") {
		t.Errorf("unknown page: status %d", got)
	}
}

// TestBrowserLoginRedirect checks the login form's messages and that ?next
// only leads to paths on this site.
func TestBrowserLoginRedirect(t *testing.T) {
	env := browserServer(t)
	browserUser(t, env, "ann", annotate.RoleAnnotator)
	tests := []struct {
		next, password string
		wantStatus     int
		wantPath       string
		wantText       string
	}{
		{"/annotate", "password-ann", http.StatusOK, "/annotate", ""},
		{"https://evil.example/", "password-ann", http.StatusOK, "/", ""},
		{"//evil.example/x", "password-ann", http.StatusOK, "/", ""},
		{"/", "wrong password!", http.StatusUnauthorized, "/login", "Wrong user name or password"},
	}
	for _, tt := range tests {
		jar, _ := cookiejar.New(nil)
		cl := &http.Client{Jar: jar}
		resp, err := cl.PostForm(env.URL+"/login", url.Values{"name": {"ann"}, "password": {tt.password}, "next": {tt.next}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.wantStatus || resp.Request.URL.Path != tt.wantPath || resp.Request.URL.Host != strings.TrimPrefix(env.URL, "http://") {
			t.Errorf("next=%q: got %d at %s, want %d at %s", tt.next, resp.StatusCode, resp.Request.URL, tt.wantStatus, tt.wantPath)
		}
		if tt.wantText != "" && !strings.Contains(string(b), tt.wantText) {
			t.Errorf("next=%q: page does not say %q", tt.next, tt.wantText)
		}
	}
}
