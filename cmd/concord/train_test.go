package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"concord/annotate"
)

// stanceWords make a paragraph's stance obvious to a bag-of-words model.
var stanceWords = map[string][]string{
	"agree":    {"support", "praise", "welcome", "justified", "applaud", "endorse"},
	"disagree": {"condemn", "reckless", "illegal", "oppose", "denounce", "outrage"},
	"discuss":  {"analysts", "weigh", "question", "uncertain", "debate", "consider"},
}

// trainSchema has a stance to learn, topics (multi-label) that follow the
// stance, a tone nobody labels and an open note.
const trainSchema = `dimensions:
  - name: stance
    kind: single
    required: true
    options:
      - {key: agree, name: Agree, hotkey: "1"}
      - {key: disagree, name: Disagree, hotkey: "2"}
      - {key: discuss, name: Discuss, hotkey: "3"}
  - name: topic
    kind: multi
    options:
      - {key: strike, name: Strike, hotkey: q}
      - {key: media, name: Media, hotkey: w}
  - name: tone
    kind: single
    options:
      - {key: calm, name: Calm, hotkey: a}
      - {key: angry, name: Angry, hotkey: b}
  - name: note
    kind: open
`

// stanceTopics are the topics of each stance's paragraphs.
var stanceTopics = map[string][]string{"agree": {"strike"}, "disagree": {"media"}, "discuss": {"strike", "media"}}

// stanceOrder is the stance of paragraph i: i mod 3.
var stanceOrder = []string{"agree", "disagree", "discuss"}

// trainCorpus is 60 paragraphs, 20 of each stance, each with three of its
// stance's words and some words every stance shares.
func trainCorpus() (string, map[string]string) {
	var b strings.Builder
	b.WriteString("Statements\n\n")
	truth := map[string]string{}
	for i := range 60 {
		st := stanceOrder[i%3]
		w := stanceWords[st]
		text := fmt.Sprintf("Statement %d: the ministers %s the strike, they %s it and call it %s, said the city on day %d.", i, w[i%6], w[(i+1)%6], w[(i+3)%6], i)
		truth[text] = st
		b.WriteString(text + "\n\n")
	}
	return b.String(), truth
}

