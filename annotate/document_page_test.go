package annotate_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

// importDocs imports n one-paragraph documents titled prefix and a number.
func importDocs(t *testing.T, s *annotate.Store, prefix string, from, n int) {
	t.Helper()
	docs := make([]annotate.Source, n)
	for i := range docs {
		k := from + i
		docs[i] = annotate.Source{Key: fmt.Sprintf("%s-%04d.txt", prefix, k), Origin: "test", Text: []byte(fmt.Sprintf("%s %d\n\nThe body of %s %d.", prefix, k, prefix, k))}
	}
	rep, err := s.ImportDocuments(context.Background(), 0, docs)
	if err != nil || rep.Err() != nil {
		t.Fatalf("import: %v %v", err, rep.Err())
	}
}

func TestDocumentPageVisitsEveryDocumentOnce(t *testing.T) {
	s := annotatetest.WithSchema(t)
	ctx := context.Background()
	importDocs(t, s, "Alpha", 0, 60)
	importDocs(t, s, "Beta", 0, 70)
	seen := map[int64]int{}
	var next int64
	pages := 0
	for {
		page, err := s.DocumentPage(ctx, 0, annotate.DocumentQuery{Limit: 17, After: next})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Documents) > 17 {
			t.Fatalf("page of %d documents, limit 17", len(page.Documents))
		}
		for _, d := range page.Documents {
			seen[d.ID]++
			if d.Paragraphs != 1 {
				t.Errorf("document %d: %d paragraphs, want 1", d.ID, d.Paragraphs)
			}
		}
		pages++
		if pages == 3 {
			// Documents added while a reader pages come after the cursor.
			importDocs(t, s, "Gamma", 0, 10)
		}
		if page.Next == 0 {
			break
		}
		next = page.Next
	}
	if len(seen) != 140 {
		t.Errorf("visited %d documents, want 140", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("document %d visited %d times", id, n)
		}
	}
}

func TestDocumentPageFilters(t *testing.T) {
	s := annotatetest.WithSchema(t)
	ctx := context.Background()
	importDocs(t, s, "Alpha", 0, 5)
	importDocs(t, s, "Beta", 0, 5)
	importDocs(t, s, "100%", 0, 1)
	u := mustUser(t, s, "ann", annotate.RoleAnnotator)
	all, err := s.DocumentPage(ctx, u.ID, annotate.DocumentQuery{})
	if err != nil || len(all.Documents) != 11 || all.Next != 0 {
		t.Fatalf("first page = %d documents, next %d, %v; want 11, none", len(all.Documents), all.Next, err)
	}
	// Label the first Alpha document and the first Beta one.
	for _, d := range []annotate.DocumentProgress{all.Documents[0], all.Documents[5]} {
		p := currentParagraphs(t, s, d.ID)[0]
		if _, err := s.SaveAnnotation(ctx, u.ID, p.ID, 0, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		q    annotate.DocumentQuery
		want int
	}{
		{annotate.DocumentQuery{Search: "alpha"}, 5},
		{annotate.DocumentQuery{Search: "BETA-0003"}, 1},
		{annotate.DocumentQuery{Search: "%"}, 1},
		{annotate.DocumentQuery{Search: "_"}, 0},
		{annotate.DocumentQuery{Status: annotate.DocInProgress}, 2},
		{annotate.DocumentQuery{Status: annotate.DocNotStarted, Search: "alpha"}, 4},
		{annotate.DocumentQuery{Status: annotate.DocMine}, 2},
		{annotate.DocumentQuery{Status: annotate.DocMineLeft, Search: "beta"}, 4},
	}
	for _, tc := range tests {
		page, err := s.DocumentPage(ctx, u.ID, tc.q)
		if err != nil {
			t.Errorf("%+v: %v", tc.q, err)
			continue
		}
		if len(page.Documents) != tc.want || page.Next != 0 {
			t.Errorf("%+v: %d documents, next %d; want %d, none", tc.q, len(page.Documents), page.Next, tc.want)
		}
	}
	for _, q := range []annotate.DocumentQuery{{Limit: -1}, {Limit: annotate.MaxDocumentLimit + 1}, {Status: "finished"}, {After: -3}, {Search: "a\x00"}} {
		if _, err := s.DocumentPage(ctx, u.ID, q); annotate.ErrorCode(err) != annotate.EINVALID {
			t.Errorf("%+v: %v, want EINVALID", q, err)
		}
	}
}

// TestDocumentPageStatusScanIsBounded looks for the one document the caller
// has labelled among more than a page's scan. While the caller's finished
// documents cannot be folded in, the first page stops short with a cursor
// and the next one finds it; once they are, the first page has it. The same
// document, in progress for everyone, comes from the index on the first
// page.
func TestDocumentPageStatusScanIsBounded(t *testing.T) {
	s := annotatetest.WithSchema(t)
	ctx := context.Background()
	importDocs(t, s, "Doc", 0, 2100)
	u := mustUser(t, s, "ann", annotate.RoleAnnotator)
	last, err := s.DocumentPage(ctx, u.ID, annotate.DocumentQuery{Search: "doc-2099"})
	if err != nil || len(last.Documents) != 1 {
		t.Fatalf("search for the last document: %v, %v", last, err)
	}
	p := currentParagraphs(t, s, last.Documents[0].ID)[0]
	if _, err := s.SaveAnnotation(ctx, u.ID, p.ID, 0, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}); err != nil {
		t.Fatal(err)
	}
	walk := func() (found []annotate.DocumentProgress, pages int) {
		var next int64
		for {
			page, err := s.DocumentPage(ctx, u.ID, annotate.DocumentQuery{Status: annotate.DocMine, After: next})
			if err != nil {
				t.Fatal(err)
			}
			pages++
			found = append(found, page.Documents...)
			if page.Next == 0 {
				return found, pages
			}
			next = page.Next
		}
	}
	release := s.HoldFoldForTest()
	found, pages := walk()
	release()
	if len(found) != 1 || found[0].ID != last.Documents[0].ID {
		t.Fatalf("found %d documents the caller labelled, want the last one", len(found))
	}
	if pages < 2 {
		t.Errorf("the scan of 2,100 documents took %d page(s); a page reads at most 2,000", pages)
	}
	s.WaitBackgroundForTest()
	found, pages = walk()
	if len(found) != 1 || found[0].ID != last.Documents[0].ID || pages != 1 {
		t.Errorf("folded: found %d documents in %d pages, want the last one on the first page", len(found), pages)
	}
	page, err := s.DocumentPage(ctx, u.ID, annotate.DocumentQuery{Status: annotate.DocInProgress})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Documents) != 1 || page.Documents[0].ID != last.Documents[0].ID || page.Next != 0 {
		t.Errorf("documents in progress: %d, next %d; want the last one alone, on the first page", len(page.Documents), page.Next)
	}
}

