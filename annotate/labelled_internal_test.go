package annotate

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"concord/seeds"
)

// TestImportedAfterAsToJSON checks that the history rows of imported
// annotations, put together from parts encoded once, hold what toJSON
// writes for the same annotation, byte for byte.
func TestImportedAfterAsToJSON(t *testing.T) {
	sc := defaultSchema(t)
	values := newLabelValues(sc)
	after := afterValues{}
	for _, tc := range []struct {
		annotator, origin string
		labels            Labels
	}{
		{"alice", "data.jsonl:12", Labels{"stance": {"agree"}, "topic": {"terrorism", "strike"}}},
		{"bob.o'neil@example", `tasks "<b>" & more.json:3`, Labels{"stance": {"Disagree"}, "topic": {"strike"}}},
		{"carol", "北京.jsonl:1\t🚨", Labels{"stance": {"discuss"}, "topic": {"strike"}, "event": {"a <typed> & \"quoted\" event \u2028"}}},
	} {
		v, err := values.get(tc.labels)
		if err != nil {
			t.Fatal(err)
		}
		canon, err := sc.Canonical(tc.labels)
		if err != nil {
			t.Fatal(err)
		}
		a := importedAnnotation{annotator: tc.annotator, origin: tc.origin, labels: v}
		want := toJSON(map[string]any{"annotator": tc.annotator, "labels": canon, "origin": tc.origin})
		if got := after.of(&a); got != string(want) {
			t.Errorf("after value\n got %s\nwant %s", got, want)
		}
		if stored, _ := canon.Value(); v.json != stored {
			t.Errorf("labels stored as %s, want %s", v.json, stored)
		}
	}
}

// TestLabelValuesTellValuesApart checks that labels values differing in any
// way are checked apart, and that equal ones are checked once.
func TestLabelValuesTellValuesApart(t *testing.T) {
	sc := defaultSchema(t)
	values := newLabelValues(sc)
	distinct := []Labels{
		{"stance": {"agree"}, "topic": {"strike", "terrorism"}},
		{"stance": {"agree"}, "topic": {"strike"}},
		{"stance": {"agree"}, "topic": {"terrorism"}},
		{"stance": {"disagree"}, "topic": {"strike"}},
		{"stance": {"agree"}, "topic": {"strike"}, "event": {"a"}},
		{"stance": {"agree"}, "topic": {"strike"}, "event": {"ab"}},
		{"stance": {"agree"}, "topic": {"strike"}, "event": {"a", "b"}},
	}
	seen := map[*labelValue]int{}
	for i, l := range distinct {
		v, err := values.get(l)
		if err != nil {
			// Several events on a single-value dimension is refused, and
			// so kept apart too.
			continue
		}
		if j, ok := seen[v]; ok {
			t.Errorf("values %v and %v were taken for one", distinct[j], l)
		}
		seen[v] = i
	}
	a, err := values.get(Labels{"topic": {"strike"}, "stance": {"agree"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := values.get(Labels{"stance": {"agree"}, "topic": {"strike"}})
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Errorf("one labels value was checked twice")
	}
	if _, err := values.get(Labels{"stance": {"agree"}, "topic": {"strike"}, "mood": {"happy"}}); err == nil {
		t.Errorf("a dimension the schema lacks was taken")
	}
	if _, err := values.get(Labels{"stance": {"maybe"}, "topic": {"strike"}}); err == nil {
		t.Errorf("a value the schema lacks was taken")
	}
}

func defaultSchema(t *testing.T) *Schema {
	t.Helper()
	data, err := seeds.FS.ReadFile(seeds.SchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := ParseSchema(data)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestLabelledImportMakesRoomInTheLog imports batch after batch, as a
// large file is imported, and checks that the log is emptied between them
// once it has grown past walRestartAt: a writer that starts its next
// transaction at once leaves the checkpointer's own restart no moment.
func TestLabelledImportMakesRoomInTheLog(t *testing.T) {
	defer func(v int64) { walRestartAt = v }(walRestartAt)
	walRestartAt = 64 << 10
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.ApplySchema(ctx, 0, defaultSchema(t), nil); err != nil {
		t.Fatal(err)
	}
	labels := Labels{"stance": {"agree"}, "topic": {"strike"}}
	grew := false
	for batch := range 8 {
		var docs []LabelledDocument
		for d := range 40 {
			doc := LabelledDocument{Key: fmt.Sprintf("doc-%d-%d", batch, d), Origin: "test"}
			for p := range 5 {
				doc.Paragraphs = append(doc.Paragraphs, LabelledParagraph{
					Text:        fmt.Sprintf("Paragraph %d of document %d of batch %d, long enough to fill some pages: %0200d", p, d, batch, 0),
					Annotations: []NamedLabels{{Annotator: "alice", Labels: labels}, {Annotator: "bob", Labels: labels}},
				})
			}
			docs = append(docs, doc)
		}
		results, err := s.ImportLabelledDocuments(ctx, 0, docs)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range results {
			if r.Status != ImportCreated {
				t.Fatalf("batch %d: %+v", batch, r)
			}
		}
		size := walSize(t, path)
		if size > walRestartAt {
			t.Errorf("batch %d: WAL is %d bytes after the import returned, want at most %d", batch, size, walRestartAt)
		}
		grew = grew || s.checkpoints.restarts.Load() > 0
	}
	if !grew {
		t.Errorf("the log never grew past %d bytes, so the test means nothing", walRestartAt)
	}
}
