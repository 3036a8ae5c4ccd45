package export_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
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

// TestLabelStudioPredictionsOverManyBatches imports more tasks with
// predictions than one batch of documents holds, one of them a document
// that fails: each batch's predictions are stored after its documents,
// those of the failed document are counted as not imported, and the
// report adds up every batch.
func TestLabelStudioPredictionsOverManyBatches(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	task := func(id int, stance, predicted string, score string) string {
		return fmt.Sprintf(`{"id": %d, "data": {"text": "Task %d said the city is on alert."}, "annotations": [{"completed_by": 5, "result": [{"from_name": "stance", "to_name": "text", "type": "choices", "value": {"choices": [%q]}}, {"from_name": "topic", "to_name": "text", "type": "choices", "value": {"choices": ["strike"]}}]}], "predictions": [{"model_version": "m1"%s, "result": [{"from_name": "stance", "to_name": "text", "type": "choices", "value": {"choices": [%q]}}]}]}`, id, id, stance, score, predicted)
	}
	// Task 300 is stored first with another stance, so that the file's
	// task 300 conflicts with it and fails.
	importText(t, s, "first.jsonl", task(300, "disagree", "agree", `, "score": 0.5`)+"\n", export.ImportOptions{})
	var b strings.Builder
	const n = 650
	for id := 1; id <= n; id++ {
		score := `, "score": 0.75`
		if id%100 == 0 && id != 300 {
			score = "" // no score: not imported
		}
		b.WriteString(task(id, "agree", "discuss", score) + "\n")
	}
	rep, err := export.ImportFile(context.Background(), s, writeTemp(t, "tasks.jsonl", []byte(b.String())), export.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed != 1 || rep.Created != n-1 {
		t.Fatalf("report: %d created, %d failed; want %d and 1 (task 300)", rep.Created, rep.Failed, n-1)
	}
	noScore := 5 // tasks 100, 200, 400, 500, 600
	if want := n - 1 - noScore; rep.Suggestions != want {
		t.Errorf("%d suggestions stored, want %d", rep.Suggestions, want)
	}
	if rep.PredictionsNotImported != 1+noScore {
		t.Errorf("%d predictions not imported, want %d", rep.PredictionsNotImported, 1+noScore)
	}
	for _, want := range []string{"1 prediction(s) not imported: their document was not imported", "5 prediction(s) not imported: they have no score", fmt.Sprintf("%d prediction(s) stored as %d suggestion(s) (agent m1)", n-1-noScore, n-1-noScore)} {
		if !hasNote(rep, want) {
			t.Errorf("notes %q do not say %q", rep.Notes, want)
		}
	}
	// In the database: the file's 644 predictions, and the first file's
	// one for task 300, which the failed task 300 left as it was.
	got := map[string]int{}
	q := annotate.SuggestionQuery{Agent: "m1", Limit: annotate.MaxSuggestionLimit}
	for {
		page, err := s.SuggestionPage(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, sg := range page.Suggestions {
			got[fmt.Sprintf("%v %v", sg.Values, sg.Score)]++
		}
		if page.Next == 0 {
			break
		}
		q.After = page.Next
	}
	if want := map[string]int{"[discuss] 0.75": n - 1 - noScore, "[agree] 0.5": 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("suggestions stored: %v, want %v", got, want)
	}
}
