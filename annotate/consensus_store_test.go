package annotate_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"concord/annotate"
	"concord/annotate/annotatetest"
	"concord/consensus"
)

// consensusFixture is a corpus on which the vote and Dawid–Skene part:
// alice and bob agree on paragraphs 0–9, whose stances cycle through the
// four categories, while carol answers "unrelated" whatever the text (a
// spammer). On paragraph 10 only alice ("agree") and carol ("unrelated")
// answered: a tie in the vote, where Dawid–Skene, having learnt that
// carol's answer says nothing, follows alice.
type consensusFixture struct {
	s     *annotate.Store
	ps    []annotate.ParagraphStatus
	users map[string]*annotate.User
}

var fixtureStances = []string{"agree", "disagree", "discuss", "unrelated"}

func newConsensusFixture(t *testing.T) *consensusFixture {
	t.Helper()
	return fillConsensusFixture(t, annotatetest.WithSchema(t))
}

// fillConsensusFixture writes the fixture's corpus and labels into s,
// which has the default schema.
func fillConsensusFixture(t *testing.T, s *annotate.Store) *consensusFixture {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	b.WriteString("Consensus")
	for i := range 12 {
		fmt.Fprintf(&b, "\n\nParagraph number %d is here.", i)
	}
	doc := mustImport(t, s, "c.txt", b.String())
	f := &consensusFixture{s: s, ps: currentParagraphs(t, s, doc.DocumentID), users: map[string]*annotate.User{}}
	if len(f.ps) < 11 {
		t.Fatalf("fixture has %d paragraphs, want 11 or more", len(f.ps))
	}
	for _, n := range []string{"alice", "bob", "carol"} {
		f.users[n] = mustUser(t, s, n, annotate.RoleAnnotator)
	}
	for i := range 10 {
		st := fixtureStances[i%4]
		f.save(t, ctx, "alice", i, st, "strike")
		f.save(t, ctx, "bob", i, st, "strike")
		f.save(t, ctx, "carol", i, "unrelated", "media")
	}
	f.save(t, ctx, "alice", 10, "agree", "strike")
	f.save(t, ctx, "carol", 10, "unrelated", "media")
	return f
}

func (f *consensusFixture) save(t *testing.T, ctx context.Context, user string, para int, stance string, topics ...string) {
	t.Helper()
	if _, err := f.s.SaveAnnotation(ctx, f.users[user].ID, f.ps[para].ID, 0, annotate.Labels{"stance": {stance}, "topic": topics}); err != nil {
		t.Fatalf("save %s on paragraph %d: %v", user, para, err)
	}
}

