package annotate_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

func TestPragmas(t *testing.T) {
	t.Parallel()
	s := annotatetest.Open(t)
	sqliteOnly(t, s)
	w, r := s.SQLForTest()
	for name, db := range map[string]*sql.DB{"write": w, "read": r} {
		var mode string
		var fk int
		if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil {
			t.Fatal(err)
		}
		if mode != "wal" || fk != 1 {
			t.Errorf("%s pool: journal_mode %q foreign_keys %d, want wal and 1", name, mode, fk)
		}
	}
	// The write connection leaves checkpoints to the checkpointer; the
	// others keep SQLite's default.
	for name, want := range map[string]int{"write": 0, "read": 1000} {
		db := map[string]*sql.DB{"write": w, "read": r}[name]
		var acp, temp int
		if err := db.QueryRow("PRAGMA wal_autocheckpoint").Scan(&acp); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow("PRAGMA temp_store").Scan(&temp); err != nil {
			t.Fatal(err)
		}
		if acp != want || temp != 2 {
			t.Errorf("%s pool: wal_autocheckpoint %d temp_store %d, want %d and 2 (memory)", name, acp, temp, want)
		}
	}
	var ro int
	if err := r.QueryRow("PRAGMA query_only").Scan(&ro); err != nil || ro != 1 {
		t.Errorf("read pool query_only = %d %v, want 1", ro, err)
	}
	if s.Dialect() != "sqlite" {
		t.Errorf("dialect = %q", s.Dialect())
	}
	if _, err := annotate.Open(context.Background(), ""); !errors.Is(err, annotate.ErrInvalid) {
		t.Errorf("Open with no path: %v, want EINVALID", err)
	}
}

func TestOverlap(t *testing.T) {
	t.Parallel()
	s := annotatetest.Open(t)
	ctx := context.Background()
	if n, err := s.Overlap(ctx); err != nil || n != annotate.DefaultOverlap {
		t.Errorf("default overlap = %d %v, want %d", n, err, annotate.DefaultOverlap)
	}
	tests := []struct {
		n  int
		ok bool
	}{{0, false}, {-1, false}, {51, false}, {1, true}, {50, true}, {3, true}}
	for _, tc := range tests {
		err := s.SetOverlap(ctx, 0, tc.n)
		if (err == nil) != tc.ok {
			t.Errorf("SetOverlap(%d) = %v, want ok=%v", tc.n, err, tc.ok)
		}
		if err != nil && !errors.Is(err, annotate.ErrInvalid) {
			t.Errorf("SetOverlap(%d) = %v, want EINVALID", tc.n, err)
		}
	}
	if n, _ := s.Overlap(ctx); n != 3 {
		t.Errorf("overlap = %d, want 3", n)
	}
	if got := count(t, s, "SELECT count(*) FROM history WHERE entity = 'setting'"); got != 3 {
		t.Errorf("setting history rows = %d, want 3", got)
	}
}

func TestBackup(t *testing.T) {
	t.Parallel()
	s := annotatetest.Seeded(t)
	sqliteOnly(t, s)
	ctx := context.Background()
	u := mustUser(t, s, "alice", annotate.RoleAnnotator)
	q, _ := s.Queue(ctx, u.ID, annotate.QueueOptions{})
	if _, err := s.SaveAnnotation(ctx, u.ID, q[0].ID, 0, agree); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "backup.db")
	if err := s.Backup(ctx, path); err != nil {
		t.Fatal(err)
	}
	if err := s.Backup(ctx, path); err == nil {
		t.Error("backup over an existing file succeeded")
	}
	if err := s.Backup(ctx, ""); !errors.Is(err, annotate.ErrInvalid) {
		t.Errorf("backup without a path: %v, want EINVALID", err)
	}
	b, err := annotate.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	want := countRows(t, s)
	got := countRows(t, b)
	if !sameCounts(want, got) {
		t.Errorf("backup rows = %v, want %v", got, want)
	}
	a, err := b.Annotation(ctx, q[0].ID, u.ID)
	if err != nil || !a.Labels.Equal(agree) {
		t.Errorf("annotation in the backup: %+v %v", a, err)
	}
}
