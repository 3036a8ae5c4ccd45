package agreement

import (
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
)

// The benchmark data: 1,000,000 items × 5 annotators = 5,000,000
// single-choice units on a stance dimension, each annotator agreeing with a
// latent label 80% of the time. benchUnits lists each item's units
// together (as a query ordered by item returns them); benchShuffled holds
// the same units in random order.
var (
	benchOnce     sync.Once
	benchUnits    []Unit
	benchShuffled []Unit
	benchCats     = []string{"favor", "against", "none", "unrelated"}
)

const benchItems, benchAnnotators = 1_000_000, 5

func grouped() []Unit       { return benchUnits }
func shuffledUnits() []Unit { return benchShuffled }

func benchData() {
	benchOnce.Do(func() {
		rng := rand.New(rand.NewPCG(2024, 7))
		values := make([][]string, len(benchCats))
		for i, c := range benchCats {
			values[i] = []string{c}
		}
		anns := make([]string, benchAnnotators)
		for a := range anns {
			anns[a] = "annotator-" + strconv.Itoa(a)
		}
		benchUnits = make([]Unit, 0, benchItems*benchAnnotators)
		for i := range benchItems {
			item := "paragraph-" + strconv.Itoa(i)
			truth := rng.IntN(len(benchCats))
			for _, a := range anns {
				c := truth
				if rng.IntN(5) == 0 {
					c = rng.IntN(len(benchCats))
				}
				benchUnits = append(benchUnits, Unit{Item: item, Annotator: a, Values: values[c]})
			}
		}
		benchShuffled = make([]Unit, len(benchUnits))
		copy(benchShuffled, benchUnits)
		rng.Shuffle(len(benchShuffled), func(i, j int) { benchShuffled[i], benchShuffled[j] = benchShuffled[j], benchShuffled[i] })
	})
}

// singlePass is the baseline: one pass over the units mapping each item to
// a dense index and counting values per category and item.
func singlePass(units []Unit, cats []string) []int32 {
	catIdx := make(map[string]int, len(cats))
	for i, c := range cats {
		catIdx[c] = i
	}
	k := len(cats)
	itemIdx := make(map[string]int)
	var counts []int32
	for i := range units {
		u := &units[i]
		if len(u.Values) != 1 {
			continue
		}
		c, ok := catIdx[u.Values[0]]
		if !ok {
			continue
		}
		it, ok := itemIdx[u.Item]
		if !ok {
			it = len(itemIdx)
			itemIdx[u.Item] = it
			counts = append(counts, make([]int32, k)...)
		}
		counts[it*k+c]++
	}
	return counts
}

// singlePassCached is singlePass remembering the previous unit's item, so
// that consecutive units of one item skip the map lookup.
func singlePassCached(units []Unit, cats []string) []int32 {
	catIdx := make(map[string]int, len(cats))
	for i, c := range cats {
		catIdx[c] = i
	}
	k := len(cats)
	itemIdx := make(map[string]int)
	var counts []int32
	last, lastIt := "", -1
	for i := range units {
		u := &units[i]
		if len(u.Values) != 1 {
			continue
		}
		c, ok := catIdx[u.Values[0]]
		if !ok {
			continue
		}
		it := lastIt
		if it < 0 || u.Item != last {
			it, ok = itemIdx[u.Item]
			if !ok {
				it = len(itemIdx)
				itemIdx[u.Item] = it
				counts = append(counts, make([]int32, k)...)
			}
			last, lastIt = u.Item, it
		}
		counts[it*k+c]++
	}
	return counts
}

func benchCompute(b *testing.B, data func() []Unit) {
	benchData()
	units := data()
	d := Dataset{Units: units, Categories: benchCats}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r := Compute(d, Options{})
		if !r.AlphaNominal.Defined() || !r.FleissKappa.Defined() || len(r.Pairwise.Pairs) != 10 {
			b.Fatal("unexpected report")
		}
	}
}

func benchSinglePass(b *testing.B, data func() []Unit) {
	benchPass(b, data, singlePass)
}

func benchPass(b *testing.B, data func() []Unit, pass func([]Unit, []string) []int32) {
	benchData()
	units := data()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if c := pass(units, benchCats); len(c) != benchItems*len(benchCats) {
			b.Fatal("unexpected counts")
		}
	}
}

// BenchmarkAlpha5M runs Compute without bootstrap (nominal alpha, Fleiss'
// kappa, all pairwise Cohen kappas, per-category agreement and
// distributions) on 5M units grouped by item.
func BenchmarkAlpha5M(b *testing.B) { benchCompute(b, grouped) }

// BenchmarkSinglePass5M is the baseline on the same units.
func BenchmarkSinglePass5M(b *testing.B) { benchSinglePass(b, grouped) }

// BenchmarkAlpha5MShuffled is BenchmarkAlpha5M on units in random order.
func BenchmarkAlpha5MShuffled(b *testing.B) { benchCompute(b, shuffledUnits) }

// BenchmarkSinglePass5MShuffled is the baseline on units in random order.
func BenchmarkSinglePass5MShuffled(b *testing.B) { benchSinglePass(b, shuffledUnits) }

// BenchmarkSinglePass5MCached is the baseline with the same consecutive-item
// shortcut that Compute uses, on units grouped by item.
func BenchmarkSinglePass5MCached(b *testing.B) { benchPass(b, grouped, singlePassCached) }
