package annotate

import (
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
