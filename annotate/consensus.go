package annotate

import (
	"context"
	"math"
	"slices"
	"sort"
	"strconv"

	"concord/consensus"
)

// ConsensusInput is the labels of one dimension, by name, before they are
// mapped to dense ids.
type ConsensusInput struct {
	Name  string
	Multi bool
	// categories is the fixed category list (a schema's keys); nil means
	// every value seen, sorted numerically when all are numbers.
	Categories []string
	Labels     []ConsensusLabel
	Gold       map[string][]string
}

// ConsensusLabel is one annotator's answer to one item on a dimension.
type ConsensusLabel struct {
	Item, Annotator string
	Values          []string
	// set marks an answer given as a set (a JSON array), so that an empty
	// one is an answer and not a missing label.
	Set bool
}

// ConsensusInputs turns the current labels of the database into one
// input per single-choice and multi-label dimension of its schema.
func ConsensusInputs(ls *LabelSet) []ConsensusInput {
	var out []ConsensusInput
	for i := range ls.Schema.Dimensions {
		if d, ok := consensusInput(ls, &ls.Schema.Dimensions[i]); ok {
			out = append(out, d)
		}
	}
	return out
}

// consensusInput is the input of one dimension, if it is single-choice or
// multi-label.
func consensusInput(ls *LabelSet, sd *Dimension) (ConsensusInput, bool) {
	if sd.Kind != KindSingle && sd.Kind != KindMulti {
		return ConsensusInput{}, false
	}
	d := ConsensusInput{Name: sd.Name, Multi: sd.Kind == KindMulti, Categories: sd.Keys(), Gold: map[string][]string{}}
	n := 0
	for _, r := range ls.Rows {
		if len(r.Labels[sd.Name]) > 0 {
			n++
		}
	}
	d.Labels = make([]ConsensusLabel, 0, n)
	for _, r := range ls.Rows {
		if vs, ok := r.Labels[sd.Name]; ok && len(vs) > 0 {
			d.Labels = append(d.Labels, ConsensusLabel{Item: r.Item, Annotator: r.Annotator, Values: vs})
		}
	}
	for item, g := range ls.Gold {
		if vs, ok := g[sd.Name]; ok && len(vs) > 0 {
			d.Gold[item] = vs
		}
	}
	return d, true
}

// DimensionConsensus is the inferred truth of one dimension. Posteriors,
// class priors and confusion rows follow the order of Categories; for a
// multi-label dimension a posterior is the probability that the category
// applies, and each annotator has one entry per category, whose confusion
// matrix is over "no" and "yes".
type DimensionConsensus struct {
	Name   string           `json:"name"`
	Kind   string           `json:"kind"`
	Method consensus.Method `json:"method"`
	Reason string           `json:"reason,omitempty"`
	// LabelReasons lists, for a multi-label dimension, the labels whose
	// model is the vote and why (see consensus.MultiResult.LabelReasons).
	LabelReasons  []LabelReason        `json:"label_reasons,omitempty"`
	Iterations    int                  `json:"iterations"`
	Converged     bool                 `json:"converged"`
	Categories    []string             `json:"categories"`
	ClassPrior    []float64            `json:"class_prior"`
	Labels        int                  `json:"labels"`
	UnknownValues int                  `json:"unknown_values"`
	Items         []ItemConsensus      `json:"items"`
	Annotators    []AnnotatorConsensus `json:"annotators"`
}

// LabelReason says why one label of a multi-label dimension has the vote
// for its consensus.
type LabelReason struct {
	Label  string `json:"label"`
	Reason string `json:"reason"`
}

// ItemConsensus is one item's inferred value: a category (or a list of
// them, for a multi-label dimension), null when the leading categories tie.
type ItemConsensus struct {
	Item       string    `json:"item"`
	Value      any       `json:"value"`
	Confidence float64   `json:"confidence"`
	Tie        []string  `json:"tie,omitempty"`
	Posterior  []float64 `json:"posterior"`
	Labels     int       `json:"labels"`
	Gold       bool      `json:"gold"`
}

// AnnotatorConsensus is what the labels say about one annotator.
type AnnotatorConsensus struct {
	Annotator  string      `json:"annotator"`
	Category   string      `json:"category,omitempty"`
	Accuracy   float64     `json:"accuracy"`
	Chance     float64     `json:"chance"`
	NearChance bool        `json:"near_chance"`
	Items      int         `json:"items"`
	Labels     int         `json:"labels"`
	Confusion  [][]float64 `json:"confusion"`
}

// interner maps names to dense ids in order of first appearance.
type interner struct {
	ids   map[string]int32
	names []string
}

