package annotate_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

// bigDocument imports one document of n paragraphs.
func bigDocument(t *testing.T, s *annotate.Store, key string, n int) annotate.ImportResult {
	t.Helper()
	var b strings.Builder
	b.WriteString("Title of " + key)
	for i := range n {
		fmt.Fprintf(&b, "\n\nParagraph %d of %s says something.", i, key)
	}
	return mustImport(t, s, key, b.String())
}

// wantInvalid fails unless err is an EINVALID error about field.
func wantInvalid(t *testing.T, what string, err error, field string) {
	t.Helper()
	var de *annotate.Error
	if !errors.As(err, &de) || de.Code != annotate.EINVALID || de.Field != field {
		t.Errorf("%s: %v, want an invalid %s", what, err, field)
	}
}

// visitOnce fails for an id seen more than once and returns how many ids
// were seen.
func visitOnce(t *testing.T, what string, seen map[int64]int) int {
	t.Helper()
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s %d visited %d times", what, id, n)
		}
	}
	return len(seen)
}

func TestParagraphPageVisitsEveryParagraphOnce(t *testing.T) {
	s := annotatetest.WithSchema(t)
	ctx := context.Background()
	doc := bigDocument(t, s, "long.txt", 230)
	u := mustUser(t, s, "ann", annotate.RoleAnnotator)
	all := currentParagraphs(t, s, doc.DocumentID)
	if _, err := s.SaveAnnotation(ctx, u.ID, all[40].ID, 0, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}); err != nil {
		t.Fatal(err)
	}
	seen := map[int64]int{}
	from, pages, last := 0, 0, -1
	for {
		page, err := s.ParagraphPage(ctx, doc.DocumentID, u.ID, annotate.ParagraphQuery{Limit: 37, From: from})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Paragraphs) > 37 {
			t.Fatalf("page of %d paragraphs, limit 37", len(page.Paragraphs))
		}
		for _, p := range page.Paragraphs {
			seen[p.ID]++
			if p.Position <= last {
				t.Errorf("position %d after %d: not in reading order", p.Position, last)
			}
			last = p.Position
			if p.Labelled != (p.ID == all[40].ID) {
				t.Errorf("paragraph %d labelled = %v", p.Position, p.Labelled)
			}
		}
		pages++
		if page.Next == 0 {
			break
		}
		from = page.Next
	}
	if n := visitOnce(t, "paragraph", seen); n != len(all) || pages != 7 {
		t.Errorf("visited %d paragraphs in %d pages, want %d in 7", n, pages, len(all))
	}
	def, err := s.ParagraphPage(ctx, doc.DocumentID, u.ID, annotate.ParagraphQuery{})
	if err != nil || len(def.Paragraphs) != annotate.DefaultParagraphLimit || def.Next != annotate.DefaultParagraphLimit {
		t.Errorf("default page: %d paragraphs, next %d, %v; want %d and the position after", len(def.Paragraphs), def.Next, err, annotate.DefaultParagraphLimit)
	}
	for _, q := range []annotate.ParagraphQuery{{Limit: -1}, {Limit: annotate.MaxParagraphLimit + 1}} {
		_, err := s.ParagraphPage(ctx, doc.DocumentID, u.ID, q)
		wantInvalid(t, fmt.Sprintf("%+v", q), err, "limit")
	}
	_, err = s.ParagraphPage(ctx, doc.DocumentID, u.ID, annotate.ParagraphQuery{From: -2})
	wantInvalid(t, "from -2", err, "next")
	if _, err := s.ParagraphPage(ctx, doc.DocumentID+99, u.ID, annotate.ParagraphQuery{}); annotate.ErrorCode(err) != annotate.ENOTFOUND {
		t.Errorf("unknown document: %v, want ENOTFOUND", err)
	}
	total, labelled, err := s.ParagraphCounts(ctx, doc.DocumentID)
	if err != nil || total != int64(len(all)) || labelled != 1 {
		t.Errorf("counts = %d, %d, %v; want %d, 1", total, labelled, err, len(all))
	}
	recent, err := s.RecentlyDone(ctx, doc.DocumentID, u.ID, -1, 5)
	if err != nil || len(recent) != 1 || recent[0].ID != all[40].ID {
		t.Errorf("recently done = %+v, %v; want paragraph 40", recent, err)
	}
	if got, err := s.LastWorkedDocument(ctx, u.ID); err != nil || got != doc.DocumentID {
		t.Errorf("last worked document = %d, %v; want %d", got, err, doc.DocumentID)
	}
}

