package agreement

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// codedOf writes d as a Coded dataset: items in the order they first
// appear, each item's units in input order, the annotators listed in an
// order of rng's and each distinct list of values once; between the units
// it puts units that are not there (Label -1), which must count nowhere.
func codedOf(rng *rand.Rand, d Dataset) Coded {
	c := Coded{Categories: d.Categories, Values: d.Values, Ordered: d.Ordered, Multi: d.Multi, Start: []int32{0}}
	annIdx := map[string]int32{}
	for _, u := range d.Units {
		if _, ok := annIdx[u.Annotator]; !ok {
			annIdx[u.Annotator] = -1
			c.Annotators = append(c.Annotators, u.Annotator)
		}
	}
	rng.Shuffle(len(c.Annotators), func(i, j int) { c.Annotators[i], c.Annotators[j] = c.Annotators[j], c.Annotators[i] })
	for i, a := range c.Annotators {
		annIdx[a] = int32(i)
	}
	// A list of values no unit names, whose values must not become
	// categories.
	c.Labels = [][]string{{"never-used"}}
	labelIdx := map[string]int32{}
	var items []string
	byItem := map[string][]Unit{}
	for _, u := range d.Units {
		if _, ok := byItem[u.Item]; !ok {
			items = append(items, u.Item)
		}
		byItem[u.Item] = append(byItem[u.Item], u)
	}
	for _, it := range items {
		for _, u := range byItem[it] {
			if rng.IntN(4) == 0 {
				c.Annotator = append(c.Annotator, annIdx[u.Annotator])
				c.Label = append(c.Label, -1)
			}
			key := fmt.Sprintf("%d:%s", len(u.Values), strings.Join(u.Values, "\x00"))
			l, ok := labelIdx[key]
			if !ok {
				l = int32(len(c.Labels))
				labelIdx[key] = l
				c.Labels = append(c.Labels, u.Values)
			}
			c.Annotator = append(c.Annotator, annIdx[u.Annotator])
			c.Label = append(c.Label, l)
		}
		c.Start = append(c.Start, int32(len(c.Label)))
	}
	return c
}

// messy adds to units what real data holds besides clean labels: a
// repeated unit with another value (the later one wins), values outside
// the categories, units of the wrong shape and, for multi-label data,
// empty sets.
func messy(rng *rand.Rand, units []Unit, cats []string, multi bool) []Unit {
	out := make([]Unit, 0, len(units)+len(units)/4)
	for _, u := range units {
		out = append(out, u)
		switch rng.IntN(12) {
		case 0:
			out = append(out, Unit{Item: u.Item, Annotator: u.Annotator, Values: []string{cats[rng.IntN(len(cats))]}})
		case 1:
			out = append(out, Unit{Item: u.Item, Annotator: u.Annotator + "-x", Values: []string{"stray"}})
		case 2:
			out = append(out, Unit{Item: u.Item, Annotator: u.Annotator + "-y", Values: []string{cats[0], cats[1]}})
		case 3:
			if multi {
				out = append(out, Unit{Item: u.Item, Annotator: u.Annotator + "-z", Values: []string{}})
			}
		case 4:
			if multi {
				out = append(out, Unit{Item: u.Item, Annotator: u.Annotator + "-w", Values: []string{cats[1], "stray", cats[0]}})
			}
		}
	}
	return out
}

