package export_test

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"concord/annotate"
	"concord/export"
)

// withTieAndUnlabelled adds to the fixture a document with a tie (two
// annotators who disagree, no gold label) and a paragraph nobody labelled.
func withTieAndUnlabelled(t *testing.T, f *fixture) {
	t.Helper()
	c := importDoc(t, f.store, "doc-c.txt", "Undecided", "Agents were seen near the consulate on Monday.", "The press office did not answer.")
	label(t, f.store, f.users["alice"], c[0].ID, annotate.Labels{"stance": {"agree"}, "topic": {"intelligence"}})
	label(t, f.store, f.users["bob"], c[0].ID, annotate.Labels{"stance": {"disagree"}, "topic": {"intelligence"}})
	f.paras = append(f.paras, c...)
}

// importText imports a file written from body and fails on any refused line.
func importText(t *testing.T, s *annotate.Store, name, body string, opt export.ImportOptions) *export.ImportReport {
	t.Helper()
	path := writeTemp(t, name, []byte(body))
	rep, err := export.ImportFile(context.Background(), s, path, opt)
	if err != nil {
		t.Fatalf("import %s: %v", name, err)
	}
	if rep.Err() != nil {
		t.Fatalf("import %s: %v %+v %+v", name, rep.Err(), rep.Errors, rep.Results)
	}
	return rep
}

// datasetOf exports a store in the dataset shape, by stable id.
func datasetOf(t *testing.T, s *annotate.Store) map[string]map[string]any {
	t.Helper()
	lines, _ := exportLines(t, s, export.Options{IncludeFlagged: true, Split: export.SplitOptions{Off: true}})
	out := map[string]map[string]any{}
	for _, l := range lines {
		out[l["id"].(string)] = l
	}
	return out
}

func annotators(line map[string]any) map[string]any {
	out := map[string]any{}
	for _, a := range line["annotations"].([]any) {
		m := a.(map[string]any)
		out[m["annotator"].(string)] = m["labels"]
	}
	return out
}

func hasNote(rep *export.ImportReport, want string) bool {
	for _, n := range rep.Notes {
		if strings.Contains(n, want) {
			return true
		}
	}
	return false
}

// TestLabelStudioExportIsTaskList checks that the label-studio shape is, by
// default, one JSON array of tasks (what Label Studio's import takes) named
// .json, streamed element by element, and one task a line with jsonl.
func TestLabelStudioExportIsTaskList(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	opt := export.Options{Shape: export.ShapeLabelStudio, IncludeFlagged: true}
	if got := opt.FileName(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)); got != "concord-label-studio-2026-11-22.json" {
		t.Errorf("file name: got %q, want concord-label-studio-2026-11-22.json", got)
	}
	if got := opt.ContentType(); !strings.HasPrefix(got, "application/json") {
		t.Errorf("content type: got %q, want application/json", got)
	}
	var buf bytes.Buffer
	sum, err := export.Write(context.Background(), f.store, &buf, opt)
	if err != nil {
		t.Fatal(err)
	}
	var tasks []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &tasks); err != nil {
		t.Fatalf("the export is not a JSON array: %v", err)
	}
	if len(tasks) != len(f.paras) || int(sum.Paragraphs) != len(f.paras) {
		t.Errorf("got %d tasks (%d paragraphs counted), want %d", len(tasks), sum.Paragraphs, len(f.paras))
	}
	// One task a line inside the brackets, so that a reader can stream it.
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if lines[0] != "[" || lines[len(lines)-1] != "]" || len(lines) != len(f.paras)+2 {
		t.Errorf("layout: got %d lines starting %q and ending %q, want [, one task a line, ]", len(lines), lines[0], lines[len(lines)-1])
	}
	if _, ok := tasks[0]["data"].(map[string]any)["text"].(string); !ok {
		t.Errorf("task 1 has no data.text: %v", tasks[0])
	}

	jsonl := export.Options{Format: export.FormatJSONL, Shape: export.ShapeLabelStudio, IncludeFlagged: true}
	if got := jsonl.FileName(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)); !strings.HasSuffix(got, ".jsonl") {
		t.Errorf("jsonl file name: got %q", got)
	}
	asLines, _ := exportLines(t, f.store, jsonl)
	if !reflect.DeepEqual(asLines, tasks) {
		t.Errorf("the JSONL tasks differ from the JSON array's")
	}

	// An empty selection is still a JSON array.
	buf.Reset()
	if _, err := export.Write(context.Background(), newStore(t), &buf, opt); err != nil || strings.TrimSpace(buf.String()) != "[]" {
		t.Errorf("empty export: got %q (err %v), want []", buf.String(), err)
	}
	// A shape given as the format says what to write instead.
	if err := export.Check(context.Background(), f.store, export.Options{Format: "label-studio"}); err == nil || !strings.Contains(annotate.ErrorMessage(err), "--shape label-studio") {
		t.Errorf("format label-studio: got %v, want an error that names --shape label-studio", err)
	}
}