func TestUserPageWithSearch(t *testing.T) {
	s := annotatetest.Open(t)
	ctx := context.Background()
	for i := range 23 {
		mustUser(t, s, fmt.Sprintf("ann%02d", i), annotate.RoleAnnotator)
		mustUser(t, s, fmt.Sprintf("rev%02d", i), annotate.RoleReviewer)
	}
	seen := map[int64]int{}
	var next int64
	pages := 0
	for {
		page, err := s.UserPage(ctx, annotate.ListQuery{Limit: 4, After: next, Search: "ANN"})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range page.Users {
			seen[u.ID]++
			if !strings.HasPrefix(u.Name, "ann") {
				t.Errorf("search ann found %s", u.Name)
			}
		}
		pages++
		if pages == 2 {
			// Users added while an admin pages come after the cursor.
			mustUser(t, s, "annlate", annotate.RoleAnnotator)
			mustUser(t, s, "revlate", annotate.RoleAnnotator)
		}
		if page.Next == 0 {
			break
		}
		next = page.Next
	}
	if n := visitOnce(t, "user", seen); n != 24 {
		t.Errorf("visited %d users named ann…, want 24 (23 and the one added)", n)
	}
	for _, tc := range []struct {
		search string
		want   int
	}{{"", 48}, {"rev1", 10}, {"%", 0}, {"_", 0}, {"  ann05 ", 1}} {
		page, err := s.UserPage(ctx, annotate.ListQuery{Search: tc.search})
		if err != nil || len(page.Users) != tc.want {
			t.Errorf("search %q: %d users, %v; want %d", tc.search, len(page.Users), err, tc.want)
		}
	}
	_, err := s.UserPage(ctx, annotate.ListQuery{Limit: annotate.MaxUserLimit + 1})
	wantInvalid(t, "limit over the maximum", err, "limit")
	_, err = s.UserPage(ctx, annotate.ListQuery{After: -1})
	wantInvalid(t, "negative cursor", err, "next")
	if n, err := s.UserCount(ctx); err != nil || n != 48 {
		t.Errorf("user count = %d, %v; want 48", n, err)
	}
}

