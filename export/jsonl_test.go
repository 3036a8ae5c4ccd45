package export_test

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"concord/annotate"
	"concord/export"
)

// jsonType names the JSON type of a decoded value, descending into objects
// and arrays so that a nested difference shows.
func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case []any:
		return "array"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return "object{" + strings.Join(keys, ",") + "}"
	}
	return fmt.Sprintf("%T", v)
}

func keysOf(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestDatasetLinesHaveOneShape(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	lines, _ := exportLines(t, f.store, export.Options{})
	if got, want := len(lines), len(f.paras)-1; got != want {
		t.Fatalf("got %d lines, want %d (every paragraph but the flagged one)", got, want)
	}
	wantKeys := []string{"annotations", "consensus", "consensus_confidence", "consensus_method", "document_id", "document_key", "flags", "gold", "gold_source", "gold_support", "id", "paragraph_id", "position", "source", "split", "suggestions", "text", "title"}
	// Types that may be null on some lines and set on others, as datasets
	// loaders accept; everything else must have one type on every line.
	nullable := map[string]bool{"gold_source": true, "split": false}
	types := map[string]string{}
	for i, l := range lines {
		if got := keysOf(l); !slices.Equal(got, wantKeys) {
			t.Fatalf("line %d keys: got %v, want %v", i+1, got, wantKeys)
		}
		for k, v := range l {
			typ := jsonType(v)
			if typ == "null" && nullable[k] {
				continue
			}
			if prev, ok := types[k]; ok && prev != typ {
				t.Errorf("line %d: %s is %s, earlier lines have %s", i+1, k, typ, prev)
			}
			types[k] = typ
		}
		for _, k := range []string{"gold", "gold_support"} {
			obj := l[k].(map[string]any)
			if got := keysOf(obj); !slices.Equal(got, []string{"event", "stance", "topic"}) {
				t.Errorf("line %d: %s keys %v, want every dimension", i+1, k, got)
			}
			if k == "gold" {
				if _, ok := obj["topic"].([]any); !ok {
					t.Errorf("line %d: gold.topic is %s, want an array", i+1, jsonType(obj["topic"]))
				}
			}
		}
		for _, a := range l["annotations"].([]any) {
			am := a.(map[string]any)
			if got := keysOf(am); !slices.Equal(got, []string{"annotator", "labels", "time"}) {
				t.Errorf("line %d: annotation keys %v", i+1, got)
			}
		}
	}
}

func TestDatasetGoldAndTexts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	lines, _ := exportLines(t, f.store, export.Options{})
	byText := map[string]map[string]any{}
	for _, l := range lines {
		byText[l["text"].(string)] = l
	}
	for _, txt := range hardTexts {
		if byText[txt] == nil {
			t.Errorf("text %q did not come back unchanged", txt)
		}
	}
	first := byText["Police in New York raised security after the strike."]
	if got := first["gold_source"]; got != "majority" {
		t.Errorf("majority paragraph: gold_source %v, want majority", got)
	}
	gold := first["gold"].(map[string]any)
	if gold["stance"] != "agree" || !reflect.DeepEqual(gold["topic"], []any{"homeland-security"}) || gold["event"] != nil {
		t.Errorf("majority gold: got %v, want stance agree, topic [homeland-security], event null", gold)
	}
	sup := first["gold_support"].(map[string]any)
	if got := sup["stance"].(float64); got != 0.6667 {
		t.Errorf("stance support: got %v, want 0.6667", got)
	}
	adj := byText["Officials said there is no credible threat to the homeland."]
	if adj["gold_source"] != "adjudicated" || adj["gold"].(map[string]any)["stance"] != "disagree" {
		t.Errorf("adjudicated paragraph: got source %v gold %v, want adjudicated disagree", adj["gold_source"], adj["gold"])
	}
	if got := adj["gold_support"].(map[string]any)["stance"].(float64); got != 0.5 {
		t.Errorf("adjudicated support: got %v, want 0.5 (one of two annotators)", got)
	}
	for _, p := range f.paras {
		if l := byText[p.Text]; l == nil && len(p.Text) > 39000 {
			t.Errorf("the %d-character text did not come back whole", len(p.Text))
		}
	}
}

