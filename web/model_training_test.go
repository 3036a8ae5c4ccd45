package web_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"concord/annotate"
)

// goldEveryParagraph sets a gold stance on every current paragraph of the
// seed corpus, agree and disagree in turn, and returns their ids.
func goldEveryParagraph(t *testing.T, e *apiEnv) []int64 {
	t.Helper()
	ctx := context.Background()
	docs, err := e.store.Documents(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, d := range docs {
		ps, err := e.store.Paragraphs(ctx, d.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			st := []string{"agree", "disagree"}[len(ids)%2]
			if _, err := e.store.SetGold(ctx, e.users["rev"].ID, p.ID, 0, annotate.Labels{"stance": {st}, "topic": {"strike"}}, "own"); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, p.ID)
		}
	}
	return ids
}

// waitForRuns polls the runs API until no run is under way.
func waitForRuns(t *testing.T, e *apiEnv) []annotate.ModelRun {
	t.Helper()
	for range 600 {
		var out struct {
			Runs    []annotate.ModelRun    `json:"runs"`
			Trainer annotate.TrainerStatus `json:"trainer"`
		}
		e.must("rev", "GET", "/api/v1/model/runs", nil, 200, &out)
		if !out.Trainer.Running && len(out.Runs) > 0 {
			return out.Runs
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the training run did not end")
	return nil
}

// TestTrainingAPI: an admin starts a run, which answers at once and
// trains in the background; the runs, the label errors and the built-in
// model's suggestions follow, and no suggestion is an annotation. Wrong
// input is a 400 that says what to send, and changes nothing.
func TestTrainingAPI(t *testing.T) {
	e := newAPIEnv(t)
	ids := goldEveryParagraph(t, e)
	annotations := annotationCount(t, e.store)

	for _, bad := range []struct {
		body map[string]any
		want string
	}{
		{map[string]any{"dimension": "event"}, "open"},
		{map[string]any{"dimension": "nope"}, "no dimension"},
		{map[string]any{"folds": 1}, "folds"},
		{map[string]any{"min_confidence": 2}, "min_confidence"},
		{map[string]any{"what": 1}, "what"},
	} {
		code, body := e.do("admin", "POST", "/api/v1/model/train", bad.body)
		if code != 400 || !strings.Contains(string(body), bad.want) {
			t.Errorf("%v: %d %s; want 400 naming %s", bad.body, code, body, bad.want)
		}
	}
	if runs, _, err := e.store.ModelRuns(context.Background(), annotate.ListQuery{}); err != nil || len(runs) != 0 {
		t.Fatalf("refused requests stored %d runs (%v)", len(runs), err)
	}

	var started map[string]any
	e.must("admin", "POST", "/api/v1/model/train", nil, 202, &started)
	runs := waitForRuns(t, e)
	var stance *annotate.ModelRun
	for i, r := range runs {
		if r.Dimension == "stance" {
			stance = &runs[i]
		}
	}
	if stance == nil || stance.Status != annotate.RunDone || stance.Items != len(ids) || stance.Predicted != len(ids) || stance.Trigger != annotate.TriggerAdmin {
		t.Fatalf("stance run %+v; want done on the %d gold paragraphs, suggesting all of them", stance, len(ids))
	}
	var sugg struct {
		Suggestions []annotate.Suggestion `json:"suggestions"`
	}
	e.must("rev", "GET", "/api/v1/suggestions?agent="+url.QueryEscape(stance.Agent)+"&limit=500", nil, 200, &sugg)
	if len(sugg.Suggestions) != len(ids) {
		t.Errorf("%d suggestions from %s, want %d", len(sugg.Suggestions), stance.Agent, len(ids))
	}
	if got := annotationCount(t, e.store); got != annotations {
		t.Errorf("training added %d annotations", got-annotations)
	}

	var issues struct {
		Run        annotate.ModelRun          `json:"run"`
		Paragraphs []annotate.LabelIssueEntry `json:"paragraphs"`
		Next       string                     `json:"next"`
	}
	e.must("rev", "GET", "/api/v1/label-errors?dimension=stance&limit=5", nil, 200, &issues)
	if issues.Run.ID != stance.ID || len(issues.Paragraphs) != 5 || issues.Next != "5" || issues.Paragraphs[0].Rank != 1 || issues.Paragraphs[0].Text == "" {
		t.Errorf("label errors: run %d, %d paragraphs, next %q; want run %d's first 5 with their text", issues.Run.ID, len(issues.Paragraphs), issues.Next, stance.ID)
	}
	code, body := e.do("rev", "GET", "/api/v1/label-errors?dimension=topic", nil)
	if code != 404 || !strings.Contains(string(body), "not been trained") {
		t.Errorf("topic, never evaluated: %d %s; want 404 saying to train", code, body)
	}
	code, _ = e.do("rev", "GET", "/api/v1/label-errors", nil)
	if code != 400 {
		t.Errorf("no dimension: %d, want 400", code)
	}
}

// TestTrainingPages: the admin page shows the figures after a run, its
// setting form refuses a bad number and keeps the old one, and the
// reviewer's queue lists the ranked paragraphs.
func TestTrainingPages(t *testing.T) {
	e := newAPIEnv(t)
	goldEveryParagraph(t, e)
	ctx := context.Background()
	if _, err := e.store.Train(ctx, annotate.TrainOptions{}); err != nil {
		t.Fatal(err)
	}
	code, body := e.do("admin", "GET", "/admin/model", nil)
	page := string(body)
	if code != 200 || !strings.Contains(page, "Cross-validated figures") || !strings.Contains(page, "concord-linear@") || !strings.Contains(page, "Not evaluated:") {
		t.Errorf("admin page %d:\n%s", code, page)
	}
	code, body = e.doNoRedirect("admin", "POST", "/admin/model/settings", url.Values{"train_every": {"-3"}})
	if code != 400 || !strings.Contains(string(body), "train_every must be from 0") {
		t.Errorf("train_every -3: %d %s", code, body)
	}
	if n, _ := e.store.TrainEvery(ctx); n != annotate.DefaultTrainEvery {
		t.Errorf("train_every %d after a refused form, want the default %d", n, annotate.DefaultTrainEvery)
	}
	code, body = e.do("rev", "GET", "/review/label-errors?dimension=stance", nil)
	if code != 200 || !strings.Contains(string(body), `id="label-errors"`) || !strings.Contains(string(body), "/review/documents/") {
		t.Errorf("label errors page %d:\n%s", code, body)
	}
	code, body = e.do("rev", "GET", "/review/label-errors?dimension=topic", nil)
	if code != 200 || !strings.Contains(string(body), `id="no-ranking"`) {
		t.Errorf("label errors page for an untrained dimension %d:\n%s", code, body)
	}
	code, body = e.do("rev", "GET", "/agreement", nil)
	if code != 200 || !strings.Contains(string(body), `data-trained="stance"`) || !strings.Contains(string(body), "5-fold cross-validation on") || !strings.Contains(string(body), "likely label errors") {
		t.Errorf("agreement page %d: no cross-validated figures of the built-in model", code)
	}
	var runs struct {
		TrainEvery int `json:"train_every"`
	}
	_ = json.Unmarshal(e.must("rev", "GET", "/api/v1/model/runs", nil, 200, nil), &runs)
	if runs.TrainEvery != annotate.DefaultTrainEvery {
		t.Errorf("runs API train_every %d", runs.TrainEvery)
	}
}

// annotationCount counts the annotations on current paragraphs.
func annotationCount(t *testing.T, s *annotate.Store) int {
	t.Helper()
	n := 0
	err := s.EachParagraph(context.Background(), annotate.ParagraphFilter{}, func(r *annotate.ParagraphRecord) error {
		n += len(r.Annotations)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
