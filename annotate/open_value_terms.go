package annotate

import (
	"context"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The type-ahead of an open dimension must answer from an index, however
// many values annotators typed: a prefix such as "s" matches thousands of
// them, and ordering those by how often they were typed would mean
// reading and sorting them all. So each value is kept once more for every
// start of it the type-ahead looks up (its terms, see termsOf), for every
// audience that may see it, with how many users typed it. One index,
// (dimension, audience, term, typists DESC, open_value_id), then hands out
// the most typed matches first by reading as many rows as it returns.
//
// Who sees a value decides its audiences: an accepted value is everyone's
// (audienceEveryone); a pending or rejected one is the reviewers'
// (audienceReviewers) and each of its typists', by user id.
const (
	audienceEveryone  int64 = 0
	audienceReviewers int64 = -1
)

// OpenValueTerm is one start of a typed value (Term, in lower case) that
// the type-ahead looks up, for one audience that may see the value.
type OpenValueTerm struct {
	OpenValueID int64      `gorm:"primaryKey;autoIncrement:false;index:idx_open_value_term,priority:5"`
	OpenValue   *OpenValue `gorm:"constraint:OnDelete:CASCADE"`
	Audience    int64      `gorm:"primaryKey;autoIncrement:false;index:idx_open_value_term,priority:2"`
	Term        string     `gorm:"primaryKey;size:800;index:idx_open_value_term,priority:3"`
	Dimension   string     `gorm:"size:40;not null;index:idx_open_value_term,priority:1"`
	Typists     int        `gorm:"not null;index:idx_open_value_term,priority:4,sort:desc"`
}

func init() { models = append(models, &OpenValueTerm{}) }

// exactTerms is the longest search that a term matches exactly: a value
// has a term for each of its first exactTerms characters. Longer starts
// are kept at the lengths of termSteps only, a search longer than
// exactTerms reads the rows of the longest term it begins with and keeps
// those whose value begins with the whole search. Each step is at most 1.5
// times the one before, so that rarely reads many more rows than it keeps,
// and a value has at most 21 terms instead of up to 200.
const exactTerms = 12

var termSteps = []int{16, 24, 32, 48, 64, 96, 128, 192}

// termLen returns the length of the term a search of n characters looks
// up: the longest kept length that is at most n.
func termLen(n int) int {
	if n <= exactTerms {
		return n
	}
	k := exactTerms
	for _, s := range termSteps {
		if s <= n {
			k = s
		}
	}
	return k
}

// foldOpen is a value or a search as the type-ahead compares them: white
// space normalized, in lower case.
func foldOpen(s string) string { return strings.ToLower(Normalize(s)) }

// termsOf returns the terms of a folded value: the empty one, which lists
// the most typed values, and its starts of every kept length.
func termsOf(folded string) []string {
	rs := []rune(folded)
	out := []string{""}
	for k := 1; k <= len(rs); k++ {
		if termLen(k) == k {
			out = append(out, string(rs[:k]))
		}
	}
	return out
}

// termRows returns the terms of v for the given audiences, with v's count
// of typists.
func termRows(v *OpenValue, audiences []int64) []OpenValueTerm {
	terms := termsOf(v.Folded)
	rows := make([]OpenValueTerm, 0, len(terms)*len(audiences))
	for _, a := range audiences {
		for _, t := range terms {
			rows = append(rows, OpenValueTerm{OpenValueID: v.ID, Audience: a, Term: t, Dimension: v.Dimension, Typists: v.Typists})
		}
	}
	return rows
}

// writeTerms adds rows of terms, leaving alone those already there.
func writeTerms(tx *gorm.DB, rows []OpenValueTerm) error {
	if len(rows) == 0 {
		return nil
	}
	// 1000 rows of five values stay under the number of values a
	// statement binds on either database.
	return tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, 1000).Error
}

