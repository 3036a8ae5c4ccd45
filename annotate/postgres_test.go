//go:build postgres

package annotate_test

// With the postgres build tag every store test runs against PostgreSQL
// instead of SQLite: `make test-postgres` with CONCORD_TEST_POSTGRES set to
// the URL of a server where the user may create databases. Each test gets
// a database of its own, dropped when it ends.

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

var pgSeq atomic.Int64

func init() {
	testDSN = func(t *testing.T) string {
		t.Helper()
		admin := os.Getenv("CONCORD_TEST_POSTGRES")
		if admin == "" {
			t.Fatal("the postgres build tag needs CONCORD_TEST_POSTGRES=postgres://user:password@127.0.0.1:5432/postgres?sslmode=disable")
		}
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Fatalf("connect to %s: %v", admin, err)
		}
		name := fmt.Sprintf("concord_test_%d_%d", time.Now().UnixNano(), pgSeq.Add(1))
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
			t.Fatalf("create database: %v", err)
		}
		t.Cleanup(func() {
			_, _ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			_ = conn.Close(context.Background())
		})
		u, err := url.Parse(admin)
		if err != nil {
			t.Fatal(err)
		}
		u.Path = "/" + strings.TrimPrefix(name, "/")
		return u.String()
	}
}
