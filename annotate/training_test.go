package annotate_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

// trainingSchema has a stance to learn, topics that follow it, and a tone
// nobody labels.
const trainingSchema = `dimensions:
  - name: stance
    kind: single
    options:
      - {key: agree, name: Agree}
      - {key: disagree, name: Disagree}
      - {key: discuss, name: Discuss}
  - name: topic
    kind: multi
    options:
      - {key: strike, name: Strike}
      - {key: media, name: Media}
  - name: tone
    kind: single
    options:
      - {key: calm, name: Calm}
      - {key: angry, name: Angry}
`

var trainingWords = map[string][]string{
	"agree":    {"support", "praise", "welcome", "justified", "applaud", "endorse"},
	"disagree": {"condemn", "reckless", "illegal", "oppose", "denounce", "outrage"},
	"discuss":  {"analysts", "weigh", "question", "uncertain", "debate", "consider"},
}

var trainingTopics = map[string][]string{"agree": {"strike"}, "disagree": {"media"}, "discuss": {"media", "strike"}}

var trainingOrder = []string{"agree", "disagree", "discuss"}

// trainingStore holds 60 paragraphs of obvious stance plus one with no
// label; the first 30 have gold, the rest agreeing labels from two
// annotators. The gold stance of the paragraph at flip is the next
// stance instead of its own. It returns the labelled paragraphs' ids.
func trainingStore(t *testing.T, flip int) (*annotate.Store, []int64) {
	t.Helper()
	ctx := context.Background()
	s := annotatetest.Open(t)
	sc, err := annotate.ParseSchema([]byte(trainingSchema))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplySchema(ctx, 0, sc, nil); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("Statements\n\n")
	for i := range 60 {
		w := trainingWords[trainingOrder[i%3]]
		fmt.Fprintf(&b, "Statement %d: the ministers %s the strike, they %s it and call it %s, said the city on day %d.\n\n", i, w[i%6], w[(i+1)%6], w[(i+3)%6], i)
	}
	b.WriteString("An unlabelled closing line about the weather.\n")
	res := mustImport(t, s, "statements.txt", b.String())
	ps := currentParagraphs(t, s, res.DocumentID)
	var ids []int64
	for _, p := range ps {
		if strings.HasPrefix(p.Text, "Statement ") {
			ids = append(ids, p.ID)
		}
	}
	if len(ids) != 60 {
		t.Fatalf("%d statements imported, want 60", len(ids))
	}
	alice := mustUser(t, s, "alice", annotate.RoleAnnotator)
	bob := mustUser(t, s, "bob", annotate.RoleAnnotator)
	for i, id := range ids {
		st := trainingOrder[i%3]
		labels := annotate.Labels{"stance": {st}, "topic": trainingTopics[st]}
		if i < 30 {
			if i == flip {
				labels = annotate.Labels{"stance": {trainingOrder[(i+1)%3]}, "topic": trainingTopics[st]}
			}
			if _, err := s.SetGold(ctx, 0, id, 0, labels, "own"); err != nil {
				t.Fatal(err)
			}
			continue
		}
		for _, u := range []*annotate.User{alice, bob} {
			if _, err := s.SaveAnnotation(ctx, u.ID, id, 0, labels); err != nil {
				t.Fatal(err)
			}
		}
	}
	return s, ids
}

