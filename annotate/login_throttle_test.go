package annotate_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

// throttleWait returns the wait a StartLogin refusal gives, and whether it
// was the address that was refused; it fails the test on any other error.
func throttleWait(t *testing.T, err error) (time.Duration, bool, bool) {
	t.Helper()
	if err == nil {
		return 0, false, false
	}
	var th *annotate.LoginThrottled
	if !errors.As(err, &th) {
		t.Fatalf("StartLogin: %v, want nil or *LoginThrottled", err)
	}
	return th.Wait, th.Address, true
}

// TestLoginThrottle checks the limits: five failures are free, then each
// attempt waits one second, doubling up to five minutes; a count is kept
// an hour after its last attempt.
func TestLoginThrottle(t *testing.T) {
	s := annotatetest.Open(t)
	ctx := context.Background()
	now := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	for i := range annotate.FreeLoginFailures {
		if err := s.StartLogin(ctx, "alice", "192.0.2.1", now); err != nil {
			t.Fatalf("attempt %d: %v, want it heard", i+1, err)
		}
	}
	wait, addr, refused := throttleWait(t, s.StartLogin(ctx, "alice", "192.0.2.1", now))
	if !refused || addr || wait != time.Second {
		t.Fatalf("attempt 6 at once: refused %v, address %v, wait %v; want the account refused for 1s", refused, addr, wait)
	}
	// Doubling: after the wait each attempt is heard and adds to the count.
	for i, want := range []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second} {
		now = now.Add(wait)
		if err := s.StartLogin(ctx, "alice", "192.0.2.1", now); err != nil {
			t.Fatalf("attempt after the wait (%d): %v", i, err)
		}
		wait, _, refused = throttleWait(t, s.StartLogin(ctx, "alice", "192.0.2.1", now.Add(want-time.Millisecond)))
		if !refused || wait != time.Millisecond {
			t.Fatalf("attempt just before the %v wait ends: refused %v, wait %v; want 1ms left", want, refused, wait)
		}
		wait = want
	}
	// The ceiling.
	for range 20 {
		now = now.Add(annotate.MaxLoginWait)
		if err := s.StartLogin(ctx, "alice", "192.0.2.1", now); err != nil {
			t.Fatalf("attempt after the longest wait: %v", err)
		}
	}
	if wait, _, _ := throttleWait(t, s.StartLogin(ctx, "alice", "192.0.2.1", now)); wait != annotate.MaxLoginWait {
		t.Errorf("wait after many failures = %v, want the ceiling %v", wait, annotate.MaxLoginWait)
	}
	if msg := (&annotate.LoginThrottled{Wait: annotate.MaxLoginWait, Address: true}).Error(); msg != "too many failed logins from this address; try again in 5 minutes" {
		t.Errorf("message = %q", msg)
	}
	// An hour of quiet forgets the count.
	now = now.Add(annotate.LoginFailuresKept + time.Second)
	if err := s.StartLogin(ctx, "alice", "192.0.2.1", now); err != nil {
		t.Fatalf("attempt after an hour of quiet: %v", err)
	}
	if n, err := s.LoginFailures(ctx, annotate.AccountThrottleKey("alice")); err != nil || n != 1 {
		t.Errorf("count after an hour of quiet = %d %v, want 1", n, err)
	}
	// Forgotten counts are swept away by a later login.
	if got := count(t, s, "SELECT count(*) FROM login_throttles WHERE throttle_key = ?", annotate.AddressThrottleKey("192.0.2.1")); got != 1 {
		t.Fatalf("address rows = %d, want 1", got)
	}
	now = now.Add(annotate.LoginFailuresKept + time.Minute)
	if err := s.StartLogin(ctx, "bob", "192.0.2.200", now); err != nil {
		t.Fatal(err)
	}
	if got := count(t, s, "SELECT count(*) FROM login_throttles WHERE throttle_key IN (?, ?)", annotate.AccountThrottleKey("alice"), annotate.AddressThrottleKey("192.0.2.1")); got != 0 {
		t.Errorf("rows of counts forgotten an hour ago, after a later login = %d, want 0", got)
	}
}

