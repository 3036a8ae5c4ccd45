package consensus

import (
	"context"
	"testing"
	"time"
)

// benchCrowd is 1,000,000 labels over four categories: 200,000 items, each
// labelled by five simulated annotators of known accuracy. In the sparse
// crowd each item's five come from a pool of 200, so that nearly every item
// has labels of its own and grouping items by their labels saves nothing.
func benchCrowd(b *testing.B, sparse bool) *Data {
	b.Helper()
	c := crowd{items: 200_000, k: 4, accuracies: []float64{0.9, 0.8, 0.7, 0.6, 0.35}, seed: 42}
	if sparse {
		c.accuracies = make([]float64, 200)
		for a := range c.accuracies {
			c.accuracies[a] = 0.3 + 0.65*float64(a)/200
		}
		c.perItem = 5
	}
	d, _ := c.generate()
	if len(d.Labels) != 1_000_000 {
		b.Fatalf("%d labels, want 1,000,000", len(d.Labels))
	}
	return d
}

// countLabels is the baseline: one pass that only counts the labels of
// each category per item, the least any inference must do.
func countLabels(d *Data) []int32 {
	k := len(d.Categories)
	counts := make([]int32, len(d.Items)*k)
	for _, l := range d.Labels {
		counts[int(l.Item)*k+int(l.Category)]++
	}
	return counts
}

// BenchmarkInfer1M runs Dawid–Skene to convergence and the majority vote on
// a million labels, each beside the counting pass, and reports seconds per
// run of each and the ratio to the count.
func BenchmarkInfer1M(b *testing.B) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		sparse bool
		m      Method
	}{{"5-annotators/dawid-skene", false, DawidSkene}, {"5-annotators/majority", false, MajorityVote}, {"5-of-200-annotators/dawid-skene", true, DawidSkene}} {
		m := tc.m
		d := benchCrowd(b, tc.sparse)
		b.Run(tc.name, func(b *testing.B) {
			var inferT, countT time.Duration
			iters := 0
			for b.Loop() {
				start := time.Now()
				r, err := Infer(ctx, d, Options{Method: m})
				if err != nil {
					b.Fatal(err)
				}
				inferT += time.Since(start)
				iters = r.Iterations
				start = time.Now()
				countLabels(d)
				countT += time.Since(start)
			}
			n := float64(b.N)
			b.ReportMetric(inferT.Seconds()/n, "infer-s/op")
			b.ReportMetric(countT.Seconds()/n, "count-s/op")
			b.ReportMetric(inferT.Seconds()/countT.Seconds(), "ratio")
			b.ReportMetric(float64(iters), "iterations")
		})
	}
}
