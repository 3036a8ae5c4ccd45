package annotate

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"concord/agreement"
)

// reportCache keeps the agreement reports and confusion matrices computed
// lately, each under the data version it was computed at: a repeat view with
// nothing written since is answered from memory, and any write (every write
// appends to the history) makes the next view compute afresh. Entries are
// small — a report is a few kilobytes whatever the corpus — and few are kept.
type reportCache struct {
	mu      sync.Mutex
	entries []cacheEntry // newest last
}

type cacheEntry struct {
	key     string
	version int64
	value   any
}

// reportCacheSize is how many reports and matrices the cache keeps.
const reportCacheSize = 16

func (c *reportCache) get(key string, version int64) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries {
		if e.key == key && e.version == version {
			return e.value, true
		}
	}
	return nil, false
}

// latest returns the newest entry kept for key, whatever its version.
func (c *reportCache) latest(key string) (any, int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.entries) - 1; i >= 0; i-- {
		if c.entries[i].key == key {
			return c.entries[i].value, c.entries[i].version, true
		}
	}
	return nil, 0, false
}

func (c *reportCache) put(key string, version int64, v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	kept := c.entries[:0]
	for _, e := range c.entries {
		if e.key != key {
			kept = append(kept, e)
		}
	}
	c.entries = append(kept, cacheEntry{key: key, version: version, value: v})
	if len(c.entries) > reportCacheSize {
		c.entries = c.entries[len(c.entries)-reportCacheSize:]
	}
}

// DataVersion returns a number that changes whenever labels, gold labels,
// curation, the schema, users or documents change: the newest history row,
// which every write appends in its own transaction. One index lookup.
func (s *Store) DataVersion(ctx context.Context) (int64, error) {
	var v *int64
	if err := s.read(ctx).Raw("SELECT max(id) FROM history").Scan(&v).Error; err != nil {
		return 0, translate(err)
	}
	if v == nil {
		return 0, nil
	}
	return *v, nil
}

// cacheKey names a computation by what it was asked.
func cacheKey(kind string, parts ...any) string {
	b, _ := json.Marshal(append([]any{kind}, parts...))
	return string(b)
}

// Agreement computes the agreement report of the labels on current
// paragraphs that f keeps (see BuildAgreement), with each model's row (see
// ModelAgreement). A report asked for again with nothing written since
// comes from memory; after suggestions alone were written, only its models
// are computed again. The computation stops when ctx is done.
func (s *Store) Agreement(ctx context.Context, f AgreementFilter, opt agreement.Options) (*AgreementReport, error) {
	version, err := s.DataVersion(ctx)
	if err != nil {
		return nil, err
	}
	sv, err := s.SuggestionsVersion(ctx)
	if err != nil {
		return nil, err
	}
	key := cacheKey("agreement", f, opt)
	var human *AgreementReport
	if v, ok := s.reports.get(key, version); ok {
		c := v.(agreementCache)
		if c.suggestions == sv {
			return c.report, nil
		}
		human = c.report
	}
	ls, err := s.recentLabels(ctx, f, version)
	if err != nil {
		return nil, err
	}
	if human == nil {
		if human, err = buildAgreement(ctx, ls.schema, ls.table, ls.gold, opt); err != nil {
			return nil, err
		}
	}
	rep := *human
	if rep.Models, err = s.models(ctx, ls, &rep); err != nil {
		return nil, err
	}
	s.reports.put(key, version, agreementCache{report: &rep, suggestions: sv})
	return &rep, nil
}

// agreementCache is a cached report with the suggestions version its
// models were computed at.
type agreementCache struct {
	report      *AgreementReport
	suggestions int64
}

// models reads the suggestions and the accept rates and computes the
// report's models section.
func (s *Store) models(ctx context.Context, ls *storedLabelSet, rep *AgreementReport) ([]ModelAgreement, error) {
	set, err := s.recentSuggestions(ctx)
	if err != nil {
		return nil, err
	}
	if len(set.groups) == 0 {
		return []ModelAgreement{}, nil
	}
	rates, err := s.AcceptRates(ctx)
	if err != nil {
		return nil, err
	}
	return modelRows(ctx, ls.schema, rep, ls.table, ls.gold, set, rates)
}

// AgreementReady returns the report Agreement would give for f and opt if
// it is in memory for the data as they are, without computing it: for a
// page that shows the point estimates at once and fetches the slower
// bootstrap intervals after, unless they are ready.
func (s *Store) AgreementReady(ctx context.Context, f AgreementFilter, opt agreement.Options) (*AgreementReport, bool, error) {
	version, err := s.DataVersion(ctx)
	if err != nil {
		return nil, false, err
	}
	sv, err := s.SuggestionsVersion(ctx)
	if err != nil {
		return nil, false, err
	}
	if v, ok := s.reports.get(cacheKey("agreement", f, opt), version); ok && v.(agreementCache).suggestions == sv {
		return v.(agreementCache).report, true, nil
	}
	return nil, false, nil
}