// trainDB is a database with trainCorpus: the first 30 paragraphs of the
// corpus have a gold stance, the other 30 the same stance from alice and
// bob, so a confident consensus. The gold of the paragraphs at the
// indices in flip is the next stance instead of the true one. It returns
// the paragraph ids in corpus order.
func trainDB(t *testing.T, label bool, flip ...int) (string, []int64) {
	t.Helper()
	ctx := context.Background()
	db := tempDB(t)
	s := openDB(t, db)
	sc, err := annotate.ParseSchema([]byte(trainSchema))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplySchema(ctx, 0, sc, nil); err != nil {
		t.Fatal(err)
	}
	text, truth := trainCorpus()
	res, err := s.ImportDocument(ctx, 0, annotate.Source{Key: "statements.txt", Origin: "statements.txt", Text: []byte(text)})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := s.Paragraphs(ctx, res.DocumentID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	var stances []string
	for _, p := range ps {
		if st, ok := truth[strings.TrimSpace(p.Text)]; ok {
			ids = append(ids, p.ID)
			stances = append(stances, st)
		}
	}
	if len(ids) != 60 {
		t.Fatalf("imported %d of the 60 statements", len(ids))
	}
	if !label {
		return db, ids
	}
	flipped := map[int]bool{}
	for _, i := range flip {
		flipped[i] = true
	}
	var users []int64
	for _, name := range []string{"alice", "bob"} {
		u, err := s.CreateUser(ctx, 0, name, annotate.RoleAnnotator, "")
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, u.ID)
	}
	for i, id := range ids {
		st := stances[i]
		if i < 30 {
			if flipped[i] {
				st = stanceOrder[(i+1)%3]
			}
			if _, err := s.SetGold(ctx, 0, id, 0, annotate.Labels{"stance": {st}, "topic": stanceTopics[stances[i]]}, "own"); err != nil {
				t.Fatal(err)
			}
			continue
		}
		for _, u := range users {
			if _, err := s.SaveAnnotation(ctx, u, id, 0, annotate.Labels{"stance": {st}, "topic": stanceTopics[st]}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return db, ids
}

func TestTrainCommand(t *testing.T) {
	clearConcordEnv(t)
	db, _ := trainDB(t, true)
	r := mustRun(t, "", "train", "--db", db)
	for _, w := range []string{
		"5-fold cross-validation, seed 1",
		"stance (single): 60 items: 30 gold, 30 consensus (confidence ≥ 0.90)",
		"topic (multi): 60 items: 30 gold, 30 consensus", "micro-F1", "subset accuracy",
		"tone (single): 0 items: 0 gold, 0 consensus",
		"not evaluated: no gold label and no consensus confident enough yet",
		"category", "agree", "disagree", "discuss",
	} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("train output lacks %q:\n%s", w, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "note") {
		t.Errorf("the open dimension note is listed:\n%s", r.stdout)
	}

	r = mustRun(t, "", "train", "--db", db, "--json", "--folds", "4", "--seed", "7")
	var rep trainReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, r.stdout)
	}
	if rep.Folds != 4 || rep.Seed != 7 || len(rep.Dimensions) != 3 {
		t.Fatalf("--json: %d folds, seed %d, %d dimensions; want 4, 7, stance, topic and tone", rep.Folds, rep.Seed, len(rep.Dimensions))
	}
	st := rep.Dimensions[0]
	if st.Name != "stance" || st.Gold != 30 || st.Consensus != 30 || st.Evaluation == nil {
		t.Fatalf("stance: %+v; want 30 gold and 30 consensus items evaluated", st)
	}
	ev := st.Evaluation
	// The stances are separable by their words: the out-of-fold model gets
	// nearly all of them.
	if ev.Accuracy < 0.9 || ev.MacroF1 < 0.9 || ev.Folds != 4 {
		t.Errorf("stance: accuracy %.4f, macro-F1 %.4f over %d folds; want ≥ 0.9 over 4", ev.Accuracy, ev.MacroF1, ev.Folds)
	}
	if len(ev.Probabilities) != 60 || len(st.Paragraphs) != 60 || len(ev.PerCategory) != 3 {
		t.Errorf("stance: %d probability rows, %d paragraphs, %d categories; want 60, 60, 3", len(ev.Probabilities), len(st.Paragraphs), len(ev.PerCategory))
	}
	if tp := rep.Dimensions[1]; tp.Name != "topic" || tp.Evaluation == nil || !tp.Evaluation.Multi || tp.Evaluation.SubsetAccuracy < 0.9 {
		t.Errorf("topic: %+v; want a multi-label evaluation with subset accuracy ≥ 0.9", tp)
	}
	if tn := rep.Dimensions[2]; tn.Name != "tone" || tn.Evaluation != nil || !strings.Contains(tn.Reason, "no gold label") {
		t.Errorf("tone: %+v; want the reason it was not evaluated", tn)
	}

	// A higher bar than any confidence leaves only the gold labels.
	r = mustRun(t, "", "train", "--db", db, "--dimension", "stance", "--min-confidence", "1", "--json")
	rep = trainReport{}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Dimensions) != 1 || rep.Dimensions[0].Gold != 30 {
		t.Errorf("--dimension stance --min-confidence 1: %+v", rep.Dimensions)
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--dimension", "nope"}, 1, `the schema has no dimension "nope"`},
		{[]string{"--dimension", "note"}, 1, `dimension "note" is open`},
		{[]string{"--folds", "1"}, 2, "--folds must be at least 2"},
		{[]string{"--min-confidence", "2"}, 2, "--min-confidence must be from 0 to 1"},
	} {
		r := concord(t, "", append([]string{"train", "--db", db}, tc.args...)...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("train %v: got %s; want exit %d and %q", tc.args, r, tc.code, tc.want)
		}
	}
	// More folds than a stance has items: the stance says why, the topics
	// are still evaluated.
	r = concord(t, "", "train", "--db", db, "--folds", "25")
	if r.code != 0 || !strings.Contains(r.stdout, "not evaluated: category \"agree\" has 20 items, fewer than the 25 folds") || !strings.Contains(r.stdout, "subset accuracy") {
		t.Errorf("--folds 25: got %s; want the stance's reason and the topics evaluated", r)
	}
	// More folds than items: nothing can be evaluated.
	r = concord(t, "", "train", "--db", db, "--folds", "61")
	if r.code != 1 || !strings.Contains(r.stdout, "60 labelled paragraph(s), fewer than the 61 folds") || !strings.Contains(r.stderr, "no dimension could be evaluated") {
		t.Errorf("--folds 61: got %s; want exit 1 with the reason", r)
	}
}

