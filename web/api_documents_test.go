package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"concord/annotate"
)

func TestDocumentsAPIPages(t *testing.T) {
	e := newAPIEnv(t)
	docs := make([]annotate.Source, 30)
	for i := range docs {
		docs[i] = annotate.Source{Key: fmt.Sprintf("page-%02d.txt", i), Text: []byte(fmt.Sprintf("Page test %d\n\nBody %d.", i, i))}
	}
	if rep, err := e.store.ImportDocuments(context.Background(), 0, docs); err != nil || rep.Err() != nil {
		t.Fatalf("import: %v %v", err, rep)
	}
	type page struct {
		Documents []struct {
			ID    int64  `json:"id"`
			Title string `json:"title"`
		} `json:"documents"`
		Next    string `json:"next"`
		Overlap int    `json:"overlap"`
	}
	seen := map[int64]bool{}
	next := ""
	for range 10 {
		var p page
		e.must("ann1", "GET", "/api/v1/documents?limit=7&q=page+test&next="+next, nil, http.StatusOK, &p)
		for _, d := range p.Documents {
			if seen[d.ID] || !strings.HasPrefix(d.Title, "Page test") {
				t.Fatalf("document %d %q seen twice or outside the search", d.ID, d.Title)
			}
			seen[d.ID] = true
		}
		if p.Next == "" {
			break
		}
		next = p.Next
	}
	if len(seen) != 30 {
		t.Errorf("paged through %d documents, want 30", len(seen))
	}
	for _, bad := range []string{"limit=0", "limit=501", "next=abc", "status=finished"} {
		code, body := e.do("ann1", "GET", "/api/v1/documents?"+bad, nil)
		var got struct {
			Error struct {
				Field string `json:"field"`
			} `json:"error"`
		}
		_ = json.Unmarshal(body, &got)
		if code != http.StatusBadRequest || got.Error.Field != strings.Split(bad, "=")[0] {
			t.Errorf("?%s: %d %s, want 400 naming the parameter", bad, code, body)
		}
	}
}
