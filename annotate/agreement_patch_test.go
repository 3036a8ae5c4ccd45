package annotate_test

import (
	"context"
	"reflect"
	"testing"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

// TestAgreementLabelsAfterWrites checks that the labels an agreement report
// is computed from after writes — brought up to date from the history on
// SQLite, read afresh on PostgreSQL — are exactly what a full read gives:
// the same rows in the same order and the same gold labels, after saves,
// updates, a removal, a gold label, a note, a skip and a re-import.
func TestAgreementLabelsAfterWrites(t *testing.T) {
	for name, f := range map[string]annotate.AgreementFilter{
		"all":        {},
		"annotators": {Annotators: []string{"alice", "bob"}},
		"document":   {Documents: []int64{1}},
	} {
		t.Run(name, func(t *testing.T) { agreementLabelsAfterWrites(t, f) })
	}
}

func agreementLabelsAfterWrites(t *testing.T, f annotate.AgreementFilter) {
	s := annotatetest.Seeded(t)
	ctx := context.Background()
	ps := currentParagraphs(t, s, 1)
	alice := mustUser(t, s, "alice", annotate.RoleAnnotator)
	bob := mustUser(t, s, "bob", annotate.RoleAnnotator)
	rev := mustUser(t, s, "rev", annotate.RoleReviewer)
	agree := annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}
	other := annotate.Labels{"stance": {"disagree"}, "topic": {"justice", "strike"}}
	for _, p := range ps[:6] {
		for _, u := range []*annotate.User{alice, bob} {
			if _, err := s.SaveAnnotation(ctx, u.ID, p.ID, 0, agree); err != nil {
				t.Fatal(err)
			}
		}
	}
	same := func(step string) {
		t.Helper()
		got, _, err := s.RecentLabelsForTest(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		want, err := s.AgreementLabels(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Rows) != len(want.Rows) {
			t.Fatalf("%s: %d rows, a full read gives %d", step, len(got.Rows), len(want.Rows))
		}
		for i := range got.Rows {
			g, w := got.Rows[i], want.Rows[i]
			if g.Item != w.Item || g.Annotator != w.Annotator || !g.Labels.Equal(w.Labels) {
				t.Fatalf("%s: row %d is %s/%s %v, a full read gives %s/%s %v", step, i, g.Item, g.Annotator, g.Labels, w.Item, w.Annotator, w.Labels)
			}
		}
		if !reflect.DeepEqual(got.Gold, want.Gold) {
			t.Fatalf("%s: gold %v, a full read gives %v", step, got.Gold, want.Gold)
		}
	}
	// A first read of the labels, kept.
	same("first read")
	_, patched0, _ := s.RecentLabelsForTest(ctx, f)

	// Label writes of every kind.
	if _, err := s.SaveAnnotation(ctx, alice.ID, ps[0].ID, 1, other); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveAnnotation(ctx, rev.ID, ps[3].ID, 0, other); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveAnnotation(ctx, bob.ID, ps[8].ID, 0, other); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAnnotation(ctx, bob.ID, ps[2].ID, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetGold(ctx, rev.ID, ps[1].ID, 0, other, "own"); err != nil {
		t.Fatal(err)
	}
	same("after saves, a removal and a gold label")
	_, patched1, _ := s.RecentLabelsForTest(ctx, f)
	if annotatetest.Postgres() {
		if patched1 != patched0 {
			t.Errorf("on PostgreSQL %d label sets were brought up to date, want every one read afresh", patched1-patched0)
		}
	} else if patched1 == patched0 {
		t.Error("on SQLite the labels were read afresh after label writes, want them brought up to date from the history")
	}

	// Writes that change no label, then a gold label changed again.
	if _, err := s.AddNote(ctx, alice.ID, ps[4].ID, "a note on this paragraph"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SkipParagraph(ctx, alice.ID, ps[9].ID, "unclear"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetGold(ctx, rev.ID, ps[1].ID, 1, agree, "own"); err != nil {
		t.Fatal(err)
	}
	same("after a note, a skip and a gold change")

	// A re-import of the document changes which paragraphs are current:
	// the labels are read afresh, and still right.
	text := "Extra\n\nThe first paragraph.\n\nThe second paragraph."
	extra := mustImport(t, s, "extra.txt", text)
	for _, p := range currentParagraphs(t, s, extra.DocumentID) {
		if _, err := s.SaveAnnotation(ctx, alice.ID, p.ID, 0, agree); err != nil {
			t.Fatal(err)
		}
	}
	same("after a new document")
	mustImport(t, s, "extra.txt", text+"\n\nOne more paragraph at the end.")
	same("after a re-import")
}

// TestConfusionsOfTheStore checks that the confusion matrices the store
// computes for a pair, from its own rows, equal BuildConfusion's over the
// same labels, on every dimension, including an open one where a third
// annotator typed values the pair never used.
func TestConfusionsOfTheStore(t *testing.T) {
	s := annotatetest.Seeded(t)
	ctx := context.Background()
	ps := currentParagraphs(t, s, 1)
	users := []*annotate.User{mustUser(t, s, "ann-a", annotate.RoleAnnotator), mustUser(t, s, "ann-b", annotate.RoleAnnotator), mustUser(t, s, "ann-c", annotate.RoleAnnotator)}
	stances := []string{"agree", "disagree", "discuss"}
	for i, p := range ps[:9] {
		for u, user := range users {
			l := annotate.Labels{"stance": {stances[(i+u)%3]}, "topic": {"strike"}, "event": {[]string{"march", "strike-day", "only-c-typed"}[min(u, 2)]}}
			if u < 2 && i%2 == 0 {
				l["event"] = []string{"march"}
			}
			if _, err := s.SaveAnnotation(ctx, user.ID, p.ID, 0, l); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := s.Confusions(ctx, annotate.AgreementFilter{}, "ann-a", "ann-b")
	if err != nil {
		t.Fatal(err)
	}
	ls, err := s.AgreementLabels(ctx, annotate.AgreementFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got["event"]; !ok {
		t.Fatalf("no matrix for the open dimension: %v", got)
	}
	for _, d := range ls.Schema.Dimensions {
		want, err := annotate.BuildConfusion(ls.Schema, ls.Rows, d.Name, "ann-a", "ann-b")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got[d.Name], want) {
			t.Errorf("%s: the store's matrix %+v, BuildConfusion's %+v", d.Name, got[d.Name], want)
		}
	}
}
