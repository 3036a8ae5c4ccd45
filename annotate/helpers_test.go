package annotate_test

import (
	"context"
	"fmt"
	"testing"

	"concord/annotate"
)

// tables lists every table of the store.
var tables = []string{
	"users", "tokens", "sessions", "documents", "revisions", "paragraphs",
	"annotations", "golds", "skips", "notes", "curations", "history",
	"schema_versions", "settings", "open_values", "open_value_users", "open_value_terms", "user_flags", "leases",
	"consensus_runs", "consensus_items", "consensus_annotators", "suggestions", "suggestions_shown",
	"model_runs", "label_issues",
}

// countRows returns the number of rows of every table.
func countRows(t *testing.T, s *annotate.Store) map[string]int {
	t.Helper()
	db, _ := s.SQLForTest()
	out := map[string]int{}
	for _, tb := range tables {
		var n int
		if err := db.QueryRow("SELECT count(*) FROM " + tb).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", tb, err)
		}
		out[tb] = n
	}
	return out
}

// count runs a SELECT count(*) query and returns its result.
func count(t *testing.T, s *annotate.Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.GormForTest().Raw(query, args...).Scan(&n).Error; err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// openStore opens the database at dsn as one more server would, closed
// when the test ends.
func openStore(t *testing.T, dsn string) *annotate.Store {
	t.Helper()
	s, err := annotate.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// mustUser creates a user or fails the test.
func mustUser(t *testing.T, s *annotate.Store, name string, role annotate.Role) *annotate.User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), 0, name, role, "correct horse battery")
	if err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	return u
}

// mustImport imports one text document or fails the test.
func mustImport(t *testing.T, s *annotate.Store, key, text string) annotate.ImportResult {
	t.Helper()
	res, err := s.ImportDocument(context.Background(), 0, annotate.Source{Key: key, Origin: key, Text: []byte(text)})
	if err != nil {
		t.Fatalf("import %s: %v", key, err)
	}
	return res
}

// currentParagraphs returns a document's current paragraphs in order.
func currentParagraphs(t *testing.T, s *annotate.Store, docID int64) []annotate.ParagraphStatus {
	t.Helper()
	ps, err := s.Paragraphs(context.Background(), docID, 0)
	if err != nil {
		t.Fatalf("paragraphs of %d: %v", docID, err)
	}
	return ps
}

// sqliteOnly marks a test that checks SQLite itself (pragmas, VACUUM INTO,
// triggers), which PostgreSQL has no counterpart of; the PostgreSQL run of
// the suite (CONCORD_TEST_POSTGRES set, see annotatetest) leaves it out. On
// the default SQLite run it always runs.
func sqliteOnly(t *testing.T, s *annotate.Store) {
	t.Helper()
	if s.Dialect() != "sqlite" {
		t.Skip("checks SQLite itself")
	}
}

// historyOf returns a paragraph's whole history, which in a test fits one
// page.
func historyOf(s *annotate.Store, ctx context.Context, paragraphID int64) ([]annotate.Change, error) {
	p, err := s.History(ctx, paragraphID, annotate.ListQuery{Limit: annotate.MaxHistoryLimit})
	if err != nil {
		return nil, err
	}
	return p.Changes, nil
}

// tokensOf returns a user's tokens, which in a test fit one page.
func tokensOf(s *annotate.Store, ctx context.Context, userID int64) ([]annotate.Token, error) {
	p, err := s.Tokens(ctx, userID, annotate.ListQuery{Limit: annotate.MaxTokenLimit})
	if err != nil {
		return nil, err
	}
	return p.Tokens, nil
}

// curationsOf returns the flags f keeps, which in a test fit one page.
func curationsOf(s *annotate.Store, ctx context.Context, f annotate.CurationFilter) ([]annotate.CurationItem, error) {
	f.Limit = annotate.MaxCurationLimit
	p, err := s.Curations(ctx, f)
	if err != nil {
		return nil, err
	}
	return p.Curations, nil
}

// importThreeParagraphDocs imports n documents, d1.txt to dn.txt, of three
// paragraphs each, and returns their ids and current paragraphs.
func importThreeParagraphDocs(t *testing.T, s *annotate.Store, n int) ([]int64, [][]annotate.ParagraphStatus) {
	t.Helper()
	var ids []int64
	var paras [][]annotate.ParagraphStatus
	for i := 1; i <= n; i++ {
		res := mustImport(t, s, fmt.Sprintf("d%d.txt", i), fmt.Sprintf("Doc %d\n\nFirst of %d.\n\nSecond of %d.\n\nThird of %d.", i, i, i, i))
		ids = append(ids, res.DocumentID)
		paras = append(paras, currentParagraphs(t, s, res.DocumentID))
	}
	return ids, paras
}
