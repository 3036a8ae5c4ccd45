package agreement

import (
	"math"
	"testing"
)

// Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability.
// Section C: four observers, twelve units, values 1–5, missing values. Unit
// 12 has a single value and is not pairable. Published: α_nominal = 0.743,
// α_ordinal = 0.815, α_interval = 0.849.
var kripp2011C = [][]string{
	{"1", "2", "3", "3", "2", "1", "4", "1", "2", ".", ".", "."},
	{"1", "2", "3", "3", "2", "2", "4", "1", "2", "5", ".", "3"},
	{".", "3", "3", "3", "2", "3", "4", "2", "2", "5", "1", "."},
	{"1", "2", "3", "3", "2", "4", "4", "1", "2", "5", "1", "."},
}

func TestKrippendorff2011FourObservers(t *testing.T) {
	d := Dataset{
		Units:      fromRows([]string{"A", "B", "C", "D"}, kripp2011C),
		Categories: []string{"1", "2", "3", "4", "5"},
		Ordered:    true,
	}
	r := Compute(d, Options{})
	checkMetric(t, "alpha nominal", r.AlphaNominal, 0.743, true)
	checkMetric(t, "alpha ordinal", r.AlphaOrdinal, 0.815, true)
	checkMetric(t, "alpha interval", r.AlphaInterval, 0.849, true)
	// By hand: n = 40 pairable values in 11 pairable units with marginals
	// n_c = (9, 13, 10, 5, 3), Σn_c² = 384; the off-diagonal coincidences
	// sum to 8 (units 2, 6 and 8 contribute 2, 4 and 2), so
	// α_nominal = 1 − 39·8/(1600−384) = 1 − 312/1216 = 0.74342…
	if r.PairableValues != 40 || r.PairableItems != 11 || r.Items != 12 || r.Annotators != 4 {
		t.Errorf("counts: got pairable values %d, pairable items %d, items %d, annotators %d; want 40, 11, 12, 4",
			r.PairableValues, r.PairableItems, r.Items, r.Annotators)
	}
	checkMetric(t, "alpha nominal exact", r.AlphaNominal, 1-312.0/1216, false)
}

// Krippendorff (2011), section A: two observers, ten units, binary data;
// published α = 0.095. Exactly 1 − (20−1)·4/(14·6) = 1 − 76/84.
func TestKrippendorff2011Binary(t *testing.T) {
	rows := [][]string{
		{"0", "1", "0", "0", "0", "0", "0", "0", "1", "0"},
		{"1", "1", "1", "0", "0", "1", "0", "0", "0", "0"},
	}
	r := Compute(Dataset{Units: fromRows([]string{"A", "B"}, rows), Categories: []string{"0", "1"}}, Options{})
	checkMetric(t, "alpha nominal (printed)", r.AlphaNominal, 0.095, true)
	checkMetric(t, "alpha nominal (exact)", r.AlphaNominal, 1-76.0/84, false)
}

// Krippendorff (2011), section B: two observers, twelve units, nominal
// values a–e, no missing data; published α = 0.692. Exactly
// 1 − (24−1)·6/(24² − 128) = 1 − 138/448.
func TestKrippendorff2011Nominal(t *testing.T) {
	rows := [][]string{
		{"a", "a", "b", "b", "d", "c", "c", "c", "e", "d", "d", "a"},
		{"b", "a", "b", "b", "b", "c", "c", "c", "e", "d", "d", "d"},
	}
	r := Compute(Dataset{Units: fromRows([]string{"Mary", "Dave"}, rows), Categories: []string{"a", "b", "c", "d", "e"}}, Options{})
	checkMetric(t, "alpha nominal (printed)", r.AlphaNominal, 0.692, true)
	checkMetric(t, "alpha nominal (exact)", r.AlphaNominal, 1-138.0/448, false)
	checkMetric(t, "observed agreement", r.ObservedAgreement, 9.0/12, false)
}

