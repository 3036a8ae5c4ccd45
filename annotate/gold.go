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
// "majority", "accept:NAME" or "own". Every revision is in the history. The
// write is one statement guarded by the version, the paragraph still current
// and the schema still current (see guard.go).
func (s *Store) SetGold(ctx context.Context, userID, paragraphID int64, version int, labels Labels, method string) (*Gold, error) {
	method = strings.TrimSpace(method)
	if method == "" {
		method = "own"
	}
	if version < 0 {
		return nil, Invalidf("version", "version must be 0 (the first decision) or the gold version you last read")
	}
	for attempt := range maxGuardRetries {
		g, err := s.setGoldOnce(ctx, userID, paragraphID, version, labels, method, attempt > 0)
		if !retryable(err) {
			return g, err
		}
	}
	return nil, &Error{Code: ECONFLICT, Field: "paragraph", Message: fmt.Sprintf("paragraph %d kept changing while the gold label was written (a re-import or schema change); decide again", paragraphID)}
}

// setGoldOnce is one guarded try of SetGold; errStale when the guard fails.
func (s *Store) setGoldOnce(ctx context.Context, userID, paragraphID int64, version int, labels Labels, method string, fresh bool) (*Gold, error) {
	sc, err := s.currentSchema(ctx, fresh)
	if err != nil {
		return nil, err
	}
	canon, err := sc.Canonical(labels)
	if err != nil {
		return nil, err
	}
	var p Paragraph
	if err := s.read(ctx).Select("id", "is_current").First(&p, paragraphID).Error; err != nil {
		return nil, notFound(err, "no paragraph with id %d", paragraphID)
	}
	if !p.Current {
		return nil, staleParagraph(paragraphID, "decide on")
	}
	var out Gold
	if err := s.read(ctx).Where("paragraph_id = ?", paragraphID).Limit(1).Find(&out).Error; err != nil {
		return nil, translate(err)
	}
	if out.ID != 0 && out.Labels.Equal(canon) && out.Method == method {
		return &out, nil
	}
	if out.Version != version {
		cur := any(nil)
		if out.ID != 0 {
			cur = out
		}
		return nil, conflict(cur, "the gold label of paragraph %d changed since version %d (now version %d); read it again, or save with version %d to replace it", paragraphID, version, out.Version, out.Version)
	}
	before := JSON("")
	action := "create"
	if out.ID != 0 {
		before = toJSON(out.Labels)
		action = "update"
	}
	now := s.now()
	prevID, prevVersion := out.ID, out.Version
	out.ParagraphID, out.Labels, out.Version, out.Method, out.DecidedBy, out.DecidedAt = paragraphID, canon, prevVersion+1, method, userID, now
	labelsJSON := string(toJSON(canon))
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if prevID == 0 {
			id, err := s.insertGuarded(tx, s.stmt.goldInsert, paragraphID, labelsJSON, out.Version, method, userID, now, sc.Version, paragraphID, true)
			if err != nil {
				return err
			}
			out.ID = id
		} else {
			n, err := s.exec(tx, s.stmt.goldUpdate, labelsJSON, out.Version, method, userID, now, prevID, prevVersion, sc.Version, paragraphID, true)
			if err != nil {
				return err
			}
			if n != 1 {
				return errStale
			}
		}
		return s.record(tx, Change{At: now, UserID: userID, Entity: "gold", EntityID: out.ID, ParagraphID: paragraphID, Action: action, Before: before, After: toJSON(map[string]any{"labels": canon, "method": method})})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}
