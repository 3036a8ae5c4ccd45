package consensus

import (
	"context"
	"fmt"
	"math"
	"slices"
)

// dense is the input grouped by item: the labels of item i are
// code[start[i]:start[i+1]], each code being annotator × K + category.
type dense struct {
	n, j, k int
	start   []int32
	code    []int32
	gold    []int32 // per item, NoValue when unknown; nil without gold
	nGold   int
	active  []bool // items with labels or gold; the estimates use only them
	nActive int
	// used marks the categories some label or gold gives. A category
	// nobody gives is never the truth: without gold nothing could tell it
	// apart, and EM would otherwise put there items whose annotators all
	// agree on another category, as a relabelling of it.
	used  []bool
	nUsed int
}

// prepare checks d and groups its labels by item with a counting sort.
func prepare(d *Data) (*dense, error) {
	n, j, k := len(d.Items), len(d.Annotators), len(d.Categories)
	if len(d.Labels) > math.MaxInt32 {
		return nil, fmt.Errorf("consensus: %d labels is more than the %d one dimension can hold", len(d.Labels), math.MaxInt32)
	}
	if j*k > math.MaxInt32/max(k, 1) {
		return nil, fmt.Errorf("consensus: %d annotators × %d categories is too many", j, k)
	}
	e := &dense{n: n, j: j, k: k, start: make([]int32, n+1), code: make([]int32, len(d.Labels)), active: make([]bool, n), used: make([]bool, k)}
	for x, l := range d.Labels {
		switch {
		case l.Item < 0 || int(l.Item) >= n:
			return nil, fmt.Errorf("consensus: label %d: item id %d is outside the %d items", x, l.Item, n)
		case l.Annotator < 0 || int(l.Annotator) >= j:
			return nil, fmt.Errorf("consensus: label %d: annotator id %d is outside the %d annotators", x, l.Annotator, j)
		case l.Category < 0 || int(l.Category) >= k:
			return nil, fmt.Errorf("consensus: label %d: category id %d is outside the %d categories", x, l.Category, k)
		}
		e.start[l.Item+1]++
		e.used[l.Category] = true
	}
	for i := 0; i < n; i++ {
		e.start[i+1] += e.start[i]
	}
	next := make([]int32, n)
	copy(next, e.start[:n])
	for _, l := range d.Labels {
		e.code[next[l.Item]] = l.Annotator*int32(k) + l.Category
		next[l.Item]++
	}
	if len(d.Gold) > 0 {
		e.gold = make([]int32, n)
		for i := range e.gold {
			e.gold[i] = NoValue
		}
		for x, g := range d.Gold {
			switch {
			case g.Item < 0 || int(g.Item) >= n:
				return nil, fmt.Errorf("consensus: gold %d: item id %d is outside the %d items", x, g.Item, n)
			case g.Category < 0 || int(g.Category) >= k:
				return nil, fmt.Errorf("consensus: gold %d: category id %d is outside the %d categories", x, g.Category, k)
			case e.gold[g.Item] != NoValue && e.gold[g.Item] != g.Category:
				return nil, fmt.Errorf("consensus: item %q has two gold labels, %q and %q", d.Items[g.Item], d.Categories[e.gold[g.Item]], d.Categories[g.Category])
			}
			if e.gold[g.Item] == NoValue {
				e.nGold++
			}
			e.gold[g.Item] = g.Category
			e.used[g.Category] = true
		}
	}
	for _, u := range e.used {
		if u {
			e.nUsed++
		}
	}
	if e.nUsed == 0 {
		// Without labels or gold nothing is excluded, and the class prior
		// stays uniform.
		for c := range e.used {
			e.used[c] = true
		}
		e.nUsed = k
	}
	for i := 0; i < n; i++ {
		if e.start[i+1] > e.start[i] || (e.gold != nil && e.gold[i] != NoValue) {
			e.active[i] = true
			e.nActive++
		}
	}
	return e, nil
}

// goldOf returns the gold category of item i, or NoValue.
func (e *dense) goldOf(i int) int32 {
	if e.gold == nil {
		return NoValue
	}
	return e.gold[i]
}

