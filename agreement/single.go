package agreement

import "math"

// singleStats holds the integer sufficient statistics of single-choice data,
// gathered in one pass over the encoded units.
type singleStats struct {
	k    int
	nAnn int
	// om[m] is the k×k matrix Σ n_uc·(n_uk − [c=k]) over the pairable items
	// u with exactly m values, n_uc being the number of values c in u. The
	// coincidence matrix is o = Σ_m om[m]/(m−1). Keeping integers per m makes
	// every coefficient independent of the order of the input.
	om     [][]int64
	itemsM []int64 // number of pairable items with m values

	pairableItems  int64
	pairableValues int64

	dist     []int64 // dist[a*k+c]: values c given by annotator a
	annUnits []int64 // valid units per annotator

	pairs *pairTables // nil when pairwise tables were not requested
}

// pairIndex gives every pair of annotators a < b that was seen a dense id,
// in order of first use.
type pairIndex struct {
	nAnn   int
	dense  []int32 // id per a*nAnn+b, -1 when unused; nil for many annotators
	sparse map[uint64]int32
	n      int32
}

const maxDenseAnnotators = 1024

func newPairIndex(nAnn int) pairIndex {
	p := pairIndex{nAnn: nAnn}
	if nAnn <= maxDenseAnnotators {
		p.dense = make([]int32, nAnn*nAnn)
		for i := range p.dense {
			p.dense[i] = -1
		}
	} else {
		p.sparse = make(map[uint64]int32)
	}
	return p
}

// id returns the id of the pair a < b; with create it assigns a new id to
// an unseen pair, otherwise it reports -1 for it.
func (p *pairIndex) id(a, b int32, create bool) int32 {
	if p.dense != nil {
		i := int(a)*p.nAnn + int(b)
		if id := p.dense[i]; id >= 0 || !create {
			return id
		}
		p.dense[i] = p.n
	} else {
		key := uint64(a)<<32 | uint64(b)
		if id, ok := p.sparse[key]; ok {
			return id
		}
		if !create {
			return -1
		}
		p.sparse[key] = p.n
	}
	p.n++
	return p.n - 1
}

// pairTables holds one k×k contingency table per pair of annotators a < b
// (rows a's value, columns b's value), allocated on first use.
type pairTables struct {
	idx pairIndex
	k   int
	tab [][]int64
}

func newPairTables(nAnn, k int) *pairTables {
	return &pairTables{idx: newPairIndex(nAnn), k: k}
}

// table returns the table of the pair a < b, creating it when missing.
func (p *pairTables) table(a, b int32) []int64 {
	id := p.idx.id(a, b, true)
	if int(id) < len(p.tab) {
		return p.tab[id]
	}
	t := make([]int64, p.k*p.k)
	p.tab = append(p.tab, t)
	return t
}

// lookup returns the table of the pair a < b, or nil when they share no item.
func (p *pairTables) lookup(a, b int32) []int64 {
	if id := p.idx.id(a, b, false); id >= 0 {
		return p.tab[id]
	}
	return nil
}

// analyzeSingle gathers singleStats from e, whose val holds category ids
// in [0, k).
func analyzeSingle(e *encoded, k int, withPairs bool) *singleStats {
	nAnn := e.nAnn()
	st := &singleStats{
		k:        k,
		nAnn:     nAnn,
		om:       make([][]int64, nAnn+1),
		itemsM:   make([]int64, nAnn+1),
		dist:     make([]int64, nAnn*k),
		annUnits: make([]int64, nAnn),
	}
	if withPairs {
		st.pairs = newPairTables(nAnn, k)
	}
	cnt := make([]int64, k)
	touched := make([]int32, 0, k)
	ann, val, start := e.ann, e.val, e.start
	for j, a := range ann {
		st.dist[int(a)*k+int(val[j])]++
		st.annUnits[a]++
	}
	for it := 0; it < e.nItems; it++ {
		lo, hi := int(start[it]), int(start[it+1])
		m := hi - lo
		if m < 2 {
			continue
		}
		st.pairableItems++
		st.pairableValues += int64(m)
		st.itemsM[m]++
		touched = touched[:0]
		for _, c := range val[lo:hi] {
			if cnt[c] == 0 {
				touched = append(touched, c)
			}
			cnt[c]++
		}
		mat := st.om[m]
		if mat == nil {
			mat = make([]int64, k*k)
			st.om[m] = mat
		}
		for _, c := range touched {
			nc := cnt[c]
			row := mat[int(c)*k : int(c)*k+k]
			for _, d := range touched {
				row[d] += nc * cnt[d]
			}
			row[c] -= nc
		}
		for _, c := range touched {
			cnt[c] = 0
		}
		if st.pairs == nil {
			continue
		}
		for i := lo; i < hi; i++ {
			a, va := ann[i], val[i]
			for j := i + 1; j < hi; j++ {
				b, vb := ann[j], val[j]
				if a < b {
					st.pairs.table(a, b)[int(va)*k+int(vb)]++
				} else {
					st.pairs.table(b, a)[int(vb)*k+int(va)]++
				}
			}
		}
	}
	return st
}

