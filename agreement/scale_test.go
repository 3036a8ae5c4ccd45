package agreement

import (
	"math"
	"testing"
)

// Krippendorff (2011), section C, on the ratio metric: published
// α_ratio = 0.797.
func TestKrippendorff2011Ratio(t *testing.T) {
	d := Dataset{
		Units:      fromRows([]string{"A", "B", "C", "D"}, kripp2011C),
		Categories: []string{"1", "2", "3", "4", "5"},
		Ordered:    true,
	}
	r := Compute(d, Options{})
	checkMetric(t, "alpha ratio", r.AlphaRatio, 0.797, true)
	if r.ScaleFrom != ScaleValues {
		t.Errorf("scale_from: got %q, want %q (the categories are numbers)", r.ScaleFrom, ScaleValues)
	}
	// Values given explicitly give the same result as categories that are
	// numbers.
	d.Categories = []string{"one", "two", "three", "four", "five"}
	d.Values = []float64{1, 2, 3, 4, 5}
	names := map[string]string{"1": "one", "2": "two", "3": "three", "4": "four", "5": "five"}
	d.Units = nil
	for _, u := range fromRows([]string{"A", "B", "C", "D"}, kripp2011C) {
		u.Values = []string{names[u.Values[0]]}
		d.Units = append(d.Units, u)
	}
	r2 := Compute(d, Options{})
	checkMetric(t, "alpha ratio from values", r2.AlphaRatio, r.AlphaRatio.Float(), false)
	checkMetric(t, "alpha interval from values", r2.AlphaInterval, r.AlphaInterval.Float(), false)
}

// negativeScale is a hand-worked interval case on a scale with negative
// and unevenly spaced values: two coders, four units,
// u1 (−10, −10), u2 (−10, 0), u3 (5, 100), u4 (0, 0).
//
// n = 8 values: −10 ×3, 0 ×3, 5 ×1, 100 ×1.
// Do = (1/n) Σ_u Σ_{i≠j} δ² /(m_u−1) = (2·10² + 2·95²)/8 = 18250/8.
// De = Σ_{c≠k} n_c n_k δ² / (n(n−1)) = 2·(9·100 + 3·225 + 3·12100 + 3·25
// + 3·10000 + 9025)/56 = 153950/56.
// α = 1 − Do/De = 1 − 127750/153950 = 524/3079.
func negativeScale() Dataset {
	return Dataset{
		Units: []Unit{
			{"u1", "A", []string{"n10"}}, {"u1", "B", []string{"n10"}},
			{"u2", "A", []string{"n10"}}, {"u2", "B", []string{"z"}},
			{"u3", "A", []string{"p5"}}, {"u3", "B", []string{"p100"}},
			{"u4", "A", []string{"z"}}, {"u4", "B", []string{"z"}},
		},
		Categories: []string{"n10", "z", "p5", "p100"},
		Values:     []float64{-10, 0, 5, 100},
		Ordered:    true,
	}
}

func TestIntervalAlphaFromNegativeValues(t *testing.T) {
	r := Compute(negativeScale(), Options{})
	checkMetric(t, "alpha interval", r.AlphaInterval, 524.0/3079, false)
	m := r.AlphaInterval
	if m.ObservedDisagreement == nil || math.Abs(*m.ObservedDisagreement-18250.0/8) > 1e-9 {
		t.Errorf("observed disagreement: got %v, want %v", m.ObservedDisagreement, 18250.0/8)
	}
	if m.ExpectedDisagreement == nil || math.Abs(*m.ExpectedDisagreement-153950.0/56) > 1e-9 {
		t.Errorf("expected disagreement: got %v, want %v", m.ExpectedDisagreement, 153950.0/56)
	}
	if r.ScaleFrom != ScaleValues || len(r.ScaleValues) != 4 || r.ScaleValues[0] != -10 {
		t.Errorf("scale: got %q %v, want values [-10 0 5 100]", r.ScaleFrom, r.ScaleValues)
	}
	checkUndefined(t, "alpha ratio on negative values", r.AlphaRatio)
	if r.AlphaRatio.Reason != reasonRatioSign {
		t.Errorf("ratio reason: got %q", r.AlphaRatio.Reason)
	}

	// Without the values the distances are between positions 0..3, which
	// gives another number: Do = (2·1 + 2·1)/8, De = 2·(9·1 + 3·4 + 3·9 +
	// 3·1 + 3·4 + 1)/56 = 128/56, α = 1 − 0.5·56/128 = 0.78125.
	d := negativeScale()
	d.Values = nil
	p := Compute(d, Options{})
	checkMetric(t, "alpha interval from positions", p.AlphaInterval, 0.78125, false)
	if p.ScaleFrom != ScalePositions {
		t.Errorf("scale_from without values: got %q, want %q", p.ScaleFrom, ScalePositions)
	}
	checkUndefined(t, "alpha ratio from positions", p.AlphaRatio)

	// Interval alpha does not change when the scale is shifted and
	// stretched: the same data on 0…220 (x ↦ 2x + 20).
	d = negativeScale()
	d.Values = []float64{0, 20, 30, 220}
	checkMetric(t, "alpha interval, shifted scale", Compute(d, Options{}).AlphaInterval, 524.0/3079, false)

	// The bootstrap interval surrounds the values-based estimate.
	b := Compute(negativeScale(), Options{Bootstrap: 200, Seed: 1})
	if b.AlphaInterval.CI == nil {
		t.Fatal("no interval for interval alpha")
	}
}

