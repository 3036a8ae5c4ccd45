package annotate_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

// TestSavesCloseWhileQueued closes the store while saves wait: on
// PostgreSQL every batch writer is held by a statement waiting for a row
// lock and the saves sit in the queue behind it. Close must write the saves
// already queued, refuse the ones that come after it began without waiting
// for the others, and return once the lock is let go; every save gets
// exactly one answer, and what the database holds afterwards is exactly the
// saves that were answered with success, each with its history row. Two
// closes at once and a third after are harmless, a save after Close is
// refused, and no goroutine of the batcher is left.
func TestSavesCloseWhileQueued(t *testing.T) {
	ctx := context.Background()
	dsn := annotatetest.DSN(t)
	s := seededAt(t, dsn)
	ps := seedParagraphs(t, s)
	users := make([]*annotate.User, 6)
	for i := range users {
		users[i] = mustUser(t, s, fmt.Sprintf("closing%d", i), annotate.RoleAnnotator)
	}
	release := parkWriters(t, s, ps[0].ID)

	type save struct{ user, para int }
	var saves []save
	for u := range users {
		for p := 1; p <= 8; p++ {
			saves = append(saves, save{u, p})
		}
	}
	queued0 := s.SavesQueuedForTest()
	errs := make([]error, len(saves))
	var wg sync.WaitGroup
	for i, sv := range saves {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.SaveAnnotation(ctx, users[sv.user].ID, ps[sv.para].ID, 0, labelsFor(i))
		}()
	}
	waitQueued(t, s, queued0, len(saves))

	// Two closes at once, as a signal handler and a deferred Close might.
	closed := make(chan error, 2)
	for range 2 {
		go func() { closed <- s.Close() }()
	}
	waitClosed := func() {
		for range 2 {
			if err := <-closed; err != nil {
				t.Fatalf("close: %v", err)
			}
		}
	}
	waitFor(t, "Close to begin", s.SaveBatcherStoppingForTest)
	if !annotatetest.Postgres() {
		// SQLite has nothing to drain: Close returns on its own, and the
		// save below comes after it.
		waitClosed()
	}
	// A save that arrives once Close has begun is refused at once, not
	// queued behind the saves Close is writing (on PostgreSQL the lock is
	// still held here, so a save that waited would never return).
	lateUser, latePara := users[0].ID, ps[9].ID
	if _, err := s.SaveAnnotation(ctx, lateUser, latePara, 0, labelsFor(1)); err == nil {
		t.Error("a save after Close began was accepted")
	}
	release()
	if annotatetest.Postgres() {
		waitClosed()
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Errorf("third close: %v", err)
	}
	if _, err := s.SaveAnnotation(ctx, lateUser, latePara, 0, labelsFor(2)); err == nil {
		t.Error("a save after Close was accepted")
	}
	// Nothing of the batcher outlives Close.
	waitFor(t, "the batcher's goroutines to end", func() bool {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		return !strings.Contains(stacks, "annotate.(*saveBatcher)") && !strings.Contains(stacks, "annotate.startSaveBatcher")
	})

	s2, err := annotate.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	written := 0
	for i, sv := range saves {
		if annotatetest.Postgres() && errs[i] != nil {
			// Queued before Close began: Close writes it.
			t.Errorf("save %d, queued before Close: %v", i, errs[i])
		}
		a, err := s2.Annotation(ctx, ps[sv.para].ID, users[sv.user].ID)
		switch {
		case errs[i] == nil && err != nil:
			t.Errorf("save %d was answered as written but is not stored: %v", i, err)
		case errs[i] != nil && err == nil:
			t.Errorf("save %d was refused (%v) but is stored", i, errs[i])
		case err == nil:
			written++
			if !a.Labels.Equal(labelsFor(i)) || a.Version != 1 {
				t.Errorf("save %d stored as version %d %v, want version 1 %v", i, a.Version, a.Labels, labelsFor(i))
			}
			if h := annotationHistory(t, s2, ps[sv.para].ID, a.ID); len(h) != 1 || h[0].Action != "create" {
				t.Errorf("save %d: history %+v, want one create", i, h)
			}
		}
	}
	if n, _ := annotationRows(t, s2, latePara, lateUser); n != 0 {
		t.Errorf("the saves refused after Close left %d annotations", n)
	}
	t.Logf("%d of %d saves written", written, len(saves))
}

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

// TestSavesBatchTimesOut holds a paragraph's row lock past the time a batch
// statement may wait (shortened here), as a stuck transaction would. The
// statement gives up having written nothing; its saves must then be settled
// each by its own caller, under the caller's own context, as a single save
// would be — not written again one by one, each waiting as long once more
// and failing in turn. Once the lock is let go every save is written, once.
// On SQLite, which has no batch statements, the saves just wait their turn.
func TestSavesBatchTimesOut(t *testing.T) {
	ctx := context.Background()
	s := annotatetest.Seeded(t)
	ps := seedParagraphs(t, s)
	users := make([]*annotate.User, 5)
	for i := range users {
		users[i] = mustUser(t, s, fmt.Sprintf("patient%d", i), annotate.RoleAnnotator)
	}
	s.SetSaveBatchTimeoutForTest(50 * time.Millisecond)
	release := holdParagraph(t, s, ps[0].ID)
	errs := make([]error, len(users))
	var wg sync.WaitGroup
	var answered atomic.Int64
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer answered.Add(1)
			_, errs[i] = s.SaveAnnotation(ctx, u.ID, ps[0].ID, 0, labelsFor(i))
		}()
	}
	if annotatetest.Postgres() {
		// Once the batch statements have given up, each save's own
		// statement waits for the lock; a save answered while the lock is
		// still held was given up on.
		waitFor(t, "every save to wait for the lock on its own", func() bool {
			return lockWaiters(t, s) == len(users) || answered.Load() > 0
		})
	}
	release()
	wg.Wait()
	for i, u := range users {
		if errs[i] != nil {
			t.Errorf("save %d: %v", i, errs[i])
		}
		if n, h := annotationRows(t, s, ps[0].ID, u.ID); n != 1 || h != 1 {
			t.Errorf("save %d: %d annotations and %d history rows, want 1 and 1", i, n, h)
		}
	}
	if got := annotatorCount(t, s, ps[0].ID); got != len(users) {
		t.Errorf("count of annotators %d, want %d", got, len(users))
	}
}
