package annotate

// The checkpointer is SQLite's alone (it moves pages from the WAL into the
// database file), so these tests open SQLite files whatever
// CONCORD_TEST_POSTGRES says.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gorm.io/gorm"
)

// TestCheckpointerKeepsTheLogSmall commits many small writes, as annotators
// do, with the checkpointer running between them: every committed page
// reaches the database file, the log file stops growing once the
// checkpoints keep up, and nothing is lost on reopening.
func TestCheckpointerKeepsTheLogSmall(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.Exec("CREATE TABLE marks (n INTEGER NOT NULL, body TEXT NOT NULL)").Error; err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf("%0500d", 0)
	var sizes []int64
	for round := range 20 {
		for i := range 100 {
			if err := s.tx(ctx, func(tx *gorm.DB) error {
				return tx.Exec("INSERT INTO marks (n, body) VALUES (?, ?)", round*100+i, body).Error
			}); err != nil {
				t.Fatal(err)
			}
		}
		logFrames, copied, err := s.checkpoints.checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if copied != logFrames {
			t.Errorf("round %d: checkpoint copied %d of %d frames, want all", round, copied, logFrames)
		}
		st, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, st.Size())
	}
	// The log is written again from its start after each full checkpoint,
	// so its file ends no bigger than after the first round.
	if last := sizes[len(sizes)-1]; last > sizes[0] {
		t.Errorf("WAL file grew from %d to %d bytes although every checkpoint was complete", sizes[0], last)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n int64
	if err := s.rdb.Raw("SELECT count(*) FROM marks").Scan(&n).Error; err != nil || n != 2000 {
		t.Errorf("rows after reopening = %d %v, want 2000", n, err)
	}
}

// TestCheckpointerRunsAfterWrites checks that the checkpointer's loop
// notices committed writes and checkpoints them by itself.
func TestCheckpointerRunsAfterWrites(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	before := s.checkpoints.runs.Load()
	if err := s.SetOverlap(ctx, 0, 3); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for s.checkpoints.runs.Load() == before {
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint ran after a committed write")
		}
		time.Sleep(10 * time.Millisecond)
	}
	logFrames, copied, err := s.checkpoints.checkpoint(ctx)
	if err != nil || copied != logFrames {
		t.Errorf("after the loop's checkpoint: %d of %d frames copied (%v), want all", copied, logFrames, err)
	}
}

// walSize returns the size of the WAL file of the database at path.
func walSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path + "-wal")
	if err != nil {
		if os.IsNotExist(err) {
			return 0
		}
		t.Fatal(err)
	}
	return st.Size()
}

// TestCheckpointerRestartsAGrowingLog holds a reader on an old snapshot,
// so that the log cannot start again by itself, and checks that the
// checkpointer empties it once it has grown past walRestartAt and the
// reader has let go — and that it gives up, rather than waits, while the
// reader holds on.
func TestCheckpointerRestartsAGrowingLog(t *testing.T) {
	defer func(v int64) { walRestartAt = v }(walRestartAt)
	walRestartAt = 64 << 10
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.db.Exec("CREATE TABLE marks (n INTEGER NOT NULL, body TEXT NOT NULL)").Error; err != nil {
		t.Fatal(err)
	}
	_, rdb := s.SQLForTest()
	reader, err := rdb.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := reader.QueryRowContext(ctx, "SELECT count(*) FROM marks").Scan(&n); err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf("%0800d", 0)
	for i := range 400 {
		if err := s.tx(ctx, func(tx *gorm.DB) error {
			return tx.Exec("INSERT INTO marks (n, body) VALUES (?, ?)", i, body).Error
		}); err != nil {
			t.Fatal(err)
		}
	}
	grown := walSize(t, path)
	if grown <= walRestartAt {
		t.Fatalf("WAL is %d bytes, want more than %d for the test to mean anything", grown, walRestartAt)
	}
	if s.checkpoints.tick(ctx) {
		t.Errorf("tick reported the log done while a reader held an old snapshot")
	}
	if got := s.checkpoints.restarts.Load(); got != 0 {
		t.Errorf("%d restarts while the reader held on, want 0", got)
	}
	if err := reader.Rollback(); err != nil {
		t.Fatal(err)
	}
	if !s.checkpoints.tick(ctx) {
		t.Fatalf("tick after the reader let go did not empty the log")
	}
	// The checkpointer's own loop may have run one as well.
	if got := s.checkpoints.restarts.Load(); got < 1 {
		t.Errorf("%d restarts, want at least 1", got)
	}
	if size := walSize(t, path); size != 0 {
		t.Errorf("WAL is %d bytes after the restart, want 0 (it was %d)", size, grown)
	}
	var rows int
	if err := s.rdb.Raw("SELECT count(*) FROM marks").Scan(&rows).Error; err != nil || rows != 400 {
		t.Errorf("rows = %d %v, want 400", rows, err)
	}
}

// TestCheckpointerBoundsTheLogUnderReads writes steadily while readers run
// queries without pause, the load under which SQLite alone lets the log
// grow without end, and checks that the log stays within a few multiples
// of walRestartAt.
func TestCheckpointerBoundsTheLogUnderReads(t *testing.T) {
	defer func(v int64) { walRestartAt = v }(walRestartAt)
	walRestartAt = 128 << 10
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	path := filepath.Join(t.TempDir(), "c.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.db.Exec("CREATE TABLE marks (n INTEGER NOT NULL, body TEXT NOT NULL)").Error; err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	for range 3 {
		go func() {
			for ctx.Err() == nil {
				var n int
				_ = s.rdb.WithContext(ctx).Raw("SELECT count(*) FROM marks").Scan(&n).Error
			}
			done <- struct{}{}
		}()
	}
	body := fmt.Sprintf("%0800d", 0)
	var peak int64
	const writes = 2000
	for i := range writes {
		if err := s.tx(ctx, func(tx *gorm.DB) error {
			return tx.Exec("INSERT INTO marks (n, body) VALUES (?, ?)", i, body).Error
		}); err != nil {
			t.Fatal(err)
		}
		if i%50 == 49 {
			s.checkpoints.tick(ctx)
			peak = max(peak, walSize(t, path))
		}
	}
	cancel()
	for range 3 {
		<-done
	}
	// Each 50 writes add about 50 pages; the bound leaves room for ticks
	// whose restart found a reader in the way.
	if limit := 8 * walRestartAt; peak > limit {
		t.Errorf("WAL peaked at %d bytes over %d writes, want at most %d (restarts: %d)", peak, writes, limit, s.checkpoints.restarts.Load())
	}
	t.Logf("WAL peak %d bytes, %d restarts", peak, s.checkpoints.restarts.Load())
}
