package consensus

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestPermutationInvariance checks that renumbering annotators and items
// and shuffling the labels changes no posterior, value or estimate.
func TestPermutationInvariance(t *testing.T) {
	c := crowd{items: 500, k: 4, accuracies: []float64{0.9, 0.6, 0.4, 0.75, 0.3}, cover: 0.6, seed: 5}
	d, truth := c.generate()
	for i := 0; i < len(truth); i += 9 {
		d.Gold = append(d.Gold, Gold{Item: int32(i), Category: truth[i]})
	}
	rng := rand.New(rand.NewPCG(9, 9))
	itemPerm := rng.Perm(len(d.Items))
	annPerm := rng.Perm(len(d.Annotators))
	p := &Data{Items: make([]string, len(d.Items)), Annotators: make([]string, len(d.Annotators)), Categories: d.Categories}
	for i, to := range itemPerm {
		p.Items[to] = d.Items[i]
	}
	for a, to := range annPerm {
		p.Annotators[to] = d.Annotators[a]
	}
	for _, l := range d.Labels {
		p.Labels = append(p.Labels, Label{Item: int32(itemPerm[l.Item]), Annotator: int32(annPerm[l.Annotator]), Category: l.Category})
	}
	rng.Shuffle(len(p.Labels), func(i, j int) { p.Labels[i], p.Labels[j] = p.Labels[j], p.Labels[i] })
	for _, g := range d.Gold {
		p.Gold = append(p.Gold, Gold{Item: int32(itemPerm[g.Item]), Category: g.Category})
	}
	for _, m := range []Method{DawidSkene, MajorityVote} {
		a, b := mustInfer(t, d, Options{Method: m}), mustInfer(t, p, Options{Method: m})
		if a.Iterations != b.Iterations {
			t.Errorf("%s: %d iterations, %d after permuting", m, a.Iterations, b.Iterations)
		}
		for i := range d.Items {
			pa, pb := a.PosteriorOf(i), b.PosteriorOf(itemPerm[i])
			for k := range pa {
				if !near(pa[k], pb[k], 1e-9) {
					t.Fatalf("%s item %d: posterior %v, %v after permuting", m, i, pa, pb)
				}
			}
			ia, ib := a.Items[i], b.Items[itemPerm[i]]
			if ia.Value != ib.Value || ia.Tie != ib.Tie || ia.Gold != ib.Gold || ia.Labels != ib.Labels {
				t.Fatalf("%s item %d: %+v, %+v after permuting", m, i, ia, ib)
			}
		}
		for x := range d.Annotators {
			aa, ab := a.Annotators[x], b.Annotators[annPerm[x]]
			if !near(aa.Accuracy, ab.Accuracy, 1e-9) || aa.Items != ab.Items || aa.NearChance != ab.NearChance {
				t.Errorf("%s annotator %d: %+v, %+v after permuting", m, x, aa, ab)
			}
			for k := range aa.Confusion {
				for l := range aa.Confusion[k] {
					if !near(aa.Confusion[k][l], ab.Confusion[k][l], 1e-9) {
						t.Fatalf("%s annotator %d confusion differs after permuting", m, x)
					}
				}
			}
		}
	}
}