// TestLabelStudioRoundTripJSON exports the label-studio task list, imports
// it into a fresh store whose schema requires stance and topic, and checks
// every annotation, the gold label, the tie and the unlabelled paragraph
// come back as they were.
func TestLabelStudioRoundTripJSON(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	withTieAndUnlabelled(t, f)
	var buf bytes.Buffer
	if _, err := export.Write(context.Background(), f.store, &buf, export.Options{Shape: export.ShapeLabelStudio, IncludeFlagged: true, Split: export.SplitOptions{Off: true}}); err != nil {
		t.Fatal(err)
	}
	empty := newStore(t)
	rep := importText(t, empty, "tasks.json", buf.String(), export.ImportOptions{})
	if rep.Shape != export.ShapeLabelStudio || rep.Gold != 1 || rep.Unlabelled != 1 || rep.Anonymous != 0 {
		t.Errorf("report: got shape %s, %d gold, %d unlabelled, %d anonymous; want label-studio, 1, 1, 0", rep.Shape, rep.Gold, rep.Unlabelled, rep.Anonymous)
	}
	before, after := datasetOf(t, f.store), datasetOf(t, empty)
	if len(after) != len(before) {
		t.Fatalf("got %d paragraphs back, want %d", len(after), len(before))
	}
	for id, b := range before {
		a := after[id]
		if a == nil {
			t.Errorf("%s is missing after the round trip", id)
			continue
		}
		for _, k := range []string{"text", "gold", "gold_source", "flags"} {
			if !reflect.DeepEqual(a[k], b[k]) {
				t.Errorf("%s: %s %v became %v", id, k, b[k], a[k])
			}
		}
		if !reflect.DeepEqual(annotators(a), annotators(b)) {
			t.Errorf("%s: annotations %v became %v", id, annotators(b), annotators(a))
		}
	}
}

// lsExample is a Label Studio JSON export as its documentation shows one:
// two annotations without completed_by, one of them the ground truth, a
// prediction and a cancelled annotation.
const lsExample = `[
  {
    "id": 1,
    "data": {"text": "Police in New York said they were on alert after the strike."},
    "created_at": "2026-03-09T21:52:49.513742Z",
    "updated_at": "2026-03-09T22:16:08.746926Z",
    "project": 83,
    "annotations": [
      {"id": 1001, "result": [
         {"from_name": "stance", "id": "Dx_aB91ISN", "to_name": "text", "type": "choices", "value": {"choices": ["agree"]}},
         {"from_name": "topic", "id": "Ey_bC02JTO", "to_name": "text", "type": "choices", "value": {"choices": ["homeland-security"]}}],
       "was_cancelled": false, "ground_truth": false, "created_at": "2026-03-09T22:16:08.728353Z", "updated_at": "2026-03-09T22:16:08.728378Z", "lead_time": 4.288, "result_count": 0, "task": 1},
      {"id": 1002, "result": [
         {"from_name": "stance", "id": "Fz_cD13KUP", "to_name": "text", "type": "choices", "value": {"choices": ["Discuss"]}},
         {"from_name": "topic", "id": "Ga_dE24LVQ", "to_name": "text", "type": "choices", "value": {"choices": ["homeland-security", "Terrorism"]}},
         {"from_name": "event", "id": "Hb_eF35MWR", "to_name": "text", "type": "textarea", "value": {"text": ["us-cities-security"]}}],
       "was_cancelled": false, "ground_truth": true, "created_at": "2026-03-10T09:00:00Z", "updated_at": "2026-03-10T09:00:00Z", "lead_time": 7.1, "task": 1},
      {"id": 1003, "result": [], "was_cancelled": true, "ground_truth": false, "task": 1}
    ],
    "predictions": [
      {"model_version": "model 1", "score": 0.91, "result": [
         {"from_name": "stance", "id": "t5sp3TyXPo", "to_name": "text", "type": "choices", "value": {"choices": ["agree"]}}]},
      {"model_version": "model 2", "result": [
         {"from_name": "sentiment", "id": "t5sp3TyXPq", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]}}]}
    ]
  }
]`

