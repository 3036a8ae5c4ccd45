package learn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestFolds: every item is in exactly one fold, the folds differ in size
// by at most one and so does each category's share of them; the seed
// decides the folds.
func TestFolds(t *testing.T) {
	d := newCorpus(1, 3, 10, 50).labelled(103, 50, 0.2)
	d.Labels[0] = []string{"t2"} // uneven categories: 34, 34, 35 becomes 33, 34, 36
	const k = 5
	fold, err := Folds(d, k, 7)
	if err != nil {
		t.Fatal(err)
	}
	sizes := make([]int, k)
	per := map[string][]int{}
	for i, f := range fold {
		if f < 0 || f >= k {
			t.Fatalf("item %d in fold %d", i, f)
		}
		sizes[f]++
		l := d.Labels[i][0]
		if per[l] == nil {
			per[l] = make([]int, k)
		}
		per[l][f]++
	}
	spread := func(xs []int) int { return slices.Max(xs) - slices.Min(xs) }
	if spread(sizes) > 1 {
		t.Errorf("fold sizes %v", sizes)
	}
	for l, c := range per {
		if spread(c) > 1 {
			t.Errorf("category %s across folds: %v", l, c)
		}
	}
	again, _ := Folds(d, k, 7)
	other, _ := Folds(d, k, 8)
	if !slices.Equal(fold, again) {
		t.Error("the same seed gave other folds")
	}
	if slices.Equal(fold, other) {
		t.Error("another seed gave the same folds")
	}
}

// TestCrossValidateOutOfFold: each item's probabilities are those of the
// model trained on the other folds alone.
func TestCrossValidateOutOfFold(t *testing.T) {
	d := newCorpus(2, 3, 20, 100).labelled(90, 200, 0.15)
	ev, err := CrossValidate(d, 3, 11, small)
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Probabilities) != len(d.Texts) || len(ev.Fold) != len(d.Texts) {
		t.Fatalf("%d rows, %d folds for %d items", len(ev.Probabilities), len(ev.Fold), len(d.Texts))
	}
	for f := range 3 {
		var train Data
		var held []int
		for i, g := range ev.Fold {
			if g == f {
				held = append(held, i)
			} else {
				train.Texts = append(train.Texts, d.Texts[i])
				train.Labels = append(train.Labels, d.Labels[i])
			}
		}
		m, err := Train(train, small)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range held {
			if !slices.Equal(m.Predict(d.Texts[i]), ev.Probabilities[i]) {
				t.Fatalf("item %d: out-of-fold %v, the model without fold %d gives %v", i, ev.Probabilities[i], f, m.Predict(d.Texts[i]))
			}
		}
	}
	if ev.Accuracy < 0.9 {
		t.Errorf("accuracy %.3f on an easy corpus", ev.Accuracy)
	}
}

// TestScoresByHand checks accuracy and F1 on probabilities worked out by
// hand.
func TestScoresByHand(t *testing.T) {
	// Given a a a b b c; predicted a a b b c c.
	p := &prepared{categories: []string{"a", "b", "c"}, single: []int{0, 0, 0, 1, 1, 2}}
	ev := &Evaluation{Probabilities: [][]float64{
		{.8, .1, .1}, {.6, .3, .1}, {.2, .7, .1}, {.1, .8, .1}, {.1, .3, .6}, {.1, .1, .8},
	}}
	ev.score(p)
	// a: P 2/2, R 2/3, F1 4/5; b: P 1/2, R 1/2, F1 1/2; c: P 1/2, R 1, F1 2/3.
	want := (0.8 + 0.5 + 2.0/3) / 3
	if math.Abs(ev.Accuracy-4.0/6) > 1e-12 || math.Abs(ev.MacroF1-want) > 1e-12 || ev.MicroF1 != ev.Accuracy {
		t.Errorf("accuracy %v (want 4/6), macro F1 %v (want %v)", ev.Accuracy, ev.MacroF1, want)
	}
	if s := ev.PerCategory[2]; s.Precision != 0.5 || s.Recall != 1 || s.Support != 1 || s.Predicted != 2 {
		t.Errorf("c: %+v", s)
	}
	// Multi-label: truth {a}, {a,b}, {}; predicted {a}, {b}, {b}.
	pm := &prepared{categories: []string{"a", "b"}, multi: [][]int{{0}, {0, 1}, {}}}
	em := &Evaluation{Multi: true, Probabilities: [][]float64{{.9, .1}, {.4, .6}, {.2, .7}}}
	em.score(pm)
	// Subset 1/3. a: hit 1, support 2, predicted 1 → F1 2/3; b: hit 1, support 1, predicted 2 → 2/3.
	// Micro: hits 2, support 3, predicted 3 → 4/6.
	if math.Abs(em.SubsetAccuracy-1.0/3) > 1e-12 || math.Abs(em.MacroF1-2.0/3) > 1e-12 || math.Abs(em.MicroF1-2.0/3) > 1e-12 {
		t.Errorf("subset %v, macro %v, micro %v", em.SubsetAccuracy, em.MacroF1, em.MicroF1)
	}
}

