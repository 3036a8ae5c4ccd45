package annotate_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

// TestOwnFlags checks that a flag is its flagger's own: another annotator
// sees neither it nor its reason until a reviewer confirms it, and then
// sees the kind and status only.
func TestOwnFlags(t *testing.T) {
	s := annotatetest.Seeded(t)
	ctx := context.Background()
	ann1, ann2 := mustUser(t, s, "ann1", annotate.RoleAnnotator), mustUser(t, s, "ann2", annotate.RoleAnnotator)
	rev := mustUser(t, s, "rev", annotate.RoleReviewer)
	ps := currentParagraphs(t, s, 1)
	p := ps[0].ID
	if _, err := s.Flag(ctx, ann2.ID, p, annotate.CurationNotRelevant, "ann2-secret-reason"); err != nil {
		t.Fatal(err)
	}
	mine, err := s.Flag(ctx, ann1.ID, p, annotate.CurationNotRelevant, "ann1 own reason")
	if err != nil {
		t.Fatal(err)
	}
	if mine.Reason != "ann1 own reason" || mine.Status != annotate.StatusSuggested || mine.FlaggedBy == nil || *mine.FlaggedBy != ann1.ID {
		t.Errorf("Flag returned %+v, want ann1's own reason, suggested, flagged by ann1", mine)
	}
	// Reviewers see every flagger with their reason.
	items, err := curationsOf(s, ctx, annotate.CurationFilter{Kind: annotate.CurationNotRelevant})
	if err != nil {
		t.Fatal(err)
	}
	var fl []annotate.Flagger
	for _, it := range items {
		if it.ParagraphID == p {
			fl = it.Flaggers
		}
	}
	if len(fl) != 2 || fl[0].UserName != "ann2" || fl[0].Reason != "ann2-secret-reason" || fl[1].UserName != "ann1" || fl[1].Reason != "ann1 own reason" {
		t.Errorf("reviewer's flaggers = %+v, want ann2 then ann1 with their reasons", fl)
	}
	ann3 := mustUser(t, s, "ann3", annotate.RoleAnnotator)
	for _, tc := range []struct {
		who  *annotate.User
		want []annotate.Curation
	}{
		{ann1, []annotate.Curation{{Kind: annotate.CurationNotRelevant, Status: annotate.StatusSuggested, Reason: "ann1 own reason"}}},
		{ann2, []annotate.Curation{{Kind: annotate.CurationNotRelevant, Status: annotate.StatusSuggested, Reason: "ann2-secret-reason"}}},
		{ann3, nil},
	} {
		got, err := s.OwnFlags(ctx, tc.who.ID, []int64{p})
		if err != nil {
			t.Fatal(err)
		}
		if len(got[p]) != len(tc.want) {
			t.Fatalf("%s sees flags %+v, want %+v", tc.who.Name, got[p], tc.want)
		}
		for i, f := range got[p] {
			w := tc.want[i]
			if f.Kind != w.Kind || f.Status != w.Status || f.Reason != w.Reason || f.ID != 0 {
				t.Errorf("%s sees flag %+v, want %+v without an id", tc.who.Name, f, w)
			}
		}
	}
	// Suggestions do not take the paragraph out of a third annotator's queue.
	q, err := s.Queue(ctx, ann3.ID, annotate.QueueOptions{Limit: 1})
	if err != nil || len(q) != 1 || q[0].ID != p {
		t.Fatalf("ann3's queue = %v %v, want paragraph %d first", q, err, p)
	}
	if _, err := s.DecideCurations(ctx, rev.ID, []int64{mine.ID}, annotate.StatusConfirmed); err != nil {
		t.Fatal(err)
	}
	got, err := s.OwnFlags(ctx, ann3.ID, []int64{p})
	if err != nil {
		t.Fatal(err)
	}
	if fs := got[p]; len(fs) != 1 || fs[0].Status != annotate.StatusConfirmed || fs[0].Reason != "" || fs[0].FlaggedBy != nil || fs[0].DecidedBy != nil {
		t.Errorf("after confirming, ann3 sees %+v, want one confirmed flag with no reason and no names", fs)
	}
	q, err = s.Queue(ctx, ann3.ID, annotate.QueueOptions{Limit: 1})
	if err != nil || len(q) == 1 && q[0].ID == p {
		t.Errorf("after confirming, ann3's queue = %v %v, want paragraph %d out", q, err, p)
	}
}