// coincidence returns Krippendorff's coincidence matrix o (k×k), its
// marginals n_c and their total n (the number of pairable values).
func (st *singleStats) coincidence() (o, nc []float64, n float64) {
	return coincidenceOM(st.om, st.k)
}

// coincidenceOM computes o = Σ_m om[m]/(m−1) with its marginals and total.
func coincidenceOM(om [][]int64, k int) (o, nc []float64, n float64) {
	o = make([]float64, k*k)
	ncInt := make([]int64, k)
	for m, mat := range om {
		if mat == nil {
			continue
		}
		w := float64(m - 1)
		for c := 0; c < k; c++ {
			var row int64
			for d := 0; d < k; d++ {
				if x := mat[c*k+d]; x != 0 {
					o[c*k+d] += float64(x) / w
					row += x
				}
			}
			// Each row sums to Σ_u n_uc·(m−1): the division is exact.
			ncInt[c] += row / int64(m-1)
		}
	}
	nc = make([]float64, k)
	var total int64
	for c, x := range ncInt {
		nc[c] = float64(x)
		total += x
	}
	return o, nc, float64(total)
}

// alphaFrom computes Krippendorff's alpha from the coincidence matrix o, its
// marginals nc and total n, with squared distances delta (k×k):
//
//	α = 1 − (n−1) · Σ_ck o_ck δ²_ck / Σ_ck n_c n_k δ²_ck
func alphaFrom(o, nc []float64, n float64, delta []float64) Metric {
	if n == 0 {
		return undefinedMetric(reasonNoPairable)
	}
	k := len(nc)
	used := 0
	for _, x := range nc {
		if x > 0 {
			used++
		}
	}
	if used < 2 {
		return undefinedMetric(reasonOneCategory)
	}
	var do, de float64
	for c := 0; c < k; c++ {
		for d := 0; d < k; d++ {
			dl := delta[c*k+d]
			if dl == 0 {
				continue
			}
			do += o[c*k+d] * dl
			de += nc[c] * nc[d] * dl
		}
	}
	// Do = Σ o δ² / n and De = Σ n_c n_k δ² / (n(n−1)), so α = 1 − Do/De.
	return alphaMetric(do/n, de/(n*(n-1)), reasonOneCategory)
}

// nominalDelta is δ²_ck = 0 if c = k, else 1.
func nominalDelta(k int) []float64 {
	d := make([]float64, k*k)
	for c := 0; c < k; c++ {
		for e := 0; e < k; e++ {
			if c != e {
				d[c*k+e] = 1
			}
		}
	}
	return d
}

// ordinalDelta is Krippendorff's (2011) ordinal metric
// δ²_ck = (Σ_{g=c..k} n_g − (n_c + n_k)/2)², with categories in scale order.
func ordinalDelta(nc []float64) []float64 {
	k := len(nc)
	cum := make([]float64, k+1)
	for i, x := range nc {
		cum[i+1] = cum[i] + x
	}
	d := make([]float64, k*k)
	for c := 0; c < k; c++ {
		for e := c + 1; e < k; e++ {
			s := cum[e+1] - cum[c] - (nc[c]+nc[e])/2
			d[c*k+e] = s * s
			d[e*k+c] = s * s
		}
	}
	return d
}

