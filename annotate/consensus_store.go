package annotate

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"concord/consensus"
)

// ConsensusRun is one computation of the consensus of every single and
// multi dimension over the labels of the current paragraphs. DataVersion
// is the data version (see Store.DataVersion) it was computed at: the run
// stays the answer until a write moves the version.
type ConsensusRun struct {
	ID          int64  `gorm:"primaryKey" json:"id"`
	Method      string `gorm:"size:40;not null" json:"method"`
	DataVersion int64  `gorm:"not null" json:"data_version"`
	// Complete is set by the last of the run's transactions; a run that
	// was abandoned half way (its request went away) is never read.
	Complete   bool               `gorm:"not null;default:false;index" json:"-"`
	Dimensions []ConsensusSummary `gorm:"type:text;serializer:json" json:"dimensions"`
	CreatedAt  time.Time          `json:"created_at"`
	// Pending marks the stand-in Consensus returns while the first run of
	// a database is computed in the background: it has no items yet.
	Pending bool `gorm:"-" json:"pending,omitempty"`
}

// ConsensusSummary is what a run says about one dimension as a whole.
type ConsensusSummary struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Method is the method that produced the dimension's values: majority
	// when Reason says why Dawid–Skene could not run.
	Method string `json:"method"`
	Reason string `json:"reason,omitempty"`
	// LabelReasons lists the labels of a multi dimension whose consensus
	// is the vote, and why.
	LabelReasons []LabelReason `json:"label_reasons,omitempty"`
	Iterations   int           `json:"iterations"`
	Converged    bool          `json:"converged"`
	Categories   []string      `json:"categories"`
	Items        int           `json:"items"`
	Labels       int           `json:"labels"`
}

// ConsensusItem is the consensus of one paragraph on one dimension.
// Values holds the single value, or the set for a multi dimension (empty
// when the consensus is that no label applies); it is empty and Tie set
// when the leading categories tie, Tied naming them.
type ConsensusItem struct {
	RunID       int64    `gorm:"primaryKey;autoIncrement:false;index:idx_consensus_items_confidence,priority:1" json:"-"`
	ParagraphID int64    `gorm:"primaryKey;autoIncrement:false;index:idx_consensus_items_confidence,priority:3" json:"paragraph_id"`
	Dimension   string   `gorm:"primaryKey;size:100;index:idx_consensus_items_confidence,priority:4" json:"dimension"`
	Values      []string `gorm:"type:text;serializer:json" json:"values"`
	Tie         bool     `gorm:"not null" json:"tie"`
	Tied        []string `gorm:"type:text;serializer:json" json:"tied,omitempty"`
	Confidence  float64  `gorm:"not null;index:idx_consensus_items_confidence,priority:2" json:"confidence"`
	Method      string   `gorm:"size:40;not null" json:"method"`
	Gold        bool     `gorm:"not null" json:"gold"`
	Labels      int      `gorm:"not null" json:"labels"`
	// Reason, not stored, is the run's reason for the item's dimension
	// when Dawid–Skene could not run there (the data is too small, say):
	// the confidence is then the vote's share, not a learnt probability.
	Reason string `gorm:"-" json:"reason,omitempty"`
}

// withReasons sets the Reason of every item of a dimension that fell back
// to the vote.
func (run *ConsensusRun) withReasons(items []ConsensusItem) {
	for i := range items {
		for _, d := range run.Dimensions {
			if d.Name == items[i].Dimension && d.Method != run.Method {
				items[i].Reason = d.Reason
			}
		}
	}
}

