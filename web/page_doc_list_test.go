package web_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"concord/annotate"
)

// TestDocumentPagesArePaged checks the home and review pages: a page of
// documents, a link to the next, a search box, and a 400 for a bad limit.
func TestDocumentPagesArePaged(t *testing.T) {
	e := newAPIEnv(t)
	docs := make([]annotate.Source, 60)
	for i := range docs {
		docs[i] = annotate.Source{Key: fmt.Sprintf("bulk-%02d.txt", i), Text: []byte(fmt.Sprintf("Bulk article %02d\n\nBody %d.", i, i))}
	}
	if rep, err := e.store.ImportDocuments(context.Background(), 0, docs); err != nil || rep.Err() != nil {
		t.Fatalf("import: %v %v", err, rep)
	}
	nextRe := regexp.MustCompile(`href="([^"]*next=\d+[^"]*)" rel="next"`)
	for _, tc := range []struct{ path, user string }{{"/", "ann1"}, {"/review", "rev"}} {
		seen := map[string]bool{}
		url := tc.path
		for pages := 0; url != ""; pages++ {
			if pages > 5 {
				t.Fatalf("%s: more pages than documents", tc.path)
			}
			code, body := e.do(tc.user, "GET", url, nil)
			if code != http.StatusOK {
				t.Fatalf("GET %s: %d", url, code)
			}
			for _, m := range regexp.MustCompile(`Bulk article (\d\d)`).FindAllStringSubmatch(string(body), -1) {
				if seen[m[1]] {
					t.Fatalf("%s: article %s on two pages", tc.path, m[1])
				}
				seen[m[1]] = true
			}
			if !strings.Contains(string(body), `type="search" name="q"`) {
				t.Errorf("GET %s: no search box", url)
			}
			url = ""
			if m := nextRe.FindStringSubmatch(string(body)); m != nil {
				url = strings.ReplaceAll(m[1], "&amp;", "&")
			}
		}
		if len(seen) != 60 {
			t.Errorf("%s: %d of the 60 articles shown over the pages", tc.path, len(seen))
		}
		code, body := e.do(tc.user, "GET", tc.path+"?q=article+07", nil)
		if code != http.StatusOK || !strings.Contains(string(body), "Bulk article 07") || strings.Contains(string(body), "Bulk article 08") {
			t.Errorf("%s?q=article 07: %d, the page lacks article 07 or shows others", tc.path, code)
		}
		if code, _ := e.do(tc.user, "GET", tc.path+"?limit=9999", nil); code != http.StatusBadRequest {
			t.Errorf("%s?limit=9999: %d, want 400", tc.path, code)
		}
	}
}
