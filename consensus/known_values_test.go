package consensus

import (
	"slices"
	"testing"
)

// perfectAndRandom is worked by hand below: P labels every gold item
// right, R labels two of four right in a pattern that says nothing, and on
// item 4 (no gold) P says a and R says b.
func perfectAndRandom() *Data {
	return &Data{
		Items:      []string{"i0", "i1", "i2", "i3", "i4"},
		Annotators: []string{"P", "R"},
		Categories: []string{"a", "b"},
		Labels: []Label{
			{0, 0, 0}, {1, 0, 0}, {2, 0, 1}, {3, 0, 1}, {4, 0, 0},
			{0, 1, 0}, {1, 1, 1}, {2, 1, 0}, {3, 1, 1}, {4, 1, 1},
		},
		Gold: []Gold{{0, 0}, {1, 0}, {2, 1}, {3, 1}},
	}
}

// TestPerfectAndRandomOneIteration follows one iteration by hand, with one
// pseudo-count per cell.
//
// Start: the gold items are clamped, item 4 is the vote (½, ½).
// M-step: the class prior is ((2.5+1)/7, (2.5+1)/7) = (½, ½). P's rows
// are a: (2+½+1, 0+1)/4.5 = (7/9, 2/9) and b: (½+1, 2+1)/4.5 = (1/3, 2/3);
// R's rows are a: (1+1, 1+½+1)/4.5 = (4/9, 5/9) and b: (1+1, 1+½+1)/4.5 =
// (4/9, 5/9), the same: R's answer says nothing about the truth.
// E-step, item 4 (P: a, R: b): a ∝ ½ · 7/9 · 5/9 = 35/162 and
// b ∝ ½ · 1/3 · 5/9 = 15/162, so the posterior is (0.7, 0.3).
// The last M-step, on that posterior: P's row a is (2.7+1, 1)/4.7, row b
// (0.3+1, 2+1)/4.3; the class prior (3.7/7, 3.3/7).
// Accuracy: P's labels have posteriors 1, 1, 1, 1, 0.7: 4.7/5 = 0.94; R's
// 1, 0, 0, 1, 0.3: 2.3/5 = 0.46. Chance: the mean posterior on their items
// is (2.7/5, 2.3/5) = (0.54, 0.46); P gave a 3 times in 5, so 0.6·0.54 +
// 0.4·0.46 = 0.508; R gave a 2 times in 5: 0.4·0.54 + 0.6·0.46 = 0.492.
func TestPerfectAndRandomOneIteration(t *testing.T) {
	r := mustInfer(t, perfectAndRandom(), Options{MaxIter: 1, ConfusionPrior: 1, ClassPrior: 1, SmallData: true})
	if r.Method != DawidSkene || r.Reason != "" || r.Iterations != 1 {
		t.Fatalf("method %s, reason %q, %d iterations; want dawid-skene, none, 1", r.Method, r.Reason, r.Iterations)
	}
	const tol = 1e-12
	if p := r.PosteriorOf(4); !near(p[0], 0.7, tol) || !near(p[1], 0.3, tol) {
		t.Errorf("item 4 posterior = %v, want [0.7 0.3]", p)
	}
	if it := r.Items[4]; it.Value != 0 || !near(it.Confidence, 0.7, tol) || it.Tie || it.Gold {
		t.Errorf("item 4 = %+v, want a at 0.7", it)
	}
	for i := 0; i < 4; i++ {
		want := []float64{1, 0}
		if i >= 2 {
			want = []float64{0, 1}
		}
		if p := r.PosteriorOf(i); !slices.Equal(p, want) || !r.Items[i].Gold {
			t.Errorf("gold item %d posterior = %v gold %v, want %v clamped", i, p, r.Items[i].Gold, want)
		}
	}
	if pi := r.ClassPrior; !near(pi[0], 3.7/7, tol) || !near(pi[1], 3.3/7, tol) {
		t.Errorf("class prior = %v, want [3.7/7 3.3/7]", pi)
	}
	p := r.Annotators[0]
	wantP := [][]float64{{3.7 / 4.7, 1 / 4.7}, {1.3 / 4.3, 3 / 4.3}}
	for k := range wantP {
		for l := range wantP[k] {
			if !near(p.Confusion[k][l], wantP[k][l], tol) {
				t.Errorf("P confusion[%d][%d] = %v, want %v", k, l, p.Confusion[k][l], wantP[k][l])
			}
		}
	}
	for _, tc := range []struct {
		name             string
		a                Annotator
		accuracy, chance float64
		nearChance       bool
	}{
		{"P", r.Annotators[0], 0.94, 0.508, false},
		{"R", r.Annotators[1], 0.46, 0.492, true},
	} {
		if !near(tc.a.Accuracy, tc.accuracy, tol) || !near(tc.a.Chance, tc.chance, tol) || tc.a.NearChance != tc.nearChance || tc.a.Items != 5 || tc.a.Labels != 5 {
			t.Errorf("%s = accuracy %v chance %v near chance %v, %d items %d labels; want %v %v %v, 5 and 5",
				tc.name, tc.a.Accuracy, tc.a.Chance, tc.a.NearChance, tc.a.Items, tc.a.Labels, tc.accuracy, tc.chance, tc.nearChance)
		}
	}

	// Run to convergence, P only gains in weight: item 4 leans further to a.
	conv := mustInfer(t, perfectAndRandom(), Options{ConfusionPrior: 1, ClassPrior: 1, SmallData: true})
	if !conv.Converged || conv.PosteriorOf(4)[0] <= 0.7 || conv.Items[4].Value != 0 {
		t.Errorf("converged: %v after %d iterations, item 4 posterior %v; want converged and above 0.7 for a", conv.Converged, conv.Iterations, conv.PosteriorOf(4))
	}
	if !conv.Annotators[1].NearChance || conv.Annotators[0].NearChance {
		t.Errorf("near chance: P %v, R %v; want only R", conv.Annotators[0].NearChance, conv.Annotators[1].NearChance)
	}
}

