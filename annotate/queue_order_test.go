package annotate_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

// ids lists the paragraphs' ids.
func ids(ps []annotate.Paragraph) []int64 {
	out := make([]int64, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

// suggestStance gives paragraph pid a stance suggestion with the margin,
// or with the score alone when margin is negative.
func suggestStance(t *testing.T, s *annotate.Store, agent string, pid int64, score, margin float64) {
	t.Helper()
	in := annotate.SuggestionInput{ParagraphID: pid, Dimension: "stance", Value: ptr("agree"), Score: ptr(score), Agent: agent}
	if margin >= 0 {
		in.Margin = ptr(margin)
	}
	if _, err := s.PutSuggestions(context.Background(), 0, []annotate.SuggestionInput{in}); err != nil {
		t.Fatal(err)
	}
}

func TestQueueOrderSetting(t *testing.T) {
	s := annotatetest.WithSchema(t)
	ctx := context.Background()
	if o, err := s.QueueOrder(ctx); err != nil || o != annotate.QueueReading {
		t.Fatalf("QueueOrder = %q, %v; want reading by default", o, err)
	}
	for _, o := range annotate.QueueOrders {
		if err := s.SetQueueOrder(ctx, 0, o); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.QueueOrder(ctx); string(got) != o {
			t.Errorf("after SetQueueOrder(%q), QueueOrder = %q", o, got)
		}
	}
	err := s.SetQueueOrder(ctx, 0, "random")
	var e *annotate.Error
	if !errors.As(err, &e) || e.Code != annotate.EINVALID || e.Field != annotate.SettingQueueOrder || !slices.Equal(e.Allowed, annotate.QueueOrders) {
		t.Fatalf("SetQueueOrder(random) = %v; want EINVALID on queue_order listing %v", err, annotate.QueueOrders)
	}
	if got, _ := s.QueueOrder(ctx); got != annotate.QueueDisagreement {
		t.Errorf("a refused order changed the setting to %q", got)
	}
}

func TestPutSuggestionsChecksMargin(t *testing.T) {
	s, ps := suggestionStore(t)
	ctx := context.Background()
	in := []annotate.SuggestionInput{
		{ParagraphID: ps[0].ID, Dimension: "stance", Value: ptr("agree"), Score: ptr(0.9), Margin: ptr(0.3), Agent: "m@1", Ref: "line 1"},
		{ParagraphID: ps[1].ID, Dimension: "stance", Value: ptr("agree"), Score: ptr(0.9), Margin: ptr(1.2), Agent: "m@1", Ref: "line 2"},
		{ParagraphID: ps[1].ID, Dimension: "stance", Value: ptr("agree"), Score: ptr(0.9), Margin: ptr(-0.1), Agent: "m@1", Ref: "line 3"},
	}
	rep, err := s.PutSuggestions(ctx, 0, in)
	if !errors.Is(err, annotate.ErrInvalid) {
		t.Fatalf("want EINVALID, got %v", err)
	}
	got := map[string]string{}
	for _, e := range rep.Errors {
		got[e.Ref] = e.Field
	}
	if len(got) != 2 || got["line 2"] != "margin" || got["line 3"] != "margin" {
		t.Fatalf("errors %+v; want margin on lines 2 and 3 only", rep.Errors)
	}
	if _, err := s.PutSuggestions(ctx, 0, in[:1]); err != nil {
		t.Fatal(err)
	}
	page, err := s.SuggestionPage(ctx, annotate.SuggestionQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Suggestions) != 1 || page.Suggestions[0].Margin == nil || *page.Suggestions[0].Margin != 0.3 {
		t.Fatalf("stored %+v; want one suggestion with margin 0.3", page.Suggestions)
	}
}

// TestQueueUncertainOrder: the smallest margin first, a margin left out
// counted from the score, the newest suggestion of a dimension counting,
// then the paragraphs without suggestions in reading order; within one
// document too.
func TestQueueUncertainOrder(t *testing.T) {
	s, _, ps := leaseStore(t, 8, 2)
	ctx := context.Background()
	other := mustImport(t, s, "other.txt", "Other title\n\nOther one.\n\nOther two.")
	ops := currentParagraphs(t, s, other.DocumentID)
	a := mustUser(t, s, "a", annotate.RoleAnnotator)
	// ps[0] is the title: 8 paragraphs follow it.
	suggestStance(t, s, "m@1", ps[5].ID, 0.9, 0.05)
	suggestStance(t, s, "m@1", ps[2].ID, 0.6, -1) // margin from score: 0.2
	suggestStance(t, s, "m@1", ps[7].ID, 0.9, 0.5)
	suggestStance(t, s, "m@1", ops[1].ID, 0.9, 0.1)
	// A newer suggestion replaces the margin ps[3] counts with.
	suggestStance(t, s, "m@1", ps[3].ID, 0.9, 0.01)
	suggestStance(t, s, "m@1", ps[3].ID, 0.9, 0.7)
	if err := s.SetQueueOrder(ctx, 0, "uncertain"); err != nil {
		t.Fatal(err)
	}
	got, err := s.Queue(ctx, a.ID, annotate.QueueOptions{Limit: 8})
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{ps[5].ID, ops[1].ID, ps[2].ID, ps[7].ID, ps[3].ID, ps[0].ID, ps[1].ID, ps[4].ID}
	if !slices.Equal(ids(got), want) {
		t.Errorf("uncertain order %v, want %v", ids(got), want)
	}
	b := mustUser(t, s, "b", annotate.RoleAnnotator)
	got, err = s.Queue(ctx, b.ID, annotate.QueueOptions{Limit: 4, DocumentID: ps[0].DocumentID, Exclude: []int64{ps[2].ID}})
	if err != nil {
		t.Fatal(err)
	}
	want = []int64{ps[5].ID, ps[7].ID, ps[3].ID, ps[0].ID}
	if !slices.Equal(ids(got), want) {
		t.Errorf("uncertain order in one document, ps[2] excluded: %v, want %v", ids(got), want)
	}
	// Switching back takes effect on the next request.
	if err := s.SetQueueOrder(ctx, 0, "reading"); err != nil {
		t.Fatal(err)
	}
	c := mustUser(t, s, "c", annotate.RoleAnnotator)
	got, err = s.Queue(ctx, c.ID, annotate.QueueOptions{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	// a and b hold ps[0] and ps[3], and the overlap is 2.
	if want := []int64{ps[1].ID, ps[2].ID, ps[4].ID}; !slices.Equal(ids(got), want) {
		t.Errorf("reading order %v, want %v", ids(got), want)
	}
}

// TestQueueUncertainRespectsOverlapAndLeases: with overlap 1, annotators
// asking one after another and all at once never get the same paragraph,
// and a labelled paragraph leaves the queue however uncertain it is.
func TestQueueUncertainRespectsOverlapAndLeases(t *testing.T) {
	s, _, ps := leaseStore(t, 40, 1)
	ctx := context.Background()
	var in []annotate.SuggestionInput
	for i, p := range ps {
		in = append(in, annotate.SuggestionInput{ParagraphID: p.ID, Dimension: "stance", Value: ptr("agree"), Score: ptr(0.9), Margin: ptr(float64((i*7)%41) / 41), Agent: "m@1"})
	}
	if _, err := s.PutSuggestions(ctx, 0, in); err != nil {
		t.Fatal(err)
	}
	if err := s.SetQueueOrder(ctx, 0, "uncertain"); err != nil {
		t.Fatal(err)
	}
	a := mustUser(t, s, "a", annotate.RoleAnnotator)
	b := mustUser(t, s, "b", annotate.RoleAnnotator)
	first, err := s.Queue(ctx, a.ID, annotate.QueueOptions{Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveAnnotation(ctx, a.ID, first[0].ID, 0, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}); err != nil {
		t.Fatal(err)
	}
	second, err := s.Queue(ctx, b.ID, annotate.QueueOptions{Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range second {
		if slices.Contains(ids(first), p.ID) {
			t.Errorf("paragraph %d went to b while a holds or labelled it (overlap 1)", p.ID)
		}
	}
	for i := 1; i < len(second); i++ {
		if second[i].Margin < second[i-1].Margin {
			t.Errorf("b's queue is not by margin: %v then %v", second[i-1].Margin, second[i].Margin)
		}
	}
	if second[0].Margin < first[len(first)-1].Margin {
		t.Errorf("b's first margin %v is below a's last %v: b should get the next most uncertain", second[0].Margin, first[len(first)-1].Margin)
	}
	users := make([]*annotate.User, 8)
	got := make([][]annotate.Paragraph, len(users))
	errs := make([]error, len(users))
	fns := make([]func(), len(users))
	for i := range users {
		users[i] = mustUser(t, s, fmt.Sprintf("u%d", i), annotate.RoleAnnotator)
		fns[i] = func() { got[i], errs[i] = s.Queue(ctx, users[i].ID, annotate.QueueOptions{Limit: 3}) }
	}
	annotatetest.Together(fns...)
	held := map[int64]bool{}
	for _, id := range append(ids(first), ids(second)...) {
		held[id] = true
	}
	for i := range users {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		for _, p := range got[i] {
			if held[p.ID] {
				t.Errorf("paragraph %d handed to two annotators at once with overlap 1", p.ID)
			}
			held[p.ID] = true
		}
	}
}

// TestQueueDisagreementOrder: with overlap 3, the paragraphs two
// annotators dispute come first to a third, most disputed first, then the
// rest in reading order; never one the caller labelled or one closed.
func TestQueueDisagreementOrder(t *testing.T) {
	s, _, ps := leaseStore(t, 8, 3)
	ctx := context.Background()
	x := mustUser(t, s, "x", annotate.RoleAnnotator)
	y := mustUser(t, s, "y", annotate.RoleAnnotator)
	z := mustUser(t, s, "z", annotate.RoleAnnotator)
	label := func(u *annotate.User, p annotate.ParagraphStatus, stance string, topics ...string) {
		t.Helper()
		if _, err := s.SaveAnnotation(ctx, u.ID, p.ID, 0, annotate.Labels{"stance": {stance}, "topic": topics}); err != nil {
			t.Fatal(err)
		}
	}
	label(x, ps[2], "agree", "strike")
	label(y, ps[2], "discuss", "strike") // disputed on one dimension
	label(x, ps[6], "agree", "strike")
	label(y, ps[6], "discuss", "media") // disputed on two
	label(x, ps[4], "agree", "strike")
	label(y, ps[4], "agree", "strike") // agreed
	label(x, ps[7], "agree", "strike")
	label(y, ps[7], "discuss", "media")
	label(z, ps[7], "disagree", "justice") // disputed but closed by overlap 3
	if err := s.SetQueueOrder(ctx, 0, "disagreement"); err != nil {
		t.Fatal(err)
	}
	c := mustUser(t, s, "c", annotate.RoleAnnotator)
	got, err := s.Queue(ctx, c.ID, annotate.QueueOptions{Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{ps[6].ID, ps[2].ID, ps[0].ID, ps[1].ID, ps[3].ID}
	if !slices.Equal(ids(got), want) {
		t.Errorf("disagreement order %v, want %v", ids(got), want)
	}
	// x labelled both disputed paragraphs: x gets the rest in reading order.
	got, err = s.Queue(ctx, x.ID, annotate.QueueOptions{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{ps[0].ID, ps[1].ID}; !slices.Equal(ids(got), want) {
		t.Errorf("x's queue %v, want %v", ids(got), want)
	}
	// A new dispute counts at once; an excluded paragraph stays out, and
	// ps[2] is full: x and y labelled it and c holds it.
	label(x, ps[5], "agree", "strike")
	label(y, ps[5], "disagree", "justice", "media")
	d := mustUser(t, s, "d", annotate.RoleAnnotator)
	got, err = s.Queue(ctx, d.ID, annotate.QueueOptions{Limit: 2, Exclude: []int64{ps[6].ID}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{ps[5].ID, ps[0].ID}; !slices.Equal(ids(got), want) {
		t.Errorf("after a new dispute, ps[6] excluded, ps[2] full: %v, want %v", ids(got), want)
	}
	// Within one document of none disputed: reading order.
	other := mustImport(t, s, "other.txt", "Other title\n\nOther one.\n\nOther two.")
	ops := currentParagraphs(t, s, other.DocumentID)
	if len(ops) < 2 {
		t.Fatalf("the other document has %d paragraphs, want 2 or more", len(ops))
	}
	got, err = s.Queue(ctx, d.ID, annotate.QueueOptions{Limit: 2, DocumentID: other.DocumentID})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{ops[0].ID, ops[1].ID}; !slices.Equal(ids(got), want) {
		t.Errorf("in a document without disputes: %v, want %v", ids(got), want)
	}
}

// TestQueueUncertainUsesIndex: the query of each order reads an index in
// that order rather than sorting the open paragraphs.
func TestQueueUncertainUsesIndex(t *testing.T) {
	s, _, _ := leaseStore(t, 3, 2)
	for _, tc := range []struct{ order, index string }{
		{"p.queue_margin, p.document_id, p.position", "idx_paragraph_uncertain"},
		{"p.queue_margin, p.position", "idx_paragraph_doc_uncertain"},
	} {
		where := "p.is_current = true AND p.is_open = true"
		if strings.Count(tc.order, ",") == 1 {
			where += " AND p.document_id = 1"
		}
		plan := explain(t, s, "SELECT p.id FROM paragraphs p WHERE "+where+" ORDER BY "+tc.order+" LIMIT 10")
		if !strings.Contains(plan, tc.index) {
			t.Errorf("ORDER BY %s: plan does not use %s:\n%s", tc.order, tc.index, plan)
		}
	}
}

// explain returns the query plan of query (with its args) as text. On PostgreSQL
// sequential scans are turned off for it: a test's few rows would make
// any plan cheap, and the question is which index the order can use.
func explain(t *testing.T, s *annotate.Store, query string, args ...any) string {
	t.Helper()
	var lines []string
	db := s.GormForTest()
	if s.Dialect() != "postgres" {
		var rows []struct{ Detail string }
		if err := db.Raw("EXPLAIN QUERY PLAN "+query, args...).Scan(&rows).Error; err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			lines = append(lines, r.Detail)
		}
		return strings.Join(lines, "\n")
	}
	tx := db.Begin()
	defer tx.Rollback()
	if err := tx.Exec("SET LOCAL enable_seqscan = off").Error; err != nil {
		t.Fatal(err)
	}
	if err := tx.Raw("EXPLAIN "+query, args...).Scan(&lines).Error; err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