// TestDocumentPageDisagreementsAndGold lists the documents with open
// disagreements and those with gold labels, page by page, with a search,
// and again after writes change them.
func TestDocumentPageDisagreementsAndGold(t *testing.T) {
	s := annotatetest.WithSchema(t)
	ctx := context.Background()
	a := mustUser(t, s, "a", annotate.RoleAnnotator)
	b := mustUser(t, s, "b", annotate.RoleAnnotator)
	rev := mustUser(t, s, "rev", annotate.RoleReviewer)
	agree := annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}
	discuss := annotate.Labels{"stance": {"discuss"}, "topic": {"strike"}}
	var docs []int64
	var paras [][]annotate.ParagraphStatus
	for i, title := range []string{"Open dispute", "All agreed", "Settled dispute", "Agreed with gold", "Untouched"} {
		res := mustImport(t, s, fmt.Sprintf("dg-%d.txt", i), fmt.Sprintf("%s\n\nOne of %d.\n\nTwo of %d.", title, i, i))
		docs = append(docs, res.DocumentID)
		paras = append(paras, currentParagraphs(t, s, res.DocumentID))
	}
	save := func(u *annotate.User, p int64, l annotate.Labels) {
		t.Helper()
		if _, err := s.SaveAnnotation(ctx, u.ID, p, 0, l); err != nil {
			t.Fatal(err)
		}
	}
	for d := range 4 {
		for _, p := range paras[d] {
			save(a, p.ID, agree)
			if (d == 0 || d == 2) && p.ID == paras[d][1].ID {
				save(b, p.ID, discuss)
			} else {
				save(b, p.ID, agree)
			}
		}
	}
	for _, p := range []int64{paras[2][1].ID, paras[3][0].ID} {
		if _, err := s.SetGold(ctx, rev.ID, p, 0, agree, "majority"); err != nil {
			t.Fatal(err)
		}
	}
	list := func(status, search string) []int64 {
		t.Helper()
		return pagedDocuments(t, s, rev.ID, annotate.DocumentQuery{Status: status, Search: search, Limit: 1})
	}
	if got, want := list(annotate.DocDisagreements, ""), []int64{docs[0]}; !slices.Equal(got, want) {
		t.Errorf("open disagreements: %v, want %v (a gold label settles the third document's)", got, want)
	}
	if got, want := list(annotate.DocGold, ""), []int64{docs[2], docs[3]}; !slices.Equal(got, want) {
		t.Errorf("with gold: %v, want %v", got, want)
	}
	if got, want := list(annotate.DocGold, "agreed"), []int64{docs[3]}; !slices.Equal(got, want) {
		t.Errorf("with gold, searching %q: %v, want %v", "agreed", got, want)
	}
	// A new disagreement in the second document, and a gold label in the
	// first, change both lists at once.
	if _, err := s.SaveAnnotation(ctx, b.ID, paras[1][0].ID, 1, discuss); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetGold(ctx, rev.ID, paras[0][1].ID, 0, discuss, "accept:b"); err != nil {
		t.Fatal(err)
	}
	if got, want := list(annotate.DocDisagreements, ""), []int64{docs[1]}; !slices.Equal(got, want) {
		t.Errorf("open disagreements after the writes: %v, want %v", got, want)
	}
	if got, want := list(annotate.DocGold, ""), []int64{docs[0], docs[2], docs[3]}; !slices.Equal(got, want) {
		t.Errorf("with gold after the writes: %v, want %v", got, want)
	}
	// A new revision of the fourth document rewrites its paragraph with
	// gold: the gold stays with the old text, which is no longer current.
	mustImport(t, s, "dg-3.txt", "Agreed with gold\n\nOne of 3, rewritten.\n\nTwo of 3.")
	if got, want := list(annotate.DocGold, ""), []int64{docs[0], docs[2]}; !slices.Equal(got, want) {
		t.Errorf("with gold after a new revision: %v, want %v", got, want)
	}
	// A database opened before the documents' gold counts were kept counts
	// them once.
	if err := s.GormForTest().Exec("DELETE FROM gold_documents").Error; err != nil {
		t.Fatal(err)
	}
	if err := s.GormForTest().Exec("DELETE FROM settings WHERE name = 'gold_documents'").Error; err != nil {
		t.Fatal(err)
	}
	if err := s.ReopenForTest(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := list(annotate.DocGold, ""), []int64{docs[0], docs[2]}; !slices.Equal(got, want) {
		t.Errorf("with gold after counting them again: %v, want %v", got, want)
	}
}
