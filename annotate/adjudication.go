package annotate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"gorm.io/gorm"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Majority is the answer most annotators of a paragraph gave on one
// dimension, and how strong it is.
//
// A majority is strict: more than half of the annotators gave the same
// answer. For a single or open dimension the answer is a value, where
// leaving the dimension unanswered counts as a value of its own (Labels
// empty). For a multi dimension each label is voted on by itself: the
// answer is the set of labels that more than half of the annotators
// applied, and Support counts the annotators who chose exactly that set.
// When no answer has more than half of the annotators (two annotators who
// differ, three who all differ, a label applied by exactly half of them, a
// set of labels nobody chose) there is no majority: Tie is set, Labels is empty and the paragraph is
// left for a reviewer.
type Majority struct {
	Dimension string   `json:"dimension"`
	Labels    []string `json:"labels"`
	// Support annotators out of Of gave the majority answer (for a tie, the
	// count of the most frequent answer).
	Support int  `json:"support"`
	Of      int  `json:"of"`
	Tie     bool `json:"tie"`
}

// Unanimous reports whether every annotator gave the same answer.
func (m Majority) Unanimous() bool { return !m.Tie && m.Support == m.Of }

// Strength returns Support/Of, 0 when there is no annotator.
func (m Majority) Strength() float64 {
	if m.Of == 0 {
		return 0
	}
	return float64(m.Support) / float64(m.Of)
}

// Majorities returns the majority answer of each dimension of the schema,
// in schema order, over the given annotators' labels of one paragraph.
func Majorities(sc *Schema, labels []Labels) []Majority {
	out := make([]Majority, 0, len(sc.Dimensions))
	n := len(labels)
	for _, d := range sc.Dimensions {
		m := Majority{Dimension: d.Name, Labels: []string{}, Of: n}
		if d.Kind == KindMulti {
			counts := map[string]int{}
			for _, l := range labels {
				for _, v := range l[d.Name] {
					counts[v]++
				}
			}
			halved := false
			for v, c := range counts {
				if 2*c > n {
					m.Labels = append(m.Labels, v)
				}
				halved = halved || 2*c == n
			}
			sort.Strings(m.Labels)
			for _, l := range labels {
				if slices.Equal(l[d.Name], m.Labels) || len(l[d.Name]) == 0 && len(m.Labels) == 0 {
					m.Support++
				}
			}
			// No annotator chose the set of the labels most applied (three
			// annotators, each with two of three labels): no answer has a
			// majority either.
			if halved || m.Support == 0 && len(m.Labels) > 0 {
				m.Tie, m.Labels = true, []string{}
			}
			out = append(out, m)
			continue
		}
		counts := map[string]int{}
		for _, l := range labels {
			v := ""
			if vs := l[d.Name]; len(vs) > 0 {
				v = vs[0]
			}
			counts[v]++
		}
		best, bestN := "", 0
		for v, c := range counts {
			if c > bestN {
				best, bestN = v, c
			}
		}
		tie := n > 0 && 2*bestN <= n
		m.Support, m.Tie = bestN, tie
		if !tie && best != "" {
			m.Labels = []string{best}
		}
		out = append(out, m)
	}
	return out
}

// Disputed is how contested a paragraph is: 1 − Support/Of averaged over the
// dimensions. It is 0 when everyone agrees on everything and grows towards 1
// as the annotators spread over more answers; a two-way split of two
// annotators on one of three dimensions gives (1 − 1/2)/3 ≈ 0.17.
func Disputed(ms []Majority) float64 {
	if len(ms) == 0 {
		return 0
	}
	var sum float64
	for _, m := range ms {
		sum += 1 - m.Strength()
	}
	return sum / float64(len(ms))
}

// DisagreementFilter narrows the disagreement queue.
type DisagreementFilter struct {
	// Documents keeps the paragraphs of these documents.
	Documents []int64
	// IncludeResolved keeps paragraphs that already have a gold label.
	IncludeResolved bool
	// Limit is the most items returned (1 to 100; default 20).
	Limit int
	// After is the cursor: the Next of the page before, "" for the first.
	// A cursor holds the last item's place in the order, so a page starts
	// right after it even when items before it were decided meanwhile.
	After string
	// Offset skips that many items of the queue first, for clients that
	// count; it is ignored with After.
	Offset int
	// Order is QueueByDisputed (the default) or QueueByConfidence.
	Order string
}

