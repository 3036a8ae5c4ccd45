package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"concord/annotate"
)

// crowdCSV is a crowd in the question,worker,answer shape of public crowd
// datasets, with numbers for every field. Workers 10 and 11 agree on items
// 1, 2 and 4; 12 disagrees with both on most items; item 5 has one label
// from 10 and one from 12.
const crowdCSV = `question,worker,answer
1,10,1
1,11,1
1,12,2
2,10,2
2,11,2
2,12,2
3,10,1
3,11,2
3,12,1
4,10,3
4,11,3
4,12,1
5,10,1
5,12,2
`

// consensusJSON runs concord consensus --json and decodes the report.
func consensusJSON(t *testing.T, args ...string) consensusReport {
	t.Helper()
	r := mustRun(t, "", append([]string{"consensus", "--json"}, args...)...)
	var rep consensusReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, r.stdout)
	}
	return rep
}

// consensusLines runs concord consensus --format jsonl and decodes each
// line, checking that it has exactly the five documented keys.
func consensusLines(t *testing.T, args ...string) []map[string]any {
	t.Helper()
	r := mustRun(t, "", append([]string{"consensus", "--format", "jsonl"}, args...)...)
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if want := []string{"confidence", "dimension", "item", "method", "value"}; !reflect.DeepEqual(keys, want) {
			t.Fatalf("line %q has keys %v, want %v", line, keys, want)
		}
		out = append(out, m)
	}
	return out
}

func TestConsensusCommandCrowdCSV(t *testing.T) {
	clearConcordEnv(t)
	file := writeFile(t, t.TempDir(), "crowd.csv", []byte(crowdCSV))
	cols := []string{"--item", "question", "--annotator", "worker", "--value", "answer"}

	// The vote, worked by hand: item 3 is 1 by two votes to one, item 5 a
	// tie of 1 and 2.
	lines := consensusLines(t, append([]string{file, "--method", "majority"}, cols...)...)
	want := []struct {
		item  string
		value any
		conf  float64
	}{{"1", "1", 2.0 / 3}, {"2", "2", 1}, {"3", "1", 2.0 / 3}, {"4", "3", 2.0 / 3}, {"5", nil, 0.5}}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(lines), len(want))
	}
	for i, w := range want {
		l := lines[i]
		if l["item"] != w.item || l["value"] != w.value || math.Abs(l["confidence"].(float64)-w.conf) > 1e-12 || l["method"] != "majority" || l["dimension"] != "answer" {
			t.Errorf("line %d = %v, want item %s value %v confidence %v by majority on answer", i, l, w.item, w.value, w.conf)
		}
	}

	// Five items are too few to learn reliabilities from: the vote, and
	// the reason.
	rep := consensusJSON(t, append([]string{file}, cols...)...)
	if d := rep.Dimensions[0]; d.Method != "majority" || !strings.Contains(d.Reason, "too small to learn reliabilities") {
		t.Errorf("five items: method %s reason %q, want the vote and the small-data reason", d.Method, d.Reason)
	}

	// With --small-data Dawid–Skene runs, and weighs 12, who disagrees
	// with the others, below them.
	cols = append(cols, "--small-data")
	rep = consensusJSON(t, append([]string{file}, cols...)...)
	if len(rep.Dimensions) != 1 {
		t.Fatalf("%d dimensions, want 1", len(rep.Dimensions))
	}
	d := rep.Dimensions[0]
	if d.Method != "dawid-skene" || d.Reason != "" || !d.Converged || !reflect.DeepEqual(d.Categories, []string{"1", "2", "3"}) || d.Labels != 14 {
		t.Fatalf("dimension = %s %q converged %v categories %v labels %d; want dawid-skene, converged, 1 2 3, 14", d.Method, d.Reason, d.Converged, d.Categories, d.Labels)
	}
	byName := map[string]annotate.AnnotatorConsensus{}
	for _, a := range d.Annotators {
		byName[a.Annotator] = a
		if len(a.Confusion) != 3 || len(a.Confusion[0]) != 3 {
			t.Errorf("%s: confusion %v, want 3×3", a.Annotator, a.Confusion)
		}
	}
	if a := byName["12"]; !a.NearChance || a.Accuracy >= byName["10"].Accuracy || a.Accuracy >= byName["11"].Accuracy || a.Items != 5 {
		t.Errorf("annotators %+v; want 12 near chance, below 10 and 11, on 5 items", d.Annotators)
	}
	for _, it := range d.Items {
		if it.Item == "2" && (it.Value != "2" || it.Confidence < 0.9) {
			t.Errorf("item 2, where all agree on 2: %+v", it)
		}
		if s := 0.0; true {
			for _, p := range it.Posterior {
				s += p
			}
			if math.Abs(s-1) > 1e-9 {
				t.Errorf("item %s posterior %v sums to %v", it.Item, it.Posterior, s)
			}
		}
	}

	// The annotator table and the environment variable of --method.
	r := mustRun(t, "", append([]string{"consensus", file, "--annotators"}, cols...)...)
	for _, w := range []string{"answer (single): 5 items, 14 labels by 3 annotators; dawid-skene, converged after", "annotator  accuracy  chance  items", "near chance"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("annotator table lacks %q:\n%s", w, r.stdout)
		}
	}
	if n := strings.Count(r.stdout, "near chance"); n != 1 {
		t.Errorf("%d annotators flagged near chance, want 1:\n%s", n, r.stdout)
	}
	t.Setenv("CONCORD_CONSENSUS_METHOD", "majority")
	r = mustRun(t, "", append([]string{"consensus", file}, cols...)...)
	if !strings.Contains(r.stdout, "; majority") || !strings.Contains(r.stdout, "tie: 1 | 2") {
		t.Errorf("CONCORD_CONSENSUS_METHOD=majority: want the vote with item 5's tie:\n%s", r.stdout)
	}
}

