package export_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"concord/annotate"
	"concord/export"
)

// withoutIDs drops the fields that necessarily differ between databases.
func withoutIDs(lines []map[string]any) []map[string]any {
	for _, l := range lines {
		delete(l, "paragraph_id")
		delete(l, "document_id")
		if d, ok := l["data"].(map[string]any); ok {
			delete(d, "paragraph_id")
			delete(l, "id")
			for _, a := range l["annotations"].([]any) {
				for _, r := range a.(map[string]any)["result"].([]any) {
					delete(r.(map[string]any), "id")
				}
			}
		}
	}
	return lines
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDatasetRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	opt := export.Options{IncludeFlagged: true, Split: export.SplitOptions{Seed: 9}}
	first, raw := exportLines(t, f.store, opt)
	path := writeTemp(t, "dataset.jsonl", []byte(strings.Join(raw, "\n")+"\n"))

	empty := newStore(t)
	rep, err := export.ImportFile(ctx, empty, path, export.ImportOptions{})
	if err != nil || rep.Err() != nil {
		t.Fatalf("import: %v %v %+v", err, rep.Err(), rep.Errors)
	}
	if rep.Shape != export.ShapeDataset || rep.Created != 2 || rep.Paragraphs != len(f.paras) || rep.Gold != 1 {
		t.Errorf("report: got shape %s, %d documents created, %d paragraphs, %d gold; want dataset, 2, %d, 1", rep.Shape, rep.Created, rep.Paragraphs, rep.Gold, len(f.paras))
	}
	users, err := empty.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.Role != annotate.RoleAnnotator {
			t.Errorf("imported user %s: role %s, want annotator", u.Name, u.Role)
		}
		if _, err := empty.Authenticate(ctx, u.Name, ""); err == nil {
			t.Errorf("imported user %s can log in without a password", u.Name)
		}
	}
	second, _ := exportLines(t, empty, opt)
	a, b := withoutIDs(first), withoutIDs(second)
	if len(a) != len(b) {
		t.Fatalf("round trip: got %d lines, want %d", len(b), len(a))
	}
	for i := range a {
		if !reflect.DeepEqual(a[i], b[i]) {
			t.Errorf("line %d differs after the round trip:\nbefore %.400s\nafter  %.400s", i+1, compact(a[i]), compact(b[i]))
		}
	}
	// Importing the same file again adds nothing and changes nothing.
	rep, err = export.ImportFile(ctx, empty, path, export.ImportOptions{})
	if err != nil || rep.Err() != nil || rep.Annotations != 0 || rep.Merged != 2 {
		t.Errorf("second import: got err %v, %d annotations, %d merged; want none new, 2 merged", err, rep.Annotations, rep.Merged)
	}
}

func TestLabelStudioAndDoccanoRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	for _, shape := range []export.Shape{export.ShapeLabelStudio, export.ShapeDoccano} {
		t.Run(string(shape), func(t *testing.T) {
			opt := export.Options{Shape: shape, IncludeFlagged: true, Split: export.SplitOptions{Off: true}}
			first, raw := exportLines(t, f.store, opt)
			path := writeTemp(t, "tasks.jsonl", []byte(strings.Join(raw, "\n")))
			empty := newStore(t)
			rep, err := export.ImportFile(ctx, empty, path, export.ImportOptions{DoccanoAsGold: true})
			if err != nil || rep.Err() != nil {
				t.Fatalf("import: %v %v %+v", err, rep.Err(), rep.Errors)
			}
			if rep.Shape != shape {
				t.Errorf("detected shape %s, want %s", rep.Shape, shape)
			}
			second, _ := exportLines(t, empty, opt)
			if shape == export.ShapeDoccano {
				// doccano carries only the gold labels; compare those.
				for i := range first {
					if !reflect.DeepEqual(first[i]["label"], second[i]["label"]) || first[i]["text"] != second[i]["text"] {
						t.Errorf("line %d: labels %v became %v", i+1, first[i]["label"], second[i]["label"])
					}
				}
				return
			}
			a, b := withoutIDs(first), withoutIDs(second)
			for i := range a {
				if !reflect.DeepEqual(a[i], b[i]) {
					t.Errorf("task %d differs after the round trip:\nbefore %.400s\nafter  %.400s", i+1, compact(a[i]), compact(b[i]))
				}
			}
		})
	}
}