// The orders of the disagreement queue.
const (
	// QueueByDisputed puts the most disputed paragraphs first.
	QueueByDisputed = "disputed"
	// QueueByConfidence puts first the paragraphs whose least confident
	// consensus value is least confident: where weighing the annotators
	// settles least, a reviewer's decision helps most.
	QueueByConfidence = "confidence"
)

// GoldRevision is one entry of a gold label's history.
type GoldRevision struct {
	At     time.Time `json:"at"`
	By     string    `json:"by"`
	Action string    `json:"action"`
	Labels Labels    `json:"labels"`
	Method string    `json:"method,omitempty"`
}

// Disagreement is a paragraph whose annotators disagree, with everything a
// reviewer needs to decide its gold label: the text and document, every
// annotator's labels and notes side by side, the majority answer of each
// dimension, and the current gold label with its history.
type Disagreement struct {
	Paragraph   Paragraph        `json:"paragraph"`
	Document    Document         `json:"document"`
	Annotations []UserAnnotation `json:"annotations"`
	Notes       []Note           `json:"notes"`
	Majority    []Majority       `json:"majority"`
	Disputed    float64          `json:"disputed"`
	Gold        *Gold            `json:"gold"`
	// GoldBy is the name of who decided the gold label.
	GoldBy      string         `json:"gold_by,omitempty"`
	GoldHistory []GoldRevision `json:"gold_history"`
	// Consensus holds the paragraph's consensus on each single and multi
	// dimension, by dimension name, from the latest consensus run.
	Consensus map[string]ConsensusItem `json:"consensus"`
	// ConsensusConfidence is the lowest confidence among them (1 when
	// there is none), what QueueByConfidence orders by.
	ConsensusConfidence float64 `json:"consensus_confidence"`
}

// ranked is one paragraph of the queue before its details are loaded.
type ranked struct {
	id, doc    int64
	pos        int
	disputed   float64
	confidence float64
	// users are the paragraph's annotators, which the queue's
	// disagreement order reads (see queueDisputed).
	users []int64
}

// disagreementQueue returns the paragraphs the filter keeps, most disputed
// first (then in reading order): current paragraphs, not taken out by
// curation, with two or more annotations whose labels differ on some
// dimension of the schema.
func (s *Store) disagreementQueue(ctx context.Context, f DisagreementFilter, run *ConsensusRun) (*Schema, []ranked, error) {
	db := s.read(ctx)
	sc, err := s.schemaIn(db)
	if err != nil {
		return nil, nil, err
	}
	out, err := s.rankParagraphs(db, sc, f, run, nil)
	if err != nil {
		return nil, nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].before(out[j], f.Order) })
	return sc, out, nil
}