func TestConsensusCommandTSVAndJSONL(t *testing.T) {
	clearConcordEnv(t)
	dir := t.TempDir()
	tsv := writeFile(t, dir, "labels.tsv", []byte("Paragraph\tcoder\tdimension\tcode\n"+
		"p1\tann\tstance\tagree\n"+
		"p1\tbea\tstance\tagree\n"+
		"p1\tcid\tstance\tdisagree\n"+
		"p2\tann\tstance\tdiscuss\n"+
		"p2\tbea\tstance\tdiscuss\n"+
		"p2\tann\ttone\tangry\n"+
		"p2\tbea\ttone\tcalm\n"+
		"p2\tcid\tstance\t\n"))
	lines := consensusLines(t, tsv, "--item", "paragraph", "--annotator", "coder", "--value", "code", "--method", "majority")
	got := []string{}
	for _, l := range lines {
		got = append(got, fmt.Sprintf("%v/%v=%v", l["item"], l["dimension"], l["value"]))
	}
	if want := []string{"p1/stance=agree", "p2/stance=discuss", "p2/tone=<nil>"}; !reflect.DeepEqual(got, want) {
		t.Errorf("TSV lines %v, want %v (column names read without regard to case, an empty cell no label)", got, want)
	}

	jsonl := writeFile(t, dir, "labels.jsonl", []byte(strings.Join([]string{
		`{"item": 1, "annotator": 7, "dimension": "topic", "value": ["strike", "iran"]}`,
		`{"item": 1, "annotator": 8, "dimension": "topic", "value": ["strike"]}`,
		`{"item": 1, "annotator": 9, "dimension": "topic", "value": ["strike", "iran"]}`,
		`{"item": 2, "annotator": 7, "dimension": "topic", "value": []}`,
		`{"item": 2, "annotator": 8, "dimension": "topic", "value": []}`,
		`{"item": 2, "annotator": 9, "dimension": "topic", "value": ["iran"]}`,
		`{"item": 1, "annotator": 7, "dimension": "score", "value": 3}`,
		`{"item": 1, "annotator": 8, "dimension": "score", "value": 3}`,
		`{"item": 1, "annotator": 8, "dimension": "score", "value": 4}`,
		`{"item": 1, "annotator": 9, "dimension": "score", "value": null}`,
	}, "\n")))
	rep := consensusJSON(t, jsonl, "--method", "majority")
	if len(rep.Dimensions) != 2 || rep.Dimensions[0].Name != "topic" || rep.Dimensions[0].Kind != "multi" || rep.Dimensions[1].Kind != "single" {
		t.Fatalf("dimensions %+v, want topic (multi) then score (single)", rep.Dimensions)
	}
	topic := rep.Dimensions[0]
	if !reflect.DeepEqual(topic.Categories, []string{"iran", "strike"}) {
		t.Errorf("topic categories %v", topic.Categories)
	}
	// Item 1: strike 3 of 3, iran 2 of 3; item 2: iran 1 of 3 (an empty
	// array is an answer).
	if v, c := topic.Items[0].Value, topic.Items[0].Confidence; !reflect.DeepEqual(v, []any{"iran", "strike"}) || math.Abs(c-2.0/3) > 1e-12 {
		t.Errorf("topic item 1 = %v at %v, want [iran strike] at 2/3", v, c)
	}
	if v, c := topic.Items[1].Value, topic.Items[1].Confidence; !reflect.DeepEqual(v, []any{}) || math.Abs(c-2.0/3) > 1e-12 || topic.Items[1].Labels != 3 {
		t.Errorf("topic item 2 = %v at %v from %d, want [] at 2/3 from 3 answers", v, c, topic.Items[1].Labels)
	}
	// Score: 8's later 4 replaces its 3, 9's null is no label: a tie.
	score := rep.Dimensions[1]
	if it := score.Items[0]; it.Value != nil || !reflect.DeepEqual(it.Tie, []string{"3", "4"}) || it.Labels != 2 {
		t.Errorf("score item 1 = %+v, want a tie of 3 and 4 on 2 labels", it)
	}
	if rep.DuplicateLabels != 1 || rep.DuplicateRule != annotate.DuplicateRuleLastLine {
		t.Errorf("duplicate_labels %d rule %q, want 1 and %q", rep.DuplicateLabels, rep.DuplicateRule, annotate.DuplicateRuleLastLine)
	}
	r := mustRun(t, "", "consensus", jsonl, "--method", "majority")
	if !strings.Contains(r.stderr, "1 repeated label(s) collapsed; the last line for an item, annotator and dimension wins") {
		t.Errorf("stderr does not name the repeated label:\n%s", r.stderr)
	}
}

