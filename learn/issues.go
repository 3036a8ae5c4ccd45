package learn

import (
	"fmt"
	"math"
	"sort"
)

// LabelIssue is one item whose given label the out-of-fold model doubts.
type LabelIssue struct {
	Item  int
	Given int
	// GivenProbability is the model's probability for the given label
	// (its self-confidence); the ranking is by it, lowest first.
	GivenProbability float64
	// Suggested is the most probable other category, and
	// SuggestedProbability its probability.
	Suggested            int
	SuggestedProbability float64
	// Flagged says that confident learning counts the item among the
	// estimated label errors (pruning by noise rate), not only that it
	// ranks low.
	Flagged bool
}

// Confident is the outcome of confident learning on one dimension.
type Confident struct {
	// Thresholds[j] is the mean probability of category j over the items
	// given j: the self-confidence above which the model is taken to
	// "confidently" see j.
	Thresholds []float64
	// Joint[i][j] counts the items given i whose confident label is j: the
	// highest-probability category among those at or above their
	// threshold. Items with none are left out.
	Joint [][]int
	// Errors is the estimated number of label errors: the off-diagonal sum
	// of Joint calibrated to the given labels' counts.
	Errors int
	// Issues ranks every item, flagged ones first, each group by
	// GivenProbability from the lowest; the first Errors are the
	// estimated errors.
	Issues []LabelIssue
}

// LabelIssues finds likely label errors from out-of-fold probabilities
// (probs[i], from CrossValidate) and the given labels (category indices),
// by confident learning (Northcutt, Jiang and Chuang, JAIR 2021): per-
// category thresholds, the confident joint, calibrated to the given
// counts, and pruning by noise rate, which flags in each given category i
// and each other j the Joint[i][j] (calibrated) items with the largest
// margin p(j) − p(i).
func LabelIssues(given []int, probs [][]float64) (*Confident, error) {
	n := len(given)
	if n == 0 {
		return nil, fmt.Errorf("%w: no items to look for label errors in", ErrInvalid)
	}
	if len(probs) != n {
		return nil, fmt.Errorf("%w: %d labels but %d rows of probabilities; give one row per item", ErrInvalid, n, len(probs))
	}
	K := len(probs[0])
	if K < 2 {
		return nil, fmt.Errorf("%w: %d categories; finding label errors needs at least 2", ErrInvalid, K)
	}
	for i, row := range probs {
		if len(row) != K {
			return nil, fmt.Errorf("%w: item %d has %d probabilities, item 0 has %d", ErrInvalid, i, len(row), K)
		}
		for _, p := range row {
			if math.IsNaN(p) || p < 0 || p > 1 {
				return nil, fmt.Errorf("%w: item %d has probability %v; probabilities must be in [0, 1]", ErrInvalid, i, p)
			}
		}
		if given[i] < 0 || given[i] >= K {
			return nil, fmt.Errorf("%w: item %d is given category %d of %d", ErrInvalid, i, given[i], K)
		}
	}
	c := &Confident{Thresholds: make([]float64, K), Joint: make([][]int, K)}
	counts := make([]int, K)
	for i, g := range given {
		counts[g]++
		c.Thresholds[g] += probs[i][g]
	}
	for j := range K {
		c.Joint[j] = make([]int, K)
		if counts[j] > 0 {
			c.Thresholds[j] /= float64(counts[j])
		}
	}
	for i, g := range given {
		best := -1
		for j, p := range probs[i] {
			if counts[j] > 0 && p >= c.Thresholds[j] && (best < 0 || p > probs[i][best]) {
				best = j
			}
		}
		if best >= 0 {
			c.Joint[g][best]++
		}
	}
	// Calibrate each row to the number of items given that label, and take
	// the off-diagonal cells as the number of errors to prune.
	prune := make([][]int, K)
	for i := range K {
		prune[i] = make([]int, K)
		row := 0
		for _, v := range c.Joint[i] {
			row += v
		}
		if row == 0 {
			continue
		}
		for j := range K {
			if j != i {
				prune[i][j] = int(math.Round(float64(c.Joint[i][j]) * float64(counts[i]) / float64(row)))
			}
		}
	}
	issues := make([]LabelIssue, n)
	byGiven := make([][]int, K)
	for i, g := range given {
		s, sp := -1, 0.0
		for j, p := range probs[i] {
			if j != g && (s < 0 || p > sp) {
				s, sp = j, p
			}
		}
		issues[i] = LabelIssue{Item: i, Given: g, GivenProbability: probs[i][g], Suggested: s, SuggestedProbability: sp}
		byGiven[g] = append(byGiven[g], i)
	}
	for i := range K {
		items := byGiven[i]
		// Never prune a category down to nothing.
		left := len(items) - 1
		for j := range K {
			num := min(prune[i][j], left)
			if j == i || num <= 0 {
				continue
			}
			sort.SliceStable(items, func(a, b int) bool {
				return probs[items[a]][j]-probs[items[a]][i] > probs[items[b]][j]-probs[items[b]][i]
			})
			taken := 0
			for _, x := range items {
				if taken == num {
					break
				}
				if !issues[x].Flagged {
					issues[x].Flagged = true
					taken++
					left--
				}
			}
		}
	}
	sort.SliceStable(issues, func(a, b int) bool {
		x, y := issues[a], issues[b]
		if x.Flagged != y.Flagged {
			return x.Flagged
		}
		if x.GivenProbability != y.GivenProbability {
			return x.GivenProbability < y.GivenProbability
		}
		return x.Item < y.Item
	})
	for _, is := range issues {
		if is.Flagged {
			c.Errors++
		}
	}
	c.Issues = issues
	return c, nil
}

// Margins returns, for each row of probabilities, how sure the model is:
// for a single-choice dimension the top probability minus the second
// (multi false), for a multi-label one the smallest |2p − 1| over the
// categories, the one decision it is least sure of. Zero is a coin toss,
// one is certainty; an "uncertain first" queue sorts by it ascending.
func Margins(probs [][]float64, multi bool) []float64 {
	out := make([]float64, len(probs))
	for i, row := range probs {
		if multi {
			m := 1.0
			for _, p := range row {
				m = math.Min(m, math.Abs(2*p-1))
			}
			out[i] = m
			continue
		}
		first, second := 0.0, 0.0
		for _, p := range row {
			if p > first {
				first, second = p, first
			} else if p > second {
				second = p
			}
		}
		out[i] = first - second
	}
	return out
}

// UncertainFirst returns the item indices ordered by margin, smallest
// first, ties by index.
func UncertainFirst(margins []float64) []int {
	order := make([]int, len(margins))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return margins[order[a]] < margins[order[b]] })
	return order
}
