package annotate

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"gorm.io/gorm"
)

// QueueOrder is the order the queue hands paragraphs out in.
type QueueOrder string

// The queue orders.
const (
	// QueueReading hands out paragraphs document by document, paragraph by
	// paragraph.
	QueueReading QueueOrder = "reading"
	// QueueUncertain hands out first the paragraphs whose suggestions the
	// model is least sure of (the smallest margin, see Paragraph.Margin),
	// then those without suggestions in reading order: active learning,
	// each label where it teaches the model most.
	QueueUncertain QueueOrder = "uncertain"
	// QueueDisagreement hands out first the paragraphs the annotators who
	// labelled them dispute most (see Disputed), then the others in
	// reading order: with an overlap of three or more, the tie-breaking
	// label goes where it is needed.
	QueueDisagreement QueueOrder = "disagreement"
)

// QueueOrders lists the orders.
var QueueOrders = []string{string(QueueReading), string(QueueUncertain), string(QueueDisagreement)}

// SettingQueueOrder is the setting that holds the QueueOrder.
const SettingQueueOrder = "queue_order"

// DefaultQueueOrder is the order until an admin sets one.
const DefaultQueueOrder = QueueReading

// ParseQueueOrder returns the order named s, or an EINVALID error listing
// the orders.
func ParseQueueOrder(s string) (QueueOrder, error) {
	if !slices.Contains(QueueOrders, s) {
		return "", &Error{Code: EINVALID, Field: SettingQueueOrder, Message: fmt.Sprintf("unknown queue order %q", s), Allowed: QueueOrders}
	}
	return QueueOrder(s), nil
}

// QueueOrder returns the order the queue hands paragraphs out in.
func (s *Store) QueueOrder(ctx context.Context) (QueueOrder, error) {
	var st Setting
	if err := s.read(ctx).Where("name = ?", SettingQueueOrder).Limit(1).Find(&st).Error; err != nil {
		return "", translate(err)
	}
	o, err := ParseQueueOrder(st.Value)
	if err != nil {
		return DefaultQueueOrder, nil
	}
	return o, nil
}

// SetQueueOrder sets the order the queue hands paragraphs out in, and
// records the change in the history. It changes no paragraph: the next
// request of every annotator follows it.
func (s *Store) SetQueueOrder(ctx context.Context, by int64, order string) error {
	o, err := ParseQueueOrder(order)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		var old Setting
		if err := tx.Where("name = ?", SettingQueueOrder).Limit(1).Find(&old).Error; err != nil {
			return err
		}
		if err := tx.Save(&Setting{Key: SettingQueueOrder, Value: string(o)}).Error; err != nil {
			return err
		}
		return s.record(tx, Change{UserID: by, Entity: "setting", Action: "set", Before: toJSON(map[string]string{SettingQueueOrder: old.Value}), After: toJSON(map[string]string{SettingQueueOrder: string(o)})})
	})
}

// NoMargin is the margin of a paragraph without suggestions: more than any
// real margin (0 to 1), so that in uncertain order such paragraphs come
// after every suggested one, in reading order. A number rather than NULL
// keeps one ORDER BY, and one index, right on both databases, which sort
// NULL at opposite ends.
const NoMargin = 2.0

// EffectiveMargin is the margin a suggestion counts with in uncertain
// order: the one it gives, or else the bound its score sets. A single
// dimension's top value at probability p leaves at most 1 − p to the
// second, so the margin is at least 2p − 1; for a multi dimension's set
// the same bound is taken. A score of ½ or less bounds nothing: 0, as
// uncertain as can be.
func EffectiveMargin(margin *float64, score float64) float64 {
	if margin != nil {
		return *margin
	}
	return math.Max(0, 2*score-1)
}

// marginRow is what paragraphMargins needs of a stored suggestion.
type marginRow struct {
	ParagraphID int64
	Dimension   string
	Margin      *float64
	Score       float64
	CreatedAt   time.Time
}

// setParagraphMargins sets, inside the transaction that stored suggestions
// for the paragraphs pids, each one's Margin: the smallest, over its
// dimensions, of the effective margin of the dimension's newest
// suggestion (by created_at, which a replacement renews; among several
// agents' suggestions written at once, the smallest). The paragraphs' suggestions are a few per
// dimension, read by the suggestions' key index.
func setParagraphMargins(tx *gorm.DB, pids []int64) error {
	for _, part := range chunks(pids) {
		var rows []marginRow
		if err := tx.Model(&Suggestion{}).Select("paragraph_id, dimension, margin, score, created_at").Where("paragraph_id IN ?", part).Order("paragraph_id, dimension, created_at DESC").Scan(&rows).Error; err != nil {
			return err
		}
		type key struct {
			pid int64
			dim string
		}
		newest := map[key]float64{}
		seen := map[key]time.Time{}
		for _, r := range rows {
			k := key{r.ParagraphID, r.Dimension}
			m := EffectiveMargin(r.Margin, r.Score)
			if at, ok := seen[k]; !ok {
				seen[k], newest[k] = r.CreatedAt, m
			} else if r.CreatedAt.Equal(at) {
				newest[k] = math.Min(newest[k], m)
			}
		}
		margin := make(map[int64]float64, len(part))
		for k, m := range newest {
			if old, ok := margin[k.pid]; !ok || m < old {
				margin[k.pid] = m
			}
		}
		// One statement per chunk: a CASE over the paragraphs' ids, cast
		// so that PostgreSQL types the parameters.
		q := "UPDATE paragraphs SET queue_margin = CASE id"
		args := make([]any, 0, 3*len(margin))
		ids := make([]int64, 0, len(margin))
		for _, pid := range part {
			m, ok := margin[pid]
			if !ok {
				m = NoMargin
			}
			q += " WHEN ? THEN CAST(? AS DOUBLE PRECISION)"
			args = append(args, pid, m)
			ids = append(ids, pid)
		}
		q += " END WHERE id IN ?"
		if err := tx.Exec(q, append(args, ids)...).Error; err != nil {
			return err
		}
	}
	return nil
}
