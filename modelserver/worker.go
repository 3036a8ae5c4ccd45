package modelserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"concord/annotate"
	"concord/export"
)

// WorkerOptions tune the worker. The zero value of each field means its
// default.
type WorkerOptions struct {
	// Batch is how many paragraphs one /predict call carries (default 16).
	Batch int
	// Pace is the pause between two batches of the sweep, so that the
	// sweep shares the database and the model server (default 200ms).
	Pace time.Duration
	// Resweep is how long after a finished sweep the next one starts, for
	// paragraphs imported since (default 10m).
	Resweep time.Duration
	// Logger receives failures; nil means slog.Default().
	Logger *slog.Logger
}

// Worker fills in suggestions from one model server: first the paragraphs
// annotators are about to see (Offer), then, in the background, every
// current paragraph that has none from the server yet. Requests to
// Concord never wait on it.
type Worker struct {
	store  *annotate.Store
	client *Client
	opt    WorkerOptions
	log    *slog.Logger
	hints  chan []int64

	mu     sync.Mutex
	status Status
}

// Status is what the worker has done, for the admins.
type Status struct {
	URL         string       `json:"url"`
	AgentPrefix string       `json:"agent_prefix"`
	Agent       string       `json:"agent,omitempty"`
	Model       string       `json:"model_version,omitempty"`
	Breaker     BreakerState `json:"breaker"`
	LastError   string       `json:"last_error,omitempty"`
	LastErrorAt *time.Time   `json:"last_error_at,omitempty"`
	LastOKAt    *time.Time   `json:"last_success_at,omitempty"`
	// Predicted counts the paragraphs whose suggestions were stored,
	// Suggestions the suggestions, Failed the paragraphs that got none,
	// with why in Reasons.
	Predicted   int64            `json:"paragraphs_predicted"`
	Suggestions int64            `json:"suggestions_stored"`
	Failed      int64            `json:"paragraphs_failed"`
	Reasons     map[string]int64 `json:"failure_reasons"`
	Requests    int64            `json:"requests"`
	Retries     int64            `json:"retries"`
	// Hinted counts the paragraph ids offered by the pages, Dropped those
	// offered while the worker was busy.
	Hinted  int64 `json:"hinted"`
	Dropped int64 `json:"hints_dropped"`
	// SweepAfter is where the sweep stands (the last paragraph id it
	// passed), Sweeps how many finished.
	SweepAfter int64 `json:"sweep_after"`
	Sweeps     int64 `json:"sweeps_finished"`
}

