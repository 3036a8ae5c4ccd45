package annotate

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gorm.io/gorm"

	"concord/agreement"
)

// ModelAgreement is how one model's suggestions agree with the gold labels
// and with each annotator, dimension by dimension. A model is never one of
// the annotators: its suggestions count in none of the report's human
// figures (annotators, pairs, alphas, gold agreement), only here.
type ModelAgreement struct {
	// Agent names the model and its version, as the suggestions give it.
	Agent      string           `json:"agent"`
	Dimensions []ModelDimension `json:"dimensions"`
}

// ModelDimension is one model on one single or multi dimension. A multi
// dimension's label sets are compared whole: each distinct set counts as one
// category, as the annotators' agreement with gold does.
type ModelDimension struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	Kind  Kind   `json:"kind"`
	// Paragraphs counts the paragraphs the filter keeps that have both
	// this model's suggestion and at least one annotator's label on the
	// dimension.
	Paragraphs int `json:"paragraphs"`
	// Gold compares the model with the gold labels, taken as the truth.
	Gold ModelGold `json:"gold"`
	// Annotators compares the model with each annotator over the
	// paragraphs both labelled, in the order of the report's annotators.
	Annotators []ModelAnnotator `json:"annotators"`
	// MeanKappa is the mean of the defined kappas of Annotators.
	MeanKappa agreement.Metric `json:"mean_kappa"`
	// HumanKappa is the mean pairwise Cohen's kappa between the annotators
	// on the dimension, for comparison with MeanKappa: the report's
	// light_kappa on a single dimension, over whole label sets on a multi
	// one.
	HumanKappa agreement.Metric `json:"human_kappa"`
	// Accept is how often annotators kept this model's suggestion when
	// they were shown it on the dimension (every save counts, whatever the
	// filter); null when it was never shown.
	Accept *ModelAccept `json:"accept"`
}

// ModelGold is one model against the gold labels of one dimension.
type ModelGold struct {
	// Items counts the paragraphs with both a suggestion and a gold label,
	// Matches those where they are equal.
	Items   int `json:"items"`
	Matches int `json:"matches"`
	// Accuracy is Matches/Items, null when Items is 0.
	Accuracy *float64 `json:"accuracy"`
	// Kappa is Cohen's kappa between the model and gold; MacroF1 the mean
	// per-category F1 of the model with gold as the truth.
	Kappa   agreement.Metric `json:"kappa"`
	MacroF1 agreement.Metric `json:"macro_f1"`
	// WeightedKappa, on an ordered dimension only, is Cohen's kappa with
	// linear weights: a suggestion one step off counts less against the
	// model than one further off.
	WeightedKappa *agreement.Metric `json:"weighted_kappa,omitempty"`
}

// ModelAnnotator is one model against one annotator on one dimension.
type ModelAnnotator struct {
	Annotator string `json:"annotator"`
	// Items counts the paragraphs both labelled, Matches those where they
	// gave the same value.
	Items         int               `json:"items"`
	Matches       int               `json:"matches"`
	Kappa         agreement.Metric  `json:"kappa"`
	WeightedKappa *agreement.Metric `json:"weighted_kappa,omitempty"`
}

// ModelAccept is how often a model's suggestion on a dimension was kept.
type ModelAccept struct {
	Shown    int64   `json:"shown"`
	Accepted int64   `json:"accepted"`
	Rate     float64 `json:"rate"`
}

// settingSuggestionsVersion is the setting every write of suggestions
// increments: the agreement report's models are cached under it, because
// suggestions move no history row (see PutSuggestions).
const settingSuggestionsVersion = "suggestions_version"

// bumpSuggestionsVersion increments the suggestions version in tx.
func bumpSuggestionsVersion(tx *gorm.DB) error {
	return tx.Exec("INSERT INTO settings (name, value) VALUES (?, '1') ON CONFLICT (name) DO UPDATE SET value = CAST(CAST(settings.value AS BIGINT) + 1 AS VARCHAR(1000))", settingSuggestionsVersion).Error
}

// SuggestionsVersion returns a number that changes whenever suggestions are
// written. One index lookup.
func (s *Store) SuggestionsVersion(ctx context.Context) (int64, error) {
	var v *string
	if err := s.read(ctx).Raw("SELECT value FROM settings WHERE name = ?", settingSuggestionsVersion).Scan(&v).Error; err != nil {
		return 0, translate(err)
	}
	if v == nil {
		return 0, nil
	}
	n, _ := strconv.ParseInt(*v, 10, 64)
	return n, nil
}

// suggested is one suggestion as modelRows reads it: the paragraph and an
// index into the distinct values read.
type suggested struct {
	paragraph int64
	value     int32
}

// suggestionSet is every stored suggestion, by agent and dimension, each
// list in paragraph order, with the distinct values they hold.
type suggestionSet struct {
	groups map[[2]string][]suggested
	values []Values
}

