package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"concord/annotate"
)

var passwordLine = regexp.MustCompile(`(?m)^password: (\S+)$`)

func TestUsersAddWithPasswordFromStdin(t *testing.T) {
	clearConcordEnv(t)
	db := tempDB(t)
	r := mustRun(t, "correct horse battery\n", "users", "add", "maria", "--role", "reviewer", "--password-stdin", "--db", db)
	if want := "added maria (reviewer"; !strings.Contains(r.stdout, want) {
		t.Errorf("got stdout %q, want %q", r.stdout, want)
	}
	if strings.Contains(r.stdout, "password:") {
		t.Errorf("got stdout %q, want no password printed when it came from stdin", r.stdout)
	}
	// The first user is not an admin, so the admin is created beside it.
	if !strings.Contains(r.stderr, "user:      admin") {
		t.Errorf("got stderr %q, want the admin's one-time password", r.stderr)
	}
	s := openDB(t, db)
	u, err := s.Authenticate(context.Background(), "maria", "correct horse battery")
	if err != nil {
		t.Fatalf("log in with the password from stdin: %v", err)
	}
	if u.Role != annotate.RoleReviewer {
		t.Errorf("got role %s, want reviewer", u.Role)
	}
}

func TestUsersAddGeneratedPasswordListSetRolePasswd(t *testing.T) {
	clearConcordEnv(t)
	ctx := context.Background()
	db := tempDB(t)
	r := mustRun(t, "", "users", "add", "root", "--role", "admin", "--db", db)
	if strings.Contains(r.stderr, "admin") {
		t.Errorf("got stderr %q, want no extra admin when the first user is an admin", r.stderr)
	}
	r = mustRun(t, "", "users", "add", "jonas", "--db", db)
	m := passwordLine.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("got stdout %q, want a generated password line", r.stdout)
	}
	s := openDB(t, db)
	if _, err := s.Authenticate(ctx, "jonas", m[1]); err != nil {
		t.Errorf("log in with the generated password: %v", err)
	}
	s.Close()

	r = mustRun(t, "", "users", "list", "--db", db)
	for _, want := range []string{"NAME", "jonas", "annotator", "root", "admin", "yes"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("list: got %q, want it to contain %q", r.stdout, want)
		}
	}

	r = mustRun(t, "", "users", "set-role", "jonas", "reviewer", "--db", db)
	if want := "jonas is now reviewer (was annotator)"; !strings.Contains(r.stdout, want) {
		t.Errorf("set-role: got %q, want %q", r.stdout, want)
	}
	r = concord(t, "", "users", "set-role", "jonas", "boss", "--db", db)
	if r.code != 1 || !strings.Contains(r.stderr, `concord users: role: unknown role "boss" (allowed: annotator, reviewer, admin)`) {
		t.Errorf("set-role to an unknown role: got %s, want exit 1 listing the roles", r)
	}
	r = concord(t, "", "users", "set-role", "root", "annotator", "--db", db)
	if r.code != 1 || !strings.Contains(r.stderr, "last admin") {
		t.Errorf("demote the last admin: got %s, want exit 1 saying it is the last admin", r)
	}

	mustRun(t, "a much better password\n", "users", "passwd", "jonas", "--password-stdin", "--db", db)
	s = openDB(t, db)
	if _, err := s.Authenticate(ctx, "jonas", "a much better password"); err != nil {
		t.Errorf("log in with the new password: %v", err)
	}
	if _, err := s.Authenticate(ctx, "jonas", m[1]); err == nil {
		t.Error("the old password still works after passwd")
	}
	s.Close()

	r = mustRun(t, "", "users", "passwd", "jonas", "--db", db)
	m2 := passwordLine.FindStringSubmatch(r.stdout)
	if m2 == nil {
		t.Fatalf("passwd without stdin: got %q, want a generated password", r.stdout)
	}
	s = openDB(t, db)
	if _, err := s.Authenticate(ctx, "jonas", m2[1]); err != nil {
		t.Errorf("log in with the regenerated password: %v", err)
	}
}

