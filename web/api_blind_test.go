package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"concord/annotate"
)

// TestAPIBlindFlagsNotesValues seeds another annotator's work with
// distinctive strings (labels with a typed event value, a note, flag
// reasons, a skip reason) and checks that no answer an annotator can get,
// API or page, holds any of them or that annotator's name, while a
// reviewer's do; and that a reviewer's acceptance offers the typed value to
// everyone.
func TestAPIBlindFlagsNotesValues(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	doc, ids := e.paragraphs()
	p, q, r := ids[3], ids[4], ids[5]
	ann2 := e.users["ann2"]
	secret := map[string]any{"stance": "disagree", "topic": []string{"justice"}, "event": "zq-ann2-typed-event"}
	e.must("ann2", "PUT", fmt.Sprintf("/api/v1/paragraphs/%d/annotation", p), map[string]any{"version": 0, "labels": secret}, 201, nil)
	e.must("ann2", "POST", fmt.Sprintf("/api/v1/paragraphs/%d/notes", p), map[string]any{"body": "zq-ann2-note"}, 201, nil)
	e.must("ann2", "POST", fmt.Sprintf("/api/v1/paragraphs/%d/flags", q), map[string]any{"kind": "duplicate", "reason": "zq-ann2-flag-reason"}, 201, nil)
	e.must("ann2", "POST", fmt.Sprintf("/api/v1/paragraphs/%d/flags", p), map[string]any{"kind": "not_relevant", "reason": "zq-ann2-other-reason"}, 201, nil)
	e.must("ann2", "POST", fmt.Sprintf("/api/v1/paragraphs/%d/skip", r), map[string]any{"reason": "zq-ann2-skip-reason"}, 200, nil)
	// ann1 flags q the same way: the answer is ann1's own flag, not ann2's.
	own := string(e.must("ann1", "POST", fmt.Sprintf("/api/v1/paragraphs/%d/flags", q), map[string]any{"kind": "duplicate", "reason": "ann1 reason"}, 201, nil))
	if !strings.Contains(own, "ann1 reason") || !strings.Contains(own, `"id":0,`) {
		t.Errorf("ann1's flag answer: %s, want ann1's reason and no curation id", own)
	}

	leaks := []string{"zq-ann2-typed-event", "zq-ann2-note", "zq-ann2-flag-reason", "zq-ann2-other-reason", "zq-ann2-skip-reason", `"ann2"`, ">ann2<", fmt.Sprintf(`"flagged_by":%d`, ann2.ID), fmt.Sprintf(`"user_id":%d`, ann2.ID)}
	paths := []string{
		"/api/v1/me",
		"/api/v1/documents",
		fmt.Sprintf("/api/v1/documents/%d", doc),
		fmt.Sprintf("/api/v1/documents/%d/paragraphs", doc),
		"/api/v1/queue/next?limit=100",
		fmt.Sprintf("/api/v1/queue/next?limit=100&document=%d", doc),
		"/api/v1/schema",
		"/api/v1/schema/label-studio",
		"/api/v1/settings",
		"/api/v1/tokens",
		"/api/v1/curations",
		"/api/v1/schema/open-values",
		"/api/v1/schema/open-values/suggest?dimension=event",
		"/api/v1/schema/open-values/suggest?dimension=event&q=zq",
		"/api/v1/adjudication",
		"/api/v1/export",
		"/",
		"/annotate",
		fmt.Sprintf("/annotate?document=%d", doc),
		"/account",
		"/admin/schema",
		"/review",
	}
	for _, id := range []int64{p, q, r} {
		for _, sub := range []string{"", "/annotation", "/annotations", "/notes", "/history", "/gold"} {
			paths = append(paths, fmt.Sprintf("/api/v1/paragraphs/%d%s", id, sub))
		}
	}
	for _, path := range paths {
		_, body := e.doNoRedirect("ann1", "GET", path, nil)
		for _, leak := range leaks {
			if strings.Contains(string(body), leak) {
				t.Errorf("GET %s as ann1 shows %s: %.400s", path, leak, body)
			}
		}
	}
	// ann1's own flag shows on q, with ann1's reason, in the paragraph,
	// the paragraph list and the queue of the document.
	for _, path := range []string{fmt.Sprintf("/api/v1/paragraphs/%d", q), fmt.Sprintf("/api/v1/documents/%d/paragraphs", doc)} {
		if body := string(e.must("ann1", "GET", path, nil, 200, nil)); !strings.Contains(body, "ann1 reason") {
			t.Errorf("GET %s as ann1 lacks ann1's own flag: %.400s", path, body)
		}
	}
	// A reviewer sees all of it.
	for path, want := range map[string]string{
		fmt.Sprintf("/api/v1/paragraphs/%d/notes", p):                  "zq-ann2-note",
		fmt.Sprintf("/api/v1/paragraphs/%d", q):                        "zq-ann2-flag-reason",
		"/api/v1/schema":                                               "zq-ann2-typed-event",
		"/api/v1/schema/open-values":                                   "zq-ann2-typed-event",
		"/api/v1/schema/open-values/suggest?dimension=event&q=ZQ-ANN2": "zq-ann2-typed-event",
		"/admin/schema":                                                "zq-ann2-typed-event",
	} {
		if body := string(e.must("rev", "GET", path, nil, 200, nil)); !strings.Contains(body, want) {
			t.Errorf("GET %s as a reviewer lacks %s: %.400s", path, want, body)
		}
	}
	// The curation list and page name every flagger with their reason.
	for _, path := range []string{"/api/v1/curations?kind=duplicate", "/admin/curation?kind=duplicate"} {
		body := string(e.must("admin", "GET", path, nil, 200, nil))
		for _, want := range []string{"zq-ann2-flag-reason", "ann1 reason", "ann2", "ann1"} {
			if !strings.Contains(body, want) {
				t.Errorf("GET %s as admin lacks %q", path, want)
			}
		}
	}
	// ann2 is offered their own value.
	if body := string(e.must("ann2", "GET", "/api/v1/schema", nil, 200, nil)); !strings.Contains(body, "zq-ann2-typed-event") {
		t.Errorf("ann2's schema lacks the value they typed: %.400s", body)
	}
	// Once a reviewer accepts it, everyone is offered it, on the page too.
	var vs struct {
		Values []annotate.OpenValueReview `json:"values"`
		Total  int                        `json:"total"`
	}
	e.must("rev", "GET", "/api/v1/schema/open-values?dimension=event&status=pending", nil, 200, &vs)
	if vs.Total != 1 || len(vs.Values) != 1 || vs.Values[0].Value != "zq-ann2-typed-event" || vs.Values[0].Annotators != 1 {
		t.Fatalf("pending event values: %+v, want zq-ann2-typed-event typed by 1", vs)
	}
	e.must("rev", "POST", "/api/v1/schema/open-values/decide", map[string]any{"ids": []int64{vs.Values[0].ID}, "status": "accepted"}, 200, nil)
	var sch struct {
		OpenValues map[string][]string `json:"open_values"`
	}
	e.must("ann1", "GET", "/api/v1/schema", nil, 200, &sch)
	if got := sch.OpenValues["event"]; len(got) != 1 || got[0] != "zq-ann2-typed-event" {
		t.Errorf("ann1's open values after acceptance: %v, want [zq-ann2-typed-event]", got)
	}
	if _, body := e.doNoRedirect("ann1", "GET", "/annotate", nil); !strings.Contains(string(body), "zq-ann2-typed-event") {
		t.Errorf("the annotate page does not offer the accepted value to ann1")
	}
	if got, body := e.do("rev", "GET", "/api/v1/schema/open-values?status=maybe", nil); got != 400 || !strings.Contains(string(body), "pending") {
		t.Errorf("unknown status: got %d %s, want 400 naming the statuses", got, body)
	}
	// An annotator cannot decide a flag, theirs or anyone's.
	cs, err := curationsOf(e.store, ctx, annotate.CurationFilter{})
	if err != nil || len(cs) == 0 {
		t.Fatalf("curations: %v %v", cs, err)
	}
	if got, _ := e.do("ann1", "POST", "/api/v1/curations/decide", map[string]any{"ids": []int64{cs[0].ID}, "status": "confirmed"}); got != 403 {
		t.Errorf("an annotator confirming a flag: got %d, want 403", got)
	}
	if got, _ := e.do("rev", "POST", "/api/v1/curations/decide", map[string]any{"ids": []int64{999999}, "status": "confirmed"}); got != 404 {
		t.Errorf("a reviewer confirming a flag that does not exist: got %d, want 404", got)
	}
}
