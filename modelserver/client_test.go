package modelserver

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"concord/modelserver/modelservertest"
)

// testClient returns a client of b with short timeouts whose back-off
// waits are recorded instead of slept.
func testClient(t *testing.T, b *modelservertest.Backend, opt Options) (*Client, *[]time.Duration) {
	t.Helper()
	if opt.Timeout == 0 {
		opt.Timeout = 2 * time.Second
	}
	if opt.Backoff == 0 {
		opt.Backoff = time.Millisecond
	}
	c, err := New(b.URL, opt)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	waits := &[]time.Duration{}
	c.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		*waits = append(*waits, d)
		mu.Unlock()
		return ctx.Err()
	}
	return c, waits
}

var oneTask = []Task{{ID: 7, Data: TaskData{Text: "Iran vows revenge."}}}

func TestModelServerClientRequestShape(t *testing.T) {
	b := modelservertest.New(t)
	b.Predict = func(modelservertest.Task) modelservertest.Prediction {
		return modelservertest.Prediction{Result: []modelservertest.Result{modelservertest.Choices("stance", "agree")}, Score: modelservertest.Score(0.5)}
	}
	c, err := New(strings.Replace(b.URL, "http://", "http://ann:s3cret@", 1)+"/", Options{})
	if err != nil {
		t.Fatal(err)
	}
	ans, err := c.Predict(context.Background(), oneTask, "<View/>")
	if err != nil || len(ans) != 1 || len(ans[0].Predictions) != 1 {
		t.Fatalf("got %v, %v", ans, err)
	}
	req := b.Requests()[0]
	if len(req.Tasks) != 1 || req.Tasks[0].ID != 7 || req.Tasks[0].Data["text"] != "Iran vows revenge." || req.LabelConfig != "<View/>" || req.Project != "concord" {
		t.Fatalf("request %+v", req)
	}
	if _, ok := req.Params["context"]; !ok {
		t.Fatalf("params %v: want a context key", req.Params)
	}
	if got := b.Authorization()[0]; got != "Basic YW5uOnMzY3JldA==" {
		t.Fatalf("authorization %q, want basic auth of ann:s3cret", got)
	}
	if strings.Contains(c.URL(), "s3cret") || !strings.HasSuffix(c.AgentPrefix(), "/") || !strings.HasPrefix(c.Agent(""), c.AgentPrefix()) || !strings.HasSuffix(c.Agent(""), "ml-backend") {
		t.Fatalf("url %q prefix %q agent %q", c.URL(), c.AgentPrefix(), c.Agent(""))
	}
	if _, err := New("ftp://x", Options{}); err == nil {
		t.Fatal("an ftp URL was taken")
	}
}

func TestModelServerClientAnswerShapes(t *testing.T) {
	cases := []struct {
		name, body string
		wantErr    string
		wantPreds  int
		wantModel  string
	}{
		{"model response", `{"results":[{"result":[],"score":0.5,"model_version":"m1"}]}`, "", 1, ""},
		{"bare list", `[{"result":[],"score":0.5}]`, "", 1, ""},
		{"several per task", `{"results":[[{"result":[]},{"result":[]}]]}`, "", 2, ""},
		{"older with top version", `{"results":[{"result":[]}],"model_version":"old-2"}`, "", 1, "old-2"},
		{"not json", `<html>oops</html>`, "not JSON", 0, ""},
		{"broken json", `{"results":[{"result":`, "not JSON", 0, ""},
		{"no results", `{"predictions":[]}`, "no results", 0, ""},
		{"wrong count", `{"results":[{"result":[]},{"result":[]}]}`, "2 result(s) for 1 task(s)", 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := modelservertest.New(t)
			b.Handle = func(w http.ResponseWriter, r *http.Request, req modelservertest.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(tc.body))
			}
			c, _ := testClient(t, b, Options{})
			ans, err := c.Predict(context.Background(), oneTask, "<View/>")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error with %q", err, tc.wantErr)
				}
				if b.Calls() != 1 {
					t.Fatalf("a malformed answer was asked %d times, want once", b.Calls())
				}
				return
			}
			if err != nil || len(ans) != 1 || len(ans[0].Predictions) != tc.wantPreds || ans[0].Model != tc.wantModel {
				t.Fatalf("got %+v, %v", ans, err)
			}
		})
	}
}

