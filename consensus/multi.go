package consensus

import (
	"context"
	"fmt"
	"math"
)

// MultiData is the input of InferMulti for one multi-label dimension. Each
// Label says that an annotator applied a category to an item; a Label with
// Category NoValue says that the annotator answered the item with the empty
// set. An annotator answered an item (a unit) when any Label names both.
type MultiData struct {
	Items      []string
	Annotators []string
	Categories []string
	Labels     []Label
	// Gold lists the known sets: every category listed for an item is in
	// its gold set, NoValue alone marks an empty gold set.
	Gold []Gold
}

// MultiItem is the inferred label set of one item.
type MultiItem struct {
	// Values lists the categories whose posterior of being applied is above
	// one half, in id order; nil for an item no annotator answered.
	Values []int32
	// Confidence is the probability of the whole set: the product over the
	// categories of the posterior of the side chosen (0 without answers).
	Confidence float64
	// Tie reports that some category's posterior is one half: it is left
	// out of Values, but the set is not decided.
	Tie bool
	// Gold reports that the set was clamped to a gold set.
	Gold bool
	// Units counts the annotators who answered the item.
	Units int32
}

// MultiResult is the inferred truth of one multi-label dimension: one
// binary model per category, whose category 1 means "applied", and the
// item sets they give together.
type MultiResult struct {
	// Method is DawidSkene when it was asked for and the model of some
	// category could learn, MajorityVote otherwise.
	Method Method
	// Reason is empty unless the dimension's values are the vote although
	// Dawid–Skene was asked for; it then says why. The units (who answered
	// what) are the same for every category, so a crowd too small or with
	// too little overlap makes every category fall back alike.
	Reason string
	// LabelReasons holds, per category, why its model is the vote: the
	// dimension's reason, or that nobody or everybody applied it (then
	// the vote is what the model would say: never, or on every item
	// answered). It is "" for a category whose model ran Dawid–Skene.
	LabelReasons []string
	// Categories holds each category's binary model; with Options.Compact
	// their Posterior and Items are nil.
	Categories []*Result
	Items      []MultiItem
	// tied lists the tied categories of the items that are ties (TiedOf).
	tied map[int32][]int32
}

// TiedOf returns the categories of item i whose posterior of being applied
// is one half, in id order: those that make it a tie (nil when it is not
// one).
func (r *MultiResult) TiedOf(i int) []int32 {
	return r.tied[int32(i)]
}

