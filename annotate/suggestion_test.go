package annotate_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

func ptr[T any](v T) *T { return &v }

// suggestionStore returns a store with the default schema and one document
// whose first and third paragraphs have the same text.
func suggestionStore(t *testing.T) (*annotate.Store, []annotate.ParagraphStatus) {
	t.Helper()
	s := annotatetest.WithSchema(t)
	res := mustImport(t, s, "doc-a", "Headline\n\nOfficials warned of retaliation.\n\nPolice stepped up patrols.\n\nOfficials warned of retaliation.\n")
	ps := currentParagraphs(t, s, res.DocumentID)
	if len(ps) != 3 {
		t.Fatalf("want 3 paragraphs, got %d", len(ps))
	}
	return s, ps
}

func TestPutSuggestionsRefusesTheWholeBatchNamingEachInput(t *testing.T) {
	s, ps := suggestionStore(t)
	ctx := context.Background()
	good := annotate.SuggestionInput{ParagraphID: ps[0].ID, Dimension: "stance", Value: ptr("agree"), Score: ptr(0.9), Agent: "m@1", Ref: "line 1"}
	in := []annotate.SuggestionInput{
		good,
		{ParagraphID: 999999, Dimension: "stance", Value: ptr("agree"), Score: ptr(0.5), Agent: "m@1", Ref: "line 2"},
		{ParagraphID: ps[1].ID, Dimension: "mood", Value: ptr("agree"), Score: ptr(0.5), Agent: "m@1", Ref: "line 3"},
		{ParagraphID: ps[1].ID, Dimension: "stance", Value: ptr("maybe"), Score: ptr(0.5), Agent: "m@1", Ref: "line 4"},
		{ParagraphID: ps[1].ID, Dimension: "topic", Values: []string{"strike", "nonsense"}, Score: ptr(0.5), Agent: "m@1", Ref: "line 5"},
		{ParagraphID: ps[1].ID, Dimension: "stance", Value: ptr("agree"), Score: ptr(1.5), Agent: "m@1", Ref: "line 6"},
		{ParagraphID: ps[1].ID, Dimension: "stance", Value: ptr("agree"), Score: ptr(0.5), Agent: "  ", Ref: "line 7"},
		{DocumentKey: "doc-a", Position: ptr(7), Dimension: "stance", Value: ptr("agree"), Score: ptr(0.5), Agent: "m@1", Ref: "line 8"},
		{TextHash: strings.Repeat("0", 64), Dimension: "stance", Value: ptr("agree"), Score: ptr(0.5), Agent: "m@1", Ref: "line 9"},
		{ParagraphID: ps[1].ID, Dimension: "stance", Values: []string{"agree", "discuss"}, Score: ptr(0.5), Agent: "m@1", Ref: "line 10"},
		{ParagraphID: ps[1].ID, Dimension: "stance", Value: ptr("agree"), Agent: "m@1", Ref: "line 11"},
	}
	rep, err := s.PutSuggestions(ctx, 0, in)
	if !errors.Is(err, annotate.ErrInvalid) {
		t.Fatalf("want EINVALID, got %v", err)
	}
	want := map[string]string{
		"line 2": "paragraph_id", "line 3": "dimension", "line 4": "value", "line 5": "value",
		"line 6": "score", "line 7": "agent", "line 8": "position", "line 9": "text_hash", "line 10": "values", "line 11": "score",
	}
	got := map[string]string{}
	for _, e := range rep.Errors {
		got[e.Ref] = e.Field
		if e.Message == "" {
			t.Errorf("%s: empty message", e.Ref)
		}
	}
	for ref, field := range want {
		if got[ref] != field {
			t.Errorf("%s: got field %q, want %q (errors %+v)", ref, got[ref], field, rep.Errors)
		}
	}
	if _, bad := got["line 1"]; bad {
		t.Errorf("line 1 is right but was reported: %+v", rep.Errors)
	}
	if n := count(t, s, "SELECT count(*) FROM suggestions"); n != 0 {
		t.Fatalf("a refused batch stored %d suggestion(s)", n)
	}
	if !strings.Contains(rep.Errors[0].Error(), "line 2") {
		t.Errorf("error text does not name the input: %q", rep.Errors[0].Error())
	}
}

