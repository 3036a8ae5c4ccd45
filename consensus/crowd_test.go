package consensus

import (
	"fmt"
	"strings"
	"testing"
)

// spammerCrowd is a crowd of three careful annotators, each wrong on one
// item in ten, and six spammers: three who answer "yes" whatever the item
// and three who answer by a pattern that ignores it. Half the items are
// "no", so on those the six spammers outvote the careful three whenever
// the pattern spammers say "yes" too.
func spammerCrowd() (*Data, []int32) {
	const items = 40
	d := &Data{Categories: []string{"no", "yes"},
		Annotators: []string{"careful1", "careful2", "careful3", "yes1", "yes2", "yes3", "pattern1", "pattern2", "pattern3"}}
	truth := make([]int32, items)
	for i := range items {
		d.Items = append(d.Items, fmt.Sprintf("q%d", i))
		truth[i] = int32(i % 2)
		for c := range 3 {
			v := truth[i]
			if i%10 == 3*c+1 {
				v = 1 - v
			}
			d.Labels = append(d.Labels, Label{Item: int32(i), Annotator: int32(c), Category: v})
		}
		for s := 3; s < 6; s++ {
			d.Labels = append(d.Labels, Label{Item: int32(i), Annotator: int32(s), Category: 1})
		}
		for s := 6; s < 9; s++ {
			// Yes on two items of three, by position alone.
			v := int32(0)
			if (i+s)%3 != 0 {
				v = 1
			}
			d.Labels = append(d.Labels, Label{Item: int32(i), Annotator: int32(s), Category: v})
		}
	}
	return d, truth
}

// TestDawidSkeneOutweighsSpammers checks that Dawid–Skene learns that the
// spammers' answers say nothing and follows the careful annotators, where
// the vote follows the spammers on the "no" items.
func TestDawidSkeneOutweighsSpammers(t *testing.T) {
	d, truth := spammerCrowd()
	right := func(r *Result) int {
		n := 0
		for i, it := range r.Items {
			if it.Value == truth[i] {
				n++
			}
		}
		return n
	}
	vote := mustInfer(t, d, Options{Method: MajorityVote})
	ds := mustInfer(t, d, Options{})
	if ds.Method != DawidSkene || ds.Reason != "" {
		t.Fatalf("method %s reason %q, want dawid-skene", ds.Method, ds.Reason)
	}
	mv, em := right(vote), right(ds)
	t.Logf("of %d items the vote gets %d right, Dawid–Skene %d", len(d.Items), mv, em)
	if mv > len(d.Items)*3/4 {
		t.Errorf("the vote gets %d of %d right; the crowd is meant to mislead it", mv, len(d.Items))
	}
	if em < len(d.Items)*95/100 || em <= mv {
		t.Errorf("Dawid–Skene gets %d of %d right, the vote %d; want at least 95%% and more than the vote", em, len(d.Items), mv)
	}
	for a, ar := range ds.Annotators {
		spammer := !strings.HasPrefix(d.Annotators[a], "careful")
		if ar.NearChance != spammer {
			t.Errorf("%s: near chance %v (accuracy %.3f, chance %.3f), want %v", d.Annotators[a], ar.NearChance, ar.Accuracy, ar.Chance, spammer)
		}
	}
}

// TestSmallDataFallsBackToTheVote checks the small-data thresholds: two
// items labelled by the same two annotators, who agree on one and not on
// the other, give the vote and a reason (Dawid–Skene would be 0.500 sure
// of the second, which says nothing); so does a wide crowd in which each
// annotator shares too few items; with SmallData it runs.
func TestSmallDataFallsBackToTheVote(t *testing.T) {
	tiny := &Data{Items: []string{"i", "j"}, Annotators: []string{"x", "y"}, Categories: []string{"a", "b"},
		Labels: []Label{{0, 0, 0}, {0, 1, 0}, {1, 0, 0}, {1, 1, 1}}}
	r := mustInfer(t, tiny, Options{})
	if r.Method != MajorityVote || !strings.Contains(r.Reason, "too small to learn reliabilities") || !strings.Contains(r.Reason, "2 item(s)") {
		t.Errorf("2 × 2: method %s reason %q, want the vote and the small-data reason naming the 2 shared items", r.Method, r.Reason)
	}
	if it := r.Items[1]; !it.Tie || it.Value != NoValue {
		t.Errorf("2 × 2: item j = %+v, want the vote's tie", it)
	}
	checkFinite(t, r)
	if forced := mustInfer(t, tiny, Options{SmallData: true}); forced.Method != DawidSkene || forced.Reason != "" {
		t.Errorf("2 × 2 with SmallData: method %s reason %q, want dawid-skene", forced.Method, forced.Reason)
	}

	// Twelve items of two annotators each, drawn from twelve annotators:
	// enough shared items, but two labels per annotator.
	wide := &Data{Categories: []string{"a", "b"}}
	for a := range 12 {
		wide.Annotators = append(wide.Annotators, string(rune('A'+a)))
	}
	for i := range 12 {
		wide.Items = append(wide.Items, string(rune('a'+i)))
		wide.Labels = append(wide.Labels, Label{Item: int32(i), Annotator: int32(i), Category: int32(i % 2)},
			Label{Item: int32(i), Annotator: int32((i + 1) % 12), Category: int32(i % 2)})
	}
	r = mustInfer(t, wide, Options{})
	if r.Method != MajorityVote || !strings.Contains(r.Reason, "2.0 labels each on average") {
		t.Errorf("wide crowd: method %s reason %q, want the vote and the labels-per-annotator reason", r.Method, r.Reason)
	}

	// The spammer crowd is well above both thresholds.
	d, _ := spammerCrowd()
	if r := mustInfer(t, d, Options{}); r.Method != DawidSkene {
		t.Errorf("spammer crowd: method %s reason %q, want dawid-skene", r.Method, r.Reason)
	}
}