// degenerate says why Dawid–Skene cannot learn from e, or "" when it can.
// small applies the small-data thresholds (MinSharedItems,
// MinSharedLabelsPerAnnotator).
func (e *dense) degenerate(d *Data, small bool) string {
	if len(e.code) == 0 {
		return "there are no labels"
	}
	if e.nUsed < 2 {
		only := slices.Index(e.used, true)
		return fmt.Sprintf("only one category (%s) is given, so there is nothing to infer", d.Categories[only])
	}
	k := int32(e.k)
	first := int32(-1)
	several := false
	overlap, goldLabelled := false, false
	// shared counts the shared items (two annotators, or gold and a label)
	// and sharedLabels their labels; labelled marks the annotators with
	// any label.
	shared, sharedLabels, annotators := 0, 0, 0
	labelled := make([]bool, e.j)
	for i := 0; i < e.n; i++ {
		codes := e.code[e.start[i]:e.start[i+1]]
		isShared := len(codes) > 0 && e.goldOf(i) != NoValue
		if isShared {
			goldLabelled = true
		}
		for _, c := range codes {
			a := c / k
			if !labelled[a] {
				labelled[a] = true
				annotators++
			}
			if first < 0 {
				first = a
			} else if a != first {
				several = true
			}
			if a != codes[0]/k {
				overlap = true
				isShared = true
			}
		}
		if isShared {
			shared++
			sharedLabels += len(codes)
		}
	}
	switch {
	case !goldLabelled && !several:
		return fmt.Sprintf("only one annotator (%s) gave labels and no labelled item has gold, so nobody's reliability can be estimated", d.Annotators[first])
	case !goldLabelled && !overlap:
		return "no item was labelled by two annotators and no labelled item has gold, so nobody's reliability can be estimated"
	case small && shared < MinSharedItems:
		return fmt.Sprintf("the data is too small to learn reliabilities from: %d item(s) were labelled by two or more annotators or have gold, and it takes %d", shared, MinSharedItems)
	case small && float64(sharedLabels) < float64(MinSharedLabelsPerAnnotator*annotators):
		return fmt.Sprintf("the data is too small to learn reliabilities from: the %d annotators gave %.1f labels each on average on items someone else labelled or that have gold, and it takes %d", annotators, float64(sharedLabels)/float64(annotators), MinSharedLabelsPerAnnotator)
	}
	return ""
}

// Infer infers the true category of every item of d. Invalid input (ids
// outside the name tables, two gold labels for one item, negative options)
// is an error, as is a cancelled ctx, which is checked between iterations.
// Degenerate input gives the majority vote and a Reason.
func Infer(ctx context.Context, d *Data, opt Options) (*Result, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e, err := prepare(d)
	if err != nil {
		return nil, err
	}
	return infer(ctx, e, d, opt, true)
}

// infer runs the method of opt, whose defaults are set, on e; d names its
// ids, for the reasons. items says whether the result lists its Items.
func infer(ctx context.Context, e *dense, d *Data, opt Options, items bool) (*Result, error) {
	m := newModel(e, opt)
	r := &Result{Method: opt.Method, K: e.k, Posterior: m.t}
	if opt.Method == DawidSkene {
		if r.Reason = e.degenerate(d, !opt.SmallData); r.Reason != "" {
			r.Method = MajorityVote
			r.Reason = "Dawid–Skene needs more: " + r.Reason + "; this is the majority vote"
		}
	}
	m.vote()
	if r.Method == DawidSkene {
		p := newPatterns(e, m.t)
		prev := math.Inf(-1)
		for it := 1; it <= opt.MaxIter; it++ {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			m.mstepPatterns(p)
			ll := m.estepPatterns(p)
			r.Iterations, r.LogLikelihood = it, ll
			if it > 1 && math.Abs(ll-prev) <= opt.Tolerance*max(1, math.Abs(ll)) {
				r.Converged = true
				break
			}
			prev = ll
		}
		p.expand(m.t)
	}
	m.mstep()
	m.finish(r, items)
	return r, nil
}

// model holds the EM state. conf is laid out by code: the K cells of code
// c = a×K+l are conf[c*K : c*K+K], cell k being P(a answers l | truth k),
// so that an item's E-step reads each label's K values in one run.
type model struct {
	e       *dense
	opt     Options
	t       []float64 // posterior, n×K
	logPi   []float64
	pi      []float64
	conf    []float64 // counts, then probabilities
	logConf []float64
	tmp     []float64
}

func newModel(e *dense, opt Options) *model {
	k := e.k
	return &model{
		e: e, opt: opt,
		t:       make([]float64, e.n*k),
		pi:      make([]float64, k),
		logPi:   make([]float64, k),
		conf:    make([]float64, e.j*k*k),
		logConf: make([]float64, e.j*k*k),
		tmp:     make([]float64, k),
	}
}

// vote sets the posterior of each item to its share of votes, clamped to
// gold; items without labels or gold get the uniform distribution.
func (m *model) vote() {
	e, k := m.e, m.e.k
	if k == 0 {
		return
	}
	for i := 0; i < e.n; i++ {
		t := m.t[i*k : i*k+k]
		clear(t)
		if g := e.goldOf(i); g != NoValue {
			t[g] = 1
			continue
		}
		codes := e.code[e.start[i]:e.start[i+1]]
		if len(codes) == 0 {
			for c := range t {
				if e.used[c] {
					t[c] = 1 / float64(e.nUsed)
				}
			}
			continue
		}
		w := 1 / float64(len(codes))
		for _, c := range codes {
			t[c%int32(k)] += w
		}
	}
}

