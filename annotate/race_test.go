package annotate_test

// The race suite: for each write that two clients can make at once, many
// rounds of both fired together through a barrier, on whichever dialect the
// suite runs on. Each round asserts exactly one winner (or an outcome that
// keeps every invariant), the stored value equal to the winner's, and the
// history consistent with it.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

// raceRounds is how many rounds each race runs.
const raceRounds = 40

// isConflict reports whether err is a domain conflict (409).
func isConflict(err error) bool { return annotate.ErrorCode(err) == annotate.ECONFLICT }

// lastHistory returns the newest history row of a paragraph for an entity.
func lastHistory(t *testing.T, s *annotate.Store, paragraphID int64, entity string) annotate.Change {
	t.Helper()
	h, err := historyOf(s, context.Background(), paragraphID)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Entity == entity {
			return h[i]
		}
	}
	t.Fatalf("paragraph %d has no %s history", paragraphID, entity)
	return annotate.Change{}
}

func TestRaceGoldSameVersion(t *testing.T) {
	s := annotatetest.Seeded(t)
	ctx := context.Background()
	rev := mustUser(t, s, "rev1", annotate.RoleReviewer)
	rev2 := mustUser(t, s, "rev2", annotate.RoleReviewer)
	ps := currentParagraphs(t, s, 1)
	for round := range raceRounds {
		p := ps[round%len(ps)].ID
		g, err := s.GoldLabel(ctx, p)
		version := 0
		if err == nil {
			version = g.Version
		}
		want := map[int64]annotate.Labels{
			rev.ID:  {"stance": {"agree"}, "topic": {"strike"}, "event": {fmt.Sprintf("a%d", round)}},
			rev2.ID: {"stance": {"disagree"}, "topic": {"justice"}, "event": {fmt.Sprintf("b%d", round)}},
		}
		errs := map[int64]error{}
		var mu sync.Mutex
		call := func(u int64) func() {
			return func() {
				_, err := s.SetGold(ctx, u, p, version, want[u], "own")
				mu.Lock()
				errs[u] = err
				mu.Unlock()
			}
		}
		annotatetest.Together(call(rev.ID), call(rev2.ID))
		var winner int64
		for u, err := range errs {
			switch {
			case err == nil:
				if winner != 0 {
					t.Fatalf("round %d: both reviewers' gold saved with version %d", round, version)
				}
				winner = u
			case !isConflict(err):
				t.Fatalf("round %d: loser got %v, want a conflict", round, err)
			}
		}
		if winner == 0 {
			t.Fatalf("round %d: no gold saved: %v", round, errs)
		}
		got, err := s.GoldLabel(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Labels.Equal(want[winner]) || got.Version != version+1 || got.DecidedBy != winner {
			t.Fatalf("round %d: stored gold %v version %d by %d, want the winner's %v version %d by %d", round, got.Labels, got.Version, got.DecidedBy, want[winner], version+1, winner)
		}
		if h := lastHistory(t, s, p, "gold"); h.UserID != winner || !strings.Contains(string(h.After), want[winner]["event"][0]) {
			t.Fatalf("round %d: last gold history by %d with %s, want the winner %d", round, h.UserID, h.After, winner)
		}
	}
}

func TestRaceAnnotationDeleteAndPut(t *testing.T) {
	s := annotatetest.Seeded(t)
	ctx := context.Background()
	ann := mustUser(t, s, "ann", annotate.RoleAnnotator)
	ps := currentParagraphs(t, s, 1)
	a := annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}
	b := annotate.Labels{"stance": {"discuss"}, "topic": {"justice"}}
	var puts, deletes int
	for round := range raceRounds {
		p := ps[round%len(ps)].ID
		cur, err := s.Annotation(ctx, p, ann.ID)
		version := 0
		if err == nil {
			version = cur.Version
		}
		// Bring the annotation to labels a at some version ≥ 1.
		if cur == nil || !cur.Labels.Equal(a) {
			saved, err := s.SaveAnnotation(ctx, ann.ID, p, version, a)
			if err != nil {
				t.Fatal(err)
			}
			version = saved.Version
		}
		var putErr, delErr error
		annotatetest.Together(
			func() { _, putErr = s.SaveAnnotation(ctx, ann.ID, p, version, b) },
			func() { delErr = s.DeleteAnnotation(ctx, ann.ID, p, version) },
		)
		got, getErr := s.Annotation(ctx, p, ann.ID)
		switch {
		case putErr == nil && delErr == nil:
			t.Fatalf("round %d: both the save and the removal of version %d succeeded; stored: %v, %v", round, version, got, getErr)
		case putErr == nil:
			puts++
			if !isConflict(delErr) {
				t.Fatalf("round %d: removal got %v, want a conflict", round, delErr)
			}
			if getErr != nil || !got.Labels.Equal(b) || got.Version != version+1 {
				t.Fatalf("round %d: after the winning save, stored %v (%v), want %v at version %d", round, got, getErr, b, version+1)
			}
			if h := lastHistory(t, s, p, "annotation"); h.Action != "update" {
				t.Fatalf("round %d: last history %q, want update", round, h.Action)
			}
		case delErr == nil:
			deletes++
			if !isConflict(putErr) {
				t.Fatalf("round %d: save got %v, want a conflict", round, putErr)
			}
			if annotate.ErrorCode(getErr) != annotate.ENOTFOUND {
				t.Fatalf("round %d: after the winning removal, stored %v (%v), want none", round, got, getErr)
			}
			if h := lastHistory(t, s, p, "annotation"); h.Action != "delete" {
				t.Fatalf("round %d: last history %q, want delete", round, h.Action)
			}
		default:
			t.Fatalf("round %d: neither won: save %v, removal %v", round, putErr, delErr)
		}
	}
	t.Logf("%d rounds: the save won %d, the removal %d", raceRounds, puts, deletes)
}