func TestConsensusCommandErrors(t *testing.T) {
	clearConcordEnv(t)
	dir := t.TempDir()
	csvFile := writeFile(t, dir, "crowd.csv", []byte(crowdCSV))
	txt := writeFile(t, dir, "crowd.txt", []byte(crowdCSV))
	asJSONL := writeFile(t, dir, "crowd.jsonl", []byte(crowdCSV))
	asCSV := writeFile(t, dir, "labels.csv", []byte(`{"item": 1, "annotator": "a", "value": "x"}`+"\n"))
	mixed := writeFile(t, dir, "mixed.jsonl", []byte(`{"item": 1, "annotator": "a", "value": ["x"]}`+"\n"+`{"item": 1, "annotator": "b", "value": "x"}`+"\n"))
	bad := writeFile(t, dir, "bad.jsonl", []byte(`{"item": 1, "annotator": "a", "value": "x"}`+"\nnot json\n"+`{"annotator": "b", "value": "x"}`+"\n"+`{"item": 1, "annotator": "b", "value": {"x": 1}}`+"\n"))
	short := writeFile(t, dir, "short.csv", []byte("item,annotator,value\n1,a\n1,b,x\n"))
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{csvFile}, 1, `no column "item" in the header (it has: question, worker, answer); name the right one with --item`},
		{[]string{txt}, 1, `no column "item" in the header (it has: question, worker, answer)`},
		{[]string{asJSONL}, 1, asJSONL + `: this looks like CSV, not JSONL: its first line is "question,worker,answer"; name the file .csv`},
		{[]string{asCSV}, 1, asCSV + ": this looks like JSONL, not CSV"},
		{[]string{mixed}, 1, `dimension "value" has arrays of values (line 1) and single values (line 2)`},
		{[]string{bad}, 1, bad + ":2: not a JSON object"},
		{[]string{bad}, 1, bad + `:3: "item" is missing`},
		{[]string{bad}, 1, bad + `:4: "value" must be a string, a number or an array of them`},
		{[]string{short}, 1, short + ":2: 2 fields, but the header names 3"},
		{[]string{csvFile, "--method", "em"}, 2, `method "em" is not known; use dawid-skene or majority`},
		{[]string{csvFile, "--format", "csv"}, 2, "--format must be table or jsonl"},
		{[]string{csvFile, "--json", "--format", "jsonl"}, 2, "not both"},
		{[]string{csvFile, csvFile}, 2, "give one labels file"},
		{[]string{"--item", "q", "--db", tempDB(t)}, 2, "describe a labels file"},
		{[]string{"--db", missingDB(t)}, 1, "no database at"},
	} {
		r := concord(t, "", append([]string{"consensus"}, tc.args...)...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("consensus %v: got %s; want exit %d and %q", tc.args, r, tc.code, tc.want)
		}
	}
	r := mustRun(t, "", "consensus", bad, "--skip-bad", "--format", "jsonl")
	if !strings.Contains(r.stderr, "left out 3 unreadable line(s)") || strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("--skip-bad: got %s; want one item and three lines left out", r)
	}
}