// Fleiss, J. L. (1971), Table 1: 30 patients, 6 psychiatrists each, 5
// diagnoses (depression, personality disorder, schizophrenia, neurosis,
// other). Published κ = 0.430; to more digits 0.4302445.
var fleiss1971 = [][]int{
	{0, 0, 0, 6, 0}, {0, 3, 0, 0, 3}, {0, 1, 4, 0, 1}, {0, 0, 0, 0, 6}, {0, 3, 0, 3, 0},
	{2, 0, 4, 0, 0}, {0, 0, 4, 0, 2}, {2, 0, 3, 1, 0}, {2, 0, 0, 4, 0}, {0, 0, 0, 0, 6},
	{1, 0, 0, 5, 0}, {1, 1, 0, 4, 0}, {0, 3, 3, 0, 0}, {1, 0, 0, 5, 0}, {0, 2, 0, 3, 1},
	{0, 0, 5, 0, 1}, {3, 0, 0, 1, 2}, {5, 1, 0, 0, 0}, {0, 2, 0, 4, 0}, {1, 0, 2, 0, 3},
	{0, 0, 0, 0, 6}, {0, 1, 0, 5, 0}, {0, 2, 0, 1, 3}, {2, 0, 0, 4, 0}, {1, 0, 0, 4, 1},
	{0, 5, 0, 1, 0}, {4, 0, 0, 0, 2}, {0, 2, 0, 4, 0}, {1, 0, 5, 0, 0}, {0, 0, 0, 0, 6},
}

func TestFleiss1971(t *testing.T) {
	cats := []string{"depression", "personality disorder", "schizophrenia", "neurosis", "other"}
	r := Compute(Dataset{Units: fromCounts(cats, fleiss1971), Categories: cats}, Options{})
	checkMetric(t, "Fleiss kappa (printed)", r.FleissKappa, 0.430, true)
	if got := r.FleissKappa.Float(); math.Abs(got-0.4302445) > 5e-8 {
		t.Errorf("Fleiss kappa: got %.9f, want 0.4302445", got)
	}
	// Category totals printed with the table: 26, 26, 30, 55, 43.
	want := []int{26, 26, 30, 55, 43}
	for c, pc := range r.PerCategory {
		if pc.Count != want[c] {
			t.Errorf("category %s: got count %d, want %d", pc.Category, pc.Count, want[c])
		}
	}
	// Fleiss' category-specific κ_j = 1 − Σ_i x_ij(n−x_ij)/(N n(n−1) p_j q_j).
	for c, pc := range r.PerCategory {
		var s float64
		for _, row := range fleiss1971 {
			x := float64(row[c])
			s += x * (6 - x)
		}
		p := float64(want[c]) / 180
		checkMetric(t, "kappa_j "+pc.Category, pc.FleissKappa, 1-s/(30*6*5*p*(1-p)), false)
	}
}

// The Fleiss' kappa example on Wikipedia: 10 subjects, 14 raters, 5
// categories; P̄ = 0.378, P̄e = 0.213, κ = 0.210.
func TestFleissWikipedia(t *testing.T) {
	counts := [][]int{
		{0, 0, 0, 0, 14}, {0, 2, 6, 4, 2}, {0, 0, 3, 5, 6}, {0, 3, 9, 2, 0}, {2, 2, 8, 1, 1},
		{7, 7, 0, 0, 0}, {3, 2, 6, 3, 0}, {2, 5, 3, 2, 2}, {6, 5, 2, 1, 0}, {0, 2, 2, 3, 7},
	}
	cats := []string{"1", "2", "3", "4", "5"}
	r := Compute(Dataset{Units: fromCounts(cats, counts), Categories: cats}, Options{})
	checkMetric(t, "Fleiss kappa", r.FleissKappa, 0.210, true)
}