// TestLoginThrottleAddress checks that an address is refused after five
// failures across accounts, that a success clears only the account it was
// for, and that names differing in case share a count.
func TestLoginThrottleAddress(t *testing.T) {
	s := annotatetest.Open(t)
	ctx := context.Background()
	now := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	const addr = "198.51.100.7"
	for _, name := range []string{"a1", "a2", "a3", "a4"} {
		if err := s.StartLogin(ctx, name, addr, now); err != nil {
			t.Fatal(err)
		}
	}
	// The attacker logs in to an account of their own: the address keeps
	// its four failures.
	if err := s.StartLogin(ctx, "mallory", addr, now); err != nil {
		t.Fatal(err)
	}
	if err := s.LoginSucceeded(ctx, "mallory", addr); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.LoginFailures(ctx, annotate.AddressThrottleKey(addr)); n != 4 {
		t.Errorf("address failures after a success on another account = %d, want 4", n)
	}
	if n, _ := s.LoginFailures(ctx, annotate.AccountThrottleKey("mallory")); n != 0 {
		t.Errorf("failures of the account that logged in = %d, want 0", n)
	}
	if err := s.StartLogin(ctx, "a5", addr, now); err != nil {
		t.Fatal(err)
	}
	_, isAddr, refused := throttleWait(t, s.StartLogin(ctx, "fresh", addr, now))
	if !refused || !isAddr {
		t.Fatalf("sixth failure from one address on a fresh account: refused %v, address %v; want the address refused", refused, isAddr)
	}
	// The refusal counted nothing against the fresh account.
	if n, _ := s.LoginFailures(ctx, annotate.AccountThrottleKey("fresh")); n != 0 {
		t.Errorf("failures of an account whose attempt the address refused = %d, want 0", n)
	}
	// Case does not make a new account.
	for range annotate.FreeLoginFailures {
		if err := s.StartLogin(ctx, "Bob", "203.0.113.1", now); err != nil {
			t.Fatal(err)
		}
	}
	if _, isAddr, refused := throttleWait(t, s.StartLogin(ctx, "BOB", "203.0.113.2", now)); !refused || isAddr {
		t.Errorf("BOB after five failures of Bob: refused %v, address %v; want the account refused", refused, isAddr)
	}
}

// TestLoginThrottleShared checks that the counts live in the database:
// failures through one store count in another on the same database, and a
// store opened again (a restart) still has them.
func TestLoginThrottleShared(t *testing.T) {
	ctx := context.Background()
	dsn := annotatetest.DSN(t)
	a, err := annotate.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	b, err := annotate.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	now := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	for i := range annotate.FreeLoginFailures - 1 {
		if err := a.StartLogin(ctx, "alice", "192.0.2.9", now); err != nil {
			t.Fatalf("attempt %d through A: %v", i+1, err)
		}
	}
	if err := b.StartLogin(ctx, "alice", "192.0.2.10", now); err != nil {
		t.Fatalf("fifth attempt through B: %v", err)
	}
	if _, _, refused := throttleWait(t, a.StartLogin(ctx, "alice", "192.0.2.11", now)); !refused {
		t.Errorf("sixth attempt through A after four there and one through B: heard, want refused")
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	restarted, err := annotate.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer restarted.Close()
	if _, _, refused := throttleWait(t, restarted.StartLogin(ctx, "alice", "192.0.2.12", now)); !refused {
		t.Errorf("attempt after a restart: heard, want still refused")
	}
}

// TestLoginThrottleRace checks that attempts racing on one count never pass
// it together: with four failures counted, of twenty attempts fired at once
// through two stores exactly one is heard.
func TestLoginThrottleRace(t *testing.T) {
	ctx := context.Background()
	dsn := annotatetest.DSN(t)
	stores := make([]*annotate.Store, 2)
	for i := range stores {
		s, err := annotate.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	now := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	for range annotate.FreeLoginFailures - 1 {
		if err := stores[0].StartLogin(ctx, "alice", "192.0.2.1", now); err != nil {
			t.Fatal(err)
		}
	}
	const n = 20
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, n)
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = stores[i%2].StartLogin(ctx, "alice", "192.0.2.1", now)
		}()
	}
	close(start)
	wg.Wait()
	heard := 0
	for _, err := range errs {
		if _, _, refused := throttleWait(t, err); !refused {
			heard++
		}
	}
	if heard != 1 {
		t.Errorf("%d of %d racing attempts were heard with one left free, want exactly 1", heard, n)
	}
	if got, _ := stores[1].LoginFailures(ctx, annotate.AccountThrottleKey("alice")); got != annotate.FreeLoginFailures {
		t.Errorf("count after the race = %d, want %d", got, annotate.FreeLoginFailures)
	}

	// The same for an address, each attempt on an account of its own: the
	// attempts the address refuses leave their accounts uncounted.
	const addr = "198.51.100.50"
	for i := range annotate.FreeLoginFailures - 1 {
		if err := stores[0].StartLogin(ctx, fmt.Sprintf("first%d", i), addr, now); err != nil {
			t.Fatal(err)
		}
	}
	start = make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = stores[i%2].StartLogin(ctx, fmt.Sprintf("racer%d", i), addr, now)
		}()
	}
	close(start)
	wg.Wait()
	heard = 0
	for i, err := range errs {
		_, isAddr, refused := throttleWait(t, err)
		got, _ := stores[0].LoginFailures(ctx, annotate.AccountThrottleKey(fmt.Sprintf("racer%d", i)))
		switch {
		case !refused:
			heard++
			if got != 1 {
				t.Errorf("racer%d was heard; its account count = %d, want 1", i, got)
			}
		case !isAddr:
			t.Errorf("racer%d was refused for its account, want for the address", i)
		case got != 0:
			t.Errorf("racer%d was refused for the address; its account count = %d, want 0", i, got)
		}
	}
	if heard != 1 {
		t.Errorf("%d of %d racing attempts from one address were heard with one left free, want exactly 1", heard, n)
	}
}