func TestConsensusCommandDatabase(t *testing.T) {
	clearConcordEnv(t)
	db, ids, _ := agreeDB(t)
	// Gold on the paragraph where alice and bob disagree.
	s := openDB(t, db)
	if _, err := s.SetGold(context.Background(), 0, ids[1], 0, annotate.Labels{"stance": {"disagree"}, "topic": {"strike"}}, "own"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	for _, m := range []string{"dawid-skene", "majority"} {
		rep := consensusJSON(t, "--db", db, "--method", m)
		names := []string{}
		for _, d := range rep.Dimensions {
			names = append(names, d.Name+"/"+d.Kind)
		}
		if !reflect.DeepEqual(names, []string{"stance/single", "topic/multi"}) || rep.Source != "database" {
			t.Fatalf("%s: dimensions %v from %s; want stance and topic (the open event left out) from the database", m, names, rep.Source)
		}
		st := rep.Dimensions[0]
		if len(st.Categories) != 4 || st.Categories[0] != "agree" || st.Labels != 8 || len(st.Items) != 4 {
			t.Fatalf("%s: stance categories %v, %d labels, %d items; want the schema's 4 keys, 8 labels, 4 items", m, st.Categories, st.Labels, len(st.Items))
		}
		wantValues := []any{"agree", "disagree", "disagree", "discuss"}
		for i, it := range st.Items {
			if it.Item != strconv.FormatInt(ids[i], 10) || it.Value != wantValues[i] {
				t.Errorf("%s: stance item %d = %+v, want paragraph %d = %v", m, i, it, ids[i], wantValues[i])
			}
		}
		if g := st.Items[1]; !g.Gold || g.Confidence != 1 {
			t.Errorf("%s: gold paragraph = %+v, want clamped to gold at confidence 1", m, g)
		}
		topic := rep.Dimensions[1]
		for _, it := range topic.Items {
			if !reflect.DeepEqual(it.Value, []any{"strike"}) {
				t.Errorf("%s: topic of %s = %v, want [strike]", m, it.Item, it.Value)
			}
		}
	}
	// Four paragraphs are too few for Dawid–Skene: the table says so, and
	// says which topic labels nobody or everybody applied.
	r := mustRun(t, "", "consensus", "--db", db)
	for _, w := range []string{"stance (single): 4 items, 8 labels by 2 annotators; majority", "the data is too small to learn reliabilities from: 4 item(s)",
		"topic (multi)", "- every answer applied strike, so it applies to every item answered", "- nobody applied media, so it applies to no item", "gold"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("table lacks %q:\n%s", w, r.stdout)
		}
	}
	// From the database, a truth file names paragraphs by id.
	truth := writeFile(t, t.TempDir(), "truth.csv", []byte(fmt.Sprintf("item,truth,dimension\n%d,agree,stance\n%d,discuss,stance\n", ids[0], ids[3])))
	r = mustRun(t, "", "consensus", "--db", db, "--truth", truth)
	if !strings.Contains(r.stdout, "stance: majority is right on 2 of 2 items: accuracy 1.0000") || !strings.Contains(r.stdout, "topic: no labelled item has a truth in the file") {
		t.Errorf("--truth from the database: got %s", r)
	}
}

