package agreement

// MASIDistance is the MASI distance of Passonneau (2006) between two label
// sets: 1 − J·M, where J = |A∩B|/|A∪B| is the Jaccard coefficient and M is
// 1 when the sets are identical, 2/3 when one is a subset of the other, 1/3
// when they overlap without either being a subset, and 0 when they are
// disjoint. Repeated labels count once; two empty sets are identical
// (distance 0).
func MASIDistance(a, b []string) float64 {
	inter, union, ca, cb := setSizes(a, b)
	return masiFrom(inter, union, ca, cb)
}

// JaccardDistance is 1 − |A∩B|/|A∪B| between two label sets. Repeated labels
// count once; two empty sets have distance 0.
func JaccardDistance(a, b []string) float64 {
	inter, union, _, _ := setSizes(a, b)
	return jaccardFrom(inter, union)
}

func setSizes(a, b []string) (inter, union, ca, cb int) {
	sa := make(map[string]bool, len(a))
	for _, s := range a {
		sa[s] = true
	}
	sb := make(map[string]bool, len(b))
	for _, s := range b {
		sb[s] = true
	}
	for s := range sa {
		if sb[s] {
			inter++
		}
	}
	ca, cb = len(sa), len(sb)
	return inter, ca + cb - inter, ca, cb
}

func masiFrom(inter, union, ca, cb int) float64 {
	if inter == union {
		return 0 // identical sets, including two empty ones
	}
	j := float64(inter) / float64(union)
	switch {
	case inter == ca || inter == cb:
		return 1 - j*2/3
	case inter > 0:
		return 1 - j/3
	default:
		return 1
	}
}

func jaccardFrom(inter, union int) float64 {
	if union == 0 {
		return 0
	}
	return 1 - float64(inter)/float64(union)
}

// setDist returns the MASI and Jaccard distances between set ids s and t.
func (e *encoded) setDist(s, t int32) (masi, jac float64) {
	if s == t {
		return 0, 0
	}
	a, b := e.set(s), e.set(t)
	var inter, union int
	for i := range a {
		inter += popcount(a[i] & b[i])
		union += popcount(a[i] | b[i])
	}
	return masiFrom(inter, union, int(e.setCards[s]), int(e.setCards[t])), jaccardFrom(inter, union)
}

// multiStats are the sufficient statistics of set-valued data.
type multiStats struct {
	pairableItems  int64
	pairableValues int64
	// Observed disagreement sums Σ_u Σ_{i≠j} δ(v_ui, v_uj)/(m_u−1).
	doMASI, doJac, doNom float64
	agree, all           int64   // identical / all ordered pairs of values within items
	marg                 []int64 // pairable values per set id

	dist     []int64 // dist[a*k+c]: units of annotator a containing label c
	annUnits []int64

	pairs    pairIndex
	pairSets [][]int32 // per pair id: (set of a, set of b) for every shared item
}

func analyzeMulti(e *encoded) *multiStats {
	nAnn, k := e.nAnn(), e.k
	st := &multiStats{
		marg:     make([]int64, e.nSets()),
		dist:     make([]int64, nAnn*k),
		annUnits: make([]int64, nAnn),
		pairs:    newPairIndex(nAnn),
	}
	for j, a := range e.ann {
		st.annUnits[a]++
		set := e.set(e.val[j])
		for c := 0; c < k; c++ {
			if set[c>>6]&(1<<(uint(c)&63)) != 0 {
				st.dist[int(a)*k+c]++
			}
		}
	}
	disNom := make([]int64, nAnn+1)
	for it := 0; it < e.nItems; it++ {
		lo, hi := int(e.start[it]), int(e.start[it+1])
		m := hi - lo
		if m < 2 {
			continue
		}
		st.pairableItems++
		st.pairableValues += int64(m)
		var sumM, sumJ float64
		for i := lo; i < hi; i++ {
			si := e.val[i]
			st.marg[si]++
			for j := i + 1; j < hi; j++ {
				sj := e.val[j]
				if si == sj {
					st.agree += 2
				} else {
					disNom[m] += 2
					dm, dj := e.setDist(si, sj)
					sumM += 2 * dm
					sumJ += 2 * dj
				}
				a, b, sa, sb := e.ann[i], e.ann[j], si, sj
				if a > b {
					a, b, sa, sb = b, a, sb, sa
				}
				id := st.pairs.id(a, b, true)
				if int(id) == len(st.pairSets) {
					st.pairSets = append(st.pairSets, nil)
				}
				st.pairSets[id] = append(st.pairSets[id], sa, sb)
			}
		}
		st.all += int64(m) * int64(m-1)
		st.doMASI += sumM / float64(m-1)
		st.doJac += sumJ / float64(m-1)
	}
	for m, x := range disNom {
		if x != 0 {
			st.doNom += float64(x) / float64(m-1)
		}
	}
	return st
}

