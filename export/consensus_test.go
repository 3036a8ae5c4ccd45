package export_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"concord/annotate"
	"concord/annotate/annotatetest"
	"concord/export"
)

// consensusExportFixture labels eleven paragraphs: alice and bob agree on
// the first ten, carol answers "unrelated" to everything; on the eleventh
// only alice ("agree") and carol answered, a tie in the vote that the
// Dawid–Skene consensus settles for alice. A reviewer decided the fourth
// paragraph by hand ("own"): discuss, where alice and bob said unrelated.
type consensusExportFixture struct {
	store    *annotate.Store
	paras    []annotate.Paragraph
	reviewer int64
}

func newConsensusExportFixture(t *testing.T) *consensusExportFixture {
	t.Helper()
	ctx := context.Background()
	s := newStore(t)
	users := map[string]int64{}
	for _, n := range []string{"alice", "bob", "carol"} {
		u, err := s.CreateUser(ctx, 0, n, annotate.RoleAnnotator, "")
		if err != nil {
			t.Fatal(err)
		}
		users[n] = u.ID
	}
	rev, err := s.CreateUser(ctx, 0, "rita", annotate.RoleReviewer, "")
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for i := range 11 {
		texts = append(texts, fmt.Sprintf("Paragraph %d of the consensus corpus.", i))
	}
	paras := importDoc(t, s, "c.txt", "Consensus", texts...)
	stances := []string{"agree", "disagree", "discuss", "unrelated"}
	l := func(stance string) annotate.Labels { return annotate.Labels{"stance": {stance}, "topic": {"strike"}} }
	for i := range 10 {
		label(t, s, users["alice"], paras[i].ID, l(stances[i%4]))
		label(t, s, users["bob"], paras[i].ID, l(stances[i%4]))
		label(t, s, users["carol"], paras[i].ID, l("unrelated"))
	}
	label(t, s, users["alice"], paras[10].ID, l("agree"))
	label(t, s, users["carol"], paras[10].ID, l("unrelated"))
	if _, err := s.SetGold(ctx, rev.ID, paras[3].ID, 0, l("discuss"), "own"); err != nil {
		t.Fatal(err)
	}
	return &consensusExportFixture{store: s, paras: paras, reviewer: rev.ID}
}

func byParagraph(lines []map[string]any) map[int64]map[string]any {
	out := map[int64]map[string]any{}
	for _, l := range lines {
		out[int64(l["paragraph_id"].(float64))] = l
	}
	return out
}

func TestDatasetCarriesConsensus(t *testing.T) {
	f := newConsensusExportFixture(t)
	lines, _ := exportLines(t, f.store, export.Options{Split: export.SplitOptions{Off: true}})
	tied := byParagraph(lines)[f.paras[10].ID]
	if tied["gold_source"] != export.GoldTie {
		t.Fatalf("the tied paragraph's gold_source = %v, want tie without gold from consensus", tied["gold_source"])
	}
	cons := tied["consensus"].(map[string]any)
	conf := tied["consensus_confidence"].(map[string]any)
	method := tied["consensus_method"].(map[string]any)
	if cons["stance"] != "agree" || conf["stance"].(float64) < 0.9 || method["stance"] != "dawid-skene" {
		t.Errorf("stance consensus = %v at %v by %v, want agree at ≥ 0.9 by dawid-skene", cons["stance"], conf["stance"], method["stance"])
	}
	if cons["event"] != nil || conf["event"] != nil || method["event"] != nil {
		t.Errorf("the open dimension has consensus %v %v %v, want null: open dimensions have none", cons["event"], conf["event"], method["event"])
	}
	if topics, ok := cons["topic"].([]any); !ok || len(topics) != 1 || topics[0] != "strike" {
		t.Errorf("topic consensus = %v, want [strike] as an array", cons["topic"])
	}
}

