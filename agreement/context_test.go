package agreement

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// bigDataset is n items labelled by three annotators who mostly agree.
func bigDataset(n int, multi bool) Dataset {
	d := Dataset{Categories: []string{"a", "b", "c"}, Multi: multi}
	for i := range n {
		for a, name := range []string{"x", "y", "z"} {
			v := d.Categories[(i+a*(i%5/4))%3]
			d.Units = append(d.Units, Unit{Item: fmt.Sprint(i), Annotator: name, Values: []string{v}})
		}
	}
	return d
}

func TestComputeContextStopsWhenCancelled(t *testing.T) {
	for _, multi := range []bool{false, true} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := ComputeContext(ctx, bigDataset(200, multi), Options{Bootstrap: 1000, Seed: 1})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("multi=%v: a cancelled context gave %v, want context.Canceled", multi, err)
		}
		// Uncancelled, it is Compute.
		got, err := ComputeContext(context.Background(), bigDataset(200, multi), Options{Bootstrap: 50, Seed: 1})
		want := Compute(bigDataset(200, multi), Options{Bootstrap: 50, Seed: 1})
		if err != nil || got.AlphaNominal.Float() != want.AlphaNominal.Float() || got.AlphaNominal.CI == nil || *got.AlphaNominal.CI != *want.AlphaNominal.CI {
			t.Errorf("multi=%v: ComputeContext = %+v, %v; want Compute's %+v", multi, got.AlphaNominal, err, want.AlphaNominal)
		}
	}
}

func TestBootstrapIsBounded(t *testing.T) {
	tests := []struct{ b, items, want int }{
		{1000, 100, 1000},
		{1000, 200_000, 1000},
		{1000, 400_000, 500},
		{1000, 10_000_000, MinBootstrapResamples},
		{50, 10_000_000, 50},
		{1000, 0, 1000},
	}
	for _, tc := range tests {
		if got := resamples(tc.b, tc.items); got != tc.want {
			t.Errorf("resamples(%d, %d) = %d, want %d", tc.b, tc.items, got, tc.want)
		}
	}
}
