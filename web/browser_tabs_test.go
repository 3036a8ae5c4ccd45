package web_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"concord/annotate"
)

// outboxEntries counts the saves waiting in localStorage, over every tab.
const outboxEntries = `Object.keys(localStorage).filter(function (k) { return /^concord\.outbox\.\d+\.t\./.test(k); }).length`

// twoTabsOffline opens two tabs of ann on the same document, takes the
// server offline, and saves different labels of the same paragraph in
// each, tab A first; tab B also writes a note on the next paragraph. It
// returns the tabs, the paragraph and the note's paragraph. noLocks hides
// the Web Locks API from both tabs.
func twoTabsOffline(t *testing.T, env *browserEnv, noLocks bool) (a, b context.Context, pid, notePid int64) {
	t.Helper()
	u, err := env.Store.UserByName(context.Background(), "ann")
	if err != nil {
		t.Fatal(err)
	}
	docs, err := env.Store.Documents(context.Background(), u.ID)
	if err != nil || len(docs) == 0 {
		t.Fatalf("documents: %v %d", err, len(docs))
	}
	a = browserTab(t, 3*time.Minute)
	browserLogin(t, a, env, "ann")
	b = browserTabBeside(t, a)
	for _, tab := range []context.Context{a, b} {
		if noLocks {
			browserDo(t, tab, browserWithoutLocks())
		}
		browserDo(t, tab, chromedp.Navigate(env.URL+"/annotate?document="+itoa(docs[0].ID)))
		browserWait(t, tab, "the first paragraph", `document.getElementById('para-text').textContent.length > 0`)
	}
	pid = browserParagraph(t, a)
	if got := browserParagraph(t, b); got != pid {
		t.Fatalf("the two tabs show paragraphs %d and %d, want the same", pid, got)
	}

	env.Offline.Store(true)
	browserDo(t, a, browserKeys("1", "q", kb.Enter))
	browserWait(t, a, "tab A's pending save", `document.getElementById('pending').textContent.indexOf('Pending (1)') === 0`)
	browserDo(t, b, browserKeys("2", "w", kb.Enter))
	browserWait(t, b, "tab B's pending save", `document.getElementById('pending').textContent.indexOf('Pending (1)') === 0`)
	notePid = browserParagraph(t, b)
	browserDo(t, b, chromedp.KeyEvent("n"))
	browserWait(t, b, "the note dialog", `document.getElementById('note-dialog').open`)
	browserDo(t, b, chromedp.KeyEvent("Reads like boilerplate."), chromedp.KeyEvent(kb.Enter, chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	browserWait(t, b, "tab B's pending note", `document.getElementById('pending').textContent.indexOf('Pending (2)') === 0`)
	if noLocks && browserEval[bool](t, a, `!!navigator.locks`) {
		t.Fatal("the tab still has Web Locks")
	}
	// The header counts a save as pending as soon as it is made; its entry
	// reaches localStorage a moment later, once the tab holds its lock.
	browserWait(t, a, "the three pending entries in localStorage (one of tab A, two of tab B)", outboxEntries+` === 3`)
	if _, err := env.Store.Annotation(context.Background(), pid, u.ID); err == nil {
		t.Fatal("a save reached the store while the server was offline")
	}
	return a, b, pid, notePid
}

var (
	labelsA = annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}
	labelsB = annotate.Labels{"stance": {"disagree"}, "topic": {"iran-response"}}
)

// conflictShown reports whether tab shows the conflict dialog.
func conflictShown(t *testing.T, tab context.Context) bool {
	return browserEval[bool](t, tab, `document.getElementById('conflict-dialog').open`)
}

// checkConflict checks that tab's conflict dialog sets mine against the
// stored labels, and resolves it by keeping mine.
func checkConflict(t *testing.T, env *browserEnv, tab context.Context, pid int64, mine, stored annotate.Labels) {
	t.Helper()
	// The stance as the page names it: by its name where the page knows the
	// schema, by its key elsewhere.
	stance := func(text string) string {
		if l := strings.ToLower(text); strings.Contains(l, "disagree") {
			return "disagree"
		} else if strings.Contains(l, "agree") {
			return "agree"
		}
		return ""
	}
	gotMine := browserEval[string](t, tab, `document.getElementById('conflict-mine').textContent`)
	gotStored := browserEval[string](t, tab, `document.getElementById('conflict-stored').textContent`)
	if stance(gotMine) != mine["stance"][0] || stance(gotStored) != stored["stance"][0] {
		t.Errorf("the conflict dialog shows mine %q and stored %q, want %v against %v", gotMine, gotStored, mine, stored)
	}
	if head := browserEval[string](t, tab, `document.getElementById('conflict-para').textContent`); !strings.HasPrefix(head, "Paragraph ") || strings.Contains(head, "#") {
		t.Errorf("the conflict dialog names the paragraph %q, want its position", head)
	}
	browserDo(t, tab, chromedp.Click(chromedp.ID("conflict-keep-mine")))
	browserPendingDone(t, tab)
	u, _ := env.Store.UserByName(context.Background(), "ann")
	got, err := env.Store.Annotation(context.Background(), pid, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Labels.Equal(mine) || got.Version != 2 {
		t.Errorf("after keep mine the store holds %v version %d, want %v version 2", got.Labels, got.Version, mine)
	}
}

// checkOneNote checks that the note written offline was stored once.
func checkOneNote(t *testing.T, env *browserEnv, notePid int64) {
	t.Helper()
	u, _ := env.Store.UserByName(context.Background(), "ann")
	notes, err := notesOf(env.Store, context.Background(), notePid, u.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 1 || notes[0].Body != "Reads like boilerplate." {
		t.Errorf("the note's paragraph has %d notes (%v), want the one written offline", len(notes), notes)
	}
}

// TestBrowserTwoTabsOffline saves the same paragraph in two tabs of one
// annotator while the server is offline. When it is back, both saves are
// sent: the first is stored, the second meets it as a conflict in its tab.
func TestBrowserTwoTabsOffline(t *testing.T) {
	env := browserServer(t)
	u := browserUser(t, env, "ann", annotate.RoleAnnotator)
	a, b, pid, notePid := twoTabsOffline(t, env, false)

	env.Offline.Store(false)
	for _, tab := range []context.Context{a, b} {
		browserEval[bool](t, tab, `(Concord.outbox.retryNow(), true)`)
	}
	browserWait(t, a, "tab A's save to leave", `Concord.outbox.counts().queued === 0`)
	var second context.Context
	for deadline := time.Now().Add(20 * time.Second); second == nil && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, tab := range []context.Context{a, b} {
			if conflictShown(t, tab) {
				second = tab
			}
		}
	}
	if second == nil {
		t.Fatal("neither tab shows the conflict dialog")
	}
	other := a
	if second == a {
		other = b
	}
	if conflictShown(t, other) {
		t.Fatal("both tabs show the conflict dialog")
	}
	got, err := env.Store.Annotation(context.Background(), pid, u.ID)
	if err != nil {
		t.Fatalf("neither save was stored: %v", err)
	}
	mine, stored := labelsB, labelsA
	if second == a {
		mine, stored = labelsA, labelsB
	}
	if !got.Labels.Equal(stored) || got.Version != 1 {
		t.Fatalf("the store holds %v version %d, want the first tab's %v version 1", got.Labels, got.Version, stored)
	}
	checkConflict(t, env, second, pid, mine, stored)
	browserPendingDone(t, b)
	checkOneNote(t, env, notePid)
	if n := browserEval[int64](t, a, outboxEntries); n != 0 {
		t.Errorf("localStorage still holds %d pending entries", n)
	}
}

// TestBrowserOutboxRestart closes both tabs while their saves wait and
// opens the site again: every pending save of both tabs is replayed, in
// the order it was made, each once, and the later save of the paragraph
// shows the conflict dialog.
func TestBrowserOutboxRestart(t *testing.T) {
	for _, tt := range []struct {
		name    string
		both    bool // open both tabs at once after the restart
		noLocks bool // without Web Locks: heartbeats and claims instead
	}{{"one tab", false, false}, {"two tabs at once", true, false}, {"one tab without Web Locks", false, true}, {"two tabs at once without Web Locks", true, true}} {
		t.Run(tt.name, func(t *testing.T) {
			env := browserServer(t)
			u := browserUser(t, env, "ann", annotate.RoleAnnotator)
			a, b, pid, notePid := twoTabsOffline(t, env, tt.noLocks)
			// The tabs leave the site: their pages, and their locks, are gone.
			for _, tab := range []context.Context{a, b} {
				browserDo(t, tab, chromedp.Navigate("about:blank"))
			}
			env.Offline.Store(false)
			tabs := []context.Context{a}
			if tt.both {
				tabs = append(tabs, b)
			}
			var wg sync.WaitGroup
			errs := make([]error, len(tabs))
			for i, tab := range tabs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = chromedp.Do(tab, chromedp.Navigate(env.URL+"/"))
				}()
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			var second context.Context
			for deadline := time.Now().Add(30 * time.Second); second == nil && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
				for _, tab := range tabs {
					if browserEval[bool](t, tab, `!!document.getElementById('conflict-dialog') && document.getElementById('conflict-dialog').open`) {
						second = tab
					}
				}
			}
			if second == nil {
				keys := browserEval[string](t, a, `Object.keys(localStorage).join(' ') + ' | pending ' + JSON.stringify(Concord.outbox.pending().map(function (o) { return o.key + ':' + o.state; }))`)
				t.Fatalf("no tab shows the conflict dialog after the restart; localStorage and tab A's outbox: %s", keys)
			}
			for _, tab := range tabs {
				if tab != second && conflictShown(t, tab) {
					t.Fatal("two tabs show the conflict dialog: a save was replayed twice")
				}
			}
			got, err := env.Store.Annotation(context.Background(), pid, u.ID)
			if err != nil {
				t.Fatalf("no save was stored: %v", err)
			}
			mine, stored := labelsB, labelsA
			if tt.both && got.Labels.Equal(labelsB) {
				// Each tab may have taken over one of the two: either order.
				mine, stored = labelsA, labelsB
			}
			if !got.Labels.Equal(stored) || got.Version != 1 {
				t.Fatalf("the store holds %v version %d, want %v version 1 (tab A saved first)", got.Labels, got.Version, stored)
			}
			checkConflict(t, env, second, pid, mine, stored)
			for _, tab := range tabs {
				browserPendingDone(t, tab)
			}
			checkOneNote(t, env, notePid)
			hist, err := historyOf(env.Store, context.Background(), pid)
			if err != nil {
				t.Fatal(err)
			}
			var actions []string
			for _, h := range hist {
				if h.Entity == "annotation" {
					actions = append(actions, h.Action)
				}
			}
			if strings.Join(actions, ",") != "create,update" {
				t.Errorf("the paragraph's history is %v, want create,update", actions)
			}
			if n := browserEval[int64](t, a, outboxEntries); n != 0 {
				t.Errorf("localStorage still holds %d pending entries", n)
			}
		})
	}
}

