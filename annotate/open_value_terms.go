package annotate

import (
	"context"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// The type-ahead of an open dimension must answer from an index, however
// many values annotators typed: a prefix such as "s" matches thousands of
// them, and ordering those by how often they were typed would mean
// reading and sorting them all. So each value is kept once more for every
// start of it the type-ahead looks up (its terms, see termsOf), for every
// audience that may see it, with how many users typed it, in the table
// open_value_terms, whose key (dimension, audience, term, typists DESC,
// open_value_id) hands out the most typed matches first by reading as many
// rows as it returns.
//
// Who sees a value decides its audiences: an accepted value is everyone's
// (audienceEveryone); a pending or rejected one is the reviewers'
// (audienceReviewers) and each of its typists', by user id.
//
// The table is its key alone (WITHOUT ROWID on SQLite), a third of the
// size a table with a key of its own and two indexes takes. Its rows are
// found again from what they are made of: a change to a value deletes the
// rows its state before the change gives (termRowsOf) and inserts those of
// its state after, under the lock on the value's row.
const (
	audienceEveryone  int64 = 0
	audienceReviewers int64 = -1
)

// termLadder holds the lengths, in characters, of the starts of a value
// kept as terms, besides the empty one. A search of a length between two
// of them reads the rows of the shorter term and keeps those whose value
// begins with the whole search: each length is about 1.5 times the one
// before, so that rarely reads many more rows than it keeps, and a value
// has at most 10 terms instead of up to 200. Beyond 28 characters the
// values that share the first 28 are read.
var termLadder = []int{1, 2, 3, 4, 6, 9, 13, 19, 28}

// termLen returns the length of the term a search of n characters looks
// up: the longest kept length that is at most n.
func termLen(n int) int {
	k := 0
	for _, l := range termLadder {
		if l <= n {
			k = l
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
	for _, l := range termLadder {
		if l <= len(rs) {
			out = append(out, string(rs[:l]))
		}
	}
	return out
}

// audiencesOf returns who may find a value of the given status typed by
// the given users: everyone once it is accepted, else the reviewers and
// each of them.
func audiencesOf(status string, typists []int64) []int64 {
	if status == OpenAccepted {
		return []int64{audienceEveryone}
	}
	return append([]int64{audienceReviewers}, typists...)
}

// termRow is one row of open_value_terms.
type termRow struct {
	Dimension   string
	Audience    int64
	Term        string
	Typists     int
	OpenValueID int64
}

// termRowsOf returns the rows of v for the given audiences, with typists as
// its count of typists.
func termRowsOf(v *OpenValue, typists int, audiences []int64) []termRow {
	terms := termsOf(v.Folded)
	rows := make([]termRow, 0, len(terms)*len(audiences))
	for _, a := range audiences {
		for _, t := range terms {
			rows = append(rows, termRow{Dimension: v.Dimension, Audience: a, Term: t, Typists: typists, OpenValueID: v.ID})
		}
	}
	return rows
}

// termsTable returns the statements that create open_value_terms.
func termsTable(dialect string) []string {
	if dialect == "postgres" {
		// PostgreSQL takes no order in a primary key: a unique index
		// stands for it.
		return []string{
			"CREATE TABLE IF NOT EXISTS open_value_terms (dimension varchar(40) NOT NULL, audience bigint NOT NULL, term text NOT NULL, typists integer NOT NULL, open_value_id bigint NOT NULL)",
			"CREATE UNIQUE INDEX IF NOT EXISTS idx_open_value_term ON open_value_terms (dimension, audience, term, typists DESC, open_value_id)",
		}
	}
	return []string{"CREATE TABLE IF NOT EXISTS open_value_terms (dimension TEXT NOT NULL, audience INTEGER NOT NULL, term TEXT NOT NULL, typists INTEGER NOT NULL, open_value_id INTEGER NOT NULL, PRIMARY KEY (dimension, audience, term, typists DESC, open_value_id)) WITHOUT ROWID"}
}

// insertTerms adds rows to open_value_terms, leaving alone those already
// there, 1000 rows to a statement: 5,000 values stay under what one
// statement binds on either database.
func insertTerms(tx *gorm.DB, rows []termRow) error {
	for chunk := range slices.Chunk(rows, 1000) {
		var sql strings.Builder
		sql.WriteString("INSERT INTO open_value_terms (dimension, audience, term, typists, open_value_id) VALUES ")
		args := make([]any, 0, 5*len(chunk))
		for i, r := range chunk {
			if i > 0 {
				sql.WriteString(", ")
			}
			sql.WriteString("(?, ?, ?, ?, ?)")
			args = append(args, r.Dimension, r.Audience, r.Term, r.Typists, r.OpenValueID)
		}
		sql.WriteString(" ON CONFLICT DO NOTHING")
		if err := tx.Exec(sql.String(), args...).Error; err != nil {
			return err
		}
	}
	return nil
}

// deleteTermsSQL deletes the rows of one value, each found by its whole
// key: dimension, audiences, terms, count of typists, value.
const deleteTermsSQL = "DELETE FROM open_value_terms WHERE dimension = ? AND audience IN ? AND term IN ? AND typists = ? AND open_value_id = ?"

// deleteTerms deletes the rows of v that it had with typists as its count
// of typists and the given audiences: each is found by its whole key.
func deleteTerms(tx *gorm.DB, v *OpenValue, typists int, audiences []int64) error {
	for chunk := range slices.Chunk(audiences, idChunk) {
		if err := tx.Exec(deleteTermsSQL, v.Dimension, chunk, termsOf(v.Folded), typists, v.ID).Error; err != nil {
			return err
		}
	}
	return nil
}

// lockOpenValue takes the lock on the row of the value id (a write that
// changes nothing, on PostgreSQL; SQLite has one writer) and returns the
// value and who typed it as they are once the lock is held: so a save that
// types it and a reviewer's decision on it change its terms one after the
// other, each from the state the other left.
func lockOpenValue(tx *gorm.DB, id int64) (*OpenValue, []int64, error) {
	if err := tx.Exec("UPDATE open_values SET typists = typists WHERE id = ?", id).Error; err != nil {
		return nil, nil, err
	}
	var v OpenValue
	if err := tx.Where("id = ?", id).First(&v).Error; err != nil {
		return nil, nil, err
	}
	var typists []int64
	if err := tx.Model(&OpenValueUser{}).Where("open_value_id = ?", id).Order("user_id").Pluck("user_id", &typists).Error; err != nil {
		return nil, nil, err
	}
	return &v, typists, nil
}

// addTypist counts one more user, whose row in open_value_users was just
// added, who typed the value id, in the value and its terms, and lets that
// user find it when it is not everyone's yet.
func addTypist(tx *gorm.DB, id, userID int64) error {
	v, typists, err := lockOpenValue(tx, id)
	if err != nil {
		return err
	}
	before := slices.DeleteFunc(slices.Clone(typists), func(u int64) bool { return u == userID })
	if err := deleteTerms(tx, v, v.Typists, audiencesOf(v.Status, before)); err != nil {
		return err
	}
	v.Typists++
	if err := tx.Model(&OpenValue{}).Where("id = ?", id).Update("typists", v.Typists).Error; err != nil {
		return err
	}
	return insertTerms(tx, termRowsOf(v, v.Typists, audiencesOf(v.Status, typists)))
}

// setOpenStatus gives the value id a review status, and its terms the
// audiences that status gives. It returns the value as it was, and
// whether the status changed.
func setOpenStatus(tx *gorm.DB, id int64, status string) (*OpenValue, bool, error) {
	v, typists, err := lockOpenValue(tx, id)
	if err != nil || v.Status == status {
		return v, false, err
	}
	if err := tx.Model(&OpenValue{}).Where("id = ?", id).Update("status", status).Error; err != nil {
		return nil, false, err
	}
	// Accepting a value, or taking it back, changes who may find it.
	if (v.Status == OpenAccepted) != (status == OpenAccepted) {
		if err := deleteTerms(tx, v, v.Typists, audiencesOf(v.Status, typists)); err != nil {
			return nil, false, err
		}
		if err := insertTerms(tx, termRowsOf(v, v.Typists, audiencesOf(status, typists))); err != nil {
			return nil, false, err
		}
	}
	return v, true, nil
}

// settingOpenValueTerms marks a database whose open values have their
// folded form, count of typists and terms.
const settingOpenValueTerms = "open_value_terms"

// migrateOpenValueTerms creates the terms' table and gives, once, the
// values typed before the type-ahead had it their folded form, count of
// typists and terms.
func (s *Store) migrateOpenValueTerms(ctx context.Context) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if s.dialect == "postgres" {
			// Servers starting at once would otherwise both fill it.
			if err := tx.Exec("SELECT pg_advisory_xact_lock(7461, 2)").Error; err != nil {
				return err
			}
		}
		for _, stmt := range termsTable(s.dialect) {
			if err := tx.Exec(stmt).Error; err != nil {
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
		for _, stmt := range []string{
			"DELETE FROM open_value_terms",
			"UPDATE open_values SET typists = (SELECT count(*) FROM open_value_users u WHERE u.open_value_id = open_values.id)",
			// lower() folds ASCII as Go does, in one statement; the few
			// values it folds otherwise are written again one by one.
			"UPDATE open_values SET folded = lower(value)",
		} {
			if err := tx.Exec(stmt).Error; err != nil {
				return err
			}
		}
		var batch []OpenValue
		err := tx.FindInBatches(&batch, idChunk, func(_ *gorm.DB, _ int) error {
			rows, err := indexOpenValues(tx, batch)
			if err != nil {
				return err
			}
			return insertTerms(tx, rows)
		}).Error
		if err != nil {
			return err
		}
		return tx.Create(&Setting{Key: settingOpenValueTerms, Value: "1"}).Error
	})
}

// indexOpenValues gives values their folded form and returns their terms,
// reading who typed them all in one query.
func indexOpenValues(tx *gorm.DB, vs []OpenValue) ([]termRow, error) {
	ids := make([]int64, len(vs))
	for i := range vs {
		ids[i] = vs[i].ID
	}
	var pairs []OpenValueUser
	if err := tx.Where("open_value_id IN ?", ids).Order("open_value_id, user_id").Find(&pairs).Error; err != nil {
		return nil, err
	}
	typists := map[int64][]int64{}
	for _, p := range pairs {
		typists[p.OpenValueID] = append(typists[p.OpenValueID], p.UserID)
	}
	var rows []termRow
	for i := range vs {
		v := &vs[i]
		if f := foldOpen(v.Value); f != v.Folded {
			v.Folded = f
			if err := tx.Model(&OpenValue{}).Where("id = ?", v.ID).Update("folded", f).Error; err != nil {
				return nil, err
			}
		}
		rows = append(rows, termRowsOf(v, v.Typists, audiencesOf(v.Status, typists[v.ID]))...)
	}
	return rows, nil
}