// NewWorker returns a worker storing what client's server predicts into
// store. Start it with Run.
func NewWorker(store *annotate.Store, client *Client, opt WorkerOptions) *Worker {
	if opt.Batch <= 0 {
		opt.Batch = 16
	}
	if opt.Pace <= 0 {
		opt.Pace = 200 * time.Millisecond
	}
	if opt.Resweep <= 0 {
		opt.Resweep = 10 * time.Minute
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	w := &Worker{store: store, client: client, opt: opt, log: opt.Logger, hints: make(chan []int64, 64)}
	w.status = Status{URL: client.URL(), AgentPrefix: client.AgentPrefix(), Reasons: map[string]int64{}}
	return w
}

// Offer hands the worker paragraphs an annotator is about to see, to
// predict before the rest. It never blocks: when the worker is busy with
// enough hints already, the ids are dropped (the sweep reaches them).
func (w *Worker) Offer(ids []int64) {
	if len(ids) == 0 {
		return
	}
	cp := append([]int64(nil), ids...)
	select {
	case w.hints <- cp:
		w.count(func(s *Status) { s.Hinted += int64(len(cp)) })
	default:
		w.count(func(s *Status) { s.Dropped += int64(len(cp)) })
	}
}

// Status returns what the worker has done so far.
func (w *Worker) Status() Status {
	w.mu.Lock()
	s := w.status
	s.Reasons = make(map[string]int64, len(w.status.Reasons))
	for k, v := range w.status.Reasons {
		s.Reasons[k] = v
	}
	w.mu.Unlock()
	s.Breaker = w.client.Breaker()
	s.Requests, s.Retries = w.client.Requests(), w.client.Retries()
	return s
}

func (w *Worker) count(f func(*Status)) {
	w.mu.Lock()
	f(&w.status)
	w.mu.Unlock()
}

// maxPending bounds the hinted ids kept while the worker is busy.
const maxPending = 512

// Run works until ctx ends: hinted paragraphs first, then a batch of the
// sweep, paced; while the breaker is open it waits for the cool-down.
func (w *Worker) Run(ctx context.Context) {
	var pending []int64
	var after int64
	sweeping := true
	take := func(ids []int64) {
		pending = append(pending, ids...)
		if len(pending) > maxPending {
			pending = pending[len(pending)-maxPending:]
		}
	}
	for ctx.Err() == nil {
		// Take every hint waiting, without blocking.
	drain:
		for {
			select {
			case ids := <-w.hints:
				take(ids)
			default:
				break drain
			}
		}
		var wait time.Duration
		switch {
		case len(pending) > 0:
			ids := pending[:min(len(pending), w.opt.Batch)]
			ps, err := w.store.WithoutSuggestions(ctx, w.client.AgentPrefix(), ids)
			if err != nil {
				w.fail(err)
				wait = w.opt.Pace
				break
			}
			if retryIn, _ := w.predict(ctx, ps); retryIn > 0 {
				// The breaker is open: the hinted paragraphs wait for it.
				wait = retryIn
				break
			}
			pending = pending[len(ids):]
		case sweeping:
			ps, err := w.store.ParagraphsWithoutSuggestions(ctx, w.client.AgentPrefix(), after, w.opt.Batch)
			if err != nil {
				w.fail(err)
				wait = w.opt.Pace
				break
			}
			if len(ps) == 0 {
				sweeping = false
				w.count(func(s *Status) { s.Sweeps++ })
				continue
			}
			retryIn, _ := w.predict(ctx, ps)
			if retryIn > 0 {
				wait = retryIn
				break
			}
			// A batch that failed is passed too, so that one the server
			// cannot answer does not hold the sweep; the next sweep asks
			// again.
			after = ps[len(ps)-1].ID
			w.count(func(s *Status) { s.SweepAfter = after })
			wait = w.opt.Pace
		default:
			wait = w.opt.Resweep
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case ids := <-w.hints:
			take(ids)
		case <-t.C:
			if !sweeping && len(pending) == 0 {
				sweeping, after = true, 0
			}
		}
		t.Stop()
	}
}

// predict asks the server about ps and stores what it answers. It returns
// how long to wait when the breaker kept the call from being made (the
// paragraphs are then still to do), else 0.
func (w *Worker) predict(ctx context.Context, ps []annotate.ParagraphText) (time.Duration, error) {
	if len(ps) == 0 {
		return 0, nil
	}
	sc, err := w.store.Schema(ctx)
	if err != nil {
		w.fail(err)
		return w.opt.Pace, err
	}
	cfg, err := export.LabelStudioConfig(sc, nil)
	if err != nil {
		w.fail(err)
		return w.opt.Pace, err
	}
	tasks := make([]Task, len(ps))
	for i, p := range ps {
		tasks[i] = Task{ID: p.ID, Data: TaskData{Text: p.Text}}
	}
	answers, err := w.client.Predict(ctx, tasks, string(cfg))
	if err != nil {
		if ctx.Err() != nil {
			return 0, err
		}
		var be *BreakerError
		if errors.As(err, &be) {
			// The error that opened the breaker stays the last one shown.
			return max(be.RetryIn, time.Millisecond), err
		}
		w.fail(err)
		w.failed(len(ps), reasonOf(err))
		return 0, err
	}
	w.storeAnswers(ctx, sc, ps, answers)
	return 0, nil
}

// storeAnswers turns the answers into suggestions and stores them: a paragraph
// whose prediction does not fit the schema is counted with the reason and
// left out; the others are stored.
func (w *Worker) storeAnswers(ctx context.Context, sc *annotate.Schema, ps []annotate.ParagraphText, answers []Answer) {
	var in []annotate.SuggestionInput
	owner := []int64{}
	agent, model := "", ""
	for i, a := range answers {
		pid := ps[i].ID
		var mine []annotate.SuggestionInput
		problem := ""
		if len(a.Predictions) == 0 {
			problem = "the model gave no prediction"
		}
		for _, raw := range a.Predictions {
			p, err := export.ReadLabelStudioPrediction(sc, raw)
			if err != nil {
				problem = "the prediction does not fit the label schema: " + annotate.ErrorMessage(err)
				break
			}
			if p.Model == "" {
				p.Model = a.Model
			}
			ag := w.client.Agent(p.Model)
			xs, err := p.SuggestionInputs(sc, pid, ag)
			if err != nil {
				problem = "the prediction cannot be stored: " + annotate.ErrorMessage(err)
				break
			}
			agent, model = ag, p.Model
			mine = append(mine, xs...)
		}
		if problem != "" {
			w.failed(1, problem)
			continue
		}
		for range mine {
			owner = append(owner, pid)
		}
		in = append(in, mine...)
	}
	if len(in) == 0 {
		return
	}
	// A paragraph may have changed since it was read (a new revision of its
	// document): PutSuggestions then refuses the batch, naming the items;
	// those paragraphs are left out and the rest stored.
	for round := 0; round < 2 && len(in) > 0; round++ {
		rep, err := w.store.PutSuggestions(ctx, 0, in)
		if err == nil {
			paras := map[int64]bool{}
			for _, p := range owner {
				paras[p] = true
			}
			now := time.Now()
			w.count(func(s *Status) {
				s.Predicted += int64(len(paras))
				s.Suggestions += int64(rep.Created + rep.Replaced)
				s.LastOKAt = &now
				if agent != "" {
					s.Agent, s.Model = agent, model
				}
			})
			return
		}
		if rep == nil || len(rep.Errors) == 0 {
			w.fail(err)
			w.failed(len(uniqIDs(owner)), "storing failed: "+annotate.ErrorMessage(err))
			return
		}
		bad := map[int64]string{}
		for _, e := range rep.Errors {
			bad[owner[e.Item]] = e.Message
		}
		var in2 []annotate.SuggestionInput
		var owner2 []int64
		for i, x := range in {
			if _, b := bad[owner[i]]; !b {
				in2, owner2 = append(in2, x), append(owner2, owner[i])
			}
		}
		for _, msg := range bad {
			w.failed(1, "the paragraph cannot take it: "+msg)
		}
		in, owner = in2, owner2
	}
}

func uniqIDs(ids []int64) map[int64]bool {
	m := map[int64]bool{}
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// reasonOf names a failed call's kind, for the counts.
func reasonOf(err error) string {
	var se *StatusError
	if errors.As(err, &se) {
		return fmt.Sprintf("the model server answered %d", se.Status)
	}
	msg := err.Error()
	if len(msg) > 120 {
		msg = msg[:120]
	}
	return msg
}

// failed counts n paragraphs that got no suggestion, for reason.
func (w *Worker) failed(n int, reason string) {
	w.count(func(s *Status) {
		s.Failed += int64(n)
		if _, ok := s.Reasons[reason]; ok || len(s.Reasons) < 50 {
			s.Reasons[reason] += int64(n)
		}
	})
}

// fail records and logs an error.
func (w *Worker) fail(err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	w.note(err)
	w.log.Warn("model server", "url", w.client.URL(), "err", err)
}

// note records an error as the last one without logging it.
func (w *Worker) note(err error) {
	now := time.Now()
	w.count(func(s *Status) { s.LastError, s.LastErrorAt = err.Error(), &now })
}

// ReasonList returns the failure reasons, most frequent first.
func (s Status) ReasonList() []ReasonCount {
	out := make([]ReasonCount, 0, len(s.Reasons))
	for k, v := range s.Reasons {
		out = append(out, ReasonCount{Reason: k, Count: v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Reason < out[j].Reason
	})
	return out
}

// ReasonCount is one failure reason and how many paragraphs it cost.
type ReasonCount struct {
	Reason string
	Count  int64
}
