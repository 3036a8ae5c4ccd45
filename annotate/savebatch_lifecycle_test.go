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

// TestSavesCancelledWhileQueued cancels saves while they wait in the queue
// behind busy batch writers (PostgreSQL; on SQLite, whose saves do not
// queue, their context ends before they are sent). Each must return its
// context's error without waiting for the writers, and none may be written;
// the saves queued beside them are written, and the store goes on saving.
func TestSavesCancelledWhileQueued(t *testing.T) {
	ctx := context.Background()
	s := annotatetest.Seeded(t)
	ps := seedParagraphs(t, s)
	users := make([]*annotate.User, 4)
	for i := range users {
		users[i] = mustUser(t, s, fmt.Sprintf("cancel%d", i), annotate.RoleAnnotator)
	}
	release := parkWriters(t, s, ps[0].ID)

	gone, cancel := context.WithCancel(ctx)
	defer cancel()
	if !annotatetest.Postgres() {
		cancel()
	}
	type save struct {
		user, para int
		ctx        context.Context
	}
	var saves []save
	for p := 1; p <= 10; p++ {
		saves = append(saves, save{p % 2, p, gone}, save{2 + p%2, p, ctx})
	}
	queued0 := s.SavesQueuedForTest()
	errs := make([]error, len(saves))
	var cancelled, kept sync.WaitGroup
	for i, sv := range saves {
		wg := &kept
		if sv.ctx == gone {
			wg = &cancelled
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.SaveAnnotation(sv.ctx, users[sv.user].ID, ps[sv.para].ID, 0, labelsFor(i))
		}()
	}
	waitQueued(t, s, queued0, len(saves))
	cancel()
	// The writers are still held: the cancelled saves return without them.
	cancelled.Wait()
	release()
	kept.Wait()

	for i, sv := range saves {
		n, h := annotationRows(t, s, ps[sv.para].ID, users[sv.user].ID)
		if sv.ctx == gone {
			if !errors.Is(errs[i], context.Canceled) {
				t.Errorf("cancelled save %d: %v, want %v", i, errs[i], context.Canceled)
			}
			if n != 0 || h != 0 {
				t.Errorf("cancelled save %d left %d annotations and %d history rows", i, n, h)
			}
			continue
		}
		if errs[i] != nil {
			t.Errorf("save %d: %v", i, errs[i])
		}
		if n != 1 || h != 1 {
			t.Errorf("save %d left %d annotations and %d history rows, want 1 and 1", i, n, h)
		}
	}
	// The saves dropped from the queue leave the batcher working.
	if a, err := s.SaveAnnotation(ctx, users[0].ID, ps[1].ID, 0, labelsFor(7)); err != nil || a.Version != 1 {
		t.Errorf("save after the cancelled ones: %+v, %v", a, err)
	}
}

// TestSavesCancelledWhileWritten cancels a save while its statement runs
// (on PostgreSQL it waits for a row lock the test holds). Its caller gets
// its context's error at once; the statement may still land, as a save
// whose answer was lost on the network may, and the client's retry of the
// same save must then find it, not conflict with it: one annotation, one
// history row, version 1.
func TestSavesCancelledWhileWritten(t *testing.T) {
	ctx := context.Background()
	s := annotatetest.Seeded(t)
	ps := seedParagraphs(t, s)
	u := mustUser(t, s, "leaver", annotate.RoleAnnotator)
	labels := labelsFor(3)
	release := holdParagraph(t, s, ps[0].ID)

	gone, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := s.SaveAnnotation(gone, u.ID, ps[0].ID, 0, labels)
		done <- err
	}()
	if annotatetest.Postgres() {
		waitFor(t, "the save's statement to wait for the lock", func() bool { return lockWaiters(t, s) == 1 })
	}
	cancel()
	// On PostgreSQL the lock is still held: the caller does not wait for
	// the statement it left.
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled save: %v, want success or %v", err, context.Canceled)
	} else if err == nil && annotatetest.Postgres() {
		t.Error("cancelled save answered as written while its statement still waited")
	}
	release()

	a, err := s.SaveAnnotation(ctx, u.ID, ps[0].ID, 0, labels)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if a.Version != 1 || !a.Labels.Equal(labels) {
		t.Errorf("retry: version %d %v, want version 1 %v", a.Version, a.Labels, labels)
	}
	if n, h := annotationRows(t, s, ps[0].ID, u.ID); n != 1 || h != 1 {
		t.Errorf("%d annotations and %d history rows, want 1 and 1", n, h)
	}
	if got := annotatorCount(t, s, ps[0].ID); got != 1 {
		t.Errorf("count of annotators %d, want 1", got)
	}
}
