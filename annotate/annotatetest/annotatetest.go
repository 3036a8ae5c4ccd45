// Package annotatetest gives the tests of any package a fresh Concord
// database of their own, in the spirit of net/http/httptest.
//
// Which database a test gets is chosen by the environment, not by a build
// tag, so that the same `go test ./...` runs every store test on either
// dialect: a new SQLite file in the test's temporary folder by default, or,
// when CONCORD_TEST_POSTGRES holds the URL of a PostgreSQL server where the
// user may create databases, a new PostgreSQL database, dropped when the
// test ends. For example:
//
//	CONCORD_TEST_POSTGRES='postgres://postgres@127.0.0.1:55432/postgres?sslmode=disable' go test ./web/
package annotatetest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"concord/annotate"
	"concord/seeds"
)

// EnvPostgres is the environment variable that, set to a PostgreSQL URL,
// makes DSN (and so every helper here) create PostgreSQL databases on that
// server instead of SQLite files.
const EnvPostgres = "CONCORD_TEST_POSTGRES"

// Postgres reports whether tests run against PostgreSQL, that is whether
// EnvPostgres is set.
func Postgres() bool { return os.Getenv(EnvPostgres) != "" }

// seq tells apart the databases one test process creates; the process id
// and the start time in the name tell apart processes, which `go test ./...`
// runs side by side, one per package.
var seq atomic.Int64

// start is when this process began, part of every database name.
var start = time.Now().UnixNano()

// DSN returns the address of a new, empty database for one test, for
// annotate.Open or a command line's --db: the path of an SQLite file in
// t.TempDir(), or, when EnvPostgres is set, the URL of a PostgreSQL
// database created for this test and dropped, with whatever connections
// are still open to it, when the test ends.
func DSN(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(EnvPostgres)
	if admin == "" {
		return filepath.Join(t.TempDir(), "concord.db")
	}
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s=%q is not a PostgreSQL URL; want postgres://user:password@127.0.0.1:5432/postgres?sslmode=disable", EnvPostgres, admin)
	}
	name := fmt.Sprintf("concord_test_%d_%d_%d", os.Getpid(), start, seq.Add(1))
	adminExec(t, admin, "CREATE DATABASE "+name)
	t.Cleanup(func() { adminExec(t, admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	u.Path = "/" + name
	return u.String()
}

// adminExec runs one statement on the server's administrative database. A
// connection of its own each time, rather than one held for the whole test,
// keeps the server's connection count down when many tests run at once.
func adminExec(t testing.TB, admin, stmt string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connect to %s (%s): %v", EnvPostgres, admin, err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, stmt); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

// Open opens a new, empty store (see DSN) and closes it when the test ends.
func Open(t testing.TB) *annotate.Store {
	t.Helper()
	s, err := annotate.Open(context.Background(), DSN(t))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// WithSchema opens a new store (see Open) with the default label schema
// that ships in seeds, and no documents.
func WithSchema(t testing.TB) *annotate.Store {
	t.Helper()
	s := Open(t)
	ApplyDefaultSchema(t, s)
	return s
}

// Seeded opens a new store (see Open) with the default label schema and
// the seed corpus, as a first `concord serve` leaves it.
func Seeded(t testing.TB) *annotate.Store {
	t.Helper()
	s := WithSchema(t)
	rep, err := s.ImportFS(context.Background(), seeds.FS, annotate.ImportOptions{})
	if err != nil || rep.Err() != nil {
		t.Fatalf("import seeds: %v %v %+v", err, rep.Err(), rep)
	}
	return s
}

// ApplyDefaultSchema applies the default label schema that ships in seeds
// to a store that has none yet.
func ApplyDefaultSchema(t testing.TB, s *annotate.Store) {
	t.Helper()
	data, err := seeds.FS.ReadFile(seeds.SchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := annotate.ParseSchema(data)
	if err != nil {
		t.Fatalf("parse default schema: %v", err)
	}
	if _, err := s.ApplySchema(context.Background(), 0, sc, nil); err != nil {
		t.Fatalf("apply default schema: %v", err)
	}
}

// Together runs fns at the same moment, as nearly as goroutines allow —
// each waits at a barrier until all have started — and returns when all
// have returned: the race tests fire the two sides of a race with it.
func Together(fns ...func()) {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(len(fns))
	done.Add(len(fns))
	for _, fn := range fns {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			fn()
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
}

// RunItems returns every item of a consensus run, by paragraph and
// dimension, read a page at a time as the API reads them.
func RunItems(t testing.TB, s *annotate.Store, run *annotate.ConsensusRun) map[int64]map[string]annotate.ConsensusItem {
	t.Helper()
	out := map[int64]map[string]annotate.ConsensusItem{}
	q := annotate.ConsensusQuery{Limit: annotate.MaxConsensusLimit}
	for {
		page, err := s.ConsensusItems(context.Background(), run, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			if out[it.ParagraphID] == nil {
				out[it.ParagraphID] = map[string]annotate.ConsensusItem{}
			}
			out[it.ParagraphID][it.Dimension] = it
		}
		if q.After = page.Next; q.After == "" {
			return out
		}
	}
}
