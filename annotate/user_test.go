package annotate_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

func TestCreateUser(t *testing.T) {
	t.Parallel()
	s := annotatetest.Open(t)
	ctx := context.Background()
	mustUser(t, s, "alice", annotate.RoleAnnotator)
	tests := []struct {
		name     string
		role     annotate.Role
		password string
		code     string
		field    string
	}{
		{"alice", annotate.RoleReviewer, "correct horse battery", annotate.ECONFLICT, "name"},
		{"", annotate.RoleAnnotator, "", annotate.EINVALID, "name"},
		{"with space", annotate.RoleAnnotator, "", annotate.EINVALID, "name"},
		{".dot", annotate.RoleAnnotator, "", annotate.EINVALID, "name"},
		{strings.Repeat("a", 101), annotate.RoleAnnotator, "", annotate.EINVALID, "name"},
		{"bob", "owner", "", annotate.EINVALID, "role"},
		{"bob", annotate.RoleAnnotator, "short", annotate.EINVALID, "password"},
		{"bob", annotate.RoleAnnotator, strings.Repeat("p", 73), annotate.EINVALID, "password"},
	}
	for _, tc := range tests {
		_, err := s.CreateUser(ctx, 0, tc.name, tc.role, tc.password)
		var e *annotate.Error
		if !errors.As(err, &e) || e.Code != tc.code || e.Field != tc.field {
			t.Errorf("CreateUser(%.20q, %s): %v, want %s on %s", tc.name, tc.role, err, tc.code, tc.field)
		}
	}
	// A user without a password exists but cannot log in.
	if _, err := s.CreateUser(ctx, 0, "imported.user@x", annotate.RoleAnnotator, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "imported.user@x", ""); !errors.Is(err, annotate.ErrUnauthorized) {
		t.Errorf("login without a password: %v, want EUNAUTHORIZED", err)
	}
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	s := annotatetest.Open(t)
	ctx := context.Background()
	u := mustUser(t, s, "alice", annotate.RoleAnnotator)
	got, err := s.Authenticate(ctx, "alice", "correct horse battery")
	if err != nil || got.ID != u.ID {
		t.Fatalf("good login: %+v %v", got, err)
	}
	var msgs []string
	for _, tc := range []struct{ name, password string }{{"alice", "wrong password!"}, {"nobody", "correct horse battery"}} {
		_, err := s.Authenticate(ctx, tc.name, tc.password)
		if !errors.Is(err, annotate.ErrUnauthorized) {
			t.Errorf("login %s: %v, want EUNAUTHORIZED", tc.name, err)
		}
		if err != nil {
			msgs = append(msgs, err.Error())
		}
	}
	if len(msgs) == 2 && msgs[0] != msgs[1] {
		t.Errorf("wrong password and unknown user differ: %q vs %q", msgs[0], msgs[1])
	}
}

