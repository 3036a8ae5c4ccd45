package annotate

// The writer is SQLite's alone (SQLite has one write lock; PostgreSQL takes
// writes on many connections at once), so these tests open SQLite files
// whatever CONCORD_TEST_POSTGRES says.

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"gorm.io/gorm"
)

// TestWriterGroupKeepsJobsWhole queues two jobs behind a busy one so that
// they commit as one group. The first cancels its own context halfway: it
// must still run to its end, and a job that fails must leave nothing behind,
// while the other job's work is committed.
func TestWriterGroupKeepsJobsWhole(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.db.Exec("CREATE TABLE marks (name TEXT NOT NULL)").Error; err != nil {
		t.Fatal(err)
	}
	mark := func(tx *gorm.DB, name string) error {
		return tx.Exec("INSERT INTO marks (name) VALUES (?)", name).Error
	}
	release := make(chan struct{})
	busy := make(chan error, 1)
	go func() {
		busy <- s.tx(ctx, func(tx *gorm.DB) error { <-release; return mark(tx, "a") })
	}()
	time.Sleep(50 * time.Millisecond) // let the busy job reach the writer

	bctx, cancel := context.WithCancel(ctx)
	results := make(chan [2]any, 3)
	run := func(name string, c context.Context, fn func(tx *gorm.DB) error) {
		go func() { results <- [2]any{name, s.tx(c, fn)} }()
	}
	run("b", bctx, func(tx *gorm.DB) error {
		if err := mark(tx, "b1"); err != nil {
			return err
		}
		cancel()
		return mark(tx, "b2")
	})
	run("c", ctx, func(tx *gorm.DB) error { return mark(tx, "c") })
	run("d", ctx, func(tx *gorm.DB) error {
		if err := mark(tx, "d1"); err != nil {
			return err
		}
		return errors.New("d fails after one write")
	})
	time.Sleep(50 * time.Millisecond) // let them queue behind the busy job
	close(release)
	if err := <-busy; err != nil {
		t.Fatalf("busy job: %v", err)
	}
	got := map[string]error{}
	for range 3 {
		r := <-results
		err, _ := r[1].(error)
		got[r[0].(string)] = err
	}
	if got["b"] != nil || got["c"] != nil {
		t.Errorf("b and c: got %v and %v, want both to succeed", got["b"], got["c"])
	}
	if got["d"] == nil {
		t.Errorf("d: got success, want its error")
	}
	var names []string
	if err := s.db.Raw("SELECT name FROM marks ORDER BY name").Scan(&names).Error; err != nil {
		t.Fatal(err)
	}
	if want := "a b1 b2 c"; joinNames(names) != want {
		t.Errorf("committed marks = %q, want %q", joinNames(names), want)
	}
}

func joinNames(ns []string) string {
	out := ""
	for i, n := range ns {
		if i > 0 {
			out += " "
		}
		out += n
	}
	return out
}

// TestWriterHandsTheQueueOnInOrder queues more writes behind a busy one
// than one caller runs before handing the queue on (maxGroup jobs a group,
// maxLead groups after its own): every write commits, in the order the
// writes arrived, and the writer ends idle.
func TestWriterHandsTheQueueOnInOrder(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.db.Exec("CREATE TABLE marks (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)").Error; err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	busy := make(chan error, 1)
	go func() {
		busy <- s.tx(ctx, func(tx *gorm.DB) error { <-release; return nil })
	}()
	queued := func() int {
		s.writer.mu.Lock()
		defer s.writer.mu.Unlock()
		return len(s.writer.queue)
	}
	waitFor := func(n int) {
		deadline := time.Now().Add(30 * time.Second)
		for queued() < n {
			if time.Now().After(deadline) {
				t.Fatalf("queue never reached %d jobs", n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	// The busy job has left the queue once it runs.
	for {
		s.writer.mu.Lock()
		running := s.writer.busy && len(s.writer.queue) == 0
		s.writer.mu.Unlock()
		if running {
			break
		}
		time.Sleep(time.Millisecond)
	}
	const n = (maxLead+2)*maxGroup + 7
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- s.tx(ctx, func(tx *gorm.DB) error {
				return tx.Exec("INSERT INTO marks (n) VALUES (?)", i).Error
			})
		}()
		waitFor(i + 1) // one at a time, so the arrival order is known
	}
	close(release)
	if err := <-busy; err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	var got []int
	if err := s.db.Raw("SELECT n FROM marks ORDER BY id").Scan(&got).Error; err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d rows, want %d", len(got), n)
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("row %d holds write %d: writes ran out of arrival order", i, v)
		}
	}
	// The last leader answers its group just before it lets go.
	deadline := time.Now().Add(30 * time.Second)
	for {
		s.writer.mu.Lock()
		idle := !s.writer.busy && len(s.writer.queue) == 0
		s.writer.mu.Unlock()
		if idle {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the writer is still busy after every write answered")
		}
		time.Sleep(time.Millisecond)
	}
}
