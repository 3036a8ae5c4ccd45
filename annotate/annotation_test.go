package annotate_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

var (
	agree   = annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}
	discuss = annotate.Labels{"stance": {"discuss"}, "topic": {"media", "strike"}}
)

func TestSaveAnnotationVersions(t *testing.T) {
	t.Parallel()
	s := annotatetest.Seeded(t)
	ctx := context.Background()
	u := mustUser(t, s, "alice", annotate.RoleAnnotator)
	q, _ := s.Queue(ctx, u.ID, annotate.QueueOptions{})
	pid := q[0].ID

	a, err := s.SaveAnnotation(ctx, u.ID, pid, 0, agree)
	if err != nil || a.Version != 1 {
		t.Fatalf("create: %+v %v, want version 1", a, err)
	}
	// An identical write with a stale version is a no-op, not a conflict.
	same, err := s.SaveAnnotation(ctx, u.ID, pid, 0, annotate.Labels{"stance": {"Agree"}, "topic": {"strike"}})
	if err != nil || same.Version != 1 {
		t.Errorf("identical retry: %+v %v, want version 1", same, err)
	}
	_, err = s.SaveAnnotation(ctx, u.ID, pid, 0, discuss)
	var e *annotate.Error
	if !errors.As(err, &e) || e.Code != annotate.ECONFLICT || e.Field != "version" {
		t.Fatalf("stale write: %v, want ECONFLICT on version", err)
	}
	if cur, ok := e.Current.(*annotate.Annotation); !ok || cur.Version != 1 || !cur.Labels.Equal(agree) {
		t.Errorf("conflict current = %#v, want the stored version 1", e.Current)
	}
	b, err := s.SaveAnnotation(ctx, u.ID, pid, 1, discuss)
	if err != nil || b.Version != 2 || !b.Labels.Equal(discuss) {
		t.Fatalf("update: %+v %v, want version 2", b, err)
	}
	if _, err := s.SaveAnnotation(ctx, u.ID, pid, 1, agree); !errors.Is(err, annotate.ErrConflict) {
		t.Errorf("write against version 1 after version 2: %v, want ECONFLICT", err)
	}
	if _, err := s.SaveAnnotation(ctx, u.ID, pid, -1, agree); !errors.Is(err, annotate.ErrInvalid) {
		t.Errorf("negative version: %v, want EINVALID", err)
	}
	if _, err := s.SaveAnnotation(ctx, u.ID, 999999, 0, agree); !errors.Is(err, annotate.ErrNotFound) {
		t.Errorf("unknown paragraph: %v, want ENOTFOUND", err)
	}
	if _, err := s.SaveAnnotation(ctx, u.ID, pid, 2, annotate.Labels{"stance": {"maybe"}, "topic": {"strike"}}); !errors.Is(err, annotate.ErrInvalid) {
		t.Errorf("bad label: %v, want EINVALID", err)
	}
	// A user the database does not hold (removed, or an id from a
	// script gone wrong) is the caller's mistake, not the server's.
	before := count(t, s, "SELECT count(*) FROM annotations")
	if _, err := s.SaveAnnotation(ctx, 987654, pid, 0, agree); !errors.Is(err, annotate.ErrInvalid) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("a save by an unknown user: %v, want EINVALID saying what does not exist", err)
	}
	if after := count(t, s, "SELECT count(*) FROM annotations"); after != before {
		t.Errorf("a save by an unknown user left %d annotations, there were %d", after, before)
	}
	h, err := historyOf(s, ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ action, before, after string }{
		{"create", "", `{"stance":["agree"],"topic":["strike"]}`},
		{"update", `{"stance":["agree"],"topic":["strike"]}`, `{"stance":["discuss"],"topic":["media","strike"]}`},
	}
	if len(h) != len(want) {
		t.Fatalf("history has %d rows, want %d: %+v", len(h), len(want), h)
	}
	for i, w := range want {
		if h[i].Action != w.action || string(h[i].Before) != w.before || string(h[i].After) != w.after || h[i].UserID != u.ID || h[i].Entity != "annotation" {
			t.Errorf("history %d = %s %s → %s, want %s %s → %s", i, h[i].Action, h[i].Before, h[i].After, w.action, w.before, w.after)
		}
	}

	// Delete needs the current version and keeps what it removed.
	if err := s.DeleteAnnotation(ctx, u.ID, pid, 1); !errors.Is(err, annotate.ErrConflict) {
		t.Errorf("delete with a stale version: %v, want ECONFLICT", err)
	}
	if err := s.DeleteAnnotation(ctx, u.ID, pid, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Annotation(ctx, pid, u.ID); !errors.Is(err, annotate.ErrNotFound) {
		t.Errorf("annotation after delete: %v, want ENOTFOUND", err)
	}
	if err := s.DeleteAnnotation(ctx, u.ID, pid, 2); !errors.Is(err, annotate.ErrNotFound) {
		t.Errorf("second delete: %v, want ENOTFOUND", err)
	}
	h, _ = historyOf(s, ctx, pid)
	if last := h[len(h)-1]; last.Action != "delete" || string(last.Before) != want[1].after {
		t.Errorf("delete history = %+v", last)
	}
	// After a delete, a write naming the old version is told to start again.
	if _, err := s.SaveAnnotation(ctx, u.ID, pid, 2, agree); !errors.Is(err, annotate.ErrConflict) {
		t.Errorf("write with version 2 after delete: %v, want ECONFLICT", err)
	}
	if a, err := s.SaveAnnotation(ctx, u.ID, pid, 0, agree); err != nil || a.Version != 1 {
		t.Errorf("re-create: %+v %v", a, err)
	}
}

