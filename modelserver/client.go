package modelserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Options tune the client. The zero value of each field means its default.
type Options struct {
	// Timeout bounds one request, answer included (default 30s).
	Timeout time.Duration
	// Retries is how many times a failed request is tried again (default
	// 3); a negative value means none.
	Retries int
	// Backoff is the wait before the first retry, doubled for each next
	// one up to MaxBackoff, with jitter (defaults 500ms and 30s).
	Backoff, MaxBackoff time.Duration
	// MaxRetryAfter is the longest Retry-After the client waits for; a
	// server asking for more fails the call (default 2m).
	MaxRetryAfter time.Duration
	// BreakerFailures is how many failed requests in a row open the
	// breaker (default 5); BreakerCooldown how long it stays open before
	// one probe is let through (default 30s).
	BreakerFailures int
	BreakerCooldown time.Duration
	// Project is sent as the request's project (default "concord").
	Project string
	// HTTPClient makes the requests; nil means a client of its own.
	HTTPClient *http.Client
	// Now is the breaker's clock; nil means time.Now.
	Now func() time.Time
}

// Task is one paragraph sent for prediction, in Label Studio's task shape.
type Task struct {
	ID   int64    `json:"id"`
	Data TaskData `json:"data"`
}

// TaskData is a task's data: the paragraph's text under "text", the name
// LabelStudioConfig gives the Text tag's value.
type TaskData struct {
	Text string `json:"text"`
}

// predictRequest is the body of POST /predict.
type predictRequest struct {
	Tasks       []Task         `json:"tasks"`
	LabelConfig string         `json:"label_config"`
	Project     string         `json:"project"`
	Params      map[string]any `json:"params"`
}

// Answer is the server's answer for one task: its predictions, each still
// raw JSON (an object with result, score and model_version), and the
// model_version the answer gave at its top level, if any.
type Answer struct {
	Predictions []json.RawMessage
	Model       string
}

// ErrBreakerOpen is returned, wrapped in a *BreakerError, while the breaker
// keeps requests from the server.
var ErrBreakerOpen = errors.New("the model server's breaker is open")

// BreakerError says the breaker is open and how long until it lets a probe
// through.
type BreakerError struct{ RetryIn time.Duration }

func (e *BreakerError) Error() string {
	return fmt.Sprintf("%v; next try in %v", ErrBreakerOpen, e.RetryIn.Round(time.Millisecond))
}

// Unwrap makes errors.Is(err, ErrBreakerOpen) hold.
func (e *BreakerError) Unwrap() error { return ErrBreakerOpen }

// StatusError is an answer with a status other than 200.
type StatusError struct {
	Status int
	Body   string
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("the model server answered %d %s", e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("the model server answered %d %s: %s", e.Status, http.StatusText(e.Status), e.Body)
}

// Client calls one Label Studio ML backend.
type Client struct {
	base     *url.URL
	user     string
	password string
	opt      Options
	http     *http.Client
	br       *breaker
	sleep    func(ctx context.Context, d time.Duration) error
	requests atomic.Int64
	retries  atomic.Int64
}

// New returns a client of the server at rawURL, such as
// http://127.0.0.1:9090. A user and password in the URL are sent as basic
// authentication, which is what the backends check (BASIC_AUTH_USER and
// BASIC_AUTH_PASS).
func New(rawURL string, opt Options) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not a model server URL; give http://HOST:PORT, such as http://127.0.0.1:9090", rawURL)
	}
	c := &Client{base: u, opt: opt}
	if u.User != nil {
		c.user = u.User.Username()
		c.password, _ = u.User.Password()
		u.User = nil
	}
	u.RawQuery, u.Fragment = "", ""
	u.Path = strings.TrimRight(u.Path, "/")
	if c.opt.Timeout <= 0 {
		c.opt.Timeout = 30 * time.Second
	}
	if c.opt.Retries == 0 {
		c.opt.Retries = 3
	}
	if c.opt.Retries < 0 {
		c.opt.Retries = 0
	}
	if c.opt.Backoff <= 0 {
		c.opt.Backoff = 500 * time.Millisecond
	}
	if c.opt.MaxBackoff <= 0 {
		c.opt.MaxBackoff = 30 * time.Second
	}
	if c.opt.MaxRetryAfter <= 0 {
		c.opt.MaxRetryAfter = 2 * time.Minute
	}
	if c.opt.BreakerFailures <= 0 {
		c.opt.BreakerFailures = 5
	}
	if c.opt.BreakerCooldown <= 0 {
		c.opt.BreakerCooldown = 30 * time.Second
	}
	if c.opt.Project == "" {
		c.opt.Project = "concord"
	}
	if c.opt.Now == nil {
		c.opt.Now = time.Now
	}
	c.http = c.opt.HTTPClient
	if c.http == nil {
		c.http = &http.Client{}
	}
	c.br = &breaker{now: c.opt.Now, limit: c.opt.BreakerFailures, cooldown: c.opt.BreakerCooldown, state: BreakerClosed}
	c.sleep = sleepCtx
	return c, nil
}

