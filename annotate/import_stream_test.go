package annotate_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

// TestImportJSONLLimitIsPerDocument imports a JSONL file far larger than
// the size limit, which applies to each line, one document: every document
// under the limit goes in, and the one line over it is reported by its
// line number and passed over.
func TestImportJSONLLimitIsPerDocument(t *testing.T) {
	s := annotatetest.WithSchema(t)
	dir := t.TempDir()
	var b strings.Builder
	const docs = 1200
	for i := range docs {
		if i == 700 {
			fmt.Fprintf(&b, `{"id":"big","title":"Too big","text":%q}`+"\n", strings.Repeat("word ", 2000))
			continue
		}
		fmt.Fprintf(&b, `{"id":"d%d","title":"Document %d","text":"The body of document %d.\n\nA second paragraph."}`+"\n", i, i, i)
	}
	path := filepath.Join(dir, "corpus.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var seen int
	rep, err := s.ImportPaths(context.Background(), []string{path}, annotate.ImportOptions{MaxFileSize: 4096, Result: func(annotate.ImportResult) { seen++ }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Created != docs-1 || rep.Failed != 1 {
		t.Fatalf("created %d, failed %d; want %d and 1 (the file is %d bytes, the limit 4096 a document)", rep.Created, rep.Failed, docs-1, b.Len())
	}
	var failed annotate.ImportResult
	for _, r := range rep.Results {
		if r.Status == annotate.ImportFailed {
			failed = r
		}
	}
	if !strings.HasSuffix(failed.Origin, "corpus.jsonl:701") || !strings.Contains(failed.Error, "larger than the limit of 4096 bytes") {
		t.Errorf("failure = %+v, want line 701 named with the limit", failed)
	}
	if seen != docs {
		t.Errorf("the Result callback saw %d results, want %d", seen, docs)
	}
	if rep.Total() != docs {
		t.Errorf("Total = %d, want %d", rep.Total(), docs)
	}
}