func TestDatasetFilters(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	all, _ := exportLines(t, f.store, export.Options{IncludeFlagged: true})
	if got, want := len(all), len(f.paras); got != want {
		t.Fatalf("include flagged: got %d lines, want %d", got, want)
	}
	flagged := 0
	for _, l := range all {
		if fl := l["flags"].([]any); len(fl) > 0 {
			flagged++
			if fl[0] != "not_relevant" {
				t.Errorf("flags: got %v, want [not_relevant]", fl)
			}
		}
	}
	if flagged != 1 {
		t.Errorf("got %d flagged lines, want 1", flagged)
	}
	tests := []struct {
		name string
		opt  export.Options
		want int
	}{
		{"gold only", export.Options{GoldOnly: true}, len(f.paras) - 1},
		{"min agreement 0.7 drops the 2-of-3 majority", export.Options{MinAgreement: 0.7}, len(f.paras) - 2},
		// carol's one paragraph has her labels alone: not gold.
		{"annotator carol alone", export.Options{Annotators: []string{"carol"}, GoldOnly: true}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lines, _ := exportLines(t, f.store, tc.opt)
			if len(lines) != tc.want {
				t.Errorf("got %d lines, want %d", len(lines), tc.want)
			}
			for _, l := range lines {
				if tc.opt.GoldOnly && l["gold_source"] == nil {
					t.Errorf("gold only kept a line without gold: %v", l["id"])
				}
				for _, a := range l["annotations"].([]any) {
					if n := a.(map[string]any)["annotator"]; len(tc.opt.Annotators) > 0 && !slices.Contains(tc.opt.Annotators, n.(string)) {
						t.Errorf("annotator %v was not asked for", n)
					}
				}
			}
		})
	}
	lines, _ := exportLines(t, f.store, export.Options{Dimensions: []string{"stance"}})
	if got := keysOf(lines[0]["gold"].(map[string]any)); !slices.Equal(got, []string{"stance"}) {
		t.Errorf("dimensions stance: gold keys %v, want [stance]", got)
	}
}

func TestBadOptionsWriteNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		opt   export.Options
		field string
	}{
		{export.Options{Dimensions: []string{"mood"}}, "dimensions"},
		{export.Options{Annotators: []string{"zed"}}, "annotators"},
		{export.Options{Shape: "csv"}, "shape"},
		{export.Options{Format: "pdf"}, "format"},
		{export.Options{MinAgreement: 2}, "min_agreement"},
		{export.Options{Split: export.SplitOptions{Stratify: "mood"}}, "stratify"},
	}
	for _, tc := range tests {
		var buf strings.Builder
		_, err := export.Write(context.Background(), f.store, &buf, tc.opt)
		var de *annotate.Error
		if err == nil || !errorsAs(err, &de) || de.Field != tc.field {
			t.Errorf("options %+v: got error %v, want EINVALID on %s", tc.opt, err, tc.field)
		}
		if buf.Len() != 0 {
			t.Errorf("options %+v: wrote %d bytes, want none", tc.opt, buf.Len())
		}
	}
}

func errorsAs(err error, target **annotate.Error) bool {
	e, ok := err.(*annotate.Error)
	if ok {
		*target = e
	}
	return ok
}

