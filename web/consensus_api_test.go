package web_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"concord/annotate"
)

// consensusStances cycle over the paragraphs that two careful annotators
// agree on.
var consensusStances = []string{"agree", "disagree", "discuss", "unrelated"}

// seedConsensusTie labels eleven paragraphs of ids so that the vote and
// Dawid–Skene part: alice and bob agree on ids[0:10], carol answers
// "unrelated" to everything (a spammer), and on ids[10] only alice
// ("agree") and carol answered, a tie in the vote that Dawid–Skene settles
// for alice. It returns the three annotators.
func seedConsensusTie(t *testing.T, st *annotate.Store, ids []int64) map[string]*annotate.User {
	t.Helper()
	if len(ids) < 11 {
		t.Fatalf("the consensus fixture needs 11 paragraphs, got %d", len(ids))
	}
	ctx := context.Background()
	users := map[string]*annotate.User{}
	for _, n := range []string{"alice", "bob", "carol"} {
		u, err := st.CreateUser(ctx, 0, n, annotate.RoleAnnotator, "")
		if err != nil {
			t.Fatal(err)
		}
		users[n] = u
	}
	save := func(user string, id int64, stance string, topics ...string) {
		t.Helper()
		if _, err := st.SaveAnnotation(ctx, users[user].ID, id, 0, annotate.Labels{"stance": {stance}, "topic": topics}); err != nil {
			t.Fatalf("save %s on %d: %v", user, id, err)
		}
	}
	for i := range 10 {
		s := consensusStances[i%4]
		save("alice", ids[i], s, "strike")
		save("bob", ids[i], s, "strike")
		save("carol", ids[i], "unrelated", "media")
	}
	save("alice", ids[10], "agree", "strike")
	save("carol", ids[10], "unrelated", "media")
	return users
}