// TestBrowserUndoRightAfterSave presses Enter and Ctrl+Z at once, ten
// times, with the save still waiting or on its way: undo waits for it or
// cancels it, never sends version 0, and leaves nothing stored.
func TestBrowserUndoRightAfterSave(t *testing.T) {
	env := browserServer(t)
	u := browserUser(t, env, "ann", annotate.RoleAnnotator)
	ctx := browserTab(t, 2*time.Minute)
	browserLogin(t, ctx, env, "ann")
	browserDo(t, ctx, chromedp.Navigate(env.URL+"/annotate"))
	browserWait(t, ctx, "the first paragraph", `document.getElementById('para-text').textContent.length > 0`)
	pid := browserParagraph(t, ctx)
	undoKey := chromedp.KeyEvent("z", chromedp.KeyModifiers(chromedp.ModifierCtrl))
	for i := 0; i < 10; i++ {
		// Every other round the server is slow, so the save is on its way
		// when undo comes.
		env.APIDelay.Store(int64(i%2) * int64(150*time.Millisecond))
		browserDo(t, ctx, browserKeys("1", "q"), chromedp.KeyEvent(kb.Enter), undoKey)
		browserWait(t, ctx, "the undo", `document.getElementById('save-state').textContent.indexOf('Undid') === 0 && Number(document.getElementById('para-box').dataset.paragraph) === `+itoa(pid))
		browserPendingDone(t, ctx)
		if msg := browserEval[string](t, ctx, `document.getElementById('save-state').textContent`); strings.Contains(msg, "Not saved") {
			t.Fatalf("round %d: %s", i+1, msg)
		}
	}
	env.APIDelay.Store(0)
	for _, r := range env.Requests() {
		if strings.Contains(r, "version=0") || (strings.HasPrefix(r, "DELETE") && !strings.Contains(r, "version=")) && strings.Contains(r, "/annotation") {
			t.Errorf("the page sent %s", r)
		}
	}
	if a, err := env.Store.Annotation(context.Background(), pid, u.ID); !errors.Is(err, annotate.ErrNotFound) {
		t.Errorf("after ten undos the store holds %v (%v), want nothing", a, err)
	}
	// Undo left the paragraph as it was: it can be saved as usual.
	browserDo(t, ctx, browserKeys("2", "w", kb.Enter))
	browserPendingDone(t, ctx)
	a, err := env.Store.Annotation(context.Background(), pid, u.ID)
	if err != nil || !a.Labels.Equal(labelsB) {
		t.Fatalf("the save after the undos stored %v, %v; want %v", a, err, labelsB)
	}
}