// readSuggestions reads every suggestion in compact form: in ranges of ids
// side by side, as readLabels reads the annotations, each distinct agent,
// dimension and value decoded once. (Reading each agent's and dimension's
// suggestions by themselves was tried: it scans the table once a group
// and once more to list the groups, which cost more than handing two more
// columns across from the driver.) The paragraphs are not joined: the
// comparisons only count paragraphs that the report's labels or gold
// labels hold, which are already the ones the filter keeps.
func readSuggestions(ctx context.Context, db *gorm.DB) (*suggestionSet, error) {
	var span struct{ Lo, Hi, N int64 }
	if err := db.Raw("SELECT COALESCE(min(id), 0) AS lo, COALESCE(max(id), 0) AS hi, count(*) AS n FROM suggestions").Scan(&span).Error; err != nil {
		return nil, translate(err)
	}
	set := &suggestionSet{groups: map[[2]string][]suggested{}}
	if span.N == 0 {
		return set, nil
	}
	parts := 1
	if span.N >= labelsPerPart {
		parts = min(runtime.GOMAXPROCS(0), maxLabelParts)
	}
	step := (span.Hi-span.Lo)/int64(parts) + 1
	got := make([]*suggestionSet, parts)
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for i := range parts {
		wg.Go(func() {
			lo := span.Lo + int64(i)*step
			got[i], errs[i] = readSuggestionRange(ctx, db, lo, lo+step)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	// The parts' values are told apart by their text, then merged.
	ids := map[string]int32{}
	for _, g := range got {
		remap := make([]int32, len(g.values))
		for j, v := range g.values {
			k := strings.Join(v, "\x00")
			id, ok := ids[k]
			if !ok {
				id = int32(len(set.values))
				ids[k] = id
				set.values = append(set.values, v)
			}
			remap[j] = id
		}
		for key, list := range g.groups {
			for j := range list {
				list[j].value = remap[list[j].value]
			}
			set.groups[key] = append(set.groups[key], list...)
		}
	}
	for _, list := range set.groups {
		slices.SortFunc(list, func(a, b suggested) int { return cmp.Compare(a.paragraph, b.paragraph) })
	}
	return set, nil
}

// suggestionSep joins a suggestion's dimension, agent and values into the
// one column readSuggestionRange reads: neither a dimension's name, nor an
// agent (CheckText refuses control characters), nor JSON holds it.
const suggestionSep = "\x1f"

// readSuggestionRange reads the suggestions whose ids are in [lo, hi). Each
// row is two columns, the paragraph and the dimension, agent and values
// joined: the few distinct joins are split and decoded once each, and the
// driver hands one string across a row instead of three.
func readSuggestionRange(ctx context.Context, db *gorm.DB, lo, hi int64) (*suggestionSet, error) {
	rs, err := db.Table("suggestions").Select("paragraph_id, dimension || CAST(? AS TEXT) || agent || CAST(? AS TEXT) || value_set", suggestionSep, suggestionSep).
		Where("id >= ? AND id < ?", lo, hi).Rows()
	if err != nil {
		return nil, translate(err)
	}
	defer rs.Close()
	out := &suggestionSet{groups: map[[2]string][]suggested{}}
	type kind struct {
		group [2]string
		value int32
	}
	kinds := map[string]kind{}
	lists := map[[2]string][]suggested{}
	var (
		pid  int64
		raw  sql.RawBytes
		last string
		cur  kind
		list []suggested
		n    int
	)
	for rs.Next() {
		if n++; n%16384 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if err := rs.Scan(&pid, &raw); err != nil {
			return nil, translate(err)
		}
		if string(raw) != last {
			k, ok := kinds[string(raw)]
			if !ok {
				parts := strings.SplitN(string(raw), suggestionSep, 3)
				if len(parts) != 3 {
					return nil, fmt.Errorf("suggestion of paragraph %d: cannot split %q", pid, raw)
				}
				var v Values
				if err := v.Scan([]byte(parts[2])); err != nil {
					return nil, fmt.Errorf("suggestion values of paragraph %d: %w", pid, err)
				}
				k = kind{group: [2]string{parts[1], parts[0]}, value: int32(len(out.values))}
				out.values = append(out.values, v)
				kinds[string(raw)] = k
			}
			if k.group != cur.group {
				if list != nil {
					lists[cur.group] = list
				}
				list = lists[k.group]
			}
			last, cur = string(raw), k
		}
		list = append(list, suggested{pid, cur.value})
	}
	if err := rs.Err(); err != nil {
		return nil, translate(err)
	}
	if list != nil {
		lists[cur.group] = list
	}
	out.groups = lists
	return out, nil
}

// modelRows computes the report's models section: every agent against the
// gold labels and the annotators on every single and multi dimension.
// t is the report's label table and golds its gold labels, in paragraph order.
func modelRows(ctx context.Context, schema *Schema, rep *AgreementReport, t *labelTable, golds []paragraphGold, set *suggestionSet, rates []AcceptRate) ([]ModelAgreement, error) {
	out := []ModelAgreement{}
	if len(set.groups) == 0 {
		return out, nil
	}
	var agents []string
	for k := range set.groups {
		if !slices.Contains(agents, k[0]) {
			agents = append(agents, k[0])
		}
	}
	sort.Strings(agents)
	// Each row's annotator by their place among the report's annotators.
	annIdx := make(map[string]int32, len(rep.Annotators))
	for i, a := range rep.Annotators {
		annIdx[a] = int32(i)
	}
	byUser := make([]int32, len(t.users))
	for u, name := range t.users {
		byUser[u] = annIdx[name]
	}
	anns := make([]int32, len(t.rows))
	for i, r := range t.rows {
		anns[i] = byUser[r.user]
	}
	accept := map[[2]string]*ModelAccept{}
	for _, r := range rates {
		k := [2]string{r.Agent, r.Dimension}
		a := accept[k]
		if a == nil {
			a = &ModelAccept{}
			accept[k] = a
		}
		a.Shown += r.Shown
		a.Accepted += r.Accepted
	}
	for _, a := range accept {
		if a.Shown > 0 {
			a.Rate = float64(a.Accepted) / float64(a.Shown)
		}
	}
	for _, agent := range agents {
		ma := ModelAgreement{Agent: agent, Dimensions: []ModelDimension{}}
		for di := range schema.Dimensions {
			d := &schema.Dimensions[di]
			list, ok := set.groups[[2]string{agent, d.Name}]
			if !ok || d.Kind == KindOpen {
				continue
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			var human agreement.Metric
			for _, hd := range rep.Dimensions {
				if hd.Name == d.Name {
					human = hd.Report.LightKappa
				}
			}
			md := modelDimension(d, list, set.values, t, anns, rep.Annotators, func(yield func(int64, []string) bool) {
				for _, g := range golds {
					if vs := g.Labels[d.Name]; len(vs) > 0 && !yield(g.ParagraphID, vs) {
						return
					}
				}
			}, human)
			md.Accept = accept[[2]string{agent, d.Name}]
			ma.Dimensions = append(ma.Dimensions, md)
		}
		if len(ma.Dimensions) > 0 {
			out = append(out, ma)
		}
	}
	return out, nil
}

// categories encodes one dimension's values as the categories of its
// tables: a single dimension's option keys in schema order, a multi
// dimension's distinct label sets as they are met. Rows share their label
// values, so each shared slice is looked up once.
type categories struct {
	multi bool
	ids   map[string]int
	seen  map[*string]int
}

func newCategories(d *Dimension) *categories {
	c := &categories{multi: d.Kind == KindMulti, ids: map[string]int{}, seen: map[*string]int{}}
	if !c.multi {
		for i, k := range d.Keys() {
			c.ids[k] = i
		}
	}
	return c
}

// id returns the category of vs, or -1 for a value outside the schema.
func (c *categories) id(vs []string) int {
	if id, ok := c.seen[&vs[0]]; ok {
		return id
	}
	id := -1
	if c.multi {
		key := setCategory(slices.Sorted(slices.Values(vs)))
		var ok bool
		if id, ok = c.ids[key]; !ok {
			id = len(c.ids)
			c.ids[key] = id
		}
	} else if x, ok := c.ids[vs[0]]; ok {
		id = x
	}
	c.seen[&vs[0]] = id
	return id
}

// pairCounts counts pairs of categories before the number of categories
// (the size of the table) is known.
type pairCounts map[[2]int]int64

func (p pairCounts) table(k int) agreement.Table {
	t := agreement.NewTable(k)
	for ab, n := range p {
		t.Counts[ab[0]*k+ab[1]] += n
	}
	return t
}

// modelDimension compares one model's suggestions on d (list, in paragraph
// order) with the gold labels (in paragraph order) and each annotator.
func modelDimension(d *Dimension, list []suggested, values []Values, t *labelTable, anns []int32, names []string, golds func(func(int64, []string) bool), human agreement.Metric) ModelDimension {
	md := ModelDimension{Name: d.Name, Title: d.Title, Kind: d.Kind, Annotators: []ModelAnnotator{}}
	cats := newCategories(d)
	modelCat := func(v int32) int {
		if len(values[v]) == 0 {
			return -1
		}
		return cats.id(values[v])
	}
	ordered := d.Ordered && d.Kind == KindSingle
	// Gold is rater A, the model rater B.
	goldPairs := pairCounts{}
	j := 0
	golds(func(p int64, vs []string) bool {
		for j < len(list) && list[j].paragraph < p {
			j++
		}
		if j < len(list) && list[j].paragraph == p {
			g, m := cats.id(vs), modelCat(list[j].value)
			if g >= 0 && m >= 0 {
				goldPairs[[2]int{g, m}]++
			}
		}
		return true
	})
	// Each annotator is rater A, the model rater B; on a multi dimension
	// the annotators' pairs among themselves are counted on the way.
	annPairs := make([]pairCounts, len(names))
	for i := range annPairs {
		annPairs[i] = pairCounts{}
	}
	humanPairs := map[[2]int32]pairCounts{}
	var item []givenCat
	j = 0
	lastPara := int64(-1)
	for i, r := range t.rows {
		p := r.paragraph
		if p != lastPara {
			if d.Kind == KindMulti {
				countHumanPairs(humanPairs, item)
			}
			item = item[:0]
			lastPara = p
			for j < len(list) && list[j].paragraph < p {
				j++
			}
		}
		vs := t.values[r.labels][d.Name]
		if len(vs) == 0 {
			continue
		}
		h := cats.id(vs)
		if h < 0 {
			continue
		}
		if d.Kind == KindMulti {
			item = append(item, givenCat{anns[i], h})
		}
		if j < len(list) && list[j].paragraph == p {
			if m := modelCat(list[j].value); m >= 0 {
				annPairs[anns[i]][[2]int{h, m}]++
			}
		}
	}
	if d.Kind == KindMulti {
		countHumanPairs(humanPairs, item)
	}
	md.Paragraphs = modelParagraphs(d, list, t)
	k := len(cats.ids)
	gt := goldPairs.table(k)
	md.Gold = ModelGold{Items: int(gt.Items()), Matches: int(gt.Matches()), MacroF1: gt.MacroF1()}
	_, md.Gold.Kappa = gt.Kappa()
	if md.Gold.Items > 0 {
		acc := float64(md.Gold.Matches) / float64(md.Gold.Items)
		md.Gold.Accuracy = &acc
	} else {
		none := agreement.Metric{Reason: "no paragraph has both this model's suggestion and a gold label"}
		md.Gold.Kappa, md.Gold.MacroF1 = none, none
	}
	if ordered {
		w := gt.WeightedKappa()
		if md.Gold.Items == 0 {
			w = md.Gold.Kappa
		}
		md.Gold.WeightedKappa = &w
	}
	var kappas []agreement.Metric
	for a, pc := range annPairs {
		t := pc.table(k)
		ma := ModelAnnotator{Annotator: names[a], Items: int(t.Items()), Matches: int(t.Matches())}
		_, ma.Kappa = t.Kappa()
		if ma.Items == 0 {
			ma.Kappa = agreement.Metric{Reason: "this annotator labelled none of the paragraphs the model suggested on"}
		}
		if ordered {
			w := t.WeightedKappa()
			if ma.Items == 0 {
				w = ma.Kappa
			}
			ma.WeightedKappa = &w
		}
		kappas = append(kappas, ma.Kappa)
		md.Annotators = append(md.Annotators, ma)
	}
	md.MeanKappa = agreement.MeanKappa(kappas)
	md.HumanKappa = human
	if d.Kind == KindMulti {
		var hk []agreement.Metric
		for _, pc := range humanPairs {
			_, kp := pc.table(k).Kappa()
			hk = append(hk, kp)
		}
		md.HumanKappa = agreement.MeanKappa(hk)
	}
	return md
}

// givenCat is one annotator's category on one paragraph.
type givenCat struct {
	ann int32
	cat int
}

// countHumanPairs counts, for one paragraph, each pair of annotators'
// categories, the lower annotator index as rater A.
func countHumanPairs(pairs map[[2]int32]pairCounts, item []givenCat) {
	for x := 0; x < len(item); x++ {
		for y := x + 1; y < len(item); y++ {
			a, b := item[x], item[y]
			if a.ann > b.ann {
				a, b = b, a
			}
			k := [2]int32{a.ann, b.ann}
			pc := pairs[k]
			if pc == nil {
				pc = pairCounts{}
				pairs[k] = pc
			}
			pc[[2]int{a.cat, b.cat}]++
		}
	}
}

// modelParagraphs counts the paragraphs with both a suggestion in list and
// at least one annotator's label on d.
func modelParagraphs(d *Dimension, list []suggested, t *labelTable) int {
	n, j := 0, 0
	last := int64(-1)
	for _, r := range t.rows {
		p := r.paragraph
		if p == last || len(t.values[r.labels][d.Name]) == 0 {
			continue
		}
		last = p
		for j < len(list) && list[j].paragraph < p {
			j++
		}
		if j < len(list) && list[j].paragraph == p {
			n++
		}
	}
	return n
}
