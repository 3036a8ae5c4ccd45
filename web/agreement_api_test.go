package web_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"

	"concord/annotate"
)

// agreeStances are the hand-worked labels of the agreement tests: ann1 and
// ann2 on the first four paragraphs of the first document. By hand
// (annotate/agreement_test.go has the arithmetic): Cohen's kappa 7/11,
// nominal alpha 2/3.
var agreeStances = [][2]string{
	{"agree", "agree"},
	{"agree", "disagree"},
	{"disagree", "disagree"},
	{"discuss", "discuss"},
}

// agreeLabelled saves agreeStances through the store and returns the
// document id and the paragraph ids.
func agreeLabelled(t *testing.T, e *apiEnv) (int64, []int64) {
	t.Helper()
	doc, ids := e.paragraphs()
	ctx := context.Background()
	for i, st := range agreeStances {
		for j, name := range []string{"ann1", "ann2"} {
			if _, err := e.store.SaveAnnotation(ctx, e.users[name].ID, ids[i], 0, annotate.Labels{"stance": {st[j]}, "topic": {"strike"}}); err != nil {
				t.Fatalf("save %s: %v", name, err)
			}
		}
	}
	return doc, ids
}

// agreeReport is the part of the report the tests read.
type agreeReport struct {
	Items      int      `json:"items"`
	Labels     int      `json:"labels"`
	Annotators []string `json:"annotators"`
	Dimensions []struct {
		Name    string `json:"name"`
		Primary string `json:"primary"`
		Reading string `json:"reading"`
		Report  struct {
			AlphaNominal struct {
				Value *float64 `json:"value"`
				CI    *struct {
					Lower, Upper float64
				} `json:"ci"`
			} `json:"alpha_nominal"`
			Pairwise struct {
				Measure string       `json:"measure"`
				Values  [][]*float64 `json:"values"`
			} `json:"pairwise"`
		} `json:"report"`
		Gold []struct {
			Annotator string `json:"annotator"`
			Items     int    `json:"items"`
			Matches   int    `json:"matches"`
		} `json:"gold"`
	} `json:"dimensions"`
}

func TestAgreementAPINumbers(t *testing.T) {
	e := newAPIEnv(t)
	doc, _ := agreeLabelled(t, e)
	var rep agreeReport
	e.must("rev", "GET", fmt.Sprintf("/api/v1/agreement?document=%d&bootstrap=200&seed=3", doc), nil, http.StatusOK, &rep)
	if rep.Items != 4 || rep.Labels != 8 || len(rep.Annotators) != 2 {
		t.Fatalf("items %d labels %d annotators %v, want 4, 8, [ann1 ann2]", rep.Items, rep.Labels, rep.Annotators)
	}
	st := rep.Dimensions[0]
	if st.Name != "stance" || st.Primary != "alpha_nominal" || st.Reading == "" {
		t.Fatalf("first dimension %q primary %q reading %q", st.Name, st.Primary, st.Reading)
	}
	if a := st.Report.AlphaNominal.Value; a == nil || math.Abs(*a-2.0/3) > 1e-9 {
		t.Errorf("alpha = %v, want 2/3", a)
	}
	if st.Report.AlphaNominal.CI == nil {
		t.Errorf("alpha has no interval with bootstrap=200")
	}
	if k := st.Report.Pairwise.Values[0][1]; k == nil || math.Abs(*k-7.0/11) > 1e-9 || st.Report.Pairwise.Measure != "cohen_kappa" {
		t.Errorf("pairwise %s = %v, want cohen_kappa 7/11", st.Report.Pairwise.Measure, k)
	}

	// The same report with ann1 only has no pair; with bootstrap=0, no interval.
	e.must("rev", "GET", "/api/v1/agreement?annotators=ann1&bootstrap=0", nil, http.StatusOK, &rep)
	if len(rep.Annotators) != 1 || rep.Dimensions[0].Report.AlphaNominal.Value != nil {
		t.Errorf("ann1 alone: annotators %v alpha %v, want [ann1] and null", rep.Annotators, rep.Dimensions[0].Report.AlphaNominal.Value)
	}

	var m struct {
		A, B       string
		Categories []string
		Counts     [][]int
		Items      int
	}
	e.must("rev", "GET", "/api/v1/agreement/confusion?dimension=stance&a=ann1&b=ann2", nil, http.StatusOK, &m)
	if m.Items != 4 || m.Counts[0][1] != 1 || m.Counts[0][0] != 1 || m.Counts[2][2] != 1 {
		t.Errorf("confusion = %+v, want 4 items, agree/agree 1, agree/disagree 1, discuss/discuss 1", m)
	}
}

