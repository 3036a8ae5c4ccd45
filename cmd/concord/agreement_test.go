package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"concord/agreement"
	"concord/annotate"
	"concord/seeds"
)

// agreeStances are the stance labels of alice and bob on four paragraphs:
// Cohen's kappa 7/11 and nominal alpha 2/3 (annotate/agreement_test.go
// works them out by hand).
var agreeStances = [][2]string{
	{"agree", "agree"},
	{"agree", "disagree"},
	{"disagree", "disagree"},
	{"discuss", "discuss"},
}

// agreeDB writes a database with the default schema, one document and
// agreeStances, and returns its path, the paragraph ids and the schema file.
func agreeDB(t *testing.T) (db string, ids []int64, schemaPath string) {
	t.Helper()
	ctx := context.Background()
	db = tempDB(t)
	s := openDB(t, db)
	data, err := seeds.FS.ReadFile(seeds.SchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	schemaPath = writeFile(t, t.TempDir(), "schema.yaml", data)
	sc, err := annotate.ParseSchema(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplySchema(ctx, 0, sc, nil); err != nil {
		t.Fatal(err)
	}
	res, err := s.ImportDocument(ctx, 0, annotate.Source{Key: "a.txt", Origin: "a.txt", Text: []byte("A\n\nOne is here.\n\nTwo is here.\n\nThree is here.\n\nFour is here.")})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := s.Paragraphs(ctx, res.DocumentID, 0)
	if err != nil {
		t.Fatal(err)
	}
	for j, name := range []string{"alice", "bob"} {
		u, err := s.CreateUser(ctx, 0, name, annotate.RoleAnnotator, "")
		if err != nil {
			t.Fatal(err)
		}
		for i, st := range agreeStances {
			if _, err := s.SaveAnnotation(ctx, u.ID, ps[i].ID, 0, annotate.Labels{"stance": {st[j]}, "topic": {"strike"}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, p := range ps[:len(agreeStances)] {
		ids = append(ids, p.ID)
	}
	s.Close()
	return db, ids, schemaPath
}

// agreeJSON decodes a report and drops schema_version, which a file has none of.
func agreeJSON(t *testing.T, out string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out)
	}
	delete(m, "schema_version")
	return m
}

func TestAgreementCommandDatabase(t *testing.T) {
	clearConcordEnv(t)
	db, _, _ := agreeDB(t)
	r := mustRun(t, "", "agreement", "--db", db, "--bootstrap", "0")
	for _, want := range []string{"4 items, 8 labels by 2 annotators (alice, bob)", "Stance (single)", "α (nominal)", "0.667", "unreliable (α < .667)", "alice – bob", "0.636", "Topics (multi)", "α (MASI)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, r.stdout)
		}
	}
	r = mustRun(t, "", "agreement", "--db", db, "--json", "--bootstrap", "100")
	var rep annotate.AgreementReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, r.stdout)
	}
	st := rep.Dimensions[0]
	if st.Name != "stance" || math.Abs(st.Report.AlphaNominal.Float()-2.0/3) > 1e-9 || st.Report.AlphaNominal.CI == nil {
		t.Errorf("stance alpha %v ci %v, want 2/3 with an interval", st.Report.AlphaNominal.Float(), st.Report.AlphaNominal.CI)
	}
	if k := st.Report.Pairwise.Pairs[0].Value.Float(); math.Abs(k-7.0/11) > 1e-9 {
		t.Errorf("kappa = %v, want 7/11", k)
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--annotators", "nobody"}, 1, `no user named "nobody"`},
		{[]string{"--from", "January"}, 2, "--from takes a date"},
		{[]string{"--from", "2026-02-01", "--to", "2026-01-01"}, 2, "must come after its start"},
		{[]string{"--bootstrap", "-1"}, 2, "--bootstrap must be"},
	} {
		r := concord(t, "", append([]string{"agreement", "--db", db}, tc.args...)...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("agreement %v: got %s; want exit %d and %q", tc.args, r, tc.code, tc.want)
		}
	}
}

func TestAgreementCommandFileEqualsDatabase(t *testing.T) {
	clearConcordEnv(t)
	db, ids, schemaPath := agreeDB(t)
	var b strings.Builder
	for i, st := range agreeStances {
		for j, name := range []string{"alice", "bob"} {
			fmt.Fprintf(&b, "{\"item\": \"%d\", \"annotator\": %q, \"dimension\": \"stance\", \"value\": %q}\n", ids[i], name, st[j])
			fmt.Fprintf(&b, "{\"item\": %d, \"annotator\": %q, \"dimension\": \"topic\", \"value\": [\"strike\"]}\n", ids[i], name)
		}
	}
	dir := t.TempDir()
	file := writeFile(t, dir, "labels.jsonl", []byte(b.String()))
	fromDB := agreeJSON(t, mustRun(t, "", "agreement", "--db", db, "--json").stdout)
	fromFile := agreeJSON(t, mustRun(t, "", "agreement", "--schema", schemaPath, file, "--json").stdout)
	if !reflect.DeepEqual(fromDB, fromFile) {
		a, _ := json.MarshalIndent(fromDB, "", " ")
		c, _ := json.MarshalIndent(fromFile, "", " ")
		t.Errorf("file report differs from database report:\n--- database:\n%s\n--- file:\n%s", a, c)
	}

	// What 'concord export --shape annotations' writes reads back the same.
	exported := filepath.Join(dir, "exported.jsonl")
	mustRun(t, "", "export", "--db", db, "--format", "jsonl", "--shape", "annotations", "--split", "none", "-q", "-o", exported)
	fromExport := agreeJSON(t, mustRun(t, "", "agreement", "--schema", schemaPath, exported, "--json").stdout)
	if !reflect.DeepEqual(fromDB, fromExport) {
		t.Errorf("report of the exported file differs from the database report")
	}
}

func TestAgreementCommandBadLines(t *testing.T) {
	clearConcordEnv(t)
	_, _, schemaPath := agreeDB(t)
	lines := strings.Join([]string{
		`{"item": "1", "annotator": "alice", "dimension": "stance", "value": "agree"}`,
		`{"item": "1", "annotator": "bob", "dimension": "stance", "value": "maybe"}`,
		`not json`,
		`{"item": "1", "annotator": "bob", "dimension": "mood", "value": "x"}`,
		`{"item": "1", "annotator": "bob", "dimension": "topic", "value": "strike"}`,
		`{"annotator": "bob", "dimension": "stance", "value": "agree"}`,
		`{"item": "1", "annotator": "bob", "dimension": "stance", "value": "Agree"}`,
	}, "\n")
	file := writeFile(t, t.TempDir(), "labels.jsonl", []byte(lines))
	r := concord(t, "", "agreement", "--schema", schemaPath, file)
	for _, want := range []string{
		file + `:2: "maybe" is not a value of stance`,
		file + ":3: not a JSON object",
		file + `:4: unknown dimension "mood"`,
		file + ":5: topic is a multi-label dimension",
		file + `:6: "item" is missing`,
		"5 unreadable line(s)",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r)
		}
	}
	if r.code != 1 || r.stdout != "" {
		t.Errorf("bad lines without --skip-bad: got %s, want exit 1 and no report", r)
	}
	r = mustRun(t, "", "agreement", "--schema", schemaPath, file, "--skip-bad", "--json")
	var rep annotate.AgreementReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	// Lines 1 and 7 remain: alice and bob both "agree" (by name) on item 1.
	if rep.Labels != 2 || rep.Dimensions[0].Report.ObservedAgreement.Float() != 1 {
		t.Errorf("--skip-bad: %d labels, observed %v; want 2 and 1", rep.Labels, rep.Dimensions[0].Report.ObservedAgreement.Float())
	}
	// Without --schema the values are the categories: only the lines that
	// are not labels at all are bad.
	r = concord(t, "", "agreement", file)
	if r.code != 1 || !strings.Contains(r.stderr, file+":3: not a JSON object") || strings.Contains(r.stderr, file+":2:") || !strings.Contains(r.stderr, "2 unreadable line(s)") {
		t.Errorf("file without --schema: got %s, want exit 1 for lines 3 and 6 only", r)
	}
}

