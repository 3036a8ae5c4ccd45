package annotate_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

// TestDisagreementQueueAfterWrites checks that the queue a store keeps and
// brings up to date after each write (ranking again only the paragraphs the
// writes touched) is the queue a store with nothing in memory ranks from
// scratch: after labels that make and settle disputes, a gold label, a
// confirmed flag, a skip and a note, and a re-import.
func TestDisagreementQueueAfterWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := annotatetest.DSN(t)
	kept, err := annotate.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kept.Close() })
	annotatetest.ApplyDefaultSchema(t, kept)
	var paras []string
	for i := range 8 {
		paras = append(paras, fmt.Sprintf("Paragraph %d of the story.", i))
	}
	res, err := kept.ImportDocument(ctx, 0, annotate.Source{Key: "story.txt", Title: "Story", Text: []byte(strings.Join(paras, "\n\n"))})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := kept.Paragraphs(ctx, res.DocumentID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var users []int64
	for _, n := range []string{"ann1", "ann2", "rev"} {
		u, err := kept.CreateUser(ctx, 0, n, annotate.RoleAnnotator, "")
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, u.ID)
	}
	versions := map[[2]int64]int{}
	save := func(u int64, p int, stance string) {
		t.Helper()
		key := [2]int64{u, ps[p].ID}
		if _, err := kept.SaveAnnotation(ctx, u, ps[p].ID, versions[key], annotate.Labels{"stance": {stance}, "topic": {"strike"}}); err != nil {
			t.Fatal(err)
		}
		versions[key]++
	}
	for p := range 8 {
		save(users[0], p, "agree")
		save(users[1], p, []string{"agree", "disagree"}[p%2])
	}
	queue := func(s *annotate.Store, f annotate.DisagreementFilter) string {
		t.Helper()
		var ids []string
		f.Limit = 100
		page, err := s.DisagreementQueue(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page.Items {
			ids = append(ids, fmt.Sprintf("%d:%.2f", d.Paragraph.ID, d.Disputed))
		}
		return fmt.Sprintf("%d %v", page.Total, ids)
	}
	check := func(what string) {
		t.Helper()
		fresh, err := annotate.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer fresh.Close()
		for _, f := range []annotate.DisagreementFilter{{}, {IncludeResolved: true}} {
			if got, want := queue(kept, f), queue(fresh, f); got != want {
				t.Errorf("after %s (resolved too: %v): the kept queue is %s, ranked afresh %s", what, f.IncludeResolved, got, want)
			}
		}
	}
	check("the first labels")
	save(users[1], 1, "agree")
	check("a dispute settled")
	save(users[1], 2, "unrelated")
	save(users[2], 4, "discuss")
	check("new disputes")
	if _, err := kept.SetGold(ctx, users[2], ps[3].ID, 0, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}, "adjudicated"); err != nil {
		t.Fatal(err)
	}
	check("a gold label")
	c, err := kept.Flag(ctx, users[0], ps[5].ID, annotate.CurationNotRelevant, "off topic")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kept.DecideCurations(ctx, users[2], []int64{c.ID}, annotate.StatusConfirmed); err != nil {
		t.Fatal(err)
	}
	check("a confirmed flag")
	if _, err := kept.SkipParagraph(ctx, users[2], ps[6].ID, "unsure"); err != nil {
		t.Fatal(err)
	}
	if _, err := kept.AddNote(ctx, users[0], ps[7].ID, "hard one"); err != nil {
		t.Fatal(err)
	}
	check("a skip and a note")
	if err := kept.DeleteAnnotation(ctx, users[1], ps[7].ID, versions[[2]int64{users[1], ps[7].ID}]); err != nil {
		t.Fatal(err)
	}
	check("an annotation removed")
	paras[0] = "Paragraph 0 of the story, revised."
	if _, err := kept.ImportDocument(ctx, 0, annotate.Source{Key: "story.txt", Title: "Story", Text: []byte(strings.Join(paras, "\n\n"))}); err != nil {
		t.Fatal(err)
	}
	check("a re-import")
}
