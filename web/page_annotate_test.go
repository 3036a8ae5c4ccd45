package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
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
	resp, err := client.Get(e.server.URL + "/annotate")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /annotate: %d", resp.StatusCode)
	}
	m := regexp.MustCompile(`(?s)<script type="application/json" id="boot">(.*?)</script>`).FindSubmatch(body)
	if m == nil {
		t.Fatal("no boot data on the annotation page")
	}
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
	if err := json.Unmarshal(m[1], &boot); err != nil {
		t.Fatalf("boot data: %v", err)
	}
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
