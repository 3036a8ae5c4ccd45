package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

// result is what one concord command line produced.
type result struct {
	code   int
	stdout string
	stderr string
}

// String shows the whole result in failure messages.
func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout:\n%s--- stderr:\n%s", r.code, r.stdout, r.stderr)
}

// concord runs one command line in-process with stdin as its input.
func concord(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errw bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errw)
	return result{code: code, stdout: out.String(), stderr: errw.String()}
}

// mustRun runs a command line that must succeed.
func mustRun(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	r := concord(t, stdin, args...)
	if r.code != 0 {
		t.Fatalf("concord %s: got %s, want exit 0", strings.Join(args, " "), r)
	}
	return r
}

// tempDB returns the --db of a new database with no tables yet: the path of
// an SQLite file that does not exist yet, or the URL of an empty PostgreSQL
// database when CONCORD_TEST_POSTGRES is set (see annotatetest).
func tempDB(t *testing.T) string {
	t.Helper()
	return annotatetest.DSN(t)
}

// missingDB returns the path of an SQLite file that does not exist, for the
// commands that refuse to run on a database that is not there: only a file
// can be missing, a PostgreSQL URL names a database the server has.
func missingDB(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "concord.db")
}

// openDB opens a database a command wrote, for checking what it holds.
func openDB(t *testing.T, path string) *annotate.Store {
	t.Helper()
	s, err := annotate.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// documentCount returns how many documents the database holds.
func documentCount(t *testing.T, path string) int {
	t.Helper()
	s := openDB(t, path)
	docs, err := s.Documents(context.Background(), 0)
	if err != nil {
		t.Fatalf("list documents: %v", err)
	}
	n := len(docs)
	s.Close()
	return n
}

// writeFile writes a file under dir and returns its path.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// syncBuffer is a bytes.Buffer safe to read while a server writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// clearConcordEnv unsets every CONCORD_* variable for the test, so that the
// environment the tests run in cannot change their outcome.
func clearConcordEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "CONCORD_") && !strings.HasPrefix(name, "CONCORD_TEST_") && !strings.HasPrefix(name, "CONCORD_BENCH_") && name != "CONCORD_SCREENSHOTS" {
			t.Setenv(name, "")
		}
	}
}