// TestGoldFromConsensusRoundTrip exports with gold from consensus and
// imports the file into an empty database: the reviewer's decision comes
// back as gold, and the consensus does not silently become one.
func TestGoldFromConsensusRoundTrip(t *testing.T) {
	f := newConsensusExportFixture(t)
	ctx := context.Background()
	opt := export.Options{GoldFromConsensus: 0.9, Split: export.SplitOptions{Off: true}}
	lines, raw := exportLines(t, f.store, opt)
	by := byParagraph(lines)
	tied := by[f.paras[10].ID]
	if tied["gold_source"] != export.GoldConsensus || tied["gold"].(map[string]any)["stance"] != "agree" {
		t.Fatalf("tied paragraph: gold %v from %v, want stance agree from consensus", tied["gold"], tied["gold_source"])
	}
	if got := by[f.paras[3].ID]; got["gold_source"] != export.GoldAdjudicated || got["gold"].(map[string]any)["stance"] != "discuss" {
		t.Errorf("the reviewer's paragraph: gold %v from %v, want their discuss, adjudicated: consensus never overrides a reviewer", got["gold"], got["gold_source"])
	}
	var de *annotate.Error
	if _, err := export.Write(ctx, f.store, &bytes.Buffer{}, export.Options{GoldFromConsensus: 1.5}); !errors.As(err, &de) || de.Field != "gold_from_consensus" {
		t.Errorf("gold from consensus 1.5: %v, want an error naming gold_from_consensus", err)
	}

	path := writeTemp(t, "dataset.jsonl", []byte(strings.Join(raw, "\n")+"\n"))
	empty := newStore(t)
	rep, err := export.ImportFile(ctx, empty, path, export.ImportOptions{})
	if err != nil || rep.Err() != nil {
		t.Fatalf("import: %v %v %+v", err, rep.Err(), rep.Errors)
	}
	if rep.Gold != 1 {
		t.Errorf("import stored %d gold labels, want 1: the reviewer's, not the consensus", rep.Gold)
	}
	again, _ := exportLines(t, empty, export.Options{Split: export.SplitOptions{Off: true}})
	sources := map[string]int{}
	for _, l := range again {
		if s, _ := l["gold_source"].(string); s != "" {
			sources[s]++
		}
		if strings.Contains(l["text"].(string), "Paragraph 3 ") && (l["gold_source"] != export.GoldAdjudicated || l["gold"].(map[string]any)["stance"] != "discuss") {
			t.Errorf("after the round trip paragraph 3 has gold %v from %v, want the reviewer's discuss", l["gold"], l["gold_source"])
		}
		if strings.Contains(l["text"].(string), "Paragraph 10 ") && l["gold_source"] != export.GoldTie {
			t.Errorf("after the round trip the tied paragraph's gold_source is %v, want tie: consensus gold is not reviewer gold", l["gold_source"])
		}
	}
	if sources[export.GoldAdjudicated] != 1 || sources[export.GoldConsensus] != 0 {
		t.Errorf("gold sources after the round trip: %v, want one adjudicated and no consensus", sources)
	}
}

func TestExcelConsensusColumnsAndGoldMethods(t *testing.T) {
	f := newConsensusExportFixture(t)
	ctx := context.Background()
	// The tied paragraph accepted as consensus by a reviewer, and paragraph
	// 5 left to gold from consensus.
	if _, err := f.store.SetGold(ctx, f.reviewer, f.paras[10].ID, 0, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}, annotate.ConsensusMethod); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := export.Write(ctx, f.store, &buf, export.Options{Format: export.FormatXLSX, GoldFromConsensus: 0.5, Split: export.SplitOptions{Off: true}}); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows(export.SheetParagraphs)
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, h := range []string{"consensus: stance", "consensus_confidence: stance", "consensus_method: stance", "consensus: topic"} {
		if _, ok := col[h]; !ok {
			t.Fatalf("Paragraphs has no %q column: %v", h, rows[0])
		}
	}
	var tiedRow []string
	for _, r := range rows[1:] {
		if r[col["paragraph_id"]] == fmt.Sprint(f.paras[10].ID) {
			tiedRow = r
		}
	}
	if tiedRow == nil || tiedRow[col["consensus: stance"]] != "agree" || tiedRow[col["consensus_method: stance"]] != "dawid-skene" || tiedRow[col["gold_source"]] != export.GoldAdjudicated {
		t.Errorf("tied paragraph row: %v; want consensus agree by dawid-skene, gold adjudicated", tiedRow)
	}
	about, err := x.GetRows(export.SheetAbout)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]string{}
	for _, r := range about {
		if len(r) == 2 {
			counts[r[0]] = r[1]
		}
	}
	for what, want := range map[string]string{
		"reviewer: own": "1",
		"reviewer accepted the consensus (consensus:dawid-skene)": "1",
	} {
		if counts[what] != want {
			t.Errorf("About says %q for %q, want %s", counts[what], what, want)
		}
	}
	if n := counts["not decided: the consensus (gold from consensus)"]; n == "" || n == "0" {
		t.Errorf("About does not count the gold labels taken from the consensus: %v", counts)
	}
	// The workbook brought back unchanged stores nothing: neither the
	// consensus gold nor the majority becomes a reviewer's decision.
	rep, err := export.ImportGold(ctx, f.store, f.reviewer, bytes.NewReader(buf.Bytes()), true)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Decisions != 0 {
		t.Errorf("the unchanged workbook holds %d decisions, want 0", rep.Decisions)
	}
	_, err = f.store.GoldLabel(ctx, f.paras[5].ID)
	if !errors.Is(err, annotate.ErrNotFound) {
		t.Errorf("paragraph 5 has a stored gold label after the import: %v", err)
	}
}