func TestLabelStudioJSONArray(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	data := `[
 {"id": 7, "data": {"text": "Police said the city is on alert."}, "annotations": [
   {"completed_by": {"id": 3, "email": "ann@example.org"}, "result": [
     {"from_name": "stance", "to_name": "text", "type": "choices", "value": {"choices": ["Agree"]}},
     {"from_name": "topic", "to_name": "text", "type": "choices", "value": {"choices": ["homeland-security", "terrorism"]}}]},
   {"completed_by": 4, "was_cancelled": true, "result": []}]}
]`
	path := writeTemp(t, "export.json", []byte(data))
	rep, err := export.ImportFile(context.Background(), s, path, export.ImportOptions{})
	if err != nil || rep.Err() != nil {
		t.Fatalf("import: %v %v %+v", err, rep.Err(), rep.Errors)
	}
	if rep.Annotations != 1 || len(rep.Users) != 1 || rep.Users[0] != "ann@example.org" {
		t.Errorf("got %d annotations by %v, want 1 by ann@example.org", rep.Annotations, rep.Users)
	}
	lines, _ := exportLines(t, s, export.Options{})
	if got := lines[0]["annotations"].([]any)[0].(map[string]any)["labels"].(map[string]any)["stance"]; got != "agree" {
		t.Errorf("stance: got %v, want agree (the option name resolved to its key)", got)
	}
}

func TestImportErrorsNameLineAndField(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	good := `{"document_key":"d","position":0,"text":"Fine.","gold":{},"gold_source":null,"annotations":[{"annotator":"alice","labels":{"stance":"agree","topic":["strike"]}}],"flags":[]}`
	tests := []struct {
		name string
		body string
		want []string
	}{
		{"unknown value", good + "\n" + `{"document_key":"d","position":1,"text":"Bad.","gold":{},"gold_source":null,"annotations":[{"annotator":"bob","labels":{"stance":"maybe","topic":["strike"]}}]}`,
			[]string{"f.jsonl:2: annotations[0].labels.stance: \"maybe\" is not a value of stance (allowed: agree, disagree, discuss, unrelated)"}},
		{"missing text and bad JSON", `{"document_key":"d","gold":{},"annotations":[]}` + "\n" + `{"text": "x"` + "\n" + good,
			[]string{"f.jsonl:1: text: missing \"text\"", "f.jsonl:2: bad JSON"}},
		{"unknown dimension and annotator name", strings.Replace(good, `"alice"`, `"al ice"`, 1) + "\n" + strings.Replace(strings.Replace(good, `"stance"`, `"mood"`, 1), `"position":0`, `"position":1`, 1),
			[]string{"f.jsonl:1: annotations[0].annotator: annotator \"al ice\"", "f.jsonl:2: annotations[0].labels.mood: unknown dimension"}},
		{"split document", good + "\n" + strings.Replace(good, `"document_key":"d"`, `"document_key":"e"`, 1) + "\n" + strings.Replace(good, `"position":0`, `"position":1`, 1),
			[]string{"f.jsonl:3: document_key: document \"d\" already ended"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeTemp(t, "f.jsonl", []byte(tc.body))
			rep, err := export.ImportFile(ctx, s, path, export.ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range rep.Errors {
				got = append(got, strings.TrimPrefix(e.Error(), filepath.Dir(path)+string(filepath.Separator)))
			}
			if len(got) != len(tc.want) {
				t.Fatalf("errors: got %q, want %d like %q", got, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("error %d: got %q, want it to start with %q", i, got[i], w)
				}
			}
			if rep.Err() == nil {
				t.Errorf("report.Err() is nil with %d line errors", len(rep.Errors))
			}
			n, err := s.CountParagraphs(ctx)
			if err != nil || n != 0 {
				t.Errorf("a refused file wrote %d paragraphs (err %v), want none", n, err)
			}
		})
	}
}

func TestImportConflictKeepsStoredLabels(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	_, raw := exportLines(t, f.store, export.Options{IncludeFlagged: true})
	// alice changed her mind in the file: the stored label must win.
	var changed []string
	for _, l := range raw {
		changed = append(changed, strings.Replace(l, `{"annotator":"alice","labels":{"event":null,"stance":"agree"`, `{"annotator":"alice","labels":{"event":null,"stance":"unrelated"`, 1))
	}
	path := writeTemp(t, "changed.jsonl", []byte(strings.Join(changed, "\n")))
	rep, err := export.ImportFile(ctx, f.store, path, export.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed != 1 || rep.Merged != 1 {
		t.Errorf("got %d failed and %d merged documents, want 1 and 1", rep.Failed, rep.Merged)
	}
	a, err := f.store.Annotation(ctx, f.paras[0].ID, f.users["alice"])
	if err != nil || a.Labels["stance"][0] != "agree" {
		t.Errorf("alice's stored stance: got %v (err %v), want agree kept", a, err)
	}
	var msg bytes.Buffer
	for _, r := range rep.Results {
		msg.WriteString(r.Error)
	}
	if !strings.Contains(msg.String(), "already labelled") {
		t.Errorf("failure message %q does not say alice already labelled it", msg.String())
	}
}

// compact shows a line without its text, which can be long.
func compact(m map[string]any) string {
	c := map[string]any{}
	for k, v := range m {
		c[k] = v
	}
	delete(c, "text")
	b, _ := json.Marshal(c)
	return string(b)
}
