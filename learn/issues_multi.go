package learn

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// LabelSetIssue is one item of a multi-label dimension whose given set of
// labels the out-of-fold model doubts.
type LabelSetIssue struct {
	Item int
	// Given is the item's set of category indices, sorted.
	Given []int
	// SelfConfidence is the probability the model gives the given set's
	// least likely decision: p(c) for a category in the set, 1 − p(c) for
	// one outside it. The ranking is by it, lowest first.
	SelfConfidence float64
	// Doubted lists the categories whose decision the model disputes, the
	// least likely first: those confident learning flagged, or the least
	// likely decision alone when none was.
	Doubted []int
	// Suggested is the given set with the doubted decisions turned round,
	// sorted; SuggestedProbability is the probability of the least likely
	// of the turned decisions.
	Suggested            []int
	SuggestedProbability float64
	// Flagged says that confident learning counts the item among the
	// estimated label errors in at least one category.
	Flagged bool
}

// ConfidentSets is the outcome of confident learning on a multi-label
// dimension.
type ConfidentSets struct {
	// PerCategory is each category's one-vs-rest confident learning: the
	// item "has it" (1) or not (0).
	PerCategory []*Confident
	// Errors is the number of items flagged in at least one category.
	Errors int
	// Issues ranks every item, flagged ones first, each group by
	// SelfConfidence from the lowest.
	Issues []LabelSetIssue
}

// LabelSetIssues finds likely label errors of a multi-label dimension
// from out-of-fold probabilities (probs[i][c], the probability that
// category c applies to item i, from CrossValidate) and each item's given
// set of category indices. Each category is a binary problem, has it or
// not, and gets confident learning of its own (LabelIssues), as the
// one-vs-rest reduction of Northcutt, Jiang and Chuang (JAIR 2021) does;
// an item is flagged when any of its decisions is, and ranked by the
// probability of its least likely decision.
func LabelSetIssues(given [][]int, probs [][]float64) (*ConfidentSets, error) {
	n := len(given)
	if n == 0 {
		return nil, fmt.Errorf("%w: no items to look for label errors in", ErrInvalid)
	}
	if len(probs) != n {
		return nil, fmt.Errorf("%w: %d label sets but %d rows of probabilities; give one row per item", ErrInvalid, n, len(probs))
	}
	K := len(probs[0])
	if K < 1 {
		return nil, fmt.Errorf("%w: no categories to look for label errors in", ErrInvalid)
	}
	has := make([][]bool, n)
	for i, set := range given {
		if len(probs[i]) != K {
			return nil, fmt.Errorf("%w: item %d has %d probabilities, item 0 has %d", ErrInvalid, i, len(probs[i]), K)
		}
		has[i] = make([]bool, K)
		for _, c := range set {
			if c < 0 || c >= K {
				return nil, fmt.Errorf("%w: item %d is given category %d of %d", ErrInvalid, i, c, K)
			}
			has[i][c] = true
		}
	}
	out := &ConfidentSets{PerCategory: make([]*Confident, K)}
	flagged := make([][]bool, n)
	for i := range flagged {
		flagged[i] = make([]bool, K)
	}
	bin := make([][]float64, n)
	flat := make([]float64, 2*n)
	g := make([]int, n)
	for c := range K {
		both := [2]bool{}
		for i := range n {
			p := probs[i][c]
			bin[i] = flat[2*i : 2*i+2 : 2*i+2]
			bin[i][0], bin[i][1] = 1-p, p
			g[i] = 0
			if has[i][c] {
				g[i] = 1
			}
			both[g[i]] = true
		}
		if !both[0] || !both[1] {
			// Every item agrees on this category: there is no other
			// side to mistake it for.
			continue
		}
		conf, err := LabelIssues(g, bin)
		if err != nil {
			return nil, fmt.Errorf("category %d: %w", c, err)
		}
		// LabelIssues keeps its own copies of nothing but indices, so the
		// rows may be reused for the next category.
		out.PerCategory[c] = conf
		for _, is := range conf.Issues {
			if is.Flagged {
				flagged[is.Item][c] = true
			}
		}
	}
	out.Issues = make([]LabelSetIssue, n)
	for i := range n {
		// decision(c) is the probability of item i's given decision on c.
		decision := func(c int) float64 {
			if has[i][c] {
				return probs[i][c]
			}
			return 1 - probs[i][c]
		}
		is := LabelSetIssue{Item: i, Given: slices.Sorted(slices.Values(given[i])), SelfConfidence: 1}
		is.Given = slices.Compact(is.Given)
		worst := 0
		for c := range K {
			if d := decision(c); d < is.SelfConfidence || c == 0 {
				is.SelfConfidence, worst = d, c
			}
			if flagged[i][c] {
				is.Flagged = true
				is.Doubted = append(is.Doubted, c)
			}
		}
		if len(is.Doubted) == 0 {
			is.Doubted = []int{worst}
		}
		sort.SliceStable(is.Doubted, func(a, b int) bool { return decision(is.Doubted[a]) < decision(is.Doubted[b]) })
		turned := slices.Clone(has[i])
		is.SuggestedProbability = math.Inf(1)
		for _, c := range is.Doubted {
			turned[c] = !turned[c]
			is.SuggestedProbability = math.Min(is.SuggestedProbability, 1-decision(c))
		}
		for c, on := range turned {
			if on {
				is.Suggested = append(is.Suggested, c)
			}
		}
		if is.Flagged {
			out.Errors++
		}
		out.Issues[i] = is
	}
	sort.SliceStable(out.Issues, func(a, b int) bool {
		x, y := out.Issues[a], out.Issues[b]
		if x.Flagged != y.Flagged {
			return x.Flagged
		}
		if x.SelfConfidence != y.SelfConfidence {
			return x.SelfConfidence < y.SelfConfidence
		}
		return x.Item < y.Item
	})
	return out, nil
}
