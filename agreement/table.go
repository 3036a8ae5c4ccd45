package agreement

import "math"

// Table is the contingency table of two raters over the items both
// labelled, in K categories: Counts[i*K+j] counts the items rater A put in
// category i and rater B in category j. It is how a model is compared with
// gold (A the gold, B the model) or with one annotator without building a
// Dataset per pair: the caller counts, the methods read the counts.
type Table struct {
	K      int     `json:"k"`
	Counts []int64 `json:"counts"`
}

// NewTable returns an empty table of k categories.
func NewTable(k int) Table { return Table{K: k, Counts: make([]int64, k*k)} }

// Add counts one item that A put in category a and B in category b.
func (t *Table) Add(a, b int) { t.Counts[a*t.K+b]++ }

// Items is the number of items counted.
func (t Table) Items() int64 {
	var n int64
	for _, x := range t.Counts {
		n += x
	}
	return n
}

// Matches is the number of items both raters put in the same category.
func (t Table) Matches() int64 {
	var n int64
	for c := 0; c < t.K; c++ {
		n += t.Counts[c*t.K+c]
	}
	return n
}

// Kappa returns the observed agreement (the accuracy, when A is gold) and
// Cohen's kappa of the table, as the pairwise kappas of Compute are
// computed.
func (t Table) Kappa() (obs, kappa Metric) {
	_, obs, kappa = cohen(t.Counts, t.K)
	return obs, kappa
}

// WeightedKappa returns Cohen's (1968) weighted kappa with linear
// disagreement weights |i−j|/(K−1), for ordered categories: a model one
// step off is less wrong than one three steps off.
// κw = 1 − Σ w·o / Σ w·e, with e from the two raters' marginals.
func (t Table) WeightedKappa() Metric {
	n := t.Items()
	if n == 0 || t.K < 2 {
		return undefinedMetric(reasonNoShared)
	}
	rows := make([]float64, t.K)
	cols := make([]float64, t.K)
	for i := 0; i < t.K; i++ {
		for j := 0; j < t.K; j++ {
			x := float64(t.Counts[i*t.K+j])
			rows[i] += x
			cols[j] += x
		}
	}
	var do, de float64
	N := float64(n)
	for i := 0; i < t.K; i++ {
		for j := 0; j < t.K; j++ {
			w := math.Abs(float64(i-j)) / float64(t.K-1)
			do += w * float64(t.Counts[i*t.K+j]) / N
			de += w * rows[i] * cols[j] / (N * N)
		}
	}
	if de == 0 {
		return undefinedMetric(reasonCohenChance)
	}
	m := definedMetric(1 - do/de)
	m.ObservedDisagreement, m.ExpectedDisagreement = finite(do), finite(de)
	return m
}

// MacroF1 returns the mean over categories of the F1 score of B taking A
// as the truth, 2·tp/(2·tp + fp + fn) per category. Categories neither
// rater used are left out of the mean; a category only one of them used
// scores 0.
func (t Table) MacroF1() Metric {
	var sum float64
	used := 0
	for c := 0; c < t.K; c++ {
		tp := t.Counts[c*t.K+c]
		var row, col int64
		for j := 0; j < t.K; j++ {
			row += t.Counts[c*t.K+j]
			col += t.Counts[j*t.K+c]
		}
		if row == 0 && col == 0 {
			continue
		}
		used++
		// fp + fn = (col − tp) + (row − tp)
		sum += 2 * float64(tp) / float64(row+col)
	}
	if used == 0 {
		return undefinedMetric(reasonNoShared)
	}
	return definedMetric(sum / float64(used))
}

// MeanKappa returns the mean of the defined kappas, as Light's kappa is
// the mean of the pairwise ones; undefined when none is.
func MeanKappa(kappas []Metric) Metric { return lightKappa(kappas) }
