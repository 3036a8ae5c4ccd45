package annotate_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

func TestMajorities(t *testing.T) {
	t.Parallel()
	sc := agreeSchema(t)
	l := func(stance string, topics ...string) annotate.Labels {
		return annotate.Labels{"stance": {stance}, "topic": topics}
	}
	cases := []struct {
		name    string
		labels  []annotate.Labels
		dim     string
		want    []string
		support int
		tie     bool
	}{
		{"two of three", []annotate.Labels{l("agree", "strike"), l("agree", "strike"), l("discuss", "strike")}, "stance", []string{"agree"}, 2, false},
		{"three-way tie", []annotate.Labels{l("agree", "strike"), l("disagree", "strike"), l("discuss", "strike")}, "stance", []string{}, 1, true},
		{"two-way tie", []annotate.Labels{l("agree", "strike"), l("discuss", "strike")}, "stance", []string{}, 1, true},
		{"multi: labels most applied", []annotate.Labels{l("agree", "media", "strike"), l("agree", "strike"), l("agree", "justice", "strike")}, "topic", []string{"strike"}, 1, false},
		{"open left empty by most", []annotate.Labels{{"event": {"x"}}, {}, {}}, "event", []string{}, 2, false},
		{"two of five is not a majority", []annotate.Labels{l("agree"), l("agree"), l("disagree"), l("discuss"), l("unrelated")}, "stance", []string{}, 2, true},
		{"three of five", []annotate.Labels{l("agree"), l("agree"), l("agree"), l("discuss"), l("unrelated")}, "stance", []string{"agree"}, 3, false},
		{"one annotator left it empty, one answered", []annotate.Labels{{"event": {"x"}}, {}}, "event", []string{}, 1, true},
		{"multi: a label applied by half", []annotate.Labels{l("agree", "strike"), l("agree", "media", "strike")}, "topic", []string{}, 1, true},
		{"multi: two annotators, same set", []annotate.Labels{l("agree", "media", "strike"), l("agree", "media", "strike")}, "topic", []string{"media", "strike"}, 2, false},
	}
	for _, tc := range cases {
		var got annotate.Majority
		for _, m := range annotate.Majorities(sc, tc.labels) {
			if m.Dimension == tc.dim {
				got = m
			}
		}
		if !slices.Equal(got.Labels, tc.want) || got.Support != tc.support || got.Tie != tc.tie || got.Of != len(tc.labels) {
			t.Errorf("%s: got %+v, want labels %v support %d/%d tie %v", tc.name, got, tc.want, tc.support, len(tc.labels), tc.tie)
		}
	}
}

