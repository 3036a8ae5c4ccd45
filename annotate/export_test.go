package annotate

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

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

// ReopenForTest runs the migrations of Open again, and forgets what the
// store folded (see mine.go), as opening the database anew would.
func (s *Store) ReopenForTest(ctx context.Context) error {
	s.fold.mu.Lock()
	s.fold.seen = nil
	s.fold.mu.Unlock()
	return s.migrate(ctx)
}

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
	ls, err := s.recentLabels(ctx, f, version)
	if err != nil {
		return nil, 0, err
	}
	return ls.labelSet(), s.labels.patched.Load(), nil
}

// SaveWritersForTest is the most batch statements a PostgreSQL store runs
// at once.
const SaveWritersForTest = saveWriters

// SavesQueuedForTest returns how many saves have entered the store's batch
// queue (PostgreSQL; 0 on SQLite), so that a test can wait until the saves
// it fired are all waiting there.
func (s *Store) SavesQueuedForTest() int64 {
	if s.saves == nil {
		return 0
	}
	return s.saves.queued.Load()
}

// SaveBatcherStoppingForTest reports whether Close has begun to stop the
// store's batched saves (always true on SQLite, which has none).
func (s *Store) SaveBatcherStoppingForTest() bool {
	if s.saves == nil {
		return true
	}
	select {
	case <-s.saves.stop:
		return true
	default:
		return false
	}
}

// SetSaveBatchTimeoutForTest shortens how long a batch statement may wait
// (PostgreSQL; nothing on SQLite), so that a test can hold a lock past it.
func (s *Store) SetSaveBatchTimeoutForTest(d time.Duration) {
	if s.saves != nil {
		s.saves.timeout = d
	}
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

// OpenValueTermsForTest returns the rows of open_value_terms and the rows
// the values and their typists as they are now give, both sorted, each as
// "dimension|audience|term|typists|id": a change that forgot to delete or
// add rows shows as a difference.
func (s *Store) OpenValueTermsForTest(ctx context.Context) (got, want []string, err error) {
	row := func(r termRow) string {
		return fmt.Sprintf("%s|%d|%s|%d|%d", r.Dimension, r.Audience, r.Term, r.Typists, r.OpenValueID)
	}
	var rows []termRow
	if err := s.db.WithContext(ctx).Raw("SELECT dimension, audience, term, typists, open_value_id FROM open_value_terms").Scan(&rows).Error; err != nil {
		return nil, nil, err
	}
	for _, r := range rows {
		got = append(got, row(r))
	}
	var vs []OpenValue
	if err := s.db.WithContext(ctx).Find(&vs).Error; err != nil {
		return nil, nil, err
	}
	for i := range vs {
		var typists []int64
		if err := s.db.WithContext(ctx).Model(&OpenValueUser{}).Where("open_value_id = ?", vs[i].ID).Order("user_id").Pluck("user_id", &typists).Error; err != nil {
			return nil, nil, err
		}
		v := vs[i]
		v.Folded = foldOpen(v.Value)
		for _, r := range termRowsOf(&v, len(typists), audiencesOf(v.Status, typists)) {
			want = append(want, row(r))
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	return got, want, nil
}

// DeleteOpenValueTermsSQLForTest is the statement that deletes a value's
// terms when it changes.
const DeleteOpenValueTermsSQLForTest = deleteTermsSQL

// HoldFoldForTest keeps the store's folds of finished documents (see
// mine.go) from running until the returned function is called: pages of
// the caller's own statuses then read the documents' progress a window at
// a time, as they do when a fold cannot catch up.
func (s *Store) HoldFoldForTest() func() {
	s.fold.mu.Lock()
	return s.fold.mu.Unlock
}

// SetFirstRunWaitForTest sets the most labels for which the first
// consensus run is computed while the caller waits.
func (s *Store) SetFirstRunWaitForTest(n int) { s.firstRunWait = n }
