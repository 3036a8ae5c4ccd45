package annotate

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"gorm.io/gorm"
)

// maxGroup is the most write transactions committed together.
const maxGroup = 64

// errClosed is returned for writes after Close.
var errClosed = errors.New("annotate: the store is closed")

// writer runs SQLite write transactions one after another on the single
// write connection, in the order they arrive, and commits the ones that
// queue up behind each other together ("group commit").
//
// SQLite has one write lock, and a commit is the dearest step of a small
// write: it appends every page the transaction touched to the WAL. When
// several requests wait, the writer opens one transaction, runs each
// request's work inside a savepoint of its own — so a failing request rolls
// back alone and the others are unaffected — and commits once for all of
// them. Nobody's answer comes before the commit that makes their write
// durable. Alone, a request gets a transaction of its own, with no waiting.
//
// A write whose caller gives up before it starts is not run; one that has
// started runs to its end, so that it is committed or rolled back whole.
//
// Writers are served first come, first served from one queue; database/sql
// hands a freed connection to a random waiter, which under load leaves some
// writers waiting far longer than the rest. Whoever finds the queue idle
// runs it (see run), so no goroutine has to be woken to start a write.
type writer struct {
	db *gorm.DB
	// committed, if set, is called after each group's commit.
	committed func()

	mu     sync.Mutex
	queue  []*writeJob // waiting to run, in arrival order
	busy   bool        // a caller is leading: running the queue's groups
	closed bool
	idle   sync.Cond // signalled when busy turns false
}

type writeJob struct {
	ctx  context.Context
	fn   func(tx *gorm.DB) error
	errc chan error
	// lead is closed when the job's caller is to take over running the
	// queue.
	lead chan struct{}
}

// call runs the job's work, turning a panic into an error so that one bad
// job can neither stop the writer nor leave its caller waiting.
func (j *writeJob) call(tx *gorm.DB) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("annotate: write panicked: %v", r)
		}
	}()
	return j.fn(tx)
}

func startWriter(db *gorm.DB) *writer {
	w := &writer{db: db}
	w.idle.L = &w.mu
	return w
}

// run queues fn and waits for its transaction to commit or fail.
//
// There is no writer goroutine: the caller that finds nobody writing runs
// the queue itself (it "leads") and the callers that arrive meanwhile wait
// for it. A dedicated goroutine would have to be woken for every write
// that finds it idle, and under load a woken goroutine waits for a CPU
// behind every request in flight, while the write lock stays unused.
func (w *writer) run(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	j := &writeJob{ctx: ctx, fn: fn, errc: make(chan error, 1)}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return errClosed
	}
	w.queue = append(w.queue, j)
	if w.busy {
		j.lead = make(chan struct{})
		w.mu.Unlock()
		select {
		case err := <-j.errc:
			return err
		case <-j.lead:
			w.mu.Lock()
		}
	} else {
		w.busy = true
	}
	w.leadGroups(j)
	return <-j.errc
}

// maxLead is how many groups a caller runs after its own before it hands
// the queue to the next caller waiting, so that no caller's answer waits
// on others' writes for long.
const maxLead = 4

// leadGroups runs the queue's groups, first to last, with w.mu held on
// entry and released on return. It stops when the queue is empty or, once
// own has been answered, after maxLead more groups, handing the queue to
// the caller of the job now first in it.
func (w *writer) leadGroups(own *writeJob) {
	after := -1
	for len(w.queue) > 0 {
		if after >= maxLead {
			next := w.queue[0]
			close(next.lead)
			w.mu.Unlock()
			return
		}
		if len(w.queue) == 1 {
			// Alone in the queue: let the goroutines ready to run go
			// first, as under load they are mostly requests on their way
			// to write, which then join this group and share its commit.
			// With nothing else to run this returns at once.
			w.mu.Unlock()
			runtime.Gosched()
			w.mu.Lock()
		}
		n := min(len(w.queue), maxGroup)
		group := make([]*writeJob, n)
		copy(group, w.queue)
		// Move the rest down, so the queue's array does not grow, and
		// drop the moved-out tail so finished jobs are not kept alive.
		rest := copy(w.queue, w.queue[n:])
		clear(w.queue[rest:])
		w.queue = w.queue[:rest]
		w.mu.Unlock()
		w.commit(group)
		if w.committed != nil {
			w.committed()
		}
		if after >= 0 || slices.Contains(group, own) {
			after++
		}
		w.mu.Lock()
	}
	w.busy = false
	w.idle.Broadcast()
	w.mu.Unlock()
}

// stop refuses new writes and waits for those queued to finish.
func (w *writer) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	for w.busy {
		w.idle.Wait()
	}
}

// commit runs a group of jobs and answers each.
func (w *writer) commit(group []*writeJob) {
	if len(group) == 1 {
		j := group[0]
		if err := j.ctx.Err(); err != nil {
			j.errc <- err
			return
		}
		// As in a group, a job that has started runs to its end.
		j.errc <- w.db.WithContext(context.WithoutCancel(j.ctx)).Transaction(j.call)
		return
	}
	errs := make([]error, len(group))
	// The group's transaction runs without a deadline: a job that has
	// started runs to its end even if its caller gives up, as a cancelled
	// context would make the rollback to the savepoint fail and leave half
	// a job in the group's commit.
	err := w.db.WithContext(context.Background()).Transaction(func(tx *gorm.DB) (err error) {
		for i, j := range group {
			if err := j.ctx.Err(); err != nil {
				errs[i] = err
				continue
			}
			if errs[i], err = inSavepoint(tx, j); err != nil {
				return err
			}
		}
		return nil
	})
	for i, j := range group {
		if err != nil {
			j.errc <- err
			continue
		}
		j.errc <- errs[i]
	}
}

// inSavepoint runs j inside a savepoint of tx: a job that fails is rolled
// back to it and leaves the others' work in place. It returns the job's
// error, and separately an error of the savepoint itself, which ends the
// whole group. The statements go to the connection directly; GORM's nested
// transactions cost more than the savepoints themselves.
func inSavepoint(tx *gorm.DB, j *writeJob) (jobErr, err error) {
	pool, ctx := tx.Statement.ConnPool, tx.Statement.Context
	if _, err := pool.ExecContext(ctx, "SAVEPOINT job"); err != nil {
		return nil, err
	}
	if jobErr = j.call(tx); jobErr != nil {
		if _, err := pool.ExecContext(ctx, "ROLLBACK TO SAVEPOINT job"); err != nil {
			return jobErr, err
		}
	}
	_, err = pool.ExecContext(ctx, "RELEASE SAVEPOINT job")
	return jobErr, err
}
