package export_test

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"concord/agreement"
	"concord/annotate"
	"concord/export"
)

// honestySnapshot is everything suggestions must leave alone: the
// agreement between the annotators, the consensus, and what the exports
// write as gold and annotations.
type honestySnapshot struct {
	Agreement   string
	LabelRows   string
	Consensus   string
	Dataset     []map[string]any
	Annotations []string
	Doccano     []string
	LsAnns      []any
	Paragraphs  [][]string
	Users       int
}

func snapshot(t *testing.T, s *annotate.Store, ids []int64) honestySnapshot {
	t.Helper()
	ctx := context.Background()
	var h honestySnapshot
	// The agreement from the labels as read now, not from the cache.
	ls, err := s.AgreementLabels(ctx, annotate.AgreementFilter{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(annotate.BuildAgreement(ls.Schema, ls.Rows, ls.Gold, agreement.Options{}))
	h.Agreement = string(b)
	b, _ = json.Marshal(ls.Rows)
	h.LabelRows = string(b)
	run, err := s.ConsensusNow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	items, err := s.ConsensusOf(ctx, run, ids)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(items)
	h.Consensus = string(b)
	all := export.Options{IncludeFlagged: true, Split: export.SplitOptions{Off: true}}
	h.Dataset, _ = exportLines(t, s, all)
	for _, l := range h.Dataset {
		delete(l, "suggestions")
	}
	_, h.Annotations = exportLines(t, s, export.Options{IncludeFlagged: true, Shape: export.ShapeAnnotations, Split: export.SplitOptions{Off: true}})
	_, h.Doccano = exportLines(t, s, export.Options{IncludeFlagged: true, Shape: export.ShapeDoccano, Split: export.SplitOptions{Off: true}})
	lsLines, _ := exportLines(t, s, export.Options{IncludeFlagged: true, Shape: export.ShapeLabelStudio, Split: export.SplitOptions{Off: true}})
	for _, l := range lsLines {
		h.LsAnns = append(h.LsAnns, l["annotations"])
	}
	wb, _, _ := writeXLSX(t, s, all)
	h.Paragraphs = rowsOf(t, wb, export.SheetParagraphs)
	users, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h.Users = len(users)
	return h
}

// TestSuggestionsStayOutOfLabels stores a confident suggestion that
// disagrees with every annotator on every paragraph, and checks that the
// agreement, the consensus, the gold labels and the exported annotations are
// exactly as they were, while the exports carry the suggestions in fields
// of their own.
func TestSuggestionsStayOutOfLabels(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	s := f.store
	var ids []int64
	for _, p := range f.paras {
		ids = append(ids, p.ID)
	}
	before := snapshot(t, s, ids)

	score := 0.99
	var in []annotate.SuggestionInput
	for _, id := range ids {
		in = append(in,
			annotate.SuggestionInput{ParagraphID: id, Dimension: "stance", Value: ptr("unrelated"), Score: &score, Agent: "contrarian@1"},
			annotate.SuggestionInput{ParagraphID: id, Dimension: "topic", Values: []string{"media", "justice"}, Score: &score, Agent: "contrarian@1"},
		)
	}
	v0, err := s.DataVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutSuggestions(ctx, 0, in); err != nil {
		t.Fatal(err)
	}
	if v1, _ := s.DataVersion(ctx); v1 != v0 {
		t.Errorf("storing suggestions moved the data version the agreement and consensus caches are keyed by, from %d to %d", v0, v1)
	}
	// A note moves the data version, so that the consensus is computed
	// again, now with the suggestions in the database.
	if _, err := s.AddNote(ctx, f.users["rita"], ids[0], "recompute"); err != nil {
		t.Fatal(err)
	}
	after := snapshot(t, s, ids)
	v1, v2 := reflect.ValueOf(before), reflect.ValueOf(after)
	for i := range v1.NumField() {
		if !reflect.DeepEqual(v1.Field(i).Interface(), v2.Field(i).Interface()) {
			t.Errorf("%s changed when suggestions were stored:\nbefore %.400v\nafter  %.400v", v1.Type().Field(i).Name, v1.Field(i).Interface(), v2.Field(i).Interface())
		}
	}

	// The suggestions are in the exports, in their own fields.
	lines, _ := exportLines(t, s, export.Options{IncludeFlagged: true, Split: export.SplitOptions{Off: true}})
	sug := lines[0]["suggestions"].(map[string]any)
	stance := sug["stance"].([]any)
	if len(stance) != 1 || stance[0].(map[string]any)["value"] != "unrelated" || stance[0].(map[string]any)["agent"] != "contrarian@1" || stance[0].(map[string]any)["score"] != 0.99 {
		t.Errorf("dataset suggestions.stance: %v", sug["stance"])
	}
	if topic := sug["topic"].([]any); len(topic) != 1 || !reflect.DeepEqual(topic[0].(map[string]any)["values"], []any{"justice", "media"}) {
		t.Errorf("dataset suggestions.topic: %v", sug["topic"])
	}
	if ev := sug["event"].([]any); len(ev) != 0 {
		t.Errorf("a dimension without suggestions: got %v, want []", ev)
	}
	ls, _ := exportLines(t, s, export.Options{IncludeFlagged: true, Shape: export.ShapeLabelStudio, Split: export.SplitOptions{Off: true}})
	preds := ls[0]["predictions"].([]any)
	if len(preds) != 1 {
		t.Fatalf("label studio predictions: %v", preds)
	}
	pred := preds[0].(map[string]any)
	res := pred["result"].([]any)
	r0 := res[0].(map[string]any)
	if pred["model_version"] != "contrarian@1" || pred["score"] != 0.99 || len(res) != 2 || r0["from_name"] != "stance" || r0["to_name"] != "text" || r0["type"] != "choices" ||
		!reflect.DeepEqual(r0["value"], map[string]any{"choices": []any{"unrelated"}}) {
		t.Errorf("label studio prediction: %v", pred)
	}
	wb, _, _ := writeXLSX(t, s, export.Options{IncludeFlagged: true, Split: export.SplitOptions{Off: true}})
	rows := rowsOf(t, wb, export.SheetSuggestions)
	if len(rows) != 1+2*len(ids) || !reflect.DeepEqual(rows[0], []string{"paragraph_id", "id", "dimension", "suggestion", "score", "agent"}) {
		t.Fatalf("Suggestions sheet: %d rows, header %v", len(rows), rows[0])
	}
	if got := rows[1][2:]; !reflect.DeepEqual(got, []string{"stance", "unrelated", "0.99", "contrarian@1"}) {
		t.Errorf("Suggestions sheet row: %v", got)
	}
	for _, h := range after.Paragraphs[0] {
		if strings.Contains(h, "contrarian") || strings.Contains(h, "suggestion") {
			t.Errorf("the Paragraphs sheet has a column %q", h)
		}
	}
}

// TestLabelStudioPredictionsRoundTrip exports suggestions as Label Studio
// predictions and imports them into another database: they come back as
// suggestions of the same agent, and nobody's labels.
func TestLabelStudioPredictionsRoundTrip(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	score := 0.75
	if _, err := f.store.PutSuggestions(ctx, 0, []annotate.SuggestionInput{{ParagraphID: f.paras[0].ID, Dimension: "stance", Value: ptr("disagree"), Score: &score, Agent: "m@2"}}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := export.Write(ctx, f.store, &buf, export.Options{Shape: export.ShapeLabelStudio, Format: export.FormatJSON, IncludeFlagged: true, Split: export.SplitOptions{Off: true}}); err != nil {
		t.Fatal(err)
	}
	other := newStore(t)
	rep := importText(t, other, "tasks.json", buf.String(), export.ImportOptions{})
	if rep.Suggestions != 1 || rep.PredictionsNotImported != 0 {
		t.Fatalf("report: %d suggestions, %d not imported; notes %v", rep.Suggestions, rep.PredictionsNotImported, rep.Notes)
	}
	page, err := other.SuggestionPage(ctx, annotate.SuggestionQuery{})
	if err != nil || len(page.Suggestions) != 1 {
		t.Fatalf("suggestions: %v %+v", err, page)
	}
	got := page.Suggestions[0]
	if got.Agent != "m@2" || got.Score != 0.75 || got.Values[0] != "disagree" || got.Dimension != "stance" {
		t.Errorf("got %+v", got)
	}
	users, _ := other.Users(ctx)
	for _, u := range users {
		if strings.Contains(u.Name, "m@2") {
			t.Errorf("the model became a user: %s", u.Name)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestDatasetSuggestionMarginRoundTrip exports a suggestion's margin in
// the dataset shape and imports it into another database with it.
func TestDatasetSuggestionMarginRoundTrip(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	in := []annotate.SuggestionInput{
		{ParagraphID: f.paras[0].ID, Dimension: "stance", Value: ptr("disagree"), Score: ptr(0.75), Margin: ptr(0.3), Agent: "m@2"},
		{ParagraphID: f.paras[0].ID, Dimension: "topic", Values: []string{"media"}, Score: ptr(0.6), Agent: "m@2"},
	}
	if _, err := f.store.PutSuggestions(ctx, 0, in); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := export.Write(ctx, f.store, &buf, export.Options{IncludeFlagged: true, Split: export.SplitOptions{Off: true}}); err != nil {
		t.Fatal(err)
	}
	first := strings.SplitN(buf.String(), "\n", 2)[0]
	if !strings.Contains(first, `"score":0.75,"margin":0.3,"agent":"m@2"`) || strings.Count(first, `"margin"`) != 1 {
		t.Fatalf("the dataset line does not carry the one margin given: %s", first)
	}
	other := newStore(t)
	importText(t, other, "dataset.jsonl", buf.String(), export.ImportOptions{})
	page, err := other.SuggestionPage(ctx, annotate.SuggestionQuery{})
	if err != nil || len(page.Suggestions) != 2 {
		t.Fatalf("suggestions: %v %+v", err, page)
	}
	for _, s := range page.Suggestions {
		if s.Dimension == "stance" && (s.Margin == nil || *s.Margin != 0.3) || s.Dimension == "topic" && s.Margin != nil {
			t.Errorf("%s came back with margin %v", s.Dimension, s.Margin)
		}
	}
}