// Confusions returns the confusion matrices of annotators a (rows) and b
// (columns) on every single and multi dimension where both have labels,
// by dimension name, over the labels f keeps; from memory when nothing was
// written since the same question.
func (s *Store) Confusions(ctx context.Context, f AgreementFilter, a, b string) (map[string]*agreement.Matrix, error) {
	version, err := s.DataVersion(ctx)
	if err != nil {
		return nil, err
	}
	key := cacheKey("confusions", f, a, b)
	if v, ok := s.reports.get(key, version); ok {
		return v.(map[string]*agreement.Matrix), nil
	}
	ls, err := s.recentLabels(ctx, f, version)
	if err != nil {
		return nil, err
	}
	out := map[string]*agreement.Matrix{}
	start, anns := ls.table.shape()
	for _, d := range ls.schema.Dimensions {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if m, err := buildConfusion(ls.schema, ls.table, start, anns, d.Name, a, b); err == nil {
			out[d.Name] = m
		}
	}
	s.reports.put(key, version, out)
	return out, nil
}

// labelCache keeps the labels the last report read, for a short while: the
// questions a page asks together (the report, the confusion matrices of a
// pair, the intervals its script fetches next) then read them once. It
// lets them go after labelKeep, so that a large label set is not held
// while nobody looks.
type labelCache struct {
	// patched counts the label sets brought up to date by patchLabels.
	patched atomic.Int64
	mu      sync.Mutex
	key     string
	version int64
	set     *storedLabelSet
	timer   *time.Timer
}

// labelKeep is how long labelCache keeps a label set.
const labelKeep = 30 * time.Second

// recentLabels returns the labels f keeps (see AgreementLabels) at data
// version, from labelCache when it holds them (brought up to date by
// patchLabels when it can be), and keeps what it returns there.
func (s *Store) recentLabels(ctx context.Context, f AgreementFilter, version int64) (*storedLabelSet, error) {
	key := cacheKey("labels", f)
	c := &s.labels
	c.mu.Lock()
	var old *storedLabelSet
	var from int64
	if c.set != nil && c.key == key {
		if c.version == version {
			ls := c.set
			c.mu.Unlock()
			return ls, nil
		}
		if c.version < version {
			old, from = c.set, c.version
		}
	}
	c.mu.Unlock()
	var ls *storedLabelSet
	if old != nil {
		// Labels read a few writes ago: only the paragraphs those writes
		// touched are read again.
		patched, ok, err := s.patchLabels(ctx, f, old, from, version)
		if err != nil {
			return nil, err
		}
		if ok {
			ls = patched
			c.patched.Add(1)
		}
	}
	if ls == nil {
		var err error
		if ls, err = s.storedLabels(ctx, f); err != nil {
			return nil, err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.key, c.version, c.set = key, version, ls
	if c.timer != nil {
		c.timer.Stop()
	}
	c.timer = time.AfterFunc(labelKeep, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.set == ls {
			c.set = nil
		}
	})
	return ls, nil
}

// suggestionCache keeps the suggestions the last report read, in compact
// form, under the suggestions version they were read at: suggestions change
// far less often than labels, so a report after a label write reads the
// labels again but not the suggestions. A million suggestions take 16 MB.
// It lets them go after suggestionKeep without a report.
type suggestionCache struct {
	mu      sync.Mutex
	version int64
	set     *suggestionSet
	timer   *time.Timer
}

// suggestionKeep is how long suggestionCache keeps a set no report asks for.
const suggestionKeep = 10 * time.Minute

// recentSuggestions returns every suggestion (see readSuggestions), from
// suggestionCache when nothing was written to them since it read them.
func (s *Store) recentSuggestions(ctx context.Context) (*suggestionSet, error) {
	version, err := s.SuggestionsVersion(ctx)
	if err != nil {
		return nil, err
	}
	c := &s.suggestions
	c.mu.Lock()
	if c.set != nil && c.version == version {
		set := c.set
		c.timer.Reset(suggestionKeep)
		c.mu.Unlock()
		return set, nil
	}
	c.mu.Unlock()
	set, err := readSuggestions(ctx, s.read(ctx))
	if err != nil {
		return nil, err
	}
	// A write between the version and the read leaves the set newer than
	// its version says: it is read again next time, never served stale.
	c.mu.Lock()
	defer c.mu.Unlock()
	c.version, c.set = version, set
	if c.timer != nil {
		c.timer.Stop()
	}
	c.timer = time.AfterFunc(suggestionKeep, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.set == set {
			c.set = nil
		}
	})
	return set, nil
}

