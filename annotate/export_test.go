package annotate

import (
	"context"
	"database/sql"

	"gorm.io/gorm"
)

// SQLForTest returns the database handles behind the write pool and the
// read pool, so that tests can look at rows and pragmas directly.
func (s *Store) SQLForTest() (write, read *sql.DB) {
	write, _ = s.db.DB()
	read, _ = s.rdb.DB()
	return write, read
}

// GormForTest returns the write pool, which rewrites "?" placeholders for
// whichever database the store runs on.
func (s *Store) GormForTest() *gorm.DB { return s.db }

// ReopenForTest runs the migrations of Open again, as opening the database
// anew would.
func (s *Store) ReopenForTest(ctx context.Context) error { return s.migrate(ctx) }

// TakeConsensusLeaseForTest takes the consensus lease as a server about to
// compute a run does, and reports whether it got it.
func (s *Store) TakeConsensusLeaseForTest(ctx context.Context) (bool, error) {
	return s.takeConsensusLease(ctx)
}

// ConsensusLeaseWaitsForTest counts the times ConsensusNow found another
// server holding the lease.
func (s *Store) ConsensusLeaseWaitsForTest() int64 { return s.leaseWaits.Load() }

// WaitBackgroundForTest waits for the work started in the background (a
// consensus refresh) to end, without stopping it as Close does.
func (s *Store) WaitBackgroundForTest() { s.background.Wait() }

// SaveBatchesForTest returns how many batch statements the store's batched
// saves ran and how many saves they carried (PostgreSQL; 0 on SQLite).
func (s *Store) SaveBatchesForTest() (statements, saves int64) {
	if s.saves == nil {
		return 0, 0
	}
	return s.saves.statements.Load(), s.saves.saves.Load()
}

// RecentLabelsForTest returns the label set an agreement report of f would
// be computed from now, as the report reads it (from memory, brought up to
// date, or afresh), and how many sets have been brought up to date so far.
func (s *Store) RecentLabelsForTest(ctx context.Context, f AgreementFilter) (*LabelSet, int64, error) {
	version, err := s.DataVersion(ctx)
	if err != nil {
		return nil, 0, err
	}
	ls, err := s.recentLabels(ctx, f, version, true)
	return ls, s.labels.patched.Load(), err
}

// OpenValuesQueryForTest returns the statement OpenValuesMatching runs for
// an annotator (userID > 0) or a reviewer (0), and its arguments.
func OpenValuesQueryForTest(dimension string, userID int64, q string, limit int) (string, []any) {
	audiences := []int64{audienceEveryone, audienceReviewers}
	if userID > 0 {
		audiences = []int64{audienceEveryone, userID}
	}
	return openValuesQuery(dimension, audiences, []rune(foldOpen(q)), limit)
}
