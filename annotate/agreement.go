package annotate

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"gorm.io/gorm"
	"math"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"concord/agreement"
)

// LabelRow is one annotator's labels for one item, as the agreement report
// reads them: from the database (Item is the paragraph id) or from a file
// (Item is whatever the file calls it). At orders repeated rows of the same
// item and annotator; the latest wins.
type LabelRow struct {
	Item      string
	Annotator string
	Labels    Labels
	At        time.Time
}

// AgreementReport is inter-annotator agreement over a set of labels, one
// entry per dimension of the schema, with each annotator's agreement with
// the gold labels. The README documents its JSON shape.
type AgreementReport struct {
	// SchemaVersion is the version of the schema the labels were read with.
	SchemaVersion int `json:"schema_version"`
	// Options are the bootstrap options the intervals were computed with.
	Options agreement.Options `json:"options"`
	// Items counts the items with at least one label, Labels the label rows
	// (one per annotator and item), GoldItems the items with a gold label.
	Items     int `json:"items"`
	Labels    int `json:"labels"`
	GoldItems int `json:"gold_items"`
	// Annotators lists everyone who labelled at least one item, sorted.
	Annotators []string `json:"annotators"`
	// Level is the level of measurement labels read without a schema were
	// compared at (see Level); absent when a schema says how.
	Level Level `json:"level,omitempty"`
	// DuplicateLabels counts the labels of a file replaced by a later line
	// for the same item, annotator and dimension; DuplicateRule says which
	// one counts. The database keeps one label per paragraph and annotator,
	// so it has none.
	DuplicateLabels int                  `json:"duplicate_labels"`
	DuplicateRule   string               `json:"duplicate_rule,omitempty"`
	Dimensions      []DimensionAgreement `json:"dimensions"`
	// Models compares each model's suggestions with the gold labels and
	// the annotators (see ModelAgreement); the figures above never count
	// them. Empty for labels read from a file.
	Models []ModelAgreement `json:"models"`
}

// Level is how the values of a dimension read without a schema are
// compared: as names (nominal), ranks (ordinal), or numbers whose
// differences (interval) or ratios (ratio) mean something.
type Level string

// The levels of measurement.
const (
	LevelNominal  Level = "nominal"
	LevelOrdinal  Level = "ordinal"
	LevelInterval Level = "interval"
	LevelRatio    Level = "ratio"
)

// Levels lists the levels of measurement, from the weakest.
var Levels = []Level{LevelNominal, LevelOrdinal, LevelInterval, LevelRatio}

// ParseLevel reads a level of measurement; "" is nominal.
func ParseLevel(s string) (Level, error) {
	if s == "" {
		return LevelNominal, nil
	}
	for _, l := range Levels {
		if string(l) == s {
			return l, nil
		}
	}
	return "", &Error{Code: EINVALID, Field: "level", Message: fmt.Sprintf("unknown level %q", s), Allowed: []string{"nominal", "ordinal", "interval", "ratio"}}
}

// DuplicateRuleLastLine is the rule a file's repeated labels follow.
const DuplicateRuleLastLine = "the last line for an item, annotator and dimension wins"

// SetLevel makes level the primary coefficient of every single-choice
// dimension (multi-label ones keep MASI alpha) and rewrites the readings.
func (r *AgreementReport) SetLevel(level Level) {
	r.Level = level
	for i := range r.Dimensions {
		d := &r.Dimensions[i]
		if d.Kind == KindMulti {
			continue
		}
		d.Primary = "alpha_" + string(level)
		d.Reading = reading(d)
	}
}

// AddDuplicates records the repeated labels of a file, by dimension name,
// in the report and in each dimension's duplicate_units.
func (r *AgreementReport) AddDuplicates(byDimension map[string]int) {
	for i := range r.Dimensions {
		n := byDimension[r.Dimensions[i].Name]
		r.Dimensions[i].Report.DuplicateUnits += n
		r.DuplicateLabels += n
	}
	if r.DuplicateLabels > 0 {
		r.DuplicateRule = DuplicateRuleLastLine
	}
}