func TestAgreementAPIRolesAndBadFilters(t *testing.T) {
	e := newAPIEnv(t)
	agreeLabelled(t, e)
	for _, path := range []string{"/api/v1/agreement", "/api/v1/agreement/confusion?dimension=stance&a=ann1&b=ann2", "/api/v1/adjudication"} {
		if got, body := e.do("ann1", "GET", path, nil); got != http.StatusForbidden {
			t.Errorf("annotator GET %s: status %d, want 403; %s", path, got, body)
		}
		if got, _ := e.do("", "GET", path, nil); got != http.StatusUnauthorized {
			t.Errorf("anonymous GET %s: status %d, want 401", path, got)
		}
	}
	e.must("admin", "GET", "/api/v1/agreement?bootstrap=0", nil, http.StatusOK, nil)
	cases := []struct{ query, field string }{
		{"/api/v1/agreement?document=abc", "document"},
		{"/api/v1/agreement?document=999", "document"},
		{"/api/v1/agreement?annotators=nobody", "annotators"},
		{"/api/v1/agreement?from=2026-13-01", "from"},
		{"/api/v1/agreement?from=2026-02-01&to=2026-01-01", "to"},
		{"/api/v1/agreement?bootstrap=-1", "bootstrap"},
		{"/api/v1/agreement?bootstrap=100000", "bootstrap"},
		{"/api/v1/agreement?seed=x", "seed"},
		{"/api/v1/agreement?level=2", "level"},
		{"/api/v1/agreement/confusion?dimension=mood&a=ann1&b=ann2", "dimension"},
		{"/api/v1/agreement/confusion?dimension=stance&a=ann1", "b"},
		{"/api/v1/adjudication?limit=0", "limit"},
		{"/api/v1/adjudication?offset=-1", "offset"},
		{"/api/v1/adjudication?include_resolved=maybe", "include_resolved"},
	}
	for _, tc := range cases {
		got, body := e.do("rev", "GET", tc.query, nil)
		if got != http.StatusBadRequest {
			t.Errorf("GET %s: status %d, want 400; %s", tc.query, got, body)
			continue
		}
		if er := apiDecodeError(t, body); er.Error.Field != tc.field {
			t.Errorf("GET %s: field %q, want %q (%s)", tc.query, er.Error.Field, tc.field, er.Error.Message)
		}
	}
}

// agreeQueue is the part of the adjudication answer the tests read.
type agreeQueue struct {
	Total int `json:"total"`
	Items []struct {
		Paragraph struct {
			ID int64 `json:"id"`
		} `json:"paragraph"`
		Annotations []struct {
			UserName string         `json:"user_name"`
			Labels   map[string]any `json:"labels"`
		} `json:"annotations"`
		Majority []struct {
			Dimension string `json:"dimension"`
			Value     any    `json:"value"`
			Support   int    `json:"support"`
			Of        int    `json:"of"`
			Tie       bool   `json:"tie"`
		} `json:"majority"`
		HasMajority bool `json:"has_majority"`
		Gold        *struct {
			Version       int    `json:"version"`
			Method        string `json:"method"`
			DecidedByName string `json:"decided_by_name"`
		} `json:"gold"`
		GoldHistory []struct {
			By     string `json:"by"`
			Method string `json:"method"`
		} `json:"gold_history"`
	} `json:"items"`
}

