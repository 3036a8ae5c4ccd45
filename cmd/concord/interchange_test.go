package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportLabelStudioTaskList exports the label-studio shape as Label
// Studio uploads it, a .json task list, with its labelling configuration
// beside it, and imports the tasks back into a new database.
func TestExportLabelStudioTaskList(t *testing.T) {
	db := labelledDB(t)
	dir := t.TempDir()
	tasks := filepath.Join(dir, "tasks.json")
	r := mustRun(t, "", "export", "--db", db, "--shape", "label-studio", "--split", "none", "-o", tasks)
	config := filepath.Join(dir, "tasks.label_config.xml")
	if !strings.Contains(r.stderr, "Label Studio labelling configuration written to "+config) {
		t.Errorf("summary does not name the configuration: %s", r.stderr)
	}
	data, err := os.ReadFile(tasks)
	if err != nil {
		t.Fatal(err)
	}
	var list []map[string]any
	if err := json.Unmarshal(data, &list); err != nil {
		t.Fatalf("tasks.json is not a JSON array: %v", err)
	}
	if len(list) != 30 {
		t.Errorf("got %d tasks, want the seed corpus's 30 paragraphs", len(list))
	}
	xml, err := os.ReadFile(config)
	if err != nil {
		t.Fatalf("no labelling configuration beside the tasks: %v", err)
	}
	for _, want := range []string{`<Text name="text" value="$text">`, `<Choices name="stance" toName="text" choice="single"`, `<Choices name="topic" toName="text" choice="multiple"`, `<TextArea name="event"`} {
		if !strings.Contains(string(xml), want) {
			t.Errorf("configuration lacks %s:\n%s", want, xml)
		}
	}

	db2 := tempDB(t)
	r = mustRun(t, "", "import-labels", "--db", db2, "--seeds", "", tasks)
	if !strings.Contains(r.stdout, "tasks.json (label-studio): 2 document(s) created") || !strings.Contains(r.stdout, "30 paragraph(s), 10 annotation(s)") || !strings.Contains(r.stdout, "25 paragraph(s) had no labels") {
		t.Errorf("import of the task list: got %s", r)
	}

	// One task a line with --format jsonl, and the configuration of the
	// selected dimensions still beside it.
	lines := filepath.Join(dir, "tasks.jsonl")
	mustRun(t, "", "export", "--db", db, "--format", "jsonl", "--shape", "label-studio", "--dimensions", "stance", "-o", lines)
	f, err := os.Open(lines)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil || m["data"] == nil {
			t.Fatalf("line %d is not a task: %v", n+1, err)
		}
		n++
	}
	if n != 30 {
		t.Errorf("got %d lines, want 30", n)
	}
	xml, err = os.ReadFile(filepath.Join(dir, "tasks.label_config.xml"))
	if err != nil || strings.Contains(string(xml), `name="topic"`) || !strings.Contains(string(xml), `name="stance"`) {
		t.Errorf("configuration of --dimensions stance: got %s (err %v)", xml, err)
	}

	// To standard output only the tasks are written; the summary says where
	// the configuration comes from.
	if r := mustRun(t, "", "export", "--db", db, "--shape", "label-studio", "-o", "-"); !strings.HasPrefix(r.stdout, "[\n") || !strings.Contains(r.stderr, "concord schema show --label-studio") {
		t.Errorf("to standard output: got stdout %.40q, stderr %s", r.stdout, r.stderr)
	}
	if r := concord(t, "", "export", "--db", db, "--format", "label-studio", "-o", filepath.Join(dir, "x.json")); r.code != 1 || !strings.Contains(r.stderr, "--shape label-studio") {
		t.Errorf("--format label-studio: got %s, want exit 1 naming --shape label-studio", r)
	}
}

