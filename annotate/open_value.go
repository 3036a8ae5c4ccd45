package annotate

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

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
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&OpenValueUser{OpenValueID: v.ID, UserID: userID})
	if res.Error != nil || res.RowsAffected == 0 {
		return res.Error
	}
	return tx.Exec("UPDATE open_values SET typists = typists + 1 WHERE id = ?", v.ID).Error
}

// backfillOpenValueUsers records, for values kept before each typist was,
// that the user who first typed a value typed it, and counts each value's
// typists where that was not done yet (once, or after the backfill added
// someone).
func (s *Store) backfillOpenValueUsers(ctx context.Context) error {
	db := s.db.WithContext(ctx)
	res := db.Exec(`INSERT INTO open_value_users (open_value_id, user_id)
SELECT v.id, v.created_by FROM open_values v
WHERE v.created_by <> 0 AND NOT EXISTS (SELECT 1 FROM open_value_users u WHERE u.open_value_id = v.id AND u.user_id = v.created_by)`)
	if res.Error != nil {
		return res.Error
	}
	var st Setting
	if err := db.Where("name = ?", settingTypists).Limit(1).Find(&st).Error; err != nil {
		return err
	}
	if st.Value != "" && res.RowsAffected == 0 {
		return nil
	}
	return db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("UPDATE open_values SET typists = (SELECT count(*) FROM open_value_users u WHERE u.open_value_id = open_values.id)").Error; err != nil {
			return err
		}
		return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&Setting{Key: settingTypists, Value: "1"}).Error
	})
}

// settingTypists marks a database whose open values' typists are counted.
const settingTypists = "open_value_typists"

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
	// Limit is the most values returned (1 to 1000; default 100).
	Limit int
	// After continues a listing after the page that gave it as Next.
	After string
	// Offset skips that many values first, for clients that count; it
	// cannot be combined with After, and past the first few pages After is
	// the faster.
	Offset int
}

// OpenValuePage is one page of OpenValueReviews.
type OpenValuePage struct {
	Values []OpenValueReview `json:"values"`
	// Total counts the values the filter matches, up to MaxCountedValues;
	// TotalAtLeast says there are more than that.
	Total        int64 `json:"total"`
	TotalAtLeast bool  `json:"total_at_least,omitempty"`
	// Next continues after this page; empty on the last.
	Next string `json:"next,omitempty"`
}

// MaxCountedValues is the most open values OpenValueReviews counts.
const MaxCountedValues = 10000

// OpenValueReviews returns one page of the values typed into open
// dimensions, by dimension, most typed first (then oldest first), and how
// many the filter matches. Each page is read from an index from where the
// one before ended, whatever the number of values.
func (s *Store) OpenValueReviews(ctx context.Context, f OpenValueFilter) (*OpenValuePage, error) {
	if f.Status != "" && !contains(OpenStatuses, f.Status) {
		return nil, &Error{Code: EINVALID, Field: "status", Message: fmt.Sprintf("unknown status %q", f.Status), Allowed: OpenStatuses}
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Limit > 1000 {
		return nil, Invalidf("limit", "limit must be from 1 to 1000, got %d", f.Limit)
	}
	if f.Offset < 0 {
		return nil, Invalidf("offset", "offset must be 0 or more, got %d", f.Offset)
	}
	if f.Offset > 0 && f.After != "" {
		return nil, Invalidf("offset", "give offset or next, not both: next continues from the page that gave it")
	}
	var after *openValueCursor
	if f.After != "" {
		c, err := decodeOpenValueCursor(f.After)
		if err != nil {
			return nil, err
		}
		after = &c
	}
	db := s.read(ctx)
	narrow := func(q *gorm.DB) *gorm.DB {
		if f.Dimension != "" {
			q = q.Where("dimension = ?", f.Dimension)
		}
		if f.Status != "" {
			q = q.Where("status = ?", f.Status)
		}
		return q
	}
	var total int64
	if err := db.Raw("SELECT count(*) FROM (?) AS v", narrow(db.Table("open_values").Select("id").Limit(MaxCountedValues+1))).Scan(&total).Error; err != nil {
		return nil, translate(err)
	}
	page := &OpenValuePage{Values: []OpenValueReview{}, Total: min(total, MaxCountedValues), TotalAtLeast: total > MaxCountedValues}
	q := narrow(db.Model(&OpenValue{}))
	if after != nil {
		q = q.Where("(dimension > ? OR (dimension = ? AND (typists < ? OR (typists = ? AND id > ?))))", after.dimension, after.dimension, after.typists, after.typists, after.id)
	}
	var rows []OpenValue
	if err := q.Order("dimension, typists DESC, id").Limit(f.Limit + 1).Offset(f.Offset).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	if len(rows) > f.Limit {
		rows = rows[:f.Limit]
		last := rows[len(rows)-1]
		page.Next = openValueCursor{dimension: last.Dimension, typists: last.Typists, id: last.ID}.encode()
	}
	for _, v := range rows {
		page.Values = append(page.Values, OpenValueReview{ID: v.ID, Dimension: v.Dimension, Value: v.Value, Status: v.Status, Annotators: int(v.Typists)})
	}
	return page, nil
}

// openValueCursor is the position after the last value of a page.
type openValueCursor struct {
	dimension string
	typists   int64
	id        int64
}

func (c openValueCursor) encode() string {
	raw := strconv.FormatInt(c.typists, 10) + "|" + strconv.FormatInt(c.id, 10) + "|" + c.dimension
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeOpenValueCursor(s string) (openValueCursor, error) {
	bad := Invalidf("next", "next %q is not a cursor this listing gave; pass the next of the page before, or leave it out to start at the beginning", s)
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return openValueCursor{}, bad
	}
	parts := strings.SplitN(string(raw), "|", 3)
	if len(parts) != 3 {
		return openValueCursor{}, bad
	}
	var c openValueCursor
	if c.typists, err = strconv.ParseInt(parts[0], 10, 64); err != nil || c.typists < 0 {
		return openValueCursor{}, bad
	}
	if c.id, err = strconv.ParseInt(parts[1], 10, 64); err != nil {
		return openValueCursor{}, bad
	}
	c.dimension = parts[2]
	return c, nil
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
