package annotate

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Suggestion is a model's answer for one dimension of one paragraph. It is
// kept apart from the annotations: it is nobody's label, and agreement,
// consensus, gold and the exported annotations never read this table. A new
// suggestion from the same agent for the same paragraph and dimension
// replaces the old one.
type Suggestion struct {
	ID          int64      `gorm:"primaryKey" json:"id"`
	ParagraphID int64      `gorm:"not null;uniqueIndex:idx_suggestion_key,priority:1" json:"paragraph_id"`
	Paragraph   *Paragraph `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	Dimension   string     `gorm:"size:40;not null;uniqueIndex:idx_suggestion_key,priority:2" json:"dimension"`
	// Agent names the model and its version, such as my-model@3.
	Agent string `gorm:"size:200;not null;uniqueIndex:idx_suggestion_key,priority:3" json:"agent"`
	// Values holds one value for a single or open dimension, a sorted set
	// for a multi one, in the schema's keys.
	Values Values  `gorm:"column:value_set;type:text;not null" json:"values"`
	Score  float64 `gorm:"not null" json:"score"`
	// Margin is the model's gap between its two most probable values, as
	// given (see SuggestionInput.Margin); nil when none was.
	Margin *float64 `json:"margin,omitempty"`
	// CreatedBy is the user who sent it (0 for the command line).
	CreatedBy int64     `gorm:"not null;default:0" json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// SuggestionShown records what suggestion an annotator was shown for one
// dimension when they saved an annotation, and whether the saved value
// equals it, so that accept rates can be measured. It is keyed by the
// annotation and the version the save wrote.
type SuggestionShown struct {
	ID           int64       `gorm:"primaryKey" json:"-"`
	AnnotationID int64       `gorm:"not null;uniqueIndex:idx_shown_key,priority:1" json:"annotation_id"`
	Annotation   *Annotation `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	Version      int         `gorm:"not null;uniqueIndex:idx_shown_key,priority:2" json:"version"`
	Dimension    string      `gorm:"size:40;not null;uniqueIndex:idx_shown_key,priority:3" json:"dimension"`
	UserID       int64       `gorm:"not null" json:"user_id"`
	ParagraphID  int64       `gorm:"not null;index" json:"paragraph_id"`
	Agent        string      `gorm:"size:200;not null" json:"agent"`
	Values       Values      `gorm:"column:value_set;type:text;not null" json:"values"`
	Score        float64     `gorm:"not null" json:"score"`
	// Mode is the page's suggestions setting when it was shown: hint or
	// prefill.
	Mode      string    `gorm:"size:20;not null" json:"mode"`
	Accepted  bool      `gorm:"not null" json:"accepted"`
	CreatedAt time.Time `json:"created_at"`
}

// TableName keeps the records in a table called suggestions_shown.
func (SuggestionShown) TableName() string { return "suggestions_shown" }

func init() { models = append(models, &Suggestion{}, &SuggestionShown{}) }

// Values is a list of label values kept as a JSON array in a text column.
type Values []string

// Value implements driver.Valuer.
func (v Values) Value() (driver.Value, error) {
	if v == nil {
		return "[]", nil
	}
	b, err := json.Marshal([]string(v))
	return string(b), err
}

// Scan implements sql.Scanner.
func (v *Values) Scan(src any) error {
	var b []byte
	switch x := src.(type) {
	case nil:
		*v = Values{}
		return nil
	case string:
		b = []byte(x)
	case []byte:
		b = x
	default:
		return fmt.Errorf("annotate: cannot scan %T into Values", src)
	}
	var out []string
	if err := json.Unmarshal(b, &out); err != nil {
		return fmt.Errorf("annotate: stored values are not a JSON array: %w", err)
	}
	*v = out
	return nil
}

// SuggestionMode says what the annotation page does with suggestions.
type SuggestionMode string

// The suggestion modes.
const (
	// SuggestionsOff shows none: the page and the annotator's API carry none.
	SuggestionsOff SuggestionMode = "off"
	// SuggestionsHint marks the suggested option with the model's score.
	SuggestionsHint SuggestionMode = "hint"
	// SuggestionsPrefill also selects it; the annotator still confirms.
	SuggestionsPrefill SuggestionMode = "prefill"
)

// SuggestionModes lists the modes.
var SuggestionModes = []string{string(SuggestionsOff), string(SuggestionsHint), string(SuggestionsPrefill)}

// SettingSuggestions is the setting that holds the SuggestionMode.
const SettingSuggestions = "suggestions"

// DefaultSuggestionMode is the mode until an admin sets one: a hint, which
// never selects anything for the annotator.
const DefaultSuggestionMode = SuggestionsHint

// ParseSuggestionMode returns the mode named s, or an EINVALID error
// listing the modes.
func ParseSuggestionMode(s string) (SuggestionMode, error) {
	if !slices.Contains(SuggestionModes, s) {
		return "", &Error{Code: EINVALID, Field: SettingSuggestions, Message: fmt.Sprintf("unknown suggestions setting %q", s), Allowed: SuggestionModes}
	}
	return SuggestionMode(s), nil
}

// SuggestionMode returns what the annotation page does with suggestions.
func (s *Store) SuggestionMode(ctx context.Context) (SuggestionMode, error) {
	var st Setting
	if err := s.read(ctx).Where("name = ?", SettingSuggestions).Limit(1).Find(&st).Error; err != nil {
		return "", translate(err)
	}
	m, err := ParseSuggestionMode(st.Value)
	if err != nil {
		return DefaultSuggestionMode, nil
	}
	return m, nil
}

// SetSuggestionMode sets what the annotation page does with suggestions,
// and records the change in the history.
func (s *Store) SetSuggestionMode(ctx context.Context, by int64, mode string) error {
	m, err := ParseSuggestionMode(mode)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		var old Setting
		if err := tx.Where("name = ?", SettingSuggestions).Limit(1).Find(&old).Error; err != nil {
			return err
		}
		if err := tx.Save(&Setting{Key: SettingSuggestions, Value: string(m)}).Error; err != nil {
			return err
		}
		return s.record(tx, Change{UserID: by, Entity: "setting", Action: "set", Before: toJSON(map[string]string{SettingSuggestions: old.Value}), After: toJSON(map[string]string{SettingSuggestions: string(m)})})
	})
}

// SuggestionInput is one suggestion to store. It names its paragraph in one
// of three ways: ParagraphID; DocumentKey and Position (the current
// paragraph at that place); or TextHash (paragraphs.hash, the SHA-256 of
// the text), which stands for every current paragraph with that text, or
// only those of DocumentKey when it is given too.
type SuggestionInput struct {
	ParagraphID int64  `json:"paragraph_id,omitempty"`
	DocumentKey string `json:"document_key,omitempty"`
	Position    *int   `json:"position,omitempty"`
	TextHash    string `json:"text_hash,omitempty"`
	Dimension   string `json:"dimension"`
	// Value is the value of a single or open dimension; Values the set of
	// a multi one. Either may be given for either kind when it holds one
	// value.
	Value  *string  `json:"value,omitempty"`
	Values []string `json:"values,omitempty"`
	// Score is the model's confidence, from 0 to 1.
	Score *float64 `json:"score"`
	// Margin, optional, is how far the model's top value is ahead of the
	// next, from 0 (a toss-up) to 1: for a single or open dimension the
	// top probability minus the second, for a multi one the smallest
	// |2p − 1| over its categories (learn.Margins). The queue's uncertain
	// order hands out the smallest first; without it a suggestion counts
	// with the bound its score sets (see EffectiveMargin).
	Margin *float64 `json:"margin,omitempty"`
	// Agent names the model and version, such as my-model@3.
	Agent string `json:"agent"`
	// Ref names the input in errors, such as "line 3"; "" means
	// "suggestions[i]".
	Ref string `json:"-"`
}

// SuggestionError is the problem with one input of PutSuggestions.
type SuggestionError struct {
	// Item is the input's index, Ref its name (see SuggestionInput.Ref).
	Item    int    `json:"item"`
	Ref     string `json:"ref"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// Error formats the problem as ref: field: message.
func (e SuggestionError) Error() string {
	if e.Field == "" {
		return e.Ref + ": " + e.Message
	}
	return e.Ref + ": " + e.Field + ": " + e.Message
}

// SuggestionReport says what PutSuggestions did: how many suggestions it
// created and replaced, or, when Errors is not empty, why it stored none.
type SuggestionReport struct {
	Inputs   int               `json:"inputs"`
	Created  int               `json:"created"`
	Replaced int               `json:"replaced"`
	Errors   []SuggestionError `json:"errors"`
}

// MaxAgentLen is the longest agent name, in characters.
const MaxAgentLen = 200

// maxSuggestionErrors is how many problems a report lists before it stops
// looking.
const maxSuggestionErrors = 100

// suggestionChunk is how many ids or rows one statement carries, well
// below either database's limit on parameters.
const suggestionChunk = 400

// PutSuggestions stores suggestions, all or none: every input is checked
// first (its paragraph found, its dimension and values in the current
// schema, a score from 0 to 1, a margin from 0 to 1 if given, an agent), and if any is wrong the report
// lists each problem by the input's name and nothing is stored; the error
// is then EINVALID. Otherwise all are written in one transaction, each
// replacing the one the same agent gave for the same paragraph and
// dimension. Two inputs for the same paragraph, dimension and agent: the
// later one wins. The same transaction sets each paragraph's Margin, which
// the queue's uncertain order reads.
func (s *Store) PutSuggestions(ctx context.Context, by int64, in []SuggestionInput) (*SuggestionReport, error) {
	rep := &SuggestionReport{Inputs: len(in), Errors: []SuggestionError{}}
	sc, err := s.Schema(ctx)
	if err != nil {
		return nil, err
	}
	fail := func(i int, field, format string, args ...any) {
		if len(rep.Errors) >= maxSuggestionErrors {
			return
		}
		ref := in[i].Ref
		if ref == "" {
			ref = fmt.Sprintf("suggestions[%d]", i)
		}
		rep.Errors = append(rep.Errors, SuggestionError{Item: i, Ref: ref, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	ok := make([]checkedSuggestion, len(in))
	valid := make([]bool, len(in))
	for i := range in {
		c, field, msg := checkSuggestion(sc, &in[i])
		if msg != "" {
			fail(i, field, "%s", msg)
			continue
		}
		ok[i], valid[i] = c, true
	}
	targets, err := s.resolveSuggestionTargets(ctx, in, valid, fail)
	if err != nil {
		return nil, err
	}
	if len(rep.Errors) > 0 {
		sort.SliceStable(rep.Errors, func(i, j int) bool { return rep.Errors[i].Item < rep.Errors[j].Item })
		return rep, Errorf(EINVALID, "%d of %d suggestion(s) are wrong; nothing was stored", countItems(rep.Errors), len(in))
	}
	now := s.now()
	type key struct {
		pid        int64
		dim, agent string
	}
	rows := map[key]*Suggestion{}
	var order []key
	for i := range in {
		for _, pid := range targets[i] {
			k := key{pid, in[i].Dimension, ok[i].agent}
			if _, seen := rows[k]; !seen {
				order = append(order, k)
			}
			rows[k] = &Suggestion{ParagraphID: pid, Dimension: k.dim, Agent: k.agent, Values: ok[i].values, Score: ok[i].score, Margin: ok[i].margin, CreatedBy: by, CreatedAt: now}
		}
	}
	pids := make([]int64, 0, len(order))
	seenPid := map[int64]bool{}
	for _, k := range order {
		if !seenPid[k.pid] {
			seenPid[k.pid] = true
			pids = append(pids, k.pid)
		}
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		existing := map[key]bool{}
		for start := 0; start < len(pids); start += suggestionChunk {
			var have []Suggestion
			if err := tx.Select("paragraph_id", "dimension", "agent").Where("paragraph_id IN ?", pids[start:min(start+suggestionChunk, len(pids))]).Find(&have).Error; err != nil {
				return err
			}
			for _, h := range have {
				existing[key{h.ParagraphID, h.Dimension, h.Agent}] = true
			}
		}
		batch := make([]Suggestion, 0, min(len(order), suggestionChunk/8))
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			err := tx.Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "paragraph_id"}, {Name: "dimension"}, {Name: "agent"}},
				DoUpdates: clause.AssignmentColumns([]string{"value_set", "score", "margin", "created_by", "created_at"}),
			}).Create(&batch).Error
			batch = batch[:0]
			return err
		}
		for _, k := range order {
			if existing[k] {
				rep.Replaced++
			} else {
				rep.Created++
			}
			batch = append(batch, *rows[k])
			if len(batch) == cap(batch) {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := flush(); err != nil {
			return err
		}
		if err := setParagraphMargins(tx, pids); err != nil {
			return err
		}
		// No history row: suggestions are nobody's labels, and the
		// history's newest id is the data version that the cached
		// agreement and consensus are keyed by (see DataVersion), which a
		// model's batch must not move. The report's models have their
		// own version.
		return bumpSuggestionsVersion(tx)
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// CheckSuggestion checks one suggestion's dimension, values, score and
// agent against the schema, as PutSuggestions does, without looking for its
// paragraph: a file's reader checks its lines with it before storing
// anything.
func (s *Schema) CheckSuggestion(in SuggestionInput) error {
	if _, field, msg := checkSuggestion(s, &in); msg != "" {
		return Invalidf(field, "%s", msg)
	}
	return nil
}

// checkedSuggestion is an input checked against the schema.
type checkedSuggestion struct {
	values Values
	score  float64
	margin *float64
	agent  string
}

func countItems(errs []SuggestionError) int {
	seen := map[int]bool{}
	for _, e := range errs {
		seen[e.Item] = true
	}
	return len(seen)
}

// checkSuggestion checks one input against the schema: it returns the
// values in canonical form, or the field and message of the problem.
func checkSuggestion(sc *Schema, in *SuggestionInput) (checkedSuggestion, string, string) {
	var none checkedSuggestion
	agent := strings.TrimSpace(in.Agent)
	switch {
	case agent == "":
		return none, "agent", "give the agent: the model's name and version, such as my-model@3"
	case utf8.RuneCountInString(agent) > MaxAgentLen:
		return none, "agent", fmt.Sprintf("an agent has at most %d characters", MaxAgentLen)
	}
	if err := CheckText("agent", agent, false); err != nil {
		return none, "agent", ErrorMessage(err)
	}
	if in.Score == nil {
		return none, "score", "give the model's score, a number from 0 to 1"
	}
	if *in.Score < 0 || *in.Score > 1 || *in.Score != *in.Score {
		return none, "score", fmt.Sprintf("the score must be from 0 to 1, got %v", *in.Score)
	}
	if m := in.Margin; m != nil && (*m < 0 || *m > 1 || *m != *m) {
		return none, "margin", fmt.Sprintf("the margin must be from 0 to 1 (the top probability minus the second), got %v; or leave it out", *m)
	}
	if in.Dimension == "" {
		return none, "dimension", fmt.Sprintf("give the dimension (one of %s)", strings.Join(sc.Names(), ", "))
	}
	d, ok := sc.Dimension(in.Dimension)
	if !ok {
		return none, "dimension", fmt.Sprintf("unknown dimension %q (allowed: %s)", in.Dimension, strings.Join(sc.Names(), ", "))
	}
	raw := in.Values
	if in.Value != nil {
		if in.Values != nil {
			return none, "values", "give value or values, not both"
		}
		raw = []string{*in.Value}
	}
	if len(raw) == 0 {
		if d.Kind == KindMulti {
			return none, "values", fmt.Sprintf("give the values %s suggests, such as \"values\": [%q]", in.Dimension, firstOf(d.Keys()))
		}
		return none, "value", fmt.Sprintf("give the value %s suggests, such as \"value\": %q", in.Dimension, firstOf(d.Keys()))
	}
	var keys []string
	for _, v := range raw {
		if err := CheckText("value", v, false); err != nil {
			return none, "value", ErrorMessage(err)
		}
		k, ok := d.Resolve(v)
		if !ok {
			if d.Kind == KindOpen {
				return none, "value", fmt.Sprintf("%s takes a non-empty value of at most %d characters", in.Dimension, MaxOpenValueLen)
			}
			return none, "value", fmt.Sprintf("%q is not a value of %s (allowed: %s)", v, in.Dimension, strings.Join(d.Keys(), ", "))
		}
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	if d.Kind != KindMulti && len(keys) > 1 {
		return none, "values", fmt.Sprintf("%s takes one value, got %d", in.Dimension, len(keys))
	}
	sort.Strings(keys)
	in.Agent = agent
	return checkedSuggestion{values: keys, score: *in.Score, margin: in.Margin, agent: agent}, "", ""
}

func firstOf(xs []string) string {
	if len(xs) == 0 {
		return "value"
	}
	return xs[0]
}

// resolveSuggestionTargets finds the paragraphs each valid input names,
// reporting through fail those that name none.
func (s *Store) resolveSuggestionTargets(ctx context.Context, in []SuggestionInput, valid []bool, fail func(int, string, string, ...any)) ([][]int64, error) {
	out := make([][]int64, len(in))
	var ids []int64
	keys := map[string]bool{}
	hashes := map[string]bool{}
	for i := range in {
		if !valid[i] {
			continue
		}
		x := &in[i]
		switch {
		case x.ParagraphID != 0:
			if x.DocumentKey != "" || x.Position != nil || x.TextHash != "" {
				fail(i, "paragraph_id", "name the paragraph one way: paragraph_id, document_key and position, or text_hash")
				valid[i] = false
				continue
			}
			ids = append(ids, x.ParagraphID)
		case x.TextHash != "":
			if x.Position != nil {
				fail(i, "text_hash", "name the paragraph one way: text_hash (with document_key or without), or document_key and position")
				valid[i] = false
				continue
			}
			x.TextHash = strings.ToLower(strings.TrimSpace(x.TextHash))
			hashes[x.TextHash] = true
			if x.DocumentKey != "" {
				keys[x.DocumentKey] = true
			}
		case x.DocumentKey != "" && x.Position != nil:
			keys[x.DocumentKey] = true
		case x.DocumentKey != "":
			fail(i, "position", "give the paragraph's position in document %q (0 for the first) or its text_hash", x.DocumentKey)
			valid[i] = false
		default:
			fail(i, "paragraph_id", "name the paragraph: paragraph_id, document_key and position, or text_hash")
			valid[i] = false
		}
	}
	db := s.read(ctx)
	current := map[int64]bool{}
	for _, part := range chunks(uniq(ids)) {
		var ps []Paragraph
		if err := db.Select("id", "is_current").Where("id IN ?", part).Find(&ps).Error; err != nil {
			return nil, translate(err)
		}
		for _, p := range ps {
			current[p.ID] = p.Current
		}
	}
	docIDs := map[string]int64{}
	keyList := make([]string, 0, len(keys))
	for k := range keys {
		keyList = append(keyList, k)
	}
	for _, part := range chunks(keyList) {
		var ds []Document
		if err := db.Select("id", "doc_key").Where("doc_key IN ?", part).Find(&ds).Error; err != nil {
			return nil, translate(err)
		}
		for _, d := range ds {
			docIDs[d.Key] = d.ID
		}
	}
	// The current paragraphs of the named documents, by place, and of the
	// named hashes.
	type place struct {
		doc int64
		pos int
	}
	byPlace := map[place]int64{}
	var docList []int64
	for _, id := range docIDs {
		docList = append(docList, id)
	}
	for _, part := range chunks(docList) {
		var ps []Paragraph
		if err := db.Select("id", "document_id", "position").Where("document_id IN ? AND is_current = ?", part, true).Find(&ps).Error; err != nil {
			return nil, translate(err)
		}
		for _, p := range ps {
			byPlace[place{p.DocumentID, p.Position}] = p.ID
		}
	}
	type hashHit struct {
		id, doc int64
	}
	byHash := map[string][]hashHit{}
	hashList := make([]string, 0, len(hashes))
	for h := range hashes {
		hashList = append(hashList, h)
	}
	for _, part := range chunks(hashList) {
		var ps []Paragraph
		if err := db.Select("id", "document_id", "hash").Where("hash IN ? AND is_current = ?", part, true).Order("id").Find(&ps).Error; err != nil {
			return nil, translate(err)
		}
		for _, p := range ps {
			byHash[p.Hash] = append(byHash[p.Hash], hashHit{p.ID, p.DocumentID})
		}
	}
	for i := range in {
		if !valid[i] {
			continue
		}
		x := &in[i]
		switch {
		case x.ParagraphID != 0:
			cur, found := current[x.ParagraphID]
			switch {
			case !found:
				fail(i, "paragraph_id", "no paragraph with id %d", x.ParagraphID)
			case !cur:
				fail(i, "paragraph_id", "paragraph %d belongs to an older revision of its document; suggest for the current text", x.ParagraphID)
			default:
				out[i] = []int64{x.ParagraphID}
			}
		case x.TextHash != "":
			var doc int64
			if x.DocumentKey != "" {
				if doc = docIDs[x.DocumentKey]; doc == 0 {
					fail(i, "document_key", "no document with key %q", x.DocumentKey)
					continue
				}
			}
			for _, h := range byHash[x.TextHash] {
				if doc == 0 || h.doc == doc {
					out[i] = append(out[i], h.id)
				}
			}
			if len(out[i]) == 0 {
				where := ""
				if doc != 0 {
					where = fmt.Sprintf(" in document %q", x.DocumentKey)
				}
				fail(i, "text_hash", "no current paragraph%s has text hash %q (the hex SHA-256 of the paragraph's text, as the Excel export's text_sha256 column gives it)", where, x.TextHash)
			}
		default:
			doc := docIDs[x.DocumentKey]
			if doc == 0 {
				fail(i, "document_key", "no document with key %q", x.DocumentKey)
				continue
			}
			id, found := byPlace[place{doc, *x.Position}]
			if !found {
				fail(i, "position", "document %q has no current paragraph at position %d (positions count from 0)", x.DocumentKey, *x.Position)
				continue
			}
			out[i] = []int64{id}
		}
	}
	return out, nil
}

func chunks[T any](xs []T) [][]T {
	var out [][]T
	for start := 0; start < len(xs); start += suggestionChunk {
		out = append(out, xs[start:min(start+suggestionChunk, len(xs))])
	}
	return out
}

// Suggestions returns the suggestions for the given paragraphs, by
// paragraph id, each paragraph's ordered by dimension, then highest score
// first, then agent: what the annotation page shows beside its paragraphs.
func (s *Store) Suggestions(ctx context.Context, paragraphIDs []int64) (map[int64][]Suggestion, error) {
	out := make(map[int64][]Suggestion, len(paragraphIDs))
	for _, part := range chunks(uniq(paragraphIDs)) {
		var rows []Suggestion
		if err := s.read(ctx).Where("paragraph_id IN ?", part).Order("paragraph_id, dimension, score DESC, agent").Find(&rows).Error; err != nil {
			return nil, translate(err)
		}
		for _, r := range rows {
			out[r.ParagraphID] = append(out[r.ParagraphID], r)
		}
	}
	return out, nil
}

// DefaultSuggestionLimit and MaxSuggestionLimit bound a page of suggestions.
const (
	DefaultSuggestionLimit = 100
	MaxSuggestionLimit     = 1000
)

// SuggestionQuery asks for one page of suggestions.
type SuggestionQuery struct {
	// Limit is the most suggestions returned (1 to MaxSuggestionLimit; 0
	// means DefaultSuggestionLimit).
	Limit int
	// After is the cursor: the id of the last suggestion of the page
	// before, or 0 for the first page.
	After int64
	// Agent, Dimension and ParagraphID keep only the suggestions that
	// match them, when set.
	Agent       string
	Dimension   string
	ParagraphID int64
}

// SuggestionPage is one page of suggestions in the order they were first
// stored. Next is the cursor of the page after, 0 when this is the last.
type SuggestionPage struct {
	Suggestions []Suggestion `json:"suggestions"`
	Next        int64        `json:"next,omitempty"`
}

// SuggestionPage returns one page of suggestions.
func (s *Store) SuggestionPage(ctx context.Context, q SuggestionQuery) (*SuggestionPage, error) {
	if q.Limit == 0 {
		q.Limit = DefaultSuggestionLimit
	}
	if q.Limit < 1 || q.Limit > MaxSuggestionLimit {
		return nil, Invalidf("limit", "limit must be from 1 to %d, got %d", MaxSuggestionLimit, q.Limit)
	}
	if q.After < 0 {
		return nil, Invalidf("next", "the cursor must be a suggestion id from a page's next, got %d", q.After)
	}
	db := s.read(ctx).Where("id > ?", q.After)
	if q.Agent != "" {
		db = db.Where("agent = ?", q.Agent)
	}
	if q.Dimension != "" {
		db = db.Where("dimension = ?", q.Dimension)
	}
	if q.ParagraphID != 0 {
		db = db.Where("paragraph_id = ?", q.ParagraphID)
	}
	var rows []Suggestion
	if err := db.Order("id").Limit(q.Limit + 1).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	page := &SuggestionPage{Suggestions: rows}
	if len(rows) > q.Limit {
		page.Suggestions = rows[:q.Limit]
		page.Next = rows[q.Limit-1].ID
	}
	return page, nil
}

// ShownInput is what the annotation page showed for one dimension of the
// paragraph an annotation saves.
type ShownInput struct {
	Dimension string   `json:"dimension"`
	Agent     string   `json:"agent"`
	Values    []string `json:"values"`
	Score     float64  `json:"score"`
}

// CheckShown checks what a save says the page showed against the current
// schema, so that a save can be refused before its labels are written.
func (s *Store) CheckShown(ctx context.Context, shown []ShownInput) error {
	if len(shown) == 0 {
		return nil
	}
	sc, err := s.Schema(ctx)
	if err != nil {
		return err
	}
	_, err = shownRows(sc, shown)
	return err
}

// shownRows checks shown against sc and returns its rows, with the values
// in canonical form and no annotation yet.
func shownRows(sc *Schema, shown []ShownInput) ([]SuggestionShown, error) {
	rows := make([]SuggestionShown, 0, len(shown))
	seen := map[string]bool{}
	for _, x := range shown {
		d, ok := sc.Dimension(x.Dimension)
		if !ok {
			return nil, &Error{Code: EINVALID, Field: "suggestion_shown", Message: fmt.Sprintf("unknown dimension %q", x.Dimension), Allowed: sc.Names()}
		}
		if seen[d.Name] {
			return nil, Invalidf("suggestion_shown", "dimension %s is named twice", d.Name)
		}
		seen[d.Name] = true
		field := "suggestion_shown." + d.Name
		agent := strings.TrimSpace(x.Agent)
		if agent == "" || utf8.RuneCountInString(agent) > MaxAgentLen {
			return nil, Invalidf(field+".agent", "give the agent of the suggestion shown (1 to %d characters)", MaxAgentLen)
		}
		if err := CheckText(field+".agent", agent, false); err != nil {
			return nil, err
		}
		if x.Score < 0 || x.Score > 1 {
			return nil, Invalidf(field+".score", "the score must be from 0 to 1, got %v", x.Score)
		}
		vals := Values{}
		for _, v := range x.Values {
			if err := CheckText(field+".values", v, false); err != nil {
				return nil, err
			}
			k, ok := d.Resolve(v)
			if !ok {
				return nil, &Error{Code: EINVALID, Field: field + ".values", Message: fmt.Sprintf("%q is not a value of %s", v, d.Name), Allowed: d.Keys()}
			}
			if !slices.Contains(vals, k) {
				vals = append(vals, k)
			}
		}
		if len(vals) == 0 {
			return nil, Invalidf(field+".values", "give the values of the suggestion shown")
		}
		if d.Kind != KindMulti && len(vals) > 1 {
			return nil, Invalidf(field+".values", "%s takes one value, got %d", d.Name, len(vals))
		}
		sort.Strings(vals)
		rows = append(rows, SuggestionShown{Dimension: d.Name, Agent: agent, Values: vals, Score: x.Score})
	}
	return rows, nil
}

// RecordShown keeps what suggestions the annotator saw when they saved a,
// one row per dimension, with whether the saved value of the dimension
// equals the one suggested. mode is the page's setting when it showed them.
// An input that does not fit the schema is refused with EINVALID.
func (s *Store) RecordShown(ctx context.Context, a *Annotation, mode SuggestionMode, shown []ShownInput) error {
	if len(shown) == 0 {
		return nil
	}
	if mode != SuggestionsHint && mode != SuggestionsPrefill {
		return Invalidf("suggestion_shown", "no suggestions are shown while the suggestions setting is %q", mode)
	}
	sc, err := s.Schema(ctx)
	if err != nil {
		return err
	}
	rows, err := shownRows(sc, shown)
	if err != nil {
		return err
	}
	now := s.now()
	for i := range rows {
		r := &rows[i]
		r.AnnotationID, r.Version, r.UserID, r.ParagraphID = a.ID, a.Version, a.UserID, a.ParagraphID
		r.Mode, r.CreatedAt = string(mode), now
		r.Accepted = slices.Equal([]string(r.Values), a.Labels[r.Dimension])
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		// A retried save records again what the first one did.
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "annotation_id"}, {Name: "version"}, {Name: "dimension"}},
			DoUpdates: clause.AssignmentColumns([]string{"agent", "value_set", "score", "mode", "accepted"}),
		}).Create(&rows).Error
	})
}