// crowdAgreementCSV is a crowd file as public crowd datasets ship them:
// numeric question and worker ids, numeric answers. Workers 10, 11 and 12
// answer questions 1–4; 13 shares question 5 with 10 and question 6 with
// 14, so five pairs share no item. Worker 10 answers question 1 twice; the
// later answer (1) counts.
const crowdAgreementCSV = `question,worker,answer
1,10,2
1,11,1
1,12,1
2,10,2
2,11,2
2,12,3
3,10,3
3,11,3
3,12,3
4,10,1
4,11,2
4,12,1
5,10,2
5,13,2
6,13,1
6,14,3
1,10,1
`

// crowdUnits are the labels of crowdAgreementCSV after the repeat.
func crowdUnits() []agreement.Unit {
	var us []agreement.Unit
	for _, row := range strings.Split(strings.TrimSpace(crowdAgreementCSV), "\n")[1:17] {
		f := strings.Split(row, ",")
		if f[0] == "1" && f[1] == "10" {
			f[2] = "1"
		}
		us = append(us, agreement.Unit{Item: f[0], Annotator: f[1], Values: []string{f[2]}})
	}
	return us
}

func TestAgreementCommandCrowdCSV(t *testing.T) {
	clearConcordEnv(t)
	dir := t.TempDir()
	file := writeFile(t, dir, "crowd.csv", []byte(crowdAgreementCSV))
	cols := []string{"--item", "question", "--annotator", "worker", "--value", "answer", "--bootstrap", "0"}
	r := mustRun(t, "", append([]string{"agreement", file, "--json"}, cols...)...)
	var rep annotate.AgreementReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, r.stdout)
	}
	if len(rep.Dimensions) != 1 || rep.Dimensions[0].Name != "answer" || rep.Level != annotate.LevelNominal {
		t.Fatalf("dimensions %+v level %q, want one nominal dimension named answer", rep.Dimensions, rep.Level)
	}
	d := rep.Dimensions[0].Report
	want := agreement.Compute(agreement.Dataset{Units: crowdUnits()}, agreement.Options{})
	if !reflect.DeepEqual(d.Categories, []string{"1", "2", "3"}) {
		t.Errorf("categories %v, want the answers 1, 2, 3", d.Categories)
	}
	if d.AlphaNominal.Float() != want.AlphaNominal.Float() || d.FleissKappa.Float() != want.FleissKappa.Float() {
		t.Errorf("alpha %v kappa %v, want %v and %v", d.AlphaNominal.Float(), d.FleissKappa.Float(), want.AlphaNominal.Float(), want.FleissKappa.Float())
	}
	if d.FleissKappa.ExpectedAgreement == nil || *d.FleissKappa.ExpectedAgreement != *want.FleissKappa.ExpectedAgreement || d.AlphaNominal.ExpectedDisagreement == nil {
		t.Errorf("chance terms: Pe %v De %v, want both", d.FleissKappa.ExpectedAgreement, d.AlphaNominal.ExpectedDisagreement)
	}
	if rep.DuplicateLabels != 1 || d.DuplicateUnits != 1 || rep.DuplicateRule == "" || rep.Labels != 16 {
		t.Errorf("duplicates %d (dimension %d, rule %q), labels %d; want 1, 1, the rule, 16", rep.DuplicateLabels, d.DuplicateUnits, rep.DuplicateRule, rep.Labels)
	}
	if !strings.Contains(r.stderr, "1 repeated label(s) collapsed; the last line for an item, annotator and dimension wins") {
		t.Errorf("stderr does not name the repeat:\n%s", r.stderr)
	}

	r = mustRun(t, "", append([]string{"agreement", file}, cols...)...)
	pe := annotate.FormatMetric(*want.FleissKappa.ExpectedAgreement)
	for _, w := range []string{"6 items, 16 labels by 5 annotators (10, 11, 12, 13, 14)", "1 repeated label(s) collapsed: the last line", "Fleiss' κ", "Pe " + pe, "α (nominal)", "De ", "pairs (Cohen's κ), worst first:", "5 pairs share no item", "10 – 13"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("table lacks %q:\n%s", w, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "10 – 14") || strings.Contains(r.stdout, "12 – 13") {
		t.Errorf("table lists a pair that shares no item:\n%s", r.stdout)
	}
	// Worst first: the pair rows' kappas do not decrease.
	var last = math.Inf(-1)
	for _, line := range strings.Split(r.stdout, "\n") {
		f := strings.Fields(line)
		if len(f) > 3 && f[1] == "–" {
			if k, err := strconv.ParseFloat(f[3], 64); err == nil {
				if k < last {
					t.Errorf("pairs not worst first: %s after %v", line, last)
				}
				last = k
			}
		}
	}

	// Without the column names the header is shown.
	r = concord(t, "", "agreement", file)
	if r.code != 1 || !strings.Contains(r.stderr, `no column "item" in the header (it has: question, worker, answer); name the right one with --item`) {
		t.Errorf("default columns: got %s", r)
	}
	// The same CSV named .jsonl is named for what it is.
	misnamed := writeFile(t, dir, "crowd.jsonl", []byte(crowdAgreementCSV))
	r = concord(t, "", append([]string{"agreement", misnamed}, cols...)...)
	if r.code != 1 || !strings.Contains(r.stderr, `this looks like CSV, not JSONL: its first line is "question,worker,answer"`) || strings.Count(r.stderr, "\n") > 2 {
		t.Errorf("CSV named .jsonl: got %s; want one error that names CSV", r)
	}
}

