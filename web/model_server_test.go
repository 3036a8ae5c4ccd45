package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"concord/modelserver"
	"concord/modelserver/modelservertest"
	"concord/web"
)

// lateModelServer lets a test build the worker after the server, on the
// server's store.
type lateModelServer struct {
	w atomic.Pointer[modelserver.Worker]
}

func (l *lateModelServer) Offer(ids []int64) {
	if w := l.w.Load(); w != nil {
		w.Offer(ids)
	}
}

func (l *lateModelServer) Status() modelserver.Status { return l.w.Load().Status() }

// modelServerEnv is an API server whose worker asks backend b.
func modelServerEnv(t *testing.T, b *modelservertest.Backend, opt modelserver.Options) (*apiEnv, *modelserver.Worker) {
	t.Helper()
	late := &lateModelServer{}
	e := newAPIEnvConfig(t, web.Config{ModelServer: late})
	c, err := modelserver.New(b.URL, opt)
	if err != nil {
		t.Fatal(err)
	}
	w := modelserver.NewWorker(e.store, c, modelserver.WorkerOptions{Batch: 8, Pace: time.Millisecond})
	late.w.Store(w)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return e, w
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type queueAnswer struct {
	Items []struct {
		Paragraph struct {
			ID int64 `json:"id"`
		} `json:"paragraph"`
	} `json:"items"`
	Suggestions map[string][]struct {
		Dimension string   `json:"dimension"`
		Value     *string  `json:"value"`
		Values    []string `json:"values"`
		Score     float64  `json:"score"`
		Agent     string   `json:"agent"`
	} `json:"suggestions"`
}

func TestModelServerAnnotationNeverWaits(t *testing.T) {
	b := modelservertest.New(t)
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	t.Cleanup(free)
	b.Predict = func(modelservertest.Task) modelservertest.Prediction {
		return modelservertest.Prediction{Result: []modelservertest.Result{modelservertest.Choices("stance", "discuss")}, Score: modelservertest.Score(0.75), ModelVersion: "tfidf-2"}
	}
	b.Handle = func(w http.ResponseWriter, r *http.Request, req modelservertest.Request) {
		// A model that hangs until the test lets it go.
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		b.Answer(w, req)
	}
	e, w := modelServerEnv(t, b, modelserver.Options{Timeout: time.Hour})
	waitUntil(t, "the worker's first request", func() bool { return b.InFlight() > 0 })

	// With the model hanging, the queue and a save answer at once.
	var q queueAnswer
	e.must("ann1", "GET", "/api/v1/queue/next?limit=3", nil, 200, &q)
	if len(q.Items) != 3 {
		t.Fatalf("queue gave %d items", len(q.Items))
	}
	pid := q.Items[0].Paragraph.ID
	e.must("ann1", "PUT", fmt.Sprintf("/api/v1/paragraphs/%d/annotation", pid), map[string]any{"version": 0, "labels": map[string]any{"stance": "agree", "topic": []string{"strike"}}}, 201, nil)
	if b.InFlight() == 0 || b.Calls() != 1 {
		t.Fatalf("in flight %d, calls %d: the answers should not have waited for the model", b.InFlight(), b.Calls())
	}
	// The queue offered what it handed out.
	if s := w.Status(); s.Hinted < 3 {
		t.Fatalf("hinted %d, want the 3 the queue handed out", s.Hinted)
	}

	free()
	waitUntil(t, "the sweep", func() bool { return w.Status().Sweeps >= 1 })
	agent := strings.TrimPrefix(b.URL, "http://") + "/tfidf-2"
	e.must("ann1", "GET", "/api/v1/queue/next?limit=3", nil, 200, &q)
	for _, it := range q.Items {
		got := q.Suggestions[fmt.Sprint(it.Paragraph.ID)]
		if len(got) != 1 || got[0].Value == nil || *got[0].Value != "discuss" || got[0].Score != 0.75 || got[0].Agent != agent {
			t.Fatalf("paragraph %d's suggestions %+v, want discuss by %s", it.Paragraph.ID, got, agent)
		}
	}
	// The suggestion is not an annotation: the paragraph saved has the one
	// human annotation, the others none.
	var anns, other struct {
		Annotations []map[string]any `json:"annotations"`
	}
	e.must("rev", "GET", fmt.Sprintf("/api/v1/paragraphs/%d/annotations", pid), nil, 200, &anns)
	if len(anns.Annotations) != 1 {
		t.Fatalf("annotations of %d: %v", pid, anns)
	}
	e.must("rev", "GET", fmt.Sprintf("/api/v1/paragraphs/%d/annotations", q.Items[0].Paragraph.ID), nil, 200, &other)
	if len(other.Annotations) != 0 {
		t.Fatalf("a predicted paragraph has annotations %v", other)
	}

	var st struct {
		Configured bool               `json:"configured"`
		Status     modelserver.Status `json:"status"`
	}
	e.must("admin", "GET", "/api/v1/admin/model-server", nil, 200, &st)
	if !st.Configured || st.Status.Breaker != modelserver.BreakerClosed || st.Status.Agent != agent || st.Status.Predicted == 0 || st.Status.URL != b.URL {
		t.Fatalf("status %+v", st)
	}
	if got, _ := e.do("ann1", "GET", "/api/v1/admin/model-server", nil); got != 403 {
		t.Fatalf("an annotator got %d for the model server's status, want 403", got)
	}
	got, body := e.do("admin", "GET", "/admin/model-server", nil)
	if got != 200 || !strings.Contains(string(body), agent) || !strings.Contains(string(body), `id="model-breaker">closed`) {
		t.Fatalf("page %d: %.300s", got, body)
	}
}

func TestModelServerBreakerKeepsAnnotating(t *testing.T) {
	b := modelservertest.New(t)
	b.Handle = func(w http.ResponseWriter, r *http.Request, req modelservertest.Request) {
		<-r.Context().Done() // sleeps beyond every timeout
	}
	e, w := modelServerEnv(t, b, modelserver.Options{Timeout: 20 * time.Millisecond, Retries: 2, Backoff: time.Millisecond, BreakerFailures: 3, BreakerCooldown: time.Hour})
	waitUntil(t, "the breaker to open", func() bool { s := w.Status(); return s.Breaker == modelserver.BreakerOpen && s.Failed > 0 })
	calls := b.Calls()
	for i := 0; i < 5; i++ {
		var q queueAnswer
		e.must(fmt.Sprintf("ann%d", i%2+1), "GET", "/api/v1/queue/next?limit=2", nil, 200, &q)
		pid := q.Items[0].Paragraph.ID
		e.must(fmt.Sprintf("ann%d", i%2+1), "PUT", fmt.Sprintf("/api/v1/paragraphs/%d/annotation", pid), map[string]any{"version": 0, "labels": map[string]any{"stance": "agree", "topic": []string{"strike"}}}, 201, nil)
	}
	s := w.Status()
	if b.Calls() != calls || calls != 3 || s.Retries != 2 || !strings.Contains(s.LastError, "did not answer within") {
		t.Fatalf("calls %d then %d, status %+v: want 3 timed-out requests and none while open", calls, b.Calls(), s)
	}
	var st struct {
		Status modelserver.Status `json:"status"`
	}
	e.must("admin", "GET", "/api/v1/admin/model-server", nil, 200, &st)
	if st.Status.Breaker != modelserver.BreakerOpen || st.Status.Failed == 0 {
		t.Fatalf("status %+v", st.Status)
	}
}

func TestModelServerNotConfigured(t *testing.T) {
	e := newAPIEnv(t)
	var st map[string]any
	e.must("admin", "GET", "/api/v1/admin/model-server", nil, 200, &st)
	if st["configured"] != false {
		t.Fatalf("got %v", st)
	}
	got, body := e.do("admin", "GET", "/admin/model-server", nil)
	if got != 200 || !strings.Contains(string(body), "--model-url") {
		t.Fatalf("page %d: %.300s", got, body)
	}
}