func TestTokensNotesAndHistoryPages(t *testing.T) {
	s := annotatetest.WithSchema(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice", annotate.RoleAnnotator)
	bob := mustUser(t, s, "bob", annotate.RoleAnnotator)
	doc := bigDocument(t, s, "notes.txt", 2)
	pid := currentParagraphs(t, s, doc.DocumentID)[0].ID
	for i := range 11 {
		if _, _, err := s.CreateToken(ctx, alice.ID, fmt.Sprintf("script %d", i)); err != nil {
			t.Fatal(err)
		}
		for _, u := range []*annotate.User{alice, bob} {
			if _, err := s.AddNote(ctx, u.ID, pid, fmt.Sprintf("%s's note %d", u.Name, i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Tokens: 11 in pages of 4, one more made after the first page.
	seen := map[int64]int{}
	var next int64
	for pages := 0; ; pages++ {
		page, err := s.Tokens(ctx, alice.ID, annotate.ListQuery{Limit: 4, After: next})
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range page.Tokens {
			seen[tk.ID]++
		}
		if pages == 0 {
			if _, _, err := s.CreateToken(ctx, alice.ID, "late"); err != nil {
				t.Fatal(err)
			}
		}
		if next = page.Next; next == 0 {
			break
		}
	}
	if n := visitOnce(t, "token", seen); n != 12 {
		t.Errorf("visited %d tokens, want 12", n)
	}
	// Notes: only bob's, in pages of 3, with notes added between pages.
	seen, next = map[int64]int{}, 0
	for pages := 0; ; pages++ {
		page, err := s.Notes(ctx, pid, bob.ID, false, annotate.ListQuery{Limit: 3, After: next})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range page.Notes {
			seen[n.ID]++
			if n.UserID != bob.ID || n.UserName != "bob" {
				t.Errorf("bob's notes hold %+v", n)
			}
		}
		if pages == 1 {
			for _, u := range []*annotate.User{alice, bob} {
				if _, err := s.AddNote(ctx, u.ID, pid, "added meanwhile"); err != nil {
					t.Fatal(err)
				}
			}
		}
		if next = page.Next; next == 0 {
			break
		}
	}
	if n := visitOnce(t, "note", seen); n != 12 {
		t.Errorf("visited %d of bob's notes, want 12", n)
	}
	everyone, err := s.Notes(ctx, pid, bob.ID, true, annotate.ListQuery{Limit: annotate.MaxNoteLimit})
	if err != nil || len(everyone.Notes) != 24 || everyone.Next != 0 {
		t.Errorf("everyone's notes: %d, next %d, %v; want 24 on one page", len(everyone.Notes), everyone.Next, err)
	}
	// History: every note is a row; the pages join up to the whole.
	var ids []int64
	next = 0
	for {
		page, err := s.History(ctx, pid, annotate.ListQuery{Limit: 5, After: next})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Changes {
			ids = append(ids, c.ID)
		}
		if next = page.Next; next == 0 {
			break
		}
	}
	whole, err := historyOf(s, ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	var want []int64
	for _, c := range whole {
		want = append(want, c.ID)
	}
	if !slices.Equal(ids, want) || len(ids) < 24 {
		t.Errorf("history in pages = %d rows, whole = %d rows; want the same, at least 24", len(ids), len(want))
	}
	for _, q := range []annotate.ListQuery{{Limit: annotate.MaxHistoryLimit + 1}, {Limit: -5}} {
		_, err := s.History(ctx, pid, q)
		wantInvalid(t, fmt.Sprintf("history %+v", q), err, "limit")
	}
	_, err = s.Notes(ctx, pid, bob.ID, true, annotate.ListQuery{Limit: annotate.MaxNoteLimit + 1})
	wantInvalid(t, "notes over the maximum", err, "limit")
	_, err = s.Tokens(ctx, alice.ID, annotate.ListQuery{After: -1})
	wantInvalid(t, "tokens negative cursor", err, "next")
}

func TestCurationPagesWithFilters(t *testing.T) {
	s := annotatetest.WithSchema(t)
	ctx := context.Background()
	doc := bigDocument(t, s, "flags.txt", 60)
	ps := currentParagraphs(t, s, doc.DocumentID)
	ann := mustUser(t, s, "ann", annotate.RoleAnnotator)
	rev := mustUser(t, s, "rev", annotate.RoleReviewer)
	var confirm []int64
	for i, p := range ps[:50] {
		kind := annotate.CurationDuplicate
		if i%2 == 1 {
			kind = annotate.CurationBoilerplate
		}
		c, err := s.Flag(ctx, ann.ID, p.ID, kind, fmt.Sprintf("reason %d", i))
		if err != nil {
			t.Fatal(err)
		}
		if i%5 == 0 {
			confirm = append(confirm, c.ID)
		}
	}
	if _, err := s.DecideCurations(ctx, rev.ID, confirm, annotate.StatusConfirmed); err != nil {
		t.Fatal(err)
	}
	// 25 duplicates, 5 of them (i = 0, 10, …, 40) confirmed: 20 suggested.
	seen := map[int64]int{}
	var next int64
	for pages := 0; ; pages++ {
		page, err := s.Curations(ctx, annotate.CurationFilter{Status: annotate.StatusSuggested, Kind: annotate.CurationDuplicate, Limit: 6, After: next})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Curations {
			seen[c.ID]++
			if c.Kind != annotate.CurationDuplicate || c.Status != annotate.StatusSuggested || c.FlaggedByName != "ann" || len(c.Flaggers) != 1 {
				t.Errorf("suggested duplicates hold %+v", c)
			}
		}
		if pages == 1 {
			// Flags raised while a reviewer pages come after the cursor.
			for _, p := range ps[50:] {
				if _, err := s.Flag(ctx, ann.ID, p.ID, annotate.CurationDuplicate, "late"); err != nil {
					t.Fatal(err)
				}
			}
		}
		if next = page.Next; next == 0 {
			break
		}
	}
	if n := visitOnce(t, "flag", seen); n != 30 {
		t.Errorf("visited %d suggested duplicates, want 30 (20 and the 10 raised meanwhile)", n)
	}
	for _, tc := range []struct {
		f    annotate.CurationFilter
		want int
	}{
		{annotate.CurationFilter{}, 60},
		{annotate.CurationFilter{Status: annotate.StatusConfirmed}, 10},
		{annotate.CurationFilter{Status: annotate.StatusConfirmed, Kind: annotate.CurationBoilerplate}, 5},
		{annotate.CurationFilter{Kind: annotate.CurationNotRelevant}, 0},
	} {
		got, err := curationsOf(s, ctx, tc.f)
		if err != nil || len(got) != tc.want {
			t.Errorf("%+v: %d flags, %v; want %d", tc.f, len(got), err, tc.want)
		}
	}
	_, err := s.Curations(ctx, annotate.CurationFilter{Limit: annotate.MaxCurationLimit + 1})
	wantInvalid(t, "limit over the maximum", err, "limit")
	_, err = s.Curations(ctx, annotate.CurationFilter{Status: "maybe"})
	wantInvalid(t, "unknown status", err, "status")
	_, err = s.Curations(ctx, annotate.CurationFilter{After: -4})
	wantInvalid(t, "negative cursor", err, "next")
}

func TestDisagreementQueueCursor(t *testing.T) {
	s := annotatetest.WithSchema(t)
	ctx := context.Background()
	doc := bigDocument(t, s, "queue.txt", 30)
	ps := currentParagraphs(t, s, doc.DocumentID)
	alice := mustUser(t, s, "alice", annotate.RoleAnnotator)
	bob := mustUser(t, s, "bob", annotate.RoleAnnotator)
	rev := mustUser(t, s, "rev", annotate.RoleReviewer)
	stances := []string{"agree", "disagree", "discuss", "unrelated"}
	for i, p := range ps {
		if _, err := s.SaveAnnotation(ctx, alice.ID, p.ID, 0, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}); err != nil {
			t.Fatal(err)
		}
		// Every third paragraph agrees; the others differ on the stance,
		// and every other one on the topic too: two levels of dispute.
		topic := "strike"
		if i%2 == 0 {
			topic = "media"
		}
		stance := stances[1+i%3]
		if i%3 == 0 {
			stance, topic = "agree", "strike"
		}
		if _, err := s.SaveAnnotation(ctx, bob.ID, p.ID, 0, annotate.Labels{"stance": {stance}, "topic": {topic}}); err != nil {
			t.Fatal(err)
		}
	}
	whole, err := s.DisagreementQueue(ctx, annotate.DisagreementFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if whole.Total != 20 || len(whole.Items) != 20 || whole.Next != "" {
		t.Fatalf("whole queue: %d of %d, next %q; want 20 of 20 and no next", len(whole.Items), whole.Total, whole.Next)
	}
	var order []int64
	for _, d := range whole.Items {
		order = append(order, d.Paragraph.ID)
	}
	// In pages of 3, deciding the first item of every page as it is shown:
	// the rest still come once each, in the queue's order.
	var got []int64
	next := ""
	for {
		page, err := s.DisagreementQueue(ctx, annotate.DisagreementFilter{Limit: 3, After: next})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page.Items {
			got = append(got, d.Paragraph.ID)
		}
		if len(page.Items) > 0 {
			p := page.Items[0].Paragraph
			if _, err := s.SetGold(ctx, rev.ID, p.ID, 0, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}, "own"); err != nil {
				t.Fatal(err)
			}
		}
		if next = page.Next; next == "" {
			break
		}
	}
	if !slices.Equal(got, order) {
		t.Errorf("pages visited %v, want the queue's order %v", got, order)
	}
	// The same paging through the resolved ones too, from the document
	// filter: each paragraph once.
	seen := map[int64]int{}
	next = ""
	for {
		page, err := s.DisagreementQueue(ctx, annotate.DisagreementFilter{Limit: 4, After: next, IncludeResolved: true, Documents: []int64{doc.DocumentID}})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page.Items {
			seen[d.Paragraph.ID]++
		}
		if next = page.Next; next == "" {
			break
		}
	}
	if n := visitOnce(t, "paragraph", seen); n != 20 {
		t.Errorf("with the resolved ones: %d paragraphs, want 20", n)
	}
	other, err := s.DisagreementQueue(ctx, annotate.DisagreementFilter{IncludeResolved: true, Documents: []int64{doc.DocumentID + 1}})
	if err != nil || other.Total != 0 {
		t.Errorf("another document's queue: %+v, %v; want empty", other, err)
	}
	for _, bad := range []string{"abc", "1_2_3", "x_0.5_1_2", "1_0.5_0_2", "1_0.5_1_-1", "NaN_0.5_1_2"} {
		_, err := s.DisagreementQueue(ctx, annotate.DisagreementFilter{After: bad})
		wantInvalid(t, "cursor "+bad, err, "next")
	}
	_, err = s.DisagreementQueue(ctx, annotate.DisagreementFilter{Limit: 101})
	wantInvalid(t, "limit 101", err, "limit")
}

func TestDisagreementQueueCursorByConfidence(t *testing.T) {
	f := newConsensusFixture(t)
	ctx := context.Background()
	whole, err := f.s.DisagreementQueue(ctx, annotate.DisagreementFilter{Order: annotate.QueueByConfidence, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var want, got []int64
	for _, d := range whole.Items {
		want = append(want, d.Paragraph.ID)
	}
	next := ""
	for {
		page, err := f.s.DisagreementQueue(ctx, annotate.DisagreementFilter{Order: annotate.QueueByConfidence, Limit: 2, After: next})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page.Items {
			got = append(got, d.Paragraph.ID)
		}
		if next = page.Next; next == "" {
			break
		}
	}
	if len(want) < 5 || !slices.Equal(got, want) {
		t.Errorf("least confident first in pages of 2: %v, want %v", got, want)
	}
}