// ConsensusAnnotator is what a run says about one annotator on one
// dimension (and, for a multi dimension, one category: Confusion is then
// over "no" and "yes"). Confusion[k][l] is the estimated probability that
// the annotator answers category l when the truth is k, in the order of
// the dimension's ConsensusSummary.Categories.
type ConsensusAnnotator struct {
	RunID      int64       `gorm:"primaryKey;autoIncrement:false" json:"-"`
	Dimension  string      `gorm:"primaryKey;size:100" json:"dimension"`
	Annotator  string      `gorm:"primaryKey;size:100" json:"annotator"`
	Category   string      `gorm:"primaryKey;size:100" json:"category,omitempty"`
	Accuracy   float64     `gorm:"not null" json:"accuracy"`
	Chance     float64     `gorm:"not null" json:"chance"`
	NearChance bool        `gorm:"not null" json:"near_chance"`
	Items      int         `gorm:"not null" json:"items"`
	Labels     int         `gorm:"not null" json:"labels"`
	Confusion  [][]float64 `gorm:"type:text;serializer:json" json:"confusion"`
}

// ConsensusMethod is the gold method of a decision that accepts the
// Dawid–Skene consensus of a paragraph.
const ConsensusMethod = "consensus:" + string(consensus.DawidSkene)

// consensusBatch bounds the rows one transaction of a run writes, so that
// a large corpus never holds the write lock for long: annotators' saves
// queue between the batches.
const consensusBatch = 1000

// consensusRowsPerStatement is how many rows one INSERT carries (10
// columns each, far below either database's limit on parameters).
const consensusRowsPerStatement = 200

// Consensus returns the latest consensus run without waiting for a new
// one: when the data version has moved since (any write of labels, gold,
// the schema or curation moves it), it starts computing a new run in the
// background — one at a time, never inside the request — and returns the
// run it has, whose DataVersion and CreatedAt say how recent it is. Only a
// database with no run yet waits for the first (see ConsensusNow). Pages
// use it, so that a reviewer's gold save does not make the next page load
// recompute the whole corpus.
func (s *Store) Consensus(ctx context.Context) (*ConsensusRun, error) {
	version, err := s.DataVersion(ctx)
	if err != nil {
		return nil, err
	}
	run, err := s.latestConsensusRun(ctx)
	if err != nil {
		return nil, err
	}
	if run == nil {
		// The first run of a database reads every label. With many, that
		// takes a while, which no page waits for: it is computed in the
		// background and a stand-in says so.
		// Counted up to one past the limit, so that the question costs
		// the same whatever the corpus, and once: while the first run of
		// many labels is computed, every view would count them again.
		if !s.manyLabels.Load() {
			var labels int64
			if err := s.read(ctx).Raw("SELECT count(*) FROM (SELECT 1 FROM annotations LIMIT ?) AS a", s.firstRunWait+1).Scan(&labels).Error; err != nil {
				return nil, translate(err)
			}
			if labels <= int64(s.firstRunWait) {
				return s.ConsensusNow(ctx)
			}
			s.manyLabels.Store(true)
		}
		s.refreshConsensus()
		return &ConsensusRun{Method: string(consensus.DawidSkene), Dimensions: []ConsensusSummary{}, Pending: true}, nil
	}
	if run.DataVersion < version && s.consensusPause.ready(s.now()) {
		s.refreshConsensus()
	}
	return run, nil
}

// consensusPause spaces out the runs pages start in the background: after
// a run that took d, the next starts no sooner than consensusPauseFactor·d
// after it ended, so that while annotators keep labelling, recomputing the
// consensus takes at most about a tenth of one core and a page view after a
// write does not compete with it. A small corpus, whose runs take
// milliseconds, is hardly held back; a million labels, whose runs take
// seconds, are recomputed about once a minute while views come in. Exports
// (ConsensusNow) never wait for the pause.
type consensusPause struct {
	mu   sync.Mutex
	next time.Time
}

// consensusPauseFactor is how many times a run's own length passes before
// the next background run.
const consensusPauseFactor = 10

// ran records a background run that ended at end after taking took.
func (p *consensusPause) ran(end time.Time, took time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next = end.Add(consensusPauseFactor * took)
}

// ready reports whether a background run may start at now.
func (p *consensusPause) ready(now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !now.Before(p.next)
}

