package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"concord/annotate"
	"concord/modelserver/modelservertest"
)

func TestServeAsksTheModelServer(t *testing.T) {
	clearConcordEnv(t)
	b := modelservertest.New(t)
	b.Predict = func(modelservertest.Task) modelservertest.Prediction {
		return modelservertest.Prediction{Result: []modelservertest.Result{modelservertest.Choices("stance", "unrelated")}, Score: modelservertest.Score(0.55), ModelVersion: "v9"}
	}
	db := tempDB(t)
	srv := startServe(t, "--db", db, "--addr", "127.0.0.1:0", "--log-level", "warn", "--model-url", b.URL, "--model-batch", "5")
	store := openDB(t, db)
	prefix := strings.TrimPrefix(b.URL, "http://") + "/"
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		left, err := store.ParagraphsWithoutSuggestions(context.Background(), prefix, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d paragraphs still have no suggestion from %s; stderr: %s", len(left), prefix, srv.stderr)
		}
	}
	for _, r := range b.Requests() {
		if len(r.Tasks) > 5 {
			t.Fatalf("a request carried %d tasks, want at most the --model-batch 5", len(r.Tasks))
		}
	}
	page, err := store.SuggestionPage(context.Background(), annotate.SuggestionQuery{Agent: prefix + "v9", Limit: 10})
	if err != nil || len(page.Suggestions) == 0 || page.Suggestions[0].Values[0] != "unrelated" {
		t.Fatalf("suggestions %+v %v", page, err)
	}
	if code := srv.shutdown(); code != 0 {
		t.Fatalf("shutdown: exit %d\nstderr: %s", code, srv.stderr)
	}
}
