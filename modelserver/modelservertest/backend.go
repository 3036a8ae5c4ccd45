// Package modelservertest runs a model server that speaks the Label Studio
// ML backend's protocol (POST /predict, GET /health) over httptest, written
// from the protocol as the backend documents it, for the tests of any
// package.
package modelservertest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// Task is one task of a /predict request.
type Task struct {
	ID   int64          `json:"id"`
	Data map[string]any `json:"data"`
}

// Request is the body of a /predict request.
type Request struct {
	Tasks       []Task         `json:"tasks"`
	LabelConfig string         `json:"label_config"`
	Project     string         `json:"project"`
	Params      map[string]any `json:"params"`
}

// Result is one region of a prediction: a choices or textarea answer.
type Result struct {
	FromName string         `json:"from_name"`
	ToName   string         `json:"to_name"`
	Type     string         `json:"type"`
	Value    map[string]any `json:"value"`
	Score    *float64       `json:"score,omitempty"`
}

// Prediction is one task's prediction, as the backend's PredictionValue.
type Prediction struct {
	Result       []Result `json:"result"`
	Score        *float64 `json:"score,omitempty"`
	ModelVersion string   `json:"model_version,omitempty"`
}

// Choices returns a choices result for a dimension.
func Choices(dim string, values ...string) Result {
	return Result{FromName: dim, ToName: "text", Type: "choices", Value: map[string]any{"choices": values}}
}

// TextArea returns a textarea result for an open dimension.
func TextArea(dim, text string) Result {
	return Result{FromName: dim, ToName: "text", Type: "textarea", Value: map[string]any{"text": []string{text}}}
}

// Score returns a pointer to f.
func Score(f float64) *float64 { return &f }

// Backend is a running model server. Handle answers each /predict request;
// by default it writes {"results": [...]} with Predict's prediction for
// each task.
type Backend struct {
	*httptest.Server
	// Predict answers one task; set it before the first request.
	Predict func(t Task) Prediction
	// Handle, when set, answers /predict requests instead, after the
	// request was counted and recorded.
	Handle func(w http.ResponseWriter, r *http.Request, req Request)

	calls    atomic.Int64
	inFlight atomic.Int64
	mu       sync.Mutex
	requests []Request
	auth     []string
}

// New starts a backend, closed when the test ends.
func New(t testing.TB) *Backend {
	b := &Backend{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "UP", "model_class": "TestModel"})
	})
	mux.HandleFunc("POST /predict", func(w http.ResponseWriter, r *http.Request) {
		b.calls.Add(1)
		b.inFlight.Add(1)
		defer b.inFlight.Add(-1)
		var req Request
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"status": 400, "detail": err.Error()})
			return
		}
		b.mu.Lock()
		b.requests = append(b.requests, req)
		b.auth = append(b.auth, r.Header.Get("Authorization"))
		b.mu.Unlock()
		if b.Handle != nil {
			b.Handle(w, r, req)
			return
		}
		b.Answer(w, req)
	})
	b.Server = httptest.NewServer(mux)
	t.Cleanup(b.Close)
	return b
}

// Answer writes the ModelResponse shape, {"results": [prediction, ...]},
// one prediction per task from Predict.
func (b *Backend) Answer(w http.ResponseWriter, req Request) {
	results := make([]Prediction, len(req.Tasks))
	for i, t := range req.Tasks {
		results[i] = b.Predict(t)
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results})
}

// Calls counts the /predict requests received; InFlight those being
// answered now.
func (b *Backend) Calls() int64 { return b.calls.Load() }

// InFlight counts the /predict requests being answered now.
func (b *Backend) InFlight() int64 { return b.inFlight.Load() }

// Requests returns the /predict requests decoded so far.
func (b *Backend) Requests() []Request {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Request(nil), b.requests...)
}

// Authorization returns the Authorization headers of the requests.
func (b *Backend) Authorization() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.auth...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