// firstRunWait is the most labels for which the first consensus run of a
// database is computed while the caller waits (well under a second).
const firstRunWait = 100000

// refreshConsensus computes a new run in the background, unless one is
// being computed already, here or by another server on the same database
// (see ConsensusLease). Close stops it and waits for it.
func (s *Store) refreshConsensus() {
	select {
	case s.consensusRunning <- struct{}{}:
	default:
		return
	}
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		defer func() { <-s.consensusRunning }()
		ctx := s.closing
		// A failure leaves the last run in place; the next view tries again,
		// as it does when another server holds the lease and its run turns
		// out to be older than the data.
		_, _ = s.withConsensusLease(ctx, func() error {
			version, err := s.DataVersion(ctx)
			if err != nil {
				return err
			}
			if run, err := s.latestConsensusRun(ctx); err != nil || (run != nil && run.DataVersion >= version) {
				return err
			}
			start := time.Now()
			_, err = s.computeConsensus(ctx, version)
			if err == nil {
				s.consensusPause.ran(s.now(), time.Since(start))
			}
			return err
		})
	}()
}

// ConsensusNow returns the consensus run of the labels as they are now,
// computing it first when the data version has moved since the latest. One
// run is computed at a time, by one server of those that share the
// database: the others wait for its run and return it (see
// ConsensusLease). A caller waiting for it, or computing it, stops when ctx
// is done, and a run left half written is never returned. Exports use it,
// so that what they write is exact.
func (s *Store) ConsensusNow(ctx context.Context) (*ConsensusRun, error) {
	version, err := s.DataVersion(ctx)
	if err != nil {
		return nil, err
	}
	run, err := s.latestConsensusRun(ctx)
	if err != nil {
		return nil, err
	}
	if run != nil && run.DataVersion >= version {
		return run, nil
	}
	select {
	case s.consensusRunning <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.consensusRunning }()
	for {
		// Whoever held the turn or the lease before may have computed this
		// very version, or a later one.
		if run, err = s.latestConsensusRun(ctx); err != nil {
			return nil, err
		}
		if run != nil && run.DataVersion >= version {
			return run, nil
		}
		var computed *ConsensusRun
		got, err := s.withConsensusLease(ctx, func() error {
			if run, err := s.latestConsensusRun(ctx); err != nil || (run != nil && run.DataVersion >= version) {
				computed = run
				return err
			}
			// The version as it is now, which the run is exact for.
			now, err := s.DataVersion(ctx)
			if err != nil {
				return err
			}
			computed, err = s.computeConsensus(ctx, now)
			return err
		})
		if err != nil {
			return nil, err
		}
		if got {
			return computed, nil
		}
		// Another server is computing: wait for its run, or for its lease
		// to end or expire.
		s.leaseWaits.Add(1)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(consensusLeasePoll):
		}
	}
}

// LatestConsensus returns the latest complete run without computing one,
// or ErrNotFound when there is none.
func (s *Store) LatestConsensus(ctx context.Context) (*ConsensusRun, error) {
	run, err := s.latestConsensusRun(ctx)
	if err != nil {
		return nil, err
	}
	if run == nil {
		return nil, NotFoundf("no consensus has been computed yet")
	}
	return run, nil
}

func (s *Store) latestConsensusRun(ctx context.Context) (*ConsensusRun, error) {
	var runs []ConsensusRun
	if err := s.read(ctx).Where("complete = ?", true).Order("id DESC").Limit(1).Find(&runs).Error; err != nil {
		return nil, translate(err)
	}
	if len(runs) == 0 {
		return nil, nil
	}
	return &runs[0], nil
}