// patchLabels brings a label set read at data version from up to version
// to: it reads which paragraphs the writes in between touched, from the
// history every write appends to, reads their labels and gold again and
// puts them in place of the old ones, in the same order a full read gives.
// ok is false when the writes were of a kind that can change more than the
// paragraphs they name (a schema applied, documents imported, curation, a
// user renamed, an open value added), when a write names no paragraph, or
// when they touched too many paragraphs to be worth it: the labels must
// then be read afresh. The old set is left as it was: others may be using
// it.
//
// It relies on the history's ids being committed in the order they were
// given, so that no write below from can appear after from was read. That
// holds on SQLite, whose writes commit one at a time; on PostgreSQL a
// transaction may take an id and commit after a later one, so there the
// labels are always read afresh.
func (s *Store) patchLabels(ctx context.Context, f AgreementFilter, old *storedLabelSet, from, to int64) (*storedLabelSet, bool, error) {
	if !s.historyInOrder() {
		return nil, false, nil
	}
	db := s.read(ctx)
	sc, err := s.schemaIn(db)
	if err != nil || sc.Version != old.schema.Version {
		return nil, false, err
	}
	var wide int64
	if err := db.Raw("SELECT count(*) FROM history WHERE id > ? AND id <= ? AND (entity IN ? OR (entity IN ? AND (paragraph_id IS NULL OR paragraph_id = 0)))",
		from, to, []string{"schema", "document", "curation", "user", "open_value"}, labelEntities).Scan(&wide).Error; err != nil {
		return nil, false, translate(err)
	}
	if wide > 0 {
		return nil, false, nil
	}
	var touched []int64
	if err := db.Raw("SELECT DISTINCT paragraph_id FROM history WHERE id > ? AND id <= ? AND entity IN ? ORDER BY paragraph_id LIMIT ?", from, to, labelEntities, maxLabelPatch+1).Scan(&touched).Error; err != nil {
		return nil, false, translate(err)
	}
	if len(touched) > maxLabelPatch {
		return nil, false, nil
	}
	if len(touched) == 0 {
		// Writes that changed no label or gold label (a note, a skip, a
		// setting): the labels are as they were.
		return old, true, nil
	}
	users, err := annotatorIDs(db, f.Annotators)
	if err != nil {
		return nil, false, err
	}
	names, place, err := userPlaces(db)
	if err != nil {
		return nil, false, err
	}
	if !slices.Equal(names, old.table.users) {
		// Users came or went: the old rows' places name others now.
		return nil, false, nil
	}
	fresh, err := readLabelsOf(db, f, users, touched, place)
	if err != nil {
		return nil, false, err
	}
	freshGold, err := goldRows(db, f, touched)
	if err != nil {
		return nil, false, err
	}
	gone := make(map[int64]bool, len(touched))
	for _, id := range touched {
		gone[id] = true
	}
	// The old rows and gold labels, the touched paragraphs' left out, and
	// the fresh ones are each in paragraph order (then user): merge them.
	// The fresh rows' labels are numbered after the old values.
	t := &labelTable{users: old.table.users, rows: make([]idLabels, 0, len(old.table.rows)+len(fresh.rows))}
	t.values = make([]Labels, 0, len(old.table.values)+len(fresh.values))
	t.values = append(append(t.values, old.table.values...), fresh.values...)
	base := int32(len(old.table.values))
	next := 0
	for _, r := range old.table.rows {
		if gone[r.paragraph] {
			continue
		}
		for ; next < len(fresh.rows) && fresh.rows[next].paragraph < r.paragraph; next++ {
			fr := fresh.rows[next]
			fr.labels += base
			t.rows = append(t.rows, fr)
		}
		t.rows = append(t.rows, r)
	}
	for ; next < len(fresh.rows); next++ {
		fr := fresh.rows[next]
		fr.labels += base
		t.rows = append(t.rows, fr)
	}
	gold := make([]paragraphGold, 0, len(old.gold)+len(freshGold))
	next = 0
	for _, g := range old.gold {
		if gone[g.ParagraphID] {
			continue
		}
		for ; next < len(freshGold) && freshGold[next].ParagraphID < g.ParagraphID; next++ {
			gold = append(gold, freshGold[next])
		}
		gold = append(gold, g)
	}
	gold = append(gold, freshGold[next:]...)
	return &storedLabelSet{schema: old.schema, table: t, gold: gold}, true, nil
}

// labelEntities are the history entities whose rows change the labels or
// gold labels of the paragraph they name.
var labelEntities = []string{"annotation", "gold"}

// maxLabelPatch is the most paragraphs patchLabels reads again; past it,
// reading every label costs about as much.
const maxLabelPatch = 20000

// historyInOrder reports whether the history's rows become visible in the
// order of their ids: on SQLite, whose writes commit one at a time. On
// PostgreSQL two writes that run side by side may commit in the other
// order, so a reader that saw id n may later find a row below n appear.
func (s *Store) historyInOrder() bool { return s.dialect == "sqlite" }
