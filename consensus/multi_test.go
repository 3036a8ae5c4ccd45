package consensus

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestMultiVote works a multi-label vote by hand: one binary vote per
// category over the annotators who answered the item.
func TestMultiVote(t *testing.T) {
	d := &MultiData{
		Items: []string{"i0", "i1", "i2", "i3"}, Annotators: []string{"x", "y", "z"}, Categories: []string{"strike", "wages"},
		Labels: []Label{
			// i0: all three apply strike; y also wages.
			{0, 0, 0}, {0, 1, 0}, {0, 1, 1}, {0, 2, 0},
			// i1: x applies wages, y answers with the empty set, z applies both.
			{1, 0, 1}, {1, 1, NoValue}, {1, 2, 0}, {1, 2, 1},
			// i2: x applies strike, y answers nothing: strike ties.
			{2, 0, 0}, {2, 1, NoValue},
		},
		Gold: []Gold{{3, NoValue}},
	}
	r, err := InferMulti(context.Background(), d, Options{Method: MajorityVote})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		values []int32
		conf   float64
		tie    bool
		units  int32
	}{
		{[]int32{0}, 1 * 2.0 / 3, false, 3},
		{[]int32{1}, 2.0 / 3 * 2.0 / 3, false, 3},
		{[]int32{}, 0.5 * 1, true, 2},
		{[]int32{}, 1, false, 0},
	}
	for i, w := range want {
		it := r.Items[i]
		if !slices.Equal(it.Values, w.values) || !near(it.Confidence, w.conf, 1e-12) || it.Tie != w.tie || it.Units != w.units {
			t.Errorf("item %d = %+v, want values %v confidence %v tie %v units %d", i, it, w.values, w.conf, w.tie, w.units)
		}
	}
	if !r.Items[3].Gold || r.Items[2].Gold {
		t.Errorf("gold flags %v %v, want only item 3", r.Items[3].Gold, r.Items[2].Gold)
	}
	if p := r.Categories[1].PosteriorOf(0); !near(p[1], 1.0/3, 1e-12) {
		t.Errorf("wages on i0 = %v, want 1/3", p[1])
	}
}