// The Fleiss' kappa example on Wikipedia (10 subjects, 14 raters, 5
// categories): P̄ = 0.378, P̄e = 0.213, κ = 0.210. P̄e to more digits is
// Σ p_j² with p = (0.143, 0.200, 0.279, 0.150, 0.229): 0.21275…
func TestFleissExpectedAgreement(t *testing.T) {
	counts := [][]int{
		{0, 0, 0, 0, 14}, {0, 2, 6, 4, 2}, {0, 0, 3, 5, 6}, {0, 3, 9, 2, 0}, {2, 2, 8, 1, 1},
		{7, 7, 0, 0, 0}, {3, 2, 6, 3, 0}, {2, 5, 3, 2, 2}, {6, 5, 2, 1, 0}, {0, 2, 2, 3, 7},
	}
	cats := []string{"1", "2", "3", "4", "5"}
	r := Compute(Dataset{Units: fromCounts(cats, counts), Categories: cats}, Options{})
	m := r.FleissKappa
	if m.ExpectedAgreement == nil || round3(*m.ExpectedAgreement) != 0.213 {
		t.Fatalf("Fleiss Pe: got %v, want 0.213", m.ExpectedAgreement)
	}
	if m.ObservedAgreement == nil || round3(*m.ObservedAgreement) != 0.378 {
		t.Errorf("Fleiss P̄: got %v, want 0.378", m.ObservedAgreement)
	}
	totals := []float64{20, 28, 39, 21, 32}
	var pe float64
	for _, x := range totals {
		pe += (x / 140) * (x / 140)
	}
	if math.Abs(*m.ExpectedAgreement-pe) > 1e-12 {
		t.Errorf("Fleiss Pe: got %.12f, want %.12f", *m.ExpectedAgreement, pe)
	}
	checkMetric(t, "kappa from its terms", m, (*m.ObservedAgreement-pe)/(1-pe), false)
}

// Cohen's kappa carries p_o and p_e (Wikipedia's 20/5/10/15 table: p_o =
// 0.7, p_e = 0.5), nominal alpha Do and De (Krippendorff 2011 section B:
// Do = 6/24, De = 448/(24·23)).
func TestExpectedTerms(t *testing.T) {
	yn := []string{"yes", "no"}
	r := Compute(Dataset{Units: fromCrossTable(yn, [][]int{{20, 5}, {10, 15}}), Categories: yn}, Options{})
	k := r.Pairwise.Pairs[0].Value
	if k.ObservedAgreement == nil || k.ExpectedAgreement == nil || math.Abs(*k.ObservedAgreement-0.7) > 1e-12 || math.Abs(*k.ExpectedAgreement-0.5) > 1e-12 {
		t.Errorf("Cohen terms: got po %v pe %v, want 0.7 and 0.5", k.ObservedAgreement, k.ExpectedAgreement)
	}
	rows := [][]string{
		{"a", "a", "b", "b", "d", "c", "c", "c", "e", "d", "d", "a"},
		{"b", "a", "b", "b", "b", "c", "c", "c", "e", "d", "d", "d"},
	}
	a := Compute(Dataset{Units: fromRows([]string{"Mary", "Dave"}, rows), Categories: []string{"a", "b", "c", "d", "e"}}, Options{}).AlphaNominal
	if a.ObservedDisagreement == nil || math.Abs(*a.ObservedDisagreement-6.0/24) > 1e-12 {
		t.Errorf("alpha Do: got %v, want %v", a.ObservedDisagreement, 6.0/24)
	}
	if a.ExpectedDisagreement == nil || math.Abs(*a.ExpectedDisagreement-448.0/(24*23)) > 1e-12 {
		t.Errorf("alpha De: got %v, want %v", a.ExpectedDisagreement, 448.0/(24*23))
	}
}