// Cohen's kappa on 2×2 and 3×3 tables (rows annotator A, columns B).
func TestCohenKappaTables(t *testing.T) {
	yn := []string{"yes", "no"}
	tests := []struct {
		name     string
		cats     []string
		table    [][]int
		kappa    float64
		observed float64
	}{
		// The standard textbook/Wikipedia example: p_o = 0.7, p_e = 0.5.
		{"wikipedia 20/5/10/15", yn, [][]int{{20, 5}, {10, 15}}, 0.4, 0.7},
		// Wikipedia: equal p_o = 0.60, different marginals.
		{"wikipedia 45/15/25/15", yn, [][]int{{45, 15}, {25, 15}}, 0.06 / 0.46, 0.6},
		{"wikipedia 25/35/5/35", yn, [][]int{{25, 35}, {5, 35}}, 0.14 / 0.54, 0.6},
		// Feinstein & Cicchetti (1990): both p_o = 0.85; balanced marginals
		// give κ ≈ 0.70, skewed marginals κ ≈ 0.32 (the first paradox).
		{"Feinstein-Cicchetti balanced", yn, [][]int{{40, 9}, {6, 45}}, (0.85 - 0.5008) / (1 - 0.5008), 0.85},
		{"Feinstein-Cicchetti skewed", yn, [][]int{{80, 10}, {5, 5}}, (0.85 - 0.78) / (1 - 0.78), 0.85},
		// A 3×3 table with an empty first column, as in the SAS PROC FREQ
		// documentation's kappa example: κ = 107/221 = 0.4842.
		{"3x3 empty column", []string{"1", "2", "3"}, [][]int{{0, 4, 1}, {0, 8, 0}, {0, 1, 5}}, 107.0 / 221, 13.0 / 19},
	}
	for _, tc := range tests {
		r := Compute(Dataset{Units: fromCrossTable(tc.cats, tc.table), Categories: tc.cats}, Options{})
		if len(r.Pairwise.Pairs) != 1 {
			t.Fatalf("%s: got %d pairs, want 1", tc.name, len(r.Pairwise.Pairs))
		}
		p := r.Pairwise.Pairs[0]
		checkMetric(t, tc.name+" kappa", p.Value, tc.kappa, false)
		checkMetric(t, tc.name+" observed", p.ObservedAgreement, tc.observed, false)
		checkMetric(t, tc.name+" Light", r.LightKappa, tc.kappa, false)
		if v := r.Pairwise.Values[0][1]; v == nil || *v != *p.Value.Value {
			t.Errorf("%s: heatmap cell got %v, want %v", tc.name, v, *p.Value.Value)
		}
	}
	// Printed two-decimal values for the paradox tables.
	r := Compute(Dataset{Units: fromCrossTable(yn, [][]int{{40, 9}, {6, 45}}), Categories: yn}, Options{})
	if got := math.Round(r.LightKappa.Float()*100) / 100; got != 0.70 {
		t.Errorf("balanced paradox table: got %.2f, want 0.70", got)
	}
	r = Compute(Dataset{Units: fromCrossTable(yn, [][]int{{80, 10}, {5, 5}}), Categories: yn}, Options{})
	if got := math.Round(r.LightKappa.Float()*100) / 100; got != 0.32 {
		t.Errorf("skewed paradox table: got %.2f, want 0.32", got)
	}
}

func TestConfusion(t *testing.T) {
	cats := []string{"1", "2", "3"}
	table := [][]int{{0, 4, 1}, {0, 8, 0}, {0, 1, 5}}
	d := Dataset{Units: fromCrossTable(cats, table), Categories: cats}
	m := Confusion(d, "A", "B")
	if m.Items != 19 {
		t.Errorf("items: got %d, want 19", m.Items)
	}
	for i := range table {
		for j := range table[i] {
			if m.Counts[i][j] != table[i][j] {
				t.Errorf("cell %d,%d: got %d, want %d", i, j, m.Counts[i][j], table[i][j])
			}
		}
	}
	tr := Confusion(d, "B", "A")
	for i := range table {
		for j := range table[i] {
			if tr.Counts[j][i] != table[i][j] {
				t.Errorf("transposed cell %d,%d: got %d, want %d", j, i, tr.Counts[j][i], table[i][j])
			}
		}
	}
	none := Confusion(d, "A", "nobody")
	if none.Items != 0 || len(none.Counts) != 3 {
		t.Errorf("unknown annotator: got items %d, %d rows; want 0, 3", none.Items, len(none.Counts))
	}
}
