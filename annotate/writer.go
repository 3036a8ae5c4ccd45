package annotate

import (
	"context"
	"errors"
	"fmt"
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
// A single goroutine taking requests from a channel also serves writers
// first come, first served; database/sql hands a freed connection to a
// random waiter, which under load leaves some writers waiting far longer
// than the rest.
type writer struct {
	db    *gorm.DB
	jobs  chan *writeJob
	quit  chan struct{}
	done  chan struct{}
	close sync.Once
}

type writeJob struct {
	ctx  context.Context
	fn   func(tx *gorm.DB) error
	errc chan error
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
	w := &writer{db: db, jobs: make(chan *writeJob), quit: make(chan struct{}), done: make(chan struct{})}
	go w.loop()
	return w
}

// run queues fn and waits for its transaction to commit or fail.
func (w *writer) run(ctx context.Context, fn func(tx *gorm.DB) error) error {
	j := &writeJob{ctx: ctx, fn: fn, errc: make(chan error, 1)}
	select {
	case w.jobs <- j:
	case <-ctx.Done():
		return ctx.Err()
	case <-w.quit:
		return errClosed
	}
	return <-j.errc
}

// stop ends the loop after the group in progress.
func (w *writer) stop() {
	w.close.Do(func() { close(w.quit) })
	<-w.done
}

func (w *writer) loop() {
	defer close(w.done)
	group := make([]*writeJob, 0, maxGroup)
	for {
		select {
		case <-w.quit:
			return
		case j := <-w.jobs:
			group = append(group[:0], j)
		}
	gather:
		for len(group) < maxGroup {
			select {
			case j := <-w.jobs:
				group = append(group, j)
			default:
				break gather
			}
		}
		w.commit(group)
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
	err := w.db.Transaction(func(tx *gorm.DB) error {
		for i, j := range group {
			if err := j.ctx.Err(); err != nil {
				errs[i] = err
				continue
			}
			// A nested transaction is a savepoint: a job that fails is
			// rolled back to it and leaves the others' work in place. A job
			// that has started runs to its end even if its caller gives up:
			// a cancelled context would make the rollback to the savepoint
			// fail and leave half a job in the group's commit.
			errs[i] = tx.WithContext(context.WithoutCancel(j.ctx)).Transaction(j.call)
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