func (in *interner) id(s string) int32 {
	if in.ids == nil {
		in.ids = map[string]int32{}
	}
	id, ok := in.ids[s]
	if !ok {
		id = int32(len(in.names))
		in.ids[s] = id
		in.names = append(in.names, s)
	}
	return id
}

// InferConsensus maps d to dense ids and runs the method of opt on it.
func InferConsensus(ctx context.Context, d *ConsensusInput, opt consensus.Options) (DimensionConsensus, error) {
	dc := DimensionConsensus{Name: d.Name, Kind: "single", Items: []ItemConsensus{}, Annotators: []AnnotatorConsensus{}}
	if d.Multi {
		dc.Kind = "multi"
	}
	cats := d.Categories
	if cats == nil {
		cats = valuesSeen(d.Labels)
	}
	catID := map[string]int32{}
	for i, c := range cats {
		catID[c] = int32(i)
	}
	// Annotators in name order, so the tables read alike from run to run.
	var annNames []string
	seenAnn := map[string]bool{}
	for _, l := range d.Labels {
		if !seenAnn[l.Annotator] {
			seenAnn[l.Annotator] = true
			annNames = append(annNames, l.Annotator)
		}
	}
	sort.Strings(annNames)
	var anns interner
	for _, a := range annNames {
		anns.id(a)
	}
	var items interner
	var labels []consensus.Label
	for _, l := range d.Labels {
		var known []int32
		for _, v := range l.Values {
			c, ok := catID[v]
			if !ok {
				dc.UnknownValues++
				continue
			}
			known = append(known, c)
		}
		if len(known) == 0 {
			if d.Multi && l.Set && len(l.Values) == 0 {
				labels = append(labels, consensus.Label{Item: items.id(l.Item), Annotator: anns.id(l.Annotator), Category: consensus.NoValue})
			}
			continue
		}
		it, a := items.id(l.Item), anns.id(l.Annotator)
		if !d.Multi {
			labels = append(labels, consensus.Label{Item: it, Annotator: a, Category: known[0]})
			continue
		}
		for _, c := range known {
			labels = append(labels, consensus.Label{Item: it, Annotator: a, Category: c})
		}
	}
	dc.Labels = len(labels)
	var gold []consensus.Gold
	goldItems := make([]string, 0, len(d.Gold))
	for item := range d.Gold {
		goldItems = append(goldItems, item)
	}
	SortNames(goldItems)
	for _, item := range goldItems {
		for _, v := range d.Gold[item] {
			if c, ok := catID[v]; ok {
				gold = append(gold, consensus.Gold{Item: items.id(item), Category: c})
				if !d.Multi {
					break
				}
			}
		}
	}
	dc.Categories = cats
	if !d.Multi {
		r, err := consensus.Infer(ctx, &consensus.Data{Items: items.names, Annotators: anns.names, Categories: cats, Labels: labels, Gold: gold}, opt)
		if err != nil {
			return dc, err
		}
		fillSingle(&dc, r, items.names, anns.names)
		return dc, nil
	}
	r, err := consensus.InferMulti(ctx, &consensus.MultiData{Items: items.names, Annotators: anns.names, Categories: cats, Labels: labels, Gold: gold}, opt)
	if err != nil {
		return dc, err
	}
	fillMulti(&dc, r, items.names, anns.names)
	return dc, nil
}

// valuesSeen lists the values of labels, sorted numerically when every
// one is a number and as text otherwise.
func valuesSeen(labels []ConsensusLabel) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range labels {
		for _, v := range l.Values {
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	SortNames(out)
	return out
}

// SortNames sorts names numerically when all are numbers, else as text.
func SortNames(names []string) {
	nums := make(map[string]float64, len(names))
	for _, s := range names {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			slices.Sort(names)
			return
		}
		nums[s] = v
	}
	sort.SliceStable(names, func(i, j int) bool {
		if nums[names[i]] != nums[names[j]] {
			return nums[names[i]] < nums[names[j]]
		}
		return names[i] < names[j]
	})
}

func fillSingle(dc *DimensionConsensus, r *consensus.Result, items, anns []string) {
	singleHead(dc, r, anns)
	for i, name := range items {
		it := r.Items[i]
		ic := ItemConsensus{Item: name, Confidence: it.Confidence, Posterior: r.PosteriorOf(i), Labels: int(it.Labels), Gold: it.Gold}
		if it.Tie {
			ic.Tie = tiedNames(dc.Categories, r.Tied(i))
		} else if it.Value != consensus.NoValue {
			ic.Value = dc.Categories[it.Value]
		}
		dc.Items = append(dc.Items, ic)
	}
}