func TestAgreementCommandTSVAndJSONL(t *testing.T) {
	clearConcordEnv(t)
	dir := t.TempDir()
	_, _, schemaPath := agreeDB(t)
	tsv := writeFile(t, dir, "labels.tsv", []byte("item\tannotator\tdimension\tvalue\n"+
		"p1\tann\tstance\tAgree\np1\tbea\tstance\tagree\np2\tann\tstance\tdiscuss\np2\tbea\tstance\tunrelated\n"+
		"p1\tann\ttopic\tstrike|media\np1\tbea\ttopic\tstrike\n"))
	jsonl := writeFile(t, dir, "labels.jsonl", []byte(
		`{"item": 1, "annotator": 7, "dimension": "stance", "value": "agree"}`+"\n"+
			`{"item": 1, "annotator": 8, "dimension": "stance", "value": "Agree"}`+"\n"+
			`{"item": 2, "annotator": 7, "dimension": "stance", "value": "discuss"}`+"\n"+
			`{"item": 2, "annotator": 8, "dimension": "stance", "value": "unrelated"}`+"\n"+
			`{"item": 1, "annotator": 7, "dimension": "topic", "value": ["strike", "media"]}`+"\n"+
			`{"item": 1, "annotator": 8, "dimension": "topic", "value": ["strike"]}`+"\n"))
	for _, file := range []string{tsv, jsonl} {
		r := mustRun(t, "", "agreement", "--schema", schemaPath, file, "--json", "--bootstrap", "0")
		var rep annotate.AgreementReport
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatal(err)
		}
		st, tp := rep.Dimensions[0].Report, rep.Dimensions[1].Report
		// Stance: p1 agrees (by name and key), p2 does not; topic: one pair
		// of sets, {media, strike} and {strike}.
		if st.ObservedAgreement.Float() != 0.5 || st.Units != 4 || tp.Units != 2 || tp.Kind != "multi" {
			t.Errorf("%s: stance observed %v units %d, topic units %d kind %s; want 0.5, 4, 2, multi", file, st.ObservedAgreement.Float(), st.Units, tp.Units, tp.Kind)
		}
		if d := tp.Distribution[0]; d.Units != 1 {
			t.Errorf("%s: topic distribution %+v", file, d)
		}
	}
	// A file without a dimension column fits a schema of one dimension only.
	noDim := writeFile(t, dir, "nodim.csv", []byte("item,annotator,value\np1,ann,agree\n"))
	if r := concord(t, "", "agreement", "--schema", schemaPath, noDim); r.code != 1 || !strings.Contains(r.stderr, "no label names its dimension, and the schema has 3 (stance, topic, event)") {
		t.Errorf("no dimension column, three dimensions: got %s", r)
	}
	// Without a schema numbers are ids and values, and a JSONL array makes
	// the dimension multi-label.
	r := mustRun(t, "", "agreement", jsonl, "--json", "--bootstrap", "0")
	var rep annotate.AgreementReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Dimensions) != 2 || rep.Dimensions[1].Kind != annotate.KindMulti || !reflect.DeepEqual(rep.Annotators, []string{"7", "8"}) {
		t.Errorf("inferred: %d dimensions, annotators %v; want stance and a multi topic by 7 and 8", len(rep.Dimensions), rep.Annotators)
	}
	// Without a schema "Agree" and "agree" are two names.
	if got := rep.Dimensions[0].Report.Categories; !reflect.DeepEqual(got, []string{"Agree", "agree", "discuss", "unrelated"}) {
		t.Errorf("inferred stance categories %v", got)
	}
}

