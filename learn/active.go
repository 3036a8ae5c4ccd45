package learn

import (
	"fmt"
	"slices"
)

// The orders an active-learning simulation labels a pool in, the same
// names as the queue's order setting.
const (
	// OrderReading labels the pool in its own order, as a queue in reading
	// order hands it out.
	OrderReading = "reading"
	// OrderUncertain labels next the items the current model is least sure
	// of (smallest Margins).
	OrderUncertain = "uncertain"
)

// Simulation says how Simulate labels a pool.
type Simulation struct {
	// Order is OrderReading or OrderUncertain.
	Order string
	// Seed is how many items, the pool's first, are labelled before the
	// first model is trained; both orders start from the same ones.
	Seed int
	// Batch is how many labels are added between two trainings.
	Batch int
	// Budget is the most labels given in all; the curve ends there.
	Budget int
	// Options are the model's.
	Options Options
}

// CurvePoint is a model's accuracy on the test set after Labels labels.
type CurvePoint struct {
	Labels   int     `json:"labels"`
	Accuracy float64 `json:"accuracy"`
}

// Simulate is pool-based active learning on data whose labels are known:
// revealing a pool item's label, a batch at a time, stands in for an
// annotator labelling it. It trains on the Seed first items, then, until Budget
// labels are given, adds Batch more — the next ones in the pool's order
// (OrderReading) or the ones the current model gives the smallest margin
// (OrderUncertain) — and trains again. After each training it measures
// accuracy on test, which it never learns from. The learning curve is the
// result, one point per training. Single-choice data only: accuracy is
// whether the most probable category is the label.
func Simulate(pool, test Data, sim Simulation) ([]CurvePoint, error) {
	if pool.Multi || test.Multi {
		return nil, fmt.Errorf("%w: the simulation measures single-choice accuracy; give single-choice data", ErrInvalid)
	}
	if sim.Order != OrderReading && sim.Order != OrderUncertain {
		return nil, fmt.Errorf("%w: order %q; use %q or %q", ErrInvalid, sim.Order, OrderReading, OrderUncertain)
	}
	if sim.Seed < 2 || sim.Batch < 1 || sim.Budget < sim.Seed || sim.Budget > len(pool.Texts) {
		return nil, fmt.Errorf("%w: seed %d, batch %d and budget %d for a pool of %d; give 2 ≤ seed ≤ budget ≤ pool and a batch of at least 1", ErrInvalid, sim.Seed, sim.Batch, sim.Budget, len(pool.Texts))
	}
	if len(test.Texts) == 0 || len(test.Labels) != len(test.Texts) || len(pool.Labels) != len(pool.Texts) {
		return nil, fmt.Errorf("%w: give a test set and one label per text", ErrInvalid)
	}
	cats := pool.Categories
	if cats == nil {
		seen := map[string]bool{}
		for _, l := range append(slices.Clone(pool.Labels), test.Labels...) {
			for _, c := range l {
				seen[c] = true
			}
		}
		for c := range seen {
			cats = append(cats, c)
		}
		slices.Sort(cats)
	}
	labelled := make([]int, 0, sim.Budget)
	taken := make([]bool, len(pool.Texts))
	for i := range sim.Seed {
		labelled = append(labelled, i)
		taken[i] = true
	}
	var curve []CurvePoint
	next := sim.Seed // the reading order's place in the pool
	for {
		d := Data{Categories: cats}
		for _, i := range labelled {
			d.Texts = append(d.Texts, pool.Texts[i])
			d.Labels = append(d.Labels, pool.Labels[i])
		}
		m, err := Train(d, sim.Options)
		if err != nil {
			return nil, fmt.Errorf("train on %d labels: %w", len(labelled), err)
		}
		right := 0
		for i, p := range m.PredictBatch(test.Texts) {
			if len(test.Labels[i]) == 1 && m.Categories[argmax(p)] == test.Labels[i][0] {
				right++
			}
		}
		curve = append(curve, CurvePoint{Labels: len(labelled), Accuracy: float64(right) / float64(len(test.Texts))})
		want := min(sim.Batch, sim.Budget-len(labelled))
		if want <= 0 {
			return curve, nil
		}
		if sim.Order == OrderReading {
			for ; want > 0 && next < len(pool.Texts); next++ {
				if !taken[next] {
					labelled, taken[next] = append(labelled, next), true
					want--
				}
			}
			continue
		}
		var open []int
		var texts []string
		for i, t := range pool.Texts {
			if !taken[i] {
				open = append(open, i)
				texts = append(texts, t)
			}
		}
		for _, k := range UncertainFirst(Margins(m.PredictBatch(texts), false))[:min(want, len(open))] {
			labelled, taken[open[k]] = append(labelled, open[k]), true
		}
	}
}

// LabelsToReach returns how many labels a learning curve needs to reach
// accuracy, interpolating linearly between its points, and false when it
// never does.
func LabelsToReach(curve []CurvePoint, accuracy float64) (float64, bool) {
	for i, p := range curve {
		if p.Accuracy < accuracy {
			continue
		}
		if i == 0 {
			return float64(p.Labels), true
		}
		q := curve[i-1]
		f := (accuracy - q.Accuracy) / (p.Accuracy - q.Accuracy)
		return float64(q.Labels) + f*float64(p.Labels-q.Labels), true
	}
	return 0, false
}

// MeanCurve averages learning curves point by point; they must have the
// same label counts.
func MeanCurve(curves [][]CurvePoint) []CurvePoint {
	if len(curves) == 0 {
		return nil
	}
	out := slices.Clone(curves[0])
	for i := range out {
		sum := 0.0
		for _, c := range curves {
			sum += c[i].Accuracy
		}
		out[i].Accuracy = sum / float64(len(curves))
	}
	return out
}
