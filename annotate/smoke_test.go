package annotate_test

import (
	"context"
	"errors"
	"testing"

	"concord/annotate"
)

func TestSmokeAnnotate(t *testing.T) {
	s := seededStore(t)
	ctx := context.Background()
	u, err := s.CreateUser(ctx, 0, "alice", annotate.RoleAnnotator, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	docs, err := s.Documents(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("docs: %+v", docs)
	q, err := s.Queue(ctx, u.ID, annotate.QueueOptions{Limit: 3})
	if err != nil || len(q) != 3 {
		t.Fatalf("queue: %v %d", err, len(q))
	}
	a, err := s.SaveAnnotation(ctx, u.ID, q[0].ID, 0, annotate.Labels{"stance": {"agree"}, "topic": {"strike", "terrorism"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveAnnotation(ctx, u.ID, q[0].ID, 0, annotate.Labels{"stance": {"discuss"}, "topic": {"strike"}}); !errors.Is(err, annotate.ErrConflict) {
		t.Fatalf("want conflict, got %v", err)
	}
	if _, err := s.SaveAnnotation(ctx, u.ID, q[0].ID, a.Version, annotate.Labels{"stance": {"Disagree"}, "topic": {"strike"}, "event": {"A brand new event"}}); err != nil {
		t.Fatal(err)
	}
	h, _ := s.History(ctx, q[0].ID)
	if len(h) != 2 {
		t.Fatalf("history %d", len(h))
	}
	ov, _ := s.OpenValues(ctx, "event")
	if len(ov) != 1 {
		t.Fatalf("open values %+v", ov)
	}
	cs, err := s.Curations(ctx, annotate.CurationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		t.Logf("curation %s %s %q", c.Kind, c.Reason, c.Text)
	}
	ps, err := s.Paragraphs(ctx, docs[0].ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("paragraphs %d, first %+v", len(ps), ps[0])
	pc, err := s.Context(ctx, q[1].ID)
	if err != nil || pc.Previous == nil || pc.Next == nil {
		t.Fatalf("context %v %+v", err, pc)
	}
}
