package annotate_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"concord/agreement"
	"concord/annotate"
	"concord/annotate/annotatetest"
	"concord/seeds"
)

// modelFixture stores the hand-worked stances of agreeStance for alice and
// bob on four paragraphs, gold on the first three (agree, disagree,
// disagree), and returns the store, the paragraph ids and a function that
// stores the model m@1's stance suggestions agree, agree, disagree,
// unrelated and its topic sets {strike} and {strike, terrorism} on the
// first two.
func modelFixture(t *testing.T) (*annotate.Store, []int64, func()) {
	t.Helper()
	s := annotatetest.Seeded(t)
	ctx := context.Background()
	a := mustUser(t, s, "alice", annotate.RoleAnnotator)
	b := mustUser(t, s, "bob", annotate.RoleAnnotator)
	rev := mustUser(t, s, "rita", annotate.RoleReviewer)
	ps := currentParagraphs(t, s, 1)
	var ids []int64
	for i, r := range agreeStance {
		ids = append(ids, ps[i].ID)
		for j, u := range []*annotate.User{a, b} {
			if _, err := s.SaveAnnotation(ctx, u.ID, ps[i].ID, 0, annotate.Labels{"stance": {r[1+j]}, "topic": {"strike"}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, g := range []string{"agree", "disagree", "disagree"} {
		if _, err := s.SetGold(ctx, rev.ID, ids[i], 0, annotate.Labels{"stance": {g}, "topic": {"strike"}}, "adjudicated"); err != nil {
			t.Fatal(err)
		}
	}
	suggest := func() {
		t.Helper()
		score := 0.9
		var in []annotate.SuggestionInput
		for i, v := range []string{"agree", "agree", "disagree", "unrelated"} {
			in = append(in, annotate.SuggestionInput{ParagraphID: ids[i], Dimension: "stance", Value: &v, Score: &score, Agent: "m@1"})
		}
		in = append(in,
			annotate.SuggestionInput{ParagraphID: ids[0], Dimension: "topic", Values: []string{"strike"}, Score: &score, Agent: "m@1"},
			annotate.SuggestionInput{ParagraphID: ids[1], Dimension: "topic", Values: []string{"terrorism", "strike"}, Score: &score, Agent: "m@1"})
		if _, err := s.PutSuggestions(ctx, 0, in); err != nil {
			t.Fatal(err)
		}
	}
	return s, ids, suggest
}

func modelDim(t *testing.T, rep *annotate.AgreementReport, agent, dim string) *annotate.ModelDimension {
	t.Helper()
	for i := range rep.Models {
		if rep.Models[i].Agent != agent {
			continue
		}
		for j := range rep.Models[i].Dimensions {
			if rep.Models[i].Dimensions[j].Name == dim {
				return &rep.Models[i].Dimensions[j]
			}
		}
	}
	t.Fatalf("no model row for %s on %s in %+v", agent, dim, rep.Models)
	return nil
}

func wantMetric(t *testing.T, name string, m agreement.Metric, want float64) {
	t.Helper()
	if !m.Defined() || !agreeClose(m.Float(), want) {
		t.Errorf("%s = %v (%s), want %.6f", name, m.Float(), m.Reason, want)
	}
}

// The figures of TestModelRowsByHand, worked by hand. Against gold (three
// paragraphs, rows gold, columns the model): (agree, agree), (disagree,
// agree), (disagree, disagree); 2 of 3 match; Pe = (1·2 + 2·1)/9, so
// κ = (3·2 − 4)/(9 − 4) = 2/5; F1 agree 2·1/(1+2), disagree 2·1/(2+1),
// macro 2/3. Against alice (agree, agree, disagree, discuss): 3 of 4,
// κ = (4·3 − 5)/(16 − 5) = 7/11. Against bob (agree, disagree, disagree,
// discuss): 2 of 4, κ = (4·2 − 4)/(16 − 4) = 1/3. Mean (7/11 + 1/3)/2 =
// 16/33; alice and bob between themselves 7/11.
func TestModelRowsByHand(t *testing.T) {
	s, _, suggest := modelFixture(t)
	suggest()
	ctx := context.Background()
	rep, err := s.Agreement(ctx, annotate.AgreementFilter{}, agreement.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Models) != 1 || rep.Models[0].Agent != "m@1" {
		t.Fatalf("models %+v, want one, m@1", rep.Models)
	}
	st := modelDim(t, rep, "m@1", "stance")
	if st.Paragraphs != 4 || st.Gold.Items != 3 || st.Gold.Matches != 2 {
		t.Errorf("paragraphs %d, gold items %d matches %d; want 4, 3, 2", st.Paragraphs, st.Gold.Items, st.Gold.Matches)
	}
	if st.Gold.Accuracy == nil || !agreeClose(*st.Gold.Accuracy, 2.0/3) {
		t.Errorf("gold accuracy %v, want 2/3", st.Gold.Accuracy)
	}
	wantMetric(t, "kappa with gold", st.Gold.Kappa, 0.4)
	wantMetric(t, "macro F1 with gold", st.Gold.MacroF1, 2.0/3)
	if st.Gold.WeightedKappa != nil {
		t.Errorf("weighted kappa on an unordered dimension: %+v", st.Gold.WeightedKappa)
	}
	if len(st.Annotators) != 2 || st.Annotators[0].Annotator != "alice" || st.Annotators[1].Annotator != "bob" {
		t.Fatalf("annotators %+v, want alice and bob", st.Annotators)
	}
	if st.Annotators[0].Items != 4 || st.Annotators[0].Matches != 3 || st.Annotators[1].Matches != 2 {
		t.Errorf("alice %d/%d, bob %d/%d; want 3/4 and 2/4", st.Annotators[0].Matches, st.Annotators[0].Items, st.Annotators[1].Matches, st.Annotators[1].Items)
	}
	wantMetric(t, "kappa with alice", st.Annotators[0].Kappa, 7.0/11)
	wantMetric(t, "kappa with bob", st.Annotators[1].Kappa, 1.0/3)
	wantMetric(t, "mean kappa", st.MeanKappa, 16.0/33)
	wantMetric(t, "human kappa", st.HumanKappa, 7.0/11)
	if st.Accept != nil {
		t.Errorf("accept %+v with nothing shown, want none", st.Accept)
	}
	// Topics: every annotator gave {strike}; the model {strike} once and
	// {strike, terrorism} once, so 1 of 2 match and, one category in the
	// annotators' column, kappa with each is (2·1 − 2)/(4 − 2) = 0. The
	// annotators among themselves used one set only: undefined.
	tp := modelDim(t, rep, "m@1", "topic")
	if tp.Annotators[0].Items != 2 || tp.Annotators[0].Matches != 1 {
		t.Errorf("topic with alice %d/%d, want 1/2", tp.Annotators[0].Matches, tp.Annotators[0].Items)
	}
	wantMetric(t, "topic kappa with alice", tp.Annotators[0].Kappa, 0)
	if tp.HumanKappa.Defined() {
		t.Errorf("topic human kappa %v, want undefined (one set used)", tp.HumanKappa.Float())
	}
	if tp.Gold.Items != 2 || tp.Gold.Matches != 1 {
		t.Errorf("topic gold %d/%d, want 1/2", tp.Gold.Matches, tp.Gold.Items)
	}
}

// humanJSON is the report without its models section.
func humanJSON(t *testing.T, rep *annotate.AgreementReport) string {
	t.Helper()
	r := *rep
	r.Models = nil
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSuggestionsLeaveHumanAgreementAlone(t *testing.T) {
	s, ids, suggest := modelFixture(t)
	ctx := context.Background()
	opt := agreement.Options{Bootstrap: 50, Seed: 7}
	before, err := s.Agreement(ctx, annotate.AgreementFilter{}, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(before.Models) != 0 {
		t.Fatalf("models %+v before any suggestion", before.Models)
	}
	dv, _ := s.DataVersion(ctx)
	sv, _ := s.SuggestionsVersion(ctx)
	suggest()
	dv2, _ := s.DataVersion(ctx)
	sv2, _ := s.SuggestionsVersion(ctx)
	if dv2 != dv || sv2 == sv {
		t.Errorf("after suggestions data version %d→%d, suggestions version %d→%d; want the first unchanged, the second moved", dv, dv2, sv, sv2)
	}
	after, err := s.Agreement(ctx, annotate.AgreementFilter{}, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Models) != 1 {
		t.Fatalf("the cached report was served after a suggestion: models %+v", after.Models)
	}
	if humanJSON(t, before) != humanJSON(t, after) {
		t.Errorf("human figures changed with suggestions:\n%s\n%s", humanJSON(t, before), humanJSON(t, after))
	}
	// Computed afresh on a store that had the suggestions from the start,
	// not only reused from the cache, they are the same.
	s2, _, suggest2 := modelFixture(t)
	suggest2()
	fresh, err := s2.Agreement(ctx, annotate.AgreementFilter{}, opt)
	if err != nil {
		t.Fatal(err)
	}
	if humanJSON(t, fresh) != humanJSON(t, before) {
		t.Errorf("a fresh report with suggestions differs from the one without:\n%s\n%s", humanJSON(t, fresh), humanJSON(t, before))
	}
	if !slices.Equal(after.Annotators, []string{"alice", "bob"}) || !slices.Equal(after.Dimensions[0].Report.Pairwise.Annotators, []string{"alice", "bob"}) {
		t.Errorf("annotators %v, pairwise %v: the model counts as an annotator", after.Annotators, after.Dimensions[0].Report.Pairwise.Annotators)
	}
	again, _ := s.Agreement(ctx, annotate.AgreementFilter{}, opt)
	if again != after {
		t.Errorf("a repeat view with nothing written was computed again")
	}
	// A changed suggestion is seen at once: the model now agrees with
	// alice on all four paragraphs.
	v, score := "discuss", 0.5
	if _, err := s.PutSuggestions(ctx, 0, []annotate.SuggestionInput{{ParagraphID: ids[3], Dimension: "stance", Value: &v, Score: &score, Agent: "m@1"}}); err != nil {
		t.Fatal(err)
	}
	changed, err := s.Agreement(ctx, annotate.AgreementFilter{}, opt)
	if err != nil {
		t.Fatal(err)
	}
	if got := modelDim(t, changed, "m@1", "stance").Annotators[0].Matches; got != 4 {
		t.Errorf("after a changed suggestion the model matches alice on %d paragraphs, want 4", got)
	}
	if humanJSON(t, changed) != humanJSON(t, before) {
		t.Errorf("human figures changed with a changed suggestion")
	}
}

// TestModelRowsOrdered checks an ordered dimension's weighted kappa. alice
// gives low, mid, high, high, the model low, high, high, mid. Rows alice,
// columns the model, categories low, mid, high: (low, low), (mid, high),
// (high, high), (high, mid); marginals 1, 1, 2 both ways. Unweighted
// κ = (4·2 − 6)/(16 − 6) = 1/5. Linear weights 0, ½, 1: Do = (½ + ½)/4 =
// 1/4, De = Σ w·r·c/16 = (½ + 2 + ½ + 1 + 2 + 1)/16 = 7/16, κw = 1 − 4/7 =
// 3/7. bob never labels intensity: no figure with him.
func TestModelRowsOrdered(t *testing.T) {
	s, ids, _ := modelFixture(t)
	ctx := context.Background()
	data, err := seeds.FS.ReadFile(seeds.SchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, []byte("\n  - name: intensity\n    title: Intensity\n    kind: single\n    ordered: true\n    options:\n      - {key: low, name: Low}\n      - {key: mid, name: Mid}\n      - {key: high, name: High}\n")...)
	sc, err := annotate.ParseSchema(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplySchema(ctx, 0, sc, nil); err != nil {
		t.Fatal(err)
	}
	alice, err := s.UserByName(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	score := 0.9
	var in []annotate.SuggestionInput
	for i, pair := range [][2]string{{"low", "low"}, {"mid", "high"}, {"high", "high"}, {"high", "mid"}} {
		a, err := s.Annotation(ctx, ids[i], alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		labels := annotate.Labels{"stance": a.Labels["stance"], "topic": a.Labels["topic"], "intensity": {pair[0]}}
		if _, err := s.SaveAnnotation(ctx, alice.ID, ids[i], a.Version, labels); err != nil {
			t.Fatal(err)
		}
		v := pair[1]
		in = append(in, annotate.SuggestionInput{ParagraphID: ids[i], Dimension: "intensity", Value: &v, Score: &score, Agent: "m@1"})
	}
	if _, err := s.PutSuggestions(ctx, 0, in); err != nil {
		t.Fatal(err)
	}
	rep, err := s.Agreement(ctx, annotate.AgreementFilter{}, agreement.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := modelDim(t, rep, "m@1", "intensity")
	if d.Annotators[0].Annotator != "alice" || d.Annotators[0].Items != 4 || d.Annotators[0].WeightedKappa == nil {
		t.Fatalf("intensity against alice: %+v", d.Annotators[0])
	}
	wantMetric(t, "kappa with alice", d.Annotators[0].Kappa, 0.2)
	wantMetric(t, "weighted kappa with alice", *d.Annotators[0].WeightedKappa, 3.0/7)
	if d.Annotators[1].Items != 0 || d.Annotators[1].Kappa.Defined() {
		t.Errorf("intensity against bob, who never labelled it: %+v", d.Annotators[1])
	}
	wantMetric(t, "mean kappa", d.MeanKappa, 0.2)
	if d.Gold.Items != 0 || d.Gold.WeightedKappa == nil || d.Gold.WeightedKappa.Defined() {
		t.Errorf("intensity gold: %+v, want no item and an undefined weighted kappa", d.Gold)
	}
}