// URL returns the server's address, without credentials.
func (c *Client) URL() string { return c.base.String() }

// AgentPrefix is what every agent name stored from this server begins
// with: its host and path, then a slash, such as "127.0.0.1:9090/".
func (c *Client) AgentPrefix() string {
	return c.base.Host + c.base.Path + "/"
}

// Agent returns the agent name for a model_version of this server: the
// prefix and the version, or "ml-backend" when the server gave none.
func (c *Client) Agent(modelVersion string) string {
	v := strings.TrimSpace(modelVersion)
	if v == "" {
		v = "ml-backend"
	}
	a := c.AgentPrefix() + v
	if r := []rune(a); len(r) > 200 {
		a = string(r[:200])
	}
	return a
}

// Breaker returns the breaker's state.
func (c *Client) Breaker() BreakerState { return c.br.current() }

// Requests and Retries count the requests made and those that were retries.
func (c *Client) Requests() int64 { return c.requests.Load() }

// Retries counts the requests that were retries of a failed one.
func (c *Client) Retries() int64 { return c.retries.Load() }

// Predict asks the server for predictions on tasks under the Label Studio
// labelling configuration labelConfig, and returns one Answer per task, in
// order. Network errors, timeouts, 5xx and 429 are retried with back-off
// (429 and 503 after the server's Retry-After); other 4xx are not. Each
// failed request counts toward the breaker; while it is open Predict fails
// at once with a *BreakerError. An answer that is not JSON of the
// protocol's shape, or holds a number of results other than the number of
// tasks, is an error.
func (c *Client) Predict(ctx context.Context, tasks []Task, labelConfig string) ([]Answer, error) {
	body, err := json.Marshal(predictRequest{Tasks: tasks, LabelConfig: labelConfig, Project: c.opt.Project, Params: map[string]any{"context": nil}})
	if err != nil {
		return nil, err
	}
	var last error
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ok, wait := c.br.allow()
		if !ok {
			if last != nil {
				return nil, fmt.Errorf("%w (last error: %v)", &BreakerError{RetryIn: wait}, last)
			}
			return nil, &BreakerError{RetryIn: wait}
		}
		if attempt > 0 {
			c.retries.Add(1)
		}
		c.requests.Add(1)
		answers, retryAfter, retry, err := c.once(ctx, body, len(tasks))
		if err == nil {
			c.br.success()
			return answers, nil
		}
		if ctx.Err() != nil {
			c.br.release()
			return nil, ctx.Err()
		}
		c.br.failure()
		last = err
		if !retry || attempt >= c.opt.Retries {
			return nil, err
		}
		d := c.backoff(attempt)
		if retryAfter > 0 {
			if retryAfter > c.opt.MaxRetryAfter {
				return nil, fmt.Errorf("%w; it asked to wait %v, more than the %v the client waits", err, retryAfter, c.opt.MaxRetryAfter)
			}
			d = retryAfter
		}
		if err := c.sleep(ctx, d); err != nil {
			return nil, err
		}
	}
}