// allParagraphs returns the ids of every current paragraph, document after
// document.
func allParagraphs(t *testing.T, st *annotate.Store) []int64 {
	t.Helper()
	ctx := context.Background()
	docs, err := st.Documents(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, d := range docs {
		ps, err := st.Paragraphs(ctx, d.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			ids = append(ids, p.ID)
		}
	}
	return ids
}

type consensusPage struct {
	Run struct {
		ID          int64 `json:"id"`
		DataVersion int64 `json:"data_version"`
		Method      string
		Dimensions  []struct {
			Name, Kind, Method string
		}
	} `json:"run"`
	Items []struct {
		ParagraphID int64   `json:"paragraph_id"`
		Dimension   string  `json:"dimension"`
		Value       any     `json:"value"`
		Confidence  float64 `json:"confidence"`
		Method      string  `json:"method"`
		Tie         bool    `json:"tie"`
	} `json:"items"`
	Next string `json:"next"`
}

func TestConsensusAPI(t *testing.T) {
	e := newAPIEnv(t)
	ids := allParagraphs(t, e.store)
	seedConsensusTie(t, e.store, ids)

	var first consensusPage
	e.must("rev", "GET", "/api/v1/consensus?dimension=stance&limit=1000", nil, 200, &first)
	if first.Run.Method != "dawid-skene" || len(first.Run.Dimensions) != 2 || len(first.Items) != 11 || first.Next != "" {
		t.Fatalf("stance page: run %+v, %d items, next %q; want dawid-skene over 2 dimensions, 11 items, no next", first.Run, len(first.Items), first.Next)
	}
	var tie *struct {
		ParagraphID int64   `json:"paragraph_id"`
		Dimension   string  `json:"dimension"`
		Value       any     `json:"value"`
		Confidence  float64 `json:"confidence"`
		Method      string  `json:"method"`
		Tie         bool    `json:"tie"`
	}
	for i := range first.Items {
		if first.Items[i].ParagraphID == ids[10] {
			tie = &first.Items[i]
		}
	}
	if tie == nil || tie.Value != "agree" || tie.Confidence < 0.9 || tie.Method != "dawid-skene" {
		t.Errorf("the tied paragraph's stance = %+v, want agree with confidence ≥ 0.9", tie)
	}

	// Pages of 5, least confident first, add up to the whole listing, and
	// the run is the same one: nothing was written in between.
	var seen int
	next := ""
	last := -1.0
	for pages := 0; pages < 20; pages++ {
		var p consensusPage
		path := "/api/v1/consensus?order=confidence&limit=5"
		if next != "" {
			path += "&next=" + url.QueryEscape(next)
		}
		e.must("admin", "GET", path, nil, 200, &p)
		if p.Run.ID != first.Run.ID {
			t.Fatalf("page %d comes from run %d, want run %d", pages, p.Run.ID, first.Run.ID)
		}
		for _, it := range p.Items {
			if it.Confidence < last {
				t.Fatalf("confidence %v after %v: want least confident first", it.Confidence, last)
			}
			last = it.Confidence
			if m, ok := it.Value.([]any); it.Dimension == "topic" && !ok {
				t.Errorf("topic value %v (%T), want an array (%v)", it.Value, it.Value, m)
			}
		}
		seen += len(p.Items)
		if next = p.Next; next == "" {
			break
		}
	}
	if seen != 22 {
		t.Errorf("pages by confidence list %d items, want 22 (11 paragraphs × stance and topic)", seen)
	}

	var low consensusPage
	e.must("rev", "GET", "/api/v1/consensus?max_confidence=0.5", nil, 200, &low)
	for _, it := range low.Items {
		if it.Confidence > 0.5 {
			t.Errorf("max_confidence=0.5 kept an item at %v", it.Confidence)
		}
	}

	for _, tc := range []struct{ query, field string }{
		{"limit=0", "limit"},
		{"limit=1001", "limit"},
		{"max_confidence=high", "max_confidence"},
		{"max_confidence=1.5", "max_confidence"},
		{"order=random", "order"},
		{"dimension=event", "dimension"},
		{"next=garbage", "next"},
	} {
		code, body := e.do("rev", "GET", "/api/v1/consensus?"+tc.query, nil)
		if code != 400 {
			t.Errorf("?%s: status %d, want 400; %s", tc.query, code, body)
			continue
		}
		if got := apiDecodeError(t, body); got.Error.Field != tc.field {
			t.Errorf("?%s: error names %q, want %q: %s", tc.query, got.Error.Field, tc.field, body)
		}
	}
}

func TestAgreementPageShowsEstimatedAccuracy(t *testing.T) {
	e := newAPIEnv(t)
	seedConsensusTie(t, e.store, allParagraphs(t, e.store))
	page := string(e.must("rev", "GET", "/agreement", nil, 200, nil))
	if !strings.Contains(page, "Estimated accuracy") || !strings.Contains(page, "estimated confusion matrix") {
		t.Fatal("the agreement page has no estimated accuracy or confusion matrices")
	}
	// The stance table: carol, who answers "unrelated" to everything, is
	// flagged; alice and bob are not.
	start := strings.Index(page, `<table class="ag-gold ag-reliability">`)
	end := strings.Index(page[start:], "</table>")
	table := page[start : start+end]
	for _, name := range []string{"alice", "bob", "carol"} {
		at := strings.Index(table, `<th scope="row">`+name)
		if at < 0 {
			t.Fatalf("no row for %s in %s", name, table)
		}
		row := table[at:]
		row = row[:strings.Index(row, "</tr>")]
		if flagged := strings.Contains(row, "near chance"); flagged != (name == "carol") {
			t.Errorf("%s flagged near chance: %v, want %v: %s", name, flagged, name == "carol", row)
		}
	}
}

func TestExportGoldFromConsensusAPI(t *testing.T) {
	e := newAPIEnv(t)
	ids := allParagraphs(t, e.store)
	seedConsensusTie(t, e.store, ids)
	body := string(e.must("rev", "GET", "/api/v1/export?format=jsonl&split=none&gold_from_consensus=0.9&dimensions=stance", nil, 200, nil))
	found := false
	for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
		var l struct {
			ParagraphID int64             `json:"paragraph_id"`
			Gold        map[string]any    `json:"gold"`
			GoldSource  string            `json:"gold_source"`
			Consensus   map[string]any    `json:"consensus"`
			Method      map[string]string `json:"consensus_method"`
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("line is not JSON: %v: %s", err, line)
		}
		if l.ParagraphID == ids[10] {
			found = true
			if l.GoldSource != "consensus" || l.Gold["stance"] != "agree" || l.Method["stance"] != "dawid-skene" {
				t.Errorf("the tied paragraph: gold %v from %q (consensus method %v), want agree from consensus", l.Gold, l.GoldSource, l.Method)
			}
		}
	}
	if !found {
		t.Fatal("the tied paragraph is not in the export")
	}
	code, data := e.do("rev", "GET", "/api/v1/export?format=jsonl&gold_from_consensus=sure", nil)
	if code != 400 || apiDecodeError(t, data).Error.Field != "gold_from_consensus" {
		t.Errorf("gold_from_consensus=sure: %d %s, want 400 naming gold_from_consensus", code, data)
	}
}