func TestTrainCommandNothingToTrain(t *testing.T) {
	clearConcordEnv(t)
	db, _ := trainDB(t, false)
	for _, cmd := range []string{"train", "label-errors"} {
		r := concord(t, "", cmd, "--db", db)
		if r.code != 1 || !strings.Contains(r.stderr, "no dimension could be evaluated; set gold labels") ||
			!strings.Contains(r.stdout, "stance (single): 0 items") {
			t.Errorf("%s on a database with no labels: got %s; want exit 1 saying what to label", cmd, r)
		}
	}
}

func TestLabelErrorsCommand(t *testing.T) {
	clearConcordEnv(t)
	flip := []int{2, 10, 24}
	db, ids := trainDB(t, true, flip...)
	want := map[string]bool{}
	for _, i := range flip {
		want[strconv.FormatInt(ids[i], 10)] = true
	}
	r := mustRun(t, "", "label-errors", "--db", db, "--json")
	var rep labelErrorReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, r.stdout)
	}
	if len(rep.Dimensions) != 3 {
		t.Fatalf("%d dimensions, want stance, topic and tone", len(rep.Dimensions))
	}
	st := rep.Dimensions[0]
	if st.Name != "stance" || len(st.LabelIssues) != 60 || st.Errors < len(flip) {
		t.Fatalf("stance: %d paragraphs, %d estimated errors; want all 60 ranked and at least %d errors", len(st.LabelIssues), st.Errors, len(flip))
	}
	// The flipped gold labels are the three the model doubts most, each
	// with its true stance as the alternative.
	for k, it := range st.LabelIssues[:len(flip)] {
		i := flip[0]
		for _, f := range flip {
			if ids[f] == it.Paragraph {
				i = f
			}
		}
		if !want[strconv.FormatInt(it.Paragraph, 10)] || !it.Flagged || it.Source != "gold" ||
			it.Suggested != stanceOrder[i%3] || it.Given != stanceOrder[(i+1)%3] || it.Document != "statements.txt" {
			t.Errorf("rank %d: %+v; want one of the flipped paragraphs %v, flagged, gold, suggesting its true stance", k+1, it, flip)
		}
		if it.SuggestedProbability <= it.GivenProbability {
			t.Errorf("rank %d: suggested %.3f not above given %.3f", k+1, it.SuggestedProbability, it.GivenProbability)
		}
	}
	if tp := rep.Dimensions[1]; tp.Reason != "" || len(tp.LabelIssues) != 60 {
		t.Errorf("topic: reason %q, %d paragraphs; want every multi-label set ranked", tp.Reason, len(tp.LabelIssues))
	} else {
		for _, it := range tp.LabelIssues {
			if it.GivenValues == nil || it.SuggestedValues == nil || slices.Equal(it.GivenValues, it.SuggestedValues) {
				t.Errorf("topic paragraph %d: given %v, suggested %v; want the set and another", it.Paragraph, it.GivenValues, it.SuggestedValues)
				break
			}
		}
	}
	if tn := rep.Dimensions[2]; !strings.Contains(tn.Reason, "no gold label") {
		t.Errorf("tone: %+v; want the reason it was not checked", tn)
	}

	r = mustRun(t, "", "label-errors", "--db", db, "--limit", "3")
	lines := strings.Split(r.stdout, "\n")
	rows := 0
	for _, l := range lines {
		if l == "" {
			break // the stance section ends
		}
		if strings.HasPrefix(l, "* ") {
			rows++
			id := strings.Fields(l)[1]
			if !want[id] || !strings.Contains(l, "(gold)") || !strings.Contains(l, "statements.txt#") || !strings.Contains(l, "Statement ") {
				t.Errorf("row %q: want a flipped gold paragraph with its document and text", l)
			}
		}
	}
	if rows != 3 || !strings.Contains(r.stdout, "topic (multi): 60 items") || strings.Contains(r.stdout, "not supported") {
		t.Errorf("--limit 3: %d flagged rows; want 3 and the topic's reason:\n%s", rows, r.stdout)
	}
}