// mstep estimates the class prior and the confusion matrices from the
// posteriors of the active items.
func (m *model) mstep() {
	e, k := m.e, m.e.k
	if k == 0 {
		return
	}
	m.resetCounts()
	for i := 0; i < e.n; i++ {
		if !e.active[i] {
			continue
		}
		t := m.t[i*k : i*k+k]
		for c, v := range t {
			m.pi[c] += v
		}
		for _, code := range e.code[e.start[i]:e.start[i+1]] {
			cell := m.conf[int(code)*k : int(code)*k+k]
			for c, v := range t {
				cell[c] += v
			}
		}
	}
	m.normalize()
}

// resetCounts sets the class and confusion counts to their pseudo-counts.
func (m *model) resetCounts() {
	for c := range m.pi {
		m.pi[c] = 0
		if m.e.used[c] {
			m.pi[c] = m.opt.ClassPrior
		}
	}
	for c := range m.conf {
		m.conf[c] = m.opt.ConfusionPrior
	}
}

// normalize turns the counts into probabilities and their logarithms.
func (m *model) normalize() {
	e, k := m.e, m.e.k
	sum := 0.0
	for _, v := range m.pi {
		sum += v
	}
	for c, v := range m.pi {
		m.pi[c] = v / sum
		// An unused category gets log 0 = −Inf, which the E-step turns
		// into a posterior of exactly 0.
		m.logPi[c] = math.Log(m.pi[c])
	}
	// Normalise each annotator's row k (truth k) over the answers l.
	row := m.tmp
	for a := 0; a < e.j; a++ {
		block := m.conf[a*k*k : (a+1)*k*k]
		clear(row)
		for l := 0; l < k; l++ {
			for c := 0; c < k; c++ {
				row[c] += block[l*k+c]
			}
		}
		for l := 0; l < k; l++ {
			for c := 0; c < k; c++ {
				v := block[l*k+c] / row[c]
				block[l*k+c] = v
				m.logConf[a*k*k+l*k+c] = math.Log(v)
			}
		}
	}
}

// patterns groups the labelled items without gold by their labels: two
// items whose annotators gave the same categories have the same posterior
// in every iteration, so EM computes it once per pattern and weighs it by
// the number of items. A crowd of five annotators and four categories has
// at most 5⁵ = 3,125 patterns however many items it labels.
type patterns struct {
	of     []int32   // pattern of each item, -1 for gold and unlabelled items
	start  []int32   // codes of pattern p are code[start[p]:start[p+1]]
	code   []int32   // sorted codes
	weight []float64 // items per pattern
	t      []float64 // posterior per pattern, P×K
	gold   []int32   // the gold items
}

// newPatterns finds the patterns of e; t holds the starting posteriors.
func newPatterns(e *dense, t []float64) *patterns {
	k := e.k
	p := &patterns{of: make([]int32, e.n), start: []int32{0}}
	index := make(map[string]int32)
	var key []byte
	for i := 0; i < e.n; i++ {
		p.of[i] = -1
		if e.goldOf(i) != NoValue {
			p.gold = append(p.gold, int32(i))
			continue
		}
		codes := e.code[e.start[i]:e.start[i+1]]
		if len(codes) == 0 {
			continue
		}
		slices.Sort(codes)
		key = key[:0]
		for _, c := range codes {
			key = append(key, byte(c), byte(c>>8), byte(c>>16), byte(c>>24))
		}
		id, ok := index[string(key)]
		if !ok {
			id = int32(len(p.weight))
			index[string(key)] = id
			p.code = append(p.code, codes...)
			p.start = append(p.start, int32(len(p.code)))
			p.weight = append(p.weight, 0)
			p.t = append(p.t, t[i*k:i*k+k]...)
		}
		p.of[i] = id
		p.weight[id]++
	}
	return p
}

// expand copies the pattern posteriors to the items.
func (p *patterns) expand(t []float64) {
	k := len(p.t) / max(len(p.weight), 1)
	for i, id := range p.of {
		if id >= 0 {
			copy(t[i*k:i*k+k], p.t[int(id)*k:int(id)*k+k])
		}
	}
}

