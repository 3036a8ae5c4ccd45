package web_test

import (
	"fmt"
	"slices"
	"testing"
)

// apiQueue is the answer of GET /api/v1/queue/next.
type apiQueue struct {
	Items []struct {
		Paragraph struct {
			ID int64 `json:"id"`
		} `json:"paragraph"`
		Document struct {
			ID int64 `json:"id"`
		} `json:"document"`
	} `json:"items"`
	Remaining int `json:"remaining"`
}

func (q apiQueue) ids() []int64 {
	var out []int64
	for _, it := range q.Items {
		out = append(out, it.Paragraph.ID)
	}
	return out
}

// TestAPIQueue checks what the queue leaves out: paragraphs with enough
// annotators, skipped ones, confirmed boilerplate and excluded ids.
func TestAPIQueue(t *testing.T) {
	e := newAPIEnv(t)
	doc, ids := e.paragraphs()
	e.must("admin", "PUT", "/api/v1/settings", map[string]any{"overlap": 1}, 200, nil)

	var full apiQueue
	e.must("ann2", "GET", fmt.Sprintf("/api/v1/queue/next?limit=100&document=%d", doc), nil, 200, &full)
	if !slices.Equal(full.ids(), ids) {
		t.Fatalf("fresh queue: got %v, want %v", full.ids(), ids)
	}
	total := full.Remaining

	// With overlap 1, a paragraph ann1 labelled is not in ann2's queue.
	e.must("ann1", "PUT", fmt.Sprintf("/api/v1/paragraphs/%d/annotation", ids[0]), map[string]any{"version": 0, "labels": apiLabels("agree", "strike")}, 201, nil)
	// ann2 skips one paragraph.
	e.must("ann2", "POST", fmt.Sprintf("/api/v1/paragraphs/%d/skip", ids[1]), map[string]any{"reason": "cannot tell"}, 200, nil)
	// An annotator's flag is a suggestion: it leaves other queues alone.
	// Confirmed boilerplate leaves every queue.
	e.must("ann1", "POST", fmt.Sprintf("/api/v1/paragraphs/%d/flags", ids[2]), map[string]any{"kind": "boilerplate", "reason": "newsletter ad"}, 201, nil)
	var suggested apiQueue
	e.must("ann2", "GET", fmt.Sprintf("/api/v1/queue/next?limit=100&document=%d", doc), nil, 200, &suggested)
	if !slices.Contains(suggested.ids(), ids[2]) {
		t.Errorf("ann2's queue lost paragraph %d to ann1's suggested flag: %v", ids[2], suggested.ids())
	}
	var flags struct {
		Curations []struct {
			ID          int64 `json:"id"`
			ParagraphID int64 `json:"paragraph_id"`
		} `json:"curations"`
	}
	e.must("rev", "GET", "/api/v1/curations?status=suggested&kind=boilerplate", nil, 200, &flags)
	var fid int64
	for _, c := range flags.Curations {
		if c.ParagraphID == ids[2] {
			fid = c.ID
		}
	}
	e.must("rev", "POST", "/api/v1/curations/decide", map[string]any{"ids": []int64{fid}, "status": "confirmed"}, 200, nil)

	var q apiQueue
	e.must("ann2", "GET", fmt.Sprintf("/api/v1/queue/next?limit=100&document=%d", doc), nil, 200, &q)
	for _, gone := range ids[:3] {
		if slices.Contains(q.ids(), gone) {
			t.Errorf("ann2's queue holds paragraph %d (labelled by ann1, skipped or boilerplate): %v", gone, q.ids())
		}
	}
	if !slices.Equal(q.ids(), ids[3:]) {
		t.Errorf("ann2's queue: got %v, want %v", q.ids(), ids[3:])
	}
	if q.Remaining != total-3 {
		t.Errorf("ann2's remaining: got %d, want %d", q.Remaining, total-3)
	}

	// exclude= leaves out paragraphs the client already holds.
	var ex apiQueue
	e.must("ann2", "GET", fmt.Sprintf("/api/v1/queue/next?document=%d&exclude=%d,%d", doc, ids[3], ids[4]), nil, 200, &ex)
	if !slices.Equal(ex.ids(), []int64{ids[5]}) {
		t.Errorf("queue with exclude: got %v, want [%d]", ex.ids(), ids[5])
	}
	if ex.Items[0].Document.ID != doc {
		t.Errorf("queue item document: got %d, want %d", ex.Items[0].Document.ID, doc)
	}
	// The skipped paragraph comes back when the skip is undone.
	e.must("ann2", "DELETE", fmt.Sprintf("/api/v1/paragraphs/%d/skip", ids[1]), nil, 204, nil)
	var back apiQueue
	e.must("ann2", "GET", fmt.Sprintf("/api/v1/queue/next?document=%d", doc), nil, 200, &back)
	if !slices.Equal(back.ids(), []int64{ids[1]}) {
		t.Errorf("queue after unskip: got %v, want [%d]", back.ids(), ids[1])
	}
	// An unknown document is a 404, not an empty queue.
	if got, _ := e.do("ann2", "GET", "/api/v1/queue/next?document=9999", nil); got != 404 {
		t.Errorf("queue of an unknown document: got %d, want 404", got)
	}
}

// TestAPIQueueDone checks that a finished queue answers with no items.
func TestAPIQueueDone(t *testing.T) {
	e := newAPIEnv(t)
	e.must("admin", "PUT", "/api/v1/settings", map[string]any{"overlap": 1}, 200, nil)
	for {
		var q apiQueue
		e.must("ann1", "GET", "/api/v1/queue/next?limit=100", nil, 200, &q)
		if len(q.Items) == 0 {
			break
		}
		for _, id := range q.ids() {
			e.must("ann1", "PUT", fmt.Sprintf("/api/v1/paragraphs/%d/annotation", id), map[string]any{"version": 0, "labels": apiLabels("discuss", "media")}, 201, nil)
		}
	}
	body := e.must("ann2", "GET", "/api/v1/queue/next", nil, 200, nil)
	want := `{"items":[],"remaining":0,"remaining_more":false,"suggestions":{},"suggestions_mode":"hint"}`
	if string(body) != want {
		t.Errorf("finished queue: got %s, want %s", body, want)
	}
}
