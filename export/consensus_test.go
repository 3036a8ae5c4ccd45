package export_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"concord/annotate"
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
