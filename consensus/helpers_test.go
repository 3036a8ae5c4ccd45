package consensus

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// crowd simulates annotators of known accuracy: each item's truth is drawn
// from prior, and each annotator labels it (with probability cover) with
// the truth at its accuracy and a uniformly drawn wrong category otherwise.
type crowd struct {
	items      int
	k          int
	accuracies []float64
	cover      float64 // share of items each annotator labels; 0 means all
	perItem    int     // when set, each item is labelled by this many annotators drawn at random
	prior      []float64
	seed       uint64
}

// generate returns the data and the true category of each item.
func (c crowd) generate() (*Data, []int32) {
	rng := rand.New(rand.NewPCG(c.seed, 7))
	d := &Data{Items: make([]string, c.items), Annotators: make([]string, len(c.accuracies)), Categories: make([]string, c.k)}
	for i := range d.Items {
		d.Items[i] = fmt.Sprintf("item%d", i)
	}
	for a := range d.Annotators {
		d.Annotators[a] = fmt.Sprintf("ann%d", a)
	}
	for k := range d.Categories {
		d.Categories[k] = fmt.Sprintf("cat%d", k)
	}
	truth := make([]int32, c.items)
	d.Labels = make([]Label, 0, c.items*len(c.accuracies))
	for i := range truth {
		truth[i] = int32(c.k - 1)
		u := rng.Float64()
		for k, p := range c.prior {
			if u < p {
				truth[i] = int32(k)
				break
			}
			u -= p
		}
		if c.prior == nil {
			truth[i] = int32(rng.IntN(c.k))
		}
		var pick map[int]bool
		if c.perItem > 0 {
			pick = map[int]bool{}
			for len(pick) < c.perItem {
				pick[rng.IntN(len(c.accuracies))] = true
			}
		}
		for a, acc := range c.accuracies {
			if c.cover > 0 && rng.Float64() >= c.cover {
				continue
			}
			if pick != nil && !pick[a] {
				continue
			}
			v := truth[i]
			if rng.Float64() >= acc {
				v = (truth[i] + 1 + int32(rng.IntN(c.k-1))) % int32(c.k)
			}
			d.Labels = append(d.Labels, Label{Item: int32(i), Annotator: int32(a), Category: v})
		}
	}
	return d, truth
}

// mustInfer runs Infer and fails the test on an error.
func mustInfer(t testing.TB, d *Data, opt Options) *Result {
	t.Helper()
	r, err := Infer(context.Background(), d, opt)
	if err != nil {
		t.Fatalf("Infer: %v", err)
	}
	return r
}

// close reports whether a and b agree within tol.
func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// checkFinite fails the test when any number of r is NaN or infinite.
func checkFinite(t *testing.T, r *Result) {
	t.Helper()
	bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
	for _, v := range r.Posterior {
		if bad(v) {
			t.Fatalf("posterior holds %v", v)
		}
	}
	for _, v := range r.ClassPrior {
		if bad(v) {
			t.Fatalf("class prior holds %v", v)
		}
	}
	if bad(r.LogLikelihood) {
		t.Fatalf("log-likelihood is %v", r.LogLikelihood)
	}
	for a, ar := range r.Annotators {
		if bad(ar.Accuracy) || bad(ar.Chance) {
			t.Fatalf("annotator %d: accuracy %v chance %v", a, ar.Accuracy, ar.Chance)
		}
		for _, row := range ar.Confusion {
			for _, v := range row {
				if bad(v) {
					t.Fatalf("annotator %d: confusion holds %v", a, v)
				}
			}
		}
	}
	for i, it := range r.Items {
		if bad(it.Confidence) {
			t.Fatalf("item %d: confidence %v", i, it.Confidence)
		}
	}
}