// scoresCSV is the hand-worked case of agreement's
// TestIntervalAlphaFromNegativeValues: two coders on a −10…100 scale,
// interval α = 524/3079.
const scoresCSV = `item,annotator,value
u1,A,-10
u1,B,-10
u2,A,-10
u2,B,0
u3,A,5
u3,B,100
u4,A,0.0
u4,B,0
`

func TestAgreementCommandIntervalScale(t *testing.T) {
	clearConcordEnv(t)
	dir := t.TempDir()
	file := writeFile(t, dir, "scores.csv", []byte(scoresCSV))
	report := func(args ...string) annotate.DimensionAgreement {
		t.Helper()
		r := mustRun(t, "", append([]string{"agreement", "--json", "--bootstrap", "0"}, args...)...)
		var rep annotate.AgreementReport
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatal(err)
		}
		return rep.Dimensions[0]
	}
	const want = 524.0 / 3079
	d := report(file, "--level", "interval")
	if got := d.Report.AlphaInterval.Float(); math.Abs(got-want) > 1e-12 || d.Primary != "alpha_interval" || d.Report.ScaleFrom != "values" {
		t.Errorf("--level interval: alpha %v primary %s scale %s; want %v, alpha_interval, values", got, d.Primary, d.Report.ScaleFrom, want)
	}
	if !strings.HasPrefix(d.Reading, "interval α = 0.170") {
		t.Errorf("reading %q", d.Reading)
	}
	if !reflect.DeepEqual(d.Report.Categories, []string{"-10", "0", "5", "100"}) {
		t.Errorf("categories %v: 0.0 and 0 should be one number", d.Report.Categories)
	}
	if d.Report.AlphaRatio.Defined() {
		t.Errorf("ratio alpha on negative values: got %v, want undefined", d.Report.AlphaRatio.Float())
	}

	// A schema whose keys name the negative point n10, with values.
	withValues := writeFile(t, dir, "scale.yaml", []byte(`dimensions:
  - name: score
    kind: single
    ordered: true
    options:
      - {key: n10, name: "-10", value: -10}
      - {key: z, name: "0", value: 0}
      - {key: p5, name: "5", value: 5}
      - {key: p100, name: "100", value: 100}
`))
	withFile := writeFile(t, dir, "scores-keys.csv", []byte(strings.ReplaceAll(scoresCSV, "0.0", "0")))
	d = report("--schema", withValues, withFile)
	if got := d.Report.AlphaInterval.Float(); math.Abs(got-want) > 1e-12 || d.Report.ScaleFrom != "values" {
		t.Errorf("schema with values: alpha %v scale %s; want %v from values", got, d.Report.ScaleFrom, want)
	}
	// Without the values the distances are between positions, and the
	// report says so.
	positions := writeFile(t, dir, "positions.yaml", []byte(regexp.MustCompile(`, value: -?\d+`).ReplaceAllString(string(mustRead(t, withValues)), "")))
	d = report("--schema", positions, withFile)
	if got := d.Report.AlphaInterval.Float(); math.Abs(got-0.78125) > 1e-12 || d.Report.ScaleFrom != "positions" {
		t.Errorf("schema without values: alpha %v scale %s; want 0.78125 from positions", got, d.Report.ScaleFrom)
	}
	r := mustRun(t, "", "agreement", "--schema", positions, withFile, "--bootstrap", "0")
	if !strings.Contains(r.stdout, "interval distances are between option positions 0…3: the options carry no numeric value") {
		t.Errorf("text report does not say distances come from positions:\n%s", r.stdout)
	}
	r = mustRun(t, "", "agreement", "--schema", withValues, withFile, "--bootstrap", "0")
	if !strings.Contains(r.stdout, "between the values n10=-10, z=0, p5=5, p100=100") || !strings.Contains(r.stdout, "α (ratio)") {
		t.Errorf("text report does not list the scale's values:\n%s", r.stdout)
	}

	// A value that is not a number is named with its line.
	words := writeFile(t, dir, "words.csv", []byte("item,annotator,value\nu1,A,-10\nu1,B,high\n"))
	r = concord(t, "", "agreement", words, "--level", "interval")
	if r.code != 1 || !strings.Contains(r.stderr, words+`:3: "high" is not a number, and --level interval compares values as numbers`) {
		t.Errorf("non-numeric value at --level interval: got %s", r)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{file, "--level", "cardinal"}, `unknown level "cardinal"`},
		{[]string{"--schema", withValues, file, "--level", "interval"}, "--level says how to compare values read without a schema"},
		{[]string{"--level", "interval"}, "describe a labels file"},
	} {
		if r := concord(t, "", append([]string{"agreement"}, tc.args...)...); r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("agreement %v: got %s, want exit 2 and %q", tc.args, r, tc.want)
		}
	}
}

