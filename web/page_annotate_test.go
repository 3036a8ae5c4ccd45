package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"concord/annotate"
)

// TestAnnotatePageRecentWork checks that the annotation page, loaded
// again, carries the caller's last labelled and skipped paragraphs with
// their labels and versions, so that going back works after a reload, and
// none of anyone else's labels.
func TestAnnotatePageRecentWork(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	u, err := e.store.CreateUser(ctx, 0, "recent1", annotate.RoleAnnotator, "recent password")
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.store.CreateUser(ctx, 0, "recent2", annotate.RoleAnnotator, "recent password")
	if err != nil {
		t.Fatal(err)
	}
	q, err := e.store.Queue(ctx, u.ID, annotate.QueueOptions{Limit: 3})
	if err != nil || len(q) < 3 {
		t.Fatalf("queue: %d %v", len(q), err)
	}
	labels := annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}
	if _, err := e.store.SaveAnnotation(ctx, u.ID, q[0].ID, 0, labels); err != nil {
		t.Fatal(err)
	}
	a, err := e.store.SaveAnnotation(ctx, u.ID, q[0].ID, 1, annotate.Labels{"stance": {"discuss"}, "topic": {"strike"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.SkipParagraph(ctx, u.ID, q[1].ID, "unclear"); err != nil {
		t.Fatal(err)
	}
	// Someone else's label on the paragraph the caller goes on with.
	if _, err := e.store.SaveAnnotation(ctx, other.ID, q[2].ID, 0, labels); err != nil {
		t.Fatal(err)
	}

	client, _ := accountLogin(t, e, "recent1", "recent password")
	var boot struct {
		Items []struct {
			Paragraph struct {
				ID int64 `json:"id"`
			} `json:"paragraph"`
		} `json:"items"`
		Recent []struct {
			Context struct {
				Paragraph struct {
					ID int64 `json:"id"`
				} `json:"paragraph"`
			} `json:"context"`
			Labels  map[string]any `json:"labels"`
			Version int            `json:"version"`
			Skipped bool           `json:"skipped"`
		} `json:"recent"`
	}
	annotateBootData(t, client, e.server.URL+"/annotate", &boot)
	if len(boot.Items) == 0 || boot.Items[0].Paragraph.ID != q[2].ID {
		t.Fatalf("first item = %+v, want paragraph %d", boot.Items, q[2].ID)
	}
	if len(boot.Recent) != 2 {
		t.Fatalf("recent = %+v, want the labelled and the skipped paragraph", boot.Recent)
	}
	first, second := boot.Recent[0], boot.Recent[1]
	if first.Context.Paragraph.ID != q[0].ID || first.Version != a.Version || first.Labels["stance"] != "discuss" || first.Skipped {
		t.Errorf("recent[0] = %+v, want paragraph %d at version %d with stance discuss", first, q[0].ID, a.Version)
	}
	if second.Context.Paragraph.ID != q[1].ID || !second.Skipped || second.Labels != nil {
		t.Errorf("recent[1] = %+v, want paragraph %d skipped, without labels", second, q[1].ID)
	}
}

// annotateBootData loads an annotation page and decodes the data its script
// starts from into out.
func annotateBootData(t *testing.T, client *http.Client, url string, out any) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	m := regexp.MustCompile(`(?s)<script type="application/json" id="boot">(.*?)</script>`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("no boot data on %s", url)
	}
	if err := json.Unmarshal(m[1], out); err != nil {
		t.Fatalf("boot data: %v", err)
	}
}

// TestAnnotatePageRemainingPerDocument checks the count the annotation page
// starts with: the whole queue, or on one document's page what is left in
// that document, as the queue's later answers count it. A document that is
// not an id is refused.
func TestAnnotatePageRemainingPerDocument(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	u, err := e.store.CreateUser(ctx, 0, "remain1", annotate.RoleAnnotator, "remain password")
	if err != nil {
		t.Fatal(err)
	}
	docs, err := e.store.Documents(ctx, u.ID)
	if err != nil || len(docs) < 2 {
		t.Fatalf("documents: %d %v", len(docs), err)
	}
	all, err := e.store.Remaining(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	inFirst, err := e.store.RemainingIn(ctx, u.ID, docs[0].ID)
	if err != nil || inFirst == 0 || inFirst == all {
		t.Fatalf("remaining: %d in document %d of %d (%v)", inFirst, docs[0].ID, all, err)
	}
	client, _ := accountLogin(t, e, "remain1", "remain password")
	var boot struct {
		Remaining int64 `json:"remaining"`
	}
	annotateBootData(t, client, e.server.URL+"/annotate", &boot)
	if boot.Remaining != all {
		t.Errorf("/annotate: remaining %d, want %d", boot.Remaining, all)
	}
	annotateBootData(t, client, fmt.Sprintf("%s/annotate?document=%d", e.server.URL, docs[0].ID), &boot)
	if boot.Remaining != inFirst {
		t.Errorf("/annotate?document=%d: remaining %d, want %d (that document's)", docs[0].ID, boot.Remaining, inFirst)
	}
	resp, err := client.Get(e.server.URL + "/annotate?document=abc")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "not a valid id") {
		t.Errorf("?document=abc: %d, want 400 saying ids are positive integers", resp.StatusCode)
	}
}