// rewriteTerms replaces the terms of the value id with those of its
// current status: everyone's once accepted, else the reviewers' and its
// typists'. It reads the value's status, count and typists again: callers
// hold the lock on its row (they changed it first), so what they read is
// what commits.
func rewriteTerms(tx *gorm.DB, id int64) error {
	var v OpenValue
	if err := tx.Where("id = ?", id).First(&v).Error; err != nil {
		return err
	}
	return indexOpenValues(tx, []OpenValue{v})
}

// addTypist counts one more user who typed the value id, in the value and
// its terms, and lets that user find it when it is not everyone's yet.
// created says the value is new, so that it has no terms at all yet.
func addTypist(tx *gorm.DB, id, userID int64, created bool) error {
	// The update comes first: it locks the value's row on PostgreSQL, so
	// a reviewer's decision on it waits, or has committed, before the
	// status below is read.
	if err := tx.Exec("UPDATE open_values SET typists = typists + 1 WHERE id = ?", id).Error; err != nil {
		return err
	}
	var v OpenValue
	if err := tx.Where("id = ?", id).First(&v).Error; err != nil {
		return err
	}
	if err := tx.Model(&OpenValueTerm{}).Where("open_value_id = ?", id).Update("typists", v.Typists).Error; err != nil {
		return err
	}
	var audiences []int64
	switch {
	case v.Status == OpenAccepted:
		if created {
			audiences = []int64{audienceEveryone}
		}
	case created:
		audiences = []int64{audienceReviewers, userID}
	default:
		audiences = []int64{userID}
	}
	return writeTerms(tx, termRows(&v, audiences))
}

// indexOpenValues gives values their folded form and writes their terms
// anew, for the audiences their status gives, reading the typists of them
// all in one query.
func indexOpenValues(tx *gorm.DB, vs []OpenValue) error {
	ids := make([]int64, len(vs))
	for i := range vs {
		ids[i] = vs[i].ID
	}
	var pairs []OpenValueUser
	if err := tx.Where("open_value_id IN ?", ids).Order("open_value_id, user_id").Find(&pairs).Error; err != nil {
		return err
	}
	typists := map[int64][]int64{}
	for _, p := range pairs {
		typists[p.OpenValueID] = append(typists[p.OpenValueID], p.UserID)
	}
	if err := tx.Where("open_value_id IN ?", ids).Delete(&OpenValueTerm{}).Error; err != nil {
		return err
	}
	var rows []OpenValueTerm
	for i := range vs {
		v := &vs[i]
		if f := foldOpen(v.Value); f != v.Folded {
			v.Folded = f
			if err := tx.Model(&OpenValue{}).Where("id = ?", v.ID).Update("folded", f).Error; err != nil {
				return err
			}
		}
		audiences := []int64{audienceEveryone}
		if v.Status != OpenAccepted {
			audiences = append([]int64{audienceReviewers}, typists[v.ID]...)
		}
		rows = append(rows, termRows(v, audiences)...)
	}
	return writeTerms(tx, rows)
}

// settingOpenValueTerms marks a database whose open values have their
// folded form, count of typists and terms.
const settingOpenValueTerms = "open_value_terms"

// migrateOpenValueTerms gives, once, the values typed before the
// type-ahead had an index their folded form, count of typists and terms.
func (s *Store) migrateOpenValueTerms(ctx context.Context) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if s.dialect == "postgres" {
			// Servers starting at once would otherwise both fill it.
			if err := tx.Exec("SELECT pg_advisory_xact_lock(7461, 2)").Error; err != nil {
				return err
			}
		}
		var st Setting
		if err := tx.Where("name = ?", settingOpenValueTerms).Limit(1).Find(&st).Error; err != nil {
			return err
		}
		if st.Value != "" {
			return nil
		}
		if err := tx.Exec("UPDATE open_values SET typists = (SELECT count(*) FROM open_value_users u WHERE u.open_value_id = open_values.id)").Error; err != nil {
			return err
		}
		var batch []OpenValue
		err := tx.FindInBatches(&batch, idChunk, func(_ *gorm.DB, _ int) error {
			return indexOpenValues(tx, batch)
		}).Error
		if err != nil {
			return err
		}
		return tx.Create(&Setting{Key: settingOpenValueTerms, Value: "1"}).Error
	})
}
