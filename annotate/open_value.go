package annotate

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"slices"
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
	nv := OpenValue{Dimension: dimension, Value: value, CreatedBy: userID, Status: OpenPending, Folded: foldOpen(value), Typists: 1}
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&nv)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 1 {
		// A new value, whose row no one else sees before this commits:
		// its one typist is this user.
		if err := tx.Create(&OpenValueUser{OpenValueID: nv.ID, UserID: userID}).Error; err != nil {
			return err
		}
		return insertTerms(tx, termRowsOf(&nv, 1, audiencesOf(OpenPending, []int64{userID})))
	}
	var v OpenValue
	if err := tx.Where("dimension = ? AND value = ?", dimension, value).First(&v).Error; err != nil {
		return err
	}
	res = tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&OpenValueUser{OpenValueID: v.ID, UserID: userID})
	if res.Error != nil || res.RowsAffected == 0 {
		// Most saves bring a value their user typed before: nothing
		// more changes.
		return res.Error
	}
	return addTypist(tx, v.ID, userID)
}

// backfillOpenValueUsers records, for values kept before each typist was,
// that the user who first typed a value typed it (migrateOpenValueTerms
// then counts each value's typists, once).
func (s *Store) backfillOpenValueUsers(ctx context.Context) error {
	return s.db.WithContext(ctx).Exec(`INSERT INTO open_value_users (open_value_id, user_id)
SELECT v.id, v.created_by FROM open_values v
WHERE v.created_by <> 0 AND NOT EXISTS (SELECT 1 FROM open_value_users u WHERE u.open_value_id = v.id AND u.user_id = v.created_by)`).Error
}

// DefaultOpenValueMatches and MaxOpenValueMatches are how many values
// OpenValuesMatching returns when not told, and at most.
const (
	DefaultOpenValueMatches = 20
	MaxOpenValueMatches     = 100
)

// OpenValuesMatching returns the values of an open dimension one user is
// offered that begin with prefix, ignoring case and runs of white space,
// at most limit of them (DefaultOpenValueMatches when 0), the most typed
// first and then the oldest, and whether more match. An empty prefix
// matches every value. The user is offered every value when all is true
// (reviewers and admins), else the values a reviewer accepted and those
// they typed themselves, whatever their status: never another
// annotator's pending or rejected one. It reads about as many rows as it
// returns, however many values the dimension has (see open_value_terms.go).
func (s *Store) OpenValuesMatching(ctx context.Context, dimension string, userID int64, all bool, prefix string, limit int) ([]string, bool, error) {
	if limit == 0 {
		limit = DefaultOpenValueMatches
	}
	if limit < 1 || limit > MaxOpenValueMatches {
		return nil, false, Invalidf("limit", "limit must be from 1 to %d, got %d", MaxOpenValueMatches, limit)
	}
	if err := CheckText("q", prefix, false); err != nil {
		return nil, false, err
	}
	sc, err := s.Schema(ctx)
	if err != nil {
		return nil, false, err
	}
	var open []string
	for _, d := range sc.Dimensions {
		if d.Kind == KindOpen {
			open = append(open, d.Name)
		}
	}
	if !contains(open, dimension) {
		msg := fmt.Sprintf("%q is not an open dimension of the schema; values are typed into open dimensions only", dimension)
		if _, ok := sc.Dimension(dimension); !ok {
			msg = fmt.Sprintf("unknown dimension %q", dimension)
		}
		return nil, false, &Error{Code: EINVALID, Field: "dimension", Message: msg, Allowed: open}
	}
	out := []string{}
	q := []rune(foldOpen(prefix))
	if len(q) > MaxOpenValueLen {
		// No value is that long.
		return out, false, nil
	}
	audiences := []int64{audienceEveryone, audienceReviewers}
	if !all {
		audiences = []int64{audienceEveryone, userID}
	}
	query, args := openValuesQuery(dimension, audiences, q, limit+1)
	var rows []openValueRow
	err = s.read(ctx).Raw(query, args...).Scan(&rows).Error
	if err != nil {
		return nil, false, translate(err)
	}
	slices.SortFunc(rows, func(a, b openValueRow) int {
		if a.Typists != b.Typists {
			return b.Typists - a.Typists
		}
		return cmp.Compare(a.OpenValueID, b.OpenValueID)
	})
	for _, r := range rows {
		out = append(out, r.Value)
	}
	if len(out) > limit {
		return out[:limit], true, nil
	}
	return out, false, nil
}

// openValueRow is a value openValuesQuery finds, with what orders it.
type openValueRow struct {
	Value       string
	Typists     int
	OpenValueID int64
}

// openValuesQuery returns the statement of OpenValuesMatching and its
// arguments: for each audience, the limit most typed values of dimension it
// may see whose folded form begins with the folded search q, with their
// count of typists and id.
func openValuesQuery(dimension string, audiences []int64, q []rune, limit int) (string, []any) {
	k := termLen(len(q))
	term := string(q[:k])
	// One index scan per audience, each in the order wanted and stopping
	// at limit rows; the caller merges the two.
	var parts []string
	var args []any
	for i, a := range audiences {
		part := "SELECT v.value, t.typists, t.open_value_id FROM open_value_terms t JOIN open_values v ON v.id = t.open_value_id WHERE t.dimension = ? AND t.audience = ? AND t.term = ?"
		args = append(args, dimension, a, term)
		if k < len(q) {
			part += " AND substr(v.folded, 1, ?) = ?"
			args = append(args, len(q), string(q))
		}
		part += " ORDER BY t.typists DESC, t.open_value_id LIMIT ?"
		args = append(args, limit)
		parts = append(parts, fmt.Sprintf("SELECT value, typists, open_value_id FROM (%s) a%d", part, i))
	}
	return strings.Join(parts, " UNION ALL "), args
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
		page.Next = openValueCursor{dimension: last.Dimension, typists: int64(last.Typists), id: last.ID}.encode()
	}
	for _, v := range rows {
		page.Values = append(page.Values, OpenValueReview{ID: v.ID, Dimension: v.Dimension, Value: v.Value, Status: v.Status, Annotators: v.Typists})
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
			old, changed, err := setOpenStatus(tx, v.ID, status)
			if err != nil {
				return err
			}
			if !changed {
				continue
			}
			if err := s.record(tx, Change{At: now, UserID: by, Entity: "open_value", EntityID: v.ID, Action: status,
				Before: toJSON(map[string]string{"dimension": v.Dimension, "value": v.Value, "status": old.Status}),
				After:  toJSON(map[string]string{"dimension": v.Dimension, "value": v.Value, "status": status})}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