// TestCopierStaysLocal adds an annotator who copies another's labels. The
// vote changes only on the copied annotator's items. Dawid–Skene assumes
// that annotators err independently, so it takes the copy for a second
// witness and both for very reliable (on these crowds the copied
// annotator's estimated accuracy goes from about 0.7 to above 0.99); it
// moves the copied items' posteriors far more than the vote does, and the
// other items' too, through the other annotators' matrices. What it must
// keep is locality: the other items move less than the copied ones, on
// average and at most, and most of their values stay.
func TestCopierStaysLocal(t *testing.T) {
	for _, seed := range []uint64{21, 22, 23} {
		// Everyone labels every item except the copied annotator, who
		// labels about half of them.
		c := crowd{items: 600, k: 3, accuracies: []float64{0.8, 0.7, 0.6, 0.65}, seed: seed}
		d, _ := c.generate()
		copied := int32(1)
		kept := d.Labels[:0]
		for _, l := range d.Labels {
			if l.Annotator != copied || (l.Item*7919+int32(seed))%2 == 0 {
				kept = append(kept, l)
			}
		}
		d.Labels = kept
		withCopy := &Data{Items: d.Items, Annotators: append(append([]string{}, d.Annotators...), "copier"), Categories: d.Categories, Labels: append([]Label{}, d.Labels...)}
		touched := make([]bool, len(d.Items))
		for _, l := range d.Labels {
			if l.Annotator == copied {
				withCopy.Labels = append(withCopy.Labels, Label{Item: l.Item, Annotator: int32(len(d.Annotators)), Category: l.Category})
				touched[l.Item] = true
			}
		}
		type moves struct {
			maxIn, maxOut, meanIn, meanOut float64
			flipsOut, out                  int
		}
		moved := func(m Method) moves {
			var mv moves
			a, b := mustInfer(t, d, Options{Method: m}), mustInfer(t, withCopy, Options{Method: m})
			in := 0
			for i := range d.Items {
				diff := 0.0
				for k, v := range a.PosteriorOf(i) {
					diff = max(diff, abs(v-b.PosteriorOf(i)[k]))
				}
				if touched[i] {
					in++
					mv.maxIn, mv.meanIn = max(mv.maxIn, diff), mv.meanIn+diff
					continue
				}
				mv.out++
				mv.maxOut, mv.meanOut = max(mv.maxOut, diff), mv.meanOut+diff
				if a.Items[i].Value != b.Items[i].Value {
					mv.flipsOut++
				}
			}
			mv.meanIn /= float64(in)
			mv.meanOut /= float64(mv.out)
			return mv
		}
		vote, ds := moved(MajorityVote), moved(DawidSkene)
		if vote.maxOut != 0 || vote.maxIn == 0 {
			t.Errorf("seed %d: the copier moved the vote of its items by at most %v and of the others by %v; want some and none", seed, vote.maxIn, vote.maxOut)
		}
		if ds.maxOut >= ds.maxIn || ds.meanOut >= ds.meanIn || ds.flipsOut*10 > ds.out {
			t.Errorf("seed %d: Dawid–Skene moved the copied items by %.3f at most (mean %.3f) and the others by %.3f (mean %.3f), changing %d of %d values; want the others less, and under 10%% changed",
				seed, ds.maxIn, ds.meanIn, ds.maxOut, ds.meanOut, ds.flipsOut, ds.out)
		}
	}
}

// TestDegenerate checks that input Dawid–Skene cannot learn from gives
// the vote and a reason, and never a NaN.
func TestDegenerate(t *testing.T) {
	cases := []struct {
		name   string
		d      *Data
		reason string
	}{
		{"no labels", &Data{Items: []string{"i"}, Annotators: []string{"x"}, Categories: []string{"a", "b"}}, "there are no labels"},
		{"nothing at all", &Data{}, "there are no labels"},
		{"one category", &Data{Items: []string{"i", "j"}, Annotators: []string{"x", "y"}, Categories: []string{"a"},
			Labels: []Label{{0, 0, 0}, {0, 1, 0}, {1, 0, 0}}}, "only one category (a)"},
		{"one annotator", &Data{Items: []string{"i", "j"}, Annotators: []string{"x", "y"}, Categories: []string{"a", "b"},
			Labels: []Label{{0, 1, 0}, {1, 1, 1}, {1, 1, 1}}}, "only one annotator (y)"},
		{"no overlap", &Data{Items: []string{"i", "j"}, Annotators: []string{"x", "y"}, Categories: []string{"a", "b"},
			Labels: []Label{{0, 0, 0}, {1, 1, 1}}}, "no item was labelled by two annotators"},
	}
	for _, tc := range cases {
		r := mustInfer(t, tc.d, Options{})
		if r.Method != MajorityVote || !strings.Contains(r.Reason, tc.reason) {
			t.Errorf("%s: method %s reason %q; want the majority vote and %q", tc.name, r.Method, r.Reason, tc.reason)
		}
		checkFinite(t, r)
		if len(r.Items) != len(tc.d.Items) || len(r.Annotators) != len(tc.d.Annotators) {
			t.Errorf("%s: %d items and %d annotators in the result, want %d and %d", tc.name, len(r.Items), len(r.Annotators), len(tc.d.Items), len(tc.d.Annotators))
		}
	}
	// One annotator with gold can still be learnt from, given enough of
	// it (or SmallData).
	one := &Data{Items: []string{"i", "j", "k"}, Annotators: []string{"x"}, Categories: []string{"a", "b"},
		Labels: []Label{{0, 0, 0}, {1, 0, 1}, {2, 0, 1}}, Gold: []Gold{{0, 1}}}
	if r := mustInfer(t, one, Options{SmallData: true}); r.Method != DawidSkene || r.Reason != "" {
		t.Errorf("one annotator with gold: method %s reason %q, want dawid-skene", r.Method, r.Reason)
	} else {
		checkFinite(t, r)
	}
}