// TestLabelStudioWithoutCompletedBy imports Label Studio's own example
// export, whose annotations have no completed_by: each gets an anonymous
// annotator of its own, the ground-truth one is the gold label too, the
// cancelled one is skipped, the prediction that fits the schema is stored
// as a suggestion and the one that does not is counted.
func TestLabelStudioWithoutCompletedBy(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	rep := importText(t, s, "project-83.json", lsExample, export.ImportOptions{})
	if rep.Annotations != 2 || rep.Gold != 1 || rep.Anonymous != 2 || rep.Cancelled != 1 || rep.Predictions != 2 {
		t.Errorf("report: got %d annotations, %d gold, %d anonymous, %d cancelled, %d predictions; want 2, 1, 2, 1, 2", rep.Annotations, rep.Gold, rep.Anonymous, rep.Cancelled, rep.Predictions)
	}
	if want := []string{"labelstudio-annotation-1001", "labelstudio-annotation-1002"}; !reflect.DeepEqual(rep.Users, want) {
		t.Errorf("users: got %v, want %v", rep.Users, want)
	}
	if rep.Suggestions != 1 || rep.PredictionsNotImported != 1 {
		t.Errorf("report: got %d suggestions, %d predictions not imported; want 1 and 1", rep.Suggestions, rep.PredictionsNotImported)
	}
	for _, want := range []string{"1 prediction(s) stored as 1 suggestion(s) (agent model 1)", "1 prediction(s) not imported: they do not fit the label schema", "2 annotation(s) had no completed_by", "labelstudio-annotation-1001", "1 cancelled annotation(s) skipped"} {
		if !hasNote(rep, want) {
			t.Errorf("notes %q do not say %q", rep.Notes, want)
		}
	}
	line := datasetOf(t, s)["label-studio:1#0"]
	if line == nil {
		t.Fatalf("task 1 was not stored as document label-studio:1")
	}
	wantGold := map[string]any{"event": "us-cities-security", "stance": "discuss", "topic": []any{"homeland-security", "terrorism"}}
	if !reflect.DeepEqual(line["gold"], wantGold) || line["gold_source"] != "adjudicated" {
		t.Errorf("gold: got %v (%v), want %v adjudicated", line["gold"], line["gold_source"], wantGold)
	}
	got := annotators(line)
	if !reflect.DeepEqual(got["labelstudio-annotation-1001"], map[string]any{"event": nil, "stance": "agree", "topic": []any{"homeland-security"}}) || !reflect.DeepEqual(got["labelstudio-annotation-1002"], wantGold) {
		t.Errorf("annotations: got %v", got)
	}
	// The same file again adds nothing.
	again := importText(t, s, "project-83.json", lsExample, export.ImportOptions{})
	if again.Annotations != 0 || again.Unchanged != 2 || len(again.Users) != 0 {
		t.Errorf("second import: got %d new annotations, %d unchanged, users %v; want 0, 2, none", again.Annotations, again.Unchanged, again.Users)
	}
}