// ShownOf returns what was recorded as shown for an annotation's saves,
// oldest version first.
func (s *Store) ShownOf(ctx context.Context, annotationID int64) ([]SuggestionShown, error) {
	var out []SuggestionShown
	err := s.read(ctx).Where("annotation_id = ?", annotationID).Order("version, dimension").Find(&out).Error
	return out, translate(err)
}

// AcceptRate is how often annotators saved the value a model suggested.
type AcceptRate struct {
	Agent     string `json:"agent"`
	Dimension string `json:"dimension"`
	Mode      string `json:"mode"`
	Shown     int64  `json:"shown"`
	Accepted  int64  `json:"accepted"`
}

// AcceptRates counts, by agent, dimension and mode, the saves that showed a
// suggestion and those that kept it. Each save counts, so a paragraph saved
// twice counts twice. The groups are few (agents × dimensions × modes).
func (s *Store) AcceptRates(ctx context.Context) ([]AcceptRate, error) {
	var out []AcceptRate
	err := s.read(ctx).Model(&SuggestionShown{}).
		Select("agent, dimension, mode, count(*) AS shown, sum(CASE WHEN accepted THEN 1 ELSE 0 END) AS accepted").
		Group("agent, dimension, mode").Order("agent, dimension, mode").Scan(&out).Error
	if out == nil {
		out = []AcceptRate{}
	}
	return out, translate(err)
}