// singleHead fills what dc says of a single-choice dimension as a whole
// and of its annotators.
func singleHead(dc *DimensionConsensus, r *consensus.Result, anns []string) {
	dc.Method, dc.Reason, dc.Iterations, dc.Converged = r.Method, r.Reason, r.Iterations, r.Converged
	dc.ClassPrior = r.ClassPrior
	for a, name := range anns {
		ar := r.Annotators[a]
		dc.Annotators = append(dc.Annotators, AnnotatorConsensus{Annotator: name, Accuracy: ar.Accuracy, Chance: ar.Chance, NearChance: ar.NearChance, Items: ar.Items, Labels: ar.Labels, Confusion: ar.Confusion})
	}
}

// tiedNames names the categories of a tie; none is nil.
func tiedNames(cats []string, tied []int32) []string {
	if len(tied) == 0 {
		return nil
	}
	out := make([]string, len(tied))
	for i, c := range tied {
		out[i] = cats[c]
	}
	return out
}

func fillMulti(dc *DimensionConsensus, r *consensus.MultiResult, items, anns []string) {
	multiHead(dc, r, anns)
	for i, name := range items {
		it := r.Items[i]
		ic := ItemConsensus{Item: name, Confidence: it.Confidence, Labels: int(it.Units), Gold: it.Gold, Posterior: []float64{}}
		for _, cr := range r.Categories {
			ic.Posterior = append(ic.Posterior, cr.PosteriorOf(i)[1])
		}
		if it.Tie {
			ic.Tie = tiedNames(dc.Categories, r.TiedOf(i))
		} else {
			ic.Value = multiValues(dc.Categories, it.Values)
		}
		dc.Items = append(dc.Items, ic)
	}
}

// multiValues names the categories of an item's set; an empty set is an
// empty list, not nil.
func multiValues(cats []string, values []int32) []string {
	out := make([]string, len(values))
	for i, c := range values {
		out[i] = cats[c]
	}
	return out
}

// multiHead fills what dc says of a multi-label dimension as a whole and
// of its annotators, one entry per annotator and category.
func multiHead(dc *DimensionConsensus, r *consensus.MultiResult, anns []string) {
	dc.Method, dc.Reason = r.Method, r.Reason
	dc.Converged = dc.Method == consensus.DawidSkene
	dc.ClassPrior = []float64{}
	for c, cr := range r.Categories {
		dc.Iterations = max(dc.Iterations, cr.Iterations)
		dc.Converged = dc.Converged && (cr.Converged || cr.Method == consensus.MajorityVote)
		dc.ClassPrior = append(dc.ClassPrior, cr.ClassPrior[1])
		if r.LabelReasons[c] != "" {
			dc.LabelReasons = append(dc.LabelReasons, LabelReason{Label: dc.Categories[c], Reason: r.LabelReasons[c]})
		}
	}
	for a, name := range anns {
		for c, cr := range r.Categories {
			ar := cr.Annotators[a]
			dc.Annotators = append(dc.Annotators, AnnotatorConsensus{Annotator: name, Category: dc.Categories[c], Accuracy: ar.Accuracy, Chance: ar.Chance, NearChance: ar.NearChance, Items: ar.Items, Labels: ar.Labels, Confusion: ar.Confusion})
		}
	}
}

// denseDimension is the input of one dimension of a consensus run in
// consensus's dense ids, with the paragraph each item id stands for.
type denseDimension struct {
	dim        *Dimension
	data       consensus.Data
	paragraphs []int64
}

