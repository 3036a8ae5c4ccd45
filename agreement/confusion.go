package agreement

// Matrix is a confusion matrix between two annotators over the items both
// labelled: Counts[i][j] counts items where A gave Categories[i] and B gave
// Categories[j]. For multi-label data every pair of a label in A's set and a
// label in B's set is counted, so the diagonal counts, per label, the shared
// items on which both applied it.
type Matrix struct {
	A          string   `json:"a"`
	B          string   `json:"b"`
	Categories []string `json:"categories"`
	Counts     [][]int  `json:"counts"`
	Items      int      `json:"items"` // items labelled by both
}

// Confusion returns the confusion matrix of annotators a (rows) and b
// (columns) in d, with the same input handling as Compute. An unknown
// annotator, or a pair with no shared item, gives a matrix of zeros.
func Confusion(d Dataset, a, b string) Matrix {
	return confusionOf(encode(d, func(s string) bool { return s == a || s == b }), a, b)
}

// confusionOf is Confusion over e, encoded with a and b alone.
func confusionOf(e *encoded, a, b string) Matrix {
	k := e.k
	mx := Matrix{A: a, B: b, Categories: append([]string{}, e.cats...), Counts: make([][]int, k)}
	for i := range mx.Counts {
		mx.Counts[i] = make([]int, k)
	}
	ia, ib := int32(-1), int32(-1)
	for i, name := range e.annNames {
		if name == a {
			ia = int32(i)
		}
		if name == b {
			ib = int32(i)
		}
	}
	if ia < 0 || ib < 0 {
		return mx
	}
	for it := 0; it < e.nItems; it++ {
		lo, hi := e.start[it], e.start[it+1]
		va, vb := int32(-1), int32(-1)
		for j := lo; j < hi; j++ {
			if e.ann[j] == ia {
				va = e.val[j]
			}
			if e.ann[j] == ib {
				vb = e.val[j]
			}
		}
		if va < 0 || vb < 0 {
			continue
		}
		mx.Items++
		if !e.multi {
			mx.Counts[va][vb]++
			continue
		}
		sa, sb := e.set(va), e.set(vb)
		for c := 0; c < k; c++ {
			if sa[c>>6]&(1<<(uint(c)&63)) == 0 {
				continue
			}
			for d := 0; d < k; d++ {
				if sb[d>>6]&(1<<(uint(d)&63)) != 0 {
					mx.Counts[c][d]++
				}
			}
		}
	}
	return mx
}