// crowdStore is a store whose n paragraphs, in documents of ten, a crowd
// of four annotators of unequal care labelled, with gold on one paragraph
// in six and a confirmed flag on one in eleven; the first document is then
// edited, so that its paragraphs come first in reading order but last in
// id order.
func crowdStore(t *testing.T, n int) *annotate.Store {
	t.Helper()
	ctx := context.Background()
	s := newStore(t)
	names := []string{"dora", "ann", "cy", "bo"}
	care := []float64{0.95, 0.8, 0.6, 0.3}
	stances := []string{"agree", "disagree", "discuss", "unrelated"}
	topics := []string{"strike", "iran-response", "homeland-security", "terrorism", "media"}
	r := rand.New(rand.NewPCG(uint64(n), 3))
	var first annotate.LabelledDocument
	for doc := 0; doc*10 < n; doc++ {
		d := annotate.LabelledDocument{Key: fmt.Sprintf("crowd-%d.txt", doc), Title: "Crowd", Source: "test", Origin: "test"}
		for p := doc * 10; p < min(n, doc*10+10); p++ {
			stance, topic := stances[r.IntN(4)], topics[r.IntN(len(topics))]
			lp := annotate.LabelledParagraph{Text: fmt.Sprintf("Paragraph %d of the crowd's corpus.", p)}
			for _, a := range r.Perm(len(names))[:2+r.IntN(3)] {
				st, tp := stance, []string{topic}
				if r.Float64() > care[a] {
					st = stances[r.IntN(4)]
				}
				if r.Float64() > care[a] {
					tp = append(tp, topics[r.IntN(len(topics))])
					if tp[1] == topic {
						tp = tp[1:]
					}
				}
				lp.Annotations = append(lp.Annotations, annotate.NamedLabels{Annotator: names[a], Labels: annotate.Labels{"stance": {st}, "topic": tp}})
			}
			if p%6 == 2 {
				lp.Gold = annotate.Labels{"stance": {stance}, "topic": {topic}}
			}
			if p%11 == 7 {
				lp.Flags = []string{annotate.CurationBoilerplate}
			}
			d.Paragraphs = append(d.Paragraphs, lp)
		}
		if _, err := s.ImportLabelled(ctx, 0, d); err != nil {
			t.Fatalf("import %s: %v", d.Key, err)
		}
		if doc == 0 {
			first = d
		}
	}
	var texts []string
	for i, p := range first.Paragraphs {
		if i == 0 {
			texts = append(texts, p.Text+" It was edited.")
		} else {
			texts = append(texts, p.Text)
		}
	}
	if _, err := s.ImportDocument(ctx, 0, annotate.Source{Key: first.Key, Title: first.Title, Source: "test", Text: []byte(strings.Join(texts, "\n\n")), Origin: "edit"}); err != nil {
		t.Fatal(err)
	}
	return s
}

