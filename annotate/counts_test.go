package annotate_test

import (
	"context"
	"testing"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

// checkCounts fails the test unless every paragraph's kept count equals its
// annotations and its open flag agrees with the overlap.
func checkCounts(t *testing.T, s *annotate.Store, when string) {
	t.Helper()
	ctx := context.Background()
	overlap, err := s.Overlap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bad := count(t, s, `SELECT count(*) FROM paragraphs p WHERE p.annotators <> (SELECT count(*) FROM annotations a WHERE a.paragraph_id = p.id)
 OR p.is_open <> (p.annotators < ?)`, overlap)
	if bad != 0 {
		t.Fatalf("%s: %d paragraphs whose kept count or open flag is wrong", when, bad)
	}
}

func TestParagraphCountsFollowEveryWrite(t *testing.T) {
	s := annotatetest.WithSchema(t)
	ctx := context.Background()
	a := mustUser(t, s, "a", annotate.RoleAnnotator)
	b := mustUser(t, s, "b", annotate.RoleAnnotator)
	doc := mustImport(t, s, "c.txt", "Title\n\nOne stays.\n\nTwo stays.\n\nThree goes.")
	ps := currentParagraphs(t, s, doc.DocumentID)
	l := annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}
	for _, u := range []*annotate.User{a, b} {
		for _, p := range ps {
			if _, err := s.SaveAnnotation(ctx, u.ID, p.ID, 0, l); err != nil {
				t.Fatal(err)
			}
		}
	}
	checkCounts(t, s, "after six saves")
	if n := count(t, s, "SELECT count(*) FROM paragraphs WHERE is_open = ?", true); n != 0 {
		t.Errorf("%d paragraphs still open with two annotators each and overlap 2", n)
	}
	if err := s.DeleteAnnotation(ctx, a.ID, ps[0].ID, 1); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, s, "after an undo")
	if _, err := s.ImportDocument(ctx, 0, annotate.Source{Key: "c.txt", Text: []byte("Title\n\nOne stays.\n\nTwo stays.\n\nA new one.")}); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, s, "after a re-import carried labels over")
	if err := s.SetOverlap(ctx, 0, 3); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, s, "after the overlap went to 3")
	if err := s.SetOverlap(ctx, 0, 1); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, s, "after the overlap went to 1")
	// A database whose counts were never kept is counted when it opens.
	db, _ := s.SQLForTest()
	if _, err := db.Exec("UPDATE paragraphs SET annotators = 0, is_open = true"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("DELETE FROM settings WHERE name = 'paragraph_counts'"); err != nil {
		t.Fatal(err)
	}
	if err := s.ReopenForTest(ctx); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, s, "after opening a database without counts")
}