// truthCSV is the truth of crowdCSV's items in the question,truth shape of
// public crowd datasets; item 6 has no labels.
const truthCSV = `question,truth
1,1
2,2
3,2
4,3
5,1
6,2
`

func TestConsensusCommandTruth(t *testing.T) {
	clearConcordEnv(t)
	dir := t.TempDir()
	file := writeFile(t, dir, "crowd.csv", []byte(crowdCSV))
	truth := writeFile(t, dir, "truth.csv", []byte(truthCSV))
	cols := []string{"--item", "question", "--annotator", "worker", "--value", "answer", "--truth", truth}

	// The vote: items 1, 2 and 4 right; 3 wrong (1, the truth is 2); 5 a
	// tie of 1 and 2, whose truth is 1: half right when broken at random.
	rep := consensusJSON(t, append([]string{file, "--method", "majority"}, cols...)...)
	if len(rep.Truth) != 1 || rep.TruthFile != truth {
		t.Fatalf("truth scores %+v from %q, want one for %s", rep.Truth, rep.TruthFile, truth)
	}
	want := truthScore{Dimension: "answer", Method: "majority", Items: 5, Right: 3, Ties: 1, Accuracy: 0.6, TieSplit: 3.5 / 5, Unlabelled: 1}
	if got := rep.Truth[0]; got != want {
		t.Errorf("majority against the truth = %+v, want %+v", got, want)
	}

	r := mustRun(t, "", append([]string{"consensus", file, "--method", "majority"}, cols...)...)
	line := "answer: majority is right on 3 of 5 items: accuracy 0.6000; 1 ties counted wrong (0.7000 with each broken at random); 1 items of the truth file have no labels"
	if !strings.Contains(r.stdout, "against the truth in "+truth) || !strings.Contains(r.stdout, line) {
		t.Errorf("table lacks the truth score %q:\n%s", line, r.stdout)
	}
	// With --format jsonl the score goes to stderr, the lines stay items.
	r = mustRun(t, "", append([]string{"consensus", file, "--format", "jsonl", "--method", "majority"}, cols...)...)
	if !strings.Contains(r.stderr, line) || strings.Count(r.stdout, "\n") != 5 {
		t.Errorf("jsonl: got %s; want five item lines and the score on stderr", r)
	}

	// A truth file that names a dimension the labels lack, two truths for
	// one item, and a missing truth column are errors that say so.
	bad := writeFile(t, dir, "bad.csv", []byte("question,truth,dimension\n1,1,stance\n"))
	twice := writeFile(t, dir, "twice.csv", []byte("question,truth\n1,1\n1,2\n"))
	nocol := writeFile(t, dir, "nocol.csv", []byte("question,gold\n1,1\n"))
	for _, tc := range []struct {
		truth, want string
	}{
		{bad, `line 2: the labels have no dimension "stance"`},
		{twice, twice + ":3: item 1 already has the truth 1 (line 2)"},
		{nocol, `no column "truth" in the header (it has: question, gold); name the truth column with --truth-column`},
	} {
		args := []string{"consensus", file, "--item", "question", "--annotator", "worker", "--value", "answer", "--truth", tc.truth}
		if r := concord(t, "", args...); r.code != 1 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("--truth %s: got %s; want exit 1 and %q", tc.truth, r, tc.want)
		}
	}
	r = mustRun(t, "", "consensus", file, "--item", "question", "--annotator", "worker", "--value", "answer", "--truth", nocol, "--truth-column", "gold")
	if !strings.Contains(r.stdout, "is right on 1 of 1 items") {
		t.Errorf("--truth-column gold: got %s", r)
	}
}