// TestConsensusAPISmallDataReason labels two paragraphs by two annotators,
// too few for Dawid–Skene: the consensus API and the adjudication queue
// give the vote's method and the reason beside each item, so that the
// page shows why rather than a confidence that reads as learnt.
func TestConsensusAPISmallDataReason(t *testing.T) {
	e := newAPIEnv(t)
	ids := allParagraphs(t, e.store)
	ctx := context.Background()
	var users []*annotate.User
	for _, n := range []string{"alice", "bob"} {
		u, err := e.store.CreateUser(ctx, 0, n, annotate.RoleAnnotator, "")
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
	}
	for i, pair := range [][2]string{{"agree", "agree"}, {"agree", "disagree"}} {
		for u, stance := range pair {
			if _, err := e.store.SaveAnnotation(ctx, users[u].ID, ids[i], 0, annotate.Labels{"stance": {stance}, "topic": {"strike"}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var page struct {
		Run struct {
			Dimensions []struct {
				Name, Method, Reason string
			}
		}
		Items []struct {
			ParagraphID int64 `json:"paragraph_id"`
			Method      string
			Reason      string
		}
	}
	e.must("rev", "GET", "/api/v1/consensus?dimension=stance", nil, 200, &page)
	if len(page.Run.Dimensions) == 0 || page.Run.Dimensions[0].Method != "majority" || !strings.Contains(page.Run.Dimensions[0].Reason, "too small to learn reliabilities") {
		t.Fatalf("run dimensions %+v, want stance by majority with the small-data reason", page.Run.Dimensions)
	}
	if len(page.Items) != 2 {
		t.Fatalf("%d stance items, want 2", len(page.Items))
	}
	for _, it := range page.Items {
		if it.Method != "majority" || it.Reason != page.Run.Dimensions[0].Reason {
			t.Errorf("item %+v, want majority with the run's reason", it)
		}
	}

	var q struct {
		Items []struct {
			Consensus []struct {
				Dimension, Method, Reason string
			}
		}
	}
	e.must("rev", "GET", "/api/v1/adjudication", nil, 200, &q)
	if len(q.Items) != 1 || len(q.Items[0].Consensus) == 0 {
		t.Fatalf("adjudication queue %+v, want the disputed paragraph with its consensus", q)
	}
	if c := q.Items[0].Consensus[0]; c.Dimension != "stance" || c.Method != "majority" || !strings.Contains(c.Reason, "too small to learn reliabilities") {
		t.Errorf("adjudication stance consensus %+v, want majority with the small-data reason", c)
	}
}
