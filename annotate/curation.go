package annotate

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

func checkKind(kind string) error {
	if !contains(CurationKinds, kind) {
		return &Error{Code: EINVALID, Field: "kind", Message: fmt.Sprintf("unknown flag %q", kind), Allowed: CurationKinds}
	}
	return nil
}

// Flag records a user's flag that a paragraph is a duplicate, boilerplate
// or not relevant, with their reason. The flag is the user's own: it takes
// the paragraph out of their queue only (until a reviewer dismisses it),
// and it suggests the paragraph's curation of that kind to reviewers, who
// alone can confirm it; only a confirmed flag takes the paragraph out of
// everyone's queue and out of the exports. Flagging a paragraph whose flag
// of that kind was dismissed suggests it again; flagging again replaces
// the reason. Flag returns the user's flag as they may see it: their
// reason, and the status of the curation of that kind.
func (s *Store) Flag(ctx context.Context, userID, paragraphID int64, kind, reason string) (*Curation, error) {
	if err := checkKind(kind); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > MaxReasonLen {
		return nil, Invalidf("reason", "a reason has at most %d characters", MaxReasonLen)
	}
	if err := CheckText("reason", reason, true); err != nil {
		return nil, err
	}
	var c Curation
	var own UserFlag
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var p Paragraph
		if err := tx.First(&p, paragraphID).Error; err != nil {
			return notFound(err, "no paragraph with id %d", paragraphID)
		}
		now := s.now()
		if err := tx.Where("paragraph_id = ? AND user_id = ? AND kind = ?", paragraphID, userID, kind).Limit(1).Find(&own).Error; err != nil {
			return err
		}
		before := JSON("")
		if own.ID != 0 {
			before = toJSON(map[string]string{"kind": kind, "reason": own.Reason})
		} else {
			own = UserFlag{ParagraphID: paragraphID, UserID: userID, Kind: kind, CreatedAt: now}
		}
		own.Reason = reason
		if err := tx.Save(&own).Error; err != nil {
			return err
		}
		if err := tx.Where("paragraph_id = ? AND kind = ?", paragraphID, kind).Limit(1).Find(&c).Error; err != nil {
			return err
		}
		if c.ID == 0 || c.Status == StatusDismissed {
			if c.ID != 0 {
				before = toJSON(map[string]string{"kind": kind, "status": c.Status})
			}
			uid := userID
			c.ParagraphID, c.Kind, c.Status, c.Reason, c.FlaggedBy = paragraphID, kind, StatusSuggested, reason, &uid
			c.DecidedBy, c.DecidedAt = nil, nil
			if c.ID == 0 {
				c.CreatedAt = now
			}
			if err := tx.Save(&c).Error; err != nil {
				return err
			}
		}
		return s.record(tx, Change{At: now, UserID: userID, Entity: "curation", EntityID: c.ID, ParagraphID: paragraphID, Action: "flag", Before: before, After: toJSON(map[string]string{"kind": kind, "status": c.Status, "reason": reason})})
	})
	if err != nil {
		return nil, err
	}
	uid := userID
	return &Curation{ID: c.ID, ParagraphID: paragraphID, Kind: kind, Status: c.Status, Reason: own.Reason, FlaggedBy: &uid, CreatedAt: own.CreatedAt}, nil
}

