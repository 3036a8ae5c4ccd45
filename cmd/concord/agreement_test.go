package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

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