func TestAgreementCommandNothingReadable(t *testing.T) {
	clearConcordEnv(t)
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.jsonl", []byte(`{"item": 1}`+"\n"+`{"annotator": "a", "value": "x"}`+"\n"))
	r := concord(t, "", "agreement", bad, "--skip-bad")
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "no line of "+bad+" could be read (2 unreadable, read as JSONL)") {
		t.Errorf("--skip-bad with nothing readable: got %s, want exit 1 and no report", r)
	}
	empty := writeFile(t, dir, "empty.csv", []byte("item,annotator,value\n"))
	if r := concord(t, "", "agreement", empty); r.code != 1 || !strings.Contains(r.stderr, "holds no labels") {
		t.Errorf("header only: got %s", r)
	}
	if r := concord(t, "", "consensus", bad, "--skip-bad"); r.code != 1 || !strings.Contains(r.stderr, "could be read") {
		t.Errorf("consensus --skip-bad with nothing readable: got %s", r)
	}
}

// TestAgreementCommandModels: the model's rows are printed under each
// dimension it suggested on, with the figures of the hand-worked example
// (annotate/model_agreement_test.go has the arithmetic): against alice
// 7/11, bob 1/3, mean 16/33.
func TestAgreementCommandModels(t *testing.T) {
	clearConcordEnv(t)
	db, ids, _ := agreeDB(t)
	ctx := context.Background()
	s, err := annotate.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	score := 0.9
	var in []annotate.SuggestionInput
	for i, v := range []string{"agree", "agree", "disagree", "unrelated"} {
		in = append(in, annotate.SuggestionInput{ParagraphID: ids[i], Dimension: "stance", Value: &v, Score: &score, Agent: "m@1"})
	}
	if _, err := s.PutSuggestions(ctx, 0, in); err != nil {
		t.Fatal(err)
	}
	s.Close()
	r := mustRun(t, "", "agreement", "--db", db, "--bootstrap", "0")
	for _, want := range []string{"models (their suggestions count in none of the figures above)", "m@1", "4 paragraphs", "no gold item", "annotators mean κ 0.485 (alice 0.636 (n 4), bob 0.333 (n 4)); their own κ 0.636", "4 items, 8 labels by 2 annotators (alice, bob)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
}
