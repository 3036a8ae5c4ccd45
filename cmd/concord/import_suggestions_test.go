package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"concord/annotate"
)

func TestImportSuggestionsStoresAllOrNothing(t *testing.T) {
	clearConcordEnv(t)
	db := tempDB(t)
	dir := t.TempDir()
	writeFile(t, dir, "a.txt", []byte(articleA))
	mustRun(t, "", "import", "--db", db, dir)
	hash := annotate.HashText("Officials said there was no specific threat.")

	bad := writeFile(t, dir, "bad.jsonl", []byte(`{"document_key": "a.txt", "position": 0, "dimension": "stance", "value": "discuss", "score": 0.7, "agent": "m@1"}
{"document_key": "a.txt", "position": 0, "dimension": "stance", "value": "maybe", "score": 0.7, "agent": "m@1"}
not json
{"document_key": "a.txt", "position": 9, "dimension": "stance", "value": "agree", "score": 0.7, "agent": "m@1"}
`))
	r := concord(t, "", "import-suggestions", "--db", db, bad)
	if r.code != 1 || !strings.Contains(r.stderr, "bad.jsonl:3") || !strings.Contains(r.stderr, "nothing was stored") {
		t.Fatalf("a line that is not JSON: got %s", r)
	}
	// With the JSON fixed, the store's own checks name their lines.
	writeFile(t, dir, "bad.jsonl", []byte(strings.Replace(readFile(t, bad), "not json\n", "", 1)))
	r = concord(t, "", "import-suggestions", "--db", db, bad)
	if r.code != 1 || !strings.Contains(r.stderr, "bad.jsonl:2: value:") || !strings.Contains(r.stderr, "bad.jsonl:3: position:") {
		t.Fatalf("wrong values: got %s", r)
	}
	if n := suggestionCount(t, db); n != 0 {
		t.Fatalf("a refused file stored %d suggestion(s)", n)
	}

	good := writeFile(t, dir, "good.jsonl", []byte(`{"document_key": "a.txt", "position": 0, "dimension": "stance", "value": "discuss", "score": 0.7, "agent": "m@1"}
{"text_hash": "`+hash+`", "dimension": "topic", "values": ["homeland-security"], "score": 0.55, "agent": "m@1"}
`))
	r = mustRun(t, "", "import-suggestions", "--db", db, good)
	if !strings.Contains(r.stdout, "2 suggestion(s) read, 2 stored, 0 replaced") {
		t.Fatalf("got %s", r)
	}
	r = mustRun(t, `{"document_key": "a.txt", "position": 0, "dimension": "stance", "value": "agree", "score": 0.9, "agent": "m@1"}`, "import-suggestions", "--db", db, "-")
	if !strings.Contains(r.stdout, "1 suggestion(s) read, 0 stored, 1 replaced") {
		t.Fatalf("from stdin: got %s", r)
	}
	if n := suggestionCount(t, db); n != 2 {
		t.Fatalf("got %d suggestions, want 2", n)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func suggestionCount(t *testing.T, db string) int {
	t.Helper()
	s := openDB(t, db)
	defer s.Close()
	page, err := s.SuggestionPage(context.Background(), annotate.SuggestionQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(page.Suggestions)
}

func TestImportSuggestionsTakesMargin(t *testing.T) {
	clearConcordEnv(t)
	db := tempDB(t)
	dir := t.TempDir()
	writeFile(t, dir, "a.txt", []byte(articleA))
	mustRun(t, "", "import", "--db", db, dir)
	bad := writeFile(t, dir, "bad.jsonl", []byte(`{"document_key": "a.txt", "position": 0, "dimension": "stance", "value": "discuss", "score": 0.7, "margin": 1.4, "agent": "m@1"}
`))
	r := concord(t, "", "import-suggestions", "--db", db, bad)
	if r.code != 1 || !strings.Contains(r.stderr, "bad.jsonl:1: margin:") {
		t.Fatalf("margin 1.4: got %s", r)
	}
	good := writeFile(t, dir, "good.jsonl", []byte(`{"document_key": "a.txt", "position": 0, "dimension": "stance", "value": "discuss", "score": 0.7, "margin": 0.25, "agent": "m@1"}
`))
	mustRun(t, "", "import-suggestions", "--db", db, good)
	s := openDB(t, db)
	defer s.Close()
	page, err := s.SuggestionPage(context.Background(), annotate.SuggestionQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Suggestions) != 1 || page.Suggestions[0].Margin == nil || *page.Suggestions[0].Margin != 0.25 {
		t.Fatalf("stored %+v; want one suggestion with margin 0.25", page.Suggestions)
	}
}
