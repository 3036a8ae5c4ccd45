package annotate

import (
	"context"
	"database/sql"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// checkpointEvery is how often the checkpointer looks for committed writes
// to copy from the WAL into the database file.
const checkpointEvery = 250 * time.Millisecond

// walLimit bounds the WAL file: SQLite cuts it back to this size whenever
// the log starts again (journal_size_limit, set on the write connection).
const walLimit = 64 << 20

// walRestartAt is the log size past which the checkpointer stops waiting
// for the log to start again by itself and makes it: under reads that never
// pause, some reader always holds a snapshot that needs the log, so SQLite
// keeps appending to it, as far as the disk allows.
var walRestartAt int64 = 32 << 20

// walRestartWait is how long a restart waits for readers on older
// snapshots before giving up until the next tick. Writers wait while it
// does, so it is short; the checkpointer's connection has it as its busy
// timeout.
const walRestartWait = 200 * time.Millisecond

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
// the log again from its beginning. When that has not happened and the log
// has grown past walRestartAt, the checkpointer runs a TRUNCATE checkpoint,
// which waits up to walRestartWait for the readers to move to the newest
// snapshot and then empties the log file; if they do not, it tries again
// at the next tick.
type checkpointer struct {
	db       *sql.DB
	walPath  string
	pageSize int64
	dirty    atomic.Bool
	runs     atomic.Int64 // checkpoints run by the loop
	restarts atomic.Int64 // TRUNCATE checkpoints that emptied the log
	quit     chan struct{}
	done     chan struct{}
	stop     sync.Once
}

func startCheckpointer(db *sql.DB, walPath string) *checkpointer {
	c := &checkpointer{db: db, walPath: walPath, pageSize: 4096, quit: make(chan struct{}), done: make(chan struct{})}
	var ps int64
	if err := db.QueryRow("PRAGMA page_size").Scan(&ps); err == nil && ps > 0 {
		c.pageSize = ps
	}
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
				// checkpoint lock, say), or a log that could not be
				// started again, is retried at the next tick.
				if !c.tick(context.Background()) {
					c.dirty.Store(true)
				}
			}
		}
	}
}

// tick runs one PASSIVE checkpoint and, when the log has grown past
// walRestartAt, one TRUNCATE checkpoint. It reports whether nothing is left
// to do until the next write.
func (c *checkpointer) tick(ctx context.Context) bool {
	logFrames, _, err := c.checkpoint(ctx)
	if err != nil {
		return false
	}
	c.runs.Add(1)
	if int64(logFrames)*(c.pageSize+24) <= walRestartAt {
		return true
	}
	var busy, frames, copied int
	if err := c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &copied); err != nil || busy != 0 {
		return false
	}
	c.restarts.Add(1)
	return true
}

// makeRoom runs tick now, when the log file has grown past walRestartAt,
// for a writer that writes one large transaction after another, such as a
// labelled import: the TRUNCATE checkpoint waits for the writer, and such a
// writer leaves it a moment between its transactions so seldom that the log
// would grow for as long as the writer writes. The writer calls makeRoom
// between two of its transactions and waits for it.
func (c *checkpointer) makeRoom(ctx context.Context) {
	if fi, err := os.Stat(c.walPath); err != nil || fi.Size() <= walRestartAt {
		return
	}
	if !c.tick(ctx) {
		c.dirty.Store(true)
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