// computeConsensus infers every single and multi dimension from the labels
// of the current paragraphs and stores the run: its row first, then the
// items and annotators in bounded transactions, then the flag that makes it
// the latest, and last the removal of older runs.
func (s *Store) computeConsensus(ctx context.Context, version int64) (*ConsensusRun, error) {
	// The labels are read in compact form, with no strings or maps per
	// label, and each dimension's results are written as they are
	// inferred and dropped: memory holds the labels and one dimension's
	// model at a time, not the run. Nothing of it is left when the run is
	// done, so that an export, which computes a run before it writes, does
	// not hold it while it writes.
	db := s.read(ctx)
	sc, err := s.schemaIn(db)
	if err != nil {
		return nil, err
	}
	t, err := s.readLabelTable(db, AgreementFilter{}, nil)
	if err != nil {
		return nil, err
	}
	gold, err := goldRows(db, AgreementFilter{}, nil)
	if err != nil {
		return nil, err
	}
	// The run's row comes first, incomplete, so that each dimension's
	// items can be written as soon as they are inferred.
	run := &ConsensusRun{Method: string(consensus.DawidSkene), DataVersion: version, Dimensions: []ConsensusSummary{}, CreatedAt: s.now()}
	if err := s.tx(ctx, func(tx *gorm.DB) error { return tx.Create(run).Error }); err != nil {
		return nil, err
	}
	write := func(rows any) error {
		if items, ok := rows.([]ConsensusItem); ok {
			return s.tx(ctx, func(tx *gorm.DB) error { return s.insertConsensusItems(tx, items) })
		}
		return s.tx(ctx, func(tx *gorm.DB) error { return tx.CreateInBatches(rows, consensusRowsPerStatement).Error })
	}
	var dims []*Dimension
	for i := range sc.Dimensions {
		if sd := &sc.Dimensions[i]; sd.Kind == KindSingle || sd.Kind == KindMulti {
			dims = append(dims, sd)
		}
	}
	items := make([]ConsensusItem, 0, consensusBatch)
	for i, sd := range dims {
		input := denseInput(t, gold, sd)
		if i == len(dims)-1 {
			// The last dimension's labels are all it needs of the table.
			t, gold = nil, nil
		}
		n := len(input.paragraphs)
		dc, err := input.infer(ctx, consensus.Options{Method: consensus.DawidSkene}, func(ci *ConsensusItem) error {
			ci.RunID = run.ID
			items = append(items, *ci)
			if len(items) < consensusBatch {
				return nil
			}
			err := write(items)
			items = items[:0]
			return err
		})
		if err != nil {
			return nil, err
		}
		input = nil
		if len(items) > 0 {
			if err := write(items); err != nil {
				return nil, err
			}
			items = items[:0]
		}
		run.Dimensions = append(run.Dimensions, ConsensusSummary{
			Name: dc.Name, Kind: dc.Kind, Method: string(dc.Method), Reason: dc.Reason, LabelReasons: dc.LabelReasons,
			Iterations: dc.Iterations, Converged: dc.Converged, Categories: dc.Categories,
			Items: n, Labels: dc.Labels,
		})
		var anns []ConsensusAnnotator
		for _, a := range dc.Annotators {
			anns = append(anns, ConsensusAnnotator{RunID: run.ID, Dimension: dc.Name, Annotator: a.Annotator, Category: a.Category,
				Accuracy: a.Accuracy, Chance: a.Chance, NearChance: a.NearChance, Items: a.Items, Labels: a.Labels, Confusion: a.Confusion})
		}
		for lo := 0; lo < len(anns); lo += consensusBatch {
			if err := write(anns[lo:min(len(anns), lo+consensusBatch)]); err != nil {
				return nil, err
			}
		}
	}
	// The summaries go in with the flag that makes the run the latest.
	if err := s.tx(ctx, func(tx *gorm.DB) error {
		return tx.Model(&ConsensusRun{ID: run.ID}).Select("Dimensions", "Complete").Updates(&ConsensusRun{Dimensions: run.Dimensions, Complete: true}).Error
	}); err != nil {
		return nil, err
	}
	run.Complete = true
	// Older runs are no longer read. Their removal is a courtesy to the
	// disk: a failure here leaves the new run correct and is retried by
	// the next run.
	_ = s.dropConsensusRuns(context.WithoutCancel(ctx), run.ID)
	return run, nil
}

