package annotate_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

// statusesByIndex pages through the documents of each status for everyone
// (two a page, to cross pages) and returns each document's status, "" for
// a document in none.
func statusesByIndex(t *testing.T, s *annotate.Store) map[int64]string {
	t.Helper()
	ctx := context.Background()
	got := map[int64]string{}
	for _, st := range []string{annotate.DocNotStarted, annotate.DocInProgress, annotate.DocDone} {
		var next int64
		for {
			page, err := s.DocumentPage(ctx, 0, annotate.DocumentQuery{Status: st, Limit: 2, After: next})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range page.Documents {
				if got[d.ID] != "" {
					t.Fatalf("document %d is both %s and %s", d.ID, got[d.ID], st)
				}
				got[d.ID] = st
			}
			if page.Next == 0 {
				break
			}
			next = page.Next
		}
	}
	docs, err := s.Documents(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		if _, ok := got[d.ID]; !ok {
			got[d.ID] = ""
		}
	}
	return got
}

// statusesByCounting computes each document's status from its progress
// counts, read from the paragraphs and annotations themselves.
func statusesByCounting(t *testing.T, s *annotate.Store) map[int64]string {
	t.Helper()
	docs, err := s.Documents(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]string{}
	for _, d := range docs {
		switch {
		case d.Annotations == 0:
			want[d.ID] = annotate.DocNotStarted
		case d.Done < d.Paragraphs:
			want[d.ID] = annotate.DocInProgress
		case d.Paragraphs > 0:
			want[d.ID] = annotate.DocDone
		default:
			want[d.ID] = ""
		}
	}
	return want
}

// checkStatuses fails the test unless the documents' kept statuses equal
// those their counts give, and those in expect.
func checkStatuses(t *testing.T, s *annotate.Store, when string, expect map[int64]string) {
	t.Helper()
	got, want := statusesByIndex(t, s), statusesByCounting(t, s)
	if !maps.Equal(got, want) {
		t.Fatalf("%s: kept statuses %v, counted %v", when, got, want)
	}
	for id, st := range expect {
		if got[id] != st {
			t.Fatalf("%s: document %d is %q, want %q", when, id, got[id], st)
		}
	}
}