// backoff is the wait before retry attempt+1: Backoff doubled per attempt,
// at most MaxBackoff, half of it random so that many clients do not retry
// in step.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.opt.Backoff << min(attempt, 30)
	if d <= 0 || d > c.opt.MaxBackoff {
		d = c.opt.MaxBackoff
	}
	half := d / 2
	return half + rand.N(half+1)
}

// once makes one request. It returns the answers, or the error, the
// Retry-After the server asked for and whether a retry may help.
func (c *Client) once(ctx context.Context, body []byte, n int) ([]Answer, time.Duration, bool, error) {
	rctx, cancel := context.WithTimeout(ctx, c.opt.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, c.base.String()+"/predict", bytes.NewReader(body))
	if err != nil {
		return nil, 0, false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.user != "" || c.password != "" {
		req.SetBasicAuth(c.user, c.password)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if rctx.Err() != nil && ctx.Err() == nil {
			return nil, 0, true, fmt.Errorf("the model server did not answer within %v", c.opt.Timeout)
		}
		return nil, 0, true, fmt.Errorf("cannot reach the model server: %v", err)
	}
	defer resp.Body.Close()
	// An answer is a few hundred bytes per task; 64 MiB is far beyond any
	// batch, and keeps a broken server from filling memory.
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		if rctx.Err() != nil && ctx.Err() == nil {
			return nil, 0, true, fmt.Errorf("the model server did not answer within %v", c.opt.Timeout)
		}
		return nil, 0, true, fmt.Errorf("reading the model server's answer: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		se := &StatusError{Status: resp.StatusCode, Body: snippet(raw)}
		retry := resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests
		var after time.Duration
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			after = retryAfter(resp.Header.Get("Retry-After"), c.opt.Now())
		}
		return nil, after, retry, se
	}
	answers, err := parseAnswers(raw, n)
	if err != nil {
		return nil, 0, false, err
	}
	return answers, 0, false, nil
}

// parseAnswers reads /predict's answer: {"results": [...]} (with a
// model_version beside it in older backends), or a bare array. Each result
// is one task's prediction object, or an array of them.
func parseAnswers(raw []byte, n int) ([]Answer, error) {
	raw = bytes.TrimSpace(raw)
	var results []json.RawMessage
	model := ""
	switch {
	case len(raw) > 0 && raw[0] == '[':
		if err := json.Unmarshal(raw, &results); err != nil {
			return nil, fmt.Errorf("the model server's answer is not JSON: %v", err)
		}
	case len(raw) > 0 && raw[0] == '{':
		var top struct {
			Results      *[]json.RawMessage `json:"results"`
			ModelVersion json.RawMessage    `json:"model_version"`
		}
		if err := json.Unmarshal(raw, &top); err != nil {
			return nil, fmt.Errorf("the model server's answer is not JSON of the /predict shape: %v", err)
		}
		if top.Results == nil {
			return nil, fmt.Errorf("the model server's answer has no results: want {\"results\": [...]}")
		}
		results = *top.Results
		model = versionText(top.ModelVersion)
	default:
		return nil, fmt.Errorf("the model server's answer is not JSON: %s", snippet(raw))
	}
	if len(results) != n {
		return nil, fmt.Errorf("the model server answered %d result(s) for %d task(s)", len(results), n)
	}
	out := make([]Answer, n)
	for i, r := range results {
		out[i].Model = model
		r = bytes.TrimSpace(r)
		switch {
		case len(r) > 0 && r[0] == '[':
			if err := json.Unmarshal(r, &out[i].Predictions); err != nil {
				return nil, fmt.Errorf("result %d is not JSON: %v", i, err)
			}
		case string(r) == "null":
		default:
			out[i].Predictions = []json.RawMessage{r}
		}
	}
	return out, nil
}

// versionText returns a model_version given as a string or a number.
func versionText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if len(raw) > 0 && string(raw) != "null" {
		return string(raw)
	}
	return ""
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// snippet is the start of a body, for an error message.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
