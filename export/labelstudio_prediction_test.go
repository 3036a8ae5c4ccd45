package export_test

import (
	"encoding/json"
	"strings"
	"testing"

	"concord/annotate"
	"concord/export"
	"concord/seeds"
)

func seedSchema(t *testing.T) *annotate.Schema {
	t.Helper()
	data, err := seeds.FS.ReadFile(seeds.SchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := annotate.ParseSchema(data)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func TestReadLabelStudioPrediction(t *testing.T) {
	sc := seedSchema(t)
	raw := `{"model_version": "bert-3", "score": 0.9, "result": [
		{"from_name": "stance", "to_name": "text", "type": "choices", "value": {"choices": ["Agree"]}},
		{"from_name": "topic", "to_name": "text", "type": "choices", "score": 0.4, "value": {"choices": ["strike", "Iran's response"]}},
		{"from_name": "event", "to_name": "text", "type": "textarea", "value": {"text": ["A new event"]}}]}`
	p, err := export.ReadLabelStudioPrediction(sc, json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	if p.Model != "bert-3" || p.Labels["stance"][0] != "agree" || strings.Join(p.Labels["topic"], ",") != "iran-response,strike" || p.Labels["event"][0] != "A new event" {
		t.Fatalf("got %+v", p)
	}
	if *p.Scores["stance"] != 0.9 || *p.Scores["topic"] != 0.4 || *p.Scores["event"] != 0.9 {
		t.Fatalf("scores: stance %v topic %v event %v, want the result's own score over the prediction's", *p.Scores["stance"], *p.Scores["topic"], *p.Scores["event"])
	}
	in, err := p.SuggestionInputs(sc, 7, "host/bert-3")
	if err != nil || len(in) != 3 || in[0].Dimension != "stance" || in[0].ParagraphID != 7 || in[0].Agent != "host/bert-3" {
		t.Fatalf("inputs %+v %v", in, err)
	}

	bad := []struct{ name, raw, want string }{
		{"not an object", `[1]`, "JSON object"},
		{"unknown dimension", `{"score": 0.5, "result": [{"from_name": "mood", "type": "choices", "value": {"choices": ["x"]}}]}`, "unknown dimension"},
		{"unknown value", `{"score": 0.5, "result": [{"from_name": "stance", "type": "choices", "value": {"choices": ["sarcastic"]}}]}`, "not a value of stance"},
		{"not text classification", `{"score": 0.5, "result": [{"from_name": "stance", "type": "labels", "value": {}}]}`, "not text classification"},
		{"two values on a single", `{"score": 0.5, "result": [{"from_name": "stance", "type": "choices", "value": {"choices": ["agree", "discuss"]}}]}`, "takes one value"},
	}
	for _, tc := range bad {
		if _, err := export.ReadLabelStudioPrediction(sc, json.RawMessage(tc.raw)); err == nil || !strings.Contains(annotate.ErrorMessage(err), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
	// A missing or out-of-range score, or no result, stores nothing.
	for name, raw := range map[string]string{
		"no score":                   `{"result": [{"from_name": "stance", "type": "choices", "value": {"choices": ["agree"]}}]}`,
		"score above 1":              `{"score": 1.5, "result": [{"from_name": "stance", "type": "choices", "value": {"choices": ["agree"]}}]}`,
		"one result's score below 0": `{"score": 0.5, "result": [{"from_name": "stance", "type": "choices", "value": {"choices": ["agree"]}}, {"from_name": "topic", "type": "choices", "score": -1, "value": {"choices": ["strike"]}}]}`,
		"no result":                  `{"score": 0.5, "result": []}`,
	} {
		p, err := export.ReadLabelStudioPrediction(sc, json.RawMessage(raw))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if in, err := p.SuggestionInputs(sc, 7, "a/b"); err == nil || in != nil {
			t.Errorf("%s: got %v, %v; want an error and nothing", name, in, err)
		}
	}
}
