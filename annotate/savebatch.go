package annotate

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// On PostgreSQL the common save — the version the client names is the
// stored one — is one guarded statement (see putDirect). Saves that arrive
// together share it: they wait in a queue while a statement is running and
// go together in the next one, up to maxSaveBatch, written with one
// statement over arrays, so that PostgreSQL plans, runs and commits once for
// all of them. A save that arrives while no statement is running is written
// at once, alone; batches form only when saves arrive faster than one
// statement takes, so batching adds no wait of its own. Each row keeps its
// own guard (its version, its paragraph current, no skip, its credential),
// and a row whose guard fails is left out of the statement's result and
// settled alone by the read and guarded write of putOnce, as a single save
// would be.
//
// One statement runs at a time, which lets the most saves gather for the
// next. A second starts beside it only when the queue holds a full batch,
// or when the running one has taken longer than saveStall — as when it
// waits for a lock a re-import holds — so that one slow statement does not
// hold up every save; at most saveWriters run at once.
//
// Rows are written in the order of their paragraph ids, so that statements
// running side by side, on this server or another, take the paragraphs' row
// locks in one order and do not wait on each other in a circle. A batch
// holds at most one save per paragraph and user and one schema version; a
// save that would break that waits for the next batch.

// maxSaveBatch is the most saves one statement writes.
const maxSaveBatch = 64

// saveWriters is the most batch statements that run at once.
const saveWriters = 4

// saveStall is how long a batch statement runs before another may start
// beside it.
const saveStall = 10 * time.Millisecond

// saveItem is one save waiting for its batch.
type saveItem struct {
	ctx                 context.Context
	paragraphID, userID int64
	// version is the stored version the save replaces, 0 to create.
	version       int
	labels        string
	schemaVersion int
	at            time.Time
	kind          credentialKind
	hash, role    string
	done          chan saveResult
}

// saveResult is what a batch settled for one save: the annotation's id and
// creation time, or errStale when its guard failed.
type saveResult struct {
	id        int64
	createdAt time.Time
	err       error
}

// saveBatcher gathers the saves of a PostgreSQL store into batches: a
// dispatcher takes the queue and hands batches to the writers.
type saveBatcher struct {
	s     *Store
	queue chan *saveItem
	work  chan []*saveItem
	done  chan struct{}
	stop  chan struct{}
	// closeOnce closes stop, as often as the store is closed.
	closeOnce sync.Once
	// finished is closed when the dispatcher has stopped: a save still in
	// the queue then will not be written.
	finished chan struct{}
	wg       sync.WaitGroup
	// timeout bounds each batch statement (saveBatchTimeout).
	timeout time.Duration
	// statements and saves count the batch statements run and the saves
	// they carried; queued counts the saves that entered the queue.
	statements, saves, queued atomic.Int64
}

// startSaveBatcher starts the dispatcher and writers of s's batched saves.
func startSaveBatcher(s *Store) *saveBatcher {
	b := &saveBatcher{s: s, timeout: saveBatchTimeout, queue: make(chan *saveItem, 4*maxSaveBatch), work: make(chan []*saveItem), done: make(chan struct{}, saveWriters), stop: make(chan struct{}), finished: make(chan struct{})}
	b.wg.Add(1 + saveWriters)
	go b.dispatch()
	for range saveWriters {
		go func() {
			defer b.wg.Done()
			for batch := range b.work {
				b.run(batch)
				b.done <- struct{}{}
			}
		}()
	}
	return b
}

// close stops the batcher once the saves already queued are written.
func (b *saveBatcher) close() {
	b.closeOnce.Do(func() { close(b.stop) })
	b.wg.Wait()
}

// save queues it and waits for its result or for it.ctx to end. A save
// whose caller has gone may still be written, as one whose answer was lost
// on the network would be; a retry of it is recognised (see putOnce).
func (b *saveBatcher) save(it *saveItem) saveResult {
	it.done = make(chan saveResult, 1)
	// A save that comes once Close has begun is refused before it can be
	// queued: the select below picks at random among its ready cases, and
	// would queue half of such saves, to be written while Close waits.
	select {
	case <-b.stop:
		return saveResult{err: errClosed}
	default:
	}
	select {
	case b.queue <- it:
		b.queued.Add(1)
	case <-it.ctx.Done():
		return saveResult{err: it.ctx.Err()}
	case <-b.stop:
		return saveResult{err: errClosed}
	}
	select {
	case r := <-it.done:
		return r
	case <-it.ctx.Done():
		return saveResult{err: it.ctx.Err()}
	case <-b.finished:
		select {
		case r := <-it.done:
			return r
		default:
			return saveResult{err: errClosed}
		}
	}
}

// dispatch gathers the queue into batches and hands each to a writer when
// one may start (see saveStall).
func (b *saveBatcher) dispatch() {
	defer b.wg.Done()
	defer close(b.finished)
	defer close(b.work)
	var pending []*saveItem
	busy := 0
	var started time.Time
	stall := time.NewTimer(time.Hour)
	stall.Stop()
	stopping := false
	for {
		if len(pending) > 0 && (busy == 0 || busy < saveWriters && (len(pending) >= maxSaveBatch || time.Since(started) >= saveStall)) {
			n := min(len(pending), maxSaveBatch)
			batch := slices.Clone(pending[:n])
			pending = slices.Delete(pending, 0, n)
			b.work <- batch
			busy++
			started = time.Now()
			stall.Reset(saveStall)
			continue
		}
		if stopping && len(pending) == 0 && len(b.queue) == 0 {
			// Saves queued before the store closed are written; wait for
			// the writers to finish theirs.
			for ; busy > 0; busy-- {
				<-b.done
			}
			return
		}
		// With every writer busy and a full batch waiting for each, saves
		// stay in the queue, whose bound makes callers wait (or give up,
		// by their context) rather than pile up here.
		queue := b.queue
		if len(pending) >= saveWriters*maxSaveBatch {
			queue = nil
		}
		select {
		case it := <-queue:
			pending = append(pending, it)
		case <-b.done:
			busy--
		case <-stall.C:
		case <-b.stopOnce(stopping):
			stopping = true
		}
	}
}

// stopOnce returns the stop channel until the batcher has seen it closed,
// and then a channel that never delivers.
func (b *saveBatcher) stopOnce(seen bool) <-chan struct{} {
	if seen {
		return nil
	}
	return b.stop
}

// run writes a gathered batch: the creates in one statement, the updates
// in another, and the saves that could not join them afterwards.
func (b *saveBatcher) run(batch []*saveItem) {
	for len(batch) > 0 {
		var creates, updates, later []*saveItem
		seen := make(map[[2]int64]bool, len(batch))
		for _, it := range batch {
			key := [2]int64{it.paragraphID, it.userID}
			switch {
			case it.ctx.Err() != nil:
				it.done <- saveResult{err: it.ctx.Err()}
				continue
			case seen[key] || it.schemaVersion != batch[0].schemaVersion:
				later = append(later, it)
				continue
			}
			seen[key] = true
			if it.version == 0 {
				creates = append(creates, it)
			} else {
				updates = append(updates, it)
			}
		}
		b.exec(creates, true)
		b.exec(updates, false)
		batch = later
	}
}

// exec writes items (all creates or all updates, one schema version) in
// one statement and gives each its result. A statement that fails as a
// whole is written again one save at a time, so that one save's failure is
// its own — except one that ran out of time (see writeBatch): it wrote
// nothing, and each save written again would wait as long once more, so
// each is left to its caller to settle alone, under the caller's own
// context, as errStale.
func (b *saveBatcher) exec(items []*saveItem, create bool) {
	if len(items) == 0 {
		return
	}
	slices.SortFunc(items, func(x, y *saveItem) int {
		return cmp.Or(cmp.Compare(x.paragraphID, y.paragraphID), cmp.Compare(x.userID, y.userID))
	})
	b.statements.Add(1)
	b.saves.Add(int64(len(items)))
	results, err := b.s.writeBatch(items, create, b.timeout)
	switch {
	case errors.Is(err, errStale):
		for _, it := range items {
			it.done <- saveResult{err: errStale}
		}
		return
	case err != nil && len(items) > 1:
		for _, it := range items {
			if it.ctx.Err() != nil {
				// Its caller has gone: no statement of its own.
				it.done <- saveResult{err: it.ctx.Err()}
				continue
			}
			b.exec([]*saveItem{it}, create)
		}
		return
	case err != nil:
		items[0].done <- saveResult{err: err}
		return
	}
	for i, it := range items {
		r, ok := results[i]
		if !ok {
			r.err = errStale
		}
		it.done <- r
	}
}

// writeBatch runs the batched statement for items and returns the result
// of each item it wrote, by its index. A statement that ran out of time is
// errStale: it was rolled back, or it committed just as it was stopped,
// which putOnce recognises as a retry of labels already stored.
func (s *Store) writeBatch(items []*saveItem, create bool, timeout time.Duration) (map[int]saveResult, error) {
	n := len(items)
	paragraphs, users := make([]int64, n), make([]int64, n)
	versions, kinds := make([]int64, n), make([]int64, n)
	labels, hashes, roles := make([]string, n), make([]string, n), make([]string, n)
	ats := make([]time.Time, n)
	for i, it := range items {
		paragraphs[i], users[i], versions[i], kinds[i] = it.paragraphID, it.userID, int64(it.version), int64(it.kind)
		labels[i], hashes[i], roles[i], ats[i] = it.labels, it.hash, it.role, it.at
	}
	stmt, args := s.stmt.saveBatchUpdate, []any{paragraphs, users, versions, labels, ats, kinds, hashes, roles, items[0].schemaVersion, items[0].schemaVersion}
	if create {
		stmt = s.stmt.saveBatchCreate
	}
	ctx, cancel := context.WithTimeout(s.closing, timeout)
	defer cancel()
	failed := func(err error) error {
		if ctx.Err() != nil {
			return errStale
		}
		return translate(err)
	}
	rows, err := s.pgsql.QueryContext(ctx, s.rebound(stmt), args...)
	if err != nil {
		return nil, failed(err)
	}
	defer rows.Close()
	out := make(map[int]saveResult, n)
	for rows.Next() {
		var ord int
		var r saveResult
		if err := rows.Scan(&ord, &r.id, &r.createdAt); err != nil {
			return nil, failed(err)
		}
		out[ord-1] = r
	}
	if err := rows.Err(); err != nil {
		return nil, failed(err)
	}
	return out, nil
}

// saveBatchTimeout bounds one batched statement, which a lock held by a
// stuck transaction could otherwise keep waiting.
const saveBatchTimeout = time.Minute
