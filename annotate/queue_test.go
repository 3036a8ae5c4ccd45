package annotate_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

// leaseStore is a store with one document of n paragraphs, the given
// overlap and a clock the test moves.
func leaseStore(t *testing.T, n, overlap int) (*annotate.Store, func(time.Duration), []annotate.ParagraphStatus) {
	t.Helper()
	s := annotatetest.WithSchema(t)
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	var mu sync.Mutex
	s.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	var b strings.Builder
	b.WriteString("Title")
	for i := range n {
		fmt.Fprintf(&b, "\n\nParagraph number %d.", i)
	}
	doc := mustImport(t, s, "lease.txt", b.String())
	if err := s.SetOverlap(context.Background(), 0, overlap); err != nil {
		t.Fatal(err)
	}
	return s, advance, currentParagraphs(t, s, doc.DocumentID)
}

func TestQueueLeasesHoldOverlap(t *testing.T) {
	for _, overlap := range []int{1, 2} {
		t.Run(fmt.Sprintf("overlap=%d", overlap), func(t *testing.T) {
			s, _, _ := leaseStore(t, 60, overlap)
			ctx := context.Background()
			const n = 20
			users := make([]*annotate.User, n)
			for i := range users {
				users[i] = mustUser(t, s, fmt.Sprintf("ann%d", i), annotate.RoleAnnotator)
			}
			got := make([][]annotate.Paragraph, n)
			errs := make([]error, n)
			fns := make([]func(), n)
			for i := range fns {
				fns[i] = func() { got[i], errs[i] = s.Queue(ctx, users[i].ID, annotate.QueueOptions{Limit: 2}) }
			}
			annotatetest.Together(fns...)
			held := map[int64]int{}
			for i := range n {
				if errs[i] != nil {
					t.Fatalf("annotator %d: %v", i, errs[i])
				}
				if len(got[i]) != 2 {
					t.Fatalf("annotator %d got %d paragraphs, want 2 (the corpus has room)", i, len(got[i]))
				}
				for _, p := range got[i] {
					held[p.ID]++
				}
			}
			for id, k := range held {
				if k > overlap {
					t.Errorf("paragraph %d handed to %d annotators at once, overlap %d", id, k, overlap)
				}
			}
		})
	}
}

func TestQueueLeaseExpiresAndRenews(t *testing.T) {
	s, advance, ps := leaseStore(t, 3, 1)
	ctx := context.Background()
	a := mustUser(t, s, "a", annotate.RoleAnnotator)
	b := mustUser(t, s, "b", annotate.RoleAnnotator)
	c := mustUser(t, s, "c", annotate.RoleAnnotator)
	first, err := s.Queue(ctx, a.ID, annotate.QueueOptions{Limit: 1})
	if err != nil || len(first) != 1 || first[0].ID != ps[0].ID {
		t.Fatalf("a's queue = %v, %v; want paragraph %d", first, err, ps[0].ID)
	}
	next, err := s.Queue(ctx, b.ID, annotate.QueueOptions{Limit: 1})
	if err != nil || len(next) != 1 || next[0].ID != ps[1].ID {
		t.Fatalf("b's queue = %v, %v; want paragraph %d, as a holds %d", next, err, ps[1].ID, ps[0].ID)
	}
	if n, err := s.Remaining(ctx, c.ID); err != nil || n != 1 {
		t.Fatalf("c has %d (%v) left, want 1: two of three paragraphs are held", n, err)
	}
	// a keeps working: asking again renews a's lease, past the first TTL.
	advance(annotate.LeaseTTL - time.Minute)
	if _, err := s.Queue(ctx, a.ID, annotate.QueueOptions{Limit: 1, Exclude: []int64{ps[0].ID}}); err != nil {
		t.Fatal(err)
	}
	advance(2 * time.Minute)
	got, err := s.Queue(ctx, c.ID, annotate.QueueOptions{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range got {
		if p.ID == ps[0].ID {
			t.Fatalf("c got paragraph %d, whose lease a renewed", p.ID)
		}
	}
	// b walked away: b's lease on ps[1] expired, so c got it.
	if len(got) != 1 || got[0].ID != ps[1].ID {
		t.Fatalf("c's queue = %v, want paragraph %d whose lease expired", got, ps[1].ID)
	}
	// A lease never refuses a save: b saves the paragraph c now holds.
	if _, err := s.SaveAnnotation(ctx, b.ID, ps[1].ID, 0, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}); err != nil {
		t.Fatalf("b's save of a paragraph leased to c: %v", err)
	}
	// A skip gives the lease back.
	if _, err := s.SkipParagraph(ctx, a.ID, ps[0].ID, "unclear"); err != nil {
		t.Fatal(err)
	}
	if n, err := s.RemainingIn(ctx, c.ID, 0); err != nil || n != 1 {
		t.Fatalf("after a's skip c has %d (%v) left, want 1 (paragraph %d is free again)", n, err, ps[0].ID)
	}
}