// TestLabelStudioCompletedBy names annotators by completed_by: the e-mail
// of a user object, labelstudio-ID for a bare id; and refuses two
// annotations of one task by the same person.
func TestLabelStudioCompletedBy(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	body := `[{"id": 7, "data": {"text": "Police said the city is on alert."}, "annotations": [
  {"id": 11, "completed_by": {"id": 3, "email": "ann@example.org", "first_name": "Ann"}, "result": [
    {"from_name": "stance", "to_name": "text", "type": "choices", "value": {"choices": ["Agree"]}},
    {"from_name": "topic", "to_name": "text", "type": "choices", "value": {"choices": ["homeland-security", "terrorism"]}}]},
  {"id": 12, "completed_by": 4, "result": [
    {"from_name": "stance", "to_name": "text", "type": "choices", "value": {"choices": ["discuss"]}},
    {"from_name": "topic", "to_name": "text", "type": "choices", "value": {"choices": ["terrorism"]}}]},
  {"id": 13, "completed_by": 5, "result": []}]}]`
	rep := importText(t, s, "export.json", body, export.ImportOptions{})
	if want := []string{"ann@example.org", "labelstudio-4"}; !reflect.DeepEqual(rep.Users, want) || rep.Anonymous != 0 || rep.Empty != 1 {
		t.Errorf("got users %v, %d anonymous, %d empty; want %v, 0, 1", rep.Users, rep.Anonymous, rep.Empty, want)
	}
	dup := strings.Replace(body, `"completed_by": 4`, `"completed_by": 3`, 1)
	dup = strings.Replace(dup, `{"id": 3, "email": "ann@example.org", "first_name": "Ann"}`, `3`, 1)
	path := writeTemp(t, "dup.json", []byte(dup))
	bad, err := export.ImportFile(context.Background(), newStore(t), path, export.ImportOptions{})
	if err != nil || len(bad.Errors) != 1 || !strings.Contains(bad.Errors[0].Error(), "labelstudio-3 has two annotations of this task") {
		t.Errorf("two annotations by one person: got %v %+v", err, bad.Errors)
	}
}

// TestLabelStudioFlatTasksAndTextField reads tasks without "data" (Label
// Studio reads the whole task as its data) and text under another key,
// named with TextField, as a JSON array and as JSON Lines.
func TestLabelStudioFlatTasksAndTextField(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	rep := importText(t, s, "flat.json", `[{"text": "Officials urged calm in Los Angeles."}, {"text": "The FBI said there was no specific threat.", "ref_id": 7}]`, export.ImportOptions{})
	if rep.Shape != export.ShapeLabelStudio || rep.Created != 2 || rep.Unlabelled != 2 || !hasNote(rep, "2 paragraph(s) had no labels") {
		t.Errorf("flat tasks: got shape %s, %d created, %d unlabelled, notes %q", rep.Shape, rep.Created, rep.Unlabelled, rep.Notes)
	}

	custom := `[{"id": 1, "data": {"my_text": "Opossums are great", "ref_id": 456}},
{"id": 2, "data": {"my_text": "Police were on alert.", "ref_id": 457}, "annotations": [{"id": 5, "completed_by": 2, "result": [
  {"from_name": "stance", "to_name": "message", "type": "choices", "value": {"choices": ["Unrelated"]}},
  {"from_name": "topic", "to_name": "message", "type": "choices", "value": {"choices": ["media"]}}]}]}]`
	path := writeTemp(t, "custom.json", []byte(custom))
	bad, err := export.ImportFile(context.Background(), s, path, export.ImportOptions{})
	if err != nil || len(bad.Errors) != 2 || bad.Errors[0].Field != "data.text" || !strings.Contains(bad.Errors[0].Message, "--text-field my_text") {
		t.Fatalf("text under my_text without TextField: got %v %+v, want an error on data.text that suggests --text-field my_text", err, bad.Errors)
	}
	rep = importText(t, s, "custom.json", custom, export.ImportOptions{TextField: "my_text"})
	if rep.Created != 2 || rep.Annotations != 1 || rep.Unlabelled != 1 {
		t.Errorf("custom text field: got %d created, %d annotations, %d unlabelled; want 2, 1, 1", rep.Created, rep.Annotations, rep.Unlabelled)
	}
	if line := datasetOf(t, s)["label-studio:2#0"]; line == nil || line["text"] != "Police were on alert." {
		t.Errorf("task 2: got %v", line)
	}

	// JSON Lines of flat tasks with a text field of their own: the text
	// field says they are Label Studio tasks.
	jsonl := "{\"body\": \"The governor called the threat credible.\"}\n{\"body\": \"Schools stayed open.\"}\n"
	rep = importText(t, newStore(t), "flat.jsonl", jsonl, export.ImportOptions{TextField: "body"})
	if rep.Shape != export.ShapeLabelStudio || rep.Created != 2 {
		t.Errorf("flat JSONL: got shape %s, %d created; want label-studio, 2", rep.Shape, rep.Created)
	}
}

