package export_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"concord/annotate"
	"concord/export"
)

// goldFixture is two documents whose paragraphs show every gold source: one
// annotator, two who disagree, two who agree, and two of three.
type goldFixture struct {
	store *annotate.Store
	// ids maps each case to its paragraph id.
	ids map[string]int64
}

func newGoldFixture(t *testing.T) *goldFixture {
	t.Helper()
	ctx := context.Background()
	s := newStore(t)
	users := map[string]int64{}
	for _, n := range []string{"alice", "bob", "carol"} {
		u, err := s.CreateUser(ctx, 0, n, annotate.RoleAnnotator, "")
		if err != nil {
			t.Fatal(err)
		}
		users[n] = u.ID
	}
	a := importDoc(t, s, "one.txt", "One", "Only alice read this one.", "Alice and bob split on this one.")
	b := importDoc(t, s, "two.txt", "Two", "Alice and bob agree on this one.", "Two of three agree on this one.")
	agree := annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}
	other := annotate.Labels{"stance": {"disagree"}, "topic": {"strike"}}
	label(t, s, users["alice"], a[0].ID, agree)
	label(t, s, users["alice"], a[1].ID, agree)
	label(t, s, users["bob"], a[1].ID, other)
	label(t, s, users["alice"], b[0].ID, agree)
	label(t, s, users["bob"], b[0].ID, agree)
	label(t, s, users["alice"], b[1].ID, agree)
	label(t, s, users["bob"], b[1].ID, agree)
	label(t, s, users["carol"], b[1].ID, other)
	return &goldFixture{store: s, ids: map[string]int64{"single": a[0].ID, "tie": a[1].ID, "unanimous": b[0].ID, "two of three": b[1].ID}}
}

// TestGoldSources checks that the dataset says how each gold label was
// reached: one annotator is single (no support), a split of two is a tie
// (no gold label), and only a strict majority is majority.
func TestGoldSources(t *testing.T) {
	f := newGoldFixture(t)
	lines, _ := exportLines(t, f.store, export.Options{Split: export.SplitOptions{Off: true}})
	byID := map[int64]map[string]any{}
	for _, l := range lines {
		byID[int64(l["paragraph_id"].(float64))] = l
	}
	cases := []struct {
		name, source string
		stance       any
		support      any
	}{
		{"single", "single", "agree", nil},
		{"tie", "tie", nil, nil},
		{"unanimous", "majority", "agree", 1.0},
		{"two of three", "majority", "agree", 0.6667},
	}
	for _, tc := range cases {
		l := byID[f.ids[tc.name]]
		if l == nil {
			t.Fatalf("%s: no line", tc.name)
		}
		var stance any
		if g, ok := l["gold"].(map[string]any); ok {
			stance = g["stance"]
		}
		support := l["gold_support"].(map[string]any)["stance"]
		if l["gold_source"] != tc.source || stance != tc.stance || support != tc.support {
			t.Errorf("%s: gold_source %v, gold stance %v, support %v; want %s, %v, %v", tc.name, l["gold_source"], stance, support, tc.source, tc.stance, tc.support)
		}
	}
}

// TestGoldFilters checks that gold only and minimum agreement keep neither
// single-annotator paragraphs nor ties, and say so.
func TestGoldFilters(t *testing.T) {
	f := newGoldFixture(t)
	for _, tc := range []struct {
		name     string
		opt      export.Options
		includes string
	}{
		{"gold only", export.Options{GoldOnly: true}, "paragraphs labelled by a single annotator and ties are left out"},
		{"minimum agreement", export.Options{MinAgreement: 0.5}, "a paragraph labelled by a single annotator cannot pass it"},
	} {
		var buf strings.Builder
		sum, err := export.Write(context.Background(), f.store, &buf, tc.opt)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), "Alice and bob agree") || !strings.Contains(buf.String(), "Two of three agree") {
			t.Errorf("%s: the majority paragraphs are missing:\n%s", tc.name, buf.String())
		}
		if strings.Contains(buf.String(), "Only alice read") || strings.Contains(buf.String(), "split on this one") {
			t.Errorf("%s: kept a single-annotator paragraph or a tie:\n%s", tc.name, buf.String())
		}
		if sum.Paragraphs != 2 || len(sum.Skipped) != 2 {
			t.Errorf("%s: summary %+v, want 2 paragraphs and 2 reasons to leave out", tc.name, sum)
		}
		for r, n := range sum.Skipped {
			if n != 1 || !strings.Contains(r, "single annotator") && !strings.Contains(r, "tie") {
				t.Errorf("%s: left out %d for %q, want one single-annotator paragraph and one tie", tc.name, n, r)
			}
		}
		if len(sum.Includes) != 1 || !strings.Contains(sum.Includes[0], tc.includes) {
			t.Errorf("%s: includes %q, want it to say %q", tc.name, sum.Includes, tc.includes)
		}
	}
}