// intervalDelta is δ²_ck = (x_c − x_k)² for category values x.
func intervalDelta(x []float64) []float64 {
	k := len(x)
	d := make([]float64, k*k)
	for c := 0; c < k; c++ {
		for e := 0; e < k; e++ {
			s := x[c] - x[e]
			d[c*k+e] = s * s
		}
	}
	return d
}

// ratioDelta is Krippendorff's (2011) ratio metric δ²_ck = ((x_c − x_k)/(x_c + x_k))²
// for category values x ≥ 0; two zeros are at distance 0.
func ratioDelta(x []float64) []float64 {
	k := len(x)
	d := make([]float64, k*k)
	for c := 0; c < k; c++ {
		for e := 0; e < k; e++ {
			if sum := x[c] + x[e]; sum != 0 {
				s := (x[c] - x[e]) / sum
				d[c*k+e] = s * s
			}
		}
	}
	return d
}

// Where the numbers of the interval and ratio metrics come from
// (Report.ScaleFrom).
const (
	// ScaleValues: the dataset's Values, or categories that are numbers.
	ScaleValues = "values"
	// ScalePositions: no numbers, so category i of the scale stands for i.
	ScalePositions = "positions"
)

// scaleValues are the numbers the interval and ratio metrics use for the
// categories cats of d: d.Values when given, else the categories' numeric
// values when every category parses as a number, else their positions
// 0, 1, …, k−1 in the category list.
func scaleValues(d Dataset, cats []string) ([]float64, string) {
	if len(d.Values) > 0 && len(d.Values) == len(d.Categories) {
		byCat := make(map[string]float64, len(d.Values))
		for i, c := range d.Categories {
			if _, ok := byCat[c]; !ok {
				byCat[c] = d.Values[i]
			}
		}
		x := make([]float64, len(cats))
		ok := true
		for i, c := range cats {
			v, found := byCat[c]
			if !found || math.IsNaN(v) || math.IsInf(v, 0) {
				ok = false
				break
			}
			x[i] = v
		}
		if ok {
			return x, ScaleValues
		}
	}
	if x, ok := numericValues(cats); ok {
		return x, ScaleValues
	}
	x := make([]float64, len(cats))
	for i := range x {
		x[i] = float64(i)
	}
	return x, ScalePositions
}

// ratioDeltaFor returns the ratio metric of scale x taken from, or the
// reason ratio alpha is undefined on it.
func ratioDeltaFor(x []float64, from string) ([]float64, string) {
	if from != ScaleValues {
		return nil, reasonRatioScale
	}
	for _, v := range x {
		if v < 0 {
			return nil, reasonRatioSign
		}
	}
	return ratioDelta(x), ""
}

// observedAgreement is Σ_u Σ_c n_uc(n_uc−1) / Σ_u m_u(m_u−1) over pairable
// items: the share of agreeing ordered pairs of values within items.
func (st *singleStats) observedAgreement() Metric {
	if st.pairableItems == 0 {
		return undefinedMetric(reasonNoPairable)
	}
	var agree, all int64
	for m, mat := range st.om {
		if mat == nil {
			continue
		}
		for c := 0; c < st.k; c++ {
			agree += mat[c*st.k+c]
		}
		all += st.itemsM[m] * int64(m) * int64(m-1)
	}
	return definedMetric(float64(agree) / float64(all))
}

