package modelserver

import (
	"sync"
	"time"
)

// BreakerState is the state of the client's circuit breaker.
type BreakerState string

// The breaker's states.
const (
	// BreakerClosed lets every request through.
	BreakerClosed BreakerState = "closed"
	// BreakerOpen lets none through until its cool-down has passed.
	BreakerOpen BreakerState = "open"
	// BreakerHalfOpen lets one probe through; its outcome closes or
	// reopens the breaker.
	BreakerHalfOpen BreakerState = "half-open"
)

// breaker opens after a run of failed requests so that a server that is
// down is not called again and again, and lets one probe through after a
// cool-down.
type breaker struct {
	mu       sync.Mutex
	now      func() time.Time
	limit    int
	cooldown time.Duration
	state    BreakerState
	failures int
	openedAt time.Time
	probing  bool
}

// allow reports whether a request may be made now, and if not how long
// until the breaker lets a probe through.
func (b *breaker) allow() (bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case BreakerOpen:
		wait := b.cooldown - b.now().Sub(b.openedAt)
		if wait > 0 {
			return false, wait
		}
		b.state, b.probing = BreakerHalfOpen, true
		return true, 0
	case BreakerHalfOpen:
		if b.probing {
			return false, b.cooldown
		}
		b.probing = true
		return true, 0
	}
	return true, 0
}

// success closes the breaker.
func (b *breaker) success() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.state, b.failures, b.probing = BreakerClosed, 0, false
}

// failure counts a failed request; it opens the breaker after limit in a
// row, or at once when the request was the half-open probe.
func (b *breaker) failure() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures++
	if b.state == BreakerHalfOpen || b.failures >= b.limit {
		b.state, b.openedAt, b.probing = BreakerOpen, b.now(), false
	}
}

// release gives back a probe that was never sent (the caller gave up).
func (b *breaker) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
}

func (b *breaker) current() BreakerState {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state
}
