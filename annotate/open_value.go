package annotate

import (
	"context"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The review statuses of a value annotators typed into an open dimension.
const (
	// OpenPending is a value nobody has reviewed: offered to the annotators
	// who typed it, and to reviewers, only.
	OpenPending = "pending"
	// OpenAccepted is a value a reviewer accepted into the dimension's
	// list: offered to everyone.
	OpenAccepted = "accepted"
	// OpenRejected is a value a reviewer kept out of the list: still
	// offered to the annotators who typed it, so their own labels read
	// back, but to nobody else.
	OpenRejected = "rejected"
)

// OpenStatuses lists the review statuses of an open value.
var OpenStatuses = []string{OpenPending, OpenAccepted, OpenRejected}

// OpenValueUser records that a user typed an open value. It is what keeps
// the type-ahead blind: an annotator is offered the values they typed
// themselves and those a reviewer accepted, never another annotator's.
type OpenValueUser struct {
	ID          int64      `gorm:"primaryKey"`
	OpenValueID int64      `gorm:"not null;uniqueIndex:idx_open_value_user"`
	OpenValue   *OpenValue `gorm:"constraint:OnDelete:CASCADE"`
	UserID      int64      `gorm:"not null;uniqueIndex:idx_open_value_user;index"`
}

func init() { models = append(models, &OpenValueUser{}) }

// rememberOpenValue keeps a value a user typed into an open dimension: the
// value itself, pending review when it is new, and that this user typed it.
func rememberOpenValue(tx *gorm.DB, dimension, value string, userID int64) error {
	// Inserts that leave alone a row already there, so that two saves
	// typing the same new value at once both succeed, on either database.
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&OpenValue{Dimension: dimension, Value: value, CreatedBy: userID, Status: OpenPending}).Error; err != nil {
		return err
	}
	var v OpenValue
	if err := tx.Where("dimension = ? AND value = ?", dimension, value).First(&v).Error; err != nil {
		return err
	}
	return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&OpenValueUser{OpenValueID: v.ID, UserID: userID}).Error
}

// backfillOpenValueUsers records, for values kept before each typist was,
// that the user who first typed a value typed it.
func (s *Store) backfillOpenValueUsers(ctx context.Context) error {
	return s.db.WithContext(ctx).Exec(`INSERT INTO open_value_users (open_value_id, user_id)
SELECT v.id, v.created_by FROM open_values v
WHERE v.created_by <> 0 AND NOT EXISTS (SELECT 1 FROM open_value_users u WHERE u.open_value_id = v.id AND u.user_id = v.created_by)`).Error
}

// OpenValuesFor returns the values of an open dimension one user is
// offered, in the order they were first typed: every value when all is true
// (reviewers and admins), else the values a reviewer accepted and those the
// user typed themselves.
func (s *Store) OpenValuesFor(ctx context.Context, dimension string, userID int64, all bool) ([]string, error) {
	q := s.read(ctx).Model(&OpenValue{}).Where("dimension = ?", dimension)
	if !all {
		q = q.Where("status = ? OR EXISTS (SELECT 1 FROM open_value_users u WHERE u.open_value_id = open_values.id AND u.user_id = ?)", OpenAccepted, userID)
	}
	out := []string{}
	err := q.Order("id").Pluck("value", &out).Error
	return out, translate(err)
}

// OpenValueReview is a value typed into an open dimension as a reviewer
// judges it: how many annotators typed it and its review status.
type OpenValueReview struct {
	ID         int64  `json:"id"`
	Dimension  string `json:"dimension"`
	Value      string `json:"value"`
	Status     string `json:"status"`
	Annotators int    `json:"annotators"`
}

// OpenValueFilter narrows OpenValueReviews. Empty fields match everything.
type OpenValueFilter struct {
	Dimension string
	Status    string
	// Limit is the most values returned (1 to 1000; default 100); Offset
	// skips that many first.
	Limit  int
	Offset int
}

// OpenValueReviews returns one page of the values typed into open
// dimensions, by dimension, most typed first, and how many the filter
// matches in all.
func (s *Store) OpenValueReviews(ctx context.Context, f OpenValueFilter) ([]OpenValueReview, int64, error) {
	if f.Status != "" && !contains(OpenStatuses, f.Status) {
		return nil, 0, &Error{Code: EINVALID, Field: "status", Message: fmt.Sprintf("unknown status %q", f.Status), Allowed: OpenStatuses}
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Limit > 1000 {
		return nil, 0, Invalidf("limit", "limit must be from 1 to 1000, got %d", f.Limit)
	}
	if f.Offset < 0 {
		return nil, 0, Invalidf("offset", "offset must be 0 or more, got %d", f.Offset)
	}
	db := s.read(ctx)
	q := db.Model(&OpenValue{})
	if f.Dimension != "" {
		q = q.Where("dimension = ?", f.Dimension)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, translate(err)
	}
	out := []OpenValueReview{}
	err := q.Select("open_values.id, open_values.dimension, open_values.value, open_values.status, (SELECT count(*) FROM open_value_users u WHERE u.open_value_id = open_values.id) AS annotators").
		Order("open_values.dimension, annotators DESC, open_values.id").Limit(f.Limit).Offset(f.Offset).Scan(&out).Error
	return out, total, translate(err)
}

// DecideOpenValues accepts values into their dimension's list, rejects
// them or sets them back to pending, in one transaction, each in the
// history. Every id must exist, or nothing is changed. It returns how many
// values changed status.
func (s *Store) DecideOpenValues(ctx context.Context, by int64, ids []int64, status string) (int, error) {
	if !contains(OpenStatuses, status) {
		return 0, &Error{Code: EINVALID, Field: "status", Message: fmt.Sprintf("unknown decision %q", status), Allowed: OpenStatuses}
	}
	if err := checkDecisionIDs(ids, "values"); err != nil {
		return 0, err
	}
	n := 0
	err := s.tx(ctx, func(tx *gorm.DB) error {
		vs, err := findByIDs[OpenValue](tx, ids, "")
		if err != nil {
			return err
		}
		if len(vs) != len(uniq(ids)) {
			return NotFoundf("%d of the %d values do not exist; reload the list", len(uniq(ids))-len(vs), len(uniq(ids)))
		}
		now := s.now()
		for _, v := range vs {
			if v.Status == status {
				continue
			}
			if err := tx.Model(&OpenValue{}).Where("id = ?", v.ID).Update("status", status).Error; err != nil {
				return err
			}
			if err := s.record(tx, Change{At: now, UserID: by, Entity: "open_value", EntityID: v.ID, Action: status,
				Before: toJSON(map[string]string{"dimension": v.Dimension, "value": v.Value, "status": v.Status}),
				After:  toJSON(map[string]string{"dimension": v.Dimension, "value": v.Value, "status": status})}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
