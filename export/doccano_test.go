package export_test

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"concord/export"
)

// dcExport is a doccano text-classification export as doccano writes it:
// "id", "text", "label" and "Comments", one example unlabelled.
const dcExport = `{"id": 12, "text": "Police said the city is on alert.", "label": ["stance:agree", "topic:homeland-security"], "Comments": []}
{"id": 13, "text": "The mayor spoke on Friday.", "label": [], "Comments": ["not sure this is about the strike"]}
{"id": 14, "text": "The FBI said there was no specific threat.", "label": ["stance:disagree", "topic:intelligence", "topic:homeland-security"], "Comments": []}
`

// TestDoccanoLabel reads doccano's text-classification lines: labels as
// one annotator's, a line without labels as an unlabelled paragraph that
// the report counts, comments counted as not imported.
func TestDoccanoLabel(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	rep := importText(t, s, "admin.jsonl", dcExport, export.ImportOptions{Annotator: "maria"})
	if rep.Shape != export.ShapeDoccano || rep.Created != 3 || rep.Annotations != 2 || rep.Unlabelled != 1 || rep.Comments != 1 {
		t.Errorf("report: got shape %s, %d created, %d annotations, %d unlabelled, %d comments; want doccano, 3, 2, 1, 1", rep.Shape, rep.Created, rep.Annotations, rep.Unlabelled, rep.Comments)
	}
	for _, want := range []string{"1 paragraph(s) had no labels and were imported unlabelled", "doccano comments are not imported: 1"} {
		if !hasNote(rep, want) {
			t.Errorf("notes %q do not say %q", rep.Notes, want)
		}
	}
	lines := datasetOf(t, s)
	if got := annotators(lines["doccano:14#0"])["maria"]; !reflect.DeepEqual(got, map[string]any{"event": nil, "stance": "disagree", "topic": []any{"homeland-security", "intelligence"}}) {
		t.Errorf("doccano:14 labels: got %v", got)
	}
	if got := lines["doccano:13#0"]["annotations"].([]any); len(got) != 0 {
		t.Errorf("the unlabelled line got annotations %v, want none", got)
	}
}

// TestDoccanoUnknownKeys refuses a key doccano does not write for text
// classification, naming the keys it does, and stores nothing; metadata
// keys are kept as the document's metadata with DoccanoMeta.
func TestDoccanoUnknownKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	labels := strings.ReplaceAll(dcExport, `"label":`, `"labels":`)
	path := writeTemp(t, "labels.jsonl", []byte(labels))
	for _, opt := range []export.ImportOptions{{Shape: export.ShapeDoccano}, {}, {DoccanoMeta: true}} {
		rep, err := export.ImportFile(ctx, s, path, opt)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Errors) != 3 {
			t.Fatalf("%+v: got errors %+v, want one per line", opt, rep.Errors)
		}
		e := rep.Errors[0]
		if e.Field != `"labels"` || !strings.Contains(e.Message, `unknown key; doccano text-classification lines have "text" and "label"`) || !strings.Contains(e.Message, `list is "label"`) {
			t.Errorf("%+v: got %q, want the unknown key named and \"label\" given", opt, e.Error())
		}
	}
	if n, err := s.CountParagraphs(ctx); err != nil || n != 0 {
		t.Errorf("a refused file stored %d paragraphs (err %v)", n, err)
	}

	meta := strings.Replace(dcExport, `"Comments": []}`, `"Comments": [], "wikiPageID": 1}`, 1)
	path = writeTemp(t, "meta.jsonl", []byte(meta))
	rep, err := export.ImportFile(ctx, s, path, export.ImportOptions{})
	if err != nil || len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Error(), `meta.jsonl:1: "wikiPageID": unknown key`) || !strings.Contains(rep.Errors[0].Message, "--doccano-meta") {
		t.Fatalf("metadata key: got %v %+v, want it refused with a pointer to --doccano-meta", err, rep.Errors)
	}
	rep = importText(t, s, "meta.jsonl", meta, export.ImportOptions{DoccanoMeta: true})
	doc, err := s.Document(ctx, rep.Results[0].DocumentID)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(doc.Meta), &m); err != nil || m["wikiPageID"] != 1.0 {
		t.Errorf("document meta: got %q (%v), want wikiPageID 1", doc.Meta, err)
	}

	// A line without "label" at all is refused, never stored empty.
	path = writeTemp(t, "nolabel.jsonl", []byte(`{"id": 1, "text": "Just text."}`))
	rep, err = export.ImportFile(ctx, newStore(t), path, export.ImportOptions{Shape: export.ShapeDoccano})
	if err != nil || len(rep.Errors) != 1 || rep.Errors[0].Field != "label" || !strings.Contains(rep.Errors[0].Message, `missing "label"`) {
		t.Errorf("no label key: got %v %+v", err, rep.Errors)
	}
}

// TestDoccanoRoundTripRequired exports Concord's doccano lines, ties and an
// unlabelled paragraph among them, and imports them into a fresh store
// whose schema requires stance and topic: the labelled lines come back as
// the gold labels, the others as unlabelled paragraphs, with no error.
func TestDoccanoRoundTripRequired(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	withTieAndUnlabelled(t, f)
	opt := export.Options{Shape: export.ShapeDoccano, IncludeFlagged: true, Split: export.SplitOptions{Off: true}}
	var buf bytes.Buffer
	if _, err := export.Write(context.Background(), f.store, &buf, opt); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"label":[],"concord_id":"doc-c.txt#0"`) || !strings.Contains(buf.String(), `"gold_source":"tie"`) {
		t.Fatalf("the export does not write the tie as no labels:\n%s", buf.String())
	}
	for _, asGold := range []bool{false, true} {
		empty := newStore(t)
		rep := importText(t, empty, "doccano.jsonl", buf.String(), export.ImportOptions{DoccanoAsGold: asGold})
		if rep.Unlabelled != 2 || rep.Ties != 1 || !hasNote(rep, "(1 of them ties") {
			t.Errorf("as gold %v: got %d unlabelled, %d ties, notes %q; want 2, 1", asGold, rep.Unlabelled, rep.Ties, rep.Notes)
		}
		labelled := len(f.paras) - 2
		if got := rep.Annotations + rep.Gold; got != labelled {
			t.Errorf("as gold %v: got %d annotations and %d gold labels, want %d in all", asGold, rep.Annotations, rep.Gold, labelled)
		}
		second, _ := exportLines(t, empty, opt)
		first, _ := exportLines(t, f.store, opt)
		if len(second) != len(first) {
			t.Fatalf("got %d lines back, want %d", len(second), len(first))
		}
		for i := range first {
			if !reflect.DeepEqual(first[i]["label"], second[i]["label"]) || first[i]["text"] != second[i]["text"] {
				t.Errorf("as gold %v, line %d: labels %v became %v", asGold, i+1, first[i]["label"], second[i]["label"])
			}
		}
	}
	// A line missing a required dimension is named, not stored.
	path := writeTemp(t, "partial.jsonl", []byte(`{"text": "Agents were seen.", "label": ["topic:intelligence"]}`))
	rep, err := export.ImportFile(context.Background(), newStore(t), path, export.ImportOptions{})
	if err != nil || len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Message, "no stance label, which the schema requires") {
		t.Errorf("missing required stance: got %v %+v", err, rep.Errors)
	}
}
