package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"concord/annotate"
	"concord/web"
)

// sugg is one suggestion in the API's request shape.
func sugg(pid int64, dim string, value any, score float64, agent string) map[string]any {
	m := map[string]any{"paragraph_id": pid, "dimension": dim, "score": score, "agent": agent}
	if vs, ok := value.([]string); ok {
		m["values"] = vs
	} else {
		m["value"] = value
	}
	return m
}

func TestAPISuggestionsBatches(t *testing.T) {
	e := newAPIEnv(t)
	_, ids := e.paragraphs()
	batch := func(items ...map[string]any) map[string]any { return map[string]any{"suggestions": items} }

	// A batch with wrong items stores none and says which are wrong.
	got, body := e.do("rev", "POST", "/api/v1/suggestions", batch(
		sugg(ids[0], "stance", "agree", 0.8, "m@1"),
		sugg(ids[1], "stance", "maybe", 0.8, "m@1"),
		sugg(ids[2], "stance", "agree", 2, "m@1"),
	))
	if got != 400 {
		t.Fatalf("wrong items: got %d, want 400: %s", got, body)
	}
	var bad struct {
		Errors []annotate.SuggestionError `json:"errors"`
	}
	if err := json.Unmarshal(body, &bad); err != nil || len(bad.Errors) != 2 || bad.Errors[0].Item != 1 || bad.Errors[0].Field != "value" || bad.Errors[1].Item != 2 || bad.Errors[1].Field != "score" {
		t.Fatalf("errors: %v %s", err, body)
	}
	apiDecodeError(t, body)
	var page struct {
		Suggestions []map[string]any `json:"suggestions"`
		Next        string           `json:"next"`
	}
	e.must("rev", "GET", "/api/v1/suggestions", nil, 200, &page)
	if len(page.Suggestions) != 0 {
		t.Fatalf("a refused batch stored %d", len(page.Suggestions))
	}

	// Shapes that are not a batch, and a batch too large.
	big := make([]map[string]any, web.MaxSuggestionBatch+1)
	for i := range big {
		big[i] = sugg(ids[0], "stance", "agree", 0.5, fmt.Sprintf("m@%d", i))
	}
	for name, b := range map[string]any{"no suggestions key": map[string]any{}, "empty": batch(), "too large": map[string]any{"suggestions": big}, "unknown key": map[string]any{"suggestions": []any{}, "x": 1}} {
		got, body := e.do("admin", "POST", "/api/v1/suggestions", b)
		if got != 400 {
			t.Errorf("%s: got %d, want 400: %.200s", name, got, body)
			continue
		}
		msg := apiDecodeError(t, body).Error.Message
		if name == "too large" && !strings.Contains(msg, fmt.Sprint(web.MaxSuggestionBatch)) {
			t.Errorf("too large: message %q does not give the limit", msg)
		}
	}

	var rep annotate.SuggestionReport
	e.must("rev", "POST", "/api/v1/suggestions", batch(
		sugg(ids[0], "stance", "agree", 0.82, "m@1"),
		sugg(ids[0], "topic", []string{"strike", "iran-response"}, 0.6, "m@1"),
		sugg(ids[1], "stance", "discuss", 0.4, "m@1"),
	), 200, &rep)
	if rep.Created != 3 {
		t.Fatalf("got %+v, want 3 created", rep)
	}
	e.must("admin", "GET", "/api/v1/suggestions?limit=2", nil, 200, &page)
	if len(page.Suggestions) != 2 || page.Next == "" {
		t.Fatalf("first page: %+v", page)
	}
	next := page.Next
	page.Next = ""
	e.must("admin", "GET", "/api/v1/suggestions?limit=2&next="+next, nil, 200, &page)
	if len(page.Suggestions) != 1 || page.Next != "" {
		t.Fatalf("second page: %+v", page)
	}
	if page.Suggestions[0]["value"] != "discuss" {
		t.Errorf("a single dimension's suggestion carries value: %+v", page.Suggestions[0])
	}
}