func TestDisagreementsOrderAndGold(t *testing.T) {
	t.Parallel()
	s := annotatetest.WithSchema(t)
	ctx := context.Background()
	doc := mustImport(t, s, "a.txt", "A\n\nOne is here.\n\nTwo is here.\n\nThree is here.\n\nFour is here.")
	ps := currentParagraphs(t, s, doc.DocumentID)
	users := []*annotate.User{
		mustUser(t, s, "alice", annotate.RoleAnnotator),
		mustUser(t, s, "bob", annotate.RoleAnnotator),
		mustUser(t, s, "carol", annotate.RoleAnnotator),
	}
	rev := mustUser(t, s, "rita", annotate.RoleReviewer)
	// p0: all agree (not a disagreement).
	// p1: stance 2 of 3 agree      → disputed (1 − 2/3)/3 = 1/9
	// p2: stance three-way split   → disputed (1 − 1/3)/3 = 2/9
	// p3: one annotation only      (not a disagreement)
	stances := [][]string{
		{"agree", "agree", "agree"},
		{"agree", "agree", "discuss"},
		{"agree", "disagree", "discuss"},
		{"agree"},
	}
	for i, row := range stances {
		for j, st := range row {
			if _, err := s.SaveAnnotation(ctx, users[j].ID, ps[i].ID, 0, annotate.Labels{"stance": {st}, "topic": {"strike"}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := s.AddNote(ctx, users[2].ID, ps[1].ID, "I read it as neutral."); err != nil {
		t.Fatal(err)
	}
	ds, err := s.Disagreements(ctx, annotate.DisagreementFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var order []int64
	for _, d := range ds {
		order = append(order, d.Paragraph.ID)
	}
	if want := []int64{ps[2].ID, ps[1].ID}; !slices.Equal(order, want) {
		t.Fatalf("queue = %v, want %v (most disputed first)", order, want)
	}
	if !(math.Abs(ds[0].Disputed-2.0/9) < 1e-9 && math.Abs(ds[1].Disputed-1.0/9) < 1e-9) {
		t.Errorf("disputed = %v, %v; want 2/9, 1/9", ds[0].Disputed, ds[1].Disputed)
	}
	p1 := ds[1]
	if len(p1.Annotations) != 3 || p1.Annotations[0].UserName != "alice" || len(p1.Notes) != 1 || p1.Notes[0].UserName != "carol" {
		t.Errorf("p1 annotations %d (first %q), notes %d: want 3 by name and carol's note", len(p1.Annotations), p1.Annotations[0].UserName, len(p1.Notes))
	}
	if m := p1.Majority[0]; m.Dimension != "stance" || !slices.Equal(m.Labels, []string{"agree"}) || m.Support != 2 || m.Of != 3 {
		t.Errorf("p1 stance majority = %+v, want agree 2/3", m)
	}
	if p1.Gold != nil || p1.Document.ID != doc.DocumentID {
		t.Errorf("p1 gold %v document %d, want none and %d", p1.Gold, p1.Document.ID, doc.DocumentID)
	}
	if page, err := s.DisagreementQueue(ctx, annotate.DisagreementFilter{Limit: 1}); err != nil || page.Total != 2 || len(page.Items) != 1 || page.Next == "" {
		t.Errorf("queue of limit 1: %+v, %v; want 1 of 2 and a next cursor", page, err)
	}

	// Deciding p1 twice: two gold revisions in the history, the annotators'
	// labels untouched, and p1 leaves the queue unless resolved ones are asked for.
	before, err := s.Annotations(ctx, ps[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	g, err := s.SetGold(ctx, rev.ID, ps[1].ID, 0, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}, "majority")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetGold(ctx, rev.ID, ps[1].ID, 0, annotate.Labels{"stance": {"discuss"}, "topic": {"strike"}}, "accept:carol"); !errors.Is(err, annotate.ErrConflict) {
		t.Errorf("stale gold version: got %v, want a conflict", err)
	}
	if _, err := s.SetGold(ctx, rev.ID, ps[1].ID, g.Version, annotate.Labels{"stance": {"discuss"}, "topic": {"strike"}}, "accept:carol"); err != nil {
		t.Fatal(err)
	}
	after, err := s.Annotations(ctx, ps[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	for i := range before {
		if !before[i].Labels.Equal(after[i].Labels) || before[i].Version != after[i].Version {
			t.Errorf("annotation of %s changed: %v v%d → %v v%d", before[i].UserName, before[i].Labels, before[i].Version, after[i].Labels, after[i].Version)
		}
	}
	ds, err = s.Disagreements(ctx, annotate.DisagreementFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].Paragraph.ID != ps[2].ID {
		t.Errorf("queue after deciding p1 has %d items, want only p2", len(ds))
	}
	ds, err = s.Disagreements(ctx, annotate.DisagreementFilter{IncludeResolved: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 || ds[1].Gold == nil {
		t.Fatalf("queue with resolved: %d items, want 2 with p1's gold", len(ds))
	}
	r := ds[1]
	if r.Gold.Version != 2 || r.Gold.Method != "accept:carol" || r.GoldBy != "rita" {
		t.Errorf("gold = v%d %q by %q, want v2 accept:carol by rita", r.Gold.Version, r.Gold.Method, r.GoldBy)
	}
	if len(r.GoldHistory) != 2 || r.GoldHistory[0].Method != "majority" || !slices.Equal(r.GoldHistory[1].Labels["stance"], []string{"discuss"}) || r.GoldHistory[1].By != "rita" {
		t.Errorf("gold history = %+v, want majority then accept:carol (discuss) by rita", r.GoldHistory)
	}
	h, err := historyOf(s, ctx, ps[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range h {
		if c.Entity == "gold" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("history has %d gold rows, want 2", n)
	}

	page, err := s.Disagreements(ctx, annotate.DisagreementFilter{IncludeResolved: true, Limit: 1, Offset: 1})
	if err != nil || len(page) != 1 || page[0].Paragraph.ID != ps[1].ID {
		t.Errorf("page 2 of size 1: %v %v, want p1", page, err)
	}
	if _, err := s.Disagreements(ctx, annotate.DisagreementFilter{Limit: 101}); !errors.Is(err, annotate.ErrInvalid) {
		t.Errorf("limit 101: got %v, want EINVALID", err)
	}
}