// setAlphas computes alpha with the MASI, Jaccard and nominal distances
// from observed disagreement sums and the pairable value counts per set:
// α = 1 − (n−1)·Σ_u Σ_{i≠j} δ_ij/(m_u−1) / Σ_{s,t} n_s n_t δ(s,t).
func setAlphas(e *encoded, marg []int64, doM, doJ, doN float64) (masi, jac, nom Metric) {
	var n float64
	var active []int32
	for s, x := range marg {
		if x > 0 {
			n += float64(x)
			active = append(active, int32(s))
		}
	}
	if n == 0 {
		u := undefinedMetric(reasonNoPairable)
		return u, u, u
	}
	if len(active) < 2 {
		u := undefinedMetric(reasonSameSet)
		return u, u, u
	}
	var deM, deJ, sq float64
	for i, s := range active {
		ns := float64(marg[s])
		sq += ns * ns
		for _, t := range active[i+1:] {
			w := 2 * ns * float64(marg[t])
			dm, dj := e.setDist(s, t)
			deM += w * dm
			deJ += w * dj
		}
	}
	deN := n*n - sq
	return alphaRatio(n, doM, deM), alphaRatio(n, doJ, deJ), alphaRatio(n, doN, deN)
}

// alphaRatio is α = 1 − (n−1)·do/de from the sums do and de, with
// Do = do/n and De = de/(n(n−1)) as its terms.
func alphaRatio(n, do, de float64) Metric {
	return alphaMetric(do/n, de/(n*(n-1)), reasonSameSet)
}

// pairAlphaMASI computes, for one pair of annotators, the observed share of
// identical sets and alpha with the MASI distance over their shared items.
func pairAlphaMASI(e *encoded, sets []int32, marg []int64) (items int, obs, alpha Metric) {
	items = len(sets) / 2
	if items == 0 {
		u := undefinedMetric(reasonNoShared)
		return 0, u, u
	}
	var do float64
	same := 0
	var touched []int32
	for i := 0; i < len(sets); i += 2 {
		s, t := sets[i], sets[i+1]
		for _, x := range [2]int32{s, t} {
			if marg[x] == 0 {
				touched = append(touched, x)
			}
			marg[x]++
		}
		if s == t {
			same++
			continue
		}
		dm, _ := e.setDist(s, t)
		do += 2 * dm
	}
	var de float64
	for i, s := range touched {
		for _, t := range touched[i+1:] {
			dm, _ := e.setDist(s, t)
			de += 2 * float64(marg[s]) * float64(marg[t]) * dm
		}
	}
	for _, s := range touched {
		marg[s] = 0
	}
	obs = definedMetric(float64(same) / float64(items))
	return items, obs, alphaRatio(float64(2*items), do, de)
}

// labelView returns a copy of e whose values are 1 when the unit's set
// contains label c and 0 otherwise.
func (e *encoded) labelView(c int) *encoded {
	v := *e
	v.multi = false
	v.k = 2
	v.val = make([]int32, len(e.val))
	word, bit := c>>6, uint64(1)<<(uint(c)&63)
	for j, s := range e.val {
		if e.sets[int(s)*e.words+word]&bit != 0 {
			v.val[j] = 1
		}
	}
	return &v
}
