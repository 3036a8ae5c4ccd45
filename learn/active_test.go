package learn

import (
	"errors"
	"math/rand/v2"
	"testing"
)

// activeTask is a pool on 6 topics whose items take from 8% to 40% of
// their words from their topic, at random; run items in a row share a
// topic, as the paragraphs of one document do.
func activeTask(seed uint64, n, run int) Data {
	c := newCorpus(seed, 6, 300, 3000)
	r := rand.New(rand.NewPCG(seed, 11))
	var d Data
	t := 0
	for i := range n {
		if i%run == 0 {
			t = r.IntN(6)
		}
		d.Texts = append(d.Texts, c.paragraph(t, 240, 0.08+0.32*r.Float64()))
		d.Labels = append(d.Labels, []string{c.topicName(t)})
	}
	return d
}

// TestSimulateUncertainBeatsReading runs the simulation on generated pools
// in random order, where reading order is a random sample: labelling the
// items the model is least sure of must reach reading order's accuracy at
// 240 labels with at most 80% of them, and be ahead over the curve, both
// on the mean of three pools.
func TestSimulateUncertainBeatsReading(t *testing.T) {
	opt := Options{Features: Features{HashBits: 14, WordNGrams: 1}, C: 10, MaxIterations: 60, Tolerance: 1e-4}
	curves := map[string][][]CurvePoint{}
	for _, seed := range []uint64{1, 2, 3} {
		pool, test := activeTask(seed, 1500, 1), activeTask(seed+100, 600, 1)
		for _, order := range []string{OrderReading, OrderUncertain} {
			c, err := Simulate(pool, test, Simulation{Order: order, Seed: 30, Batch: 30, Budget: 240, Options: opt})
			if err != nil {
				t.Fatal(err)
			}
			if len(c) != 8 || c[0].Labels != 30 || c[7].Labels != 240 {
				t.Fatalf("%s curve has points %v, want 30, 60, … 240 labels", order, c)
			}
			curves[order] = append(curves[order], c)
		}
		if r, u := curves[OrderReading][len(curves[OrderReading])-1][0], curves[OrderUncertain][len(curves[OrderUncertain])-1][0]; r != u {
			t.Errorf("seed %d: the orders start from different models: %v and %v", seed, r, u)
		}
	}
	read, unc := MeanCurve(curves[OrderReading]), MeanCurve(curves[OrderUncertain])
	t.Logf("reading   %v", read)
	t.Logf("uncertain %v", unc)
	need, ok := LabelsToReach(unc, read[7].Accuracy)
	if !ok || need > 0.8*240 {
		t.Errorf("uncertain order needs %.0f labels (reached: %v) for the accuracy reading order has at 240 (%.3f); want at most 192", need, ok, read[7].Accuracy)
	}
	if a, b := area(unc), area(read); a <= b {
		t.Errorf("mean accuracy over the curve %.3f in uncertain order, %.3f in reading order; want uncertain ahead", a, b)
	}
}

// area is the mean accuracy over a curve's points.
func area(c []CurvePoint) float64 {
	sum := 0.0
	for _, p := range c {
		sum += p.Accuracy
	}
	return sum / float64(len(c))
}

func TestSimulateRefusesBadInput(t *testing.T) {
	d := activeTask(3, 50, 1)
	for _, sim := range []Simulation{
		{Order: "random", Seed: 10, Batch: 10, Budget: 40},
		{Order: OrderReading, Seed: 1, Batch: 10, Budget: 40},
		{Order: OrderReading, Seed: 10, Batch: 0, Budget: 40},
		{Order: OrderReading, Seed: 10, Batch: 10, Budget: 60},
	} {
		if _, err := Simulate(d, d, sim); !errors.Is(err, ErrInvalid) {
			t.Errorf("Simulate(%+v) = %v, want ErrInvalid", sim, err)
		}
	}
}

func TestLabelsToReach(t *testing.T) {
	c := []CurvePoint{{100, 0.5}, {200, 0.7}, {300, 0.8}}
	for _, tc := range []struct {
		acc  float64
		want float64
		ok   bool
	}{{0.4, 100, true}, {0.6, 150, true}, {0.8, 300, true}, {0.9, 0, false}} {
		got, ok := LabelsToReach(c, tc.acc)
		if got != tc.want || ok != tc.ok {
			t.Errorf("LabelsToReach(%v) = %v, %v; want %v, %v", tc.acc, got, ok, tc.want, tc.ok)
		}
	}
}