// TestHonestTie checks that a tie is reported as one by both methods and
// that no value is chosen for it.
func TestHonestTie(t *testing.T) {
	// x says a and y says b on item 0, the reverse on item 1: under EM the
	// two readings are exactly symmetric, so the vote's (½, ½) stays.
	d := &Data{
		Items: []string{"i0", "i1", "i2"}, Annotators: []string{"x", "y", "z"}, Categories: []string{"a", "b"},
		Labels: []Label{{0, 0, 0}, {0, 1, 1}, {1, 0, 1}, {1, 1, 0}},
	}
	for _, m := range []Method{MajorityVote, DawidSkene} {
		r := mustInfer(t, d, Options{Method: m})
		for i := 0; i < 2; i++ {
			it := r.Items[i]
			if !it.Tie || it.Value != NoValue || !near(it.Confidence, 0.5, 1e-12) || !slices.Equal(r.Tied(i), []int32{0, 1}) {
				t.Errorf("%s item %d = %+v, tied %v; want a tie of a and b at 0.5 with no value", m, i, it, r.Tied(i))
			}
		}
		if it := r.Items[2]; it.Value != NoValue || it.Tie || it.Confidence != 0 || it.Labels != 0 {
			t.Errorf("%s unlabelled item = %+v, want no value, no tie, confidence 0", m, it)
		}
	}

	// Majority: two votes to one is no tie; two to two among three is.
	d = &Data{
		Items: []string{"i0", "i1"}, Annotators: []string{"w", "x", "y", "z"}, Categories: []string{"a", "b", "c"},
		Labels: []Label{{0, 0, 0}, {0, 1, 0}, {0, 2, 1}, {1, 0, 0}, {1, 1, 2}, {1, 2, 2}, {1, 3, 0}},
	}
	r := mustInfer(t, d, Options{Method: MajorityVote})
	if it := r.Items[0]; it.Value != 0 || it.Tie || !near(it.Confidence, 2.0/3, 1e-12) {
		t.Errorf("item 0 = %+v, want a at 2/3", it)
	}
	if it := r.Items[1]; !it.Tie || it.Value != NoValue || !slices.Equal(r.Tied(1), []int32{0, 2}) {
		t.Errorf("item 1 = %+v tied %v, want a tie of a and c", it, r.Tied(1))
	}
}

