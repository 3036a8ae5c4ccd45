package agreement

import (
	"math"
	"testing"
)

// MASI distances from Passonneau's (2006) definition, 1 − J·M.
func TestMASIDistance(t *testing.T) {
	tests := []struct {
		a, b      []string
		masi, jac float64
	}{
		{[]string{"a", "b"}, []string{"b", "a"}, 0, 0},                        // identical: M = 1, J = 1
		{[]string{"a"}, []string{"a", "b"}, 1 - 0.5*2.0/3, 0.5},               // subset: J = 1/2, M = 2/3
		{[]string{"a", "b", "c"}, []string{"a", "b"}, 1 - 2.0/3*2/3, 1.0 / 3}, // subset: J = 2/3, M = 2/3 → 5/9
		{[]string{"a", "b"}, []string{"b", "c"}, 1 - 1.0/3*1/3, 2.0 / 3},      // overlap: J = 1/3, M = 1/3 → 8/9
		{[]string{"a"}, []string{"b"}, 1, 1},                                  // disjoint: M = 0
		{nil, nil, 0, 0},                                                      // two empty sets are identical
		{nil, []string{"a"}, 1, 1},                                            // empty vs non-empty: J = 0
		{[]string{"a", "a"}, []string{"a"}, 0, 0},                             // repeats count once
	}
	for _, tc := range tests {
		if got := MASIDistance(tc.a, tc.b); math.Abs(got-tc.masi) > 1e-15 {
			t.Errorf("MASIDistance(%v, %v): got %v, want %v", tc.a, tc.b, got, tc.masi)
		}
		if got := MASIDistance(tc.b, tc.a); math.Abs(got-tc.masi) > 1e-15 {
			t.Errorf("MASIDistance(%v, %v): got %v, want %v (symmetry)", tc.b, tc.a, got, tc.masi)
		}
		if got := JaccardDistance(tc.a, tc.b); math.Abs(got-tc.jac) > 1e-15 {
			t.Errorf("JaccardDistance(%v, %v): got %v, want %v", tc.a, tc.b, got, tc.jac)
		}
	}
}

// A small multi-label data set computed by hand.
//
//	item 1: A {a}    B {a}
//	item 2: A {a,b}  B {a}
//	item 3: A {b}    B {c}
//	item 4: A {c}              (single value: not pairable)
//
// Pairable values n = 6: {a}×3, {a,b}×1, {b}×1, {c}×1.
//
// MASI: δ({a,b},{a}) = 1 − ½·⅔ = ⅔, δ({b},{c}) = 1, δ({a,b},{b}) = ⅔.
// Observed Σ_u Σ_{i≠j} δ/(m_u−1) = 0 + 2·⅔ + 2·1 = 10/3, D_o = 10/18 = 5/9.
// Expected Σ_{s<t} n_s n_t δ = 3·⅔ + 3·1 + 3·1 + ⅔ + 1 + 1 = 32/3, so
// D_e = 2·(32/3)/(6·5) = 32/45 and α = 1 − (5/9)/(32/45) = 7/32.
//
// Jaccard: δ({a,b},{a}) = ½, δ({a,b},{b}) = ½, others 1.
// D_o = (2·½ + 2·1)/6 = ½; Σ_{s<t} = 3·½ + 3 + 3 + ½ + 1 + 1 = 10,
// D_e = 20/30 = ⅔, α = 1 − ½/⅔ = ¼.
//
// Nominal (identical sets): D_o = (2 + 2)/6 = ⅔; D_e = (36 − 12)/30 = ⅘,
// α = 1 − (⅔)/(⅘) = 1/6. Observed agreement: 2 of 6 ordered pairs = ⅓.
func TestMultiHandExample(t *testing.T) {
	units := []Unit{
		{"1", "A", []string{"a"}}, {"1", "B", []string{"a"}},
		{"2", "A", []string{"a", "b"}}, {"2", "B", []string{"a"}},
		{"3", "A", []string{"b"}}, {"3", "B", []string{"c"}},
		{"4", "A", []string{"c"}},
	}
	d := Dataset{Units: units, Categories: []string{"a", "b", "c"}, Multi: true}
	r := Compute(d, Options{})
	checkMetric(t, "alpha MASI", r.AlphaMASI, 7.0/32, false)
	checkMetric(t, "alpha Jaccard", r.AlphaJaccard, 0.25, false)
	checkMetric(t, "alpha nominal", r.AlphaNominal, 1.0/6, false)
	checkMetric(t, "observed agreement", r.ObservedAgreement, 1.0/3, false)
	// With two annotators the pairwise MASI alpha is the overall one.
	checkMetric(t, "pairwise MASI alpha", r.Pairwise.Pairs[0].Value, 7.0/32, false)
	checkUndefined(t, "Fleiss kappa (multi)", r.FleissKappa)
	checkUndefined(t, "alpha ordinal (multi)", r.AlphaOrdinal)

	// Per label: "a" is present for both on items 1–2 and absent on item 3:
	// perfect agreement with both values used, so α = 1.
	checkMetric(t, "label a alpha", r.PerCategory[0].Alpha, 1, false)
	checkMetric(t, "label a Fleiss", r.PerCategory[0].FleissKappa, 1, false)
	// Label "b": pairs (0,0), (1,0), (1,0): binary o_00 = 2, o_01 = o_10 = 2,
	// n_0 = 4, n_1 = 2, α = 1 − 5·2/(4·2) = −0.25.
	checkMetric(t, "label b alpha", r.PerCategory[1].Alpha, -0.25, false)
	if r.PerCategory[1].Count != 2 || r.PerCategory[2].Count != 2 {
		t.Errorf("label counts: got b=%d c=%d, want 2, 2", r.PerCategory[1].Count, r.PerCategory[2].Count)
	}
	// Distribution of A: 4 units, label a on 2, b on 2, c on 1.
	da := r.Distribution[0]
	if da.Annotator != "A" || da.Units != 4 || da.Counts[0] != 2 || da.Counts[1] != 2 || da.Counts[2] != 1 {
		t.Errorf("distribution A: got %+v", da)
	}

	m := Confusion(d, "A", "B")
	// Shared items 1–3: (a|a), (a,b|a), (b|c).
	want := [][]int{{2, 0, 0}, {1, 0, 1}, {0, 0, 0}}
	for i := range want {
		for j := range want[i] {
			if m.Counts[i][j] != want[i][j] {
				t.Errorf("multi confusion %d,%d: got %d, want %d", i, j, m.Counts[i][j], want[i][j])
			}
		}
	}
}

// With singleton sets, MASI, Jaccard and nominal alpha all equal nominal
// alpha of the same data read as single-choice.
func TestMultiSingletonsEqualNominal(t *testing.T) {
	units := fromRows([]string{"A", "B", "C", "D"}, kripp2011C)
	cats := []string{"1", "2", "3", "4", "5"}
	single := Compute(Dataset{Units: units, Categories: cats}, Options{})
	multi := Compute(Dataset{Units: units, Categories: cats, Multi: true}, Options{})
	want := single.AlphaNominal.Float()
	for name, m := range map[string]Metric{"MASI": multi.AlphaMASI, "Jaccard": multi.AlphaJaccard, "nominal": multi.AlphaNominal} {
		checkMetric(t, name, m, want, false)
	}
	checkMetric(t, "observed agreement", multi.ObservedAgreement, single.ObservedAgreement.Float(), false)
}
