package annotate_test

import (
	"context"
	"errors"
	"testing"

	"concord/agreement"
	"concord/annotate"
	"concord/annotate/annotatetest"
)

func TestAgreementReportIsCachedUntilAWrite(t *testing.T) {
	s := annotatetest.Seeded(t)
	ctx := context.Background()
	a := mustUser(t, s, "alice", annotate.RoleAnnotator)
	b := mustUser(t, s, "bob", annotate.RoleAnnotator)
	ps := currentParagraphs(t, s, 1)
	for _, u := range []*annotate.User{a, b} {
		if _, err := s.SaveAnnotation(ctx, u.ID, ps[0].ID, 0, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}); err != nil {
			t.Fatal(err)
		}
	}
	opt := agreement.Options{Bootstrap: 20, Seed: 1}
	first, err := s.Agreement(ctx, annotate.AgreementFilter{}, opt)
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.Agreement(ctx, annotate.AgreementFilter{}, opt)
	if err != nil {
		t.Fatal(err)
	}
	if again != first {
		t.Errorf("a repeat view with nothing written was computed again")
	}
	other, err := s.Agreement(ctx, annotate.AgreementFilter{Annotators: []string{"alice", "bob"}}, opt)
	if err != nil {
		t.Fatal(err)
	}
	if other == first {
		t.Errorf("another filter was answered with the first filter's report")
	}
	if _, err := s.SaveAnnotation(ctx, a.ID, ps[1].ID, 0, annotate.Labels{"stance": {"discuss"}, "topic": {"justice"}}); err != nil {
		t.Fatal(err)
	}
	after, err := s.Agreement(ctx, annotate.AgreementFilter{}, opt)
	if err != nil {
		t.Fatal(err)
	}
	if after == first || after.Labels != first.Labels+1 {
		t.Errorf("after a save the report has %d labels (cached: %v), want %d", after.Labels, after == first, first.Labels+1)
	}
	m1, err := s.Confusions(ctx, annotate.AgreementFilter{}, "alice", "bob")
	if err != nil || m1["stance"] == nil {
		t.Fatalf("confusions = %v, %v; want a stance matrix", m1, err)
	}
	m2, _ := s.Confusions(ctx, annotate.AgreementFilter{}, "alice", "bob")
	if m2["stance"] != m1["stance"] {
		t.Errorf("repeat confusion matrices were computed again")
	}
}

func TestAgreementStopsWhenTheCallerLeaves(t *testing.T) {
	s := annotatetest.Seeded(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Agreement(ctx, annotate.AgreementFilter{}, agreement.DefaultOptions())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("agreement for a caller that left: %v, want context.Canceled", err)
	}
}
