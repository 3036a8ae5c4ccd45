package annotate

// The statement pool is SQLite's alone (pgx caches prepared statements
// itself), so these tests open SQLite files whatever CONCORD_TEST_POSTGRES
// says.

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// openTestPool opens a stmtPool of conns connections over a fresh SQLite
// file with a table t(n).
func openTestPool(t *testing.T, max, conns int) *stmtPool {
	t.Helper()
	db, err := sql.Open(sqliteDriver(), "file:"+filepath.Join(t.TempDir(), "p.db")+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(conns)
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec("CREATE TABLE t (n INTEGER NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	p := newStmtPool(db, max)
	t.Cleanup(p.close)
	return p
}

func (p *stmtPool) size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lru.Len()
}

func (p *stmtPool) holds(query string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.byKey[query]
	return ok
}

// TestStmtPoolIsBounded runs more distinct statements than the cache holds:
// each runs correctly, the cache never grows past its bound, and it keeps
// the most recently used.
func TestStmtPoolIsBounded(t *testing.T) {
	ctx := context.Background()
	p := openTestPool(t, 3, 1)
	for i := range 10 {
		if _, err := p.ExecContext(ctx, fmt.Sprintf("INSERT INTO t (n) VALUES (%d + ?)", i), 100); err != nil {
			t.Fatal(err)
		}
		if n := p.size(); n > 3 {
			t.Fatalf("after %d statements the cache holds %d, want at most 3", i+1, n)
		}
	}
	var sum int
	if err := p.QueryRowContext(ctx, "SELECT sum(n) FROM t").Scan(&sum); err != nil {
		t.Fatal(err)
	}
	if want := 10*100 + 45; sum != want {
		t.Errorf("sum = %d, want %d", sum, want)
	}
	if !p.holds("SELECT sum(n) FROM t") || p.holds("INSERT INTO t (n) VALUES (0 + ?)") {
		t.Errorf("the cache should hold the latest statement and have dropped the oldest")
	}
}

// TestStmtPoolEvictionWaitsForUsers evicts a statement while a caller holds
// it and while rows from it are open: both keep working, and the statement
// is closed once the last user lets go.
func TestStmtPoolEvictionWaitsForUsers(t *testing.T) {
	ctx := context.Background()
	// Two connections: the open rows hold one.
	p := openTestPool(t, 1, 2)
	for i := range 3 {
		if _, err := p.ExecContext(ctx, "INSERT INTO t (n) VALUES (?)", i); err != nil {
			t.Fatal(err)
		}
	}
	held, err := p.acquire(ctx, "SELECT count(*) FROM t WHERE n >= ?")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := p.QueryContext(ctx, "SELECT n FROM t ORDER BY n")
	if err != nil {
		t.Fatal(err)
	}
	// Both statements are now evicted: the cache holds one, the latest.
	if _, err := p.ExecContext(ctx, "UPDATE t SET n = n WHERE n < ?", 0); err != nil {
		t.Fatal(err)
	}
	if p.holds(held.query) {
		t.Fatalf("%q should have been evicted", held.query)
	}
	var got []int
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[0 1 2]" {
		t.Errorf("rows read after eviction = %v, want [0 1 2]", got)
	}
	var n int
	if err := held.stmt.QueryRowContext(ctx, 1).Scan(&n); err != nil || n != 2 {
		t.Errorf("held statement after eviction: n=%d err=%v, want 2 and no error", n, err)
	}
	p.release(held)
	if err := held.stmt.QueryRowContext(ctx, 1).Scan(&n); err == nil {
		t.Errorf("an evicted statement should be closed once its last user releases it")
	}
}

// TestStmtPoolTransactions runs statements inside transactions on a pool of
// one connection: a statement first met in a transaction runs there without
// waiting for a second connection, is prepared on the pool once the
// transaction ends, and is reused by the next transaction.
func TestStmtPoolTransactions(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p := openTestPool(t, 8, 1)
	const insert = "INSERT INTO t (n) VALUES (?)"
	for i, end := range []string{"commit", "rollback", "commit"} {
		cp, err := p.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		tx := cp.(*stmtTx)
		if _, err := tx.ExecContext(ctx, insert, i); err != nil {
			t.Fatalf("%s %d: %v", end, i, err)
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if end == "commit" {
			err = tx.Commit()
		} else {
			err = tx.Rollback()
		}
		if err != nil {
			t.Fatal(err)
		}
		if !p.holds(insert) {
			t.Errorf("after transaction %d the insert should be cached", i)
		}
	}
	var ns []int
	rows, err := p.QueryContext(ctx, "SELECT n FROM t ORDER BY n")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		ns = append(ns, n)
	}
	if fmt.Sprint(ns) != "[0 2]" {
		t.Errorf("committed rows = %v, want [0 2] (the rolled-back insert gone)", ns)
	}
}
