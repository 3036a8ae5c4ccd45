package annotate

import (
	"context"
	"unicode/utf8"
)

// ParagraphText is a paragraph's id and text: what a model is asked about.
type ParagraphText struct {
	ID   int64
	Text string
}

// MaxMissingLimit bounds one page of ParagraphsWithoutSuggestions.
const MaxMissingLimit = 1000

// ParagraphsWithoutSuggestions returns up to limit current paragraphs with
// ids above after, in id order, that have no suggestion from an agent whose
// name begins with agentPrefix (give a whole agent name for one agent). It
// walks the paragraphs' primary key from after and looks each one up in
// the suggestions' (paragraph_id, dimension, agent) index, so a caller that
// passes the last id back as after walks the corpus once in all.
func (s *Store) ParagraphsWithoutSuggestions(ctx context.Context, agentPrefix string, after int64, limit int) ([]ParagraphText, error) {
	if limit < 1 || limit > MaxMissingLimit {
		return nil, Invalidf("limit", "limit must be from 1 to %d, got %d", MaxMissingLimit, limit)
	}
	var out []ParagraphText
	err := s.read(ctx).Model(&Paragraph{}).Select("id", "text").
		// The CASE keeps SQLite off idx_paragraph_reading, whose
		// is_current would have it read every current paragraph and sort
		// them on each call: the primary key from after, in order, is what
		// makes a page cost its own rows.
		Where("id > ? AND (CASE WHEN is_current THEN 1 ELSE 0 END) = 1", after).
		Where("NOT EXISTS (SELECT 1 FROM suggestions WHERE suggestions.paragraph_id = paragraphs.id AND substr(suggestions.agent, 1, ?) = ?)", utf8.RuneCountInString(agentPrefix), agentPrefix).
		Order("id").Limit(limit).Scan(&out).Error
	if out == nil {
		out = []ParagraphText{}
	}
	return out, translate(err)
}

// WithoutSuggestions returns those of the given paragraphs that are current
// and have no suggestion from an agent whose name begins with agentPrefix,
// in the order given.
func (s *Store) WithoutSuggestions(ctx context.Context, agentPrefix string, ids []int64) ([]ParagraphText, error) {
	found := map[int64]string{}
	for _, part := range chunks(uniq(ids)) {
		var rows []ParagraphText
		err := s.read(ctx).Model(&Paragraph{}).Select("id", "text").
			Where("id IN ? AND is_current = ?", part, true).
			Where("NOT EXISTS (SELECT 1 FROM suggestions WHERE suggestions.paragraph_id = paragraphs.id AND substr(suggestions.agent, 1, ?) = ?)", utf8.RuneCountInString(agentPrefix), agentPrefix).
			Scan(&rows).Error
		if err != nil {
			return nil, translate(err)
		}
		for _, r := range rows {
			found[r.ID] = r.Text
		}
	}
	out := []ParagraphText{}
	for _, id := range ids {
		if t, ok := found[id]; ok {
			out = append(out, ParagraphText{ID: id, Text: t})
			delete(found, id)
		}
	}
	return out, nil
}