// TestAPISuggestionsFollowTheSetting checks that the queue and the
// paragraph carry suggestions with hint and prefill and none with off, and
// that the setting is validated.
func TestAPISuggestionsFollowTheSetting(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	if err := e.store.SetOverlap(ctx, 0, 5); err != nil {
		t.Fatal(err)
	}
	var q struct {
		Items []struct {
			Paragraph struct {
				ID int64 `json:"id"`
			} `json:"paragraph"`
		} `json:"items"`
	}
	e.must("ann1", "GET", "/api/v1/queue/next?limit=2", nil, 200, &q)
	if len(q.Items) == 0 {
		t.Fatal("empty queue")
	}
	pid := q.Items[0].Paragraph.ID
	e.must("rev", "POST", "/api/v1/suggestions", map[string]any{"suggestions": []any{sugg(pid, "stance", "agree", 0.82, "m@1"), sugg(pid, "stance", "disagree", 0.3, "weak@1")}}, 200, nil)

	type queueAnswer struct {
		Mode        string                       `json:"suggestions_mode"`
		Suggestions map[string][]json.RawMessage `json:"suggestions"`
	}
	key := fmt.Sprint(pid)
	for _, mode := range []string{"hint", "prefill", "off"} {
		var set map[string]any
		e.must("admin", "PUT", "/api/v1/settings", map[string]any{"suggestions": mode}, 200, &set)
		if set["suggestions"] != mode {
			t.Fatalf("settings answer: %v", set)
		}
		var qa queueAnswer
		e.must("ann1", "GET", "/api/v1/queue/next?limit=2", nil, 200, &qa)
		var para struct {
			Mode        string            `json:"suggestions_mode"`
			Suggestions []json.RawMessage `json:"suggestions"`
		}
		e.must("ann1", "GET", fmt.Sprintf("/api/v1/paragraphs/%d", pid), nil, 200, &para)
		_, page := e.do("ann1", "GET", "/annotate", nil)
		onPage := strings.Contains(string(page), `"agent":"m@1"`)
		if qa.Mode != mode || para.Mode != mode {
			t.Errorf("%s: modes %q and %q", mode, qa.Mode, para.Mode)
		}
		if mode == "off" {
			if len(qa.Suggestions) != 0 || len(para.Suggestions) != 0 || onPage {
				t.Errorf("off: suggestions still carried: queue %v, paragraph %v, page %v", qa.Suggestions, para.Suggestions, onPage)
			}
			continue
		}
		// One suggestion per dimension: the best scored.
		if len(qa.Suggestions[key]) != 1 || !strings.Contains(string(qa.Suggestions[key][0]), `"value":"agree"`) || len(para.Suggestions) != 1 || !onPage {
			t.Errorf("%s: queue %s, paragraph %s, on page %v", mode, qa.Suggestions[key], para.Suggestions, onPage)
		}
	}
	got, body := e.do("admin", "PUT", "/api/v1/settings", map[string]any{"suggestions": "always", "overlap": 3})
	if got != 400 || apiDecodeError(t, body).Error.Field != "suggestions" {
		t.Fatalf("unknown mode: got %d %s", got, body)
	}
	if n, _ := e.store.Overlap(ctx); n != 5 {
		t.Errorf("a refused settings request changed the overlap to %d", n)
	}
	if got, _ := e.do("rev", "PUT", "/api/v1/settings", map[string]any{"suggestions": "hint"}); got != 403 {
		t.Errorf("reviewer set the mode: %d", got)
	}
}

// TestAPISaveRecordsSuggestionShown checks that a save keeps what the page
// showed, apart from the labels, and that accept rates count it.
func TestAPISaveRecordsSuggestionShown(t *testing.T) {
	e := newAPIEnv(t)
	_, ids := e.paragraphs()
	p := ids[0]
	path := fmt.Sprintf("/api/v1/paragraphs/%d/annotation", p)
	shown := map[string]any{
		"stance": map[string]any{"agent": "m@1", "value": "agree", "score": 0.82},
		"topic":  map[string]any{"agent": "m@1", "values": []string{"terrorism"}, "score": 0.4},
	}
	got, body := e.do("ann1", "PUT", path, map[string]any{"version": 0, "labels": apiLabels("agree", "strike"), "suggestion_shown": map[string]any{"mood": map[string]any{"agent": "m@1", "value": "x", "score": 0.5}}})
	if got != 400 || !strings.HasPrefix(apiDecodeError(t, body).Error.Field, "suggestion_shown") {
		t.Fatalf("unknown dimension shown: got %d %s", got, body)
	}
	if n := e.history(p); n != 0 {
		t.Fatalf("a refused save wrote %d history row(s)", n)
	}
	var a apiAnnotation
	e.must("ann1", "PUT", path, map[string]any{"version": 0, "labels": apiLabels("agree", "strike"), "suggestion_shown": shown}, 201, &a)
	if _, has := a.Labels["suggestion_shown"]; has {
		t.Fatal("what was shown leaked into the labels")
	}
	var rates struct {
		Rates []annotate.AcceptRate `json:"rates"`
	}
	e.must("rev", "GET", "/api/v1/suggestions/accept-rates", nil, 200, &rates)
	if len(rates.Rates) != 2 || rates.Rates[0].Dimension != "stance" || rates.Rates[0].Accepted != 1 || rates.Rates[0].Mode != "hint" || rates.Rates[1].Accepted != 0 {
		t.Fatalf("rates: %+v", rates.Rates)
	}
	// With the setting off nothing is recorded.
	e.must("admin", "PUT", "/api/v1/settings", map[string]any{"suggestions": "off"}, 200, nil)
	e.must("ann1", "PUT", path, map[string]any{"version": a.Version, "labels": apiLabels("disagree", "strike"), "suggestion_shown": shown}, 200, nil)
	e.must("rev", "GET", "/api/v1/suggestions/accept-rates", nil, 200, &rates)
	if rates.Rates[0].Shown != 1 {
		t.Fatalf("recorded while off: %+v", rates.Rates)
	}
}

// TestAdminSettingsSuggestionsForm sets the mode through the settings page.
func TestAdminSettingsSuggestionsForm(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	got, body := e.doNoRedirect("admin", "POST", "/admin/settings/suggestions", url.Values{"suggestions": {"sometimes"}})
	if got != 400 || !strings.Contains(string(body), "sometimes") {
		t.Fatalf("unknown mode: got %d %.300s", got, body)
	}
	if m, _ := e.store.SuggestionMode(ctx); m != annotate.SuggestionsHint {
		t.Fatalf("a refused form changed the mode to %q", m)
	}
	if got, _ := e.doNoRedirect("admin", "POST", "/admin/settings/suggestions", url.Values{"suggestions": {"prefill"}}); got != 303 {
		t.Fatalf("prefill: got %d, want 303", got)
	}
	if m, _ := e.store.SuggestionMode(ctx); m != annotate.SuggestionsPrefill {
		t.Fatalf("mode: got %q, want prefill", m)
	}
	_, page := e.do("admin", "GET", "/admin/settings", nil)
	if !strings.Contains(string(page), `<option value="prefill" selected>`) {
		t.Errorf("the settings page does not show prefill as chosen")
	}
}
