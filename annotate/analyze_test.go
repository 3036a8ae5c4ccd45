package annotate_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

// TestImportAnalyzesAsTablesGrow imports into a new database a few
// documents and then more than the first mark of paragraphs: on
// PostgreSQL the store analyzes the tables the import's statements plan
// on once the mark is passed, not before; on SQLite it never does.
func TestImportAnalyzesAsTablesGrow(t *testing.T) {
	s := annotatetest.WithSchema(t)
	ctx := context.Background()
	docs := func(from, n int) []annotate.Source {
		var out []annotate.Source
		for d := from; d < from+n; d++ {
			var b strings.Builder
			for p := range 10 {
				fmt.Fprintf(&b, "Paragraph %d of document %d says something of its own.\n\n", p, d)
			}
			out = append(out, annotate.Source{Key: fmt.Sprintf("doc-%04d", d), Text: []byte(b.String())})
		}
		return out
	}
	analyzed := func() int {
		if s.Dialect() != "postgres" {
			return count(t, s, "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
		}
		return count(t, s, "SELECT count(*) FROM pg_stat_user_tables WHERE relname IN ('documents', 'paragraphs', 'curations') AND last_analyze IS NOT NULL")
	}
	if rep, err := s.ImportDocuments(ctx, 0, docs(0, 10)); err != nil || rep.Created != 10 {
		t.Fatalf("import: %v %+v", err, rep)
	}
	if n := analyzed(); n != 0 {
		t.Fatalf("%d tables analyzed after 100 paragraphs, want none yet", n)
	}
	if rep, err := s.ImportDocuments(ctx, 0, docs(10, 600)); err != nil || rep.Created != 600 {
		t.Fatalf("import: %v %+v", err, rep)
	}
	want := 3
	if s.Dialect() != "postgres" {
		want = 0
	}
	// The server's statistics reach its views within a second or so.
	n := analyzed()
	for deadline := time.Now().Add(10 * time.Second); n != want && time.Now().Before(deadline); n = analyzed() {
		time.Sleep(100 * time.Millisecond)
	}
	if n != want {
		t.Errorf("%d tables analyzed after 6,100 paragraphs, want %d", n, want)
	}
}
