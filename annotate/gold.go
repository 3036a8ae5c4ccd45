package annotate

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// GoldLabel returns the gold label of a paragraph.
func (s *Store) GoldLabel(ctx context.Context, paragraphID int64) (*Gold, error) {
	var g Gold
	if err := s.read(ctx).Where("paragraph_id = ?", paragraphID).First(&g).Error; err != nil {
		return nil, notFound(err, "paragraph %d has no gold label yet", paragraphID)
	}
	return &g, nil
}

// SetGold stores a reviewer's decision as the gold label of a paragraph,
// apart from the annotators' labels, which it never changes. version is the
// gold version being replaced (0 for the first decision); a stale version
// fails with ECONFLICT. method says how the decision was reached, such as
// "majority", "accept:NAME" or "own". Every revision is in the history.
func (s *Store) SetGold(ctx context.Context, userID, paragraphID int64, version int, labels Labels, method string) (*Gold, error) {
	method = strings.TrimSpace(method)
	if method == "" {
		method = "own"
	}
	var out Gold
	err := s.tx(ctx, func(tx *gorm.DB) error {
		sc, err := s.schemaIn(tx)
		if err != nil {
			return err
		}
		canon, err := sc.Canonical(labels)
		if err != nil {
			return err
		}
		var p Paragraph
		if err := tx.First(&p, paragraphID).Error; err != nil {
			return notFound(err, "no paragraph with id %d", paragraphID)
		}
		if !p.Current {
			return &Error{Code: ECONFLICT, Field: "paragraph", Message: fmt.Sprintf("paragraph %d belongs to an older revision of its document; reload to decide on the current text", paragraphID)}
		}
		if err := tx.Where("paragraph_id = ?", paragraphID).Limit(1).Find(&out).Error; err != nil {
			return err
		}
		if out.ID != 0 && out.Labels.Equal(canon) && out.Method == method {
			return nil
		}
		if out.Version != version {
			cur := any(nil)
			if out.ID != 0 {
				cur = out
			}
			return conflict(cur, "the gold label of paragraph %d changed since version %d (now version %d); read it again, or save with version %d to replace it", paragraphID, version, out.Version, out.Version)
		}
		before := JSON("")
		action := "create"
		if out.ID != 0 {
			before = toJSON(out.Labels)
			action = "update"
		}
		now := s.now()
		out.ParagraphID, out.Labels, out.Version, out.Method, out.DecidedBy, out.DecidedAt = paragraphID, canon, out.Version+1, method, userID, now
		if err := tx.Save(&out).Error; err != nil {
			return err
		}
		return s.record(tx, Change{At: now, UserID: userID, Entity: "gold", EntityID: out.ID, ParagraphID: paragraphID, Action: action, Before: before, After: toJSON(map[string]any{"labels": canon, "method": method})})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}
