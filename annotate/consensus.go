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
	dc.Method, dc.Reason, dc.Iterations, dc.Converged = r.Method, r.Reason, r.Iterations, r.Converged
	dc.ClassPrior = r.ClassPrior
	for i, name := range items {
		it := r.Items[i]
		ic := ItemConsensus{Item: name, Confidence: it.Confidence, Posterior: r.PosteriorOf(i), Labels: int(it.Labels), Gold: it.Gold}
		if it.Tie {
			for _, c := range r.Tied(i) {
				ic.Tie = append(ic.Tie, dc.Categories[c])
			}
		} else if it.Value != consensus.NoValue {
			ic.Value = dc.Categories[it.Value]
		}
		dc.Items = append(dc.Items, ic)
	}
	for a, name := range anns {
		ar := r.Annotators[a]
		dc.Annotators = append(dc.Annotators, AnnotatorConsensus{Annotator: name, Accuracy: ar.Accuracy, Chance: ar.Chance, NearChance: ar.NearChance, Items: ar.Items, Labels: ar.Labels, Confusion: ar.Confusion})
	}
}

func fillMulti(dc *DimensionConsensus, r *consensus.MultiResult, items, anns []string) {
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
	for i, name := range items {
		it := r.Items[i]
		ic := ItemConsensus{Item: name, Confidence: it.Confidence, Labels: int(it.Units), Gold: it.Gold, Posterior: []float64{}}
		vals := []string{}
		for _, c := range it.Values {
			vals = append(vals, dc.Categories[c])
		}
		for c, cr := range r.Categories {
			p := cr.PosteriorOf(i)[1]
			ic.Posterior = append(ic.Posterior, p)
			if it.Tie && math.Abs(p-0.5) < 1e-9 {
				ic.Tie = append(ic.Tie, dc.Categories[c])
			}
		}
		if !it.Tie {
			ic.Value = vals
		}
		dc.Items = append(dc.Items, ic)
	}
	for a, name := range anns {
		for c, cr := range r.Categories {
			ar := cr.Annotators[a]
			dc.Annotators = append(dc.Annotators, AnnotatorConsensus{Annotator: name, Category: dc.Categories[c], Accuracy: ar.Accuracy, Chance: ar.Chance, NearChance: ar.NearChance, Items: ar.Items, Labels: ar.Labels, Confusion: ar.Confusion})
		}
	}
}