// runItems returns every item of the latest consensus run, by paragraph
// and dimension.
func runItems(t *testing.T, s *annotate.Store) map[int64]map[string]annotate.ConsensusItem {
	t.Helper()
	run, err := s.ConsensusNow(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return annotatetest.RunItems(t, s, run)
}

// TestExportConsensusIsTheStoredRun checks, on a crowd large enough for
// Dawid–Skene and on one small enough for the vote and its ties, that the
// consensus columns of the dataset and of the workbook are the stored
// run's for every paragraph: its value (none for a tie), its confidence to
// the four decimals written and its method, for each single and multi
// dimension, and nothing where the run has no item.
func TestExportConsensusIsTheStoredRun(t *testing.T) {
	for _, n := range []int{9, 120} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			ctx := context.Background()
			s := crowdStore(t, n)
			want := runItems(t, s)
			dims := []string{"stance", "topic"}
			ties := 0
			near := func(got, want float64) bool { return math.Abs(got-want) <= 0.00005+1e-12 }

			lines, _ := exportLines(t, s, export.Options{Split: export.SplitOptions{Off: true}})
			seen := 0
			for _, l := range lines {
				id := int64(l["paragraph_id"].(float64))
				items := want[id]
				if items != nil {
					seen++
				}
				cons, conf, method := l["consensus"].(map[string]any), l["consensus_confidence"].(map[string]any), l["consensus_method"].(map[string]any)
				for _, d := range dims {
					it, ok := items[d]
					var value any
					switch {
					case !ok || it.Tie:
					case d == "topic":
						vs := []any{}
						for _, v := range it.Values {
							vs = append(vs, v)
						}
						value = vs
					case len(it.Values) == 1:
						value = it.Values[0]
					}
					if it.Tie {
						ties++
					}
					if fmt.Sprint(cons[d]) != fmt.Sprint(value) {
						t.Errorf("paragraph %d: consensus of %s %v, want %v (run item %+v)", id, d, cons[d], value, it)
					}
					if !ok {
						if conf[d] != nil || method[d] != nil {
							t.Errorf("paragraph %d: %s has confidence %v and method %v, but the run has no item", id, d, conf[d], method[d])
						}
						continue
					}
					if c, _ := conf[d].(float64); !near(c, it.Confidence) || method[d] != it.Method {
						t.Errorf("paragraph %d: %s confidence %v by %v, want %v by %s", id, d, conf[d], method[d], it.Confidence, it.Method)
					}
				}
			}
			if seen != len(want) {
				t.Errorf("the dataset has %d of the run's %d paragraphs", seen, len(want))
			}

			var buf bytes.Buffer
			if _, err := export.Write(ctx, s, &buf, export.Options{Format: export.FormatXLSX, Split: export.SplitOptions{Off: true}}); err != nil {
				t.Fatal(err)
			}
			x, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			defer x.Close()
			rows, err := x.GetRows(export.SheetParagraphs)
			if err != nil {
				t.Fatal(err)
			}
			col := map[string]int{}
			for i, h := range rows[0] {
				col[h] = i
			}
			cell := func(r []string, h string) string {
				i, ok := col[h]
				if !ok {
					t.Fatalf("Paragraphs has no %q column: %v", h, rows[0])
				}
				if i < len(r) {
					return r[i]
				}
				return ""
			}
			seen = 0
			for _, r := range rows[1:] {
				id, err := strconv.ParseInt(cell(r, "paragraph_id"), 10, 64)
				if err != nil {
					t.Fatalf("row %v: %v", r, err)
				}
				items := want[id]
				if items != nil {
					seen++
				}
				for _, d := range dims {
					it, ok := items[d]
					value, conf, method := "", "", ""
					if ok {
						if !it.Tie {
							value = strings.Join(it.Values, export.MultiSeparator)
						}
						method = it.Method
					}
					if got := cell(r, "consensus: "+d); got != value {
						t.Errorf("row of paragraph %d: consensus of %s %q, want %q", id, d, got, value)
					}
					if got := cell(r, "consensus_method: "+d); got != method {
						t.Errorf("row of paragraph %d: consensus method of %s %q, want %q", id, d, got, method)
					}
					conf = cell(r, "consensus_confidence: "+d)
					if c, err := strconv.ParseFloat(conf, 64); ok && (err != nil || !near(c, it.Confidence)) || !ok && conf != "" {
						t.Errorf("row of paragraph %d: confidence of %s %q, want %v", id, d, conf, it.Confidence)
					}
				}
			}
			if seen != len(want) {
				t.Errorf("the workbook has %d of the run's %d paragraphs", seen, len(want))
			}
			if n < 100 && ties == 0 {
				t.Error("the small crowd has no tie; the test must see some")
			}
		})
	}
}