// mstepPatterns is mstep over the patterns and the gold items.
func (m *model) mstepPatterns(p *patterns) {
	e, k := m.e, m.e.k
	m.resetCounts()
	for id, w := range p.weight {
		t := p.t[id*k : id*k+k]
		for c, v := range t {
			m.pi[c] += w * v
		}
		for _, code := range p.code[p.start[id]:p.start[id+1]] {
			cell := m.conf[int(code)*k : int(code)*k+k]
			for c, v := range t {
				cell[c] += w * v
			}
		}
	}
	for _, i := range p.gold {
		g := int(e.gold[i])
		m.pi[g]++
		for _, code := range e.code[e.start[i]:e.start[i+1]] {
			m.conf[int(code)*k+g]++
		}
	}
	m.normalize()
}

// estepPatterns computes the posterior of every pattern and returns the
// objective: the log-likelihood of the labels plus the log density of the
// Dirichlet priors, up to a constant.
func (m *model) estepPatterns(p *patterns) float64 {
	e, k := m.e, m.e.k
	ll := 0.0
	s := m.tmp
	for id, w := range p.weight {
		copy(s, m.logPi)
		for _, code := range p.code[p.start[id]:p.start[id+1]] {
			lc := m.logConf[int(code)*k : int(code)*k+k]
			for c := range s {
				s[c] += lc[c]
			}
		}
		top := math.Inf(-1)
		for _, v := range s {
			top = max(top, v)
		}
		sum := 0.0
		t := p.t[id*k : id*k+k]
		for c, v := range s {
			x := math.Exp(v - top)
			t[c] = x
			sum += x
		}
		for c := range t {
			t[c] /= sum
		}
		ll += w * (top + math.Log(sum))
	}
	for _, i := range p.gold {
		g := e.gold[i]
		v := m.logPi[g]
		for _, code := range e.code[e.start[i]:e.start[i+1]] {
			v += m.logConf[int(code)*k+int(g)]
		}
		ll += v
	}
	for c, v := range m.logPi {
		if e.used[c] {
			ll += m.opt.ClassPrior * v
		}
	}
	for _, v := range m.logConf {
		ll += m.opt.ConfusionPrior * v
	}
	return ll
}

// finish fills the items (when items is set) and annotators of r from the
// final posteriors and estimates.
func (m *model) finish(r *Result, items bool) {
	e, k := m.e, m.e.k
	r.ClassPrior = make([]float64, k)
	copy(r.ClassPrior, m.pi)
	if items {
		r.Items = make([]Item, e.n)
	}
	for i := 0; i < e.n; i++ {
		it := Item{Value: NoValue, Labels: e.start[i+1] - e.start[i], Gold: e.goldOf(i) != NoValue}
		t := m.t[i*k : i*k+k]
		if !e.active[i] {
			// Without labels the best guess is the class prior, but no
			// value is chosen from it.
			if r.Method == DawidSkene {
				copy(t, m.pi)
			}
		} else if items {
			best, value, tie := -1.0, NoValue, false
			for c, v := range t {
				switch {
				case v > best+tieTolerance:
					best, value, tie = v, int32(c), false
				case v >= best-tieTolerance:
					tie = true
					best = max(best, v)
				}
			}
			it.Confidence = best
			if tie {
				it.Tie, value = true, NoValue
			}
			it.Value = value
		}
		if items {
			r.Items[i] = it
		}
	}

	r.Annotators = make([]Annotator, e.j)
	acc := make([]float64, e.j)
	given := make([]float64, e.j*k) // labels giving each category
	post := make([]float64, e.j*k)  // summed posterior of each category
	last := make([]int32, e.j)
	for a := range last {
		last[a] = -1
	}
	for i := 0; i < e.n; i++ {
		t := m.t[i*k : i*k+k]
		for _, code := range e.code[e.start[i]:e.start[i+1]] {
			a, l := int(code)/k, int(code)%k
			ar := &r.Annotators[a]
			ar.Labels++
			if last[a] != int32(i) {
				last[a] = int32(i)
				ar.Items++
			}
			acc[a] += t[l]
			given[a*k+l]++
			for c, v := range t {
				post[a*k+c] += v
			}
		}
	}
	for a := range r.Annotators {
		ar := &r.Annotators[a]
		ar.Confusion = make([][]float64, k)
		for c := 0; c < k; c++ {
			ar.Confusion[c] = make([]float64, k)
			for l := 0; l < k; l++ {
				ar.Confusion[c][l] = m.conf[a*k*k+l*k+c]
			}
		}
		if ar.Labels == 0 {
			continue
		}
		n := float64(ar.Labels)
		ar.Accuracy = acc[a] / n
		for c := 0; c < k; c++ {
			ar.Chance += given[a*k+c] / n * post[a*k+c] / n
		}
		ar.NearChance = ar.Accuracy-ar.Chance < NearChanceMargin*(1-ar.Chance)
	}
}
