package export

import (
	"fmt"
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

// TestImportReportStaysSmall adds more results than a report lists: it
// keeps MaxReportResults failures and as many others, and as many created
// annotators, counts every one, and says how many it left out.
func TestImportReportStaysSmall(t *testing.T) {
	const n = annotate.MaxReportResults + 5
	rep := &ImportReport{}
	for i := range n {
		rep.add(annotate.LabelledResult{ImportResult: annotate.ImportResult{Key: fmt.Sprint("ok-", i), Status: annotate.ImportCreated, Paragraphs: 2}, Annotations: 3, Users: []string{fmt.Sprint("anon-", i)}})
		rep.add(annotate.LabelledResult{ImportResult: annotate.ImportResult{Key: fmt.Sprint("bad-", i), Status: annotate.ImportFailed, Error: "conflict"}})
	}
	rep.add(annotate.LabelledResult{ImportResult: annotate.ImportResult{Key: "merged", Status: annotate.ImportUnchanged}, Unchanged: 4})
	if rep.Documents != 2*n+1 || rep.Created != n || rep.Failed != n || rep.Merged != 1 || rep.Paragraphs != 2*n || rep.Annotations != 3*n || rep.Unchanged != 4 {
		t.Errorf("counts: %+v", rep)
	}
	failed, others := 0, 0
	for _, r := range rep.Results {
		if r.Status == annotate.ImportFailed {
			failed++
		} else {
			others++
		}
	}
	if failed != annotate.MaxReportResults || others != annotate.MaxReportResults || rep.Omitted != 11 {
		t.Errorf("listed %d failures and %d others, omitted %d; want %d, %d and 11", failed, others, rep.Omitted, annotate.MaxReportResults, annotate.MaxReportResults)
	}
	if len(rep.Users) != annotate.MaxReportResults || rep.UsersOmitted != 5 || rep.UsersCreated() != n {
		t.Errorf("users: %d listed, %d omitted, %d created; want %d, 5, %d", len(rep.Users), rep.UsersOmitted, rep.UsersCreated(), annotate.MaxReportResults, n)
	}
}