// dropConsensusRuns deletes the runs older than keep, a bounded number of
// rows per transaction: the items of about consensusBatch paragraphs at a
// time, then the annotators (as many as the team times the schema), then
// the run.
func (s *Store) dropConsensusRuns(ctx context.Context, keep int64) error {
	var old []int64
	if err := s.read(ctx).Model(&ConsensusRun{}).Where("id < ?", keep).Pluck("id", &old).Error; err != nil {
		return translate(err)
	}
	for _, id := range old {
		for {
			var bound []int64
			if err := s.read(ctx).Model(&ConsensusItem{}).Where("run_id = ?", id).Order("paragraph_id").
				Offset(consensusBatch).Limit(1).Pluck("paragraph_id", &bound).Error; err != nil {
				return translate(err)
			}
			err := s.tx(ctx, func(tx *gorm.DB) error {
				q := tx.Where("run_id = ?", id)
				if len(bound) > 0 {
					q = q.Where("paragraph_id < ?", bound[0])
				}
				return q.Delete(&ConsensusItem{}).Error
			})
			if err != nil {
				return err
			}
			if len(bound) == 0 {
				break
			}
		}
		err := s.tx(ctx, func(tx *gorm.DB) error {
			if err := tx.Where("run_id = ?", id).Delete(&ConsensusAnnotator{}).Error; err != nil {
				return err
			}
			return tx.Where("id = ?", id).Delete(&ConsensusRun{}).Error
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// ConsensusOrder is the order of a consensus page.
type ConsensusOrder string

// The orders of ConsensusItems.
const (
	// ConsensusByParagraph orders by paragraph id, then dimension.
	ConsensusByParagraph ConsensusOrder = "paragraph"
	// ConsensusByConfidence orders least confident first, then by
	// paragraph id and dimension.
	ConsensusByConfidence ConsensusOrder = "confidence"
)

// ConsensusQuery selects one page of a run's items.
type ConsensusQuery struct {
	// Dimension keeps one dimension's items; empty keeps all.
	Dimension string
	// MaxConfidence keeps the items whose confidence is at most this; nil
	// keeps all.
	MaxConfidence *float64
	Order         ConsensusOrder
	// Limit is the most items returned (1 to MaxConsensusLimit; 0 means
	// DefaultConsensusLimit).
	Limit int
	// After is the Next of the page before; empty starts at the beginning.
	After string
}

// DefaultConsensusLimit and MaxConsensusLimit bound a consensus page.
const (
	DefaultConsensusLimit = 100
	MaxConsensusLimit     = 1000
)

// ConsensusPage is one page of a run's items. Next continues the listing;
// it is empty on the last page.
type ConsensusPage struct {
	Items []ConsensusItem `json:"items"`
	Next  string          `json:"next,omitempty"`
}

// consensusCursor is the position after the last item of a page. The
// confidence is written with as many digits as it takes to read back the
// same float64, so that the keyset comparison is exact.
type consensusCursor struct {
	confidence float64
	paragraph  int64
	dimension  string
}

func (c consensusCursor) encode() string {
	raw := strconv.FormatFloat(c.confidence, 'g', -1, 64) + "|" + strconv.FormatInt(c.paragraph, 10) + "|" + c.dimension
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeConsensusCursor(s string) (consensusCursor, error) {
	bad := Invalidf("next", "next %q is not a cursor this listing gave; pass the next of the page before, or leave it out to start at the beginning", s)
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return consensusCursor{}, bad
	}
	parts := strings.SplitN(string(raw), "|", 3)
	if len(parts) != 3 {
		return consensusCursor{}, bad
	}
	var c consensusCursor
	if c.confidence, err = strconv.ParseFloat(parts[0], 64); err != nil || math.IsNaN(c.confidence) {
		return consensusCursor{}, bad
	}
	if c.paragraph, err = strconv.ParseInt(parts[1], 10, 64); err != nil {
		return consensusCursor{}, bad
	}
	c.dimension = parts[2]
	return c, nil
}

// ConsensusItems returns one page of run's items, in q's order.
func (s *Store) ConsensusItems(ctx context.Context, run *ConsensusRun, q ConsensusQuery) (*ConsensusPage, error) {
	if q.Limit == 0 {
		q.Limit = DefaultConsensusLimit
	}
	if q.Limit < 1 || q.Limit > MaxConsensusLimit {
		return nil, Invalidf("limit", "limit must be from 1 to %d, got %d", MaxConsensusLimit, q.Limit)
	}
	if q.Order == "" {
		q.Order = ConsensusByParagraph
	}
	if q.Order != ConsensusByParagraph && q.Order != ConsensusByConfidence {
		return nil, &Error{Code: EINVALID, Field: "order", Message: fmt.Sprintf("unknown order %q", q.Order), Allowed: []string{string(ConsensusByParagraph), string(ConsensusByConfidence)}}
	}
	if q.Dimension != "" {
		known := make([]string, 0, len(run.Dimensions))
		found := false
		for _, d := range run.Dimensions {
			known = append(known, d.Name)
			found = found || d.Name == q.Dimension
		}
		if !found {
			return nil, &Error{Code: EINVALID, Field: "dimension", Message: fmt.Sprintf("no consensus for dimension %q (only single and multi dimensions have one)", q.Dimension), Allowed: known}
		}
	}
	db := s.read(ctx).Where("run_id = ?", run.ID)
	if q.Dimension != "" {
		db = db.Where("dimension = ?", q.Dimension)
	}
	if q.MaxConfidence != nil {
		if math.IsNaN(*q.MaxConfidence) || *q.MaxConfidence < 0 || *q.MaxConfidence > 1 {
			return nil, Invalidf("max_confidence", "max_confidence must be a number from 0 to 1, got %v", *q.MaxConfidence)
		}
		db = db.Where("confidence <= ?", *q.MaxConfidence)
	}
	if q.After != "" {
		c, err := decodeConsensusCursor(q.After)
		if err != nil {
			return nil, err
		}
		after := "(paragraph_id > ? OR (paragraph_id = ? AND dimension > ?))"
		if q.Order == ConsensusByConfidence {
			db = db.Where("(confidence > ? OR (confidence = ? AND "+after+"))", c.confidence, c.confidence, c.paragraph, c.paragraph, c.dimension)
		} else {
			db = db.Where(after, c.paragraph, c.paragraph, c.dimension)
		}
	}
	if q.Order == ConsensusByConfidence {
		db = db.Order("confidence, paragraph_id, dimension")
	} else {
		db = db.Order("paragraph_id, dimension")
	}
	var items []ConsensusItem
	if err := db.Limit(q.Limit + 1).Find(&items).Error; err != nil {
		return nil, translate(err)
	}
	page := &ConsensusPage{Items: items}
	if len(items) > q.Limit {
		page.Items = items[:q.Limit]
		last := page.Items[q.Limit-1]
		page.Next = consensusCursor{confidence: last.Confidence, paragraph: last.ParagraphID, dimension: last.Dimension}.encode()
	}
	for i := range page.Items {
		if page.Items[i].Values == nil {
			page.Items[i].Values = []string{}
		}
	}
	run.withReasons(page.Items)
	return page, nil
}

// ConsensusOf returns run's items of the given paragraphs, by paragraph
// and dimension. It reads the ids in chunks, so any number may be asked.
func (s *Store) ConsensusOf(ctx context.Context, run *ConsensusRun, paragraphIDs []int64) (map[int64]map[string]ConsensusItem, error) {
	out := make(map[int64]map[string]ConsensusItem, len(paragraphIDs))
	for lo := 0; lo < len(paragraphIDs); lo += consensusBatch {
		var items []ConsensusItem
		chunk := paragraphIDs[lo:min(len(paragraphIDs), lo+consensusBatch)]
		if err := s.read(ctx).Where("run_id = ? AND paragraph_id IN ?", run.ID, chunk).Find(&items).Error; err != nil {
			return nil, translate(err)
		}
		run.withReasons(items)
		for _, it := range items {
			if out[it.ParagraphID] == nil {
				out[it.ParagraphID] = map[string]ConsensusItem{}
			}
			if it.Values == nil {
				it.Values = []string{}
			}
			out[it.ParagraphID][it.Dimension] = it
		}
	}
	return out, nil
}

// ConsensusRange returns run's items for the paragraphs whose ids are in
// [lo, hi), by paragraph and dimension: for a reader that walks the corpus
// and wants the consensus of each paragraph without holding the whole run.
func (s *Store) ConsensusRange(ctx context.Context, run *ConsensusRun, lo, hi int64) (map[int64]map[string]ConsensusItem, error) {
	var items []ConsensusItem
	if err := s.read(ctx).Where("run_id = ? AND paragraph_id >= ? AND paragraph_id < ?", run.ID, lo, hi).Find(&items).Error; err != nil {
		return nil, translate(err)
	}
	run.withReasons(items)
	out := map[int64]map[string]ConsensusItem{}
	for _, it := range items {
		if out[it.ParagraphID] == nil {
			out[it.ParagraphID] = map[string]ConsensusItem{}
		}
		if it.Values == nil {
			it.Values = []string{}
		}
		out[it.ParagraphID][it.Dimension] = it
	}
	return out, nil
}

// ConsensusAnnotators returns what run says about each annotator, by
// dimension, annotator and category. The list is as long as annotators
// times dimensions (times categories for multi dimensions), which the
// schema and the team bound, so it is not paged.
func (s *Store) ConsensusAnnotators(ctx context.Context, run *ConsensusRun) ([]ConsensusAnnotator, error) {
	var out []ConsensusAnnotator
	err := s.read(ctx).Where("run_id = ?", run.ID).Order("dimension, annotator, category").Find(&out).Error
	return out, translate(err)
}

// consensusItemColumns are the columns insertConsensusItems writes.
const consensusItemColumns = `run_id, paragraph_id, dimension, "values", tie, tied, confidence, method, gold, labels`

// consensusItemsPostgres inserts items from arrays, one row per element.
// The confidences go as text, in the shortest form that reads back as the
// same float64, and into the column (numeric, as the ORM made it) as
// numbers: through a float array, or a cast to double precision, they
// would keep 15 digits only.
const consensusItemsPostgres = "INSERT INTO consensus_items (" + consensusItemColumns + ")" +
	" SELECT r, p, d, v, t, td, CAST(c AS numeric), m, g, l FROM unnest(CAST(? AS bigint[]), CAST(? AS bigint[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS boolean[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS boolean[]), CAST(? AS bigint[])) AS i(r, p, d, v, t, td, c, m, g, l)"

// insertConsensusItems writes a run's items in tx: a run writes one per
// paragraph and dimension, millions at size, so they go in through one
// prepared statement (SQLite) or arrays (PostgreSQL), with their value
// lists encoded as the json serializer would, rather than through the
// ORM's reflection.
func (s *Store) insertConsensusItems(tx *gorm.DB, items []ConsensusItem) error {
	ctx := tx.Statement.Context
	if s.dialect == "postgres" {
		q := s.rebound(consensusItemsPostgres)
		for start := 0; start < len(items); start += importChunkPostgres {
			chunk := items[start:min(start+importChunkPostgres, len(items))]
			n := len(chunk)
			runs, paras, labels := make([]int64, n), make([]int64, n), make([]int64, n)
			dims, values, tied, methods := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			ties, golds := make([]bool, n), make([]bool, n)
			conf := make([]string, n)
			for i := range chunk {
				it := &chunk[i]
				runs[i], paras[i], dims[i], ties[i], conf[i], methods[i], golds[i], labels[i] = it.RunID, it.ParagraphID, it.Dimension, it.Tie, strconv.FormatFloat(it.Confidence, 'g', -1, 64), it.Method, it.Gold, int64(it.Labels)
				values[i], tied[i] = string(appendStrings(nil, it.Values)), string(appendStrings(nil, it.Tied))
			}
			if _, err := tx.Statement.ConnPool.ExecContext(ctx, q, runs, paras, dims, values, ties, tied, conf, methods, golds, labels); err != nil {
				return err
			}
		}
		return nil
	}
	pool, ok := tx.Statement.ConnPool.(interface {
		PrepareContext(context.Context, string) (*sql.Stmt, error)
	})
	if !ok {
		return fmt.Errorf("annotate: writing consensus items needs a transaction that prepares statements, not %T", tx.Statement.ConnPool)
	}
	// Rows go in consensusChunk at a time, through one statement prepared
	// for a full chunk and one for the rest: a statement per row cost a
	// round trip through database/sql and the driver for each, most of a
	// run's writing time and of its allocations.
	var stmts [2]*sql.Stmt
	defer func() {
		for _, st := range stmts {
			if st != nil {
				_ = st.Close()
			}
		}
	}()
	args := make([]any, 0, 10*consensusChunk)
	var text []byte
	var cuts []int
	for start := 0; start < len(items); start += consensusChunk {
		chunk := items[start:min(start+consensusChunk, len(items))]
		slot := 0
		if len(chunk) < consensusChunk {
			slot = 1
		}
		if stmts[slot] == nil || slot == 1 {
			if stmts[slot] != nil {
				_ = stmts[slot].Close()
			}
			st, err := pool.PrepareContext(ctx, consensusItemsSQLite(len(chunk)))
			if err != nil {
				return err
			}
			stmts[slot] = st
		}
		// The value lists of the chunk are encoded into one buffer, and
		// each handed to the driver as a string cut from it.
		text, cuts = text[:0], cuts[:0]
		for i := range chunk {
			text = appendStrings(text, chunk[i].Values)
			cuts = append(cuts, len(text))
			text = appendStrings(text, chunk[i].Tied)
			cuts = append(cuts, len(text))
		}
		all := string(text)
		args = args[:0]
		from := 0
		for i := range chunk {
			it := &chunk[i]
			values, tied := all[from:cuts[2*i]], all[cuts[2*i]:cuts[2*i+1]]
			from = cuts[2*i+1]
			args = append(args, it.RunID, it.ParagraphID, it.Dimension, values, it.Tie, tied, it.Confidence, it.Method, it.Gold, it.Labels)
		}
		if _, err := stmts[slot].ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// consensusChunk is how many consensus items one SQLite statement writes.
const consensusChunk = 100

// consensusItemsSQLite inserts n consensus items.
func consensusItemsSQLite(n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO consensus_items (" + consensusItemColumns + ") VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
	}
	return b.String()
}

// appendStrings appends vs as a JSON list, null for nil, as the json
// serializer writes it.
func appendStrings(b []byte, vs []string) []byte {
	if vs == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, v)
	}
	return append(b, ']')
}

// appendJSONString appends v as a JSON string: as it is when it needs no
// escape, through encoding/json when it does.
func appendJSONString(b []byte, v string) []byte {
	plain := utf8.ValidString(v)
	for i := 0; plain && i < len(v); i++ {
		plain = v[i] >= 0x20 && v[i] != '"' && v[i] != '\\' && v[i] != 0x7f
	}
	if plain {
		b = append(b, '"')
		b = append(b, v...)
		return append(b, '"')
	}
	q, _ := json.Marshal(v)
	return append(b, q...)
}