func TestConsensusBreaksTheVoteTieTowardsTheReliableAnnotator(t *testing.T) {
	f := newConsensusFixture(t)
	ctx := context.Background()
	run, err := f.s.Consensus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if run.Method != "dawid-skene" || len(run.Dimensions) != 2 || run.Dimensions[0].Name != "stance" || run.Dimensions[1].Name != "topic" {
		t.Fatalf("run = %+v, want dawid-skene over stance and topic (open dimensions have no consensus)", run)
	}
	if v, err := f.s.DataVersion(ctx); err != nil || run.DataVersion != v {
		t.Errorf("run data version %d, want the store's %d (%v)", run.DataVersion, v, err)
	}
	anns, err := f.s.Annotations(ctx, f.ps[10].ID)
	if err != nil {
		t.Fatal(err)
	}
	labels := []annotate.Labels{anns[0].Labels, anns[1].Labels}
	sc, err := f.s.Schema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m := annotate.Majorities(sc, labels)[0]; !m.Tie {
		t.Fatalf("paragraph 10's stance vote = %+v, want a tie", m)
	}
	by, err := f.s.ConsensusOf(ctx, run, []int64{f.ps[10].ID, f.ps[1].ID})
	if err != nil {
		t.Fatal(err)
	}
	got := by[f.ps[10].ID]["stance"]
	if !slices.Equal(got.Values, []string{"agree"}) || got.Tie || got.Confidence < 0.9 || got.Method != "dawid-skene" || got.Labels != 2 {
		t.Errorf("paragraph 10 stance consensus = %+v, want agree with confidence ≥ 0.9 by dawid-skene on 2 labels", got)
	}
	if got := by[f.ps[10].ID]["topic"]; !slices.Equal(got.Values, []string{"strike"}) {
		t.Errorf("paragraph 10 topic consensus = %+v, want [strike] (alice's)", got)
	}
	if got := by[f.ps[1].ID]["stance"]; !slices.Equal(got.Values, []string{"disagree"}) {
		t.Errorf("paragraph 1 stance consensus = %+v, want disagree (alice and bob)", got)
	}
	as, err := f.s.ConsensusAnnotators(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	stance := map[string]annotate.ConsensusAnnotator{}
	for _, a := range as {
		if a.Dimension == "stance" {
			stance[a.Annotator] = a
		}
	}
	if len(stance) != 3 {
		t.Fatalf("stance annotators = %v, want alice, bob and carol", stance)
	}
	if c := stance["carol"]; !c.NearChance || c.Items != 11 || len(c.Confusion) != 4 || len(c.Confusion[0]) != 4 {
		t.Errorf("carol = %+v, want near chance on 11 items with a 4×4 confusion matrix", c)
	}
	if a := stance["alice"]; a.NearChance || a.Accuracy < 0.9 {
		t.Errorf("alice = %+v, want an accuracy ≥ 0.9, not near chance", a)
	}
}

func TestConsensusRecomputesOnlyWhenTheDataMoves(t *testing.T) {
	f := newConsensusFixture(t)
	ctx := context.Background()
	first, err := f.s.Consensus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.s.Consensus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != first.ID {
		t.Errorf("second call made run %d, want run %d again: nothing was written", again.ID, first.ID)
	}
	f.save(t, ctx, "bob", 10, "agree", "strike")
	// A page does not wait: it gets the run it has, and a new one is
	// computed in the background.
	stale, err := f.s.Consensus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if stale.ID != first.ID {
		t.Errorf("right after a save the page got run %d, want the run it had (%d) while a new one is computed", stale.ID, first.ID)
	}
	// An export waits for the labels as they are: here, for the run the
	// background has under way.
	moved, err := f.s.ConsensusNow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if moved.ID == first.ID || moved.DataVersion <= first.DataVersion {
		t.Fatalf("after a save: run %d at version %d, want a new run past version %d", moved.ID, moved.DataVersion, first.DataVersion)
	}
	if n := count(t, f.s, "SELECT count(*) FROM consensus_items WHERE run_id = ?", first.ID); n != 0 {
		t.Errorf("the superseded run keeps %d items, want them removed", n)
	}
	if n := count(t, f.s, "SELECT count(*) FROM consensus_runs"); n != 1 {
		t.Errorf("%d runs kept, want only the latest", n)
	}
	by, err := f.s.ConsensusOf(ctx, moved, []int64{f.ps[10].ID})
	if err != nil {
		t.Fatal(err)
	}
	if got := by[f.ps[10].ID]["stance"]; got.Labels != 3 {
		t.Errorf("paragraph 10 after bob's label rests on %d labels, want 3", got.Labels)
	}
}

// TestFirstRunOfManyLabelsIsPending checks the first consensus run of a
// database with more labels than a page waits for: pages are told it is
// pending, again and again while it is computed in the background, and
// then get it.
func TestFirstRunOfManyLabelsIsPending(t *testing.T) {
	s := annotatetest.WithSchema(t)
	s.SetFirstRunWaitForTest(10)
	f := fillConsensusFixture(t, s)
	ctx := context.Background()
	var run *annotate.ConsensusRun
	pending := 0
	for deadline := time.Now().Add(time.Minute); ; {
		got, err := f.s.Consensus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Pending {
			run = got
			break
		}
		if got.ID != 0 || got.Method != string(consensus.DawidSkene) {
			t.Fatalf("the stand-in of a pending run: id %d, method %q; want no id and the method being computed", got.ID, got.Method)
		}
		pending++
		if time.Now().After(deadline) {
			t.Fatal("the first run is still pending after a minute")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if pending == 0 {
		t.Error("the first run of more labels than a page waits for was computed while the page waited")
	}
	if run.ID == 0 || !run.Complete {
		t.Fatalf("after the pending run: %+v, want a stored, complete run", run)
	}
	by, err := f.s.ConsensusOf(ctx, run, []int64{f.ps[10].ID})
	if err != nil {
		t.Fatal(err)
	}
	if got := by[f.ps[10].ID]["stance"]; got.Labels != 2 || got.Values[0] != "agree" {
		t.Errorf("paragraph 10 in the first run: %+v, want alice's agree over 2 labels", got)
	}
}

func TestConsensusStopsWithItsCaller(t *testing.T) {
	f := newConsensusFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.s.Consensus(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Consensus on a cancelled context: %v, want context.Canceled", err)
	}
	if _, err := f.s.LatestConsensus(context.Background()); !errors.Is(err, annotate.ErrNotFound) {
		t.Errorf("LatestConsensus after an abandoned run: %v, want not found", err)
	}
}

func TestConsensusItemsPages(t *testing.T) {
	f := newConsensusFixture(t)
	ctx := context.Background()
	run, err := f.s.Consensus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	all := func(q annotate.ConsensusQuery) []annotate.ConsensusItem {
		t.Helper()
		var out []annotate.ConsensusItem
		for pages := 0; ; pages++ {
			if pages > 100 {
				t.Fatal("paging does not end")
			}
			p, err := f.s.ConsensusItems(ctx, run, q)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, p.Items...)
			if p.Next == "" {
				return out
			}
			q.After = p.Next
		}
	}
	whole, err := f.s.ConsensusItems(ctx, run, annotate.ConsensusQuery{Limit: annotate.MaxConsensusLimit})
	if err != nil {
		t.Fatal(err)
	}
	if len(whole.Items) != 22 || whole.Next != "" {
		t.Fatalf("one page of all: %d items, next %q; want 22 (11 paragraphs × 2 dimensions) and no next", len(whole.Items), whole.Next)
	}
	if got := all(annotate.ConsensusQuery{Limit: 3}); !slices.EqualFunc(got, whole.Items, sameItem) {
		t.Errorf("pages of 3 by paragraph give %d items, not the %d of one page in the same order", len(got), len(whole.Items))
	}
	for i := 1; i < len(whole.Items); i++ {
		a, b := whole.Items[i-1], whole.Items[i]
		if a.ParagraphID > b.ParagraphID || a.ParagraphID == b.ParagraphID && a.Dimension >= b.Dimension {
			t.Fatalf("by paragraph: %d/%s before %d/%s", a.ParagraphID, a.Dimension, b.ParagraphID, b.Dimension)
		}
	}
	byConf := all(annotate.ConsensusQuery{Limit: 4, Order: annotate.ConsensusByConfidence})
	if len(byConf) != 22 {
		t.Fatalf("pages by confidence: %d items, want 22", len(byConf))
	}
	for i := 1; i < len(byConf); i++ {
		if byConf[i-1].Confidence > byConf[i].Confidence {
			t.Fatalf("by confidence: %v before %v", byConf[i-1].Confidence, byConf[i].Confidence)
		}
	}
	// The least confident stance item, and every item as unsure as it.
	var lowest float64 = 2
	want := 0
	for _, it := range byConf {
		if it.Dimension == "stance" && lowest == 2 {
			lowest = it.Confidence
		}
	}
	for _, it := range byConf {
		if it.Dimension == "stance" && it.Confidence <= lowest {
			want++
		}
	}
	low := all(annotate.ConsensusQuery{Limit: 2, Dimension: "stance", MaxConfidence: &lowest})
	if len(low) != want || want == 0 {
		t.Errorf("stance at confidence ≤ %v: %d items, want %d", lowest, len(low), want)
	}
	for _, it := range low {
		if it.Dimension != "stance" || it.Confidence > lowest {
			t.Errorf("filtered item %+v: want stance at confidence ≤ %v", it, lowest)
		}
	}
	tooHigh := 1.5
	for _, tc := range []struct {
		q     annotate.ConsensusQuery
		field string
	}{
		{annotate.ConsensusQuery{Dimension: "event"}, "dimension"},
		{annotate.ConsensusQuery{Order: "random"}, "order"},
		{annotate.ConsensusQuery{Limit: annotate.MaxConsensusLimit + 1}, "limit"},
		{annotate.ConsensusQuery{After: "not a cursor"}, "next"},
		{annotate.ConsensusQuery{MaxConfidence: &tooHigh}, "max_confidence"},
	} {
		_, err := f.s.ConsensusItems(ctx, run, tc.q)
		var de *annotate.Error
		if !errors.As(err, &de) || de.Code != annotate.EINVALID || de.Field != tc.field {
			t.Errorf("query %+v: %v, want an invalid %s", tc.q, err, tc.field)
		}
	}
}

func sameItem(a, b annotate.ConsensusItem) bool {
	return a.ParagraphID == b.ParagraphID && a.Dimension == b.Dimension && a.Confidence == b.Confidence && slices.Equal(a.Values, b.Values) && !math.IsNaN(a.Confidence)
}

func TestDisagreementQueueByConsensusConfidence(t *testing.T) {
	f := newConsensusFixture(t)
	ctx := context.Background()
	page, err := f.s.DisagreementQueue(ctx, annotate.DisagreementFilter{Order: annotate.QueueByConfidence, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	ds, total := page.Items, page.Total
	if total != 11 || len(ds) != 11 {
		t.Fatalf("queue: %d of %d, want 11 of 11", len(ds), total)
	}
	if ds[0].Paragraph.ID != f.ps[10].ID {
		t.Errorf("least confident first starts with paragraph %d, want the tied one %d", ds[0].Paragraph.ID, f.ps[10].ID)
	}
	for i := 1; i < len(ds); i++ {
		if ds[i-1].ConsensusConfidence > ds[i].ConsensusConfidence {
			t.Errorf("confidence %v before %v", ds[i-1].ConsensusConfidence, ds[i].ConsensusConfidence)
		}
	}
	if c := ds[0].Consensus["stance"]; !slices.Equal(c.Values, []string{"agree"}) || len(ds[0].Consensus) != 2 {
		t.Errorf("the tied paragraph's consensus = %+v, want agree on stance, and topic beside it", ds[0].Consensus)
	}
	_, err = f.s.DisagreementQueue(ctx, annotate.DisagreementFilter{Order: "newest"})
	var de *annotate.Error
	if !errors.As(err, &de) || de.Field != "order" {
		t.Errorf("order newest: %v, want an invalid order", err)
	}
}

// TestConsensusSmallDataIsTheVote checks that two paragraphs labelled by
// two annotators, too few to learn reliabilities from, give the vote with
// the reason, on the run's dimensions and on every item read back; and
// that the topic labels nobody or everybody applied say so.
func TestConsensusSmallDataIsTheVote(t *testing.T) {
	s := annotatetest.WithSchema(t)
	ctx := context.Background()
	doc := mustImport(t, s, "small.txt", "Small\n\nThe first paragraph is here.\n\nThe second paragraph is here.")
	ps := currentParagraphs(t, s, doc.DocumentID)
	alice, bob := mustUser(t, s, "alice", annotate.RoleAnnotator), mustUser(t, s, "bob", annotate.RoleAnnotator)
	for i, l := range []struct{ a, b string }{{"agree", "agree"}, {"agree", "disagree"}} {
		if _, err := s.SaveAnnotation(ctx, alice.ID, ps[i].ID, 0, annotate.Labels{"stance": {l.a}, "topic": {"strike"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveAnnotation(ctx, bob.ID, ps[i].ID, 0, annotate.Labels{"stance": {l.b}, "topic": {"strike"}}); err != nil {
			t.Fatal(err)
		}
	}
	run, err := s.ConsensusNow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]annotate.ConsensusSummary{}
	for _, d := range run.Dimensions {
		byName[d.Name] = d
	}
	st := byName["stance"]
	if st.Method != "majority" || !strings.Contains(st.Reason, "too small to learn reliabilities") {
		t.Errorf("stance: method %s reason %q, want the vote and the small-data reason", st.Method, st.Reason)
	}
	topic := byName["topic"]
	reasons := map[string]string{}
	for _, lr := range topic.LabelReasons {
		reasons[lr.Label] = lr.Reason
	}
	if reasons["strike"] != "every answer applied strike, so it applies to every item answered" || reasons["media"] != "nobody applied media, so it applies to no item" {
		t.Errorf("topic label reasons %+v, want strike applied by all and media by none", topic.LabelReasons)
	}
	by, err := s.ConsensusOf(ctx, run, []int64{ps[0].ID, ps[1].ID})
	if err != nil {
		t.Fatal(err)
	}
	if got := by[ps[1].ID]["stance"]; got.Method != "majority" || !got.Tie || got.Reason != st.Reason || math.IsNaN(got.Confidence) {
		t.Errorf("paragraph 2 stance = %+v, want the vote's tie with the run's reason", got)
	}
	page, err := s.ConsensusItems(ctx, run, annotate.ConsensusQuery{Dimension: "stance"})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range page.Items {
		if it.Reason != st.Reason {
			t.Errorf("page item %+v, want the run's reason", it)
		}
	}
	// The fixture's eleven paragraphs are enough: no reason on its items.
	f := newConsensusFixture(t)
	run, err = f.s.ConsensusNow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	by, err = f.s.ConsensusOf(ctx, run, []int64{f.ps[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	if got := by[f.ps[0].ID]["stance"]; got.Method != "dawid-skene" || got.Reason != "" {
		t.Errorf("fixture paragraph 0 = %+v, want dawid-skene and no reason", got)
	}
}

// crowdCorpus writes n paragraphs, in documents of ten, labelled by a crowd
// of five annotators of unequal care through the labelled import: each
// paragraph by two to four of them, with a stance and a set of topics that
// follow the paragraph's truth or, as often as the annotator is careless,
// chance. Two paragraphs in seven have gold (in one of them a reviewer
// overruled the crowd), every thirteenth a confirmed flag that takes it out of the
// consensus, and the last document is then edited, so that some labels
// stay on paragraphs of its older revision. The annotators come in an
// order other than their names', so that ids and names sort apart.
func crowdCorpus(t *testing.T, s *annotate.Store, n int) {
	t.Helper()
	ctx := context.Background()
	names := []string{"zoe", "mia", "adam", "ken", "bea"}
	care := []float64{0.95, 0.85, 0.7, 0.5, 0.25}
	stances := []string{"agree", "disagree", "discuss", "unrelated"}
	topics := []string{"strike", "iran-response", "us-iran-tensions", "homeland-security", "terrorism", "jewish-community", "intelligence", "justice", "media"}
	r := rand.New(rand.NewPCG(uint64(n), 11))
	var last annotate.LabelledDocument
	for doc := 0; doc*10 < n; doc++ {
		d := annotate.LabelledDocument{Key: fmt.Sprintf("crowd-%d.txt", doc), Title: "Crowd", Source: "test", Origin: "test"}
		for p := doc * 10; p < min(n, doc*10+10); p++ {
			stance := stances[r.IntN(4)]
			set := []string{topics[r.IntN(len(topics))]}
			for _, tp := range topics {
				if r.IntN(4) == 0 && !slices.Contains(set, tp) {
					set = append(set, tp)
				}
			}
			lp := annotate.LabelledParagraph{Text: fmt.Sprintf("Paragraph %d of the crowd's corpus.", p)}
			for _, a := range r.Perm(len(names))[:2+r.IntN(3)] {
				st := stance
				if r.Float64() > care[a] {
					st = stances[r.IntN(4)]
				}
				ts := []string{}
				for _, tp := range topics {
					in := slices.Contains(set, tp)
					if r.Float64() > care[a] {
						in = r.IntN(3) == 0
					}
					if in {
						ts = append(ts, tp)
					}
				}
				if len(ts) == 0 {
					// The schema requires a topic.
					ts = []string{topics[r.IntN(len(topics))]}
				}
				lp.Annotations = append(lp.Annotations, annotate.NamedLabels{Annotator: names[a], Labels: annotate.Labels{"stance": {st}, "topic": ts}})
			}
			// The first annotators to appear are created first.
			if p == 0 {
				slices.SortFunc(lp.Annotations, func(x, y annotate.NamedLabels) int {
					return slices.Index(names, x.Annotator) - slices.Index(names, y.Annotator)
				})
			}
			switch {
			case p%7 == 3:
				lp.Gold = annotate.Labels{"stance": {stance}, "topic": append([]string{}, set...)}
			case p%7 == 5:
				// A reviewer who overrules the crowd.
				lp.Gold = annotate.Labels{"stance": {stances[(slices.Index(stances, stance)+1)%4]}, "topic": {"media"}}
			}
			if p%13 == 6 {
				lp.Flags = []string{annotate.CurationDuplicate}
			}
			d.Paragraphs = append(d.Paragraphs, lp)
		}
		if _, err := s.ImportLabelled(ctx, 0, d); err != nil {
			t.Fatalf("import %s: %v", d.Key, err)
		}
		last = d
	}
	var texts []string
	for i, p := range last.Paragraphs {
		if i%2 == 0 {
			texts = append(texts, p.Text+" It was edited.")
		} else {
			texts = append(texts, p.Text)
		}
	}
	if _, err := s.ImportDocument(ctx, 0, annotate.Source{Key: last.Key, Title: last.Title, Source: "test", Text: []byte(strings.Join(texts, "\n\n")), Origin: "edit"}); err != nil {
		t.Fatal(err)
	}
}

// TestConsensusRunIsTheInferenceOfItsLabels checks that a stored run, whose
// labels are read in compact form and whose multi-label models are held
// one at a time, is exactly what InferConsensus gives on the labels the
// agreement report reads (as concord consensus computes it): every item's
// values, tie, confidence to the last bit, method, gold and label count,
// every annotator's figures and every dimension's summary, on a crowd large
// enough for Dawid–Skene and on one small enough for the vote and its ties.
func TestConsensusRunIsTheInferenceOfItsLabels(t *testing.T) {
	for _, n := range []int{8, 160} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			ctx := context.Background()
			s := annotatetest.WithSchema(t)
			crowdCorpus(t, s, n)
			run, err := s.ConsensusNow(ctx)
			if err != nil {
				t.Fatal(err)
			}
			ls, err := s.AgreementLabels(ctx, annotate.AgreementFilter{})
			if err != nil {
				t.Fatal(err)
			}
			var want []annotate.ConsensusItem
			var wantDims []annotate.ConsensusSummary
			var wantAnns []annotate.ConsensusAnnotator
			for _, input := range annotate.ConsensusInputs(ls) {
				dc, err := annotate.InferConsensus(ctx, &input, consensus.Options{Method: consensus.DawidSkene})
				if err != nil {
					t.Fatal(err)
				}
				wantDims = append(wantDims, annotate.ConsensusSummary{Name: dc.Name, Kind: dc.Kind, Method: string(dc.Method), Reason: dc.Reason, LabelReasons: dc.LabelReasons,
					Iterations: dc.Iterations, Converged: dc.Converged, Categories: dc.Categories, Items: len(dc.Items), Labels: dc.Labels})
				for _, it := range dc.Items {
					id, err := strconv.ParseInt(it.Item, 10, 64)
					if err != nil {
						t.Fatal(err)
					}
					ci := annotate.ConsensusItem{RunID: run.ID, ParagraphID: id, Dimension: dc.Name, Values: []string{}, Tie: len(it.Tie) > 0, Tied: it.Tie, Confidence: it.Confidence, Method: string(dc.Method), Gold: it.Gold, Labels: it.Labels}
					switch v := it.Value.(type) {
					case string:
						ci.Values = []string{v}
					case []string:
						ci.Values = v
					}
					if dc.Method != consensus.DawidSkene {
						ci.Reason = dc.Reason
					}
					want = append(want, ci)
				}
				for _, a := range dc.Annotators {
					wantAnns = append(wantAnns, annotate.ConsensusAnnotator{RunID: run.ID, Dimension: dc.Name, Annotator: a.Annotator, Category: a.Category, Accuracy: a.Accuracy, Chance: a.Chance, NearChance: a.NearChance, Items: a.Items, Labels: a.Labels, Confusion: a.Confusion})
				}
			}
			if !reflect.DeepEqual(run.Dimensions, wantDims) {
				t.Errorf("run's dimensions\n%+v\nwant\n%+v", run.Dimensions, wantDims)
			}
			slices.SortFunc(want, func(a, b annotate.ConsensusItem) int {
				if c := cmp.Compare(a.ParagraphID, b.ParagraphID); c != 0 {
					return c
				}
				return strings.Compare(a.Dimension, b.Dimension)
			})
			var got []annotate.ConsensusItem
			q := annotate.ConsensusQuery{Limit: 7}
			for {
				page, err := s.ConsensusItems(ctx, run, q)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, page.Items...)
				if q.After = page.Next; q.After == "" {
					break
				}
			}
			if len(got) != len(want) {
				t.Fatalf("run has %d items, want %d", len(got), len(want))
			}
			ties, voted, wrong := 0, 0, 0
			for i := range want {
				if !reflect.DeepEqual(got[i], want[i]) {
					if wrong++; wrong <= 5 {
						t.Errorf("item %d = %+v, want %+v", i, got[i], want[i])
					}
				}
				if want[i].Tie {
					ties++
				}
				if want[i].Method == "majority" {
					voted++
				}
			}
			anns, err := s.ConsensusAnnotators(ctx, run)
			if err != nil {
				t.Fatal(err)
			}
			slices.SortFunc(wantAnns, func(a, b annotate.ConsensusAnnotator) int {
				return cmp.Or(strings.Compare(a.Dimension, b.Dimension), strings.Compare(a.Annotator, b.Annotator), strings.Compare(a.Category, b.Category))
			})
			if len(anns) != len(wantAnns) {
				t.Errorf("run has %d annotator rows, want %d", len(anns), len(wantAnns))
			}
			for i := range min(len(anns), len(wantAnns)) {
				if !reflect.DeepEqual(anns[i], wantAnns[i]) {
					t.Errorf("annotator row %d = %+v, want %+v", i, anns[i], wantAnns[i])
					break
				}
			}
			// The corpus must reach the cases it is meant for.
			switch {
			case n < 100 && (voted == 0 || ties == 0):
				t.Errorf("the small crowd gave %d items by the vote and %d ties, want some of each", voted, ties)
			case n >= 100 && voted > 0:
				t.Errorf("the large crowd gave %d items by the vote, want Dawid–Skene throughout", voted)
			}
		})
	}
}

// TestEachParagraphKeepsItsConsensusRun walks the corpus with the run an
// export started from while, a few records in, a write makes a newer run
// replace it and its items are deleted: every record still carries its
// paragraph's items of the run the walk began with, for the walk reads
// them in its own consistent view of the database.
func TestEachParagraphKeepsItsConsensusRun(t *testing.T) {
	ctx := context.Background()
	s := annotatetest.WithSchema(t)
	crowdCorpus(t, s, 60)
	run, err := s.ConsensusNow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := annotatetest.RunItems(t, s, run)
	late := mustUser(t, s, "late", annotate.RoleAnnotator)
	records, carried := 0, 0
	err = s.EachParagraph(ctx, annotate.ParagraphFilter{BatchSize: 5, Consensus: run}, func(r *annotate.ParagraphRecord) error {
		if records++; records == 3 {
			if _, err := s.SaveAnnotation(ctx, late.ID, r.Paragraph.ID, 0, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}); err != nil {
				return err
			}
			newer, err := s.ConsensusNow(ctx)
			if err != nil {
				return err
			}
			page, err := s.ConsensusItems(ctx, run, annotate.ConsensusQuery{})
			if err != nil {
				return err
			}
			if newer.ID == run.ID || len(page.Items) != 0 {
				t.Fatalf("after the write the latest run is %d and run %d still has %d items; want a newer run and the old one deleted", newer.ID, run.ID, len(page.Items))
			}
		}
		if len(r.Consensus) > 0 {
			carried++
		}
		if w := want[r.Paragraph.ID]; !reflect.DeepEqual(r.Consensus, w) && (len(w) > 0 || len(r.Consensus) > 0) {
			t.Errorf("record of paragraph %d carries %+v, want %+v", r.Paragraph.ID, r.Consensus, w)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if carried != len(want) || records < 20 {
		t.Errorf("%d of %d records carry the run's items, want all %d of the run's paragraphs", carried, records, len(want))
	}
}

// TestEachParagraphKeepsItsSuggestions walks the corpus with the models'
// suggestions while, a few records in, a model replaces every suggestion
// and a second model adds its own: every record still carries the
// suggestions stored when the walk began, read in its own view of the
// database, and a walk after it sees the new ones.
func TestEachParagraphKeepsItsSuggestions(t *testing.T) {
	ctx := context.Background()
	s := annotatetest.WithSchema(t)
	crowdCorpus(t, s, 30)
	var ids []int64
	if err := s.EachParagraph(ctx, annotate.ParagraphFilter{}, func(r *annotate.ParagraphRecord) error {
		ids = append(ids, r.Paragraph.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	suggest := func(value, agent string, score float64) {
		t.Helper()
		in := make([]annotate.SuggestionInput, len(ids))
		for i, id := range ids {
			in[i] = annotate.SuggestionInput{ParagraphID: id, Dimension: "stance", Value: &value, Score: &score, Agent: agent}
		}
		rep, err := s.PutSuggestions(ctx, 0, in)
		if err != nil || len(rep.Errors) > 0 {
			t.Fatalf("store suggestions: %v %+v", err, rep)
		}
	}
	suggest("agree", "model@1", 0.6)
	records := 0
	err := s.EachParagraph(ctx, annotate.ParagraphFilter{BatchSize: 5, Suggestions: true}, func(r *annotate.ParagraphRecord) error {
		if records++; records == 3 {
			suggest("disagree", "model@1", 0.9)
			suggest("discuss", "model@2", 0.8)
		}
		if len(r.Suggestions) != 1 || r.Suggestions[0].Agent != "model@1" || r.Suggestions[0].Score != 0.6 || len(r.Suggestions[0].Values) != 1 || r.Suggestions[0].Values[0] != "agree" {
			t.Errorf("record %d (paragraph %d) carries %+v, want model@1's agree at 0.6 alone", records, r.Paragraph.ID, r.Suggestions)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if records != len(ids) {
		t.Fatalf("walked %d records, want %d", records, len(ids))
	}
	err = s.EachParagraph(ctx, annotate.ParagraphFilter{Suggestions: true}, func(r *annotate.ParagraphRecord) error {
		if len(r.Suggestions) != 2 || r.Suggestions[0].Agent != "model@1" || r.Suggestions[0].Values[0] != "disagree" || r.Suggestions[1].Agent != "model@2" {
			t.Errorf("after the walk, paragraph %d carries %+v, want model@1's disagree then model@2's discuss", r.Paragraph.ID, r.Suggestions)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