// TestConfidentJointByHand follows the definitions on six items.
func TestConfidentJointByHand(t *testing.T) {
	given := []int{0, 0, 0, 1, 1, 1}
	probs := [][]float64{{.9, .1}, {.8, .2}, {.1, .9}, {.25, .75}, {.2, .8}, {.4, .6}}
	c, err := LabelIssues(given, probs)
	if err != nil {
		t.Fatal(err)
	}
	// t0 = (.9+.8+.1)/3 = .6, t1 = (.75+.8+.6)/3 = .71666….
	if math.Abs(c.Thresholds[0]-0.6) > 1e-12 || math.Abs(c.Thresholds[1]-2.15/3) > 1e-12 {
		t.Fatalf("thresholds %v", c.Thresholds)
	}
	// Item 2 (given 0) is confidently 1; item 5 (.4, .6) is above neither.
	want := [][]int{{2, 1}, {0, 2}}
	if !slices.EqualFunc(c.Joint, want, slices.Equal) {
		t.Errorf("joint %v, want %v", c.Joint, want)
	}
	// Calibrated: row 0 has 3 of 3 counted, so one error; row 1 none.
	if c.Errors != 1 || c.Issues[0].Item != 2 || !c.Issues[0].Flagged || c.Issues[0].Suggested != 1 || c.Issues[0].SuggestedProbability != .9 {
		t.Errorf("errors %d, first issue %+v", c.Errors, c.Issues[0])
	}
	// The rest by self-confidence: item 5 (.6), 3 (.75), 1 (.8), 4 (.8), 0 (.9).
	var order []int
	for _, is := range c.Issues[1:] {
		order = append(order, is.Item)
	}
	if !slices.Equal(order, []int{5, 3, 1, 4, 0}) {
		t.Errorf("ranking %v", order)
	}
}

// TestConfidentLearningFindsFlippedLabels flips a tenth of the labels of
// a generated corpus and asks the ranking's top k (k flipped) to hold at
// least 60% of them.
func TestConfidentLearningFindsFlippedLabels(t *testing.T) {
	const n, K = 1200, 4
	d := newCorpus(9, K, 40, 400).labelled(n, 250, 0.08)
	r := rand.New(rand.NewPCG(21, 21))
	flipped := map[int]bool{}
	for _, i := range r.Perm(n)[:n/10] {
		old := d.Labels[i][0]
		next := fmt.Sprintf("t%d", (int(old[1]-'0')+1+r.IntN(K-1))%K)
		d.Labels[i] = []string{next}
		flipped[i] = true
	}
	ev, err := CrossValidate(d, 5, 3, small)
	if err != nil {
		t.Fatal(err)
	}
	c, err := LabelIssues(ev.Given, ev.Probabilities)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, is := range c.Issues[:len(flipped)] {
		if flipped[is.Item] {
			found++
		}
	}
	t.Logf("out-of-fold accuracy against the noisy labels %.3f; %d estimated errors; top %d hold %d flipped", ev.Accuracy, c.Errors, len(flipped), found)
	if float64(found) < 0.6*float64(len(flipped)) {
		t.Errorf("the top %d hold %d flipped labels, want at least 60%%", len(flipped), found)
	}
	for _, is := range c.Issues[:10] {
		if is.Suggested == is.Given || is.SuggestedProbability < is.GivenProbability && is.Flagged {
			t.Errorf("issue %+v: the suggestion should be another, likelier label", is)
		}
	}
}

// TestMargins: the margin is in [0, 1], zero on a tie, one on certainty,
// and orders items uncertain first.
func TestMargins(t *testing.T) {
	probs := [][]float64{{.5, .5, 0}, {1, 0, 0}, {.2, .7, .1}, {.4, .35, .25}}
	got := Margins(probs, false)
	want := []float64{0, 1, .5, .05}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Errorf("margin %d: %v, want %v", i, got[i], want[i])
		}
	}
	if order := UncertainFirst(got); !slices.Equal(order, []int{0, 3, 2, 1}) {
		t.Errorf("order %v", order)
	}
	multi := Margins([][]float64{{.9, .5}, {.99, .01}, {.3, .8}}, true)
	if math.Abs(multi[0]) > 1e-12 || math.Abs(multi[1]-.98) > 1e-12 || math.Abs(multi[2]-.4) > 1e-12 {
		t.Errorf("multi-label margins %v", multi)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		row := make([]float64, 2+r.IntN(5))
		var sum float64
		for k := range row {
			row[k] = r.Float64()
			sum += row[k]
		}
		for k := range row {
			row[k] /= sum
		}
		m := Margins([][]float64{row}, false)[0]
		s := slices.Clone(row)
		slices.Sort(s)
		if m < 0 || m > 1 || math.Abs(m-(s[len(s)-1]-s[len(s)-2])) > 1e-12 {
			t.Fatalf("margin of %v is %v", row, m)
		}
	}
}
