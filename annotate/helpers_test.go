package annotate_test

import (
	"context"
	"path/filepath"
	"testing"

	"concord/annotate"
	"concord/seeds"
)

// newStore opens a fresh SQLite file in a temporary folder.
func newStore(t *testing.T) *annotate.Store {
	t.Helper()
	s, err := annotate.Open(context.Background(), filepath.Join(t.TempDir(), "concord.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// seededStore opens a fresh store with the default schema and the seed corpus.
func seededStore(t *testing.T) *annotate.Store {
	t.Helper()
	s := newStore(t)
	ctx := context.Background()
	data, err := seeds.FS.ReadFile(seeds.SchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := annotate.ParseSchema(data)
	if err != nil {
		t.Fatalf("parse default schema: %v", err)
	}
	if _, err := s.ApplySchema(ctx, 0, sc, nil); err != nil {
		t.Fatalf("apply default schema: %v", err)
	}
	rep, err := s.ImportFS(ctx, seeds.FS, annotate.ImportOptions{})
	if err != nil || rep.Err() != nil {
		t.Fatalf("import seeds: %v %v %+v", err, rep.Err(), rep)
	}
	return s
}