// DimensionAgreement is the agreement on one dimension: the full report of
// the agreement package, the coefficient the reading is based on, the
// reading itself and each annotator's agreement with the gold labels.
type DimensionAgreement struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	Kind  Kind   `json:"kind"`
	// Primary names the coefficient of Report the reading is about:
	// "alpha_ordinal" for ordered dimensions, "alpha_masi" for multi ones
	// and "alpha_nominal" otherwise; for labels read without a schema, the
	// alpha of the level asked for ("alpha_interval", "alpha_ratio").
	Primary string `json:"primary"`
	// Reading says in one line what the numbers mean.
	Reading string           `json:"reading"`
	Report  agreement.Report `json:"report"`
	// Gold has one entry per annotator, in the order of Report.Pairwise.
	Gold []GoldAgreement `json:"gold"`
}

// PrimaryMetric returns the coefficient Primary names.
func (d *DimensionAgreement) PrimaryMetric() agreement.Metric {
	switch d.Primary {
	case "alpha_ordinal":
		return d.Report.AlphaOrdinal
	case "alpha_masi":
		return d.Report.AlphaMASI
	case "alpha_interval":
		return d.Report.AlphaInterval
	case "alpha_ratio":
		return d.Report.AlphaRatio
	}
	return d.Report.AlphaNominal
}

// GoldAgreement is how well one annotator's labels on one dimension match
// the gold labels, over the items that have both.
type GoldAgreement struct {
	Annotator string `json:"annotator"`
	// Items counts the items with both the annotator's label and a gold
	// label on the dimension; Matches those where they are equal (the same
	// set, for a multi dimension).
	Items   int `json:"items"`
	Matches int `json:"matches"`
	// Accuracy is Matches/Items, null when Items is 0.
	Accuracy *float64 `json:"accuracy"`
	// Kappa is Cohen's kappa between the annotator and the gold labels. For
	// a multi dimension each distinct label set counts as one category.
	Kappa   agreement.Metric `json:"kappa"`
	Reading string           `json:"reading"`
}

// BuildAgreement computes the agreement report of rows against schema: one
// agreement.Dataset per dimension, computed with opt, and each annotator's
// agreement with gold (labels by item). A single dimension's categories are
// its option keys, in order when it is ordered; a multi dimension is
// set-valued; an open dimension is nominal, with the option keys and every
// value seen as categories. A dimension absent from a row's labels is one
// the annotator did not answer and counts nowhere. Values outside the
// schema are counted in the report's unknown_values and left out.
func BuildAgreement(schema *Schema, rows []LabelRow, gold map[string]Labels, opt agreement.Options) *AgreementReport {
	rep, _ := BuildAgreementContext(context.Background(), schema, rows, gold, opt)
	return rep
}

// BuildAgreementContext is BuildAgreement that stops when ctx is done and
// returns its error.
func BuildAgreementContext(ctx context.Context, schema *Schema, rows []LabelRow, gold map[string]Labels, opt agreement.Options) (*AgreementReport, error) {
	t, golds := tableOfRows(latestRows(rows), gold)
	return buildAgreement(ctx, schema, t, golds, opt)
}

