package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
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

// TestDocumentsAPIReviewStatuses lists the documents with open
// disagreements and with gold labels for a reviewer, refuses both to an
// annotator, and offers them on the review page's filter alone.
func TestDocumentsAPIReviewStatuses(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	rep, err := e.store.ImportDocuments(ctx, 0, []annotate.Source{
		{Key: "split.txt", Text: []byte("Split views\n\nThe first.\n\nThe second.")},
		{Key: "decided.txt", Text: []byte("Decided views\n\nThe only one.")},
	})
	if err != nil || rep.Err() != nil {
		t.Fatalf("import: %v %v", err, rep)
	}
	split, decided := rep.Results[0].DocumentID, rep.Results[1].DocumentID
	para := func(doc int64) int64 {
		ps, err := e.store.Paragraphs(ctx, doc, 0)
		if err != nil || len(ps) == 0 {
			t.Fatalf("paragraphs of %d: %v", doc, err)
		}
		return ps[0].ID
	}
	for user, stance := range map[string]string{"ann1": "agree", "ann2": "discuss"} {
		for _, doc := range []int64{split, decided} {
			if _, err := e.store.SaveAnnotation(ctx, e.users[user].ID, para(doc), 0, annotate.Labels{"stance": {stance}, "topic": {"strike"}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := e.store.SetGold(ctx, e.users["rev"].ID, para(decided), 0, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}, "accept:ann1"); err != nil {
		t.Fatal(err)
	}
	var page struct {
		Documents []struct {
			ID int64 `json:"id"`
		} `json:"documents"`
	}
	for status, want := range map[string]int64{"disagreements": split, "gold": decided} {
		e.must("rev", "GET", "/api/v1/documents?status="+status, nil, http.StatusOK, &page)
		if len(page.Documents) != 1 || page.Documents[0].ID != want {
			t.Errorf("?status=%s lists %+v, want only document %d", status, page.Documents, want)
		}
		code, body := e.do("ann1", "GET", "/api/v1/documents?status="+status, nil)
		if code != http.StatusForbidden || !strings.Contains(string(body), "for reviewers and admins") {
			t.Errorf("?status=%s as an annotator: %d %s, want 403 saying who may", status, code, body)
		}
	}
	// A mistyped status lists the statuses the caller may ask for.
	for user, want := range map[string][]string{
		"rev":  annotate.DocumentStatuses,
		"ann1": {annotate.DocNotStarted, annotate.DocInProgress, annotate.DocDone, annotate.DocMine, annotate.DocMineLeft},
	} {
		code, body := e.do(user, "GET", "/api/v1/documents?status=finished", nil)
		if er := apiDecodeError(t, body); code != http.StatusBadRequest || er.Error.Field != "status" || !slices.Equal(er.Error.Allowed, want) {
			t.Errorf("?status=finished as %s: %d %s, want 400 allowing %v", user, code, body, want)
		}
	}
	_, review := e.do("rev", "GET", "/review", nil)
	_, home := e.do("ann1", "GET", "/", nil)
	for _, opt := range []string{`value="disagreements"`, `value="gold"`} {
		if !strings.Contains(string(review), opt) {
			t.Errorf("the review page's filter has no %s", opt)
		}
		if strings.Contains(string(home), opt) {
			t.Errorf("an annotator's home page offers %s", opt)
		}
	}
}
