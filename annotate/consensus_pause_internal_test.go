package annotate

import (
	"testing"
	"time"
)

// TestConsensusPauseScalesWithTheRun checks that a background consensus
// run waits ten times the last run's length after it ended: at once for a
// store that has not run one, hardly at all after a quick run, about a
// minute after a run of six seconds.
func TestConsensusPauseScalesWithTheRun(t *testing.T) {
	var p consensusPause
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if !p.ready(t0) {
		t.Fatal("a store that has run nothing must be ready")
	}
	p.ran(t0, 20*time.Millisecond)
	if p.ready(t0.Add(100 * time.Millisecond)) {
		t.Error("ready 100 ms after a 20 ms run, want a pause of 200 ms")
	}
	if !p.ready(t0.Add(200 * time.Millisecond)) {
		t.Error("not ready 200 ms after a 20 ms run")
	}
	p.ran(t0, 6*time.Second)
	if p.ready(t0.Add(59 * time.Second)) {
		t.Error("ready 59 s after a 6 s run, want a pause of a minute")
	}
	if !p.ready(t0.Add(time.Minute)) {
		t.Error("not ready a minute after a 6 s run")
	}
}
