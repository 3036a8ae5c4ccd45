package learn

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestLabelSetIssuesByHand: one category, three items; the item given the
// category the model gives 0.05 is flagged first with the category taken
// out, and its self-confidence is that 0.05.
func TestLabelSetIssuesByHand(t *testing.T) {
	given := [][]int{{0}, {0}, {}, {}, {0}}
	probs := [][]float64{{0.9}, {0.8}, {0.1}, {0.2}, {0.05}}
	c, err := LabelSetIssues(given, probs)
	if err != nil {
		t.Fatal(err)
	}
	top := c.Issues[0]
	if top.Item != 4 || !top.Flagged || top.SelfConfidence != 0.05 || len(top.Suggested) != 0 || !slices.Equal(top.Doubted, []int{0}) {
		t.Errorf("top issue %+v, want item 4 flagged, self-confidence 0.05, suggested set empty", top)
	}
	if got := top.SuggestedProbability; got != 0.95 {
		t.Errorf("suggested probability %v, want 0.95", got)
	}
	if c.Errors != 1 {
		t.Errorf("%d estimated errors, want 1", c.Errors)
	}
	for _, is := range c.Issues[1:] {
		if is.Flagged {
			t.Errorf("item %d flagged too: %+v", is.Item, is)
		}
	}
	if _, err := LabelSetIssues(given, probs[:2]); err == nil {
		t.Error("mismatched rows: no error")
	}
	if _, err := LabelSetIssues([][]int{{3}}, [][]float64{{0.5}}); err == nil {
		t.Error("category out of range: no error")
	}
}

// TestLabelSetIssuesFindFlippedDecisions turns one decision round on a
// tenth of a generated multi-label corpus and asks the ranking's top k
// (k turned) to hold at least 60% of them.
func TestLabelSetIssuesFindFlippedDecisions(t *testing.T) {
	const n, K = 1200, 4
	c := newCorpus(5, K, 40, 400)
	r := rand.New(rand.NewPCG(8, 8))
	d := Data{Multi: true}
	for i := range n {
		a := i % K
		set := []int{a}
		text := c.paragraph(a, 200, 0.1)
		if r.IntN(2) == 0 {
			b := (a + 1 + r.IntN(K-1)) % K
			set = append(set, b)
			text += " " + c.paragraph(b, 200, 0.1)
		}
		var labels []string
		for _, k := range set {
			labels = append(labels, fmt.Sprintf("t%d", k))
		}
		d.Texts = append(d.Texts, text)
		d.Labels = append(d.Labels, labels)
	}
	flipped := map[int]bool{}
	for _, i := range r.Perm(n)[:n/10] {
		k := fmt.Sprintf("t%d", r.IntN(K))
		if j := slices.Index(d.Labels[i], k); j >= 0 {
			if len(d.Labels[i]) == 1 {
				continue
			}
			d.Labels[i] = slices.Delete(slices.Clone(d.Labels[i]), j, j+1)
		} else {
			d.Labels[i] = append(slices.Clone(d.Labels[i]), k)
		}
		flipped[i] = true
	}
	ev, err := CrossValidate(d, 5, 3, small)
	if err != nil {
		t.Fatal(err)
	}
	given := make([][]int, n)
	for i, labels := range d.Labels {
		for _, l := range labels {
			given[i] = append(given[i], slices.Index(ev.Categories, l))
		}
	}
	cs, err := LabelSetIssues(given, ev.Probabilities)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, is := range cs.Issues[:len(flipped)] {
		if flipped[is.Item] {
			found++
		}
	}
	t.Logf("subset accuracy %.3f against the noisy sets; %d estimated errors; top %d hold %d turned", ev.SubsetAccuracy, cs.Errors, len(flipped), found)
	if float64(found) < 0.6*float64(len(flipped)) {
		t.Errorf("the top %d hold %d turned decisions, want at least 60%%", len(flipped), found)
	}
	for _, is := range cs.Issues[:10] {
		if slices.Equal(is.Suggested, is.Given) {
			t.Errorf("issue %+v suggests the given set", is)
		}
		if len(is.Doubted) == 0 {
			t.Errorf("issue %+v doubts no category", is)
		}
	}
}