// TestDecideCurationsOldRevision checks that a decision on a flag of a
// paragraph that is no longer current, which no list shows, is refused.
func TestDecideCurationsOldRevision(t *testing.T) {
	s := annotatetest.WithSchema(t)
	ctx := context.Background()
	rev := mustUser(t, s, "rev", annotate.RoleReviewer)
	res := mustImport(t, s, "doc.txt", "Title\n\nFirst paragraph here.\n\nSecond paragraph here.")
	old := currentParagraphs(t, s, res.DocumentID)
	f, err := s.Flag(ctx, rev.ID, old[1].ID, annotate.CurationNotRelevant, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ImportDocument(ctx, 0, annotate.Source{Key: "doc.txt", Origin: "doc.txt", Text: []byte("Title\n\nFirst paragraph here.\n\nA second paragraph, rewritten.")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DecideCurations(ctx, rev.ID, []int64{f.ID}, annotate.StatusConfirmed); !errors.Is(err, annotate.ErrNotFound) {
		t.Errorf("deciding a flag of an old revision: %v, want ENOTFOUND", err)
	}
}

// TestOpenValuesReview checks that typed values are offered to whoever
// typed them and to reviewers, and to everyone once accepted.
func TestOpenValuesReview(t *testing.T) {
	s := annotatetest.Seeded(t)
	ctx := context.Background()
	ann1, ann2 := mustUser(t, s, "ann1", annotate.RoleAnnotator), mustUser(t, s, "ann2", annotate.RoleAnnotator)
	rev := mustUser(t, s, "rev", annotate.RoleReviewer)
	ps := currentParagraphs(t, s, 1)
	save := func(u *annotate.User, p int64, event string) {
		t.Helper()
		if _, err := s.SaveAnnotation(ctx, u.ID, p, 0, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}, "event": {event}}); err != nil {
			t.Fatal(err)
		}
	}
	save(ann1, ps[0].ID, "ann1-typed-event")
	save(ann2, ps[0].ID, "ann2-typed-event")
	save(ann2, ps[1].ID, "ann1-typed-event")
	offered := func(u *annotate.User, all bool) []string {
		t.Helper()
		vs, _, err := s.OpenValuesMatching(ctx, "event", u.ID, all, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		return vs
	}
	if got := offered(ann1, false); !slices.Equal(got, []string{"ann1-typed-event"}) {
		t.Errorf("ann1 is offered %v, want only their own value", got)
	}
	if got := offered(ann2, false); !slices.Equal(got, []string{"ann1-typed-event", "ann2-typed-event"}) {
		t.Errorf("ann2 is offered %v, want both values, both typed by them", got)
	}
	if got := offered(rev, true); len(got) != 2 {
		t.Errorf("a reviewer is offered %v, want both values", got)
	}
	page, err := s.OpenValueReviews(ctx, annotate.OpenValueFilter{Dimension: "event"})
	if err != nil {
		t.Fatal(err)
	}
	vs, total := page.Values, page.Total
	if total != 2 || len(vs) != 2 || vs[0].Value != "ann1-typed-event" || vs[0].Annotators != 2 || vs[1].Annotators != 1 || vs[0].Status != annotate.OpenPending {
		t.Fatalf("reviews = %+v (total %d), want ann1-typed-event by 2 first, then ann2-typed-event by 1, pending", vs, total)
	}
	if n, err := s.DecideOpenValues(ctx, rev.ID, []int64{vs[1].ID}, annotate.OpenAccepted); err != nil || n != 1 {
		t.Fatalf("accept: %d %v", n, err)
	}
	if got := offered(ann1, false); !slices.Equal(got, []string{"ann1-typed-event", "ann2-typed-event"}) {
		t.Errorf("after accepting ann2's value, ann1 is offered %v, want it too", got)
	}
	if _, err := s.DecideOpenValues(ctx, rev.ID, []int64{vs[1].ID}, annotate.OpenRejected); err != nil {
		t.Fatal(err)
	}
	if got := offered(ann1, false); !slices.Equal(got, []string{"ann1-typed-event"}) {
		t.Errorf("after rejecting ann2's value, ann1 is offered %v, want only their own", got)
	}
	if got := offered(ann2, false); len(got) != 2 {
		t.Errorf("after rejecting, ann2 is offered %v, want their own rejected value still", got)
	}
	pendingPage, err := s.OpenValueReviews(ctx, annotate.OpenValueFilter{Status: annotate.OpenPending})
	if err != nil || pendingPage.Total != 1 || len(pendingPage.Values) != 1 || pendingPage.Values[0].Value != "ann1-typed-event" {
		t.Errorf("pending reviews = %+v %v, want ann1-typed-event alone", pendingPage, err)
	}
	if _, err := s.DecideOpenValues(ctx, rev.ID, []int64{vs[0].ID}, "maybe"); !errors.Is(err, annotate.ErrInvalid) {
		t.Errorf("unknown decision: %v, want EINVALID", err)
	}
	if _, err := s.DecideOpenValues(ctx, rev.ID, []int64{vs[0].ID, 9999}, annotate.OpenAccepted); !errors.Is(err, annotate.ErrNotFound) {
		t.Errorf("unknown value: %v, want ENOTFOUND", err)
	}
	if _, err := s.OpenValueReviews(ctx, annotate.OpenValueFilter{Status: "maybe"}); !errors.Is(err, annotate.ErrInvalid) {
		t.Errorf("unknown status filter: %v, want EINVALID", err)
	}
}