// InferMulti infers the label set of every item of d, one binary model per
// category over the units of d.
func InferMulti(ctx context.Context, d *MultiData, opt Options) (*MultiResult, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	n, j, k := len(d.Items), len(d.Annotators), len(d.Categories)
	// Group by item, then list each item's distinct annotators (its units).
	start := make([]int32, n+1)
	grouped := true
	for x, l := range d.Labels {
		switch {
		case l.Item < 0 || int(l.Item) >= n:
			return nil, fmt.Errorf("consensus: label %d: item id %d is outside the %d items", x, l.Item, n)
		case l.Annotator < 0 || int(l.Annotator) >= j:
			return nil, fmt.Errorf("consensus: label %d: annotator id %d is outside the %d annotators", x, l.Annotator, j)
		case l.Category < NoValue || int(l.Category) >= k:
			return nil, fmt.Errorf("consensus: label %d: category id %d is outside the %d categories", x, l.Category, k)
		}
		start[l.Item+1]++
		grouped = grouped && (x == 0 || d.Labels[x-1].Item <= l.Item)
	}
	for i := 0; i < n; i++ {
		start[i+1] += start[i]
	}
	// Labels that come grouped by item, as a store reads them, are used as
	// they are: the counting sort is stable, so it would copy them
	// unchanged.
	byItem := d.Labels
	if !grouped {
		byItem = make([]Label, len(d.Labels))
		next := make([]int32, n)
		copy(next, start[:n])
		for _, l := range d.Labels {
			byItem[next[l.Item]] = l
			next[l.Item]++
		}
	}
	// The units are counted first, so that they and the answers are
	// allocated once at their size.
	seen := make([]int32, j)
	for a := range seen {
		seen[a] = -1
	}
	nUnits := 0
	for i := 0; i < n; i++ {
		for _, l := range byItem[start[i]:start[i+1]] {
			if seen[l.Annotator] != int32(i) {
				seen[l.Annotator] = int32(i)
				nUnits++
			}
		}
	}
	// units holds the annotator of each unit; the units of item i are
	// units[unitStart[i]:unitStart[i+1]].
	units := make([]int32, 0, nUnits)
	unitStart := make([]int32, n+1)
	// applied[c] has bit u set when unit u applied category c.
	words := (nUnits + 63) / 64
	bits := make([]uint64, k*words)
	applied := make([][]uint64, k)
	for c := range applied {
		applied[c] = bits[c*words : (c+1)*words]
	}
	for a := range seen {
		seen[a] = -1
	}
	unitOf := make([]int32, j)
	for i := 0; i < n; i++ {
		unitStart[i] = int32(len(units))
		for _, l := range byItem[start[i]:start[i+1]] {
			if seen[l.Annotator] != int32(i) {
				seen[l.Annotator] = int32(i)
				unitOf[l.Annotator] = int32(len(units))
				units = append(units, l.Annotator)
			}
			if l.Category != NoValue {
				u := unitOf[l.Annotator]
				applied[l.Category][u/64] |= 1 << (u % 64)
			}
		}
	}
	unitStart[n] = int32(len(units))

	goldSet := map[int32][]bool{}
	for x, g := range d.Gold {
		switch {
		case g.Item < 0 || int(g.Item) >= n:
			return nil, fmt.Errorf("consensus: gold %d: item id %d is outside the %d items", x, g.Item, n)
		case g.Category < NoValue || int(g.Category) >= k:
			return nil, fmt.Errorf("consensus: gold %d: category id %d is outside the %d categories", x, g.Category, k)
		}
		s, ok := goldSet[g.Item]
		if !ok {
			s = make([]bool, k)
			goldSet[g.Item] = s
		}
		if g.Category != NoValue {
			s[g.Category] = true
		}
	}

	out := &MultiResult{Method: opt.Method, Categories: make([]*Result, k), LabelReasons: make([]string, k), Items: make([]MultiItem, n), tied: map[int32][]int32{}}
	// An item's set is built one category at a time, as each model is
	// inferred (see add), so that no model need be kept after its turn.
	for i := 0; i < n; i++ {
		it := &out.Items[i]
		it.Units = unitStart[i+1] - unitStart[i]
		_, it.Gold = goldSet[int32(i)]
		if it.Units == 0 && !it.Gold {
			continue
		}
		it.Values = []int32{}
		it.Confidence = 1
	}
	if k == 0 {
		out.Method = MajorityVote
		out.Reason = "the dimension has no categories"
	}
	// Each category's binary model is given its labels already grouped by
	// item, as prepare would group them: one code per unit, the units of
	// an item in order. Who answered what, and so the grouping and the
	// active items, are the same for every category.
	binary := &Data{Items: d.Items, Annotators: d.Annotators, Categories: []string{"no", "yes"}}
	active, nActive := make([]bool, n), 0
	for i := 0; i < n; i++ {
		if _, gold := goldSet[int32(i)]; unitStart[i+1] > unitStart[i] || gold {
			active[i] = true
			nActive++
		}
	}
	code := make([]int32, len(units))
	var goldOf []int32
	if len(goldSet) > 0 {
		goldOf = make([]int32, n)
	}
	learnt, constant := false, 0
	for c := 0; c < k; c++ {
		e := &dense{n: n, j: j, k: 2, start: unitStart, code: code, gold: goldOf, nGold: len(goldSet), active: active, nActive: nActive, used: make([]bool, 2)}
		yes := 0
		for u, a := range units {
			v := int32(applied[c][u/64] >> (u % 64) & 1)
			yes += int(v)
			code[u] = a*2 + v
			e.used[v] = true
		}
		goldYes := 0
		if goldOf != nil {
			for i := range goldOf {
				goldOf[i] = NoValue
			}
			for item, s := range goldSet {
				v := int32(0)
				if s[c] {
					v = 1
					goldYes++
				}
				goldOf[item] = v
				e.used[v] = true
			}
		}
		for _, u := range e.used {
			if u {
				e.nUsed++
			}
		}
		if e.nUsed == 0 {
			e.used[0], e.used[1], e.nUsed = true, true, 2
		}
		// A label nobody applied, or every answer did (and gold agrees),
		// has a single side: there is nothing to learn and the vote is
		// exact. It says nothing of the crowd, so it does not make the
		// dimension the vote.
		note := ""
		switch {
		case len(units) == 0:
		case yes == 0 && goldYes == 0:
			note = fmt.Sprintf("nobody applied %s, so it applies to no item", d.Categories[c])
		case yes == len(units) && goldYes == len(goldSet):
			note = fmt.Sprintf("every answer applied %s, so it applies to every item answered", d.Categories[c])
		}
		copt := opt
		if note != "" {
			copt.Method = MajorityVote
			constant++
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r, err := infer(ctx, e, binary, copt, !opt.Compact)
		if err != nil {
			return nil, err
		}
		if note != "" {
			r.Reason = note
		} else if r.Method == DawidSkene {
			learnt = true
		} else if opt.Method == DawidSkene && out.Reason == "" {
			out.Reason = r.Reason
		}
		if opt.Method == DawidSkene {
			out.LabelReasons[c] = r.Reason
		}
		out.add(c, r)
		if opt.Compact {
			r.Posterior = nil
		}
		out.Categories[c] = r
	}
	if opt.Method == DawidSkene && !learnt {
		out.Method = MajorityVote
		if out.Reason == "" && constant > 0 {
			out.Reason = "Dawid–Skene needs more: every label was applied by all of the answers or by none, so there is nothing to infer; this is the majority vote"
		}
	}
	return out, nil
}

// add folds category c's model r into the item sets: an item whose
// posterior of c is one half is a tie and leaves c out; above one half c is
// in its set. The confidence of a set is the product over the categories,
// in id order, of the posterior of the side chosen.
func (out *MultiResult) add(c int, r *Result) {
	for i := range out.Items {
		it := &out.Items[i]
		if it.Values == nil {
			// Nobody answered the item and it has no gold.
			continue
		}
		p := r.PosteriorOf(i)[1]
		switch {
		case math.Abs(p-0.5) <= tieTolerance:
			it.Tie = true
			it.Confidence *= 0.5
			out.tied[int32(i)] = append(out.tied[int32(i)], int32(c))
		case p > 0.5:
			it.Values = append(it.Values, int32(c))
			it.Confidence *= p
		default:
			it.Confidence *= 1 - p
		}
	}
}
