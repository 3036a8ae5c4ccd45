package export_test

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"concord/annotate"
	"concord/export"
)

// dbIDs matches the fields of a dataset line that hold ids of the
// exporting database, which the README documents as such; everything else
// must survive a round trip byte for byte.
var dbIDs = regexp.MustCompile(`"(paragraph_id|document_id)":\d+`)

// TestDatasetRoundTripStable exports the default dataset (flagged
// paragraphs left out, 80/10/10 split), imports it into an empty database
// and exports again: the two files are the same bytes apart from the
// exporting databases' ids, so every paragraph keeps its id (key#position)
// and its split, and labels land under the same ids. The corpus has what
// shifts ids and splits: a revised document, documents imported out of
// key order, a confirmed flag the export leaves out in the middle of a
// document, annotators created in another order, and text with control
// characters.
func TestDatasetRoundTripStable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	s := f.store
	importDoc(t, s, "zeta.txt", "Revised", "Old text that goes away.", "Kept paragraph.")
	zeta := importDoc(t, s, "zeta.txt", "Revised", "Kept paragraph.", "A new paragraph.", "Another new one.")
	wire := importDoc(t, s, "alpha-wire.txt", "Wire \x1c", controlTexts...)
	dora, err := s.CreateUser(ctx, 0, "dora", annotate.RoleAnnotator, "password-dora")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range append(zeta, wire...) {
		label(t, s, dora.ID, p.ID, annotate.Labels{"stance": {"agree"}, "topic": {"media"}})
		label(t, s, f.users["alice"], p.ID, annotate.Labels{"stance": {"agree"}, "topic": {"media"}})
	}
	// Forty more documents of different lengths, imported out of key
	// order, the first of them flagged whole: the export leaves it out,
	// and the others must keep their splits without it.
	var more []annotate.Source
	for d := 40; d > 0; d-- {
		var paras []string
		for i := range 1 + d%5 {
			paras = append(paras, fmt.Sprintf("Story %d, paragraph %d, says something.", d, i))
		}
		more = append(more, annotate.Source{Key: fmt.Sprintf("story-%02d", d), Title: "Story", Text: []byte(strings.Join(paras, "\n\n")), Origin: "more"})
	}
	if rep, err := s.ImportDocuments(ctx, 0, more); err != nil || rep.Created != len(more) {
		t.Fatalf("import stories: %v %+v", err, rep)
	}
	docs, err := s.Documents(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		if d.Key != "story-40" {
			continue
		}
		for _, p := range currentParas(t, s, d.ID) {
			c, err := s.Flag(ctx, f.users["alice"], p.ID, annotate.CurationNotRelevant, "off topic")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.DecideCurations(ctx, f.users["rita"], []int64{c.ID}, annotate.StatusConfirmed); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A confirmed flag in the middle of a document: the default export
	// leaves the paragraph out, and the ones after it keep their ids.
	c, err := s.Flag(ctx, f.users["alice"], zeta[1].ID, annotate.CurationBoilerplate, "promotion")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DecideCurations(ctx, f.users["rita"], []int64{c.ID}, annotate.StatusConfirmed); err != nil {
		t.Fatal(err)
	}

	// Suggestions come back as suggestions, in the same place.
	hi, lo := 0.9, 0.3125
	if _, err := s.PutSuggestions(ctx, 0, []annotate.SuggestionInput{
		{ParagraphID: zeta[2].ID, Dimension: "stance", Value: ptr("discuss"), Score: &hi, Agent: "m@1"},
		{ParagraphID: zeta[2].ID, Dimension: "stance", Value: ptr("agree"), Score: &lo, Agent: "other@2"},
		{ParagraphID: wire[0].ID, Dimension: "topic", Values: []string{"media", "strike"}, Score: &lo, Agent: "m@1"},
	}); err != nil {
		t.Fatal(err)
	}
	export1 := func(s *annotate.Store) []byte {
		t.Helper()
		var buf bytes.Buffer
		if _, err := export.Write(ctx, s, &buf, export.Options{}); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	first := export1(s)
	if !strings.Contains(string(first), `"stance":[{"value":"discuss","score":0.9,"agent":"m@1"},{"value":"agree","score":0.3125,"agent":"other@2"}]`) {
		t.Fatalf("the first export lacks the suggestions:\n%.2000s", first)
	}
	if !strings.Contains(string(first), `"id":"zeta.txt#2"`) || strings.Contains(string(first), `"id":"zeta.txt#1"`) {
		t.Fatalf("the first export should leave zeta.txt#1 out and keep zeta.txt#2:\n%s", first)
	}
	empty := newStore(t)
	path := writeTemp(t, "dataset.jsonl", first)
	rep, err := export.ImportFile(ctx, empty, path, export.ImportOptions{})
	if err != nil || rep.Err() != nil {
		t.Fatalf("import into an empty database: %v %v %+v", err, rep.Err(), rep.Errors)
	}
	// Back into the database it came from, where the documents hold the
	// paragraphs the export left out: it matches them and adds nothing.
	back, err := export.ImportFile(ctx, s, path, export.ImportOptions{})
	if err != nil || back.Err() != nil || back.Created != 0 || back.Merged != rep.Created || back.Annotations != 0 || back.Gold != 0 {
		t.Errorf("import into the database it came from: %v %v, %d created, %d merged, %d annotations, %d gold; want all %d merged and nothing added", err, back.Err(), back.Created, back.Merged, back.Annotations, back.Gold, rep.Created)
	}
	second := export1(empty)
	a, b := dbIDs.ReplaceAll(first, nil), dbIDs.ReplaceAll(second, nil)
	if !bytes.Equal(a, b) {
		al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
		for i := range min(len(al), len(bl)) {
			if al[i] != bl[i] {
				t.Fatalf("line %d differs after the round trip:\nbefore %.600s\nafter  %.600s", i+1, al[i], bl[i])
			}
		}
		t.Fatalf("the round trip gave %d lines, want %d", len(bl), len(al))
	}
	// Through another empty database, the same again.
	again := newStore(t)
	rep, err = export.ImportFile(ctx, again, writeTemp(t, "again.jsonl", second), export.ImportOptions{})
	if err != nil || rep.Err() != nil {
		t.Fatalf("second round trip: %v %v", err, rep.Err())
	}
	if third := dbIDs.ReplaceAll(export1(again), nil); !bytes.Equal(third, a) {
		t.Errorf("the second round trip changed the export")
	}
}

// currentParas returns a document's current paragraphs.
func currentParas(t *testing.T, s *annotate.Store, docID int64) []annotate.ParagraphStatus {
	t.Helper()
	ps, err := s.Paragraphs(context.Background(), docID, 0)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// TestPeerRoundTripKeepsPositions checks that Label Studio and doccano
// exports keep each paragraph's position: a document the export left a
// flagged paragraph out of comes back with the others at their places, so
// their ids do not shift.
func TestPeerRoundTripKeepsPositions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, shape := range []export.Shape{export.ShapeLabelStudio, export.ShapeDoccano} {
		t.Run(string(shape), func(t *testing.T) {
			f := newFixture(t)
			s := f.store
			paras := importDoc(t, s, "zeta.txt", "Zeta", "First paragraph.", "A promotion.", "Third paragraph.")
			for _, p := range paras {
				label(t, s, f.users["alice"], p.ID, annotate.Labels{"stance": {"agree"}, "topic": {"media"}})
			}
			c, err := s.Flag(ctx, f.users["alice"], paras[1].ID, annotate.CurationBoilerplate, "promotion")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.DecideCurations(ctx, f.users["rita"], []int64{c.ID}, annotate.StatusConfirmed); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if _, err := export.Write(ctx, s, &buf, export.Options{Format: export.FormatJSONL, Shape: shape}); err != nil {
				t.Fatal(err)
			}
			empty := newStore(t)
			opt := export.ImportOptions{Shape: shape}
			if shape == export.ShapeDoccano {
				opt.Annotator = "alice"
			}
			rep, err := export.ImportFile(ctx, empty, writeTemp(t, "peer.jsonl", buf.Bytes()), opt)
			if err != nil || rep.Err() != nil {
				t.Fatalf("import the %s export into an empty database: %v %v %+v", shape, err, rep.Err(), rep.Errors)
			}
			docs, err := empty.Documents(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			got := []int{}
			for _, d := range docs {
				if d.Key != "zeta.txt" {
					continue
				}
				for _, p := range currentParas(t, empty, d.ID) {
					got = append(got, p.Position)
				}
			}
			if fmt.Sprint(got) != "[0 2]" {
				t.Errorf("positions after the %s round trip: %v, want [0 2] (the flagged paragraph 1 left out, the third still at 2)", shape, got)
			}
		})
	}
}
