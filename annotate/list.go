package annotate

import (
	"strings"

	"gorm.io/gorm"
)

// ListQuery asks for one page of a list kept in id order: users, tokens,
// notes, a paragraph's history. Every list a page or the API shows is read
// a page at a time, so that no request grows with the table.
type ListQuery struct {
	// Limit is the most rows returned (1 to the list's maximum; 0 means
	// the list's default).
	Limit int
	// After is the cursor: the Next of the page before, 0 for the first.
	After int64
	// Search narrows the list where it has a name to search (users, by
	// name, ignoring case); other lists ignore it.
	Search string
}

// The bounds of a page of each list.
const (
	DefaultUserLimit      = 50
	MaxUserLimit          = 500
	DefaultTokenLimit     = 50
	MaxTokenLimit         = 500
	DefaultNoteLimit      = 100
	MaxNoteLimit          = 500
	DefaultHistoryLimit   = 100
	MaxHistoryLimit       = 1000
	DefaultParagraphLimit = 100
	MaxParagraphLimit     = 500
	DefaultCurationLimit  = 100
	MaxCurationLimit      = 500
)

// checkList sets a zero limit to def and refuses a limit outside 1..max or
// a negative cursor, with a message that says what to send instead.
func checkList(limit *int, def, max int, after int64) error {
	if *limit == 0 {
		*limit = def
	}
	if *limit < 1 || *limit > max {
		return Invalidf("limit", "limit must be from 1 to %d, got %d; follow next for the rest", max, *limit)
	}
	if after < 0 {
		return Invalidf("next", "the cursor must be the next a page gave (a positive integer), got %d", after)
	}
	return nil
}

// pageByID reads up to limit rows of q whose column col is above after, in
// that column's order, and returns the cursor of the page after: the last
// row's value when more rows follow, else 0. It reads one row more than
// the page to know whether another page follows.
func pageByID[T any](q *gorm.DB, col string, after int64, limit int, id func(*T) int64) ([]T, int64, error) {
	out := []T{}
	if err := q.Where(col+" > ?", after).Order(col).Limit(limit + 1).Find(&out).Error; err != nil {
		return nil, 0, translate(err)
	}
	if len(out) <= limit {
		return out, 0, nil
	}
	out = out[:limit]
	return out, id(&out[limit-1]), nil
}

// likeTerm returns the LIKE pattern that finds s anywhere in a lower-cased
// column, or "" when s is blank.
func likeTerm(s string) string {
	term := strings.TrimSpace(s)
	if term == "" {
		return ""
	}
	return "%" + escapeLike(strings.ToLower(term)) + "%"
}