func TestDocumentStatusFollowsEveryWrite(t *testing.T) {
	s := annotatetest.WithSchema(t)
	ctx := context.Background()
	a := mustUser(t, s, "a", annotate.RoleAnnotator)
	b := mustUser(t, s, "b", annotate.RoleAnnotator)
	rev := mustUser(t, s, "rev", annotate.RoleReviewer)
	l := annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}
	save := func(u *annotate.User, p annotate.ParagraphStatus) {
		t.Helper()
		if _, err := s.SaveAnnotation(ctx, u.ID, p.ID, 0, l); err != nil {
			t.Fatal(err)
		}
	}
	ids, paras := importThreeParagraphDocs(t, s, 4)
	d1, d2, d3, d4 := ids[0], ids[1], ids[2], ids[3]
	N, P, D := annotate.DocNotStarted, annotate.DocInProgress, annotate.DocDone
	checkStatuses(t, s, "after the import", map[int64]string{d1: N, d2: N, d3: N, d4: N})

	save(a, paras[0][0])
	checkStatuses(t, s, "after a first label", map[int64]string{d1: P, d2: N})
	for _, p := range paras[1] {
		save(a, p)
		save(b, p)
	}
	checkStatuses(t, s, "after two annotators labelled a document", map[int64]string{d1: P, d2: D})
	if _, err := s.SkipParagraph(ctx, b.ID, paras[0][1].ID, "unsure"); err != nil {
		t.Fatal(err)
	}
	checkStatuses(t, s, "after a skip", map[int64]string{d1: P, d2: D})
	if err := s.DeleteAnnotation(ctx, b.ID, paras[1][0].ID, 1); err != nil {
		t.Fatal(err)
	}
	checkStatuses(t, s, "after an undo", map[int64]string{d2: P})
	if err := s.DeleteAnnotation(ctx, a.ID, paras[0][0].ID, 1); err != nil {
		t.Fatal(err)
	}
	checkStatuses(t, s, "after the only label was removed", map[int64]string{d1: N})
	save(a, paras[0][0])
	if err := s.SetOverlap(ctx, 0, 1); err != nil {
		t.Fatal(err)
	}
	checkStatuses(t, s, "after the overlap went to 1", map[int64]string{d1: P, d2: D})
	if err := s.SetOverlap(ctx, 0, 3); err != nil {
		t.Fatal(err)
	}
	checkStatuses(t, s, "after the overlap went to 3", map[int64]string{d1: P, d2: P})
	if err := s.SetOverlap(ctx, 0, 2); err != nil {
		t.Fatal(err)
	}

	// Curation: the one paragraph left open is taken out, then put back.
	save(a, paras[2][0])
	save(b, paras[2][0])
	save(a, paras[2][1])
	save(b, paras[2][1])
	checkStatuses(t, s, "before curation", map[int64]string{d3: P})
	c, err := s.Flag(ctx, a.ID, paras[2][2].ID, annotate.CurationBoilerplate, "a footer")
	if err != nil {
		t.Fatal(err)
	}
	checkStatuses(t, s, "after a flag only suggested", map[int64]string{d3: P})
	if _, err := s.DecideCurations(ctx, rev.ID, []int64{c.ID}, annotate.StatusConfirmed); err != nil {
		t.Fatal(err)
	}
	checkStatuses(t, s, "after the open paragraph was taken out", map[int64]string{d3: D})
	if _, err := s.DecideCurations(ctx, rev.ID, []int64{c.ID}, annotate.StatusDismissed); err != nil {
		t.Fatal(err)
	}
	checkStatuses(t, s, "after it was put back", map[int64]string{d3: P})

	// A new revision: two paragraphs keep their labels, a new one has none.
	if _, err := s.ImportDocument(ctx, 0, annotate.Source{Key: "d2.txt", Text: []byte("Doc 2\n\nSecond of 2.\n\nThird of 2.\n\nA new paragraph.")}); err != nil {
		t.Fatal(err)
	}
	checkStatuses(t, s, "after a re-import added an unlabelled paragraph", map[int64]string{d2: P})
	if _, err := s.ImportDocument(ctx, 0, annotate.Source{Key: "d2.txt", Text: []byte("Doc 2\n\nSecond of 2.\n\nThird of 2.")}); err != nil {
		t.Fatal(err)
	}
	checkStatuses(t, s, "after a re-import dropped it again", map[int64]string{d2: D})
	if _, err := s.ImportDocument(ctx, 0, annotate.Source{Key: "d4.txt", Text: []byte("Doc 4\n\nAll new.")}); err != nil {
		t.Fatal(err)
	}
	checkStatuses(t, s, "after a re-import of a document not started", map[int64]string{d4: N})

	// Labelled imports: new documents come in with their labels counted,
	// and labels merged into a document the database holds count too.
	two := []annotate.NamedLabels{{Annotator: "a", Labels: l}, {Annotator: "b", Labels: l}}
	one := two[:1]
	res, err := s.ImportLabelledDocuments(ctx, 0, []annotate.LabelledDocument{
		{Key: "full.jsonl", Title: "Full", Paragraphs: []annotate.LabelledParagraph{{Text: "Labelled twice.", Annotations: two}, {Text: "Also twice.", Annotations: two}}},
		{Key: "half.jsonl", Title: "Half", Paragraphs: []annotate.LabelledParagraph{{Text: "Labelled once.", Annotations: one}, {Text: "Not yet."}}},
		{Key: "flagged.jsonl", Title: "Flagged", Paragraphs: []annotate.LabelledParagraph{{Text: "Labelled twice here.", Annotations: two}, {Text: "Boilerplate here.", Flags: []string{annotate.CurationBoilerplate}}}},
		{Key: "empty.jsonl", Title: "All out", Paragraphs: []annotate.LabelledParagraph{{Text: "Out, with a label.", Annotations: one, Flags: []string{annotate.CurationBoilerplate}}}},
		{Key: "d4.txt", Paragraphs: []annotate.LabelledParagraph{{Text: "All new.", Annotations: two}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var newIDs []int64
	for _, r := range res {
		if r.Error != "" {
			t.Fatalf("labelled import: %s", r.Error)
		}
		newIDs = append(newIDs, r.DocumentID)
	}
	checkStatuses(t, s, "after a labelled import", map[int64]string{newIDs[0]: D, newIDs[1]: P, newIDs[2]: D, newIDs[3]: "", d4: D})

	// A database made before the states were kept computes them on opening.
	db, _ := s.SQLForTest()
	if _, err := db.Exec("UPDATE documents SET progress_state = 0"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("DELETE FROM settings WHERE name = 'document_progress'"); err != nil {
		t.Fatal(err)
	}
	if err := s.ReopenForTest(ctx); err != nil {
		t.Fatal(err)
	}
	checkStatuses(t, s, "after opening a database without kept states", map[int64]string{d2: D, newIDs[1]: P})
}

// TestDocumentDoneWhenLastParagraphsCloseTogether has two annotators, on two
// servers over one database, close a document's last two open paragraphs at
// the same moment, again and again: on PostgreSQL the two saves run side by
// side in transactions of their own, and neither may leave the document in
// progress for want of seeing the other's label.
func TestDocumentDoneWhenLastParagraphsCloseTogether(t *testing.T) {
	dsn := annotatetest.DSN(t)
	s := openStore(t, dsn)
	annotatetest.ApplyDefaultSchema(t, s)
	ctx := context.Background()
	if err := s.SetOverlap(ctx, 0, 1); err != nil {
		t.Fatal(err)
	}
	servers := []*annotate.Store{s, openStore(t, dsn)}
	users := []*annotate.User{mustUser(t, s, "a", annotate.RoleAnnotator), mustUser(t, s, "b", annotate.RoleAnnotator)}
	l := annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}
	var done []int64
	for round := range 40 {
		res := mustImport(t, s, fmt.Sprintf("race-%d.txt", round), fmt.Sprintf("Race %d\n\nLeft %d.\n\nRight %d.", round, round, round))
		ps := currentParagraphs(t, s, res.DocumentID)
		errs := make([]error, 2)
		save := func(i int) func() {
			return func() { _, errs[i] = servers[i].SaveAnnotation(ctx, users[i].ID, ps[i].ID, 0, l) }
		}
		annotatetest.Together(save(0), save(1))
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		done = append(done, res.DocumentID)
	}
	got := statusesByIndex(t, s)
	var stuck []int64
	for _, id := range done {
		if got[id] != annotate.DocDone {
			stuck = append(stuck, id)
		}
	}
	slices.Sort(stuck)
	if len(stuck) > 0 {
		t.Fatalf("documents %v are %q with every paragraph labelled, want done", stuck, got[stuck[0]])
	}
}