// TestLabelStudioJSONL reads Label Studio tasks one a line, with a
// multi-choice result and a textarea for an open dimension.
func TestLabelStudioJSONL(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	body := `{"id": 21, "data": {"text": "Security was raised at synagogues."}, "annotations": [{"id": 31, "completed_by": 9, "result": [{"from_name": "stance", "to_name": "text", "type": "choices", "value": {"choices": ["agree"]}}, {"from_name": "topic", "to_name": "text", "type": "choices", "value": {"choices": ["jewish-community", "homeland-security"]}}, {"from_name": "event", "to_name": "text", "type": "textarea", "value": {"text": ["synagogue patrols"]}}]}]}
{"id": 22, "data": {"text": "Nothing else happened."}, "annotations": [], "predictions": [{"model_version": "v1", "result": []}]}
`
	rep := importText(t, s, "tasks.jsonl", body, export.ImportOptions{})
	if rep.Shape != export.ShapeLabelStudio || rep.Annotations != 1 || rep.Unlabelled != 1 || rep.Predictions != 1 {
		t.Errorf("got shape %s, %d annotations, %d unlabelled, %d predictions; want label-studio, 1, 1, 1", rep.Shape, rep.Annotations, rep.Unlabelled, rep.Predictions)
	}
	got := annotators(datasetOf(t, s)["label-studio:21#0"])["labelstudio-9"]
	want := map[string]any{"event": "synagogue patrols", "stance": "agree", "topic": []any{"homeland-security", "jewish-community"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("labels: got %v, want %v", got, want)
	}
	// A result for no dimension is named, and nothing is stored.
	path := writeTemp(t, "bad.jsonl", []byte(strings.Replace(body, `"from_name": "event"`, `"from_name": "sentiment"`, 1)))
	bad, err := export.ImportFile(context.Background(), newStore(t), path, export.ImportOptions{})
	if err != nil || len(bad.Errors) != 1 || !strings.Contains(bad.Errors[0].Error(), `bad.jsonl:1: annotations[0].result[2].from_name: unknown dimension "sentiment"`) {
		t.Errorf("unknown from_name: got %v %+v", err, bad.Errors)
	}
}

// TestLabelStudioRoundTripThroughLabelStudio imports Concord's task list as
// Label Studio exports it again after an upload: Label Studio keeps each
// annotation's result and ground_truth, drops its other keys and gives it
// to the importing user (completed_by 1). The annotators and the gold label
// still come back as they were, by the names on the results.
func TestLabelStudioRoundTripThroughLabelStudio(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var buf bytes.Buffer
	if _, err := export.Write(context.Background(), f.store, &buf, export.Options{Shape: export.ShapeLabelStudio, IncludeFlagged: true, Split: export.SplitOptions{Off: true}}); err != nil {
		t.Fatal(err)
	}
	var tasks []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &tasks); err != nil {
		t.Fatal(err)
	}
	annID := 500
	for _, task := range tasks {
		for _, a := range task["annotations"].([]any) {
			ann := a.(map[string]any)
			kept := map[string]any{"result": ann["result"], "ground_truth": ann["ground_truth"]}
			for k := range ann {
				delete(ann, k)
			}
			for k, v := range kept {
				ann[k] = v
			}
			annID++
			ann["id"], ann["completed_by"], ann["was_cancelled"], ann["task"] = annID, 1, false, task["id"]
		}
	}
	back, err := json.Marshal(tasks)
	if err != nil {
		t.Fatal(err)
	}
	empty := newStore(t)
	rep := importText(t, empty, "project-1-at-2026-11-23.json", string(back), export.ImportOptions{})
	if rep.Gold != 1 || len(rep.Users) != 3 {
		t.Errorf("report: got %d gold, users %v; want 1 and alice, bob, carol", rep.Gold, rep.Users)
	}
	before, after := datasetOf(t, f.store), datasetOf(t, empty)
	for id, b := range before {
		if a := after[id]; a == nil || !reflect.DeepEqual(annotators(a), annotators(b)) || !reflect.DeepEqual(a["gold"], b["gold"]) {
			t.Errorf("%s: got %v, want annotations %v and gold %v", id, a, annotators(b), b["gold"])
		}
	}
}