// fleiss computes Fleiss' kappa from per-m matrices om (k×k) and item
// counts, generalised to varying numbers of ratings per item:
//
//	P_u  = Σ_c n_uc(n_uc−1) / (m_u(m_u−1))   for items with m_u ≥ 2
//	P̄    = mean of P_u,   p_c = mean of n_uc/m_u,   P̄e = Σ_c p_c²
//	κ    = (P̄ − P̄e) / (1 − P̄e)
//
// With the same number of ratings on every item this is Fleiss (1971).
func fleiss(om [][]int64, itemsM []int64, k int) Metric {
	var items float64
	var pbar float64
	p := make([]float64, k)
	for m, mat := range om {
		if mat == nil {
			continue
		}
		items += float64(itemsM[m])
		pairs := float64(m) * float64(m-1)
		var diag int64
		for c := 0; c < k; c++ {
			diag += mat[c*k+c]
			var row int64
			for d := 0; d < k; d++ {
				row += mat[c*k+d]
			}
			p[c] += float64(row) / pairs
		}
		pbar += float64(diag) / pairs
	}
	if items == 0 {
		return undefinedMetric(reasonNoPairable)
	}
	used := 0
	var pe float64
	for _, x := range p {
		if x > 0 {
			used++
		}
		x /= items
		pe += x * x
	}
	if used < 2 {
		return undefinedMetric(reasonOneCategory)
	}
	pbar /= items
	return kappaMetric(pbar, pe, reasonOneCategory)
}

// cohen computes the observed agreement and Cohen's (1960) kappa of a k×k
// contingency table t: κ = (p_o − p_e)/(1 − p_e) with p_e from the two
// annotators' own marginals.
func cohen(t []int64, k int) (n int64, obs, kappa Metric) {
	if len(t) != k*k {
		u := undefinedMetric(reasonNoShared)
		return 0, u, u
	}
	var diag, rs int64
	rows := make([]int64, k)
	cols := make([]int64, k)
	for c := 0; c < k; c++ {
		for d := 0; d < k; d++ {
			x := t[c*k+d]
			n += x
			rows[c] += x
			cols[d] += x
		}
		diag += t[c*k+c]
	}
	if n == 0 {
		u := undefinedMetric(reasonNoShared)
		return 0, u, u
	}
	for c := 0; c < k; c++ {
		rs += rows[c] * cols[c]
	}
	obs = definedMetric(float64(diag) / float64(n))
	den := n*n - rs
	po, pe := float64(diag)/float64(n), float64(rs)/(float64(n)*float64(n))
	if den == 0 {
		kappa = undefinedMetric(reasonCohenChance)
	} else {
		// The integer form keeps kappa exact; the terms are for reading.
		kappa = definedMetric(float64(n*diag-rs) / float64(den))
	}
	kappa.ObservedAgreement, kappa.ExpectedAgreement = finite(po), finite(pe)
	return n, obs, kappa
}

// collapseTable reduces a k×k table to the 2×2 table "category c" (index 1)
// versus "any other category" (index 0).
func collapseTable(t []int64, k, c int) []int64 {
	if len(t) != k*k {
		return nil
	}
	var in, rowOut, colOut, all int64
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			all += t[i*k+j]
		}
	}
	in = t[c*k+c]
	for j := 0; j < k; j++ {
		if j != c {
			rowOut += t[c*k+j]
			colOut += t[j*k+c]
		}
	}
	return []int64{all - in - rowOut - colOut, colOut, rowOut, in}
}

// collapseOM applies collapseTable to every per-m matrix.
func collapseOM(om [][]int64, k, c int) [][]int64 {
	out := make([][]int64, len(om))
	for m, mat := range om {
		if mat != nil {
			out[m] = collapseTable(mat, k, c)
		}
	}
	return out
}

// pairList returns the pairs of annotators a < b that share items with
// their tables, in order of a then b.
func (st *singleStats) pairList() (as, bs []int32, tabs [][]int64) {
	for a := 0; a < st.nAnn; a++ {
		for b := a + 1; b < st.nAnn; b++ {
			t := st.pairs.lookup(int32(a), int32(b))
			as = append(as, int32(a))
			bs = append(bs, int32(b))
			tabs = append(tabs, t)
		}
	}
	return
}

// lightKappa is the mean of the defined pairwise kappas (Light 1971).
func lightKappa(kappas []Metric) Metric {
	var sum float64
	n := 0
	for _, m := range kappas {
		if m.Defined() {
			sum += *m.Value
			n++
		}
	}
	if n == 0 {
		return undefinedMetric(reasonNoPairKappa)
	}
	return definedMetric(sum / float64(n))
}
