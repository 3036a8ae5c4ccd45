package export

import (
	"reflect"
	"testing"

	"concord/annotate"
	"concord/seeds"
)

// defaultSchema is the seed corpus's label schema.
func defaultSchema(t *testing.T) *annotate.Schema {
	t.Helper()
	raw, err := seeds.FS.ReadFile("schema.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := annotate.ParseSchema(raw)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestLabelStudioPredictionsKept checks that a task's predictions, which
// the import counts but does not store, are read into the record with
// their model, score and labels, and that one that does not fit the schema
// is kept with its problem instead of refusing the task.
func TestLabelStudioPredictionsKept(t *testing.T) {
	sc := defaultSchema(t)
	r := &reader{name: "p.json", sc: sc, opt: ImportOptions{Shape: ShapeLabelStudio}}
	rec, err := r.labelStudioRecord([]byte(`{"id": 3, "data": {"text": "Police were on alert."}, "predictions": [
  {"model_version": "model 1", "score": 0.91, "result": [{"from_name": "stance", "type": "choices", "value": {"choices": ["Agree"]}}, {"from_name": "topic", "type": "choices", "value": {"choices": ["terrorism", "strike"]}}]},
  {"model_version": 2, "result": [{"from_name": "sentiment", "type": "choices", "value": {"choices": ["Positive"]}}]}]}`))
	if err != nil {
		t.Fatalf("a task with a prediction that does not fit was refused: %v", err)
	}
	if len(rec.predictions) != 2 {
		t.Fatalf("got %d predictions, want 2", len(rec.predictions))
	}
	p := rec.predictions[0]
	want := annotate.Labels{"stance": {"agree"}, "topic": {"strike", "terrorism"}}
	if p.Model != "model 1" || p.Score == nil || *p.Score != 0.91 || !reflect.DeepEqual(p.Labels, want) || p.Problem != "" {
		t.Errorf("prediction 1: got %+v, want model 1, score 0.91, labels %v", p, want)
	}
	if q := rec.predictions[1]; q.Model != "2" || q.Labels != nil || q.Problem == "" {
		t.Errorf("prediction 2: got %+v, want model 2, no labels and the problem", q)
	}
	if len(rec.para.Annotations) != 0 || rec.para.Gold != nil {
		t.Errorf("a prediction became an annotation or gold: %+v", rec.para)
	}
}