// DecideCurations confirms or dismisses curation flags in one transaction,
// for reviewers and admins. A confirmed flag takes its paragraph out of
// every queue and out of the exports; a dismissed one leaves it in, and
// puts it back in the queues of the users who flagged it. Either can be
// reversed later. Every id must name a flag on a current paragraph (one
// Curations lists); otherwise nothing is decided.
func (s *Store) DecideCurations(ctx context.Context, userID int64, ids []int64, status string) (int, error) {
	if status != StatusConfirmed && status != StatusDismissed {
		return 0, &Error{Code: EINVALID, Field: "status", Message: fmt.Sprintf("unknown decision %q", status), Allowed: []string{StatusConfirmed, StatusDismissed}}
	}
	if err := checkDecisionIDs(ids, "flags"); err != nil {
		return 0, err
	}
	n := 0
	err := s.tx(ctx, func(tx *gorm.DB) error {
		cs, err := findByIDs[Curation](tx, ids, "paragraph_id IN (SELECT id FROM paragraphs WHERE is_current = ?)", true)
		if err != nil {
			return err
		}
		if len(cs) != len(uniq(ids)) {
			return NotFoundf("%d of the %d flags do not exist or belong to an older revision of their document; reload the list", len(uniq(ids))-len(cs), len(uniq(ids)))
		}
		now := s.now()
		uid := userID
		for _, c := range cs {
			if c.Status == status {
				continue
			}
			if err := tx.Model(&Curation{}).Where("id = ?", c.ID).Updates(map[string]any{"status": status, "decided_by": uid, "decided_at": now}).Error; err != nil {
				return err
			}
			if err := s.record(tx, Change{At: now, UserID: userID, Entity: "curation", EntityID: c.ID, ParagraphID: c.ParagraphID, Action: status, Before: toJSON(map[string]string{"status": c.Status}), After: toJSON(map[string]string{"status": status})}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// MaxDecideIDs is the most ids one decision (on flags or typed values) may
// name.
const MaxDecideIDs = 10000

// idChunk is how many ids one statement binds when a list is read in parts.
const idChunk = 500

// checkDecisionIDs refuses a decision that names no id, or more than
// MaxDecideIDs; what names the things decided on, for the message.
func checkDecisionIDs(ids []int64, what string) error {
	if len(ids) == 0 {
		return Invalidf("ids", "name at least one of the %s to decide", what)
	}
	if len(ids) > MaxDecideIDs {
		return Invalidf("ids", "at most %d %s in one decision, got %d; send them in several requests", MaxDecideIDs, what, len(ids))
	}
	return nil
}

// findByIDs reads the rows of T with the given ids (and the extra condition,
// if any) in chunks of idChunk: a statement binds a bounded number of values
// (32,766 on SQLite, 65,535 on PostgreSQL).
func findByIDs[T any](tx *gorm.DB, ids []int64, cond string, args ...any) ([]T, error) {
	var out []T
	for chunk := range slices.Chunk(uniq(ids), idChunk) {
		q := tx.Where("id IN ?", chunk)
		if cond != "" {
			q = q.Where(cond, args...)
		}
		var part []T
		if err := q.Find(&part).Error; err != nil {
			return nil, err
		}
		out = append(out, part...)
	}
	return out, nil
}

func uniq(ids []int64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// curationStatuses lists the statuses a flag can have.
var curationStatuses = []string{StatusSuggested, StatusConfirmed, StatusDismissed}

// CurationItem is a flag with the text of its paragraph and document, and
// everyone who flagged it, for reviewers.
type CurationItem struct {
	Curation
	Text          string `json:"text"`
	DocumentID    int64  `json:"document_id"`
	DocumentTitle string `json:"document_title"`
	Position      int    `json:"position"`
	// FlaggedByName names who raised the flag; empty for the import's
	// suggestions and for removed users.
	FlaggedByName string `json:"flagged_by_name,omitempty"`
	// Flaggers are the users who flagged the paragraph with this kind, with
	// their reasons, oldest first; empty for a suggestion of the import.
	Flaggers []Flagger `json:"flaggers" gorm:"-"`
}

// Flagger is one user's flag behind a curation suggestion.
type Flagger struct {
	UserID    int64     `json:"user_id"`
	UserName  string    `json:"user_name"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"created_at"`
}

// CurationFilter asks for one page of curation flags. Empty Status and
// Kind match everything.
type CurationFilter struct {
	Status string
	Kind   string
	// Limit is the most flags returned (1 to MaxCurationLimit; 0 means
	// DefaultCurationLimit).
	Limit int
	// After is the cursor: the Next of the page before, 0 for the first.
	After int64
}

// CurationPage is one page of curation flags; Next is the cursor of the
// page after, 0 on the last.
type CurationPage struct {
	Curations []CurationItem `json:"curations"`
	Next      int64          `json:"next,omitempty"`
}

// Curations returns one page of the flags on current paragraphs, in the
// order they were first raised (the import's suggestions in reading
// order), with the name of who raised each and everyone who flagged it.
func (s *Store) Curations(ctx context.Context, f CurationFilter) (*CurationPage, error) {
	if err := checkList(&f.Limit, DefaultCurationLimit, MaxCurationLimit, f.After); err != nil {
		return nil, err
	}
	q := s.read(ctx).Table("curations c").
		Select("c.*, p.text, p.document_id, p.position, d.title AS document_title, fu.name AS flagged_by_name").
		Joins("JOIN paragraphs p ON p.id = c.paragraph_id").
		Joins("JOIN documents d ON d.id = p.document_id").
		Joins("LEFT JOIN users fu ON fu.id = c.flagged_by").
		Where("p.is_current = ?", true)
	if f.Status != "" {
		if !contains(curationStatuses, f.Status) {
			return nil, &Error{Code: EINVALID, Field: "status", Message: fmt.Sprintf("unknown flag status %q", f.Status), Allowed: curationStatuses}
		}
		q = q.Where("c.status = ?", f.Status)
	}
	if f.Kind != "" {
		if err := checkKind(f.Kind); err != nil {
			return nil, err
		}
		q = q.Where("c.kind = ?", f.Kind)
	}
	out, next, err := pageByID(q, "c.id", f.After, f.Limit, func(c *CurationItem) int64 { return c.ID })
	if err != nil {
		return nil, err
	}
	page := &CurationPage{Curations: out, Next: next}
	if len(out) == 0 {
		return page, nil
	}
	ids := make([]int64, len(out))
	for i := range out {
		ids[i] = out[i].ParagraphID
		out[i].Flaggers = []Flagger{}
	}
	var rows []struct {
		ParagraphID int64
		Kind        string
		Flagger
	}
	if err := s.read(ctx).Table("user_flags f").Select("f.paragraph_id, f.kind, f.user_id, u.name AS user_name, f.reason, f.created_at").
		Joins("JOIN users u ON u.id = f.user_id").Where("f.paragraph_id IN ?", uniq(ids)).Order("f.id").Scan(&rows).Error; err != nil {
		return nil, translate(err)
	}
	type key struct {
		p    int64
		kind string
	}
	at := make(map[key]int, len(out))
	for i := range out {
		at[key{out[i].ParagraphID, out[i].Kind}] = i
	}
	for _, r := range rows {
		if i, ok := at[key{r.ParagraphID, r.Kind}]; ok {
			out[i].Flaggers = append(out[i].Flaggers, r.Flagger)
		}
	}
	return page, nil
}