// TestMultiDawidSkene checks that the per-category models find a careless
// annotator in a simulated multi-label crowd.
func TestMultiDawidSkene(t *testing.T) {
	// Three categories applied independently; annotator 3 applies each at
	// random half of the time.
	c := crowd{items: 800, k: 2, accuracies: []float64{0.9, 0.85, 0.8, 0.5}, seed: 31}
	d := &MultiData{Annotators: []string{"a0", "a1", "a2", "a3"}, Categories: []string{"c0", "c1", "c2"}}
	truth := make([][]int32, 3)
	for cat := range d.Categories {
		c.seed++
		bd, tr := c.generate()
		d.Items = bd.Items
		truth[cat] = tr
		for _, l := range bd.Labels {
			if l.Category == 1 {
				d.Labels = append(d.Labels, Label{Item: l.Item, Annotator: l.Annotator, Category: int32(cat)})
			} else if cat == 0 {
				d.Labels = append(d.Labels, Label{Item: l.Item, Annotator: l.Annotator, Category: NoValue})
			}
		}
	}
	r, err := InferMulti(context.Background(), d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Reason != "" {
		t.Fatalf("reason %q", r.Reason)
	}
	vote, err := InferMulti(context.Background(), d, Options{Method: MajorityVote})
	if err != nil {
		t.Fatal(err)
	}
	right := func(r *MultiResult) int {
		n := 0
		for i := range d.Items {
			want := []int32{}
			for cat := range truth {
				if truth[cat][i] == 1 {
					want = append(want, int32(cat))
				}
			}
			if slices.Equal(r.Items[i].Values, want) && !r.Items[i].Tie {
				n++
			}
		}
		return n
	}
	// A set is right only when all three of its categories are, so the bar
	// is lower than for one binary label.
	if ds, mv := right(r), right(vote); ds < len(d.Items)*8/10 || ds <= mv {
		t.Errorf("Dawid–Skene gets %d of %d sets right, the vote %d; want at least 80%% and more than the vote", ds, len(d.Items), mv)
	}
	for cat, cr := range r.Categories {
		if !cr.Annotators[3].NearChance || cr.Annotators[0].NearChance {
			t.Errorf("category %d: near chance %v (random) and %v (90%%); want only the random one", cat, cr.Annotators[3].NearChance, cr.Annotators[0].NearChance)
		}
	}
}

// TestMultiDegenerateLabels checks the labels a binary model cannot learn
// from: one nobody applied and one every answer applied get the vote and a
// reason of their own, without making the dimension the vote, and never a
// NaN; a single annotator makes every label the vote, with the reason.
func TestMultiDegenerateLabels(t *testing.T) {
	// Twelve items, three annotators: "strike" is applied by the majority
	// on even items, "never" by nobody, "always" by everybody.
	d := &MultiData{Annotators: []string{"x", "y", "z"}, Categories: []string{"strike", "never", "always"}}
	for i := range 12 {
		d.Items = append(d.Items, string(rune('a'+i)))
		for a := range 3 {
			d.Labels = append(d.Labels, Label{Item: int32(i), Annotator: int32(a), Category: 2})
			if i%2 == 0 && (a != 2 || i%4 == 0) {
				d.Labels = append(d.Labels, Label{Item: int32(i), Annotator: int32(a), Category: 0})
			}
		}
	}
	r, err := InferMulti(context.Background(), d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Method != DawidSkene || r.Reason != "" {
		t.Errorf("dimension: method %s reason %q, want dawid-skene (strike can be learnt)", r.Method, r.Reason)
	}
	wantReasons := []string{"", "nobody applied never, so it applies to no item", "every answer applied always, so it applies to every item answered"}
	for c, want := range wantReasons {
		if r.LabelReasons[c] != want {
			t.Errorf("label %s: reason %q, want %q", d.Categories[c], r.LabelReasons[c], want)
		}
		if cr := r.Categories[c]; (cr.Method == MajorityVote) != (want != "") {
			t.Errorf("label %s: method %s", d.Categories[c], cr.Method)
		}
		checkFinite(t, r.Categories[c])
	}
	for i, it := range r.Items {
		want := []int32{2}
		if i%2 == 0 {
			want = []int32{0, 2}
		}
		if !slices.Equal(it.Values, want) || it.Tie || math.IsNaN(it.Confidence) || it.Confidence <= 0.5 {
			t.Errorf("item %s = %+v, want %v with a confidence above one half", d.Items[i], it, want)
		}
	}

	// One annotator: every label, constant or not, is the vote.
	one := &MultiData{Items: []string{"a", "b"}, Annotators: []string{"x"}, Categories: []string{"strike", "never"},
		Labels: []Label{{0, 0, 0}, {1, 0, NoValue}}}
	r, err = InferMulti(context.Background(), one, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Method != MajorityVote || !strings.Contains(r.Reason, "only one annotator (x)") {
		t.Errorf("one annotator: method %s reason %q, want the vote and the one-annotator reason", r.Method, r.Reason)
	}
	if !strings.Contains(r.LabelReasons[0], "only one annotator (x)") || r.LabelReasons[1] != "nobody applied never, so it applies to no item" {
		t.Errorf("one annotator: label reasons %q", r.LabelReasons)
	}
	for _, cr := range r.Categories {
		checkFinite(t, cr)
	}

	// Every label constant: the dimension is the vote, and says why.
	flat := &MultiData{Items: d.Items, Annotators: d.Annotators, Categories: []string{"never", "always"}}
	for i := range d.Items {
		for a := range d.Annotators {
			flat.Labels = append(flat.Labels, Label{Item: int32(i), Annotator: int32(a), Category: 1})
		}
	}
	r, err = InferMulti(context.Background(), flat, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Method != MajorityVote || !strings.Contains(r.Reason, "every label was applied by all of the answers or by none") {
		t.Errorf("all constant: method %s reason %q", r.Method, r.Reason)
	}
}

// randomMulti is a multi-label crowd of n items: j annotators of random
// care answer about two in three items with a set of k categories (empty
// sets included), and one item in fifteen has a gold set. The labels come
// grouped by item, as a store reads them.
func randomMulti(r *rand.Rand, n, j, k int) *MultiData {
	d := &MultiData{}
	for i := range n {
		d.Items = append(d.Items, fmt.Sprint("i", i))
	}
	for a := range j {
		d.Annotators = append(d.Annotators, fmt.Sprint("a", a))
	}
	for c := range k {
		d.Categories = append(d.Categories, fmt.Sprint("c", c))
	}
	care := make([]float64, j)
	for a := range care {
		care[a] = 0.4 + 0.6*r.Float64()
	}
	for i := range n {
		truth := make([]bool, k)
		for c := range truth {
			truth[c] = r.IntN(3) == 0
		}
		for a := range j {
			if r.IntN(3) == 0 {
				continue
			}
			any := false
			for c, v := range truth {
				if r.Float64() > care[a] {
					v = !v
				}
				if v {
					d.Labels = append(d.Labels, Label{int32(i), int32(a), int32(c)})
					any = true
				}
			}
			if !any {
				d.Labels = append(d.Labels, Label{int32(i), int32(a), NoValue})
			}
		}
		if r.IntN(15) == 0 {
			d.Gold = append(d.Gold, Gold{int32(i), NoValue})
			for c, v := range truth {
				if v {
					d.Gold = append(d.Gold, Gold{int32(i), int32(c)})
				}
			}
		}
	}
	return d
}

// TestMultiCompactIsTheSame checks, on random crowds large and small, by
// Dawid–Skene and by the vote, that a compact result has the same item
// sets, confidences, ties and per-category estimates as the full one, with
// only the per-item figures of the categories left out; that TiedOf names
// the categories whose posterior is one half; and that labels InferMulti
// has to group by item give the result of the same labels grouped already.
func TestMultiCompactIsTheSame(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 5))
	ties := 0
	for tc := range 60 {
		n := 2 + r.IntN(150)
		if tc%4 == 0 {
			n = 2 + r.IntN(8)
		}
		d := randomMulti(r, n, 1+r.IntN(6), 1+r.IntN(5))
		// The same labels with the items in reverse order, each item's in
		// the same order: InferMulti groups them back as they were.
		reversed := *d
		reversed.Labels = nil
		for i := n - 1; i >= 0; i-- {
			for _, l := range d.Labels {
				if l.Item == int32(i) {
					reversed.Labels = append(reversed.Labels, l)
				}
			}
		}
		for _, m := range []Method{DawidSkene, MajorityVote} {
			opt := Options{Method: m, SmallData: tc%3 == 0}
			full, err := InferMulti(ctx, d, opt)
			if err != nil {
				t.Fatal(err)
			}
			other, err := InferMulti(ctx, &reversed, opt)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(full, other) {
				t.Errorf("case %d %s: the labels grouped by InferMulti give another result than the labels grouped already", tc, m)
			}
			opt.Compact = true
			compact, err := InferMulti(ctx, d, opt)
			if err != nil {
				t.Fatal(err)
			}
			if compact.Method != full.Method || compact.Reason != full.Reason || !slices.Equal(compact.LabelReasons, full.LabelReasons) || !reflect.DeepEqual(compact.Items, full.Items) {
				t.Errorf("case %d %s: compact result %+v, want %+v", tc, m, compact, full)
			}
			for c, cr := range compact.Categories {
				want := *full.Categories[c]
				want.Posterior, want.Items = nil, nil
				if !reflect.DeepEqual(*cr, want) {
					t.Errorf("case %d %s category %d: compact model %+v, want %+v", tc, m, c, *cr, want)
				}
			}
			for i, it := range full.Items {
				var want []int32
				if it.Tie {
					for c, cr := range full.Categories {
						if math.Abs(cr.PosteriorOf(i)[1]-0.5) <= tieTolerance {
							want = append(want, int32(c))
						}
					}
					ties++
				}
				if got := compact.TiedOf(i); !slices.Equal(got, want) || (it.Tie && len(got) == 0) {
					t.Errorf("case %d %s item %d: tied %v, want %v", tc, m, i, got, want)
				}
			}
		}
	}
	if ties == 0 {
		t.Error("no crowd gave a tie; the test must see some")
	}
}