// buildAgreement is BuildAgreementContext over a label table and its gold
// labels, by paragraph (or item number) in order, as the store reads them.
// Each dimension is handed to the agreement package in compact form (see
// agreement.Coded): the table's rows, their annotators and the places of
// their labels, with no string or slice per label.
func buildAgreement(ctx context.Context, schema *Schema, t *labelTable, gold []paragraphGold, opt agreement.Options) (*AgreementReport, error) {
	rep := &AgreementReport{SchemaVersion: schema.Version, Options: opt, Labels: len(t.rows), Annotators: t.annotators(), Dimensions: []DimensionAgreement{}, Models: []ModelAgreement{}}
	for i, r := range t.rows {
		if i == 0 || r.paragraph != t.rows[i-1].paragraph {
			rep.Items++
		}
	}
	for _, g := range gold {
		if len(g.Labels) > 0 {
			rep.GoldItems++
		}
	}
	start, anns := t.shape()
	// Dimensions are computed side by side, one per core: each reads the
	// shared table and builds its own data.
	rep.Dimensions = make([]DimensionAgreement, len(schema.Dimensions))
	errs := make([]error, len(schema.Dimensions))
	cores := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i := range schema.Dimensions {
		wg.Go(func() {
			cores <- struct{}{}
			defer func() { <-cores }()
			rep.Dimensions[i], errs[i] = dimensionAgreement(ctx, &schema.Dimensions[i], t, start, anns, gold, opt)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return rep, nil
}

// dimensionAgreement computes one dimension's part of the report.
func dimensionAgreement(ctx context.Context, d *Dimension, t *labelTable, start, anns []int32, gold []paragraphGold, opt agreement.Options) (DimensionAgreement, error) {
	r, err := agreement.ComputeCoded(ctx, t.coded(d, start, anns), opt)
	if err != nil {
		return DimensionAgreement{}, err
	}
	da := DimensionAgreement{Name: d.Name, Title: d.Title, Kind: d.Kind, Primary: "alpha_nominal", Report: r}
	switch {
	case d.Kind == KindMulti:
		da.Primary = "alpha_masi"
	case d.Ordered:
		da.Primary = "alpha_ordinal"
	}
	da.Reading = reading(&da)
	da.Gold = goldAgreement(d, t, gold, da.Report.Pairwise.Annotators)
	return da, nil
}

// latestRows returns rows grouped by item, keeping only the latest row of
// each item and annotator. Grouping by item is also the order
// agreement.Compute reads fastest.
func latestRows(rows []LabelRow) []LabelRow {
	out := slices.Clone(rows)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Item != out[j].Item {
			return out[i].Item < out[j].Item
		}
		if out[i].Annotator != out[j].Annotator {
			return out[i].Annotator < out[j].Annotator
		}
		return out[i].At.Before(out[j].At)
	})
	w := 0
	for i, r := range out {
		if i+1 < len(out) && out[i+1].Item == r.Item && out[i+1].Annotator == r.Annotator {
			continue
		}
		out[w] = r
		w++
	}
	return out[:w]
}

// reading is the one-line summary of a dimension's agreement.
func reading(d *DimensionAgreement) string {
	m := d.PrimaryMetric()
	name := map[string]string{"alpha_nominal": "nominal α", "alpha_ordinal": "ordinal α", "alpha_interval": "interval α", "alpha_ratio": "ratio α", "alpha_masi": "MASI α"}[d.Primary]
	if !m.Defined() {
		return fmt.Sprintf("%s is undefined: %s.", name, m.Reason)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s = %s", name, FormatMetric(m.Float()))
	if m.CI != nil {
		fmt.Fprintf(&b, " (%g%% CI %s to %s)", math.Round(m.CI.Level*1000)/10, FormatMetric(m.CI.Lower), FormatMetric(m.CI.Upper))
	}
	fmt.Fprintf(&b, ": %s, over %d items labelled by two or more annotators", agreement.Interpret(m.Float()), d.Report.PairableItems)
	if m.CI != nil && m.CI.Lower < 0.667 && m.Float() >= 0.667 {
		b.WriteString("; the interval reaches below .667, so more items are needed to be sure")
	}
	b.WriteString(".")
	return b.String()
}

// FormatMetric writes a coefficient with three decimals, as "0.712" or
// "-0.050".
func FormatMetric(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

// setCategory names a label set as one nominal category, for kappa against
// gold on a multi dimension. Option keys never hold "|" or "{".
func setCategory(vs []string) string {
	if len(vs) == 0 {
		return "{}"
	}
	return strings.Join(vs, "|")
}

// goldAgreement compares each annotator with the gold labels on one
// dimension: a contingency table per annotator over the paragraphs with
// both their label and a gold label, each distinct label set one category.
// t's rows and gold are both in paragraph order, so they are read side by
// side.
func goldAgreement(d *Dimension, t *labelTable, gold []paragraphGold, annotators []string) []GoldAgreement {
	ids := map[string]int{}
	category := func(vs []string) int {
		k := setCategory(vs)
		id, ok := ids[k]
		if !ok {
			id = len(ids)
			ids[k] = id
		}
		return id
	}
	// Each labels value's category, looked up once: -1 when it leaves the
	// dimension out, -2 before it is looked up.
	valueCat := make([]int, len(t.values))
	for i := range valueCat {
		valueCat[i] = -2
	}
	counts := make([]map[[2]int]int64, len(t.users))
	g := 0
	goldCat, goldFor := -1, int64(-1)
	for _, r := range t.rows {
		for g < len(gold) && gold[g].ParagraphID < r.paragraph {
			g++
		}
		if g == len(gold) {
			break
		}
		if gold[g].ParagraphID != r.paragraph {
			continue
		}
		if goldFor != r.paragraph {
			goldFor, goldCat = r.paragraph, -1
			if gv := gold[g].Labels[d.Name]; len(gv) > 0 {
				goldCat = category(gv)
			}
		}
		if goldCat < 0 {
			continue
		}
		a := valueCat[r.labels]
		if a == -2 {
			a = -1
			if vs := t.values[r.labels][d.Name]; len(vs) > 0 {
				a = category(vs)
			}
			valueCat[r.labels] = a
		}
		if a < 0 {
			continue
		}
		if counts[r.user] == nil {
			counts[r.user] = map[[2]int]int64{}
		}
		counts[r.user][[2]int{a, goldCat}]++
	}
	place := make(map[string]int, len(t.users))
	for i, name := range t.users {
		place[name] = i
	}
	out := make([]GoldAgreement, 0, len(annotators))
	for _, name := range annotators {
		ga := GoldAgreement{Annotator: name}
		tab := agreement.NewTable(len(ids))
		if u, ok := place[name]; ok {
			for k, n := range counts[u] {
				tab.Counts[k[0]*tab.K+k[1]] += n
			}
		}
		ga.Items, ga.Matches = int(tab.Items()), int(tab.Matches())
		if ga.Items > 0 {
			acc := float64(ga.Matches) / float64(ga.Items)
			ga.Accuracy = &acc
			_, ga.Kappa = tab.Kappa()
		} else {
			ga.Kappa = agreement.Metric{Reason: "no item has both this annotator's label and a gold label"}
		}
		ga.Reading = goldReading(ga)
		out = append(out, ga)
	}
	return out
}

func goldReading(g GoldAgreement) string {
	if g.Items == 0 {
		return "no adjudicated item to compare with"
	}
	if !g.Kappa.Defined() {
		return fmt.Sprintf("%d of %d match gold; kappa undefined: %s", g.Matches, g.Items, g.Kappa.Reason)
	}
	return fmt.Sprintf("%d of %d match gold; %s", g.Matches, g.Items, agreement.InterpretKappa(g.Kappa.Float()))
}

// AgreementFilter narrows the labels an agreement report reads. Empty fields
// match everything.
type AgreementFilter struct {
	// Documents keeps the paragraphs of these documents.
	Documents []int64 `json:"documents,omitempty"`
	// Annotators keeps these annotators' labels, by user name. An unknown
	// name is an EINVALID error.
	Annotators []string `json:"annotators,omitempty"`
	// From and To keep the annotations last updated in [From, To).
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
}

// Check reports a filter that can match nothing by construction.
func (f AgreementFilter) Check() error {
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return Invalidf("to", "the end of the date range (%s) must come after its start (%s)", f.To.Format(time.DateOnly), f.From.Format(time.DateOnly))
	}
	return nil
}

// LabelSet is what an agreement report is computed from: the labels, the
// schema they were read with and the gold labels by item.
type LabelSet struct {
	Schema *Schema
	Rows   []LabelRow
	Gold   map[string]Labels
}

// AgreementLabels loads the labels of the current paragraphs the filter
// keeps, with their gold labels, for BuildAgreement and BuildConfusion.
// Paragraphs taken out by curation are left out, as they are from the
// dataset.
func (s *Store) AgreementLabels(ctx context.Context, f AgreementFilter) (*LabelSet, error) {
	sl, err := s.storedLabels(ctx, f)
	if err != nil {
		return nil, err
	}
	return sl.labelSet(), nil
}

// storedLabelSet is what the store's reports are computed from: the
// labels in compact form, the schema they were read with and the gold
// labels in paragraph order. Nothing changes it once read: the label cache
// hands it to every report that asks.
type storedLabelSet struct {
	schema *Schema
	table  *labelTable
	gold   []paragraphGold
}

// labelSet spells sl out as a LabelSet.
func (sl *storedLabelSet) labelSet() *LabelSet {
	gold := make(map[string]Labels, len(sl.gold))
	for _, g := range sl.gold {
		gold[strconv.FormatInt(g.ParagraphID, 10)] = g.Labels
	}
	return &LabelSet{Schema: sl.schema, Rows: sl.table.labelRows(), Gold: gold}
}

// storedLabels reads the labels and gold labels of the current paragraphs
// the filter keeps (see AgreementLabels).
func (s *Store) storedLabels(ctx context.Context, f AgreementFilter) (*storedLabelSet, error) {
	if err := f.Check(); err != nil {
		return nil, err
	}
	db := s.read(ctx)
	sc, err := s.schemaIn(db)
	if err != nil {
		return nil, err
	}
	users, err := annotatorIDs(db, f.Annotators)
	if err != nil {
		return nil, err
	}
	if len(f.Documents) > 0 {
		var known []int64
		if err := db.Model(&Document{}).Where("id IN ?", f.Documents).Pluck("id", &known).Error; err != nil {
			return nil, translate(err)
		}
		for _, id := range f.Documents {
			if !slices.Contains(known, id) {
				return nil, Invalidf("document", "no document with id %d", id)
			}
		}
	}
	t, err := s.readLabelTable(db, f, users)
	if err != nil {
		return nil, err
	}
	gold, err := goldRows(db, f, nil)
	if err != nil {
		return nil, err
	}
	return &storedLabelSet{schema: sc, table: t, gold: gold}, nil
}

// paragraphGold is the gold label of one paragraph.
type paragraphGold struct {
	ParagraphID int64
	Labels      Labels
}

// goldRows reads the gold labels of the current paragraphs f keeps (its
// documents; curation's exclusions left out), of the given paragraphs or
// of all when paragraphs is nil, in paragraph id order.
func goldRows(db *gorm.DB, f AgreementFilter, paragraphs []int64) ([]paragraphGold, error) {
	gq := db.Table("golds g").Select("g.paragraph_id, g.labels").
		Joins("JOIN paragraphs p ON p.id = g.paragraph_id").
		Where("p.is_current = ? AND p.id NOT IN ("+excludedSQL+")", true)
	if len(f.Documents) > 0 {
		gq = gq.Where("p.document_id IN ?", f.Documents)
	}
	if paragraphs != nil {
		gq = gq.Where("g.paragraph_id IN ?", paragraphs)
	}
	var golds []paragraphGold
	if err := gq.Order("g.paragraph_id").Scan(&golds).Error; err != nil {
		return nil, translate(err)
	}
	return golds, nil
}

// labelRows turns t's rows into LabelRows.
func (t *labelTable) labelRows() []LabelRow {
	rows := make([]LabelRow, len(t.rows))
	var last int64 = -1
	item := ""
	for i, r := range t.rows {
		if r.paragraph != last {
			last, item = r.paragraph, strconv.FormatInt(r.paragraph, 10)
		}
		rows[i] = LabelRow{Item: item, Annotator: t.users[r.user], Labels: t.values[r.labels]}
	}
	return rows
}

// annotators returns the names of the annotators with a row in t, sorted.
func (t *labelTable) annotators() []string {
	seen := make([]bool, len(t.users))
	for _, r := range t.rows {
		seen[r.user] = true
	}
	out := []string{}
	for u, ok := range seen {
		if ok {
			out = append(out, t.users[u])
		}
	}
	sort.Strings(out)
	return out
}

// shape returns the grouping of t's rows by paragraph and each row's
// annotator, as agreement.Coded's Start and Annotator: the same for every
// dimension.
func (t *labelTable) shape() (start, anns []int32) {
	start = []int32{0}
	anns = make([]int32, len(t.rows))
	for j, r := range t.rows {
		if j > 0 && r.paragraph != t.rows[j-1].paragraph {
			start = append(start, int32(j))
		}
		anns[j] = r.user
	}
	if len(t.rows) > 0 {
		start = append(start, int32(len(t.rows)))
	}
	return start, anns
}

// coded returns dimension d of t in the agreement package's compact form,
// on t's shape: each distinct labels value of t gives the dimension's
// values once, and a row that leaves the dimension out is not there. An
// open dimension's categories are its option keys and, sorted, every
// other value the rows hold.
func (t *labelTable) coded(d *Dimension, start, anns []int32) agreement.Coded {
	c := agreement.Coded{
		Categories: d.Keys(), Ordered: d.Ordered && d.Kind == KindSingle, Multi: d.Kind == KindMulti,
		Annotators: t.users, Labels: make([][]string, len(t.values)), Start: start, Annotator: anns,
		Label: make([]int32, len(t.rows)),
	}
	if c.Ordered {
		c.Values = d.Values()
	}
	used := make([]bool, len(t.values))
	for j, r := range t.rows {
		if len(t.values[r.labels][d.Name]) == 0 {
			c.Label[j] = -1
			continue
		}
		c.Label[j] = r.labels
		used[r.labels] = true
	}
	seen := map[string]bool{}
	for _, k := range c.Categories {
		seen[k] = true
	}
	var extra []string
	for v, ok := range used {
		if !ok {
			continue
		}
		c.Labels[v] = t.values[v][d.Name]
		if d.Kind == KindOpen {
			for _, x := range c.Labels[v] {
				if !seen[x] {
					seen[x] = true
					extra = append(extra, x)
				}
			}
		}
	}
	sort.Strings(extra)
	c.Categories = append(c.Categories, extra...)
	return c
}

// tableOfRows puts rows — at most one per item and annotator, grouped by
// item, as latestRows leaves them — in a label table: the items numbered
// in the order of the rows, the annotators by sorted name, and gold by the
// items' numbers, in order (an item with gold and no row numbered after
// the rows' items).
func tableOfRows(rows []LabelRow, gold map[string]Labels) (*labelTable, []paragraphGold) {
	t := &labelTable{rows: make([]idLabels, len(rows)), values: make([]Labels, len(rows))}
	place := map[string]int32{}
	for _, r := range rows {
		if _, ok := place[r.Annotator]; !ok {
			place[r.Annotator] = 0
			t.users = append(t.users, r.Annotator)
		}
	}
	sort.Strings(t.users)
	for i, name := range t.users {
		place[name] = int32(i)
	}
	item := map[string]int64{}
	for i, r := range rows {
		n, ok := item[r.Item]
		if !ok {
			n = int64(len(item))
			item[r.Item] = n
		}
		t.rows[i] = idLabels{paragraph: n, user: place[r.Annotator], labels: int32(i)}
		t.values[i] = r.Labels
	}
	var golds []paragraphGold
	var orphans []string
	for name, l := range gold {
		if n, ok := item[name]; ok {
			golds = append(golds, paragraphGold{ParagraphID: n, Labels: l})
		} else {
			orphans = append(orphans, name)
		}
	}
	sort.Strings(orphans)
	for i, name := range orphans {
		golds = append(golds, paragraphGold{ParagraphID: int64(len(item) + i), Labels: gold[name]})
	}
	slices.SortFunc(golds, func(a, b paragraphGold) int { return cmp.Compare(a.ParagraphID, b.ParagraphID) })
	return t, golds
}

// labelTable is the labels of a set of annotations in compact form: one
// small row per annotation, its annotator and its labels given by their
// place in users and values. Teams' labels repeat a few combinations of
// values, so each distinct labels value is decoded once and the rows of a
// million annotations take 16 MB, not a million decoded maps.
type labelTable struct {
	// rows are sorted by paragraph, then user.
	rows []idLabels
	// users names the annotators by their place among the users in id
	// order, so that rows sorted by place are sorted by user id; the last
	// name is "", for a user id the users table does not hold.
	users []string
	// values are the distinct labels values; no one may change them.
	values []Labels
}

// idLabels is one annotation of a labelTable: its paragraph, and the
// places of its annotator and of its labels.
type idLabels struct {
	paragraph    int64
	user, labels int32
}

// userPlaces returns the users' names in id order, with "" last (see
// labelTable.users), and each user's place among them.
func userPlaces(db *gorm.DB) ([]string, map[int64]int32, error) {
	var people []User
	if err := db.Select("id", "name").Order("id").Find(&people).Error; err != nil {
		return nil, nil, translate(err)
	}
	names := make([]string, 0, len(people)+1)
	place := make(map[int64]int32, len(people))
	for i, u := range people {
		place[u.ID] = int32(i)
		names = append(names, u.Name)
	}
	return append(names, ""), place, nil
}

// readLabelTable reads the labels f keeps, one row per annotation, grouped
// by paragraph in id order.
//
// Without a document filter the annotations are read in the table's own
// order, in ranges side by side, one per core, each a plain scan with no
// lookup per row; the paragraphs to leave out (of older revisions, or
// taken out by curation) are read first, and the rows are put in
// paragraph order afterwards. With one, the read joins the paragraphs.
func (s *Store) readLabelTable(db *gorm.DB, f AgreementFilter, users []int64) (*labelTable, error) {
	names, place, err := userPlaces(db)
	if err != nil {
		return nil, err
	}
	t := &labelTable{users: names}
	var span struct{ Lo, Hi, N int64 }
	if err := db.Raw("SELECT COALESCE(min(id), 0) AS lo, COALESCE(max(id), 0) AS hi, count(*) AS n FROM annotations").Scan(&span).Error; err != nil {
		return nil, translate(err)
	}
	var skip map[int64]bool
	if len(f.Documents) == 0 {
		var out []int64
		if err := db.Raw("SELECT id FROM paragraphs WHERE is_current = ? UNION "+excludedSQL, false).Scan(&out).Error; err != nil {
			return nil, translate(err)
		}
		skip = make(map[int64]bool, len(out))
		for _, id := range out {
			skip[id] = true
		}
	}
	parts := 1
	if span.N >= labelsPerPart {
		parts = min(runtime.GOMAXPROCS(0), maxLabelParts)
	}
	step := (span.Hi-span.Lo)/int64(parts) + 1
	got := make([]labelRange, parts)
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for i := range parts {
		wg.Go(func() {
			lo := span.Lo + int64(i)*step
			got[i], errs[i] = readLabelRange(db, f, users, skip, place, lo, lo+step, int(span.N)/parts)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	t.rows, t.values = got[0].rows, got[0].values
	if parts > 1 {
		n := 0
		for _, g := range got {
			n += len(g.rows)
		}
		t.rows = make([]idLabels, 0, n)
		t.values = nil
		for i := range got {
			// Each range numbered its own values.
			base := int32(len(t.values))
			for _, r := range got[i].rows {
				r.labels += base
				t.rows = append(t.rows, r)
			}
			t.values = append(t.values, got[i].values...)
			got[i] = labelRange{}
		}
	}
	slices.SortFunc(t.rows, func(a, b idLabels) int {
		if c := cmp.Compare(a.paragraph, b.paragraph); c != 0 {
			return c
		}
		return cmp.Compare(a.user, b.user)
	})
	return t, nil
}

// labelRange is the part of a labelTable one query gives, its rows' labels
// numbered in its own values.
type labelRange struct {
	rows   []idLabels
	values []Labels
}

// labelsPerPart is the number of labels from which readLabelTable reads in
// parts, and maxLabelParts the most parts it reads at once.
const (
	labelsPerPart = 100000
	maxLabelParts = 4
)

// readLabelRange reads the annotations of readLabelTable whose ids are in
// [lo, hi), leaving out the paragraphs in skip; with a document filter
// (skip is nil) it asks the paragraphs instead.
func readLabelRange(db *gorm.DB, f AgreementFilter, users []int64, skip map[int64]bool, place map[int64]int32, lo, hi int64, capacity int) (labelRange, error) {
	q := db.Table("annotations a").
		Select("a.paragraph_id, a.user_id, a.labels").
		Where("a.id >= ? AND a.id < ?", lo, hi)
	if skip == nil {
		q = q.Joins("JOIN paragraphs p ON p.id = a.paragraph_id").
			Where("p.is_current = ? AND p.id NOT IN ("+excludedSQL+")", true).
			Where("p.document_id IN ?", f.Documents)
	}
	return scanLabels(q, f, users, skip, place, capacity)
}

// readLabelsOf reads the labels f keeps of the given paragraphs, in
// paragraph and user order, leaving out paragraphs no longer current or
// taken out by curation.
func readLabelsOf(db *gorm.DB, f AgreementFilter, users []int64, paragraphs []int64, place map[int64]int32) (labelRange, error) {
	q := db.Table("annotations a").
		Select("a.paragraph_id, a.user_id, a.labels").
		Joins("JOIN paragraphs p ON p.id = a.paragraph_id").
		Where("a.paragraph_id IN ? AND p.is_current = ? AND p.id NOT IN ("+excludedSQL+")", paragraphs, true).
		Order("a.paragraph_id, a.user_id")
	if len(f.Documents) > 0 {
		q = q.Where("p.document_id IN ?", f.Documents)
	}
	return scanLabels(q, f, users, nil, place, len(paragraphs))
}

// scanLabels adds f's annotator and date conditions to q, which selects
// paragraph_id, user_id and labels, and reads its rows, leaving out the
// paragraphs in skip. place gives each user's place (see labelTable.users);
// a user it does not know gets the place after the last.
func scanLabels(q *gorm.DB, f AgreementFilter, users []int64, skip map[int64]bool, place map[int64]int32, capacity int) (labelRange, error) {
	if len(f.Annotators) > 0 {
		q = q.Where("a.user_id IN ?", users)
	}
	if !f.From.IsZero() {
		q = q.Where("a.updated_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("a.updated_at < ?", f.To.UTC())
	}
	rs, err := q.Rows()
	if err != nil {
		return labelRange{}, translate(err)
	}
	defer rs.Close()
	out := labelRange{rows: make([]idLabels, 0, capacity)}
	decoded := map[string]int32{}
	unknown := int32(len(place))
	var (
		pid, uid int64
		raw      sql.RawBytes
	)
	for rs.Next() {
		if err := rs.Scan(&pid, &uid, &raw); err != nil {
			return labelRange{}, translate(err)
		}
		if skip[pid] {
			continue
		}
		v, ok := decoded[string(raw)]
		if !ok {
			var l Labels
			if err := l.Scan([]byte(raw)); err != nil {
				return labelRange{}, fmt.Errorf("labels of paragraph %d: %w", pid, err)
			}
			v = int32(len(out.values))
			out.values = append(out.values, l)
			decoded[string(raw)] = v
		}
		u, ok := place[uid]
		if !ok {
			u = unknown
		}
		out.rows = append(out.rows, idLabels{paragraph: pid, user: u, labels: v})
	}
	if err := rs.Err(); err != nil {
		return labelRange{}, translate(err)
	}
	return out, nil
}

// Confusion returns the confusion matrix of annotators a (rows) and b
// (columns) on one dimension, over the labels f keeps.
func (s *Store) Confusion(ctx context.Context, f AgreementFilter, dimension, a, b string) (*agreement.Matrix, error) {
	sl, err := s.storedLabels(ctx, f)
	if err != nil {
		return nil, err
	}
	start, anns := sl.table.shape()
	return buildConfusion(sl.schema, sl.table, start, anns, dimension, a, b)
}

// BuildConfusion returns the confusion matrix of annotators a (rows) and b
// (columns) on one dimension of rows. An unknown dimension or an annotator
// with no label in rows is an EINVALID error naming the field.
func BuildConfusion(schema *Schema, rows []LabelRow, dimension, a, b string) (*agreement.Matrix, error) {
	t, _ := tableOfRows(latestRows(rows), nil)
	start, anns := t.shape()
	return buildConfusion(schema, t, start, anns, dimension, a, b)
}

// buildConfusion is BuildConfusion over a label table, whose shape (see
// labelTable.shape) is start and anns. The matrix is counted from the
// pair's rows alone; an open dimension's categories are its options and
// every value anyone typed, as in the report.
func buildConfusion(schema *Schema, t *labelTable, start, anns []int32, dimension, a, b string) (*agreement.Matrix, error) {
	d, ok := schema.Dimension(dimension)
	if !ok {
		return nil, &Error{Code: EINVALID, Field: "dimension", Message: fmt.Sprintf("unknown dimension %q", dimension), Allowed: schema.Names()}
	}
	names := t.annotators()
	for _, x := range [][2]string{{"a", a}, {"b", b}} {
		field, name := x[0], x[1]
		if name == "" {
			return nil, &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf("name the annotator %s of the pair", field), Allowed: names}
		}
		if !slices.Contains(names, name) {
			return nil, &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf("%q has no labels here", name), Allowed: names}
		}
	}
	m := agreement.ConfusionCoded(t.coded(d, start, anns), a, b)
	return &m, nil
}