func TestRaceFirstSaves(t *testing.T) {
	s := annotatetest.Seeded(t)
	ctx := context.Background()
	ann := mustUser(t, s, "ann", annotate.RoleAnnotator)
	ps := currentParagraphs(t, s, 2)
	a := annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}
	b := annotate.Labels{"stance": {"discuss"}, "topic": {"justice"}}
	for round := range min(raceRounds, len(ps)) {
		p := ps[round].ID
		var errA, errB error
		annotatetest.Together(
			func() { _, errA = s.SaveAnnotation(ctx, ann.ID, p, 0, a) },
			func() { _, errB = s.SaveAnnotation(ctx, ann.ID, p, 0, b) },
		)
		if (errA == nil) == (errB == nil) {
			t.Fatalf("round %d: two first saves of different labels: %v, %v; want one winner and one conflict", round, errA, errB)
		}
		want, loser := a, errB
		if errB == nil {
			want, loser = b, errA
		}
		if !isConflict(loser) {
			t.Fatalf("round %d: loser got %v, want a conflict", round, loser)
		}
		got, err := s.Annotation(ctx, p, ann.ID)
		if err != nil || !got.Labels.Equal(want) || got.Version != 1 {
			t.Fatalf("round %d: stored %v (%v), want the winner's %v at version 1", round, got, err, want)
		}
	}
}

func TestRaceSaveAndReimport(t *testing.T) {
	s := annotatetest.WithSchema(t)
	ctx := context.Background()
	ann := mustUser(t, s, "ann", annotate.RoleAnnotator)
	text := "Title\n\nThe first paragraph.\n\nThe second paragraph."
	doc := mustImport(t, s, "race.txt", text)
	labels := []annotate.Labels{
		{"stance": {"agree"}, "topic": {"strike"}},
		{"stance": {"discuss"}, "topic": {"justice"}},
	}
	target := func() annotate.ParagraphStatus { return currentParagraphs(t, s, doc.DocumentID)[0] }
	if _, err := s.SaveAnnotation(ctx, ann.ID, target().ID, 0, labels[0]); err != nil {
		t.Fatal(err)
	}
	var saved, refused int
	for round := range raceRounds {
		p := target().ID
		cur, err := s.Annotation(ctx, p, ann.ID)
		if err != nil {
			t.Fatalf("round %d: the annotation was not carried to the current revision: %v", round, err)
		}
		next := labels[(round+1)%2]
		text += fmt.Sprintf("\n\nParagraph %d added.", round)
		var putErr, importErr error
		annotatetest.Together(
			func() { _, putErr = s.SaveAnnotation(ctx, ann.ID, p, cur.Version, next) },
			func() {
				_, importErr = s.ImportDocument(ctx, 0, annotate.Source{Key: "race.txt", Origin: "race.txt", Text: []byte(text)})
			},
		)
		if importErr != nil {
			t.Fatalf("round %d: re-import: %v", round, importErr)
		}
		now, err := s.Annotation(ctx, target().ID, ann.ID)
		if err != nil {
			t.Fatalf("round %d: no annotation on the new revision: %v", round, err)
		}
		switch {
		case putErr == nil:
			saved++
			if !now.Labels.Equal(next) {
				t.Fatalf("round %d: an acknowledged save of %v is missing from the new revision, which has %v", round, next, now.Labels)
			}
		case isConflict(putErr):
			refused++
			if !now.Labels.Equal(cur.Labels) {
				t.Fatalf("round %d: a refused save changed the labels to %v", round, now.Labels)
			}
		default:
			t.Fatalf("round %d: save got %v, want success or a conflict", round, putErr)
		}
	}
	t.Logf("%d rounds: the save landed first %d times, was refused %d times", raceRounds, saved, refused)
}

