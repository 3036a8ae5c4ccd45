package learn

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// Evaluation is the result of CrossValidate: every item's out-of-fold
// probabilities and the scores they give.
type Evaluation struct {
	Categories []string
	Multi      bool
	Folds      int
	// Fold is the fold each item was held out in.
	Fold []int
	// Probabilities[i] is item i's probabilities, in the order of
	// Categories, from the model trained on the other folds.
	Probabilities [][]float64
	// Given is each item's label as a category index (single-choice only),
	// the input LabelIssues takes beside Probabilities.
	Given []int
	// Accuracy is the share of items whose most probable category is their
	// label; for a multi-label dimension it is SubsetAccuracy.
	Accuracy float64
	// MacroF1 is the unweighted mean of the categories' F1, over the
	// categories given or predicted at least once.
	MacroF1 float64
	// MicroF1 pools every (item, category) decision of a multi-label
	// dimension; for a single-choice one it equals Accuracy.
	MicroF1 float64
	// SubsetAccuracy is the share of items of a multi-label dimension
	// whose predicted set (probability ≥ 0.5) is exactly their labels.
	SubsetAccuracy float64
	PerCategory    []CategoryScore
}

// CategoryScore is one category's precision, recall and F1 over the
// out-of-fold predictions; Support is the number of items labelled with it.
type CategoryScore struct {
	Category                string
	Precision, Recall, F1   float64
	Support, Predicted, Hit int
}

// Folds assigns each item of d to one of k folds, stratified by label
// (single-choice) or by label set (multi-label): the items of each stratum
// are shuffled with seed and dealt round the folds in turn, the deal
// carrying on from one stratum to the next so that the folds differ in
// size by at most one.
func Folds(d Data, k int, seed uint64) ([]int, error) {
	p, err := d.prepare()
	if err != nil {
		return nil, err
	}
	return p.folds(len(d.Texts), k, seed)
}

func (p *prepared) folds(n, k int, seed uint64) ([]int, error) {
	if k < 2 {
		return nil, fmt.Errorf("%w: %d folds; cross-validation needs at least 2", ErrInvalid, k)
	}
	if k > n {
		return nil, fmt.Errorf("%w: %d folds for %d items; use at most %d folds", ErrInvalid, k, n, n)
	}
	counts := make([]int, len(p.categories))
	key := make([]string, n)
	for i := range n {
		if p.multi != nil {
			var b strings.Builder
			for _, c := range p.multi[i] {
				counts[c]++
				fmt.Fprintf(&b, "%d,", c)
			}
			key[i] = b.String()
		} else {
			counts[p.single[i]]++
			key[i] = fmt.Sprint(p.single[i])
		}
	}
	for c, m := range counts {
		if m > 0 && m < k {
			return nil, fmt.Errorf("%w: category %q has %d items, fewer than the %d folds; use at most %d folds or label more items with it", ErrInvalid, p.categories[c], m, k, m)
		}
	}
	strata := map[string][]int{}
	var keys []string
	for i, s := range key {
		if _, ok := strata[s]; !ok {
			keys = append(keys, s)
		}
		strata[s] = append(strata[s], i)
	}
	slices.Sort(keys)
	r := rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d))
	fold := make([]int, n)
	next := 0
	for _, s := range keys {
		items := strata[s]
		r.Shuffle(len(items), func(a, b int) { items[a], items[b] = items[b], items[a] })
		for _, i := range items {
			fold[i] = next
			next = (next + 1) % k
		}
	}
	return fold, nil
}

// CrossValidate trains k models, each on all folds but one, and predicts
// the held-out fold with it, so that every item gets probabilities from a
// model that never saw it. The vectorizer is fitted inside each training
// set too. Folds come from Folds(d, k, seed).
func CrossValidate(d Data, k int, seed uint64, opt Options) (*Evaluation, error) {
	opt, err := opt.resolve()
	if err != nil {
		return nil, err
	}
	p, err := d.prepare()
	if err != nil {
		return nil, err
	}
	n := len(d.Texts)
	fold, err := p.folds(n, k, seed)
	if err != nil {
		return nil, err
	}
	ev := &Evaluation{Categories: p.categories, Multi: d.Multi, Folds: k, Fold: fold, Probabilities: make([][]float64, n)}
	if !d.Multi {
		ev.Given = p.single
	}
	for f := range k {
		var texts, held []string
		var heldAt []int
		sub := &prepared{categories: p.categories}
		for i := range n {
			if fold[i] == f {
				held = append(held, d.Texts[i])
				heldAt = append(heldAt, i)
				continue
			}
			texts = append(texts, d.Texts[i])
			if d.Multi {
				sub.multi = append(sub.multi, p.multi[i])
			} else {
				sub.single = append(sub.single, p.single[i])
			}
		}
		m, err := train(texts, sub, d.Multi, opt)
		if err != nil {
			return nil, fmt.Errorf("fold %d of %d: %w", f+1, k, err)
		}
		for j, probs := range m.PredictBatch(held) {
			ev.Probabilities[heldAt[j]] = probs
		}
	}
	ev.score(p)
	return ev, nil
}

func (ev *Evaluation) score(p *prepared) {
	K, n := len(p.categories), len(ev.Probabilities)
	scores := make([]CategoryScore, K)
	for c := range scores {
		scores[c].Category = p.categories[c]
	}
	correct := 0
	for i, probs := range ev.Probabilities {
		if !ev.Multi {
			top := argmax(probs)
			scores[p.single[i]].Support++
			scores[top].Predicted++
			if top == p.single[i] {
				scores[top].Hit++
				correct++
			}
			continue
		}
		exact := true
		for c, q := range probs {
			has := slices.Contains(p.multi[i], c)
			if has {
				scores[c].Support++
			}
			if q >= 0.5 {
				scores[c].Predicted++
				if has {
					scores[c].Hit++
				}
			}
			if has != (q >= 0.5) {
				exact = false
			}
		}
		if exact {
			correct++
		}
	}
	var sumF1 float64
	var counted, hits, support, predicted int
	for c := range scores {
		s := &scores[c]
		s.Precision, s.Recall = ratio(s.Hit, s.Predicted), ratio(s.Hit, s.Support)
		s.F1 = ratio(2*s.Hit, s.Support+s.Predicted)
		hits, support, predicted = hits+s.Hit, support+s.Support, predicted+s.Predicted
		if s.Support+s.Predicted > 0 {
			sumF1 += s.F1
			counted++
		}
	}
	ev.PerCategory = scores
	ev.Accuracy = ratio(correct, n)
	ev.MacroF1 = sumF1 / float64(max(counted, 1))
	if ev.Multi {
		ev.SubsetAccuracy = ev.Accuracy
		ev.MicroF1 = ratio(2*hits, support+predicted)
	} else {
		ev.MicroF1 = ev.Accuracy
	}
}

// ratio is a / b, and 0 when b is 0 (scikit-learn's zero_division=0).
func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func argmax(p []float64) int {
	best := 0
	for k, v := range p {
		if v > p[best] {
			best = k
		}
	}
	return best
}
