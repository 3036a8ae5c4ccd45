package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

var tokenLine = regexp.MustCompile(`(?m)^token: (cnc_\S+)$`)

func TestTokensCreateListRevoke(t *testing.T) {
	clearConcordEnv(t)
	ctx := context.Background()
	db := tempDB(t)
	mustRun(t, "", "users", "add", "admin", "--role", "admin", "--db", db)
	mustRun(t, "", "users", "add", "maria", "--role", "reviewer", "--db", db)

	r := mustRun(t, "", "tokens", "create", "nightly-export", "--db", db)
	m := tokenLine.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("create: got stdout %q, want a token line", r.stdout)
	}
	secret := m[1]
	if want := `curl -H "Authorization: Bearer ` + secret + `" http://127.0.0.1:8080/api/v1/documents`; !strings.Contains(r.stdout, want) {
		t.Errorf("create: got stdout %q, want the usage hint %q", r.stdout, want)
	}
	s := openDB(t, db)
	u, err := s.UserByToken(ctx, secret)
	if err != nil || u.Name != "admin" {
		t.Fatalf("UserByToken: got %v, %v; want admin", u, err)
	}
	s.Close()

	r = mustRun(t, "", "tokens", "create", "labelling-script", "--user", "maria", "--db", db)
	mariaSecret := tokenLine.FindStringSubmatch(r.stdout)[1]

	r = mustRun(t, "", "tokens", "list", "--db", db)
	if !strings.Contains(r.stdout, "nightly-export") || strings.Contains(r.stdout, "labelling-script") {
		t.Errorf("list: got %q, want admin's token only", r.stdout)
	}
	if strings.Contains(r.stdout, secret) {
		t.Errorf("list: got %q, want no secret", r.stdout)
	}

	r = concord(t, "", "tokens", "revoke", "1", "--user", "maria", "--db", db)
	if r.code != 1 || !strings.Contains(r.stderr, "no active token 1") {
		t.Errorf("revoke another user's token: got %s, want exit 1", r)
	}
	mustRun(t, "", "tokens", "revoke", "1", "--db", db)
	s = openDB(t, db)
	if _, err := s.UserByToken(ctx, secret); annotate.ErrorCode(err) != annotate.EUNAUTHORIZED {
		t.Errorf("UserByToken after revoke: got %v, want EUNAUTHORIZED", err)
	}
	if u, err := s.UserByToken(ctx, mariaSecret); err != nil || u.Name != "maria" {
		t.Errorf("maria's token after revoking admin's: got %v, %v; want it to still work", u, err)
	}
	s.Close()
	r = mustRun(t, "", "tokens", "list", "--db", db)
	if !strings.Contains(r.stdout, "revoked") {
		t.Errorf("list after revoke: got %q, want the token marked revoked", r.stdout)
	}
}

// TestBackupCopiesTheDatabase backs up an SQLite file whatever
// CONCORD_TEST_POSTGRES says: concord backup copies SQLite databases
// (VACUUM INTO) and sends PostgreSQL users to pg_dump, which the end of the
// test checks on the PostgreSQL run.
func TestBackupCopiesTheDatabase(t *testing.T) {
	clearConcordEnv(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "concord.db")
	writeFile(t, dir, "corpus/a.txt", []byte(articleA))
	writeFile(t, dir, "corpus/b.txt", []byte(articleB))
	mustRun(t, "", "import", "--db", db, filepath.Join(dir, "corpus"))

	out := filepath.Join(dir, "backup.db")
	r := mustRun(t, "", "backup", "--db", db, out)
	if !strings.Contains(r.stdout, "backed up "+db+" to "+out) {
		t.Errorf("got stdout %q, want it to name both files", r.stdout)
	}
	if got, want := documentCount(t, out), documentCount(t, db); got != want {
		t.Errorf("backup holds %d documents, want %d", got, want)
	}

	before, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	r = concord(t, "", "backup", "--db", db, out)
	if r.code != 1 || !strings.Contains(r.stderr, out+" already exists") {
		t.Errorf("backup over an existing file: got %s, want exit 1", r)
	}
	after, err := os.Stat(out)
	if err != nil || after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("the existing backup was touched: before %v, after %v (%v)", before, after, err)
	}

	r = concord(t, "", "backup", "--db", filepath.Join(dir, "missing.db"), filepath.Join(dir, "b2.db"))
	if r.code != 1 || !strings.Contains(r.stderr, "no database at") {
		t.Errorf("backup of a missing database: got %s, want exit 1", r)
	}

	if annotatetest.Postgres() {
		pg := tempDB(t)
		mustRun(t, "", "import", "--db", pg, filepath.Join(dir, "corpus"))
		r = concord(t, "", "backup", "--db", pg, filepath.Join(dir, "b3.db"))
		if r.code != 1 || !strings.Contains(r.stderr, "pg_dump") {
			t.Errorf("backup of a PostgreSQL database: got %s, want exit 1 pointing to pg_dump", r)
		}
	}
}