// raceSchema is a schema with one single dimension whose options are keys.
func raceSchema(t *testing.T, keys ...string) *annotate.Schema {
	t.Helper()
	var b strings.Builder
	b.WriteString("dimensions:\n  - name: stance\n    kind: single\n    options:\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "      - {key: %s}\n", k)
	}
	sc, err := annotate.ParseSchema([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// checkLabelsFit fails the test when a stored annotation or gold label has
// a value the current schema does not have.
func checkLabelsFit(t *testing.T, s *annotate.Store, round int) {
	t.Helper()
	ctx := context.Background()
	sc, err := s.Schema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	db, _ := s.SQLForTest()
	rows, err := db.QueryContext(ctx, "SELECT labels FROM annotations UNION ALL SELECT labels FROM golds")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var l annotate.Labels
		if err := rows.Scan(&l); err != nil {
			t.Fatal(err)
		}
		if _, err := sc.Canonical(l); err != nil {
			t.Fatalf("round %d: stored labels %v do not fit schema version %d: %v", round, l, sc.Version, err)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestRaceSaveAndSchemaApply(t *testing.T) {
	for _, mapped := range []bool{false, true} {
		t.Run(fmt.Sprintf("mapping=%v", mapped), func(t *testing.T) {
			s := annotatetest.Open(t)
			ctx := context.Background()
			ann := mustUser(t, s, "ann", annotate.RoleAnnotator)
			with, without := raceSchema(t, "a", "b", "x"), raceSchema(t, "a", "b")
			var m annotate.Mapping
			if mapped {
				m = annotate.Mapping{"stance": {"x": "b"}}
			}
			var text strings.Builder
			text.WriteString("Title")
			for i := range raceRounds {
				fmt.Fprintf(&text, "\n\nParagraph %d.", i)
			}
			doc := mustImport(t, s, "race.txt", text.String())
			ps := currentParagraphs(t, s, doc.DocumentID)
			var outcomes = map[string]int{}
			for round := range raceRounds {
				if _, err := s.ApplySchema(ctx, 0, with, nil); err != nil {
					t.Fatalf("round %d: apply the schema with x: %v", round, err)
				}
				p := ps[round].ID
				var putErr, applyErr error
				annotatetest.Together(
					func() { _, putErr = s.SaveAnnotation(ctx, ann.ID, p, 0, annotate.Labels{"stance": {"x"}}) },
					func() { _, applyErr = s.ApplySchema(ctx, 0, without, m) },
				)
				got, getErr := s.Annotation(ctx, p, ann.ID)
				switch {
				case putErr == nil && applyErr == nil:
					if !mapped {
						t.Fatalf("round %d: a save of x and an apply that removes x without a mapping both succeeded", round)
					}
					if getErr != nil || !got.Labels.Equal(annotate.Labels{"stance": {"b"}}) {
						t.Fatalf("round %d: the save landed before the apply but was not converted: %v (%v)", round, got, getErr)
					}
					outcomes["converted"]++
				case putErr == nil:
					var oe *annotate.OrphanError
					if mapped || !errors.As(applyErr, &oe) {
						t.Fatalf("round %d: apply got %v, want it refused with the orphans", round, applyErr)
					}
					outcomes["apply refused"]++
				case applyErr == nil:
					if code := annotate.ErrorCode(putErr); code != annotate.EINVALID && code != annotate.ECONFLICT {
						t.Fatalf("round %d: save got %v, want it refused (x is gone)", round, putErr)
					}
					if getErr == nil {
						t.Fatalf("round %d: a refused save left %v", round, got.Labels)
					}
					outcomes["save refused"]++
				default:
					t.Fatalf("round %d: both failed: save %v, apply %v", round, putErr, applyErr)
				}
				checkLabelsFit(t, s, round)
			}
			t.Logf("outcomes over %d rounds: %v", raceRounds, outcomes)
		})
	}
}

func TestRaceParallelSchemaApplies(t *testing.T) {
	s := annotatetest.Open(t)
	ctx := context.Background()
	for round := range 3 {
		const n = 20
		results := make([]*annotate.Schema, n)
		errs := make([]error, n)
		fns := make([]func(), n)
		for i := range n {
			sc := raceSchema(t, "a", "b", fmt.Sprintf("r%dc%d", round, i))
			fns[i] = func() { results[i], errs[i] = s.ApplySchema(ctx, 0, sc, nil) }
		}
		annotatetest.Together(fns...)
		seen := map[int]bool{}
		applied := 0
		for i := range n {
			if errs[i] != nil {
				var e *annotate.Error
				if !errors.As(errs[i], &e) || e.Code != annotate.ECONFLICT || e.Current == nil {
					t.Fatalf("round %d: apply %d got %v, want success or a conflict carrying the current version", round, i, errs[i])
				}
				continue
			}
			if seen[results[i].Version] {
				t.Fatalf("round %d: version %d given twice", round, results[i].Version)
			}
			seen[results[i].Version] = true
			applied++
		}
		versions, err := s.SchemaVersions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range versions {
			if want := len(versions) - i; v.Version != want {
				t.Fatalf("round %d: stored versions are not 1…%d in order: %d at %d", round, len(versions), v.Version, i)
			}
		}
		if applied != n {
			t.Logf("round %d: %d of %d applied, the rest refused with the current version", round, applied, n)
		}
		if applied == 0 {
			t.Fatalf("round %d: no apply succeeded", round)
		}
	}
}