func TestSkipAndNotes(t *testing.T) {
	t.Parallel()
	s := annotatetest.Seeded(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice", annotate.RoleAnnotator)
	bob := mustUser(t, s, "bob", annotate.RoleReviewer)
	q, _ := s.Queue(ctx, alice.ID, annotate.QueueOptions{Limit: 2})
	pid := q[0].ID
	remaining, _ := s.Remaining(ctx, alice.ID)

	if _, err := s.SkipParagraph(ctx, alice.ID, pid, "  "); !errors.Is(err, annotate.ErrInvalid) {
		t.Errorf("skip without reason: %v, want EINVALID", err)
	}
	if _, err := s.SkipParagraph(ctx, alice.ID, pid, "unclear"); err != nil {
		t.Fatal(err)
	}
	next, _ := s.Queue(ctx, alice.ID, annotate.QueueOptions{})
	if next[0].ID != q[1].ID {
		t.Errorf("queue after skip starts at %d, want %d", next[0].ID, q[1].ID)
	}
	if r, _ := s.Remaining(ctx, alice.ID); r != remaining-1 {
		t.Errorf("remaining after skip = %d, want %d", r, remaining-1)
	}
	// Labelling a skipped paragraph removes the skip.
	if _, err := s.SaveAnnotation(ctx, alice.ID, pid, 0, agree); err != nil {
		t.Fatal(err)
	}
	if got := count(t, s, "SELECT count(*) FROM skips WHERE paragraph_id = ? AND user_id = ?", pid, alice.ID); got != 0 {
		t.Errorf("skips after labelling = %d, want 0", got)
	}
	if got := count(t, s, "SELECT count(*) FROM history WHERE entity = 'skip' AND action = 'unskip' AND paragraph_id = ?", pid); got != 1 {
		t.Errorf("history rows for the skip taken back on labelling = %d, want 1", got)
	}
	// Unskip puts a paragraph back.
	if _, err := s.SkipParagraph(ctx, alice.ID, q[1].ID, "later"); err != nil {
		t.Fatal(err)
	}
	if err := s.UnskipParagraph(ctx, alice.ID, q[1].ID); err != nil {
		t.Fatal(err)
	}
	if next, _ := s.Queue(ctx, alice.ID, annotate.QueueOptions{}); next[0].ID != q[1].ID {
		t.Errorf("queue after unskip starts at %d, want %d", next[0].ID, q[1].ID)
	}
	if err := s.UnskipParagraph(ctx, alice.ID, q[1].ID); !errors.Is(err, annotate.ErrNotFound) {
		t.Errorf("unskip twice: %v, want ENOTFOUND", err)
	}

	// Notes: own only unless all.
	if _, err := s.AddNote(ctx, alice.ID, pid, "alice's note"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddNote(ctx, bob.ID, pid, "bob's note"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddNote(ctx, bob.ID, pid, " "); !errors.Is(err, annotate.ErrInvalid) {
		t.Errorf("empty note: %v, want EINVALID", err)
	}
	tests := []struct {
		user int64
		all  bool
		want []string
	}{
		{alice.ID, false, []string{"alice: alice's note"}},
		{bob.ID, false, []string{"bob: bob's note"}},
		{bob.ID, true, []string{"alice: alice's note", "bob: bob's note"}},
	}
	for _, tc := range tests {
		page, err := s.Notes(ctx, pid, tc.user, tc.all, annotate.ListQuery{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, n := range page.Notes {
			got = append(got, n.UserName+": "+n.Body)
		}
		if len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) || (len(got) > 1 && got[1] != tc.want[1]) {
			t.Errorf("notes for user %d all=%v = %q, want %q", tc.user, tc.all, got, tc.want)
		}
	}
}

func TestQueueOverlapAndCuration(t *testing.T) {
	t.Parallel()
	s := annotatetest.WithSchema(t)
	ctx := context.Background()
	res := mustImport(t, s, "a.txt", "Title\n\nOne is here.\n\nTwo is here.\n\nThree is here.")
	ps := currentParagraphs(t, s, res.DocumentID)
	a := mustUser(t, s, "a", annotate.RoleAnnotator)
	b := mustUser(t, s, "b", annotate.RoleAnnotator)
	c := mustUser(t, s, "c", annotate.RoleAnnotator)
	for _, u := range []*annotate.User{a, b} {
		if _, err := s.SaveAnnotation(ctx, u.ID, ps[0].ID, 0, agree); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.SaveAnnotation(ctx, a.ID, ps[1].ID, 0, agree); err != nil {
		t.Fatal(err)
	}
	ids := func(u *annotate.User, opt annotate.QueueOptions) []int64 {
		q, err := s.Queue(ctx, u.ID, opt)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, p := range q {
			out = append(out, p.ID)
		}
		return out
	}
	tests := []struct {
		name string
		user *annotate.User
		opt  annotate.QueueOptions
		want []int64
	}{
		{"third annotator skips a full paragraph", c, annotate.QueueOptions{Limit: 10}, []int64{ps[1].ID, ps[2].ID}},
		{"own labels left out", a, annotate.QueueOptions{Limit: 10}, []int64{ps[2].ID}},
		{"exclude", c, annotate.QueueOptions{Limit: 10, Exclude: []int64{ps[1].ID}}, []int64{ps[2].ID}},
		{"default limit 1", c, annotate.QueueOptions{}, []int64{ps[1].ID}},
		{"other document", c, annotate.QueueOptions{Limit: 10, DocumentID: res.DocumentID + 1}, nil},
	}
	for _, tc := range tests {
		if got := ids(tc.user, tc.opt); !equalIDs(got, tc.want) {
			t.Errorf("%s: queue = %v, want %v", tc.name, got, tc.want)
		}
	}
	if err := s.SetOverlap(ctx, 0, 3); err != nil {
		t.Fatal(err)
	}
	if got := ids(c, annotate.QueueOptions{Limit: 10}); !equalIDs(got, []int64{ps[0].ID, ps[1].ID, ps[2].ID}) {
		t.Errorf("overlap 3: queue = %v, want all three", got)
	}
	// A flag takes the paragraph out of its flagger's queue only; a
	// confirmed flag takes it out of everyone's; a dismissed one puts it
	// back in the flagger's.
	f, err := s.Flag(ctx, c.ID, ps[2].ID, annotate.CurationBoilerplate, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(c, annotate.QueueOptions{Limit: 10}); !equalIDs(got, []int64{ps[0].ID, ps[1].ID}) {
		t.Errorf("flagger's queue after their flag = %v, want the other two", got)
	}
	if got := ids(a, annotate.QueueOptions{Limit: 10}); !equalIDs(got, []int64{ps[2].ID}) {
		t.Errorf("another annotator's queue after a suggested flag = %v, want %v", got, ps[2].ID)
	}
	if n, err := s.DecideCurations(ctx, a.ID, []int64{f.ID}, annotate.StatusConfirmed); err != nil || n != 1 {
		t.Fatalf("confirm: %d %v", n, err)
	}
	if got := ids(a, annotate.QueueOptions{Limit: 10}); len(got) != 0 {
		t.Errorf("after confirming: another annotator's queue = %v, want empty", got)
	}
	if _, err := s.DecideCurations(ctx, a.ID, []int64{f.ID}, annotate.StatusDismissed); err != nil {
		t.Fatal(err)
	}
	if got := ids(c, annotate.QueueOptions{Limit: 10}); len(got) != 3 {
		t.Errorf("after dismissing: flagger's queue = %v, want three", got)
	}
	if got := ids(a, annotate.QueueOptions{Limit: 10}); !equalIDs(got, []int64{ps[2].ID}) {
		t.Errorf("after dismissing: another annotator's queue = %v, want %v", got, ps[2].ID)
	}
	if _, err := s.DecideCurations(ctx, a.ID, []int64{f.ID}, "maybe"); !errors.Is(err, annotate.ErrInvalid) {
		t.Errorf("unknown decision: %v, want EINVALID", err)
	}
	if _, err := s.DecideCurations(ctx, a.ID, []int64{f.ID, 99999}, annotate.StatusConfirmed); !errors.Is(err, annotate.ErrNotFound) {
		t.Errorf("unknown flag: %v, want ENOTFOUND", err)
	}
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDocumentsProgressAndContext(t *testing.T) {
	t.Parallel()
	s := annotatetest.WithSchema(t)
	ctx := context.Background()
	d1 := mustImport(t, s, "a.txt", "A\n\nOne is here.\n\nTwo is here.\n\nThree is here.\n\nFour is here.")
	d2 := mustImport(t, s, "b.txt", "B\n\nFive is here.\n\nSix is here.")
	p1 := currentParagraphs(t, s, d1.DocumentID)
	p2 := currentParagraphs(t, s, d2.DocumentID)
	a := mustUser(t, s, "a", annotate.RoleAnnotator)
	b := mustUser(t, s, "b", annotate.RoleAnnotator)
	// Document 1: p0 by a and b (done at overlap 2), p1 by a, p2 skipped
	// by a, p3 confirmed boilerplate. Document 2: p0 by b.
	save := func(u *annotate.User, pid int64) {
		if _, err := s.SaveAnnotation(ctx, u.ID, pid, 0, agree); err != nil {
			t.Fatal(err)
		}
	}
	save(a, p1[0].ID)
	save(b, p1[0].ID)
	save(a, p1[1].ID)
	save(b, p2[0].ID)
	if _, err := s.SkipParagraph(ctx, a.ID, p1[2].ID, "hard"); err != nil {
		t.Fatal(err)
	}
	f, err := s.Flag(ctx, b.ID, p1[3].ID, annotate.CurationNotRelevant, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DecideCurations(ctx, b.ID, []int64{f.ID}, annotate.StatusConfirmed); err != nil {
		t.Fatal(err)
	}
	docs, err := s.Documents(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	type prog struct{ paragraphs, excluded, done, annotations, mine, skipped int }
	want := []prog{{3, 1, 1, 3, 2, 1}, {2, 0, 0, 1, 0, 0}}
	if len(docs) != 2 {
		t.Fatalf("%d documents, want 2", len(docs))
	}
	for i, d := range docs {
		got := prog{d.Paragraphs, d.Excluded, d.Done, d.Annotations, d.Mine, d.Skipped}
		if got != want[i] {
			t.Errorf("document %d progress = %+v, want %+v", i, got, want[i])
		}
	}

	// Context: neighbours within the same revision.
	tests := []struct {
		id         int64
		prev, next int64
	}{
		{p1[0].ID, 0, p1[1].ID},
		{p1[1].ID, p1[0].ID, p1[2].ID},
		{p1[3].ID, p1[2].ID, 0},
		{p2[1].ID, p2[0].ID, 0},
	}
	for _, tc := range tests {
		pc, err := s.Context(ctx, tc.id)
		if err != nil {
			t.Fatal(err)
		}
		var prev, next int64
		if pc.Previous != nil {
			prev = pc.Previous.ID
		}
		if pc.Next != nil {
			next = pc.Next.ID
		}
		if prev != tc.prev || next != tc.next || pc.Paragraph.ID != tc.id {
			t.Errorf("context of %d: previous %d next %d, want %d and %d", tc.id, prev, next, tc.prev, tc.next)
		}
	}
	if pc, _ := s.Context(ctx, p1[3].ID); len(pc.Flags) != 1 || pc.Flags[0].Status != annotate.StatusConfirmed {
		t.Errorf("context flags = %+v, want the confirmed flag", pc.Flags)
	}
	if _, err := s.Context(ctx, 999999); !errors.Is(err, annotate.ErrNotFound) {
		t.Errorf("context of an unknown paragraph: %v, want ENOTFOUND", err)
	}
}

func TestSetGold(t *testing.T) {
	t.Parallel()
	s := annotatetest.Seeded(t)
	ctx := context.Background()
	r := mustUser(t, s, "rev", annotate.RoleReviewer)
	q, _ := s.Queue(ctx, r.ID, annotate.QueueOptions{})
	pid := q[0].ID
	g, err := s.SetGold(ctx, r.ID, pid, 0, agree, "majority")
	if err != nil || g.Version != 1 {
		t.Fatalf("first gold: %+v %v", g, err)
	}
	if _, err := s.SetGold(ctx, r.ID, pid, 0, discuss, "own"); !errors.Is(err, annotate.ErrConflict) {
		t.Errorf("stale gold: %v, want ECONFLICT", err)
	}
	if same, err := s.SetGold(ctx, r.ID, pid, 0, agree, "majority"); err != nil || same.Version != 1 {
		t.Errorf("identical gold retry: %+v %v", same, err)
	}
	g, err = s.SetGold(ctx, r.ID, pid, 1, discuss, "")
	if err != nil || g.Version != 2 || g.Method != "own" {
		t.Fatalf("second gold: %+v %v", g, err)
	}
	// The annotators' labels are untouched: there are none.
	if got := count(t, s, "SELECT count(*) FROM annotations WHERE paragraph_id = ?", pid); got != 0 {
		t.Errorf("gold wrote %d annotations", got)
	}
	h, _ := historyOf(s, ctx, pid)
	var actions []string
	for _, c := range h {
		if c.Entity == "gold" {
			actions = append(actions, c.Action)
		}
	}
	if len(actions) != 2 || actions[0] != "create" || actions[1] != "update" {
		t.Errorf("gold history = %v, want [create update]", actions)
	}
}

func TestOpenValues(t *testing.T) {
	t.Parallel()
	s := annotatetest.Seeded(t)
	ctx := context.Background()
	u := mustUser(t, s, "alice", annotate.RoleAnnotator)
	q, _ := s.Queue(ctx, u.ID, annotate.QueueOptions{Limit: 3})
	events := []string{"us-cities-security", "A brand  new event", " A brand new event"}
	for i, ev := range events {
		if _, err := s.SaveAnnotation(ctx, u.ID, q[i].ID, 0, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}, "event": {ev}}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := s.OpenValueReviews(ctx, annotate.OpenValueFilter{Dimension: "event"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range page.Values {
		got = append(got, v.Value)
	}
	// Options are not added; a value is kept once, normalized.
	if len(got) != 1 || got[0] != "A brand new event" {
		t.Errorf("open values = %q, want [A brand new event]", got)
	}
}

// TestSetGoldRefusesOldRevision checks that a gold label cannot be set on a
// paragraph of a revision that has been replaced: it would be invisible to
// exports and agreement.
func TestSetGoldRefusesOldRevision(t *testing.T) {
	t.Parallel()
	s := annotatetest.WithSchema(t)
	ctx := context.Background()
	first := mustImport(t, s, "doc.txt", "Title\n\nOne paragraph.\n\nAnother one.\n")
	old := currentParagraphs(t, s, first.DocumentID)
	mustImport(t, s, "doc.txt", "Title\n\nOne paragraph, changed.\n\nAnother one.\n")
	reviewer := mustUser(t, s, "rita", annotate.RoleReviewer)
	_, err := s.SetGold(ctx, reviewer.ID, old[0].ID, 0, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}, "own")
	if !errors.Is(err, annotate.ErrConflict) || !strings.Contains(err.Error(), "older revision") {
		t.Errorf("SetGold on an old revision: got %v, want a conflict naming the older revision", err)
	}
}

// TestContextsMatchContext checks that the batch form gives, in order, the
// same paragraph contexts as asking one by one, across documents and at the
// first and last paragraph of each.
func TestContextsMatchContext(t *testing.T) {
	t.Parallel()
	s := annotatetest.Seeded(t)
	ctx := context.Background()
	docs, err := s.Documents(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var batch []annotate.Paragraph
	for _, d := range docs {
		ps := currentParagraphs(t, s, d.ID)
		batch = append(batch, ps[len(ps)-1].Paragraph, ps[0].Paragraph, ps[1].Paragraph)
	}
	got, err := s.Contexts(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(batch) {
		t.Fatalf("got %d contexts, want %d", len(got), len(batch))
	}
	for i, p := range batch {
		want, err := s.Context(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("context %d (paragraph %d): got %+v, want %+v", i, p.ID, got[i], want)
		}
	}
	if got[0].Next != nil || got[1].Previous != nil || got[1].Next == nil || got[1].Next.ID != batch[2].ID {
		t.Errorf("neighbours at the document's ends are wrong: %+v %+v", got[0], got[1])
	}
}

// TestAnnotationsOf reads one user's annotations of several paragraphs at
// once: the same as reading each, without other users' labels or the
// paragraphs the user has not labelled.
func TestAnnotationsOf(t *testing.T) {
	t.Parallel()
	s := annotatetest.Seeded(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice", annotate.RoleAnnotator)
	bob := mustUser(t, s, "bob", annotate.RoleAnnotator)
	q, err := s.Queue(ctx, alice.ID, annotate.QueueOptions{Limit: 3})
	if err != nil || len(q) < 3 {
		t.Fatalf("queue: %d %v", len(q), err)
	}
	if _, err := s.SaveAnnotation(ctx, alice.ID, q[0].ID, 0, agree); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveAnnotation(ctx, alice.ID, q[1].ID, 0, discuss); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveAnnotation(ctx, bob.ID, q[2].ID, 0, agree); err != nil {
		t.Fatal(err)
	}
	got, err := s.AnnotationsOf(ctx, alice.ID, []int64{q[0].ID, q[1].ID, q[2].ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[q[2].ID] != nil {
		t.Fatalf("alice's annotations = %v, want paragraphs %d and %d only", got, q[0].ID, q[1].ID)
	}
	for _, pid := range []int64{q[0].ID, q[1].ID} {
		one, err := s.Annotation(ctx, pid, alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got[pid], one) {
			t.Errorf("paragraph %d: batch %+v, single %+v", pid, got[pid], one)
		}
	}
	if none, err := s.AnnotationsOf(ctx, alice.ID, nil); err != nil || len(none) != 0 {
		t.Errorf("no paragraphs: %v %v, want an empty map", none, err)
	}
}
