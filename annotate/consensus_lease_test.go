package annotate_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

// twoServers opens the fixture's database twice, as two Concord servers
// sharing one database do.
func twoServers(t *testing.T) (f *consensusFixture, b *annotate.Store) {
	t.Helper()
	dsn := annotatetest.DSN(t)
	a := openStore(t, dsn)
	annotatetest.ApplyDefaultSchema(t, a)
	return fillConsensusFixture(t, a), openStore(t, dsn)
}

// countRuns counts the consensus runs ever started: ids are never reused,
// so the highest id counts them (older runs are dropped once a newer one
// is complete).
func countRuns(t *testing.T, s *annotate.Store) int64 {
	t.Helper()
	var n *int64
	if err := s.GormForTest().Raw("SELECT max(id) FROM consensus_runs").Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n == nil {
		return 0
	}
	return *n
}

// TestConsensusLeaseMakesTheSecondServerWait holds the lease on server a,
// as a server computing a run does, and checks that server b neither takes
// it nor computes, but waits for a's run and returns it.
func TestConsensusLeaseMakesTheSecondServerWait(t *testing.T) {
	f, b := twoServers(t)
	a := f.s
	ctx := context.Background()
	if got, err := a.TakeConsensusLeaseForTest(ctx); err != nil || !got {
		t.Fatalf("a takes the free lease: %v %v", got, err)
	}
	if got, err := a.TakeConsensusLeaseForTest(ctx); err != nil || !got {
		t.Fatalf("a renews its own lease: %v %v", got, err)
	}
	if got, err := b.TakeConsensusLeaseForTest(ctx); err != nil || got {
		t.Fatalf("b takes the lease a holds: %v %v; want refused", got, err)
	}
	type result struct {
		run *annotate.ConsensusRun
		err error
	}
	done := make(chan result, 1)
	go func() {
		run, err := b.ConsensusNow(ctx)
		done <- result{run, err}
	}()
	// b has looked at the lease and found it held before a computes.
	for b.ConsensusLeaseWaitsForTest() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	runA, err := a.ConsensusNow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.run.ID != runA.ID || countRuns(t, a) != 1 {
		t.Errorf("b returned run %d, a computed %d, %d runs in all; want b to return a's, the only run", r.run.ID, runA.ID, countRuns(t, a))
	}
	// The lease is free again once a's run is written.
	if got, err := b.TakeConsensusLeaseForTest(ctx); err != nil || !got {
		t.Errorf("b after a's run: %v %v; want the lease free", got, err)
	}
}

// TestConsensusTwoServersAtOnce asks both servers for the run at the same
// moment: one computes it, the other returns it.
func TestConsensusTwoServersAtOnce(t *testing.T) {
	f, b := twoServers(t)
	a := f.s
	ctx := context.Background()
	var runA, runB *annotate.ConsensusRun
	var errA, errB error
	annotatetest.Together(
		func() { runA, errA = a.ConsensusNow(ctx) },
		func() { runB, errB = b.ConsensusNow(ctx) },
	)
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if runA.ID != runB.ID || countRuns(t, a) != 1 {
		t.Errorf("runs %d and %d, %d in all; want one run, returned to both", runA.ID, runB.ID, countRuns(t, a))
	}

	// A label moves the data: the next run is again computed once.
	f.save(t, ctx, "bob", 10, "agree", "strike")
	annotatetest.Together(
		func() { runA, errA = a.ConsensusNow(ctx) },
		func() { runB, errB = b.ConsensusNow(ctx) },
	)
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if runA.ID != runB.ID || countRuns(t, a) != 2 {
		t.Errorf("after a label: runs %d and %d, %d in all; want one more run, returned to both", runA.ID, runB.ID, countRuns(t, a))
	}
}

// TestConsensusLeaseExpires checks that a lease whose holder went away
// without releasing it stops the others only until it expires.
func TestConsensusLeaseExpires(t *testing.T) {
	f, b := twoServers(t)
	a := f.s
	ctx := context.Background()
	if got, err := a.TakeConsensusLeaseForTest(ctx); err != nil || !got {
		t.Fatalf("a takes the lease: %v %v", got, err)
	}
	a.Close() // a dies holding the lease

	short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	if _, err := b.ConsensusNow(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("b while a's lease lasts: %v; want b to wait until its context ends", err)
	}
	// The lease's time runs out.
	if err := b.GormForTest().Exec("UPDATE consensus_leases SET expires_at = 1").Error; err != nil {
		t.Fatal(err)
	}
	run, err := b.ConsensusNow(ctx)
	if err != nil || run == nil || countRuns(t, b) != 1 {
		t.Fatalf("b after the lease expired: %+v %v, %d runs; want b's own run", run, err, countRuns(t, b))
	}
}

// TestConsensusBackgroundRefreshLeavesTheRunToTheHolder checks that a page
// view on server b, after a write, shows the run there is and does not
// compute a new one while server a holds the lease.
func TestConsensusBackgroundRefreshLeavesTheRunToTheHolder(t *testing.T) {
	f, b := twoServers(t)
	a := f.s
	ctx := context.Background()
	first, err := a.ConsensusNow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.save(t, ctx, "bob", 10, "agree", "strike")
	if got, err := a.TakeConsensusLeaseForTest(ctx); err != nil || !got {
		t.Fatalf("a takes the lease: %v %v", got, err)
	}
	run, err := b.Consensus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if run.ID != first.ID {
		t.Errorf("b's page shows run %d, want the one there is, %d", run.ID, first.ID)
	}
	b.WaitBackgroundForTest() // for the refresh b started in the background
	if n := countRuns(t, a); n != 1 {
		t.Errorf("%d runs after b's refresh while a holds the lease, want 1: b must leave the run to a", n)
	}
	second, err := a.ConsensusNow(ctx)
	if err != nil || second.ID == first.ID || countRuns(t, a) != 2 {
		t.Errorf("a's run after the write: %+v %v, %d runs; want a new, second run", second, err, countRuns(t, a))
	}
}