// rankParagraphs ranks the disputed paragraphs the filter keeps, among
// only (all of them when only is nil), in no particular order.
func (s *Store) rankParagraphs(db *gorm.DB, sc *Schema, f DisagreementFilter, run *ConsensusRun, only []int64) ([]ranked, error) {
	if only != nil {
		var out []ranked
		for lo := 0; lo < len(only); lo += idChunk {
			got, err := s.rankParagraphs(db.Where("a.paragraph_id IN ?", only[lo:min(lo+idChunk, len(only))]), sc, f, run, nil)
			if err != nil {
				return nil, err
			}
			out = append(out, got...)
		}
		return out, nil
	}
	q := db.Table("annotations a").
		Select("a.paragraph_id, a.user_id, a.labels, p.document_id, p.position").
		Joins("JOIN paragraphs p ON p.id = a.paragraph_id").
		Where("p.is_current = ? AND p.id NOT IN ("+excludedSQL+")", true).
		Where("p.annotators >= ?", 2)
	if len(f.Documents) > 0 {
		q = q.Where("p.document_id IN ?", f.Documents)
	}
	if !f.IncludeResolved {
		q = q.Where("NOT EXISTS (SELECT 1 FROM golds g WHERE g.paragraph_id = a.paragraph_id)")
	}
	var rows []struct {
		ParagraphID int64
		UserID      int64
		Labels      Labels
		DocumentID  int64
		Position    int
	}
	if err := q.Order("a.paragraph_id").Scan(&rows).Error; err != nil {
		return nil, translate(err)
	}
	var out []ranked
	for i := 0; i < len(rows); {
		j := i
		var labels []Labels
		var users []int64
		for ; j < len(rows) && rows[j].ParagraphID == rows[i].ParagraphID; j++ {
			labels = append(labels, rows[j].Labels)
			users = append(users, rows[j].UserID)
		}
		if d := Disputed(Majorities(sc, labels)); d > 0 {
			out = append(out, ranked{id: rows[i].ParagraphID, doc: rows[i].DocumentID, pos: rows[i].Position, disputed: d, users: users})
		}
		i = j
	}
	if f.Order == QueueByConfidence {
		if err := s.rankByConfidence(db.Statement.Context, run, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// before reports whether r comes before o in the queue's order: least
// confident first (for QueueByConfidence), then most disputed, then in
// reading order, which no two current paragraphs share.
func (r ranked) before(o ranked, order string) bool {
	if order == QueueByConfidence && r.confidence != o.confidence {
		return r.confidence < o.confidence
	}
	if r.disputed != o.disputed {
		return r.disputed > o.disputed
	}
	if r.doc != o.doc {
		return r.doc < o.doc
	}
	return r.pos < o.pos
}

// cursor is r's place in the queue as a page's Next: confidence, disputed,
// document and position, which the order compares.
func (r ranked) cursor() string {
	return strings.Join([]string{strconv.FormatFloat(r.confidence, 'g', -1, 64), strconv.FormatFloat(r.disputed, 'g', -1, 64), strconv.FormatInt(r.doc, 10), strconv.Itoa(r.pos)}, "_")
}

// parseQueueCursor reads a cursor that cursor wrote.
func parseQueueCursor(raw string) (ranked, error) {
	bad := Invalidf("next", "next must be the cursor a page of the queue gave, got %q; start again without next", raw)
	parts := strings.Split(raw, "_")
	if len(parts) != 4 {
		return ranked{}, bad
	}
	var r ranked
	var err1, err2, err3, err4 error
	r.confidence, err1 = strconv.ParseFloat(parts[0], 64)
	r.disputed, err2 = strconv.ParseFloat(parts[1], 64)
	r.doc, err3 = strconv.ParseInt(parts[2], 10, 64)
	r.pos, err4 = strconv.Atoi(parts[3])
	if err := errors.Join(err1, err2, err3, err4); err != nil || r.doc <= 0 || r.pos < 0 || math.IsNaN(r.confidence) || math.IsNaN(r.disputed) {
		return ranked{}, bad
	}
	return r, nil
}

// Disagreements returns one page of the disagreement queue: paragraphs with
// two or more annotations whose labels differ on some dimension, most
// disputed first (see Disputed), each with everyone's labels and notes, the
// majority answers and the gold label, if any, with its history. Without
// f.IncludeResolved, paragraphs that have a gold label are left out.
func (s *Store) Disagreements(ctx context.Context, f DisagreementFilter) ([]Disagreement, error) {
	page, err := s.DisagreementQueue(ctx, f)
	if err != nil {
		return nil, err
	}
	return page.Items, nil
}

// DisagreementPage is one page of the disagreement queue, the number of
// paragraphs in the whole queue and the cursor of the page after ("" on
// the last).
type DisagreementPage struct {
	Items []Disagreement
	Total int
	Next  string
}

// DisagreementQueue returns one page of the disagreement queue (see
// Disagreements) with the queue's size and the cursor of the next page.
// The details (texts, labels, notes, gold history, consensus) are read for
// the page alone. Ranking the queue reads the labels of the paragraphs with
// two or more annotators, which disagreement is computed from, once per
// data version (see rankedQueue).
func (s *Store) DisagreementQueue(ctx context.Context, f DisagreementFilter) (*DisagreementPage, error) {
	if f.Limit <= 0 {
		f.Limit = 20
	}
	if f.Limit > 100 {
		return nil, Invalidf("limit", "limit must be from 1 to 100, got %d; follow next for the rest", f.Limit)
	}
	if f.Offset < 0 {
		return nil, Invalidf("offset", "offset must be 0 or more, got %d", f.Offset)
	}
	if f.Order == "" {
		f.Order = QueueByDisputed
	}
	if f.Order != QueueByDisputed && f.Order != QueueByConfidence {
		return nil, &Error{Code: EINVALID, Field: "order", Message: fmt.Sprintf("unknown order %q", f.Order), Allowed: []string{QueueByDisputed, QueueByConfidence}}
	}
	var after ranked
	if f.After != "" {
		var err error
		if after, err = parseQueueCursor(f.After); err != nil {
			return nil, err
		}
	}
	run, err := s.Consensus(ctx)
	if err != nil {
		return nil, err
	}
	sc, q, err := s.rankedQueue(ctx, f, run)
	if err != nil {
		return nil, err
	}
	page := &DisagreementPage{Items: []Disagreement{}, Total: len(q)}
	start := min(f.Offset, len(q))
	if f.After != "" {
		start = sort.Search(len(q), func(i int) bool { return after.before(q[i], f.Order) })
	}
	q = q[start:]
	if len(q) > f.Limit {
		q = q[:f.Limit]
		page.Next = q[len(q)-1].cursor()
	}
	if len(q) == 0 {
		return page, nil
	}
	ids := make([]int64, len(q))
	for i, r := range q {
		ids[i] = r.id
	}
	out, err := s.disagreementDetails(ctx, sc, q, ids)
	if err != nil {
		return nil, err
	}
	cons, err := s.ConsensusOf(ctx, run, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Consensus = cons[out[i].Paragraph.ID]
		if out[i].Consensus == nil {
			out[i].Consensus = map[string]ConsensusItem{}
		}
		out[i].ConsensusConfidence = lowestConfidence(out[i].Consensus)
	}
	page.Items = out
	return page, nil
}

// rankedQueue returns the ranked queue of disagreementQueue, from memory
// when the same queue (filter and order, over the same consensus run) was
// ranked with nothing written since: paging through a queue that does not
// change reads the labels once, then only each page's details. A queue of
// more than maxCachedQueue paragraphs is ranked again for every page rather
// than held.
func (s *Store) rankedQueue(ctx context.Context, f DisagreementFilter, run *ConsensusRun) (*Schema, []ranked, error) {
	version, err := s.DataVersion(ctx)
	if err != nil {
		return nil, nil, err
	}
	var runID int64
	if run != nil && f.Order == QueueByConfidence {
		runID = run.ID
	}
	key := cacheKey("disagreements", f.Documents, f.IncludeResolved, f.Order, runID)
	if v, ok := s.reports.get(key, version); ok {
		c := v.(rankedCache)
		return c.schema, c.queue, nil
	}
	var sc *Schema
	var q []ranked
	if v, at, ok := s.reports.latest(key); ok {
		// A queue ranked a few writes ago: only the paragraphs those
		// writes touched are ranked again.
		sc, q, ok, err = s.rerank(ctx, f, run, v.(rankedCache), at, version)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			q = nil
		}
	}
	if q == nil {
		if sc, q, err = s.disagreementQueue(ctx, f, run); err != nil {
			return nil, nil, err
		}
	}
	if len(q) <= maxCachedQueue {
		s.reports.put(key, version, rankedCache{schema: sc, queue: q})
	}
	return sc, q, nil
}

// rerank brings a queue ranked at data version from up to version to: it
// reads which paragraphs the writes in between touched, from the history
// every write appends to, ranks those again and puts them in place. ok is
// false when the writes were of a kind that can change the whole queue (a
// schema applied, documents imported) or too many to be worth it, and the
// queue must be ranked afresh.
func (s *Store) rerank(ctx context.Context, f DisagreementFilter, run *ConsensusRun, old rankedCache, from, to int64) (*Schema, []ranked, bool, error) {
	if !s.historyInOrder() {
		// A write below from may still appear (see historyInOrder).
		return nil, nil, false, nil
	}
	db := s.read(ctx)
	sc, err := s.schemaIn(db)
	if err != nil || sc.Version != old.schema.Version {
		return nil, nil, false, err
	}
	var wide int64
	if err := db.Raw("SELECT count(*) FROM history WHERE id > ? AND id <= ? AND entity IN ?", from, to, []string{"schema", "document", "open_value"}).Scan(&wide).Error; err != nil {
		return nil, nil, false, translate(err)
	}
	if wide > 0 {
		return nil, nil, false, nil
	}
	var touched []int64
	if err := db.Raw("SELECT DISTINCT paragraph_id FROM history WHERE id > ? AND id <= ? AND paragraph_id IS NOT NULL AND paragraph_id <> 0 LIMIT ?", from, to, maxRerank+1).Scan(&touched).Error; err != nil {
		return nil, nil, false, translate(err)
	}
	if len(touched) > maxRerank {
		return nil, nil, false, nil
	}
	if len(touched) == 0 {
		// Writes that touched no paragraph (a setting, a user): the queue
		// is as it was. rankParagraphs would read a nil list as "all".
		return sc, old.queue, true, nil
	}
	fresh, err := s.rankParagraphs(db, sc, f, run, touched)
	if err != nil {
		return nil, nil, false, err
	}
	gone := make(map[int64]bool, len(touched))
	for _, id := range touched {
		gone[id] = true
	}
	// The old queue is in order: the paragraphs ranked again are merged
	// into it, so that a write costs one pass over the queue, not a sort.
	sort.Slice(fresh, func(i, j int) bool { return fresh[i].before(fresh[j], f.Order) })
	q := make([]ranked, 0, len(old.queue)+len(fresh))
	next := 0
	for _, r := range old.queue {
		if gone[r.id] {
			continue
		}
		for ; next < len(fresh) && fresh[next].before(r, f.Order); next++ {
			q = append(q, fresh[next])
		}
		q = append(q, r)
	}
	q = append(q, fresh[next:]...)
	return sc, q, true, nil
}

// maxRerank is the most paragraphs rerank ranks again; past it, ranking
// the whole queue costs about as much.
const maxRerank = 20000

// rankedCache is a ranked queue kept in the report cache; nothing changes
// it once kept (pages slice it).
type rankedCache struct {
	schema *Schema
	queue  []ranked
}

// maxCachedQueue is the longest queue kept in memory, about 5 MB.
const maxCachedQueue = 100_000

// rankByConfidence sets each ranked paragraph's lowest consensus
// confidence.
func (s *Store) rankByConfidence(ctx context.Context, run *ConsensusRun, q []ranked) error {
	ids := make([]int64, len(q))
	for i, r := range q {
		ids[i] = r.id
	}
	cons, err := s.ConsensusOf(ctx, run, ids)
	if err != nil {
		return err
	}
	for i := range q {
		q[i].confidence = lowestConfidence(cons[q[i].id])
	}
	return nil
}

// lowestConfidence is the lowest confidence of a paragraph's consensus
// values, 1 when it has none: a tie has the confidence of its tied
// categories, so it sorts among the least confident.
func lowestConfidence(cons map[string]ConsensusItem) float64 {
	low := 1.0
	for _, c := range cons {
		low = min(low, c.Confidence)
	}
	return low
}

// disagreementDetails loads what a reviewer sees of each ranked paragraph,
// a fixed number of queries for the whole page.
func (s *Store) disagreementDetails(ctx context.Context, sc *Schema, q []ranked, ids []int64) ([]Disagreement, error) {
	db := s.read(ctx)
	var paras []Paragraph
	if err := db.Where("id IN ?", ids).Find(&paras).Error; err != nil {
		return nil, translate(err)
	}
	docIDs := make([]int64, 0, len(paras))
	for _, p := range paras {
		docIDs = append(docIDs, p.DocumentID)
	}
	var docs []Document
	if err := db.Where("id IN ?", uniq(docIDs)).Find(&docs).Error; err != nil {
		return nil, translate(err)
	}
	var anns []UserAnnotation
	if err := db.Table("annotations").Select("annotations.*, users.name AS user_name").
		Joins("JOIN users ON users.id = annotations.user_id").
		Where("annotations.paragraph_id IN ?", ids).Order("users.name").Scan(&anns).Error; err != nil {
		return nil, translate(err)
	}
	var notes []Note
	if err := db.Table("notes").Select("notes.*, users.name AS user_name").
		Joins("JOIN users ON users.id = notes.user_id").
		Where("notes.paragraph_id IN ?", ids).Order("notes.id").Scan(&notes).Error; err != nil {
		return nil, translate(err)
	}
	var golds []Gold
	if err := db.Where("paragraph_id IN ?", ids).Find(&golds).Error; err != nil {
		return nil, translate(err)
	}
	var changes []Change
	if err := db.Where("entity = ? AND paragraph_id IN ?", "gold", ids).Order("id").Find(&changes).Error; err != nil {
		return nil, translate(err)
	}
	var deciders []int64
	for _, g := range golds {
		deciders = append(deciders, g.DecidedBy)
	}
	for _, c := range changes {
		deciders = append(deciders, c.UserID)
	}
	names, err := s.UserNames(ctx, deciders)
	if err != nil {
		return nil, err
	}

	byID := make(map[int64]*Disagreement, len(q))
	out := make([]Disagreement, len(q))
	for i, r := range q {
		out[i] = Disagreement{Disputed: r.disputed, Annotations: []UserAnnotation{}, Notes: []Note{}, GoldHistory: []GoldRevision{}}
		byID[r.id] = &out[i]
	}
	docByID := map[int64]Document{}
	for _, d := range docs {
		docByID[d.ID] = d
	}
	for _, p := range paras {
		byID[p.ID].Paragraph = p
		byID[p.ID].Document = docByID[p.DocumentID]
	}
	for _, a := range anns {
		byID[a.ParagraphID].Annotations = append(byID[a.ParagraphID].Annotations, a)
	}
	for _, n := range notes {
		byID[n.ParagraphID].Notes = append(byID[n.ParagraphID].Notes, n)
	}
	for i := range golds {
		d := byID[golds[i].ParagraphID]
		d.Gold, d.GoldBy = &golds[i], names[golds[i].DecidedBy]
	}
	for _, c := range changes {
		byID[c.ParagraphID].GoldHistory = append(byID[c.ParagraphID].GoldHistory, goldRevision(c, names))
	}
	for i := range out {
		labels := make([]Labels, len(out[i].Annotations))
		for j, a := range out[i].Annotations {
			labels[j] = a.Labels
		}
		out[i].Majority = Majorities(sc, labels)
	}
	return out, nil
}

// goldRevision reads a gold history row. SetGold and ApplyGold record
// {"labels", "method"}; a schema migration records the labels alone.
func goldRevision(c Change, names map[int64]string) GoldRevision {
	r := GoldRevision{At: c.At, By: names[c.UserID], Action: c.Action, Labels: Labels{}}
	var v struct {
		Labels Labels `json:"labels"`
		Method string `json:"method"`
	}
	if err := json.Unmarshal([]byte(c.After), &v); err == nil && v.Labels != nil {
		r.Labels, r.Method = v.Labels, v.Method
	} else {
		_ = json.Unmarshal([]byte(c.After), &r.Labels)
	}
	return r
}

// NoMajority returns the dimensions of sc on which the annotators of a
// paragraph have no strict majority (see Majority), in schema order; none
// when there is at most one annotator, or when a majority exists in every
// dimension.
func NoMajority(sc *Schema, labels []Labels) []string {
	var out []string
	if len(labels) < 2 {
		return out
	}
	for _, m := range Majorities(sc, labels) {
		if m.Tie {
			out = append(out, m.Dimension)
		}
	}
	return out
}

// CheckMajorityMethod refuses a gold decision that says it accepts the
// majority ("majority") of a paragraph whose annotators have none: with two
// annotators who differ there is nothing to accept, and the decision must
// say what the reviewer chose instead.
func (s *Store) CheckMajorityMethod(ctx context.Context, sc *Schema, paragraphID int64, method string) error {
	if method != "majority" {
		return nil
	}
	anns, err := s.Annotations(ctx, paragraphID)
	if err != nil {
		return err
	}
	labels := make([]Labels, len(anns))
	for i, a := range anns {
		labels[i] = a.Labels
	}
	if len(labels) < 2 {
		return Invalidf("method", "paragraph %d has %d annotator(s), so no majority; accept an annotator's labels (method accept:NAME) or set your own (method own)", paragraphID, len(labels))
	}
	if tied := NoMajority(sc, labels); len(tied) > 0 {
		return Invalidf("method", "paragraph %d has no majority on %s (no answer has more than half of its %d annotators); accept an annotator's labels (method accept:NAME) or set your own (method own)", paragraphID, strings.Join(tied, ", "), len(labels))
	}
	return nil
}
