package web_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"concord/annotate"
	"concord/modelserver"
	"concord/modelserver/modelservertest"
	"concord/web"
)

// TestBrowserModelServerPage opens the admin's model server page after the
// worker swept the corpus, with one paragraph the model could not answer.
func TestBrowserModelServerPage(t *testing.T) {
	b := modelservertest.New(t)
	b.Predict = func(task modelservertest.Task) modelservertest.Prediction {
		p := modelservertest.Prediction{Result: []modelservertest.Result{modelservertest.Choices("stance", "agree")}, Score: modelservertest.Score(0.8), ModelVersion: "tfidf-2"}
		if task.ID == 2 {
			p.Result = []modelservertest.Result{modelservertest.Choices("stance", "sarcastic")}
		}
		return p
	}
	st := seededTestStore(t)
	late := &lateModelServer{}
	srv := httptest.NewServer(web.New(st, web.Config{ModelServer: late}).Handler())
	t.Cleanup(srv.Close)
	c, err := modelserver.New(b.URL, modelserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := modelserver.NewWorker(st, c, modelserver.WorkerOptions{Batch: 16, Pace: time.Millisecond})
	late.w.Store(w)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	waitUntil(t, "the sweep", func() bool { return w.Status().Sweeps >= 1 })

	env := &browserEnv{Store: st, URL: srv.URL}
	browserUser(t, env, "boss", annotate.RoleAdmin)
	tab := browserTab(t, time.Minute)
	browserLogin(t, tab, env, "boss")
	browserDo(t, tab, chromedp.Navigate(srv.URL+"/admin/model-server"), chromedp.WaitVisible(chromedp.ID("model-server")))
	breaker := browserEval[string](t, tab, `document.getElementById("model-breaker").textContent`)
	failed := browserEval[string](t, tab, `document.getElementById("model-failed").textContent`)
	text := browserEval[string](t, tab, `document.getElementById("model-server").innerText`)
	if breaker != "closed" || failed != "1" || !strings.Contains(text, "tfidf-2") || !strings.Contains(text, "sarcastic") {
		t.Fatalf("breaker %q failed %q page:\n%s", breaker, failed, text)
	}
	current := browserEval[string](t, tab, `document.querySelector('.subnav [aria-current="page"]').textContent`)
	if current != "Model server" {
		t.Fatalf("the admin menu marks %q", current)
	}
	browserShot(t, tab, browserShotDir(t), "admin-model-server")
}
