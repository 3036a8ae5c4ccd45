package modelserver

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"concord/annotate"
	"concord/annotate/annotatetest"
	"concord/modelserver/modelservertest"
)

// fullPrediction answers every dimension of the default schema: a single,
// a multi with a score per result, an open one.
func fullPrediction(modelservertest.Task) modelservertest.Prediction {
	topic := modelservertest.Choices("topic", "strike", "iran-response")
	topic.Score = modelservertest.Score(0.6)
	return modelservertest.Prediction{
		Result:       []modelservertest.Result{modelservertest.Choices("stance", "Agree"), topic, modelservertest.TextArea("event", "A new event")},
		Score:        modelservertest.Score(0.9),
		ModelVersion: "bert-3",
	}
}

// runWorker runs w until the test ends.
func runWorker(t *testing.T, w *Worker) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// waitFor polls cond until it holds, failing the test after a generous
// limit; no assertion depends on how long it took.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func currentIDs(t *testing.T, st *annotate.Store) []int64 {
	t.Helper()
	ps, err := st.ParagraphsWithoutSuggestions(context.Background(), "nobody/", 0, annotate.MaxMissingLimit)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return ids
}

func TestModelServerWorkerSweep(t *testing.T) {
	ctx := context.Background()
	st := annotatetest.Seeded(t)
	b := modelservertest.New(t)
	b.Predict = fullPrediction
	c, _ := testClient(t, b, Options{})
	all := currentIDs(t, st)
	w := NewWorker(st, c, WorkerOptions{Batch: 7, Pace: time.Millisecond})
	runWorker(t, w)
	waitFor(t, "the sweep", func() bool { return w.Status().Sweeps >= 1 })

	s := w.Status()
	agent := c.AgentPrefix() + "bert-3"
	if s.Predicted != int64(len(all)) || s.Failed != 0 || s.Agent != agent || s.Model != "bert-3" || s.Breaker != BreakerClosed {
		t.Fatalf("status %+v, want %d predicted by %s", s, len(all), agent)
	}
	// Every paragraph has its three suggestions, the multi one with its
	// result's score, the others with the prediction's.
	sug, err := st.Suggestions(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range all {
		got := map[string]annotate.Suggestion{}
		for _, x := range sug[id] {
			got[x.Dimension] = x
		}
		if len(got) != 3 || got["stance"].Values[0] != "agree" || got["stance"].Score != 0.9 || strings.Join(got["topic"].Values, ",") != "iran-response,strike" || got["topic"].Score != 0.6 || got["event"].Values[0] != "A new event" || got["event"].Agent != agent {
			t.Fatalf("paragraph %d: %+v", id, sug[id])
		}
	}
	// Batches of 7 and the label config of the schema went with them.
	reqs := b.Requests()
	if len(reqs) != (len(all)+6)/7 || len(reqs[0].Tasks) != 7 || !strings.Contains(reqs[0].LabelConfig, `<Choices name="stance"`) || !strings.Contains(reqs[0].LabelConfig, `<TextArea name="event"`) {
		t.Fatalf("%d requests for %d paragraphs; first: %d tasks, config %.200s", len(reqs), len(all), len(reqs[0].Tasks), reqs[0].LabelConfig)
	}
	// Suggestions are no one's annotations.
	for _, id := range all[:5] {
		anns, err := st.Annotations(ctx, id)
		if err != nil || len(anns) != 0 {
			t.Fatalf("paragraph %d has annotations %v %v", id, anns, err)
		}
	}
	// Nothing is left to sweep for this server; another server's agent
	// still finds every paragraph.
	if left, _ := st.ParagraphsWithoutSuggestions(ctx, c.AgentPrefix(), 0, 10); len(left) != 0 {
		t.Fatalf("left after the sweep: %v", left)
	}
	if left, _ := st.ParagraphsWithoutSuggestions(ctx, "other:9090/", 0, 10); len(left) != 10 {
		t.Fatalf("another server's sweep finds %d, want 10", len(left))
	}
}

func TestModelServerWorkerBadItems(t *testing.T) {
	ctx := context.Background()
	st := annotatetest.Seeded(t)
	all := currentIDs(t, st)
	bad := map[int64]string{all[1]: "unknown value", all[2]: "no score", all[3]: "unknown dimension", all[4]: "score out of range", all[5]: "empty"}
	b := modelservertest.New(t)
	b.Predict = func(task modelservertest.Task) modelservertest.Prediction {
		p := modelservertest.Prediction{Result: []modelservertest.Result{modelservertest.Choices("stance", "agree")}, Score: modelservertest.Score(0.7)}
		switch bad[task.ID] {
		case "unknown value":
			p.Result = append(p.Result, modelservertest.Choices("topic", "strike", "no-such-topic"))
		case "no score":
			p.Score = nil
		case "unknown dimension":
			p.Result = append(p.Result, modelservertest.Choices("mood", "glum"))
		case "score out of range":
			p.Score = modelservertest.Score(1.5)
		case "empty":
			p.Result = nil
		}
		return p
	}
	c, _ := testClient(t, b, Options{})
	w := NewWorker(st, c, WorkerOptions{Batch: 10, Pace: time.Millisecond})
	runWorker(t, w)
	waitFor(t, "the sweep", func() bool { return w.Status().Sweeps >= 1 })
	s := w.Status()
	if s.Failed != 5 || s.Predicted != int64(len(all)-5) || s.Agent != c.AgentPrefix()+"ml-backend" {
		t.Fatalf("status %+v, want 5 failed and %d predicted", s, len(all)-5)
	}
	if len(s.ReasonList()) < 3 {
		t.Fatalf("reasons %v", s.Reasons)
	}
	sug, _ := st.Suggestions(ctx, all[:6])
	if len(sug[all[0]]) != 1 {
		t.Fatalf("the good paragraph in the batch: %v", sug[all[0]])
	}
	for id := range bad {
		if len(sug[id]) != 0 {
			t.Fatalf("paragraph %d (%s) got %v, want nothing stored", id, bad[id], sug[id])
		}
	}
}

func TestModelServerWorkerHintsFirst(t *testing.T) {
	st := annotatetest.Seeded(t)
	all := currentIDs(t, st)
	b := modelservertest.New(t)
	b.Predict = fullPrediction
	c, _ := testClient(t, b, Options{})
	w := NewWorker(st, c, WorkerOptions{Batch: 3, Pace: time.Millisecond})
	// The last paragraphs of the corpus are what an annotator is handed.
	hint := []int64{all[len(all)-1], all[len(all)-2]}
	w.Offer(hint)
	runWorker(t, w)
	waitFor(t, "the first request", func() bool { return len(b.Requests()) > 0 })
	first := b.Requests()[0].Tasks
	if len(first) != 2 || first[0].ID != hint[0] || first[1].ID != hint[1] {
		t.Fatalf("first request %+v, want the hinted %v", first, hint)
	}
	waitFor(t, "the sweep", func() bool { return w.Status().Sweeps >= 1 })
	// The sweep did not ask again for the hinted ones.
	n := 0
	for _, r := range b.Requests() {
		for _, task := range r.Tasks {
			if task.ID == hint[0] {
				n++
			}
		}
	}
	if n != 1 || w.Status().Hinted != 2 {
		t.Fatalf("hinted paragraph asked %d times (hinted %d), want once", n, w.Status().Hinted)
	}
}

func TestModelServerWorkerBreakerWaits(t *testing.T) {
	st := annotatetest.Seeded(t)
	b := modelservertest.New(t)
	b.Handle = func(w http.ResponseWriter, r *http.Request, req modelservertest.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	}
	c, _ := testClient(t, b, Options{Retries: 1, BreakerFailures: 2, BreakerCooldown: time.Hour})
	w := NewWorker(st, c, WorkerOptions{Batch: 5, Pace: time.Millisecond})
	runWorker(t, w)
	waitFor(t, "the breaker", func() bool { s := w.Status(); return s.Breaker == BreakerOpen && s.Failed > 0 })
	// Hints are taken without blocking while the breaker is open.
	for i := 0; i < 200; i++ {
		w.Offer([]int64{1})
	}
	s := w.Status()
	if b.Calls() != 2 || s.Failed != 5 || !strings.Contains(s.LastError, "500") || s.Hinted+s.Dropped != 200 {
		t.Fatalf("calls %d status %+v", b.Calls(), s)
	}
}