func TestPutSuggestionsFindsParagraphsByIDKeyPositionAndHash(t *testing.T) {
	s, ps := suggestionStore(t)
	ctx := context.Background()
	hash := annotate.HashText(ps[0].Text)
	rep, err := s.PutSuggestions(ctx, 0, []annotate.SuggestionInput{
		{ParagraphID: ps[1].ID, Dimension: "stance", Value: ptr("Discuss"), Score: ptr(0.4), Agent: "m@1"},
		{DocumentKey: "doc-a", Position: ptr(1), Dimension: "topic", Values: []string{"terrorism", "homeland-security", "terrorism"}, Score: ptr(0.7), Agent: "m@1"},
		{TextHash: strings.ToUpper(hash), Dimension: "stance", Value: ptr("agree"), Score: ptr(0.82), Agent: "m@1"},
		{TextHash: hash, DocumentKey: "doc-a", Dimension: "event", Value: ptr("A new  event"), Score: ptr(0.3), Agent: "m@1"},
	})
	if err != nil {
		t.Fatalf("put: %v %+v", err, rep)
	}
	if rep.Created != 6 || rep.Replaced != 0 {
		t.Fatalf("got created %d replaced %d, want 6 and 0", rep.Created, rep.Replaced)
	}
	got, err := s.Suggestions(ctx, []int64{ps[0].ID, ps[1].ID, ps[2].ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []int64{ps[0].ID, ps[2].ID} {
		if len(got[p]) != 2 || got[p][0].Dimension != "event" || got[p][1].Dimension != "stance" || !slices.Equal(got[p][1].Values, annotate.Values{"agree"}) || got[p][1].Score != 0.82 {
			t.Errorf("paragraph %d (the repeated text): got %+v", p, got[p])
		}
		if !slices.Equal(got[p][0].Values, annotate.Values{"A new event"}) {
			t.Errorf("open value not normalized: %v", got[p][0].Values)
		}
	}
	mid := got[ps[1].ID]
	if len(mid) != 2 || mid[0].Dimension != "stance" || mid[0].Values[0] != "discuss" || !slices.Equal(mid[1].Values, annotate.Values{"homeland-security", "terrorism"}) {
		t.Errorf("paragraph 1: got %+v", mid)
	}
}

func TestPutSuggestionsReplacesPerAgent(t *testing.T) {
	s, ps := suggestionStore(t)
	ctx := context.Background()
	put := func(agent, value string, score float64) *annotate.SuggestionReport {
		t.Helper()
		rep, err := s.PutSuggestions(ctx, 0, []annotate.SuggestionInput{{ParagraphID: ps[0].ID, Dimension: "stance", Value: ptr(value), Score: ptr(score), Agent: agent}})
		if err != nil {
			t.Fatalf("put %s: %v", agent, err)
		}
		return rep
	}
	put("m@1", "agree", 0.6)
	if rep := put("m@1", "disagree", 0.7); rep.Replaced != 1 || rep.Created != 0 {
		t.Fatalf("same agent again: got %+v, want one replaced", rep)
	}
	if rep := put("other@2", "discuss", 0.9); rep.Created != 1 {
		t.Fatalf("another agent: got %+v, want one created", rep)
	}
	got, err := s.Suggestions(ctx, []int64{ps[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	rows := got[ps[0].ID]
	if len(rows) != 2 {
		t.Fatalf("want one suggestion per agent, got %+v", rows)
	}
	// Highest score first.
	if rows[0].Agent != "other@2" || rows[1].Agent != "m@1" || rows[1].Values[0] != "disagree" || rows[1].Score != 0.7 {
		t.Errorf("got %+v", rows)
	}
}

func TestSuggestionPageWalksWithCursor(t *testing.T) {
	s, ps := suggestionStore(t)
	ctx := context.Background()
	var in []annotate.SuggestionInput
	for _, p := range ps {
		for _, agent := range []string{"a@1", "b@1"} {
			in = append(in, annotate.SuggestionInput{ParagraphID: p.ID, Dimension: "stance", Value: ptr("agree"), Score: ptr(0.5), Agent: agent})
		}
	}
	if _, err := s.PutSuggestions(ctx, 0, in); err != nil {
		t.Fatal(err)
	}
	var seen int
	q := annotate.SuggestionQuery{Limit: 4}
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatal("the cursor does not end")
		}
		page, err := s.SuggestionPage(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		seen += len(page.Suggestions)
		if page.Next == 0 {
			break
		}
		q.After = page.Next
	}
	if seen != 6 {
		t.Fatalf("walked %d suggestions, want 6", seen)
	}
	page, err := s.SuggestionPage(ctx, annotate.SuggestionQuery{Agent: "b@1"})
	if err != nil || len(page.Suggestions) != 3 || page.Next != 0 {
		t.Fatalf("agent filter: %v %+v", err, page)
	}
	if _, err := s.SuggestionPage(ctx, annotate.SuggestionQuery{Limit: 5000}); !errors.Is(err, annotate.ErrInvalid) {
		t.Fatalf("limit too large: want EINVALID, got %v", err)
	}
}

func TestSuggestionModeSetting(t *testing.T) {
	s := annotatetest.WithSchema(t)
	ctx := context.Background()
	m, err := s.SuggestionMode(ctx)
	if err != nil || m != annotate.SuggestionsHint {
		t.Fatalf("default: got %q %v, want hint", m, err)
	}
	if err := s.SetSuggestionMode(ctx, 0, "sometimes"); !errors.Is(err, annotate.ErrInvalid) {
		t.Fatalf("unknown mode: want EINVALID, got %v", err)
	}
	if err := s.SetSuggestionMode(ctx, 0, "prefill"); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.SuggestionMode(ctx); m != annotate.SuggestionsPrefill {
		t.Fatalf("got %q, want prefill", m)
	}
}

func TestRecordShownMeasuresAcceptance(t *testing.T) {
	s, ps := suggestionStore(t)
	ctx := context.Background()
	u := mustUser(t, s, "ann", annotate.RoleAnnotator)
	a, err := s.SaveAnnotation(ctx, u.ID, ps[0].ID, 0, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}})
	if err != nil {
		t.Fatal(err)
	}
	shown := []annotate.ShownInput{
		{Dimension: "stance", Agent: "m@1", Values: []string{"agree"}, Score: 0.8},
		{Dimension: "topic", Agent: "m@1", Values: []string{"terrorism"}, Score: 0.4},
	}
	if err := s.RecordShown(ctx, a, annotate.SuggestionsHint, shown); err != nil {
		t.Fatal(err)
	}
	rows, err := s.ShownOf(ctx, a.ID)
	if err != nil || len(rows) != 2 {
		t.Fatalf("got %v %+v", err, rows)
	}
	if !rows[0].Accepted || rows[1].Accepted || rows[0].Version != 1 {
		t.Errorf("accepted flags wrong: %+v", rows)
	}
	rates, err := s.AcceptRates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rates) != 2 || rates[0].Dimension != "stance" || rates[0].Accepted != 1 || rates[1].Accepted != 0 || rates[1].Shown != 1 {
		t.Errorf("rates: %+v", rates)
	}
	if err := s.RecordShown(ctx, a, annotate.SuggestionsHint, []annotate.ShownInput{{Dimension: "nope", Agent: "m@1", Values: []string{"x"}}}); !errors.Is(err, annotate.ErrInvalid) {
		t.Errorf("unknown dimension: want EINVALID, got %v", err)
	}
	// Undoing the annotation takes its records with it.
	if err := s.DeleteAnnotation(ctx, u.ID, ps[0].ID, a.Version); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "SELECT count(*) FROM suggestions_shown"); n != 0 {
		t.Errorf("%d record(s) outlived their annotation", n)
	}
}
