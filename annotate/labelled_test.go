package annotate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

// labelled builds a labelled document from paragraphs given as text and
// annotator → labels.
func labelled(key string, paras ...annotate.LabelledParagraph) annotate.LabelledDocument {
	return annotate.LabelledDocument{Key: key, Title: "Title " + key, Source: "test", Origin: key + ".jsonl:1", Paragraphs: paras}
}

func para(text string, annotations ...annotate.NamedLabels) annotate.LabelledParagraph {
	return annotate.LabelledParagraph{Text: text, Annotations: annotations}
}

// by is one annotator's labels: a stance, and topics (strike when none is
// given; the default schema requires one).
func by(name, stance string, topics ...string) annotate.NamedLabels {
	if len(topics) == 0 {
		topics = []string{"strike"}
	}
	return annotate.NamedLabels{Annotator: name, Labels: annotate.Labels{"stance": {stance}, "topic": topics}}
}

// TestLabelledImportIntoEmptyDatabase imports a batch of new documents and
// checks what a batch writes together: every annotation with its history
// row, the paragraphs' counts, gold labels, confirmed flags, curation
// suggestions, and the annotators reported by the first document that
// names them.
func TestLabelledImportIntoEmptyDatabase(t *testing.T) {
	s := annotatetest.WithSchema(t)
	ctx := context.Background()
	gold := para("Officials met on Monday.", by("alice", "agree", "strike"), by("bob", "agree", "strike", "intelligence"))
	gold.Gold, gold.GoldMethod = annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}, "adjudicated"
	flagged := para("Subscribe to our newsletter!", by("carol", "unrelated"))
	flagged.Flags = []string{annotate.CurationBoilerplate, annotate.CurationBoilerplate}
	docs := []annotate.LabelledDocument{
		labelled("a", gold, para("The same sentence in two documents.", by("alice", "discuss")), para("Nobody labelled this one.")),
		labelled("b", para("The same sentence in two documents.", by("carol", "disagree"), by("bob", "disagree")), flagged),
		labelled("c", para("A third document, <one> & only \"quoted\".", by("dora", "agree", "terrorism", "strike"), by("alice", "agree", "strike", "terrorism"))),
	}
	results, err := s.ImportLabelledDocuments(ctx, 0, docs)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		annotations, gold, paragraphs, suggestions int
		users                                      []string
	}
	wants := []want{{3, 1, 3, 0, []string{"alice", "bob"}}, {3, 0, 2, 1, []string{"carol"}}, {2, 0, 1, 0, []string{"dora"}}}
	for i, r := range results {
		w := wants[i]
		if r.Status != annotate.ImportCreated || r.Annotations != w.annotations || r.Gold != w.gold || r.Paragraphs != w.paragraphs || r.Suggestions != w.suggestions || !slices.Equal(r.Users, w.users) {
			t.Errorf("document %s: got %+v, want created with %+v", docs[i].Key, r, w)
		}
	}
	checkCounts(t, s, "after the import")
	if n := count(t, s, "SELECT count(*) FROM annotations"); n != 8 {
		t.Errorf("%d annotations stored, want 8", n)
	}
	if n := count(t, s, "SELECT count(*) FROM history WHERE entity = 'annotation' AND action = 'import'"); n != 8 {
		t.Errorf("%d history rows of imported annotations, want one for each of the 8", n)
	}
	if n := count(t, s, "SELECT count(*) FROM history h JOIN annotations a ON a.id = h.entity_id WHERE h.entity = 'annotation' AND h.paragraph_id = a.paragraph_id"); n != 8 {
		t.Errorf("%d history rows name their annotation and its paragraph, want 8", n)
	}
	if n := count(t, s, "SELECT count(*) FROM curations WHERE kind = ? AND status = ?", annotate.CurationBoilerplate, annotate.StatusConfirmed); n != 1 {
		t.Errorf("%d confirmed boilerplate flags, want 1 for a flag named twice", n)
	}
	if n := count(t, s, "SELECT count(*) FROM curations WHERE kind = ? AND status = ?", annotate.CurationDuplicate, annotate.StatusSuggested); n != 1 {
		t.Errorf("%d duplicate suggestions, want 1 (the sentence of b that a has first)", n)
	}
	if n := count(t, s, "SELECT count(*) FROM golds WHERE method = 'adjudicated'"); n != 1 {
		t.Errorf("%d gold labels, want 1", n)
	}

	// The history says what a save's history says: who, which labels,
	// from where.
	ps := currentParagraphs(t, s, results[2].DocumentID)
	hist, err := historyOf(s, ctx, ps[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var afters []map[string]any
	for _, c := range hist {
		if c.Entity == "annotation" {
			var m map[string]any
			if err := json.Unmarshal([]byte(c.After), &m); err != nil {
				t.Fatalf("history after %q: %v", c.After, err)
			}
			afters = append(afters, m)
		}
	}
	slices.SortFunc(afters, func(a, b map[string]any) int {
		return strings.Compare(a["annotator"].(string), b["annotator"].(string))
	})
	wantAfters := []map[string]any{
		{"annotator": "alice", "labels": map[string]any{"stance": []any{"agree"}, "topic": []any{"strike", "terrorism"}}, "origin": "c.jsonl:1"},
		{"annotator": "dora", "labels": map[string]any{"stance": []any{"agree"}, "topic": []any{"strike", "terrorism"}}, "origin": "c.jsonl:1"},
	}
	if !reflect.DeepEqual(afters, wantAfters) {
		t.Errorf("history of paragraph %d:\n got %v\nwant %v", ps[0].ID, afters, wantAfters)
	}

	// The counts follow every write after the import as before it.
	erin := mustUser(t, s, "erin", annotate.RoleAnnotator)
	if _, err := s.SaveAnnotation(ctx, erin.ID, ps[0].ID, 0, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, s, "after a save that followed the import")
}

// TestLabelledImportNamesEachAnnotationInItsHistory imports more
// annotations than one statement writes, after an annotation with the
// largest id so far was removed, and checks that every history row of the
// import names its own annotation: the paragraph, the annotator and the
// labels the row records are the annotation's.
func TestLabelledImportNamesEachAnnotationInItsHistory(t *testing.T) {
	s := annotatetest.WithSchema(t)
	ctx := context.Background()
	res, err := s.ImportLabelled(ctx, 0, labelled("first", para("A paragraph labelled before the import.", by("alice", "agree"))))
	if err != nil {
		t.Fatal(err)
	}
	zoe := mustUser(t, s, "zoe", annotate.RoleAnnotator)
	p := currentParagraphs(t, s, res.DocumentID)[0]
	a, err := s.SaveAnnotation(ctx, zoe.ID, p.ID, 0, annotate.Labels{"stance": {"discuss"}, "topic": {"strike"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAnnotation(ctx, zoe.ID, p.ID, a.Version); err != nil {
		t.Fatal(err)
	}
	stances := []string{"agree", "disagree", "discuss", "unrelated"}
	var docs []annotate.LabelledDocument
	for d := range 30 {
		var ps []annotate.LabelledParagraph
		for k := range 3 {
			i := 3*d + k
			ps = append(ps, para(fmt.Sprintf("Paragraph %d of document %d.", k, d),
				by("alice", stances[i%4]), by("bob", stances[(i+1)%4]), by(fmt.Sprintf("annotator%d", i%5), stances[(i+2)%4])))
		}
		docs = append(docs, labelled(fmt.Sprintf("doc-%02d", d), ps...))
	}
	results, err := s.ImportLabelledDocuments(ctx, 0, docs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		if r.Status != annotate.ImportCreated || r.Annotations != 9 {
			t.Fatalf("document %s: %+v, want created with 9 annotations", docs[i].Key, r)
		}
	}
	type row struct {
		ParagraphID, HistoryParagraph int64
		Name, Labels, After           string
	}
	var rows []row
	if err := s.GormForTest().Raw(`SELECT a.paragraph_id, h.paragraph_id AS history_paragraph, u.name, a.labels, h.after_value AS after
		FROM history h JOIN annotations a ON a.id = h.entity_id JOIN users u ON u.id = a.user_id
		WHERE h.entity = 'annotation' AND h.action = 'import'`).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if len(rows) != 271 {
		t.Fatalf("%d import history rows name a stored annotation, want 271 (the first document's one and the batch's 270)", len(rows))
	}
	for _, r := range rows {
		var after struct {
			Annotator string          `json:"annotator"`
			Labels    json.RawMessage `json:"labels"`
		}
		if err := json.Unmarshal([]byte(r.After), &after); err != nil {
			t.Fatalf("history after %q: %v", r.After, err)
		}
		if r.HistoryParagraph != r.ParagraphID || after.Annotator != r.Name || string(after.Labels) != r.Labels {
			t.Errorf("history row of paragraph %d says %s labelled %s; its annotation is %s's %s of paragraph %d", r.HistoryParagraph, after.Annotator, after.Labels, r.Name, r.Labels, r.ParagraphID)
		}
	}
	checkCounts(t, s, "after the import")
}

// TestLabelledImportMergesStoredDocuments imports batches that mix new
// documents with documents already stored: the stored ones keep their
// rules (the same labels again are left alone, other labels fail the
// document and change nothing), the new ones go in, and the counts are
// right after each.
func TestLabelledImportMergesStoredDocuments(t *testing.T) {
	s := annotatetest.WithSchema(t)
	ctx := context.Background()
	first := labelled("a", para("First paragraph of a.", by("alice", "agree")), para("Second paragraph of a.", by("alice", "disagree")))
	if _, err := s.ImportLabelled(ctx, 0, first); err != nil {
		t.Fatal(err)
	}
	// a again, with alice's labels as stored and a new annotator, dora,
	// whom the new document b after it names too.
	again := labelled("a", para("First paragraph of a.", by("alice", "agree"), by("dora", "discuss")), para("Second paragraph of a.", by("alice", "disagree")))
	results, err := s.ImportLabelledDocuments(ctx, 0, []annotate.LabelledDocument{
		again,
		labelled("b", para("Only paragraph of b.", by("dora", "agree"), by("bob", "unrelated"))),
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := results[0]; r.Status != annotate.ImportUnchanged || r.Annotations != 1 || r.Unchanged != 2 || !slices.Equal(r.Users, []string{"dora"}) {
		t.Errorf("a merged: got %+v, want unchanged with 1 new annotation, 2 already stored, dora created", r)
	}
	if r := results[1]; r.Status != annotate.ImportCreated || r.Annotations != 2 || !slices.Equal(r.Users, []string{"bob"}) {
		t.Errorf("b: got %+v, want created with 2 annotations, bob created", r)
	}
	checkCounts(t, s, "after merging a and creating b")

	// alice labelled a's first paragraph otherwise: a fails whole, c goes in.
	other := labelled("a", para("First paragraph of a.", by("alice", "unrelated"), by("carol", "agree")), para("Second paragraph of a.", by("alice", "disagree")))
	results, err = s.ImportLabelledDocuments(ctx, 0, []annotate.LabelledDocument{
		labelled("c", para("Only paragraph of c.", by("carol", "agree"))),
		other,
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := results[0]; r.Status != annotate.ImportCreated || r.Annotations != 1 || !slices.Equal(r.Users, []string{"carol"}) {
		t.Errorf("c: got %+v, want created with 1 annotation, carol created", r)
	}
	if r := results[1]; r.Status != annotate.ImportFailed || !strings.Contains(r.Error, "alice already labelled paragraph 0") {
		t.Errorf("a with other labels: got %+v, want failed on alice's stored label", r)
	}
	if n := count(t, s, "SELECT count(*) FROM annotations a JOIN users u ON u.id = a.user_id WHERE u.name = 'carol'"); n != 1 {
		t.Errorf("carol has %d annotations, want 1: nothing of the failed document is stored", n)
	}
	if n := count(t, s, "SELECT count(*) FROM annotations WHERE labels LIKE '%unrelated%'"); n != 1 {
		t.Errorf("%d annotations say unrelated, want bob's alone", n)
	}
	checkCounts(t, s, "after a batch with a conflict")
}

// TestCountTriggerOfOlderDatabases opens a database whose count trigger
// was made before imports could defer the counts, and checks that the
// trigger is brought up to date: an import counts right, and so does a
// save after it.
func TestCountTriggerOfOlderDatabases(t *testing.T) {
	s := annotatetest.WithSchema(t)
	ctx := context.Background()
	db, _ := s.SQLForTest()
	old := []string{"DROP TRIGGER annotations_count_insert", `CREATE TRIGGER annotations_count_insert AFTER INSERT ON annotations BEGIN
  UPDATE paragraphs SET annotators = annotators + 1, is_open = annotators + 1 < COALESCE((SELECT CAST(value AS INTEGER) FROM settings WHERE name = 'overlap'), 2) WHERE id = NEW.paragraph_id;
END`}
	if s.Dialect() == "postgres" {
		old = []string{`CREATE OR REPLACE FUNCTION concord_count_annotators() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE paragraphs SET annotators = annotators + 1, is_open = annotators + 1 < COALESCE((SELECT CAST(value AS INTEGER) FROM settings WHERE name = 'overlap'), 2) WHERE id = NEW.paragraph_id;
  ELSE
    UPDATE paragraphs SET annotators = annotators - 1, is_open = annotators - 1 < COALESCE((SELECT CAST(value AS INTEGER) FROM settings WHERE name = 'overlap'), 2) WHERE id = OLD.paragraph_id;
  END IF;
  RETURN NULL;
END $$`,
			"CREATE OR REPLACE TRIGGER annotations_count AFTER INSERT OR DELETE ON annotations FOR EACH ROW EXECUTE FUNCTION concord_count_annotators()",
			// A build split the trigger in two for a while.
			"CREATE TRIGGER annotations_count_insert AFTER INSERT ON annotations FOR EACH ROW EXECUTE FUNCTION concord_count_annotators()",
			"CREATE TRIGGER annotations_count_delete AFTER DELETE ON annotations FOR EACH ROW EXECUTE FUNCTION concord_count_annotators()"}
	}
	for _, q := range old {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.ReopenForTest(ctx); err != nil {
		t.Fatal(err)
	}
	// The older trigger counted right too, only once per annotation:
	// that the new one is in place is seen in its text (on PostgreSQL, in
	// its condition).
	text := "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = 'annotations_count_insert' AND sql LIKE '%deferred_counts%'"
	if s.Dialect() == "postgres" {
		text = "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'annotations'::regclass AND tgname = 'annotations_count' AND pg_get_triggerdef(oid) LIKE '%deferred_counts%'"
		if n := count(t, s, "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'annotations'::regclass AND tgname LIKE 'annotations_count_%'"); n != 0 {
			t.Errorf("%d split count triggers left beside annotations_count, want none", n)
		}
	}
	if n := count(t, s, text); n != 1 {
		t.Errorf("the count trigger was not brought up to date when the database was opened")
	}
	res, err := s.ImportLabelled(ctx, 0, labelled("a", para("One.", by("alice", "agree"), by("bob", "agree")), para("Two.", by("alice", "agree"))))
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, s, "after an import into a database opened with the older trigger")
	carol := mustUser(t, s, "carol", annotate.RoleAnnotator)
	ps := currentParagraphs(t, s, res.DocumentID)
	if _, err := s.SaveAnnotation(ctx, carol.ID, ps[1].ID, 0, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, s, "after a save")
	if n := count(t, s, "SELECT annotators FROM paragraphs WHERE id = ?", ps[1].ID); n != 2 {
		t.Errorf("paragraph two counts %d annotators, want 2", n)
	}
}