// TestSingleAsGold checks that single as gold makes gold only keep a
// single annotator's paragraph, never past a minimum agreement, and only
// with gold only.
func TestSingleAsGold(t *testing.T) {
	f := newGoldFixture(t)
	ctx := context.Background()
	var buf strings.Builder
	sum, err := export.Write(ctx, f.store, &buf, export.Options{GoldOnly: true, SingleAsGold: true})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Paragraphs != 3 || !strings.Contains(buf.String(), "Only alice read") || strings.Contains(buf.String(), "split on this one") {
		t.Errorf("gold only with single as gold: %d paragraphs, want the single one and the two majorities:\n%s", sum.Paragraphs, buf.String())
	}
	if len(sum.Includes) != 1 || !strings.Contains(sum.Includes[0], "(single as gold) those labelled by a single annotator") {
		t.Errorf("includes %q, want it to say single-annotator paragraphs are kept", sum.Includes)
	}
	sum, err = export.Write(ctx, f.store, &buf, export.Options{GoldOnly: true, SingleAsGold: true, MinAgreement: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Paragraphs != 2 {
		t.Errorf("single as gold with a minimum agreement: %d paragraphs, want the two majorities", sum.Paragraphs)
	}
	if _, err := export.Write(ctx, f.store, &buf, export.Options{SingleAsGold: true}); !errors.Is(err, annotate.ErrInvalid) || !strings.Contains(err.Error(), "gold only") {
		t.Errorf("single as gold without gold only: %v, want EINVALID naming gold only", err)
	}
}

// TestSplitWarning checks that a split that cannot give every part a
// document says so in the summary, in the About sheet and to the export
// page, and that one that can says nothing. Two documents cannot fill
// train, dev and test; which parts stay empty depends on their keys'
// hashes, and the warning names those.
func TestSplitWarning(t *testing.T) {
	f := newGoldFixture(t)
	ctx := context.Background()
	lines, _ := exportLines(t, f.store, export.Options{})
	used := map[string]bool{}
	for _, l := range lines {
		used[l["split"].(string)] = true
	}
	var empty []string
	for _, sp := range []string{"train", "dev", "test"} {
		if !used[sp] {
			empty = append(empty, sp)
		}
	}
	if len(empty) == 0 {
		t.Fatalf("two documents filled three parts: %v", used)
	}
	wantText := "the split 80/10/10 cannot give " + strings.Join(empty, " and ") + " a document"
	_, sum, _ := writeXLSX(t, f.store, export.Options{})
	if len(sum.Warnings) != 1 || !strings.Contains(sum.Warnings[0], wantText) || !strings.Contains(sum.Warnings[0], "2 document(s)") {
		t.Fatalf("80/10/10 over two documents: warnings %q, want one with %q", sum.Warnings, wantText)
	}
	wb, _, _ := writeXLSX(t, f.store, export.Options{GoldOnly: true})
	about := ""
	for _, r := range rowsOf(t, wb, "About") {
		about += strings.Join(r, "\t") + "\n"
	}
	for _, want := range []string{"warning\t" + wantText, "included\tgold only keeps adjudicated paragraphs", "single annotator"} {
		if !strings.Contains(about, want) {
			t.Errorf("About has no %q:\n%s", want, about)
		}
	}
	w, err := export.SplitWarning(ctx, f.store, export.Options{})
	if err != nil || w != sum.Warnings[0] {
		t.Errorf("SplitWarning = %q, %v; want the export's warning %q", w, err, sum.Warnings[0])
	}
	for _, ok := range []export.SplitOptions{{Ratios: [3]float64{100, 0, 0}}, {Off: true}} {
		w, err := export.SplitWarning(ctx, f.store, export.Options{Split: ok})
		if err != nil || w != "" {
			t.Errorf("split %+v: warning %q, %v; want none", ok, w, err)
		}
	}
}