// TestGoldClamping checks that gold wins over every label and that gold
// items teach the model an annotator's systematic mistakes.
func TestGoldClamping(t *testing.T) {
	d := &Data{
		Items: []string{"i0", "i1"}, Annotators: []string{"x", "y", "z"}, Categories: []string{"a", "b"},
		Labels: []Label{{0, 0, 0}, {0, 1, 0}, {0, 2, 0}},
		Gold:   []Gold{{0, 1}, {1, 0}, {0, 1}},
	}
	for _, m := range []Method{MajorityVote, DawidSkene} {
		r := mustInfer(t, d, Options{Method: m})
		if p := r.PosteriorOf(0); !slices.Equal(p, []float64{0, 1}) || r.Items[0].Value != 1 || r.Items[0].Confidence != 1 || !r.Items[0].Gold {
			t.Errorf("%s: gold item 0 = %+v posterior %v, want b clamped", m, r.Items[0], p)
		}
		if it := r.Items[1]; it.Value != 0 || !it.Gold || it.Labels != 0 {
			t.Errorf("%s: gold item 1 without labels = %+v, want a, gold", m, it)
		}
	}

	// A answers the opposite of the truth every time; B and C are right
	// 60% of the time. With gold on one item in ten EM learns A's habit and
	// reads A's labels backwards on the other items.
	c := crowd{items: 400, k: 2, accuracies: []float64{0, 0.6, 0.6}, seed: 3}
	d, truth := c.generate()
	for i := 0; i < len(truth); i += 10 {
		d.Gold = append(d.Gold, Gold{Item: int32(i), Category: truth[i]})
	}
	r := mustInfer(t, d, Options{})
	right, total := 0, 0
	for i := range truth {
		if i%10 == 0 {
			continue
		}
		total++
		if r.Items[i].Value == truth[i] {
			right++
		}
	}
	if right < total*95/100 {
		t.Errorf("with gold, %d of %d items right; want at least 95%%", right, total)
	}
	if a := r.Annotators[0]; a.Confusion[0][1] < 0.95 || a.Confusion[1][0] < 0.95 || a.Accuracy > 0.05 {
		t.Errorf("A's confusion %v accuracy %v; want it read as always wrong", a.Confusion, a.Accuracy)
	}
}

