package export_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"concord/annotate"
	"concord/annotate/annotatetest"
	"concord/export"
)

// newStore opens a fresh store with the default schema: an SQLite file, or
// a PostgreSQL database when CONCORD_TEST_POSTGRES is set (see
// annotatetest).
func newStore(t testing.TB) *annotate.Store {
	t.Helper()
	return annotatetest.WithSchema(t)
}

// hardTexts are paragraph texts that trip up spreadsheets and JSON writers.
var hardTexts = []string{
	`=HYPERLINK("http://example.com","click")`,
	`+1 555 0100 is the tip line`,
	`-5 degrees and "quoted" words, a back\slash`,
	`@channel the NYPD said it is monitoring`,
	"مرحبا بالعالم — قال المتحدث إن الوضع هادئ",
	"北京时间周五，美国国防部表示 🚨🇺🇸",
}

// fixture is a small labelled corpus: two documents, three annotators,
// a gold label and a confirmed flag.
type fixture struct {
	store *annotate.Store
	users map[string]int64
	// paras holds the current paragraphs of every document, in order.
	paras []annotate.Paragraph
}

func importDoc(t testing.TB, s *annotate.Store, key, title string, paras ...string) []annotate.Paragraph {
	t.Helper()
	ctx := context.Background()
	res, err := s.ImportDocument(ctx, 0, annotate.Source{Key: key, Title: title, Source: "test", Text: []byte(strings.Join(paras, "\n\n")), Origin: key})
	if err != nil {
		t.Fatalf("import %s: %v", key, err)
	}
	st, err := s.Paragraphs(ctx, res.DocumentID, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]annotate.Paragraph, len(st))
	for i, p := range st {
		out[i] = p.Paragraph
	}
	return out
}

func label(t testing.TB, s *annotate.Store, user, para int64, l annotate.Labels) {
	t.Helper()
	if _, err := s.SaveAnnotation(context.Background(), user, para, 0, l); err != nil {
		t.Fatalf("label paragraph %d by %d: %v", para, user, err)
	}
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	s := newStore(t)
	f := &fixture{store: s, users: map[string]int64{}}
	for _, u := range []struct {
		name string
		role annotate.Role
	}{{"alice", annotate.RoleAnnotator}, {"bob", annotate.RoleAnnotator}, {"carol", annotate.RoleAnnotator}, {"rita", annotate.RoleReviewer}} {
		nu, err := s.CreateUser(ctx, 0, u.name, u.role, "password-"+u.name)
		if err != nil {
			t.Fatal(err)
		}
		f.users[u.name] = nu.ID
	}
	long := strings.Repeat("A long paragraph that goes on. ", 1290) // 40,000 characters
	a := importDoc(t, s, "doc-a.txt", "Police on alert", append([]string{"Police in New York raised security after the strike.", long}, hardTexts...)...)
	b := importDoc(t, s, "doc-b.txt", "Officials speak", "Officials said there is no credible threat to the homeland.", "The weather was fine in Tehran.", "Officials said there is no credible threat to the homeland again.")
	f.paras = append(a, b...)
	agree := annotate.Labels{"stance": {"agree"}, "topic": {"homeland-security"}}
	for i, p := range f.paras {
		switch {
		case i == 0:
			label(t, s, f.users["alice"], p.ID, agree)
			label(t, s, f.users["bob"], p.ID, agree)
			label(t, s, f.users["carol"], p.ID, annotate.Labels{"stance": {"discuss"}, "topic": {"homeland-security", "intelligence"}, "event": {"us-cities-security"}})
		case i == len(a): // first paragraph of doc-b: a disagreement, adjudicated
			label(t, s, f.users["alice"], p.ID, annotate.Labels{"stance": {"disagree"}, "topic": {"homeland-security"}})
			label(t, s, f.users["bob"], p.ID, annotate.Labels{"stance": {"discuss"}, "topic": {"homeland-security"}})
			if _, err := s.SetGold(ctx, f.users["rita"], p.ID, 0, annotate.Labels{"stance": {"disagree"}, "topic": {"homeland-security"}}, "own"); err != nil {
				t.Fatal(err)
			}
		case i == len(a)+1: // the weather: confirmed not relevant
			label(t, s, f.users["alice"], p.ID, annotate.Labels{"stance": {"unrelated"}, "topic": {"media"}})
			c, err := s.Flag(ctx, f.users["alice"], p.ID, annotate.CurationNotRelevant, "weather")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.DecideCurations(ctx, f.users["rita"], []int64{c.ID}, annotate.StatusConfirmed); err != nil {
				t.Fatal(err)
			}
		default:
			label(t, s, f.users["alice"], p.ID, annotate.Labels{"stance": {"discuss"}, "topic": {"terrorism"}, "event": {"A new event, added by hand"}})
			label(t, s, f.users["bob"], p.ID, annotate.Labels{"stance": {"discuss"}, "topic": {"terrorism"}, "event": {"A new event, added by hand"}})
		}
	}
	return f
}

// exportLines runs an export and returns its lines, each parsed.
func exportLines(t testing.TB, s *annotate.Store, opt export.Options) ([]map[string]any, []string) {
	t.Helper()
	var buf bytes.Buffer
	if _, err := export.Write(context.Background(), s, &buf, opt); err != nil {
		t.Fatalf("export %+v: %v", opt, err)
	}
	var parsed []map[string]any
	var raw []string
	if opt.FileFormat() == export.FormatJSON {
		// A JSON array: one element per record, the whole file one value.
		var elems []json.RawMessage
		if err := json.Unmarshal(buf.Bytes(), &elems); err != nil {
			t.Fatalf("the export is not a JSON array: %v\n%.300s", err, buf.String())
		}
		for _, e := range elems {
			var m map[string]any
			if err := json.Unmarshal(e, &m); err != nil {
				t.Fatalf("element is not a JSON object: %v", err)
			}
			parsed = append(parsed, m)
			raw = append(raw, string(e))
		}
		return parsed, raw
	}
	sc := bufio.NewScanner(&buf)
	sc.Buffer(nil, 1<<24)
	for n := 1; sc.Scan(); n++ {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", n, err, sc.Text())
		}
		parsed = append(parsed, m)
		raw = append(raw, sc.Text())
	}
	return parsed, raw
}