func TestAdjudicationAPI(t *testing.T) {
	e := newAPIEnv(t)
	_, ids := agreeLabelled(t, e)
	var q agreeQueue
	e.must("rev", "GET", "/api/v1/adjudication", nil, http.StatusOK, &q)
	// Only paragraph 2 has differing labels: agree vs disagree, a tie.
	if q.Total != 1 || len(q.Items) != 1 || q.Items[0].Paragraph.ID != ids[1] {
		t.Fatalf("queue = %+v, want paragraph %d alone", q, ids[1])
	}
	it := q.Items[0]
	if len(it.Annotations) != 2 || it.Annotations[0].UserName != "ann1" || it.Annotations[0].Labels["stance"] != "agree" {
		t.Errorf("annotations = %+v, want ann1 (agree) and ann2", it.Annotations)
	}
	if m := it.Majority[0]; m.Dimension != "stance" || !m.Tie || m.Value != nil || m.Support != 1 || m.Of != 2 {
		t.Errorf("stance majority = %+v, want a 1/2 tie with no value", m)
	}
	if m := it.Majority[1]; m.Dimension != "topic" || m.Support != 2 || m.Tie {
		t.Errorf("topic majority = %+v, want unanimous", m)
	}
	if it.HasMajority {
		t.Errorf("has_majority = true for a tie, want false")
	}
	// A tie has no majority to accept: a decision that says so is refused.
	tied := map[string]any{"version": 0, "labels": apiLabels("agree", "strike"), "method": "majority"}
	if got, data := e.do("rev", "PUT", fmt.Sprintf("/api/v1/paragraphs/%d/gold", ids[1]), tied); got != http.StatusBadRequest || apiDecodeError(t, data).Error.Field != "method" || !strings.Contains(string(data), "no majority on stance") {
		t.Errorf("majority method on a tie: status %d, want 400 on method naming stance; %s", got, data)
	}

	path := fmt.Sprintf("/api/v1/paragraphs/%d/gold", ids[1])
	body := map[string]any{"version": 0, "labels": apiLabels("agree", "strike"), "method": "accept:ann1"}
	if got, _ := e.do("ann1", "PUT", path, body); got != http.StatusForbidden {
		t.Errorf("annotator PUT gold: status %d, want 403", got)
	}
	e.must("rev", "PUT", path, body, http.StatusOK, nil)
	if got, data := e.do("rev", "PUT", path, map[string]any{"version": 0, "labels": apiLabels("disagree", "strike"), "method": "own"}); got != http.StatusConflict {
		t.Errorf("stale gold version: status %d, want 409; %s", got, data)
	}
	if got, data := e.do("rev", "PUT", path, map[string]any{"version": 1, "labels": apiLabels("maybe", "strike"), "method": "own"}); got != http.StatusBadRequest || apiDecodeError(t, data).Error.Field != "labels.stance" {
		t.Errorf("invalid gold labels: status %d, want 400 on labels.stance; %s", got, data)
	}

	e.must("rev", "GET", "/api/v1/adjudication", nil, http.StatusOK, &q)
	if q.Total != 0 || len(q.Items) != 0 {
		t.Errorf("queue after deciding: total %d, want 0", q.Total)
	}
	e.must("rev", "GET", "/api/v1/adjudication?include_resolved=true", nil, http.StatusOK, &q)
	if q.Total != 1 || q.Items[0].Gold == nil || q.Items[0].Gold.DecidedByName != "rev" || q.Items[0].Gold.Method != "accept:ann1" {
		t.Fatalf("resolved queue = %+v, want the gold decided by rev", q)
	}
	if h := q.Items[0].GoldHistory; len(h) != 1 || h[0].By != "rev" {
		t.Errorf("gold history = %+v, want one entry by rev", h)
	}
	// The annotators' labels are untouched.
	as, err := e.store.Annotations(context.Background(), ids[1])
	if err != nil {
		t.Fatal(err)
	}
	if as[1].UserName != "ann2" || as[1].Labels["stance"][0] != "disagree" || as[1].Version != 1 {
		t.Errorf("ann2's annotation = %+v, want disagree at version 1", as[1])
	}
}

// TestAgreementPageIntervalsAfter checks that the agreement page shows the
// coefficients at once and leaves the bootstrap intervals to a second
// request, which the page's script makes, unless they are in memory.
func TestAgreementPageIntervalsAfter(t *testing.T) {
	e := newAPIEnv(t)
	doc, _ := agreeLabelled(t, e)
	page := fmt.Sprintf("/agreement?document=%d&bootstrap=200", doc)
	st, body := e.do("rev", "GET", page, nil)
	if st != http.StatusOK || !strings.Contains(string(body), "computing…") || !strings.Contains(string(body), `id="ag-intervals"`) {
		t.Fatalf("first view: %d, want the coefficients with their intervals pending:\n%.2000s", st, body)
	}
	if !strings.Contains(string(body), "0.667") {
		t.Errorf("first view lacks the nominal alpha 0.667")
	}
	i := strings.Index(string(body), `data-url="`)
	url := strings.ReplaceAll(string(body[i+len(`data-url="`):]), "&amp;", "&")
	url = url[:strings.Index(url, `"`)]
	if !strings.Contains(url, "intervals=1") {
		t.Fatalf("the intervals URL %q does not ask for the intervals", url)
	}
	st, body = e.do("rev", "GET", url, nil)
	if st != http.StatusOK || strings.Contains(string(body), "computing…") || !strings.Contains(string(body), " to ") {
		t.Fatalf("the intervals view: %d, want intervals and nothing pending:\n%.2000s", st, body)
	}
	// Now in memory: the page shows them at once.
	st, body = e.do("rev", "GET", page, nil)
	if st != http.StatusOK || strings.Contains(string(body), "computing…") || strings.Contains(string(body), `id="ag-intervals"`) {
		t.Errorf("a repeat view: %d, want the intervals at once", st)
	}
	// Without a bootstrap there is nothing to wait for.
	if st, body = e.do("rev", "GET", fmt.Sprintf("/agreement?document=%d&bootstrap=0", doc), nil); st != http.StatusOK || strings.Contains(string(body), "computing…") {
		t.Errorf("bootstrap=0: %d, want no pending intervals", st)
	}
}
