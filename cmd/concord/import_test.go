package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const articleA = "City raises security\n\nPolice added patrols at transit hubs on Friday.\n\nOfficials said there was no specific threat.\n"
const articleB = "Courts weigh case\n\nA federal jury heard the first witnesses.\n"

func TestImportCreatesThenUnchangedThenRevises(t *testing.T) {
	clearConcordEnv(t)
	db := tempDB(t)
	dir := t.TempDir()
	a := writeFile(t, dir, "a.txt", []byte(articleA))
	writeFile(t, dir, "b.txt", []byte(articleB))

	r := mustRun(t, "", "import", "--db", db, dir)
	if want := "2 created, 0 revised, 0 unchanged, 0 failed"; !strings.Contains(r.stdout, want) {
		t.Errorf("first import: got stdout %q, want it to contain %q", r.stdout, want)
	}
	if !strings.Contains(r.stderr, "applied the default one") {
		t.Errorf("first import: got stderr %q, want a note that the default schema was applied", r.stderr)
	}
	if got := documentCount(t, db); got != 2 {
		t.Errorf("after first import: got %d documents, want 2", got)
	}
	s := openDB(t, db)
	sc, err := s.Schema(context.Background())
	if err != nil || sc.Version != 1 {
		t.Errorf("after first import: got schema %v, %v; want the default schema as version 1", sc, err)
	}
	s.Close()

	r = mustRun(t, "", "import", "--db", db, dir)
	if want := "0 created, 0 revised, 2 unchanged, 0 failed"; !strings.Contains(r.stdout, want) {
		t.Errorf("second import: got stdout %q, want %q", r.stdout, want)
	}

	if err := os.WriteFile(a, []byte(articleA+"\nA third paragraph was added later.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = mustRun(t, "", "import", "--db", db, dir)
	if want := "0 created, 1 revised, 1 unchanged, 0 failed"; !strings.Contains(r.stdout, want) {
		t.Errorf("import after a change: got stdout %q, want %q", r.stdout, want)
	}
	if want := "revised    " + a + ": now revision 2, 3 paragraph(s)"; !strings.Contains(r.stdout, want) {
		t.Errorf("import after a change: got stdout %q, want the line %q", r.stdout, want)
	}
	if got := documentCount(t, db); got != 2 {
		t.Errorf("after the revision: got %d documents, want still 2", got)
	}
}

func TestImportReportsBadFilesAndImportsGoodOnes(t *testing.T) {
	clearConcordEnv(t)
	db := tempDB(t)
	dir := t.TempDir()
	good := writeFile(t, dir, "good.txt", []byte(articleB))
	badUTF8 := writeFile(t, dir, "latin1.txt", []byte("Titel\n\nM\xfcnchen ist sch\xf6n.\n"))
	empty := writeFile(t, dir, "empty.txt", nil)
	large := writeFile(t, dir, "large.txt", []byte(articleA+strings.Repeat("More text in a long paragraph. ", 20)))
	jsonl := writeFile(t, dir, "docs.jsonl", []byte(`{"id": "j1", "title": "Line one", "text": "A fine paragraph."}`+"\n"+`{"id": "j2", "text": "unterminated}`+"\n"))

	r := concord(t, "", "import", "--db", db, "--max-file-size", "400", good, badUTF8, empty, large, jsonl)
	if r.code != 1 {
		t.Fatalf("got %s, want exit 1", r)
	}
	tests := []struct {
		origin string
		reason string
	}{
		{badUTF8, "not valid UTF-8"},
		{empty, "the document is empty"},
		{large, "larger than the limit of 400 bytes"},
		{jsonl + ":2", "bad JSON"},
	}
	for _, tt := range tests {
		want := "concord import: " + tt.origin + ": "
		i := strings.Index(r.stderr, want)
		if i < 0 {
			t.Errorf("got stderr %q, want a line starting %q", r.stderr, want)
			continue
		}
		line, _, _ := strings.Cut(r.stderr[i:], "\n")
		if !strings.Contains(line, tt.reason) {
			t.Errorf("got line %q, want the reason %q", line, tt.reason)
		}
	}
	if want := "2 created, 0 revised, 0 unchanged, 4 failed"; !strings.Contains(r.stdout, want) {
		t.Errorf("got stdout %q, want %q", r.stdout, want)
	}
	if got := documentCount(t, db); got != 2 {
		t.Errorf("got %d documents, want 2 (good.txt and the first JSONL line)", got)
	}
}

func TestImportJSONReport(t *testing.T) {
	clearConcordEnv(t)
	db := tempDB(t)
	dir := t.TempDir()
	writeFile(t, dir, "a.txt", []byte(articleA))
	r := mustRun(t, "", "import", "--json", "--db", db, dir)
	for _, want := range []string{`"created": 1`, `"status": "created"`, `"origin": "` + filepath.Join(dir, "a.txt") + `"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("got stdout %q, want it to contain %q", r.stdout, want)
		}
	}
}

func TestImportUsageErrors(t *testing.T) {
	clearConcordEnv(t)
	db := tempDB(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no paths", []string{"import", "--db", db}, "give at least one file or folder"},
		{"bad size", []string{"import", "--db", db, "--max-file-size", "lots", "x.txt"}, `"lots" is not a size`},
		{"unknown flag", []string{"import", "--nope", "x.txt"}, "flag provided but not defined: -nope"},
		{"bad split", []string{"import", "--db", db, "--split", "sentences", "x.txt"}, `--split "sentences": give blank-lines or lines`},
		{"bad title", []string{"import", "--db", db, "--title", "last-line", "x.txt"}, `--title "last-line": give first-line, first-block or none`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := concord(t, "", tt.args...)
			if r.code != 2 {
				t.Errorf("got %s, want exit 2", r)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("got stderr %q, want it to contain %q", r.stderr, tt.want)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"1048576", 1 << 20},
		{"512KiB", 512 << 10},
		{"64MiB", 64 << 20},
		{"64m", 64 << 20},
		{"1GB", 1000 * 1000 * 1000},
		{"10 kb", 10000},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("parseSize(%q): got %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "0", "-5", "12 parsecs", "1.5MiB"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q): got no error, want one", bad)
		}
	}
}

// TestImportSplitAndTitleFlags imports a JSONL corpus whose bodies separate
// paragraphs by single line breaks: by default each is untitled, one
// paragraph, and warned about; with --split lines --title first-line it is
// a new revision with a title and a paragraph per line.
func TestImportSplitAndTitleFlags(t *testing.T) {
	clearConcordEnv(t)
	db := tempDB(t)
	dir := t.TempDir()
	line := strings.Repeat("The council met again on Tuesday and talked for hours. ", 7)
	body := "Council meets\n" + line + "\n" + line + "\n" + line
	p := writeFile(t, dir, "news.jsonl", []byte(`{"id": "c1", "text": "`+strings.ReplaceAll(body, "\n", `\n`)+`"}`+"\n"))

	r := mustRun(t, "", "import", "--db", db, p)
	if !strings.Contains(r.stderr, "warning: "+p+":1: the text has no blank line between its 4 lines") || !strings.Contains(r.stderr, "--split lines") {
		t.Errorf("default import: got stderr %q, want a warning suggesting --split lines", r.stderr)
	}
	if !strings.Contains(r.stdout, "1 document(s) with a warning") {
		t.Errorf("default import: got stdout %q, want the warning counted", r.stdout)
	}
	s := openDB(t, db)
	docs, err := s.Documents(context.Background(), 0)
	if err != nil || len(docs) != 1 || docs[0].Title != "" || docs[0].Paragraphs != 1 {
		t.Fatalf("default import: got %+v, %v; want one untitled document of one paragraph", docs, err)
	}
	s.Close()

	r = mustRun(t, "", "import", "--db", db, "--split", "lines", "--title", "first-line", p)
	if want := "0 created, 1 revised, 0 unchanged, 0 failed"; !strings.Contains(r.stdout, want) || strings.Contains(r.stderr, "warning") {
		t.Errorf("import with --split lines: got stdout %q stderr %q, want %q and no warning", r.stdout, r.stderr, want)
	}
	s = openDB(t, db)
	docs, err = s.Documents(context.Background(), 0)
	if err != nil || len(docs) != 1 || docs[0].Title != "Council meets" || docs[0].Paragraphs != 3 {
		t.Errorf("import with --split lines: got %+v, %v; want the title Council meets and 3 paragraphs", docs, err)
	}
}