// TestInvalidInput checks the errors for ids out of range, conflicting
// gold, bad options and a cancelled context.
func TestInvalidInput(t *testing.T) {
	base := func() *Data {
		return &Data{Items: []string{"i", "j"}, Annotators: []string{"x", "y"}, Categories: []string{"a", "b"},
			Labels: []Label{{0, 0, 0}, {0, 1, 1}, {1, 0, 1}, {1, 1, 1}}}
	}
	cases := []struct {
		name string
		edit func(*Data, *Options)
		want string
	}{
		{"item", func(d *Data, _ *Options) { d.Labels[1].Item = 2 }, "label 1: item id 2 is outside the 2 items"},
		{"annotator", func(d *Data, _ *Options) { d.Labels[0].Annotator = -1 }, "annotator id -1"},
		{"category", func(d *Data, _ *Options) { d.Labels[3].Category = 5 }, "category id 5"},
		{"gold item", func(d *Data, _ *Options) { d.Gold = []Gold{{7, 0}} }, "gold 0: item id 7"},
		{"two golds", func(d *Data, _ *Options) { d.Gold = []Gold{{0, 0}, {0, 1}} }, `item "i" has two gold labels, "a" and "b"`},
		{"method", func(_ *Data, o *Options) { o.Method = "vote" }, `method "vote" is not known; use dawid-skene or majority`},
		{"prior", func(_ *Data, o *Options) { o.ConfusionPrior = -1 }, "must not be negative"},
	}
	for _, tc := range cases {
		d, opt := base(), Options{}
		tc.edit(d, &opt)
		if _, err := Infer(context.Background(), d, opt); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Infer(ctx, base(), Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: error %v, want context.Canceled", err)
	}
	if _, err := InferMulti(ctx, &MultiData{Items: []string{"i"}, Annotators: []string{"x"}, Categories: []string{"a"}, Labels: []Label{{0, 0, 0}}}, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("multi, cancelled: error %v, want context.Canceled", err)
	}
}

// TestCancelBetweenIterations cancels from inside the run: the context is
// read between iterations, so a run that would take many stops early.
func TestCancelBetweenIterations(t *testing.T) {
	c := crowd{items: 2000, k: 4, accuracies: []float64{0.6, 0.5, 0.4}, seed: 8}
	d, _ := c.generate()
	ctx := &countingContext{Context: context.Background(), cancelAfter: 3}
	_, err := Infer(ctx, d, Options{Tolerance: 1e-300, MaxIter: 1000})
	if !errors.Is(err, context.Canceled) || ctx.calls != 4 {
		t.Errorf("error %v after %d checks; want context.Canceled at the fourth", err, ctx.calls)
	}
}

// countingContext reports itself cancelled after cancelAfter calls to Err.
type countingContext struct {
	context.Context
	calls, cancelAfter int
}

func (c *countingContext) Err() error {
	c.calls++
	if c.calls > c.cancelAfter {
		return context.Canceled
	}
	return nil
}
