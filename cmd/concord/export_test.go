package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"concord/annotate"
)

// labelledDB makes a database with the seed corpus and two annotators'
// labels on the first paragraphs, and returns its path.
func labelledDB(t *testing.T) string {
	t.Helper()
	path := tempDB(t)
	mustRun(t, "", "import", "--db", path, "--seeds", "", "../../seeds")
	s := openDB(t, path)
	ctx := context.Background()
	for _, name := range []string{"alice", "bob"} {
		u, err := s.CreateUser(ctx, 0, name, annotate.RoleAnnotator, "")
		if err != nil {
			t.Fatal(err)
		}
		q, err := s.Queue(ctx, u.ID, annotate.QueueOptions{Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range q {
			if _, err := s.SaveAnnotation(ctx, u.ID, p.ID, 0, annotate.Labels{"stance": {"discuss"}, "topic": {"homeland-security"}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	s.Close()
	return path
}

func TestExportCommand(t *testing.T) {
	db := labelledDB(t)
	r := mustRun(t, "", "export", "--db", db, "--format", "jsonl", "--gold-only", "-o", "-")
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	sc.Buffer(nil, 1<<22)
	n := 0
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		if m["gold_source"] != "majority" {
			t.Errorf("line %d: gold_source %v, want majority", n+1, m["gold_source"])
		}
		n++
	}
	if n != 5 {
		t.Errorf("gold-only export: got %d lines, want 5 (the paragraphs both labelled)", n)
	}
	if !strings.Contains(r.stderr, "5 paragraph(s) written to standard output") {
		t.Errorf("summary: got %q", r.stderr)
	}
	// The summary says what gold only kept, and that the seed corpus's two
	// documents cannot fill train, dev and test.
	for _, want := range []string{
		"concord export: gold only keeps adjudicated paragraphs and those where more than half of two or more annotators agree in every dimension; paragraphs labelled by a single annotator and ties are left out",
		"concord export: warning: the split 80/10/10 cannot give dev and test a document: the corpus has 2 document(s)",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("summary lacks %q: %s", want, r.stderr)
		}
	}
	if r := mustRun(t, "", "export", "--db", db, "--format", "jsonl", "--split", "50/50/0", "-o", "-"); strings.Contains(r.stderr, "warning") {
		t.Errorf("a split that fits the documents warns: %s", r.stderr)
	}

	out := filepath.Join(t.TempDir(), "review.xlsx")
	mustRun(t, "", "export", "--db", db, "--format", "xlsx", "-o", out)
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatalf("open %s: %v", out, err)
	}
	defer f.Close()
	if got := strings.Join(f.GetSheetList(), ","); got != "Paragraphs,Annotations,Suggestions,Agreement,Schema,About" {
		t.Errorf("sheets: got %s", got)
	}

	// Round trip through the command line: export, import into a new
	// database, export again.
	ds := filepath.Join(t.TempDir(), "dataset.jsonl")
	mustRun(t, "", "export", "--db", db, "--format", "jsonl", "--gold-only", "-o", ds)
	db2 := tempDB(t)
	r = mustRun(t, "", "import-labels", "--db", db2, "--seeds", "", ds)
	if !strings.Contains(r.stdout, "5 paragraph(s), 10 annotation(s)") {
		t.Errorf("import-labels report: got %q", r.stdout)
	}
	again := mustRun(t, "", "export", "--db", db2, "--format", "jsonl", "-o", "-")
	if got, want := strings.Count(again.stdout, "\n"), 5; got != want {
		t.Errorf("export of the imported database: got %d lines, want %d", got, want)
	}
}

func TestExportCommandErrors(t *testing.T) {
	db := labelledDB(t)
	out := filepath.Join(t.TempDir(), "x.jsonl")
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"export", "--db", db, "--format", "jsonl"}, 2, "-o FILE"},
		{[]string{"export", "--db", db, "--format", "csv", "-o", out}, 1, `unknown format "csv" (allowed: jsonl, json, xlsx)`},
		{[]string{"export", "--db", db, "--dimensions", "mood", "-o", out}, 1, `unknown dimension "mood"`},
		{[]string{"export", "--db", db, "--annotators", "zed", "-o", out}, 1, `no user named "zed"`},
		{[]string{"export", "--db", db, "--split", "80/20", "-o", out}, 2, "three shares"},
		{[]string{"export", "--db", missingDB(t), "-o", out}, 1, "no database"},
	}
	for _, tc := range tests {
		r := concord(t, "", tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("concord %s: got %s; want exit %d and %q", strings.Join(tc.args, " "), r, tc.code, tc.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a failed export left %s behind", out)
	}
}

func TestImportLabelsRefusesBadLines(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.jsonl", []byte(`{"document_key":"d","text":"A.","gold":{},"gold_source":null,"annotations":[{"annotator":"alice","labels":{"stance":"maybe","topic":["strike"]}}]}`+"\n"))
	db := tempDB(t)
	r := concord(t, "", "import-labels", "--db", db, "--seeds", "", bad)
	if r.code != 1 || !strings.Contains(r.stderr, "bad.jsonl:1: annotations[0].labels.stance: \"maybe\" is not a value of stance") || !strings.Contains(r.stderr, "nothing was imported") {
		t.Errorf("got %s; want exit 1 naming bad.jsonl:1 and the field", r)
	}
}

// TestImportRoutesLabelledFiles checks that 'concord import' hands labelled
// JSONL to the labelled import, documents to the document import, and a
// workbook given with --gold to the gold import.
func TestImportRoutesLabelledFiles(t *testing.T) {
	db := labelledDB(t)
	dir := t.TempDir()
	ds := filepath.Join(dir, "dataset.jsonl")
	mustRun(t, "", "export", "--db", db, "--format", "jsonl", "--gold-only", "-o", ds)
	doc := writeFile(t, dir, "fresh.txt", []byte("A fresh article\n\nIts only paragraph.\n"))

	db2 := tempDB(t)
	r := mustRun(t, "", "import", "--db", db2, "--seeds", "", ds, doc)
	if !strings.Contains(r.stdout, "5 paragraph(s), 10 annotation(s)") {
		t.Errorf("labelled part of the import: got %q", r.stdout)
	}
	if !strings.Contains(r.stdout, "1 created, 0 revised, 0 unchanged, 0 failed") {
		t.Errorf("document part of the import: got %q", r.stdout)
	}
	s := openDB(t, db2)
	u, err := s.UserByName(context.Background(), "alice")
	if err != nil {
		t.Fatalf("annotator alice was not created: %v", err)
	}
	if u.PasswordHash != "" {
		t.Errorf("imported annotator has a password")
	}
	s.Close()

	book := filepath.Join(dir, "review.xlsx")
	mustRun(t, "", "export", "--db", db, "--format", "xlsx", "-o", book)
	r = mustRun(t, "", "import", "--db", db, "--gold", book)
	if !strings.Contains(r.stdout, "0 gold label(s) stored") {
		t.Errorf("gold import of an unchanged workbook: got %q", r.stdout)
	}
	if r := concord(t, "", "import", "--db", db, "--gold", book, doc); r.code != 2 {
		t.Errorf("--gold with other paths: got %s, want exit 2", r)
	}
	if r := concord(t, "", "import", "--db", db, "--gold", filepath.Join(dir, "missing.xlsx")); r.code != 1 || !strings.Contains(r.stderr, "missing.xlsx") {
		t.Errorf("--gold with a missing workbook: got %s, want exit 1 naming the file", r)
	}
}