// TestTrainStoresRunsSuggestionsAndLabelIssues: a run per dimension with
// its cross-validated figures; the model's suggestions on every current
// paragraph, the unlabelled one too, under concord-linear@<id>, never as
// annotations; the flipped gold label ranked first with its true stance
// as the alternative; a dimension nobody labelled says why.
func TestTrainStoresRunsSuggestionsAndLabelIssues(t *testing.T) {
	ctx := context.Background()
	s, ids := trainingStore(t, 4)
	annotationsBefore := count(t, s, "SELECT count(*) FROM annotations")
	runs, err := s.Train(ctx, annotate.TrainOptions{Trigger: annotate.TriggerAdmin, By: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 3 {
		t.Fatalf("%d runs, want stance, topic and tone", len(runs))
	}
	st, tp, tn := runs[0], runs[1], runs[2]
	if st.Dimension != "stance" || st.Status != annotate.RunDone || st.Items != 60 || st.Gold != 30 || st.Consensus != 30 || st.Accuracy < 0.9 || st.MacroF1 < 0.9 {
		t.Errorf("stance run %+v; want done on 60 items (30 gold, 30 consensus), accuracy ≥ 0.9", st)
	}
	if !strings.HasPrefix(st.Agent, annotate.ModelAgentPrefix) || st.Agent != annotate.ModelAgentPrefix+st.ModelID || st.Predicted != 61 {
		t.Errorf("stance agent %q, model %q, predicted %d; want concord-linear@<model id> on all 61 paragraphs", st.Agent, st.ModelID, st.Predicted)
	}
	if tp.Kind != "multi" || tp.Status != annotate.RunDone || tp.Predicted != 61 {
		t.Errorf("topic run %+v; want a done multi-label run on 61 paragraphs", tp)
	}
	if tn.Status != annotate.RunNotEvaluated || !strings.Contains(tn.Reason, "no gold label") || tn.Predicted != 0 {
		t.Errorf("tone run %+v; want not evaluated, with the reason", tn)
	}
	if got := count(t, s, "SELECT count(*) FROM annotations"); got != annotationsBefore {
		t.Errorf("%d annotations after training, %d before: a suggestion became an annotation", got, annotationsBefore)
	}
	if got := count(t, s, "SELECT count(*) FROM suggestions WHERE agent = ? AND dimension = 'stance'", st.Agent); got != 61 {
		t.Errorf("%d stance suggestions from %s, want 61", got, st.Agent)
	}
	sugg, err := s.Suggestions(ctx, []int64{ids[0]})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, sg := range sugg[ids[0]] {
		if sg.Dimension == "stance" {
			found = true
			if len(sg.Values) != 1 || sg.Values[0] != "agree" || sg.Score <= 0.5 || sg.Margin == nil || *sg.Margin <= 0 {
				t.Errorf("stance suggestion %+v; want agree, score above 0.5 and a margin", sg)
			}
		}
	}
	if !found {
		t.Error("no stance suggestion on the first statement")
	}

	page, err := s.LabelIssues(ctx, "stance", annotate.ListQuery{Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	top := page.Issues[0]
	if top.ParagraphID != ids[4] || !top.Flagged || top.Source != annotate.SourceGold || top.Given[0] != "discuss" || top.Suggested[0] != "disagree" || top.Rank != 1 {
		t.Errorf("top issue %+v; want paragraph %d, gold discuss, suggested disagree, flagged", top, ids[4])
	}
	if top.DocumentKey != "statements.txt" || !strings.HasPrefix(top.Text, "Statement 4:") || top.Gold != nil {
		t.Errorf("top issue's paragraph: %q %q gold %v; want no newer gold", top.DocumentKey, top.Text, top.Gold)
	}
	// A reviewer corrects it: the ranking shows the gold set since.
	if _, err := s.SetGold(ctx, 0, ids[4], 1, annotate.Labels{"stance": {"disagree"}, "topic": trainingTopics["disagree"]}, "own"); err != nil {
		t.Fatal(err)
	}
	if again, err := s.LabelIssues(ctx, "stance", annotate.ListQuery{Limit: 1}); err != nil || len(again.Issues[0].Gold) != 1 || again.Issues[0].Gold[0] != "disagree" {
		t.Errorf("after the correction: %+v (%v); want gold now disagree", again.Issues[0], err)
	}
	if len(page.Issues) != 5 || page.Next != 5 {
		t.Errorf("%d issues, next %d; want 5 and a cursor", len(page.Issues), page.Next)
	}
	rest, err := s.LabelIssues(ctx, "stance", annotate.ListQuery{Limit: 500, After: page.Next})
	if err != nil {
		t.Fatal(err)
	}
	if len(rest.Issues) != 55 || rest.Next != 0 || rest.Issues[0].Rank != 6 {
		t.Errorf("second page: %d issues from rank %d, next %d; want the other 55", len(rest.Issues), rest.Issues[0].Rank, rest.Next)
	}
	multi, err := s.LabelIssues(ctx, "topic", annotate.ListQuery{})
	if err != nil || len(multi.Issues) != 50 {
		t.Fatalf("topic issues: %v, %d", err, len(multi.Issues))
	}
	if _, err := s.LabelIssues(ctx, "tone", annotate.ListQuery{}); !errors.Is(err, annotate.ErrNotFound) {
		t.Errorf("tone issues: %v, want not found", err)
	}
	if _, err := s.LabelIssues(ctx, "stance", annotate.ListQuery{Limit: 10000}); !errors.Is(err, annotate.ErrInvalid) {
		t.Errorf("limit 10000: %v, want invalid", err)
	}

	// A second run replaces the first model's suggestions and ranking.
	again, err := s.Train(ctx, annotate.TrainOptions{Dimension: "stance", Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 1 || again[0].Trigger != annotate.TriggerCommand {
		t.Fatalf("second run %+v", again)
	}
	if got := count(t, s, "SELECT count(*) FROM suggestions WHERE dimension = 'stance' AND agent LIKE 'concord-linear@%'"); got != 61 {
		t.Errorf("%d built-in stance suggestions after retraining, want the newest model's 61", got)
	}
	if got := count(t, s, "SELECT count(*) FROM label_issues WHERE dimension = 'stance'"); got != 60 {
		t.Errorf("%d stance issues kept, want the newest run's 60", got)
	}
	latest, err := s.LatestModelRuns(ctx)
	if err != nil || latest["stance"].ID != again[0].ID || latest["tone"].ID != tn.ID {
		t.Errorf("latest runs %v (%v); want the second stance run and the tone run", latest, err)
	}
	all, next, err := s.ModelRuns(ctx, annotate.ListQuery{Limit: 2})
	if err != nil || len(all) != 2 || all[0].ID != again[0].ID || next == 0 {
		t.Errorf("runs page: %d runs, next %d, %v; want the newest two and a cursor", len(all), next, err)
	}
	if _, err := s.Train(ctx, annotate.TrainOptions{Dimension: "nope"}); !errors.Is(err, annotate.ErrInvalid) {
		t.Errorf("unknown dimension: %v, want invalid", err)
	}
}

// TestTrainerRetrainsAfterNewLabels: with train_every set, the trainer's
// loop trains once the labels written since the last run reach it, and
// not before.
func TestTrainerRetrainsAfterNewLabels(t *testing.T) {
	ctx := context.Background()
	s, ids := trainingStore(t, -1)
	if err := s.SetTrainEvery(ctx, 0, -1); !errors.Is(err, annotate.ErrInvalid) {
		t.Errorf("train_every -1: %v, want invalid", err)
	}
	if err := s.SetTrainEvery(ctx, 0, 5); err != nil {
		t.Fatal(err)
	}
	first, err := s.Train(ctx, annotate.TrainOptions{Dimension: "stance"})
	if err != nil {
		t.Fatal(err)
	}
	tr := annotate.NewTrainer(s, nil)
	runCtx, stop := context.WithCancel(ctx)
	loopDone := make(chan struct{})
	go func() { defer close(loopDone); tr.Run(runCtx, 20*time.Millisecond) }()
	defer func() { stop(); <-loopDone }()

	runs := func() int {
		rs, _, err := s.ModelRuns(ctx, annotate.ListQuery{Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		return len(rs)
	}
	// Four new labels: fewer than five, so no run.
	for i := range 4 {
		if _, err := s.SetGold(ctx, 0, ids[30+i], 0, annotate.Labels{"stance": {trainingOrder[(30+i)%3]}, "topic": trainingTopics[trainingOrder[(30+i)%3]]}, "own"); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond)
	if n := runs(); n != len(first) {
		t.Fatalf("%d runs after 4 new labels, want still %d", n, len(first))
	}
	if _, err := s.SetGold(ctx, 0, ids[34], 0, annotate.Labels{"stance": {trainingOrder[34%3]}, "topic": trainingTopics[trainingOrder[34%3]]}, "own"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for runs() < len(first)+3 || tr.Status().Running {
		if time.Now().After(deadline) {
			t.Fatalf("no background run after the fifth label: %d runs, status %+v", runs(), tr.Status())
		}
		time.Sleep(20 * time.Millisecond)
	}
	latest, err := s.LatestModelRuns(ctx)
	if err != nil || latest["stance"].Trigger != annotate.TriggerAuto || latest["stance"].Gold != 35 {
		t.Errorf("latest stance run %+v (%v); want an automatic run on 35 gold labels", latest["stance"], err)
	}
	// Nothing new since: the loop stays idle.
	n := runs()
	time.Sleep(200 * time.Millisecond)
	if runs() != n {
		t.Errorf("the loop trained again with no new labels")
	}
}
