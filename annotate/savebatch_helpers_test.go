package annotate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"concord/annotate"
	"concord/annotate/annotatetest"
	"concord/seeds"
)

// The batched-save tests make batches form with a row lock the test holds,
// never with sleeps: on PostgreSQL a save whose statement waits for the lock
// keeps a batch writer busy, and saves fired meanwhile wait in the batcher's
// queue until the test lets the lock go. SQLite has no batcher; there the
// same saves run one write after another and must end the same way.

// seededAt opens a store on dsn with the default schema and the seed corpus,
// closed when the test ends: for tests that close the store themselves and
// open the database again to look at what was written.
func seededAt(t *testing.T, dsn string) *annotate.Store {
	t.Helper()
	s, err := annotate.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	annotatetest.ApplyDefaultSchema(t, s)
	rep, err := s.ImportFS(context.Background(), seeds.FS, annotate.ImportOptions{})
	if err != nil || rep.Err() != nil {
		t.Fatalf("import seeds: %v %v", err, rep.Err())
	}
	return s
}

// seedParagraphs returns the current paragraphs of both seed documents.
func seedParagraphs(t *testing.T, s *annotate.Store) []annotate.ParagraphStatus {
	t.Helper()
	return append(currentParagraphs(t, s, 1), currentParagraphs(t, s, 2)...)
}

// labelsFor returns the n-th of 2,044 distinct label sets of the default
// schema, so that a save's labels tell it apart from its neighbours'.
func labelsFor(n int) annotate.Labels {
	stances := []string{"agree", "disagree", "discuss", "unrelated"}
	topics := []string{"strike", "iran-response", "us-iran-tensions", "homeland-security", "terrorism", "jewish-community", "intelligence", "justice", "media"}
	l := annotate.Labels{"stance": {stances[n%len(stances)]}}
	mask := (n/len(stances))%511 + 1
	for i, tp := range topics {
		if mask&(1<<i) != 0 {
			l["topic"] = append(l["topic"], tp)
		}
	}
	// The store keeps a multiple choice's values in alphabetical order.
	slices.Sort(l["topic"])
	return l
}

// holdParagraph locks a paragraph's row FOR UPDATE in a transaction of its
// own, as a re-import does, until release is called (PostgreSQL; on SQLite
// it does nothing).
func holdParagraph(t *testing.T, s *annotate.Store, paragraphID int64) (release func()) {
	t.Helper()
	if !annotatetest.Postgres() {
		return func() {}
	}
	w, _ := s.SQLForTest()
	tx, err := w.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("SELECT id FROM paragraphs WHERE id = $1 FOR UPDATE", paragraphID); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			if err := tx.Commit(); err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(release)
	return release
}

// lockWaiters returns how many of the database's sessions are waiting for a
// lock (PostgreSQL).
func lockWaiters(t *testing.T, s *annotate.Store) int {
	t.Helper()
	w, _ := s.SQLForTest()
	var n int
	if err := w.QueryRow("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitFor polls cond until it holds. Nothing is measured: the limit is
// only there to turn a hang into a failure that names what never happened.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitQueued waits until n saves more than before have entered the batch
// queue (PostgreSQL; on SQLite it returns at once).
func waitQueued(t *testing.T, s *annotate.Store, before int64, n int) {
	t.Helper()
	if !annotatetest.Postgres() {
		return
	}
	waitFor(t, fmt.Sprintf("%d saves to queue", n), func() bool { return s.SavesQueuedForTest()-before >= int64(n) })
}

// parkWriters fills every batch writer of s with a save whose statement
// waits for a lock on paragraphID, so that the saves fired next gather in
// the queue until release is called; release lets everything run and
// checks that the parked saves were written. On SQLite it does nothing.
func parkWriters(t *testing.T, s *annotate.Store, paragraphID int64) (release func()) {
	t.Helper()
	if !annotatetest.Postgres() {
		return func() {}
	}
	unlock := holdParagraph(t, s, paragraphID)
	var wg sync.WaitGroup
	errs := make([]error, annotate.SaveWritersForTest)
	for i := range annotate.SaveWritersForTest {
		u := mustUser(t, s, fmt.Sprintf("parked%d", i), annotate.RoleAnnotator)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.SaveAnnotation(context.Background(), u.ID, paragraphID, 0, labelsFor(i))
		}()
		// Each parked save goes in a statement of its own: the next one is
		// fired only once this one waits for the lock.
		waitFor(t, fmt.Sprintf("parked save %d to wait for the lock", i), func() bool { return lockWaiters(t, s) == i+1 })
	}
	return func() {
		unlock()
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("parked save %d: %v", i, err)
			}
		}
	}
}

// annotationHistory returns the history rows of one annotation, oldest
// first.
func annotationHistory(t *testing.T, s *annotate.Store, paragraphID, annotationID int64) []annotate.Change {
	t.Helper()
	h, err := historyOf(s, context.Background(), paragraphID)
	if err != nil {
		t.Fatal(err)
	}
	var out []annotate.Change
	for _, c := range h {
		if c.Entity == "annotation" && c.EntityID == annotationID {
			out = append(out, c)
		}
	}
	return out
}

// labelsOf decodes a history row's labels; "" is none.
func labelsOf(t *testing.T, j annotate.JSON) annotate.Labels {
	t.Helper()
	if j == "" || j == "null" {
		return nil
	}
	var l annotate.Labels
	if err := json.Unmarshal([]byte(j), &l); err != nil {
		t.Fatalf("history labels %s: %v", j, err)
	}
	return l
}

// annotationRows returns how many annotations a user has of a paragraph
// and how many history rows of annotations the paragraph has by that user.
func annotationRows(t *testing.T, s *annotate.Store, paragraphID, userID int64) (annotations, history int) {
	t.Helper()
	return count(t, s, "SELECT count(*) FROM annotations WHERE paragraph_id = ? AND user_id = ?", paragraphID, userID),
		count(t, s, "SELECT count(*) FROM history WHERE entity = 'annotation' AND paragraph_id = ? AND user_id = ?", paragraphID, userID)
}
