package main

import (
	"context"
	"strings"
	"testing"

	"concord/annotate"
)

const schemaV1 = `dimensions:
  - name: stance
    kind: single
    options:
      - key: agree
        name: Agree
      - key: disagree
        name: Disagree
      - key: neutral
        name: Neutral
`

// schemaV2 drops the option "neutral", orphaning labels that use it.
const schemaV2 = `dimensions:
  - name: stance
    kind: single
    options:
      - key: agree
        name: Agree
      - key: disagree
        name: Disagree
`

func TestSchemaShowApplyOrphansAndMapping(t *testing.T) {
	clearConcordEnv(t)
	ctx := context.Background()
	db := tempDB(t)
	dir := t.TempDir()
	v1 := writeFile(t, dir, "v1.yaml", []byte(schemaV1))
	v2 := writeFile(t, dir, "v2.yaml", []byte(schemaV2))

	r := mustRun(t, "", "schema", "apply", "--db", db, v1)
	if want := "as schema version 1"; !strings.Contains(r.stdout, want) {
		t.Errorf("apply v1: got stdout %q, want %q", r.stdout, want)
	}
	r = mustRun(t, "", "schema", "apply", "--db", db, v1)
	if want := "already the current schema (version 1)"; !strings.Contains(r.stdout, want) {
		t.Errorf("apply v1 again: got stdout %q, want %q", r.stdout, want)
	}
	r = mustRun(t, "", "schema", "show", "--db", db)
	for _, want := range []string{"version 1, current", "- name: stance", "key: neutral"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("show: got stdout %q, want it to contain %q", r.stdout, want)
		}
	}

	// Store one label that v2 would orphan.
	writeFile(t, dir, "corpus/a.txt", []byte(articleA))
	mustRun(t, "", "import", "--db", db, dir+"/corpus")
	s := openDB(t, db)
	u, err := s.CreateUser(ctx, 0, "maria", annotate.RoleAnnotator, "")
	if err != nil {
		t.Fatal(err)
	}
	paras, err := s.Paragraphs(ctx, 1, u.ID)
	if err != nil || len(paras) == 0 {
		t.Fatalf("paragraphs of document 1: got %d, %v", len(paras), err)
	}
	if _, err := s.SaveAnnotation(ctx, u.ID, paras[0].ID, 0, annotate.Labels{"stance": {"neutral"}}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	r = concord(t, "", "schema", "apply", "--db", db, v2)
	if r.code != 1 {
		t.Fatalf("apply v2 with orphans: got %s, want exit 1", r)
	}
	for _, want := range []string{
		`stance = "neutral": 1 label(s), option removed`,
		`  stance:`,
		`"neutral": ""`,
		"concord schema apply --mapping mapping.yaml " + v2,
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("apply v2 with orphans: got stderr %q, want it to contain %q", r.stderr, want)
		}
	}
	r = mustRun(t, "", "schema", "show", "--db", db)
	if !strings.Contains(r.stdout, "version 1, current") {
		t.Errorf("after the refused apply: got %q, want version 1 still current", r.stdout)
	}

	mapping := writeFile(t, dir, "mapping.yaml", []byte("stance:\n  neutral: disagree\n"))
	r = mustRun(t, "", "schema", "apply", "--db", db, "--mapping", mapping, v2)
	if want := "as schema version 2"; !strings.Contains(r.stdout, want) {
		t.Errorf("apply v2 with mapping: got stdout %q, want %q", r.stdout, want)
	}
	s = openDB(t, db)
	a, err := s.Annotation(ctx, paras[0].ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(a.Labels["stance"], ","); got != "disagree" {
		t.Errorf("label after mapping: got stance %q, want disagree", got)
	}
	s.Close()

	r = mustRun(t, "", "schema", "show", "--db", db, "--version", "1")
	if !strings.Contains(r.stdout, "version 1,") || strings.Contains(r.stdout, "current") {
		t.Errorf("show --version 1: got %q, want version 1, not marked current", r.stdout)
	}
	r = mustRun(t, "", "schema", "versions", "--db", db)
	if !strings.Contains(r.stdout, "\n2 ") || !strings.Contains(r.stdout, "\n1 ") {
		t.Errorf("versions: got %q, want rows for versions 2 and 1", r.stdout)
	}
}

func TestSchemaCheck(t *testing.T) {
	clearConcordEnv(t)
	dir := t.TempDir()
	tests := []struct {
		name     string
		yaml     string
		wantCode int
		want     string
	}{
		{"valid", schemaV1, 0, "valid schema with 1 dimension(s)"},
		{"typo in a field", strings.Replace(schemaV1, "kind: single", "kind: single\n    requried: true", 1), 1, "requried"},
		{"unknown kind", strings.Replace(schemaV1, "kind: single", "kind: several", 1), 1, "several"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, dir, strings.ReplaceAll(tt.name, " ", "_")+".yaml", []byte(tt.yaml))
			r := concord(t, "", "schema", "check", path)
			if r.code != tt.wantCode {
				t.Fatalf("got %s, want exit %d", r, tt.wantCode)
			}
			if got := r.stdout + r.stderr; !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want it to contain %q", got, tt.want)
			}
			if tt.wantCode != 0 && !strings.HasPrefix(r.stderr, "concord schema: "+path+": ") {
				t.Errorf("got stderr %q, want it to name the command and the file", r.stderr)
			}
		})
	}
}

func TestSchemaShowNeedsADatabase(t *testing.T) {
	clearConcordEnv(t)
	db := missingDB(t)
	r := concord(t, "", "schema", "show", "--db", db)
	if r.code != 1 || !strings.Contains(r.stderr, "no database at "+db) {
		t.Errorf("got %s, want exit 1 naming the missing database", r)
	}
}

// TestSchemaShowLabelStudio prints the Label Studio labelling configuration
// of the current schema, whole or for some dimensions, and refuses an
// unknown dimension or --dimensions on its own.
func TestSchemaShowLabelStudio(t *testing.T) {
	clearConcordEnv(t)
	db := tempDB(t)
	v1 := writeFile(t, t.TempDir(), "v1.yaml", []byte(schemaV1))
	mustRun(t, "", "schema", "apply", "--db", db, v1)
	r := mustRun(t, "", "schema", "show", "--db", db, "--label-studio")
	for _, want := range []string{`<View>`, `<Text name="text" value="$text">`, `<Choices name="stance" toName="text" choice="single"`, `<Choice value="Neutral" alias="neutral"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("got stdout %q, want it to contain %q", r.stdout, want)
		}
	}
	r = mustRun(t, "", "schema", "show", "--db", db, "--label-studio", "--dimensions", "stance")
	if !strings.Contains(r.stdout, `name="stance"`) {
		t.Errorf("--dimensions stance: got %q", r.stdout)
	}
	if r := concord(t, "", "schema", "show", "--db", db, "--label-studio", "--dimensions", "mood"); r.code != 1 || !strings.Contains(r.stderr, `unknown dimension "mood"`) {
		t.Errorf("unknown dimension: got %s", r)
	}
	if r := concord(t, "", "schema", "show", "--db", db, "--dimensions", "stance"); r.code != 2 || !strings.Contains(r.stderr, "--dimensions goes with --label-studio") {
		t.Errorf("--dimensions alone: got %s", r)
	}
}
