package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"concord/annotate"
)

// TestAPIQueueOrderSetting sets the queue order through the settings API
// and follows it in GET /api/v1/queue/next; a wrong order is a 400 that
// changes nothing.
func TestAPIQueueOrderSetting(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	doc, ids := e.paragraphs()
	if len(ids) < 4 {
		t.Fatalf("the first seed document has %d paragraphs, want 4 or more", len(ids))
	}
	var settings map[string]any
	e.must("ann1", "GET", "/api/v1/settings", nil, 200, &settings)
	if settings["queue_order"] != "reading" {
		t.Fatalf("settings %v; want queue_order reading by default", settings)
	}
	got, body := e.do("admin", "PUT", "/api/v1/settings", map[string]any{"queue_order": "random", "overlap": 3})
	if got != 400 {
		t.Fatalf("unknown order: got %d %s", got, body)
	}
	if er := apiDecodeError(t, body); er.Error.Field != "queue_order" || !slices.Equal(er.Error.Allowed, annotate.QueueOrders) {
		t.Fatalf("unknown order: error %s; want field queue_order and the allowed orders", body)
	}
	if n, _ := e.store.Overlap(ctx); n != 2 {
		t.Errorf("a refused settings request changed the overlap to %d", n)
	}
	if got, _ := e.do("rev", "PUT", "/api/v1/settings", map[string]any{"queue_order": "uncertain"}); got != 403 {
		t.Errorf("reviewer set the queue order: %d", got)
	}

	// Margins: the last paragraph least sure, the second next (from its
	// score alone: 2·0.55 − 1 = 0.1), the third sure.
	sugg := []map[string]any{
		{"paragraph_id": ids[len(ids)-1], "dimension": "stance", "value": "agree", "score": 0.5, "margin": 0.02, "agent": "m@1"},
		{"paragraph_id": ids[1], "dimension": "stance", "value": "agree", "score": 0.55, "agent": "m@1"},
		{"paragraph_id": ids[2], "dimension": "stance", "value": "agree", "score": 0.99, "margin": 0.98, "agent": "m@1"},
	}
	bad := append(slices.Clone(sugg), map[string]any{"paragraph_id": ids[3], "dimension": "stance", "value": "agree", "score": 0.5, "margin": 1.5, "agent": "m@1"})
	got, body = e.do("admin", "POST", "/api/v1/suggestions", map[string]any{"suggestions": bad})
	var rep struct {
		Errors []annotate.SuggestionError `json:"errors"`
	}
	if err := json.Unmarshal(body, &rep); err != nil || got != 400 || len(rep.Errors) != 1 || rep.Errors[0].Item != 3 || rep.Errors[0].Field != "margin" {
		t.Fatalf("margin 1.5: got %d %s; want 400 naming item 3's margin", got, body)
	}
	e.must("admin", "POST", "/api/v1/suggestions", map[string]any{"suggestions": sugg}, 200, nil)
	var list struct {
		Suggestions []struct {
			ParagraphID int64    `json:"paragraph_id"`
			Margin      *float64 `json:"margin"`
		} `json:"suggestions"`
	}
	e.must("rev", "GET", "/api/v1/suggestions", nil, 200, &list)
	margins := map[int64]string{}
	for _, x := range list.Suggestions {
		margins[x.ParagraphID] = "none"
		if x.Margin != nil {
			margins[x.ParagraphID] = fmt.Sprint(*x.Margin)
		}
	}
	if margins[ids[len(ids)-1]] != "0.02" || margins[ids[1]] != "none" || margins[ids[2]] != "0.98" {
		t.Errorf("listed margins %v; want 0.02, none and 0.98", margins)
	}

	var q apiQueue
	e.must("ann1", "GET", fmt.Sprintf("/api/v1/queue/next?limit=3&document=%d", doc), nil, 200, &q)
	if want := ids[:3]; !slices.Equal(q.ids(), want) {
		t.Errorf("reading order: %v, want %v", q.ids(), want)
	}
	e.must("admin", "PUT", "/api/v1/settings", map[string]any{"queue_order": "uncertain"}, 200, &settings)
	if settings["queue_order"] != "uncertain" {
		t.Fatalf("settings after PUT: %v", settings)
	}
	e.must("ann2", "GET", fmt.Sprintf("/api/v1/queue/next?limit=4&document=%d", doc), nil, 200, &q)
	if want := []int64{ids[len(ids)-1], ids[1], ids[2], ids[0]}; !slices.Equal(q.ids(), want) {
		t.Errorf("uncertain order: %v, want %v", q.ids(), want)
	}
}

// TestAdminSettingsQueueOrderForm sets the order through the settings page.
func TestAdminSettingsQueueOrderForm(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	got, body := e.doNoRedirect("admin", "POST", "/admin/settings/queue-order", url.Values{"queue_order": {"shuffled"}})
	if got != 400 || !strings.Contains(string(body), "shuffled") {
		t.Fatalf("unknown order: got %d %.300s", got, body)
	}
	if o, _ := e.store.QueueOrder(ctx); o != annotate.QueueReading {
		t.Fatalf("a refused form changed the order to %q", o)
	}
	if got, _ := e.doNoRedirect("admin", "POST", "/admin/settings/queue-order", url.Values{"queue_order": {"disagreement"}}); got != 303 {
		t.Fatalf("disagreement: got %d, want 303", got)
	}
	if o, _ := e.store.QueueOrder(ctx); o != annotate.QueueDisagreement {
		t.Fatalf("order: got %q, want disagreement", o)
	}
	_, page := e.do("admin", "GET", "/admin/settings", nil)
	if !strings.Contains(string(page), `<option value="disagreement" selected>`) {
		t.Errorf("the settings page does not show disagreement as chosen")
	}
	if got, _ := e.doNoRedirect("ann1", "POST", "/admin/settings/queue-order", url.Values{"queue_order": {"reading"}}); got != 403 {
		t.Errorf("annotator posted the form: %d", got)
	}
	if o, _ := e.store.QueueOrder(ctx); o != annotate.QueueDisagreement {
		t.Errorf("an annotator's form changed the order to %q", o)
	}
}