// TestComputeCodedMatchesCompute checks that a Coded dataset gives the
// report, bootstrap intervals and confusion matrices its Dataset gives,
// on single, ordered and multi-label data with duplicates, stray values,
// units of the wrong shape and units that are not there.
func TestComputeCodedMatchesCompute(t *testing.T) {
	cats := []string{"1", "2", "3", "4"}
	opt := Options{Bootstrap: 200, Seed: 7}
	for seed := range uint64(12) {
		rng := rand.New(rand.NewPCG(seed, 99))
		multi := seed%3 == 2
		var units []Unit
		if multi {
			units = randomMulti(rng, 40+rng.IntN(40), 2+rng.IntN(4), cats, 0.8, 0.7)
		} else {
			units = randomSingle(rng, 40+rng.IntN(40), 2+rng.IntN(4), cats, 0.8, 0.7)
		}
		units = messy(rng, units, cats, multi)
		// Units in random order within each item, and items in random
		// order: a Coded dataset's items are in the order of Start, a
		// Dataset's in the order they first appear.
		rng.Shuffle(len(units), func(i, j int) { units[i], units[j] = units[j], units[i] })
		rank := map[string]int{}
		for _, u := range units {
			if _, ok := rank[u.Item]; !ok {
				rank[u.Item] = rng.IntN(1 << 30)
			}
		}
		slices.SortStableFunc(units, func(a, b Unit) int {
			return cmp.Or(cmp.Compare(rank[a.Item], rank[b.Item]), cmp.Compare(a.Item, b.Item))
		})
		datasets := map[string]Dataset{
			"declared": {Units: units, Categories: cats, Ordered: seed%3 == 1, Multi: multi},
			"found":    {Units: units, Multi: multi},
		}
		if seed%3 == 1 {
			datasets["valued"] = Dataset{Units: units, Categories: cats, Values: []float64{-10, 0, 5, 100}, Ordered: true}
		}
		for name, d := range datasets {
			label := fmt.Sprintf("seed %d, %s", seed, name)
			want, err := ComputeContext(context.Background(), d, opt)
			if err != nil {
				t.Fatal(err)
			}
			c := codedOf(rng, d)
			got, err := ComputeCoded(context.Background(), c, opt)
			if err != nil {
				t.Fatal(err)
			}
			if want.Units == 0 || want.Items == 0 {
				t.Fatalf("%s: the data set is empty: %+v", label, want)
			}
			if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
				i := 0
				for i < len(g) && i < len(w) && g[i] == w[i] {
					i++
				}
				t.Errorf("%s: ComputeCoded differs from Compute at byte %d:\n got …%s\nwant …%s", label, i, g[max(0, i-80):min(len(g), i+80)], w[max(0, i-80):min(len(w), i+80)])
			}
			for _, pair := range [][2]string{{"ann0", "ann1"}, {"ann1", "ann0-x"}, {"ann0", "nobody"}} {
				if g, w := ConfusionCoded(c, pair[0], pair[1]), Confusion(d, pair[0], pair[1]); !reflect.DeepEqual(g, w) {
					t.Errorf("%s: confusion of %v: got %+v, want %+v", label, pair, g, w)
				}
			}
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestComputeCodedStops checks that a done context stops ComputeCoded
// with its error.
func TestComputeCodedStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := Coded{Annotators: []string{"a", "b"}, Labels: [][]string{{"x"}, {"y"}}, Start: []int32{0, 2}, Annotator: []int32{0, 1}, Label: []int32{0, 1}}
	if _, err := ComputeCoded(ctx, c, Options{Bootstrap: 100}); err != context.Canceled {
		t.Fatalf("ComputeCoded on a cancelled context: %v, want context.Canceled", err)
	}
}

// TestComputeCodedEmpty checks the edge cases of a Coded dataset's shape:
// no items, items whose units are all missing, and an annotator listed
// but never labelling, which must not count as an annotator.
func TestComputeCodedEmpty(t *testing.T) {
	for name, c := range map[string]Coded{
		"nothing":      {Start: []int32{0}},
		"all missing":  {Annotators: []string{"a", "b"}, Labels: [][]string{{"x"}}, Start: []int32{0, 2, 3}, Annotator: []int32{0, 1, 0}, Label: []int32{-1, -1, -1}},
		"listed, idle": {Annotators: []string{"a", "idle"}, Labels: [][]string{{"x"}}, Start: []int32{0, 1}, Annotator: []int32{0}, Label: []int32{0}},
	} {
		r, err := ComputeCoded(context.Background(), c, Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := Compute(Dataset{}, Options{})
		if name == "listed, idle" {
			want = Compute(Dataset{Units: []Unit{{Item: "i", Annotator: "a", Values: []string{"x"}}}}, Options{})
		}
		if !reflect.DeepEqual(r, want) {
			t.Errorf("%s: got %+v, want %+v", name, r, want)
		}
		if name != "listed, idle" && (r.Items != 0 || r.Annotators != 0 || r.AlphaNominal.Defined()) {
			t.Errorf("%s: items %d, annotators %d, alpha %v: want an empty report", name, r.Items, r.Annotators, r.AlphaNominal)
		}
	}
}
