package annotate_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

// TestImportAnalyzesAsTablesGrow imports labelled documents into a new
// database, a few and then more than the first mark of paragraphs: on
// PostgreSQL the store analyzes the tables the import's statements plan
// on once the mark is passed, not before; on SQLite it never does.
func TestImportAnalyzesAsTablesGrow(t *testing.T) {
	s := annotatetest.WithSchema(t)
	ctx := context.Background()
	docs := func(from, n int) []annotate.LabelledDocument {
		var out []annotate.LabelledDocument
		for d := from; d < from+n; d++ {
			var ps []annotate.LabelledParagraph
			for p := range 10 {
				ps = append(ps, para(fmt.Sprintf("Paragraph %d of document %d says something of its own.", p, d), by("alice", "agree")))
			}
			out = append(out, labelled(fmt.Sprintf("doc-%04d", d), ps...))
		}
		return out
	}
	imported := func(ds []annotate.LabelledDocument) {
		t.Helper()
		for start := 0; start < len(ds); start += 200 {
			res, err := s.ImportLabelledDocuments(ctx, 0, ds[start:min(start+200, len(ds))])
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res {
				if r.Status != annotate.ImportCreated {
					t.Fatalf("document %s: %+v", r.Key, r)
				}
			}
		}
	}
	analyzed := func() int {
		if s.Dialect() != "postgres" {
			return count(t, s, "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
		}
		return count(t, s, "SELECT count(*) FROM pg_stat_user_tables WHERE relname IN ('documents', 'paragraphs', 'curations') AND last_analyze IS NOT NULL")
	}
	imported(docs(0, 10))
	if n := analyzed(); n != 0 {
		t.Fatalf("%d tables analyzed after 100 paragraphs, want none yet", n)
	}
	imported(docs(10, 600))
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
