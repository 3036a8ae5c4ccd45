package annotate_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

// TestConcurrentWritesCommitIndependently sends many saves at once, some of
// them invalid or stale, so that the writer commits them in groups: every
// valid save lands with its history row, and every failing one fails alone.
func TestConcurrentWritesCommitIndependently(t *testing.T) {
	t.Parallel()
	s := annotatetest.Seeded(t)
	ctx := context.Background()
	const users = 8
	var ids []int64
	for i := range users {
		u, err := s.CreateUser(ctx, 0, fmt.Sprintf("u%d", i), annotate.RoleAnnotator, "")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	paras, err := s.Queue(ctx, ids[0], annotate.QueueOptions{Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, users*len(paras))
	var good, bad int
	for ui, uid := range ids {
		for pi, p := range paras {
			valid := (ui+pi)%3 != 0
			if valid {
				good++
			} else {
				bad++
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				labels := annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}
				if !valid {
					labels = annotate.Labels{"stance": {"maybe"}, "topic": {"strike"}}
				}
				_, err := s.SaveAnnotation(ctx, uid, p.ID, 0, labels)
				if valid && err != nil {
					errs <- fmt.Errorf("valid save of paragraph %d by %d: %v", p.ID, uid, err)
				}
				if !valid && !errors.Is(err, annotate.ErrInvalid) {
					errs <- fmt.Errorf("invalid save of paragraph %d by %d: got %v, want ErrInvalid", p.ID, uid, err)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := count(t, s, "SELECT count(*) FROM annotations"); got != good {
		t.Errorf("annotations = %d, want %d (and %d refused)", got, good, bad)
	}
	if got := count(t, s, "SELECT count(*) FROM history WHERE entity = 'annotation'"); got != good {
		t.Errorf("history rows = %d, want %d", got, good)
	}
}

// TestConcurrentCreatesOfOneAnnotation races two different first saves of
// the same paragraph by the same annotator, many times over: exactly one
// wins, the other gets a conflict carrying the winner, and the loser's
// failed insert leaves the rest of its commit group intact.
func TestConcurrentCreatesOfOneAnnotation(t *testing.T) {
	t.Parallel()
	s := annotatetest.Seeded(t)
	ctx := context.Background()
	u := mustUser(t, s, "alice", annotate.RoleAnnotator)
	paras, err := s.Queue(ctx, u.ID, annotate.QueueOptions{Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make([][2]error, len(paras))
	for i, p := range paras {
		for k, stance := range []string{"agree", "disagree"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, results[i][k] = s.SaveAnnotation(ctx, u.ID, p.ID, 0, annotate.Labels{"stance": {stance}, "topic": {"strike"}})
			}()
		}
	}
	wg.Wait()
	for i, r := range results {
		ok := 0
		for _, err := range r {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, annotate.ErrConflict):
				t.Errorf("paragraph %d: got %v, want nil or ErrConflict", paras[i].ID, err)
			}
		}
		if ok != 1 {
			t.Errorf("paragraph %d: %d saves succeeded, want exactly 1 (%v)", paras[i].ID, ok, r)
		}
		if n := count(t, s, "SELECT count(*) FROM history WHERE paragraph_id = ?", paras[i].ID); n != 1 {
			t.Errorf("paragraph %d: %d history rows, want 1", paras[i].ID, n)
		}
	}
}
