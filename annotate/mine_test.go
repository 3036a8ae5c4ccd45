package annotate_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

// mineListed pages through the documents of one of the caller's own
// statuses, two a page, and returns their ids in order.
func mineListed(t *testing.T, s *annotate.Store, userID int64, status string) []int64 {
	t.Helper()
	return pagedDocuments(t, s, userID, annotate.DocumentQuery{Status: status, Limit: 2})
}

// pagedDocuments follows q's pages to the end, from q.After on, and returns
// the ids they list in order; pages that do not end fail the test.
func pagedDocuments(t *testing.T, s *annotate.Store, userID int64, q annotate.DocumentQuery) []int64 {
	t.Helper()
	var ids []int64
	for range 1000 {
		page, err := s.DocumentPage(context.Background(), userID, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page.Documents {
			ids = append(ids, d.ID)
		}
		if page.Next == 0 {
			return ids
		}
		q.After = page.Next
	}
	t.Fatalf("the pages of %+v do not end", q)
	return nil
}

// mineCounted computes the documents a user finished and those with
// paragraphs left for them from every document's progress counts.
func mineCounted(t *testing.T, s *annotate.Store, userID int64) (done, left []int64) {
	t.Helper()
	docs, err := s.Documents(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		switch {
		case d.Mine+d.Skipped < d.Paragraphs:
			left = append(left, d.ID)
		case d.Paragraphs > 0:
			done = append(done, d.ID)
		}
	}
	return done, left
}

// doneRows returns the user's folded rows (done_documents) as they stand.
func doneRows(t *testing.T, s *annotate.Store, userID int64) []int64 {
	t.Helper()
	var ids []int64
	if err := s.GormForTest().Raw("SELECT document_id FROM done_documents WHERE user_id = ? ORDER BY document_id", userID).Scan(&ids).Error; err != nil {
		t.Fatal(err)
	}
	return ids
}

// checkMine fails the test unless, for each user, "done by me" and "left
// for me" list what the counts give, the folded rows behind them are
// exactly the finished documents, and the user finished the documents of
// want.
func checkMine(t *testing.T, s *annotate.Store, when string, users []*annotate.User, want map[int64][]int64) {
	t.Helper()
	for _, u := range users {
		done, left := mineCounted(t, s, u.ID)
		if got := mineListed(t, s, u.ID, annotate.DocMine); !slices.Equal(got, done) {
			t.Fatalf("%s: done by %s lists %v, counted %v", when, u.Name, got, done)
		}
		if got := mineListed(t, s, u.ID, annotate.DocMineLeft); !slices.Equal(got, left) {
			t.Fatalf("%s: left for %s lists %v, counted %v", when, u.Name, got, left)
		}
		if rows := doneRows(t, s, u.ID); !slices.Equal(rows, done) {
			t.Fatalf("%s: %s's folded rows %v, finished %v", when, u.Name, rows, done)
		}
		if w, ok := want[u.ID]; ok && !slices.Equal(done, w) {
			t.Fatalf("%s: %s finished %v, want %v", when, u.Name, done, w)
		}
		checkPrefix(t, s, when, u, done)
	}
}

// checkPrefix fails the test unless the user's prefix (done_prefix) covers
// only finished documents and, on SQLite, which has no transactions in
// flight to wait for, every finished document before the first that is not.
func checkPrefix(t *testing.T, s *annotate.Store, when string, u *annotate.User, done []int64) {
	t.Helper()
	var upto int64
	if err := s.GormForTest().Raw("SELECT COALESCE(MAX(upto), 0) FROM done_prefix WHERE user_id = ?", u.ID).Scan(&upto).Error; err != nil {
		t.Fatal(err)
	}
	var all []int64
	if err := s.GormForTest().Raw("SELECT id FROM documents ORDER BY id").Scan(&all).Error; err != nil {
		t.Fatal(err)
	}
	var want int64
	for _, id := range all {
		if !slices.Contains(done, id) {
			break
		}
		want = id
	}
	if upto > want {
		t.Fatalf("%s: %s's prefix reaches document %d, past the first unfinished one (finished %v of %v)", when, u.Name, upto, done, all)
	}
	if s.Dialect() != "postgres" && upto != want {
		t.Fatalf("%s: %s's prefix is %d, want %d (finished %v of %v)", when, u.Name, upto, want, done, all)
	}
}

func TestMineStatusesFollowEveryWrite(t *testing.T) {
	s := annotatetest.WithSchema(t)
	ctx := context.Background()
	a := mustUser(t, s, "a", annotate.RoleAnnotator)
	b := mustUser(t, s, "b", annotate.RoleAnnotator)
	rev := mustUser(t, s, "rev", annotate.RoleReviewer)
	users := []*annotate.User{a, b}
	l := annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}
	save := func(u *annotate.User, p annotate.ParagraphStatus) {
		t.Helper()
		if _, err := s.SaveAnnotation(ctx, u.ID, p.ID, 0, l); err != nil {
			t.Fatal(err)
		}
	}
	ids, paras := importThreeParagraphDocs(t, s, 5)
	d1, d2, d3, d4 := ids[0], ids[1], ids[2], ids[3]
	none := []int64(nil)
	checkMine(t, s, "after the import", users, map[int64][]int64{a.ID: none, b.ID: none})

	for _, p := range paras[0] {
		save(a, p)
	}
	save(a, paras[1][0])
	save(a, paras[1][1])
	if _, err := s.SkipParagraph(ctx, a.ID, paras[1][2].ID, "unsure"); err != nil {
		t.Fatal(err)
	}
	if rows := doneRows(t, s, a.ID); len(rows) != 0 {
		t.Fatalf("saves wrote folded rows %v themselves", rows)
	}
	checkMine(t, s, "after labels and a skip", users, map[int64][]int64{a.ID: {d1, d2}, b.ID: none})

	save(b, paras[0][0])
	if err := s.DeleteAnnotation(ctx, a.ID, paras[0][1].ID, 1); err != nil {
		t.Fatal(err)
	}
	checkMine(t, s, "after an undo", users, map[int64][]int64{a.ID: {d2}, b.ID: none})
	save(a, paras[0][1])
	if err := s.UnskipParagraph(ctx, a.ID, paras[1][2].ID); err != nil {
		t.Fatal(err)
	}
	checkMine(t, s, "after a label again and an unskip", users, map[int64][]int64{a.ID: {d1}})
	save(a, paras[1][2])
	checkMine(t, s, "after the unskipped paragraph was labelled", users, map[int64][]int64{a.ID: {d1, d2}})

	// Curation: b's one paragraph left is taken out, then put back.
	save(b, paras[2][0])
	save(b, paras[2][1])
	c, err := s.Flag(ctx, a.ID, paras[2][2].ID, annotate.CurationBoilerplate, "a footer")
	if err != nil {
		t.Fatal(err)
	}
	checkMine(t, s, "after a flag only suggested", users, map[int64][]int64{b.ID: none})
	if _, err := s.DecideCurations(ctx, rev.ID, []int64{c.ID}, annotate.StatusConfirmed); err != nil {
		t.Fatal(err)
	}
	checkMine(t, s, "after the paragraph left was taken out", users, map[int64][]int64{b.ID: {d3}})
	if _, err := s.DecideCurations(ctx, rev.ID, []int64{c.ID}, annotate.StatusDismissed); err != nil {
		t.Fatal(err)
	}
	checkMine(t, s, "after it was put back", users, map[int64][]int64{b.ID: none})

	// A label on a paragraph taken out does not count, and undoing it
	// keeps the document finished.
	for _, p := range paras[3][:2] {
		save(a, p)
	}
	c, err = s.Flag(ctx, rev.ID, paras[3][2].ID, annotate.CurationNotRelevant, "off topic")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DecideCurations(ctx, rev.ID, []int64{c.ID}, annotate.StatusConfirmed); err != nil {
		t.Fatal(err)
	}
	save(b, paras[3][2])
	checkMine(t, s, "after a label on a paragraph taken out", users, map[int64][]int64{a.ID: {d1, d2, d4}, b.ID: none})
	if err := s.DeleteAnnotation(ctx, a.ID, paras[3][0].ID, 1); err != nil {
		t.Fatal(err)
	}
	save(a, paras[3][0])
	if err := s.DeleteAnnotation(ctx, b.ID, paras[3][2].ID, 1); err != nil {
		t.Fatal(err)
	}
	checkMine(t, s, "after undos in a document with a paragraph taken out", users, map[int64][]int64{a.ID: {d1, d2, d4}})

	// New revisions: an unlabelled paragraph comes in, then goes again.
	if _, err := s.ImportDocument(ctx, 0, annotate.Source{Key: "d1.txt", Text: []byte("Doc 1\n\nFirst of 1.\n\nSecond of 1.\n\nThird of 1.\n\nA new paragraph.")}); err != nil {
		t.Fatal(err)
	}
	checkMine(t, s, "after a re-import added an unlabelled paragraph", users, map[int64][]int64{a.ID: {d2, d4}})
	if _, err := s.ImportDocument(ctx, 0, annotate.Source{Key: "d1.txt", Text: []byte("Doc 1\n\nFirst of 1.\n\nSecond of 1.\n\nThird of 1.")}); err != nil {
		t.Fatal(err)
	}
	checkMine(t, s, "after a re-import dropped it again", users, map[int64][]int64{a.ID: {d1, d2, d4}})

	// Labelled imports, of new documents and into one the database holds.
	res, err := s.ImportLabelledDocuments(ctx, 0, []annotate.LabelledDocument{
		{Key: "full.jsonl", Title: "Full", Paragraphs: []annotate.LabelledParagraph{
			{Text: "Labelled by a.", Annotations: []annotate.NamedLabels{{Annotator: "a", Labels: l}}},
			{Text: "And by b.", Annotations: []annotate.NamedLabels{{Annotator: "a", Labels: l}, {Annotator: "b", Labels: l}}}}},
		{Key: "d5.txt", Paragraphs: []annotate.LabelledParagraph{
			{Text: "First of 5.", Annotations: []annotate.NamedLabels{{Annotator: "b", Labels: l}}},
			{Text: "Second of 5.", Annotations: []annotate.NamedLabels{{Annotator: "b", Labels: l}}},
			{Text: "Third of 5.", Annotations: []annotate.NamedLabels{{Annotator: "b", Labels: l}}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Error != "" {
			t.Fatalf("labelled import: %s", r.Error)
		}
	}
	full := res[0].DocumentID
	checkMine(t, s, "after a labelled import", users, map[int64][]int64{a.ID: {d1, d2, d4, full}, b.ID: {ids[4]}})

	// A database whose rows were never folded folds them all.
	db, _ := s.SQLForTest()
	for _, stmt := range []string{"DELETE FROM done_documents", "DELETE FROM done_dirty", "DELETE FROM settings WHERE name IN ('done_annotations', 'done_skips')"} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.ReopenForTest(ctx); err != nil {
		t.Fatal(err)
	}
	checkMine(t, s, "after opening a database never folded", users, map[int64][]int64{a.ID: {d1, d2, d4, full}, b.ID: {ids[4]}})
}

// TestFoldWaitsForAnUndo has a fold look at a document while an undo that
// takes its last paragraph back is still uncommitted: the fold must not add
// the document as finished after the undo removed it.
func TestFoldWaitsForAnUndo(t *testing.T) {
	s := annotatetest.WithSchema(t)
	ctx := context.Background()
	a := mustUser(t, s, "a", annotate.RoleAnnotator)
	l := annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}
	for round := range 5 {
		res := mustImport(t, s, fmt.Sprintf("undo-%d.txt", round), fmt.Sprintf("Undo %d\n\nOne %d.\n\nTwo %d.", round, round, round))
		ps := currentParagraphs(t, s, res.DocumentID)
		for _, p := range ps {
			if _, err := s.SaveAnnotation(ctx, a.ID, p.ID, 0, l); err != nil {
				t.Fatal(err)
			}
		}
		tx := s.GormForTest().Begin()
		if err := tx.Exec("DELETE FROM annotations WHERE paragraph_id = ? AND user_id = ?", ps[1].ID, a.ID).Error; err != nil {
			tx.Rollback()
			t.Fatal(err)
		}
		folded := make(chan error, 1)
		go func() { folded <- s.FoldFinished(ctx) }()
		// Give the fold time to reach the document (the test holds either
		// way: a fold that comes later sees the undo committed).
		time.Sleep(200 * time.Millisecond)
		if err := tx.Commit().Error; err != nil {
			t.Fatal(err)
		}
		if err := <-folded; err != nil {
			t.Fatal(err)
		}
		if rows := doneRows(t, s, a.ID); slices.Contains(rows, res.DocumentID) {
			t.Fatalf("round %d: the fold marked document %d finished after its undo", round, res.DocumentID)
		}
		done, _ := mineCounted(t, s, a.ID)
		if got := mineListed(t, s, a.ID, annotate.DocMine); !slices.Equal(got, done) {
			t.Fatalf("round %d: done by a lists %v, counted %v", round, got, done)
		}
	}
}

// TestMineStatusesOnTwoServers has two servers over one database fold the
// same writes: each lists what the counts give.
func TestMineStatusesOnTwoServers(t *testing.T) {
	dsn := annotatetest.DSN(t)
	s := openStore(t, dsn)
	annotatetest.ApplyDefaultSchema(t, s)
	ctx := context.Background()
	servers := []*annotate.Store{s, openStore(t, dsn)}
	users := []*annotate.User{mustUser(t, s, "a", annotate.RoleAnnotator), mustUser(t, s, "b", annotate.RoleAnnotator)}
	l := annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}
	for round := range 10 {
		res := mustImport(t, s, fmt.Sprintf("two-%d.txt", round), fmt.Sprintf("Two %d\n\nLeft %d.\n\nRight %d.", round, round, round))
		ps := currentParagraphs(t, s, res.DocumentID)
		errs := make([]error, 2)
		work := func(i int) func() {
			return func() {
				for _, p := range ps[:1+(round+i)%2] {
					if _, errs[i] = servers[i].SaveAnnotation(ctx, users[i].ID, p.ID, 0, l); errs[i] != nil {
						return
					}
				}
				_, errs[i] = servers[i].DocumentPage(ctx, users[i].ID, annotate.DocumentQuery{Status: annotate.DocMine})
			}
		}
		annotatetest.Together(work(0), work(1))
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, srv := range servers {
		for _, u := range users {
			done, left := mineCounted(t, srv, u.ID)
			if got := mineListed(t, srv, u.ID, annotate.DocMine); !slices.Equal(got, done) {
				t.Fatalf("done by %s lists %v, counted %v", u.Name, got, done)
			}
			if got := mineListed(t, srv, u.ID, annotate.DocMineLeft); !slices.Equal(got, left) {
				t.Fatalf("left for %s lists %v, counted %v", u.Name, got, left)
			}
			if len(done) != 5 {
				t.Fatalf("%s finished %d documents, want 5", u.Name, len(done))
			}
		}
	}
}

// TestPrefixWaitsForAnUndo has an undo in a finished document in flight
// while a fold raises the annotator's prefix over it: the prefix ends
// before that document once the undo commits, and Left for me lists it.
func TestPrefixWaitsForAnUndo(t *testing.T) {
	dsn := annotatetest.DSN(t)
	s := openStore(t, dsn)
	annotatetest.ApplyDefaultSchema(t, s)
	// The undo comes from a second server, whose transaction holds none of
	// the first one's connections.
	other := openStore(t, dsn)
	ctx := context.Background()
	a := mustUser(t, s, "a", annotate.RoleAnnotator)
	l := annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}
	var docs []int64
	var paras [][]annotate.ParagraphStatus
	for i := range 3 {
		res := mustImport(t, s, fmt.Sprintf("prefix-%d.txt", i), fmt.Sprintf("Prefix %d\n\nOne %d.\n\nTwo %d.", i, i, i))
		docs = append(docs, res.DocumentID)
		ps := currentParagraphs(t, s, res.DocumentID)
		paras = append(paras, ps)
		for _, p := range ps {
			if _, err := s.SaveAnnotation(ctx, a.ID, p.ID, 0, l); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.FoldFinished(ctx); err != nil {
		t.Fatal(err)
	}
	checkPrefix(t, s, "all three finished", a, docs)
	// An undo and a new label in the first document lower the prefix to
	// nothing and leave a fold to raise it again.
	p0 := paras[0][0].ID
	if err := s.DeleteAnnotation(ctx, a.ID, p0, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveAnnotation(ctx, a.ID, p0, 0, l); err != nil {
		t.Fatal(err)
	}
	tx := other.GormForTest().Begin()
	if err := tx.Exec("DELETE FROM annotations WHERE paragraph_id = ? AND user_id = ?", paras[1][1].ID, a.ID).Error; err != nil {
		tx.Rollback()
		t.Fatal(err)
	}
	folded := make(chan error, 1)
	go func() { folded <- s.FoldFinished(ctx) }()
	// Give the fold time to reach the second document (the test holds
	// either way: a walk that comes later sees the undo committed).
	time.Sleep(200 * time.Millisecond)
	if err := tx.Commit().Error; err != nil {
		t.Fatal(err)
	}
	if err := <-folded; err != nil {
		t.Fatal(err)
	}
	done := []int64{docs[0], docs[2]}
	checkPrefix(t, s, "after the undo in the second document", a, done)
	if got := mineListed(t, s, a.ID, annotate.DocMineLeft); !slices.Equal(got, []int64{docs[1]}) {
		t.Fatalf("left for a lists %v, want [%d]", got, docs[1])
	}
}
