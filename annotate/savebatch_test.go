package annotate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

// TestSavesArrivingTogether fires many saves at once — creates, updates,
// a stale version, a retry of stored labels, two first saves of one
// paragraph by one user — and checks that each gets the outcome it would
// get alone, with its history row. On PostgreSQL the saves share batch
// statements (a row lock held on one paragraph makes the rest gather
// behind it), and one save's failed guard must not touch the others.
func TestSavesArrivingTogether(t *testing.T) {
	s := annotatetest.Seeded(t)
	ctx := context.Background()
	ps := currentParagraphs(t, s, 1)
	if len(ps) < 12 {
		t.Fatalf("need 12 paragraphs, the seed has %d", len(ps))
	}
	users := make([]*annotate.User, 6)
	for i := range users {
		users[i] = mustUser(t, s, fmt.Sprintf("batch%d", i), annotate.RoleAnnotator)
	}
	first := annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}
	second := annotate.Labels{"stance": {"disagree"}, "topic": {"justice"}}
	// users[0] has labelled paragraphs 0–3 once already.
	for _, p := range ps[:4] {
		if _, err := s.SaveAnnotation(ctx, users[0].ID, p.ID, 0, first); err != nil {
			t.Fatal(err)
		}
	}

	type save struct {
		user     int
		para     int
		version  int
		labels   annotate.Labels
		want     string // "ok", "conflict", or "retry" (see below)
		wantVers int
	}
	var saves []save
	for i := range 4 {
		saves = append(saves, save{0, i, 1, second, "ok", 2})       // update
		saves = append(saves, save{0, i, 0, first, "retry", 1})     // retry of stored labels (a lost answer)
		saves = append(saves, save{1, i, 0, second, "ok", 1})       // another user's first save
		saves = append(saves, save{2, i, 3, second, "conflict", 0}) // no annotation at version 3
	}
	for i := 4; i < 12; i++ {
		for u := 1; u < len(users); u++ {
			saves = append(saves, save{u, i, 0, first, "ok", 1})
		}
	}
	// Two first saves of paragraph 11 by users[0] with the same labels:
	// one creates, the other is the no-op of stored labels.
	saves = append(saves, save{0, 11, 0, second, "ok", 1}, save{0, 11, 0, second, "ok", 1})

	release := func() {}
	if annotatetest.Postgres() {
		// Hold paragraph 0 so that the first statement waits and the other
		// saves gather into batches behind it.
		w, _ := s.SQLForTest()
		tx, err := w.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, "SELECT id FROM paragraphs WHERE id = $1 FOR UPDATE", ps[0].ID); err != nil {
			t.Fatal(err)
		}
		release = func() {
			if err := tx.Commit(); err != nil {
				t.Error(err)
			}
		}
	}
	statements0, batched0 := s.SaveBatchesForTest()
	results := make([]*annotate.Annotation, len(saves))
	errs := make([]error, len(saves))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, sv := range saves {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i], errs[i] = s.SaveAnnotation(ctx, users[sv.user].ID, ps[sv.para].ID, sv.version, sv.labels)
		}()
	}
	close(start)
	// Give the saves time to queue behind the held paragraph; the
	// outcomes below do not depend on how long this is.
	time.Sleep(100 * time.Millisecond)
	release()
	wg.Wait()

	for i, sv := range saves {
		switch sv.want {
		case "ok":
			if errs[i] != nil {
				t.Errorf("save %d (user %d, paragraph %d, version %d): %v", i, sv.user, sv.para, sv.version, errs[i])
				continue
			}
			if results[i].Version != sv.wantVers {
				t.Errorf("save %d: version %d, want %d", i, results[i].Version, sv.wantVers)
			}
		case "retry":
			// The retry of stored labels races the update of the same
			// annotation: before it, a no-op answering the stored version
			// 1; after it, a conflict.
			if errs[i] == nil && (results[i].Version != 1 || !results[i].Labels.Equal(first)) {
				t.Errorf("save %d (retry): version %d %v, want the stored version 1", i, results[i].Version, results[i].Labels)
			} else if errs[i] != nil && !isConflict(errs[i]) {
				t.Errorf("save %d (retry): %v, want the stored annotation or a conflict", i, errs[i])
			}
		case "conflict":
			if !isConflict(errs[i]) {
				t.Errorf("save %d (stale version): got %v, want a conflict", i, errs[i])
			}
		}
	}
	// Whichever came first, the stored annotation is the update's.
	for p := range 4 {
		a, err := s.Annotation(ctx, ps[p].ID, users[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if a.Version != 2 || !a.Labels.Equal(second) {
			t.Errorf("paragraph %d: stored version %d %v, want version 2 %v", p, a.Version, a.Labels, second)
		}
	}
	// Every stored annotation has exactly the history its version says:
	// one create and version-1 updates, the last one after its labels.
	for pi, p := range ps[:12] {
		h, err := historyOf(s, ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		for ui, u := range users {
			a, err := s.Annotation(ctx, p.ID, u.ID)
			if annotate.ErrorCode(err) == annotate.ENOTFOUND {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			var creates, updates int
			var last annotate.Change
			for _, c := range h {
				if c.Entity == "annotation" && c.EntityID == a.ID {
					switch c.Action {
					case "create":
						creates++
					case "update":
						updates++
					}
					last = c
				}
			}
			if creates != 1 || updates != a.Version-1 {
				t.Errorf("paragraph %d, user %d: version %d with %d creates and %d updates in the history", pi, ui, a.Version, creates, updates)
			}
			var after annotate.Labels
			if err := json.Unmarshal([]byte(last.After), &after); err != nil || !after.Equal(a.Labels) {
				t.Errorf("paragraph %d, user %d: last history row holds %s, the annotation %v", pi, ui, last.After, a.Labels)
			}
		}
	}
	// The paragraphs' counts of annotators follow the annotations.
	for pi, p := range ps[:12] {
		want := 0
		for _, u := range users {
			if _, err := s.Annotation(ctx, p.ID, u.ID); err == nil {
				want++
			}
		}
		got := annotatorCount(t, s, p.ID)
		if got != want {
			t.Errorf("paragraph %d: count of annotators %d, want %d", pi, got, want)
		}
	}
	if annotatetest.Postgres() {
		statements, batched := s.SaveBatchesForTest()
		statements, batched = statements-statements0, batched-batched0
		if batched <= statements {
			t.Errorf("%d saves went in %d statements: none shared one", batched, statements)
		}
		t.Logf("%d saves in %d batch statements", batched, statements)
	}
}

// annotatorCount returns the count of annotators a paragraph carries.
func annotatorCount(t *testing.T, s *annotate.Store, paragraphID int64) int {
	t.Helper()
	var n int
	if err := s.GormForTest().Raw("SELECT annotators FROM paragraphs WHERE id = ?", paragraphID).Row().Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
