package annotate_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

// texts returns the texts of blocks.
func texts(blocks []annotate.Block) []string {
	out := make([]string, len(blocks))
	for i, b := range blocks {
		out[i] = b.Text
	}
	return out
}

// TestSplitWith covers the paragraph boundaries and title rules an import
// can ask for, and that cutting a boilerplate line never joins text that
// was apart.
func TestSplitWith(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		src   string
		mode  annotate.SplitMode
		rule  annotate.TitleRule
		title string
		want  []string
	}{
		{"lines: every line is a paragraph", "One sentence.\nTwo sentence.\n\nThree.\n", annotate.SplitLines, annotate.TitleNone, "", []string{"One sentence.", "Two sentence.", "Three."}},
		{"blank lines join wrapped lines", "One sentence.\nTwo sentence.\n\nThree.\n", annotate.SplitBlankLines, annotate.TitleNone, "", []string{"One sentence. Two sentence.", "Three."}},
		{"first line is the title", "Headline here\nFirst body line.\nSecond body line.\n\nThird.", annotate.SplitBlankLines, annotate.TitleFirstLine, "Headline here", []string{"First body line. Second body line.", "Third."}},
		{"first line with lines", "Headline\r\nOne.\r\nTwo.\r\n", annotate.SplitLines, annotate.TitleFirstLine, "Headline", []string{"One.", "Two."}},
		{"first block is the title", "Headline\nsecond line\n\nBody.", annotate.SplitBlankLines, annotate.TitleFirstBlock, "Headline second line", []string{"Body."}},
		{"no title", "Headline\n\nBody.", annotate.SplitBlankLines, annotate.TitleNone, "", []string{"Headline", "Body."}},
		{"notice line is not the first-line title", "IE 11 is not supported.\nReal headline\nBody.", annotate.SplitLines, annotate.TitleFirstLine, "Real headline", []string{"IE 11 is not supported.", "Body."}},
		{"boilerplate glued under a paragraph keeps the text below apart", "A sentence ends here.\nRead more\nYes, I was with Michael that night.\nHe said so.", annotate.SplitBlankLines, annotate.TitleNone, "", []string{"A sentence ends here.", "Read more", "Yes, I was with Michael that night. He said so."}},
		{"boilerplate heading a block above a new sentence", "Read more\nYes, I was with Michael that night.", annotate.SplitBlankLines, annotate.TitleNone, "", []string{"Read more", "Yes, I was with Michael that night."}},
		{"two boilerplate lines in a row", "The end.\nAdvertisement\nRead more\nNext story starts.", annotate.SplitBlankLines, annotate.TitleNone, "", []string{"The end.", "Advertisement", "Read more", "Next story starts."}},
		{"a wrapped sentence is not cut", "Click here to\nsee the results.", annotate.SplitBlankLines, annotate.TitleNone, "", []string{"Click here to see the results."}},
		{"control characters are kept", "Alpha\x1cbeta.\n\nGamma\x1d.", annotate.SplitBlankLines, annotate.TitleNone, "", []string{"Alpha\x1cbeta.", "Gamma\x1d."}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := []byte(tc.src)
			title, blocks := annotate.SplitWith(src, tc.mode, tc.rule)
			if title != tc.title {
				t.Errorf("title = %q, want %q", title, tc.title)
			}
			if got := texts(blocks); strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("paragraphs = %q, want %q", got, tc.want)
			}
			for i, b := range blocks {
				if b.Position != i || annotate.Normalize(string(src[b.Start:b.End])) != b.Text {
					t.Errorf("paragraph %d: position %d, src[%d:%d] = %q, want its text %q", i, b.Position, b.Start, b.End, src[b.Start:b.End], b.Text)
				}
				if i > 0 && b.Start < blocks[i-1].End {
					t.Errorf("paragraph %d overlaps the one before", i)
				}
			}
		})
	}
}

