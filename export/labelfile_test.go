package export_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"concord/export"
)

func TestReadLabelFileFormats(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cols := export.LabelColumns{Item: "question", Annotator: "worker", Value: "answer", Dimension: "dimension"}
	want := []export.FileLabel{
		{Item: "1", Annotator: "10", Values: []string{"2"}, Line: 2},
		{Item: "1", Annotator: "11", Values: []string{"-3.5"}, Line: 3},
		{Item: "2", Annotator: "10", Line: 4},
	}
	for _, tc := range []struct{ name, body, format string }{
		{"crowd.csv", "\ufeffquestion,worker,answer\n1,10,2\n1,11,-3.5\n2,10,\n", export.LabelCSV},
		{"crowd.tsv", "question\tworker\tanswer\n1\t10\t2\n1\t11\t-3.5\n2\t10\t\n", export.LabelTSV},
		// A tab-separated file named .csv is read as what it is.
		{"tabs.csv", "question\tworker\tanswer\n1\t10\t2\n1\t11\t-3.5\n2\t10\t\n", export.LabelTSV},
		{"crowd.jsonl", "\n" + `{"question": 1, "worker": 10, "answer": 2}` + "\n" + `{"question": "1", "worker": "11", "answer": -3.5}` + "\n" + `{"question": 2, "worker": 10, "answer": null}` + "\n", export.LabelJSONL},
		// Another extension: the content decides.
		{"crowd.txt", "question,worker,answer\n1,10,2\n1,11,-3.5\n2,10,\n", export.LabelCSV},
	} {
		lf, err := export.ReadLabelFile(write(tc.name, tc.body), cols)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if lf.Format != tc.format || len(lf.Bad) != 0 || lf.Lines != 3 {
			t.Errorf("%s: format %s, bad %v, lines %d; want %s, none, 3", tc.name, lf.Format, lf.Bad, lf.Lines, tc.format)
		}
		if !reflect.DeepEqual(lf.Labels, want) {
			t.Errorf("%s: labels\n%+v\nwant\n%+v", tc.name, lf.Labels, want)
		}
	}
	// A JSONL file whose first line is broken is JSONL with a bad line.
	lf, err := export.ReadLabelFile(write("broken.jsonl", "not json\n"+`{"question": 1, "worker": 10, "answer": 2}`+"\n"+`{"question": 2, "worker": 10, "answer": 2}`+"\n"), cols)
	if err != nil || len(lf.Bad) != 1 || lf.Bad[0].Line != 1 || len(lf.Labels) != 2 {
		t.Errorf("broken first line: %v, %+v; want one bad line 1 and two labels", err, lf)
	}
	for _, tc := range []struct{ name, body, want string }{
		{"crowd.jsonl", "question,worker,answer\n1,10,2\n", `this looks like CSV, not JSONL: its first line is "question,worker,answer"`},
		{"tabs.ndjson", "question\tworker\tanswer\n", "this looks like TSV, not JSONL"},
		{"lines.csv", `{"question": 1}` + "\n", "this looks like JSONL, not CSV"},
		{"empty.csv", "\n\n", "the file is empty"},
	} {
		_, err := export.ReadLabelFile(write(tc.name, tc.body), cols)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestCollapseLabels(t *testing.T) {
	in := []export.FileLabel{
		{Item: "1", Annotator: "a", Values: []string{"x"}, Line: 1},
		{Item: "1", Annotator: "b", Values: []string{"y"}, Line: 2},
		{Item: "1", Annotator: "a", Dimension: "d", Values: []string{"z"}, Line: 3},
		{Item: "1", Annotator: "a", Values: []string{"w"}, Line: 4},
		{Item: "1", Annotator: "b", Line: 5},
	}
	got, dups := export.CollapseLabels(in)
	want := []export.FileLabel{in[3], in[4], in[2]}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("collapsed:\n%+v\nwant the last line of each, in the first one's place:\n%+v", got, want)
	}
	if !reflect.DeepEqual(dups, map[string]int{"": 2}) {
		t.Errorf("duplicates %v, want 2 without a dimension", dups)
	}
}