// TestSpammer checks that an annotator who always gives the same answer is
// flagged near chance and carries no weight.
func TestSpammer(t *testing.T) {
	c := crowd{items: 3000, k: 3, accuracies: []float64{0.85, 0.75, 0.65}, seed: 11}
	d, truth := c.generate()
	without := mustInfer(t, d, Options{})
	d.Annotators = append(d.Annotators, "spam")
	for i := range d.Items {
		d.Labels = append(d.Labels, Label{Item: int32(i), Annotator: 3, Category: 0})
	}
	r := mustInfer(t, d, Options{})
	vote := mustInfer(t, d, Options{Method: MajorityVote})
	s := r.Annotators[3]
	if !s.NearChance || !near(s.Accuracy, s.Chance, 1e-9) {
		t.Errorf("spammer: accuracy %v chance %v near chance %v; want accuracy = chance, flagged", s.Accuracy, s.Chance, s.NearChance)
	}
	for k, row := range s.Confusion {
		if row[0] < 0.99 {
			t.Errorf("spammer confusion row %d = %v, want nearly all mass on cat0", k, row)
		}
	}
	for a := 0; a < 3; a++ {
		if r.Annotators[a].NearChance {
			t.Errorf("annotator %d (accuracy %v) flagged near chance", a, c.accuracies[a])
		}
		if got := r.Annotators[a].Accuracy; !near(got, c.accuracies[a], 0.03) {
			t.Errorf("annotator %d estimated accuracy %v, simulated %v", a, got, c.accuracies[a])
		}
	}
	worst := 0.0
	for x, v := range r.Posterior {
		worst = max(worst, abs(v-without.Posterior[x]))
	}
	if worst > 0.01 {
		t.Errorf("the spammer moved a posterior by %v; want at most 0.01", worst)
	}
	ds, mv := 0, 0
	for i, tr := range truth {
		if r.Items[i].Value == tr {
			ds++
		}
		if vote.Items[i].Value == tr {
			mv++
		}
	}
	if ds <= mv {
		t.Errorf("with a spammer, Dawid–Skene gets %d items right and the vote %d; want more", ds, mv)
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// TestSmallDataKeepsItsSignal runs a crowd of three on five items. With
// one pseudo-count per confusion cell the prior outweighs the labels and EM
// drifts to uniform posteriors, every item near 1/3; the default prior
// must keep a clear value for every item and tell the annotators apart.
func TestSmallDataKeepsItsSignal(t *testing.T) {
	d := &Data{Items: []string{"1", "2", "3", "4", "5"}, Annotators: []string{"10", "11", "12"}, Categories: []string{"1", "2", "3"},
		Labels: []Label{{0, 0, 0}, {0, 1, 0}, {0, 2, 1}, {1, 0, 1}, {1, 1, 1}, {1, 2, 1}, {2, 0, 0}, {2, 1, 1}, {2, 2, 0}, {3, 0, 2}, {3, 1, 2}, {3, 2, 0}, {4, 0, 0}, {4, 2, 1}}}
	strong := mustInfer(t, d, Options{ConfusionPrior: 1, SmallData: true})
	for i, it := range strong.Items {
		if it.Confidence > 0.4 {
			t.Errorf("one pseudo-count per cell: item %s has confidence %v; this test expects the washed-out posteriors that made the default small", d.Items[i], it.Confidence)
		}
	}
	r := mustInfer(t, d, Options{SmallData: true})
	lo, hi := 1.0, 0.0
	for i, it := range r.Items {
		if it.Value == NoValue || it.Confidence < 0.6 {
			t.Errorf("default prior: item %s = %+v, want a value with confidence at least 0.6", d.Items[i], it)
		}
	}
	for _, a := range r.Annotators {
		lo, hi = min(lo, a.Accuracy), max(hi, a.Accuracy)
	}
	if hi-lo < 0.3 {
		t.Errorf("default prior: accuracies from %v to %v; want them told apart by at least 0.3", lo, hi)
	}
}

// TestUnusedCategoryIsNeverTruth runs two annotators on four items with
// four categories, one of which nobody gives. Without the rule EM put item
// 2, where both say disagree, on the unused category, which it had taken
// over as a second "disagree" (the gold item 1 says that alice's disagree
// is not reliable).
func TestUnusedCategoryIsNeverTruth(t *testing.T) {
	d := &Data{
		Items: []string{"i0", "i1", "i2", "i3"}, Annotators: []string{"alice", "bob"},
		Categories: []string{"agree", "disagree", "discuss", "unrelated"},
		Labels:     []Label{{0, 0, 0}, {0, 1, 0}, {1, 0, 0}, {1, 1, 1}, {2, 0, 1}, {2, 1, 1}, {3, 0, 2}, {3, 1, 2}},
		Gold:       []Gold{{1, 1}},
	}
	r := mustInfer(t, d, Options{})
	want := []int32{0, 1, 1, 2}
	for i := range d.Items {
		if r.Items[i].Value != want[i] || r.PosteriorOf(i)[3] != 0 {
			t.Errorf("item %d = %+v posterior %v, want %s and 0 for unrelated", i, r.Items[i], r.PosteriorOf(i), d.Categories[want[i]])
		}
	}
	if r.ClassPrior[3] != 0 {
		t.Errorf("class prior %v, want 0 for unrelated", r.ClassPrior)
	}
	checkFinite(t, r)
}