// TestLooksLineSeparated checks the detection of bodies whose paragraphs are
// separated by single line breaks.
func TestLooksLineSeparated(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("A sentence of the body that goes on for a while. ", 8)
	tests := []struct {
		name string
		src  string
		want bool
	}{
		{"long lines, no blank line", long + "\n" + long + "\n" + long + "\n", true},
		{"a title block then such a body", "Headline\n\n" + long + "\n" + long + "\n" + long, true},
		{"blank lines between paragraphs", long + "\n\n" + long + "\n\n" + long, false},
		{"two lines only", long + long + "\n" + long, false},
		{"short text", "One.\nTwo.\nThree.\n", false},
	}
	for _, tc := range tests {
		if got := annotate.LooksLineSeparated([]byte(tc.src)); got != tc.want {
			t.Errorf("%s: LooksLineSeparated = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestImportOptions imports the shapes of a public news corpus: JSONL
// lines without a title, one-paragraph documents, bodies separated by
// single line breaks, and control characters in the text.
func TestImportOptions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	long := strings.Repeat("The minister spoke to reporters for a long while on the day. ", 6)
	body := "Minister speaks\n" + long + "\n" + long + "\n" + long
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	jl := write("news.jsonl", strings.Join([]string{
		`{"id": "n1", "text": "First paragraph is not a title.\n\nSecond paragraph."}`,
		`{"id": "n2", "text": "A single paragraph document."}`,
		`{"text": ` + jsonString(body) + `}`,
		`{"id": "n4", "text": "Separators\u001c and\u001d groups are kept."}`,
		`{"id": "n5", "title": "Given title", "text": "Body only."}`,
	}, "\n"))
	paragraphs := func(s *annotate.Store, key string) (string, []string) {
		t.Helper()
		docs, err := s.Documents(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			if d.Key == key || key == "sha256:" && strings.HasPrefix(d.Key, key) {
				var out []string
				for _, p := range currentParagraphs(t, s, d.ID) {
					out = append(out, p.Text)
				}
				return d.Title, out
			}
		}
		t.Fatalf("no document %s", key)
		return "", nil
	}

	s := annotatetest.WithSchema(t)
	rep, err := s.ImportPaths(ctx, []string{jl}, annotate.ImportOptions{})
	if err != nil || rep.Err() != nil {
		t.Fatalf("import: %v %v %+v", err, rep.Err(), rep.Results)
	}
	if rep.Created != 5 || rep.Warnings != 1 {
		t.Errorf("report: %d created, %d warnings; want 5 and 1", rep.Created, rep.Warnings)
	}
	for _, r := range rep.Results {
		want := r.Origin == jl+":3"
		if got := strings.Contains(r.Warning, "--split lines"); got != want {
			t.Errorf("%s: warning %q; want one suggesting --split lines: %v", r.Origin, r.Warning, want)
		}
	}
	if title, ps := paragraphs(s, "n1"); title != "" || len(ps) != 2 {
		t.Errorf("n1: title %q, paragraphs %q; want no title and 2 paragraphs", title, ps)
	}
	if title, ps := paragraphs(s, "n2"); title != "" || len(ps) != 1 || ps[0] != "A single paragraph document." {
		t.Errorf("n2: title %q, paragraphs %q; want the one paragraph", title, ps)
	}
	if _, ps := paragraphs(s, "sha256:"); len(ps) != 1 {
		t.Errorf("line-separated body with blank-line split: %d paragraphs, want 1", len(ps))
	}
	if _, ps := paragraphs(s, "n4"); len(ps) != 1 || ps[0] != "Separators\x1c and\x1d groups are kept." {
		t.Errorf("n4: %q, want the control characters kept", ps)
	}
	if title, _ := paragraphs(s, "n5"); title != "Given title" {
		t.Errorf("n5: title %q, want the given one", title)
	}

	// The same file with --split lines and --title first-line is a new
	// revision of each document it cuts differently.
	rep, err = s.ImportPaths(ctx, []string{jl}, annotate.ImportOptions{Split: annotate.SplitLines, Title: annotate.TitleFirstLine})
	if err != nil || rep.Err() != nil {
		t.Fatalf("second import: %v %v %+v", err, rep.Err(), rep.Results)
	}
	if rep.Revised != 4 || rep.Unchanged != 1 || rep.Warnings != 0 {
		t.Errorf("second import: %d revised, %d unchanged, %d warnings; want 4, 1 (the titled one) and 0", rep.Revised, rep.Unchanged, rep.Warnings)
	}
	if title, ps := paragraphs(s, "n1"); title != "First paragraph is not a title." || len(ps) != 1 {
		t.Errorf("first-line: title %q, paragraphs %q", title, ps)
	}
	// A one-line document keeps its line as its paragraph.
	if title, ps := paragraphs(s, "n2"); title != "" || len(ps) != 1 {
		t.Errorf("first-line on a one-line document: title %q, paragraphs %q; want it untitled with its paragraph", title, ps)
	}
	if title, ps := paragraphs(s, "sha256:"); title != "Minister speaks" || len(ps) != 3 {
		t.Errorf("--split lines: title %q, %d paragraphs; want the first line as title and 3 paragraphs", title, len(ps))
	}
}

// TestImportLongTitleWarning checks that a title taken from the text that is
// longer than a headline is imported with a warning naming --title.
func TestImportLongTitleWarning(t *testing.T) {
	t.Parallel()
	s := annotatetest.WithSchema(t)
	long := strings.Repeat("A first paragraph that is no headline at all. ", 6)
	res, err := s.ImportDocument(context.Background(), 0, annotate.Source{Key: "long.txt", Origin: "long.txt", Text: []byte(long + "\n\nBody.")})
	if err != nil || res.Status != annotate.ImportCreated || !strings.Contains(res.Warning, "--title none") {
		t.Errorf("import: %+v, %v; want created with a warning naming --title none", res, err)
	}
	res, err = s.ImportDocument(context.Background(), 0, annotate.Source{Key: "short.txt", Origin: "short.txt", Text: []byte("Headline\n\nBody.")})
	if err != nil || res.Warning != "" {
		t.Errorf("short title: %+v, %v; want no warning", res, err)
	}
}

// TestImportControlCharacters checks the one rule for control characters on
// every import path: NUL is refused naming its line and character, other
// controls are kept.
func TestImportControlCharacters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := annotatetest.WithSchema(t)
	dir := t.TempDir()
	txt := filepath.Join(dir, "nul.txt")
	if err := os.WriteFile(txt, []byte("Title\n\nFine line.\nBad\x00 line."), 0o644); err != nil {
		t.Fatal(err)
	}
	jl := filepath.Join(dir, "nul.jsonl")
	if err := os.WriteFile(jl, []byte(`{"id": "x", "text": "ok\n\nbad\u0000"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := s.ImportPaths(ctx, []string{txt, jl}, annotate.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{txt: "U+0000 at line 4, character 4", jl + ":1": "U+0000 at line 3, character 4"}
	for _, r := range rep.Results {
		if r.Status != annotate.ImportFailed || !strings.Contains(r.Error, want[r.Origin]) {
			t.Errorf("%s: %s %q, want failed naming %q", r.Origin, r.Status, r.Error, want[r.Origin])
		}
	}
	// A labelled document goes by the same rule.
	_, err = s.ImportLabelled(ctx, 0, annotate.LabelledDocument{Key: "l", Paragraphs: []annotate.LabelledParagraph{{Text: "a\x00b"}}})
	if !errors.Is(err, annotate.ErrInvalid) || !strings.Contains(err.Error(), "U+0000") {
		t.Errorf("labelled NUL: %v, want EINVALID naming U+0000", err)
	}
	res, err := s.ImportLabelled(ctx, 0, annotate.LabelledDocument{Key: "k", Paragraphs: []annotate.LabelledParagraph{{Text: "a\x1cb"}}})
	if err != nil || res.Status != annotate.ImportCreated {
		t.Errorf("labelled U+001C: %+v %v, want created", res, err)
	}
}

// jsonString quotes s as a JSON string.
func jsonString(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}