// TestImportLabelsPeerFiles imports files as Label Studio and doccano write
// them, through import-labels and import, and reads what the report says.
func TestImportLabelsPeerFiles(t *testing.T) {
	dir := t.TempDir()
	ls := writeFile(t, dir, "project-1-at-2026-03-10.json", []byte(`[
 {"id": 1, "data": {"text": "Police in New York said they were on alert."},
  "annotations": [
   {"id": 17, "result": [{"from_name": "stance", "to_name": "text", "type": "choices", "value": {"choices": ["agree"]}}, {"from_name": "topic", "to_name": "text", "type": "choices", "value": {"choices": ["homeland-security"]}}], "ground_truth": true},
   {"id": 18, "result": [{"from_name": "stance", "to_name": "text", "type": "choices", "value": {"choices": ["discuss"]}}, {"from_name": "topic", "to_name": "text", "type": "choices", "value": {"choices": ["homeland-security"]}}]}],
  "predictions": [{"model_version": "v1", "score": 0.5, "result": [{"from_name": "stance", "to_name": "text", "type": "choices", "value": {"choices": ["agree"]}}]}]}
]`))
	db := tempDB(t)
	r := mustRun(t, "", "import-labels", "--db", db, "--seeds", "", ls)
	for _, want := range []string{"2 annotation(s) (0 already stored), 1 gold label(s), 2 new annotator(s)", "2 annotation(s) had no completed_by", "labelstudio-annotation-17, labelstudio-annotation-18", "1 prediction(s) stored as 1 suggestion(s) (agent v1)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q: %s", want, r)
		}
	}
	j := mustRun(t, "", "import-labels", "--db", tempDB(t), "--seeds", "", "--json", ls)
	var rep map[string]any
	if err := json.Unmarshal([]byte(j.stdout), &rep); err != nil || rep["suggestions"] != 1.0 || rep["predictions_not_imported"] != 0.0 || rep["anonymous_annotations"] != 2.0 {
		t.Errorf("JSON report: got %v (err %v)", rep, err)
	}

	custom := writeFile(t, dir, "custom.json", []byte(`[{"data": {"my_text": "Opossums are great"}}]`))
	if r := concord(t, "", "import-labels", "--db", tempDB(t), "--seeds", "", custom); r.code != 1 || !strings.Contains(r.stderr, "--text-field my_text") {
		t.Errorf("custom text field without the flag: got %s", r)
	}
	mustRun(t, "", "import-labels", "--db", tempDB(t), "--seeds", "", "--text-field", "my_text", custom)

	// A JSON array of objects with a text is flat Label Studio tasks to
	// import-labels, which is told so; import does not take documents for
	// tasks.
	flat := writeFile(t, dir, "flat.json", []byte(`[{"id": "a1", "title": "Police on alert", "text": "Police said the city is on alert.\n\nThe mayor spoke."}]`))
	if r := mustRun(t, "", "import-labels", "--db", tempDB(t), "--seeds", "", flat); !strings.Contains(r.stdout, "flat.json (label-studio): 1 document(s) created") {
		t.Errorf("import-labels flat.json: got %s", r)
	}
	flatDB := tempDB(t)
	if r := concord(t, "", "import", "--db", flatDB, "--seeds", "", flat); r.code != 1 || documentCount(t, flatDB) != 0 {
		t.Errorf("import flat.json: got %s, want it refused", r)
	}

	// doccano with "labels" is refused by name, through import too, and
	// nothing is stored.
	labels := writeFile(t, dir, "labels.jsonl", []byte(`{"text": "Police said the city is on alert.", "labels": ["stance:agree", "topic:homeland-security"]}
{"text": "The mayor spoke on Friday.", "labels": []}
`))
	for _, args := range [][]string{{"import-labels", "--shape", "doccano"}, {"import"}} {
		db := tempDB(t)
		r := concord(t, "", append(append(args, "--db", db, "--seeds", ""), labels)...)
		if r.code != 1 || !strings.Contains(r.stderr, `labels.jsonl:1: "labels": unknown key; doccano text-classification lines have "text" and "label"`) {
			t.Errorf("concord %s labels.jsonl: got %s", args[0], r)
		}
		if n := documentCount(t, db); n != 0 {
			t.Errorf("concord %s stored %d documents from a refused file", args[0], n)
		}
	}
	label := writeFile(t, dir, "label.jsonl", []byte(strings.ReplaceAll(string(mustRead(t, labels)), `"labels"`, `"label"`)))
	r = mustRun(t, "", "import", "--db", tempDB(t), "--seeds", "", label)
	if !strings.Contains(r.stdout, "label.jsonl (doccano): 2 document(s) created") || !strings.Contains(r.stdout, "1 paragraph(s) had no labels and were imported unlabelled") {
		t.Errorf("concord import of doccano lines: got %s", r)
	}
}

// TestDoccanoExportImportsBack exports Concord's doccano lines, most of
// them unlabelled, and imports them into a new database whose schema
// requires stance and topic.
func TestDoccanoExportImportsBack(t *testing.T) {
	db := labelledDB(t)
	out := filepath.Join(t.TempDir(), "doccano.jsonl")
	mustRun(t, "", "export", "--db", db, "--shape", "doccano", "-o", out)
	r := mustRun(t, "", "import-labels", "--db", tempDB(t), "--seeds", "", out)
	if !strings.Contains(r.stdout, "30 paragraph(s), 5 annotation(s)") || !strings.Contains(r.stdout, "25 paragraph(s) had no labels and were imported unlabelled") {
		t.Errorf("import of the doccano export: got %s", r)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
