package export_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"concord/export"
)

func TestReadTruthFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cols := export.TruthColumns{Item: "item", Truth: "truth", Dimension: "dimension"}
	tsv := write("truth.tsv", "item\ttruth\np1\tagree\np2\tdiscuss\np1\tagree\n\np3\t\n")
	tf, err := export.ReadTruthFile(tsv, cols)
	if err != nil {
		t.Fatal(err)
	}
	want := []export.Truth{{Item: "p1", Values: []string{"agree"}, Line: 2}, {Item: "p2", Values: []string{"discuss"}, Line: 3}}
	if !reflect.DeepEqual(tf.Truths, want) {
		t.Errorf("TSV truths = %+v, want %+v (a repeated truth that agrees is kept once)", tf.Truths, want)
	}
	if len(tf.Bad) != 1 || tf.Bad[0].Line != 6 || tf.Bad[0].Message != "the truth column is empty" {
		t.Errorf("TSV bad lines = %+v, want line 6: the truth column is empty", tf.Bad)
	}

	jsonl := write("truth.jsonl", `{"item": 1, "dimension": "topic", "truth": ["strike", "iran"]}
{"item": 1, "dimension": "stance", "truth": "agree"}
{"item": 2}
`)
	tf, err = export.ReadTruthFile(jsonl, cols)
	if err != nil {
		t.Fatal(err)
	}
	want = []export.Truth{{Item: "1", Dimension: "topic", Values: []string{"strike", "iran"}, Multi: true, Line: 1}, {Item: "1", Dimension: "stance", Values: []string{"agree"}, Line: 2}}
	if !reflect.DeepEqual(tf.Truths, want) {
		t.Errorf("JSONL truths = %+v, want %+v", tf.Truths, want)
	}
	if len(tf.Bad) != 1 || !strings.Contains(tf.Bad[0].Message, `"truth" is missing`) {
		t.Errorf("JSONL bad lines = %+v, want line 3 without a truth", tf.Bad)
	}

	if _, err := export.ReadTruthFile(write("truth.jsonl2.jsonl", "item,truth\n1,2\n"), cols); err == nil || !strings.Contains(err.Error(), "looks like CSV") {
		t.Errorf("CSV named .jsonl: error %v, want one that says it looks like CSV", err)
	}
}