func TestUsersErrors(t *testing.T) {
	clearConcordEnv(t)
	db := tempDB(t)
	mustRun(t, "", "users", "add", "root", "--role", "admin", "--db", db)
	tests := []struct {
		name     string
		stdin    string
		args     []string
		wantCode int
		want     string
	}{
		{"short password", "short\n", []string{"users", "add", "ann", "--password-stdin", "--db", db}, 1, "password: password must be at least 10 characters"},
		{"empty stdin", "", []string{"users", "add", "ann", "--password-stdin", "--db", db}, 1, "standard input holds no password"},
		{"duplicate", "", []string{"users", "add", "root", "--db", db}, 1, "a user named root already exists"},
		{"bad name", "", []string{"users", "add", "no spaces", "--db", db}, 1, "user name"},
		{"unknown user", "", []string{"users", "passwd", "ghost", "--db", db}, 1, `no user named "ghost"`},
		{"no action", "", []string{"users"}, 2, "say what to do"},
		{"unknown action", "", []string{"users", "remove", "x"}, 2, `unknown action "remove"`},
		{"missing name", "", []string{"users", "add", "--db", db}, 2, "give the new user's name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := concord(t, tt.stdin, tt.args...)
			if r.code != tt.wantCode {
				t.Errorf("got %s, want exit %d", r, tt.wantCode)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("got stderr %q, want it to contain %q", r.stderr, tt.want)
			}
		})
	}
}

// TestUsersAddRefusedChangesNothing checks that a refused 'users add' on a
// new database creates no user at all, not even the first admin.
func TestUsersAddRefusedChangesNothing(t *testing.T) {
	clearConcordEnv(t)
	db := tempDB(t)
	r := concord(t, "", "users", "add", "no spaces", "--db", db)
	if r.code != 1 || strings.Contains(r.stderr, "password:") {
		t.Fatalf("got %s; want exit 1 and no admin password printed", r)
	}
	s := openDB(t, db)
	defer s.Close()
	users, err := s.Users(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 0 {
		t.Errorf("a refused users add left %d user(s) behind", len(users))
	}
}

func TestUsersAndTokensListPages(t *testing.T) {
	clearConcordEnv(t)
	db := tempDB(t)
	for _, name := range []string{"maria", "marek", "jonas"} {
		mustRun(t, "correct horse battery\n", "users", "add", name, "--role", "admin", "--password-stdin", "--db", db)
	}
	r := mustRun(t, "", "users", "list", "--search", "MAR", "--limit", "1", "--db", db)
	more := regexp.MustCompile(`more users follow: concord users list --search MAR --limit 1 --next (\d+)`).FindStringSubmatch(r.stdout)
	if !strings.Contains(r.stdout, "maria") || strings.Contains(r.stdout, "marek") || more == nil {
		t.Fatalf("first page of MAR:\n%s\nwant maria alone and the command for the next page", r.stdout)
	}
	r = mustRun(t, "", "users", "list", "--search", "MAR", "--limit", "1", "--next", more[1], "--db", db)
	if !strings.Contains(r.stdout, "marek") || strings.Contains(r.stdout, "maria") || strings.Contains(r.stdout, "more users follow") {
		t.Errorf("second page of MAR:\n%s\nwant marek alone and no more", r.stdout)
	}
	if r := concord(t, "", "users", "list", "--limit", "501", "--db", db); r.code == 0 || !strings.Contains(r.stderr, "limit must be from 1 to 500") {
		t.Errorf("--limit 501: %v, want a failure that says the range", r)
	}
	for _, name := range []string{"one", "two", "three"} {
		mustRun(t, "", "tokens", "create", name, "--user", "jonas", "--db", db)
	}
	r = mustRun(t, "", "tokens", "list", "--user", "jonas", "--limit", "2", "--db", db)
	more = regexp.MustCompile(`more tokens follow: concord tokens list --user jonas --limit 2 --next (\d+)`).FindStringSubmatch(r.stdout)
	if !strings.Contains(r.stdout, "one") || !strings.Contains(r.stdout, "two") || more == nil {
		t.Fatalf("first page of tokens:\n%s\nwant one, two and the command for the next page", r.stdout)
	}
	r = mustRun(t, "", "tokens", "list", "--user", "jonas", "--limit", "2", "--next", more[1], "--db", db)
	if !strings.Contains(r.stdout, "three") || strings.Contains(r.stdout, "one ") || strings.Contains(r.stdout, "more tokens") {
		t.Errorf("second page of tokens:\n%s\nwant three alone", r.stdout)
	}
}
