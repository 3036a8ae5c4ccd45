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