// denseInput maps the labels t holds of dimension sd, and the gold labels
// (in paragraph id order), to dense ids exactly as InferConsensus maps the
// ConsensusInput that consensusInput makes of the same labels, so that a
// run's results are the same whichever way its labels were read: items in
// the order they first have a known value, which for rows sorted by
// paragraph is paragraph id order, then the gold items without such a
// label in paragraph id order; annotators who answered the dimension, in
// name order; the schema's categories.
func denseInput(t *labelTable, gold []paragraphGold, sd *Dimension) *denseDimension {
	multi := sd.Kind == KindMulti
	cats := sd.Keys()
	catID := make(map[string]int32, len(cats))
	for i, c := range cats {
		catID[c] = int32(i)
	}
	// Each distinct labels value is looked at once: whether it answers the
	// dimension, with any value known or not, and the ids of its known
	// values, in its order, all of them in one slice.
	answers := make([]bool, len(t.values))
	known := make([]int32, len(t.values)+1)
	var codes []int32
	for v, l := range t.values {
		vs := l[sd.Name]
		answers[v] = len(vs) > 0
		for _, x := range vs {
			if c, ok := catID[x]; ok {
				codes = append(codes, c)
				if !multi {
					break
				}
			}
		}
		known[v+1] = int32(len(codes))
	}
	// An annotator takes part when they answered the dimension.
	answered := make([]bool, len(t.users))
	nLabels, nItems := 0, 0
	last := int64(-1)
	for _, r := range t.rows {
		if answers[r.labels] {
			answered[r.user] = true
		}
		if n := int(known[r.labels+1] - known[r.labels]); n > 0 {
			nLabels += n
			if r.paragraph != last {
				last = r.paragraph
				nItems++
			}
		}
	}
	var names []string
	for u, ok := range answered {
		if ok {
			names = append(names, t.users[u])
		}
	}
	sort.Strings(names)
	annID := make([]int32, len(t.users))
	for u, ok := range answered {
		if ok {
			annID[u] = int32(sort.SearchStrings(names, t.users[u]))
		}
	}
	d := &denseDimension{dim: sd, paragraphs: make([]int64, 0, nItems)}
	d.data.Annotators, d.data.Categories = names, cats
	d.data.Labels = make([]consensus.Label, 0, nLabels)
	last = -1
	for _, r := range t.rows {
		cs := codes[known[r.labels]:known[r.labels+1]]
		if len(cs) == 0 {
			continue
		}
		if r.paragraph != last {
			last = r.paragraph
			d.paragraphs = append(d.paragraphs, r.paragraph)
		}
		it := int32(len(d.paragraphs) - 1)
		for _, c := range cs {
			d.data.Labels = append(d.data.Labels, consensus.Label{Item: it, Annotator: annID[r.user], Category: c})
		}
	}
	for _, g := range gold {
		it := int32(-1)
		for _, v := range g.Labels[sd.Name] {
			c, ok := catID[v]
			if !ok {
				continue
			}
			if it < 0 {
				if x, found := slices.BinarySearch(d.paragraphs[:nItems], g.ParagraphID); found {
					it = int32(x)
				} else {
					it = int32(len(d.paragraphs))
					d.paragraphs = append(d.paragraphs, g.ParagraphID)
				}
			}
			d.data.Gold = append(d.data.Gold, consensus.Gold{Item: it, Category: c})
			if !multi {
				break
			}
		}
	}
	d.data.Items = make([]string, len(d.paragraphs))
	for i, p := range d.paragraphs {
		d.data.Items[i] = strconv.FormatInt(p, 10)
	}
	return d
}

// infer runs the method of opt on d and calls emit with the consensus of
// each item, in item order; it returns what the dimension's consensus says
// as a whole and of the annotators (its Items empty). No item's posteriors
// are kept, and of a multi-label dimension one category's model at a time.
func (d *denseDimension) infer(ctx context.Context, opt consensus.Options, emit func(*ConsensusItem) error) (DimensionConsensus, error) {
	dc := DimensionConsensus{Name: d.dim.Name, Kind: "single", Categories: d.data.Categories, Labels: len(d.data.Labels), Items: []ItemConsensus{}, Annotators: []AnnotatorConsensus{}}
	cats := d.data.Categories
	var ci ConsensusItem
	if d.dim.Kind != KindMulti {
		r, err := consensus.Infer(ctx, &d.data, opt)
		if err != nil {
			return dc, err
		}
		singleHead(&dc, r, d.data.Annotators)
		for i, it := range r.Items {
			ci = ConsensusItem{ParagraphID: d.paragraphs[i], Dimension: dc.Name, Values: []string{}, Confidence: it.Confidence, Method: string(dc.Method), Gold: it.Gold, Labels: int(it.Labels)}
			if it.Tie {
				ci.Tied = tiedNames(cats, r.Tied(i))
				ci.Tie = len(ci.Tied) > 0
			} else if it.Value != consensus.NoValue {
				ci.Values = []string{cats[it.Value]}
			}
			if err := emit(&ci); err != nil {
				return dc, err
			}
		}
		return dc, nil
	}
	dc.Kind = "multi"
	opt.Compact = true
	r, err := consensus.InferMulti(ctx, &consensus.MultiData{Items: d.data.Items, Annotators: d.data.Annotators, Categories: cats, Labels: d.data.Labels, Gold: d.data.Gold}, opt)
	if err != nil {
		return dc, err
	}
	multiHead(&dc, r, d.data.Annotators)
	for i, it := range r.Items {
		ci = ConsensusItem{ParagraphID: d.paragraphs[i], Dimension: dc.Name, Values: []string{}, Confidence: it.Confidence, Method: string(dc.Method), Gold: it.Gold, Labels: int(it.Units)}
		if it.Tie {
			ci.Tied = tiedNames(cats, r.TiedOf(i))
			ci.Tie = len(ci.Tied) > 0
		} else {
			ci.Values = multiValues(cats, it.Values)
		}
		if err := emit(&ci); err != nil {
			return dc, err
		}
	}
	return dc, nil
}