func TestAnnotationsShape(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	lines, _ := exportLines(t, f.store, export.Options{Shape: export.ShapeAnnotations, IncludeFlagged: true})
	// Count the labels stored: one line per annotator, paragraph and
	// answered dimension.
	want := 0
	for _, p := range f.paras {
		anns, err := f.store.Annotations(context.Background(), p.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range anns {
			want += len(a.Labels)
		}
	}
	if len(lines) != want {
		t.Fatalf("got %d lines, want %d", len(lines), want)
	}
	for i, l := range lines {
		if got := keysOf(l); !slices.Equal(got, []string{"annotator", "dimension", "item", "paragraph_id", "time", "value"}) {
			t.Fatalf("line %d keys %v", i+1, got)
		}
		if l["item"] != fmt.Sprint(l["paragraph_id"]) {
			t.Errorf("line %d: item %v is not the paragraph id %v", i+1, l["item"], l["paragraph_id"])
		}
		_, isArray := l["value"].([]any)
		if (l["dimension"] == "topic") != isArray {
			t.Errorf("line %d: %v value %v: multi dimensions take arrays, others strings", i+1, l["dimension"], l["value"])
		}
	}
}

func TestLabelStudioAndDoccanoShapes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ls, _ := exportLines(t, f.store, export.Options{Shape: export.ShapeLabelStudio})
	gt := 0
	for i, l := range ls {
		data := l["data"].(map[string]any)
		if _, ok := data["text"].(string); !ok {
			t.Fatalf("task %d has no data.text", i+1)
		}
		for _, a := range l["annotations"].([]any) {
			am := a.(map[string]any)
			if am["ground_truth"] == true {
				gt++
			}
			for _, r := range am["result"].([]any) {
				rm := r.(map[string]any)
				if rm["to_name"] != "text" {
					t.Errorf("task %d: to_name %v, want text", i+1, rm["to_name"])
				}
				if rm["from_name"] == "event" {
					if rm["type"] != "textarea" {
						t.Errorf("event result type %v, want textarea", rm["type"])
					}
					continue
				}
				if rm["type"] != "choices" || rm["value"].(map[string]any)["choices"] == nil {
					t.Errorf("task %d: result %v is not a choices result", i+1, rm)
				}
			}
		}
	}
	if gt != 1 {
		t.Errorf("got %d ground-truth annotations, want 1 (the adjudicated paragraph)", gt)
	}
	dc, _ := exportLines(t, f.store, export.Options{Shape: export.ShapeDoccano})
	found := false
	for _, l := range dc {
		labels := l["label"].([]any)
		if slices.Contains(labels, any("stance:agree")) && slices.Contains(labels, any("topic:homeland-security")) {
			found = true
		}
		for _, lb := range labels {
			if !strings.Contains(lb.(string), ":") {
				t.Errorf("doccano label %v is not dimension:value", lb)
			}
		}
	}
	if !found {
		t.Errorf("no doccano line carries stance:agree and topic:homeland-security")
	}
}

func TestSplitByDocument(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	for d := range 30 {
		paras := make([]string, 2+d%4)
		for i := range paras {
			paras[i] = fmt.Sprintf("Document %d says thing number %d in a sentence.", d, i)
		}
		importDoc(t, s, fmt.Sprintf("doc-%02d", d), fmt.Sprintf("Title %d", d), paras...)
	}
	run := func(opt export.Options) map[string]string {
		lines, _ := exportLines(t, s, opt)
		docSplit := map[string]string{}
		for _, l := range lines {
			key, sp := l["document_key"].(string), l["split"].(string)
			if prev, ok := docSplit[key]; ok && prev != sp {
				t.Fatalf("document %s is in %s and %s", key, prev, sp)
			}
			docSplit[key] = sp
		}
		return docSplit
	}
	a := run(export.Options{Split: export.SplitOptions{Seed: 3}})
	b := run(export.Options{Split: export.SplitOptions{Seed: 3}})
	if !reflect.DeepEqual(a, b) {
		t.Errorf("the same seed gave different splits")
	}
	c := run(export.Options{Split: export.SplitOptions{Seed: 4}})
	if reflect.DeepEqual(a, c) {
		t.Errorf("seeds 3 and 4 gave the same split")
	}
	// A document's split depends on its key alone: more documents, and
	// documents the filters leave out, move none of the others.
	var more []annotate.Source
	for d := 30; d < 600; d++ {
		more = append(more, annotate.Source{Key: fmt.Sprintf("doc-%03d", d), Title: "More", Text: []byte(fmt.Sprintf("Another document, number %d, in a sentence.", d)), Origin: "more"})
	}
	if rep, err := s.ImportDocuments(context.Background(), 0, more); err != nil || rep.Created != len(more) {
		t.Fatalf("import more documents: %v %+v", err, rep)
	}
	all := run(export.Options{Split: export.SplitOptions{Seed: 3}})
	for key, sp := range a {
		if all[key] != sp {
			t.Errorf("document %s moved from %s to %s when other documents were added", key, sp, all[key])
		}
	}
	counts := map[string]int{}
	for _, sp := range all {
		counts[sp]++
	}
	if counts["train"] < 450 || counts["train"] > 510 || counts["dev"] < 40 || counts["test"] < 40 {
		t.Errorf("split of 600 documents at 80/10/10: got %v", counts)
	}
	lines, _ := exportLines(t, s, export.Options{Split: export.SplitOptions{Off: true}})
	if lines[0]["split"] != nil {
		t.Errorf("split off: got %v, want null", lines[0]["split"])
	}
}

func TestWriteStopsOnWriterError(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, err := export.Write(context.Background(), f.store, failingWriter{}, export.Options{})
	if err == nil {
		t.Fatal("got no error writing to a failing writer")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }
