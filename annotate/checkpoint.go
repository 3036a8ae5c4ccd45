package annotate

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"time"
)

// checkpointEvery is how often the checkpointer looks for committed writes
// to copy from the WAL into the database file.
const checkpointEvery = 250 * time.Millisecond

// checkpointer copies committed pages from SQLite's write-ahead log into the
// database file, on a connection of its own, so that the writes themselves
// never do it.
//
// By default the connection whose commit takes the WAL past 1,000 pages
// runs the checkpoint inside that commit: every write queued behind it
// waits while pages are copied and the file is synced. Here the write
// connection never checkpoints (wal_autocheckpoint=0), and this goroutine
// runs a PASSIVE checkpoint, which neither readers nor the writer wait for,
// a moment after writes were committed. Once a checkpoint has copied the
// whole log and no reader holds an older snapshot, the next write starts
// the log again from its beginning.
type checkpointer struct {
	db    *sql.DB
	dirty atomic.Bool
	runs  atomic.Int64 // checkpoints run by the loop
	quit  chan struct{}
	done  chan struct{}
	stop  sync.Once
}

func startCheckpointer(db *sql.DB) *checkpointer {
	c := &checkpointer{db: db, quit: make(chan struct{}), done: make(chan struct{})}
	go c.loop()
	return c
}

// committed notes that writes were committed.
func (c *checkpointer) committed() { c.dirty.Store(true) }

func (c *checkpointer) loop() {
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.quit:
			return
		case <-t.C:
			if c.dirty.Swap(false) {
				// A checkpoint that fails (another process holding the
				// checkpoint lock, say) is retried at the next tick.
				if _, _, err := c.checkpoint(context.Background()); err != nil {
					c.dirty.Store(true)
				} else {
					c.runs.Add(1)
				}
			}
		}
	}
}

// checkpoint runs one PASSIVE checkpoint and returns the frames in the log
// and how many of them are now in the database file.
func (c *checkpointer) checkpoint(ctx context.Context) (logFrames, copied int, err error) {
	var busy int
	err = c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logFrames, &copied)
	return logFrames, copied, err
}

// close stops the goroutine and closes its connection. Closing the last
// connection checkpoints whatever is left.
func (c *checkpointer) close() error {
	c.stop.Do(func() { close(c.quit) })
	<-c.done
	return c.db.Close()
}