func TestModelServerClientRetries(t *testing.T) {
	t.Run("5xx then success", func(t *testing.T) {
		b := modelservertest.New(t)
		b.Handle = func(w http.ResponseWriter, r *http.Request, req modelservertest.Request) {
			if b.Calls() <= 2 {
				http.Error(w, "busy", http.StatusBadGateway)
				return
			}
			_, _ = w.Write([]byte(`{"results":[{"result":[]}]}`))
		}
		c, waits := testClient(t, b, Options{Backoff: 100 * time.Millisecond})
		if _, err := c.Predict(context.Background(), oneTask, ""); err != nil {
			t.Fatal(err)
		}
		if b.Calls() != 3 || c.Retries() != 2 || len(*waits) != 2 {
			t.Fatalf("calls %d retries %d waits %v, want 3, 2, 2", b.Calls(), c.Retries(), *waits)
		}
		// Exponential with jitter: the second wait is from half to all of
		// twice the first base.
		if w := *waits; w[0] < 50*time.Millisecond || w[0] > 100*time.Millisecond || w[1] < 100*time.Millisecond || w[1] > 200*time.Millisecond {
			t.Fatalf("waits %v, want within [50ms,100ms] then [100ms,200ms]", w)
		}
		if c.Breaker() != BreakerClosed {
			t.Fatalf("breaker %s after a success", c.Breaker())
		}
	})
	t.Run("4xx is not retried", func(t *testing.T) {
		b := modelservertest.New(t)
		b.Handle = func(w http.ResponseWriter, r *http.Request, req modelservertest.Request) {
			http.Error(w, "bad label config", http.StatusBadRequest)
		}
		c, waits := testClient(t, b, Options{})
		_, err := c.Predict(context.Background(), oneTask, "")
		var se *StatusError
		if !errors.As(err, &se) || se.Status != 400 || !strings.Contains(se.Body, "bad label config") {
			t.Fatalf("got %v, want the 400 with its body", err)
		}
		if b.Calls() != 1 || len(*waits) != 0 {
			t.Fatalf("calls %d waits %v, want 1 and none", b.Calls(), *waits)
		}
	})
	t.Run("429 honours Retry-After", func(t *testing.T) {
		b := modelservertest.New(t)
		b.Handle = func(w http.ResponseWriter, r *http.Request, req modelservertest.Request) {
			if b.Calls() == 1 {
				w.Header().Set("Retry-After", "7")
				http.Error(w, "slow down", http.StatusTooManyRequests)
				return
			}
			_, _ = w.Write([]byte(`{"results":[{"result":[]}]}`))
		}
		c, waits := testClient(t, b, Options{})
		if _, err := c.Predict(context.Background(), oneTask, ""); err != nil {
			t.Fatal(err)
		}
		if len(*waits) != 1 || (*waits)[0] != 7*time.Second {
			t.Fatalf("waits %v, want the 7s the server asked", *waits)
		}
	})
	t.Run("Retry-After beyond the limit", func(t *testing.T) {
		b := modelservertest.New(t)
		b.Handle = func(w http.ResponseWriter, r *http.Request, req modelservertest.Request) {
			w.Header().Set("Retry-After", "3600")
			http.Error(w, "come back later", http.StatusServiceUnavailable)
		}
		c, waits := testClient(t, b, Options{MaxRetryAfter: time.Minute})
		if _, err := c.Predict(context.Background(), oneTask, ""); err == nil || !strings.Contains(err.Error(), "asked to wait") {
			t.Fatalf("got %v", err)
		}
		if len(*waits) != 0 || b.Calls() != 1 {
			t.Fatalf("waits %v calls %d", *waits, b.Calls())
		}
	})
}

func TestModelServerClientTimeoutAndBreaker(t *testing.T) {
	b := modelservertest.New(t)
	release := make(chan struct{})
	var slow sync.Mutex
	slowNow := true
	b.Handle = func(w http.ResponseWriter, r *http.Request, req modelservertest.Request) {
		slow.Lock()
		s := slowNow
		slow.Unlock()
		if s {
			// Sleeps beyond the client's timeout: until the client gives
			// up, or the test ends.
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		_, _ = w.Write([]byte(`{"results":[{"result":[]}]}`))
	}
	defer close(release)
	var clockMu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
	c, _ := testClient(t, b, Options{Timeout: 20 * time.Millisecond, Retries: 2, BreakerFailures: 3, BreakerCooldown: time.Minute, Now: clock})
	_, err := c.Predict(context.Background(), oneTask, "")
	if err == nil || !strings.Contains(err.Error(), "did not answer within") {
		t.Fatalf("got %v, want a timeout", err)
	}
	if b.Calls() != 3 || c.Retries() != 2 {
		t.Fatalf("calls %d retries %d, want 3 and 2", b.Calls(), c.Retries())
	}
	if c.Breaker() != BreakerOpen {
		t.Fatalf("breaker %s after 3 failures, want open", c.Breaker())
	}
	// While open, nothing reaches the server.
	_, err = c.Predict(context.Background(), oneTask, "")
	var be *BreakerError
	if !errors.As(err, &be) || !errors.Is(err, ErrBreakerOpen) || be.RetryIn != time.Minute {
		t.Fatalf("got %v, want the breaker open for a minute", err)
	}
	if b.Calls() != 3 {
		t.Fatalf("the open breaker let a request through: %d calls", b.Calls())
	}
	// After the cool-down one probe goes; it fails, and the breaker opens
	// again at once.
	clockMu.Lock()
	now = now.Add(time.Minute)
	clockMu.Unlock()
	if _, err := c.Predict(context.Background(), oneTask, ""); !errors.Is(err, ErrBreakerOpen) {
		t.Fatalf("got %v, want the failed probe to reopen the breaker", err)
	}
	if b.Calls() != 4 || c.Breaker() != BreakerOpen {
		t.Fatalf("calls %d breaker %s, want one probe and open", b.Calls(), c.Breaker())
	}
	// The server recovers: the next probe closes the breaker.
	slow.Lock()
	slowNow = false
	slow.Unlock()
	clockMu.Lock()
	now = now.Add(time.Minute)
	clockMu.Unlock()
	if _, err := c.Predict(context.Background(), oneTask, ""); err != nil {
		t.Fatal(err)
	}
	if c.Breaker() != BreakerClosed {
		t.Fatalf("breaker %s after a good probe", c.Breaker())
	}
}

func TestModelServerClientCancel(t *testing.T) {
	b := modelservertest.New(t)
	b.Handle = func(w http.ResponseWriter, r *http.Request, req modelservertest.Request) {
		<-r.Context().Done()
	}
	c, _ := testClient(t, b, Options{Timeout: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for b.InFlight() == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	if _, err := c.Predict(ctx, oneTask, ""); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if c.Breaker() != BreakerClosed {
		t.Fatalf("a cancelled call moved the breaker to %s", c.Breaker())
	}
}