func TestRolesAndPasswords(t *testing.T) {
	t.Parallel()
	s := annotatetest.Open(t)
	ctx := context.Background()
	admin := mustUser(t, s, "root", annotate.RoleAdmin)
	err := s.SetRole(ctx, admin.ID, admin.ID, annotate.RoleReviewer)
	var e *annotate.Error
	if !errors.As(err, &e) || e.Code != annotate.EINVALID || e.Field != "role" {
		t.Errorf("demoting the last admin: %v, want EINVALID on role", err)
	}
	second := mustUser(t, s, "second", annotate.RoleAnnotator)
	if err := s.SetRole(ctx, admin.ID, second.ID, annotate.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRole(ctx, admin.ID, admin.ID, annotate.RoleReviewer); err != nil {
		t.Errorf("demoting one of two admins: %v", err)
	}
	if u, _ := s.User(ctx, admin.ID); u.Role != annotate.RoleReviewer {
		t.Errorf("role = %s, want reviewer", u.Role)
	}
	if err := s.SetRole(ctx, admin.ID, 9999, annotate.RoleAdmin); !errors.Is(err, annotate.ErrNotFound) {
		t.Errorf("unknown user: %v, want ENOTFOUND", err)
	}
	if err := s.SetRole(ctx, admin.ID, second.ID, "boss"); !errors.Is(err, annotate.ErrInvalid) {
		t.Errorf("unknown role: %v, want EINVALID", err)
	}

	// SetPassword ends sessions and changes the password.
	secret, csrf, err := s.CreateSession(ctx, second.ID)
	if err != nil {
		t.Fatal(err)
	}
	if u, gotCSRF, err := s.SessionUser(ctx, secret); err != nil || u.ID != second.ID || gotCSRF != csrf {
		t.Fatalf("session: %+v %q %v", u, gotCSRF, err)
	}
	if err := s.SetPassword(ctx, admin.ID, second.ID, "short"); !errors.Is(err, annotate.ErrInvalid) {
		t.Errorf("short password: %v, want EINVALID", err)
	}
	if err := s.SetPassword(ctx, admin.ID, second.ID, "a new long password"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SessionUser(ctx, secret); !errors.Is(err, annotate.ErrUnauthorized) {
		t.Errorf("session after a password change: %v, want EUNAUTHORIZED", err)
	}
	if _, err := s.Authenticate(ctx, "second", "correct horse battery"); !errors.Is(err, annotate.ErrUnauthorized) {
		t.Errorf("old password still works: %v", err)
	}
	if _, err := s.Authenticate(ctx, "second", "a new long password"); err != nil {
		t.Errorf("new password: %v", err)
	}
	if err := s.SetPassword(ctx, admin.ID, 9999, "a new long password"); !errors.Is(err, annotate.ErrNotFound) {
		t.Errorf("password of an unknown user: %v, want ENOTFOUND", err)
	}
}

func TestSessionsExpire(t *testing.T) {
	t.Parallel()
	s := annotatetest.Open(t)
	ctx := context.Background()
	u := mustUser(t, s, "alice", annotate.RoleAnnotator)
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	secret, _, err := s.CreateSession(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		after time.Duration
		live  bool
	}{
		{0, true},
		{annotate.SessionTTL - time.Minute, true},
		{annotate.SessionTTL + time.Minute, false},
	}
	start := now
	for _, tc := range tests {
		now = start.Add(tc.after)
		_, _, err := s.SessionUser(ctx, secret)
		if live := err == nil; live != tc.live {
			t.Errorf("after %v: live = %v (%v), want %v", tc.after, live, err, tc.live)
		}
	}
	// A new session sweeps the expired one away.
	if _, _, err := s.CreateSession(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if got := count(t, s, "SELECT count(*) FROM sessions"); got != 1 {
		t.Errorf("sessions after the sweep = %d, want 1", got)
	}
	if _, _, err := s.SessionUser(ctx, "not a session"); !errors.Is(err, annotate.ErrUnauthorized) {
		t.Errorf("unknown session: %v, want EUNAUTHORIZED", err)
	}
	secret, _, _ = s.CreateSession(ctx, u.ID)
	if err := s.DeleteSession(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SessionUser(ctx, secret); !errors.Is(err, annotate.ErrUnauthorized) {
		t.Errorf("session after logout: %v, want EUNAUTHORIZED", err)
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	s := annotatetest.Open(t)
	ctx := context.Background()
	u := mustUser(t, s, "alice", annotate.RoleAnnotator)
	if _, _, err := s.CreateToken(ctx, u.ID, "  "); !errors.Is(err, annotate.ErrInvalid) {
		t.Errorf("token without a name: %v, want EINVALID", err)
	}
	secret, tok, err := s.CreateToken(ctx, u.ID, "export script")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "cnc_") || strings.Contains(tok.Hash, secret) {
		t.Errorf("secret %q / hash %q: want a cnc_ secret that is not stored", secret, tok.Hash)
	}
	if got, err := s.UserByToken(ctx, secret); err != nil || got.ID != u.ID {
		t.Errorf("UserByToken: %+v %v", got, err)
	}
	if _, err := s.UserByToken(ctx, "cnc_wrong"); !errors.Is(err, annotate.ErrUnauthorized) {
		t.Errorf("unknown token: %v, want EUNAUTHORIZED", err)
	}
	other := mustUser(t, s, "bob", annotate.RoleAnnotator)
	if err := s.RevokeToken(ctx, other.ID, other.ID, tok.ID); !errors.Is(err, annotate.ErrNotFound) {
		t.Errorf("revoking someone else's token: %v, want ENOTFOUND", err)
	}
	if err := s.RevokeToken(ctx, u.ID, u.ID, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserByToken(ctx, secret); !errors.Is(err, annotate.ErrUnauthorized) {
		t.Errorf("revoked token: %v, want EUNAUTHORIZED", err)
	}
	toks, err := tokensOf(s, ctx, u.ID)
	if err != nil || len(toks) != 1 || toks[0].RevokedAt == nil {
		t.Errorf("tokens = %+v %v, want one revoked", toks, err)
	}
	if err := s.RevokeToken(ctx, u.ID, u.ID, tok.ID); !errors.Is(err, annotate.ErrNotFound) {
		t.Errorf("revoking twice: %v, want ENOTFOUND", err)
	}
}

// TestAuthChangesReachEveryStore checks that a token revoked, a role
// changed or a password reset through one store counts in another store on
// the same database (another server, or a concord command beside it) from
// its very next lookup, with no moment of grace.
func TestAuthChangesReachEveryStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := annotatetest.DSN(t)
	a, err := annotate.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := annotate.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	u := mustUser(t, a, "alice", annotate.RoleReviewer)
	root := mustUser(t, a, "root", annotate.RoleAdmin)
	secret, tok, err := a.CreateToken(ctx, u.ID, "script")
	if err != nil {
		t.Fatal(err)
	}
	session, _, err := a.CreateSession(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Both stores have looked the caller up before the changes.
	for _, s := range []*annotate.Store{a, b} {
		if got, err := s.UserByToken(ctx, secret); err != nil || got.Role != annotate.RoleReviewer {
			t.Fatalf("UserByToken before the change: %+v %v", got, err)
		}
		if got, _, err := s.SessionUser(ctx, session); err != nil || got.Role != annotate.RoleReviewer {
			t.Fatalf("SessionUser before the change: %+v %v", got, err)
		}
	}

	if err := a.SetRole(ctx, root.ID, u.ID, annotate.RoleAnnotator); err != nil {
		t.Fatal(err)
	}
	if got, err := b.UserByToken(ctx, secret); err != nil || got.Role != annotate.RoleAnnotator {
		t.Errorf("token in the other store right after a demotion: %+v %v, want the annotator role", got, err)
	}
	if got, _, err := b.SessionUser(ctx, session); err != nil || got.Role != annotate.RoleAnnotator {
		t.Errorf("session in the other store right after a demotion: %+v %v, want the annotator role", got, err)
	}

	if err := a.SetPassword(ctx, root.ID, u.ID, "a new long password"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.SessionUser(ctx, session); !errors.Is(err, annotate.ErrUnauthorized) {
		t.Errorf("session in the other store right after a password reset: %v, want EUNAUTHORIZED", err)
	}

	if err := a.RevokeToken(ctx, u.ID, u.ID, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.UserByToken(ctx, secret); !errors.Is(err, annotate.ErrUnauthorized) {
		t.Errorf("token in the other store right after its revocation: %v, want EUNAUTHORIZED", err)
	}
	if _, err := a.UserByToken(ctx, secret); !errors.Is(err, annotate.ErrUnauthorized) {
		t.Errorf("token in the revoking store: %v, want EUNAUTHORIZED", err)
	}

	// A user disabled or deleted (no command does either yet; the
	// database may) loses their sessions and tokens at once.
	for _, change := range []string{"UPDATE users SET disabled_at = created_at WHERE id = ?", "DELETE FROM users WHERE id = ?"} {
		v, err := a.CreateUser(ctx, 0, fmt.Sprintf("victim%d", len(change)), annotate.RoleReviewer, "")
		if err != nil {
			t.Fatal(err)
		}
		secret, _, err := a.CreateToken(ctx, v.ID, "script")
		if err != nil {
			t.Fatal(err)
		}
		session, _, err := a.CreateSession(ctx, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.UserByToken(ctx, secret); err != nil {
			t.Fatal(err)
		}
		if err := a.GormForTest().Exec(change, v.ID).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := b.UserByToken(ctx, secret); !errors.Is(err, annotate.ErrUnauthorized) {
			t.Errorf("token after %q: %v, want EUNAUTHORIZED", change, err)
		}
		if _, _, err := b.SessionUser(ctx, session); !errors.Is(err, annotate.ErrUnauthorized) {
			t.Errorf("session after %q: %v, want EUNAUTHORIZED", change, err)
		}
	}
}

func TestEnsureAdmin(t *testing.T) {
	t.Parallel()
	s := annotatetest.Open(t)
	ctx := context.Background()
	pw, err := s.EnsureAdmin(ctx)
	if err != nil || len(pw) < annotate.MinPasswordLen {
		t.Fatalf("EnsureAdmin on an empty database: %q %v", pw, err)
	}
	u, err := s.Authenticate(ctx, "admin", pw)
	if err != nil || u.Role != annotate.RoleAdmin {
		t.Errorf("login with the generated password: %+v %v", u, err)
	}
	pw, err = s.EnsureAdmin(ctx)
	if err != nil || pw != "" {
		t.Errorf("EnsureAdmin with users: %q %v, want nothing", pw, err)
	}
	if got := count(t, s, "SELECT count(*) FROM users"); got != 1 {
		t.Errorf("users = %d, want 1", got)
	}
}

// TestTokenLastUse checks that a token's last use is noted, to the minute:
// the first call sets it, calls within the minute leave it, a later call
// moves it on. Tokens never used show none.
func TestTokenLastUse(t *testing.T) {
	t.Parallel()
	s := annotatetest.Open(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	u := mustUser(t, s, "alice", annotate.RoleAnnotator)
	secret, _, err := s.CreateToken(ctx, u.ID, "script")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateToken(ctx, u.ID, "unused"); err != nil {
		t.Fatal(err)
	}
	lastUse := func() map[string]*time.Time {
		t.Helper()
		toks, err := tokensOf(s, ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]*time.Time{}
		for _, tok := range toks {
			out[tok.Name] = tok.LastUsedAt
		}
		return out
	}
	if got := lastUse(); got["script"] != nil || got["unused"] != nil {
		t.Fatalf("before any use: %v, want none", got)
	}
	use := func() {
		t.Helper()
		if _, err := s.UserByToken(ctx, secret); err != nil {
			t.Fatal(err)
		}
	}
	first := now
	use()
	if got := lastUse(); got["script"] == nil || !got["script"].Equal(first) || got["unused"] != nil {
		t.Fatalf("after the first use: %v, want script used at %v and unused never", got, first)
	}
	now = now.Add(30 * time.Second) // within the minute
	use()
	if got := lastUse()["script"]; !got.Equal(first) {
		t.Errorf("a use within the minute moved the last use to %v, want %v", got, first)
	}
	now = now.Add(2 * time.Minute)
	use()
	if got := lastUse()["script"]; got == nil || !got.Equal(now) {
		t.Errorf("a use two minutes later: last use %v, want %v", got, now)
	}
}
