package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"concord/annotate"
)

// TestBrowserSaveWhileServerDown saves while the API answers 503, reloads
// the page, and checks that the save lands by itself once the API is back,
// exactly once.
func TestBrowserSaveWhileServerDown(t *testing.T) {
	env := browserServer(t)
	u := browserUser(t, env, "ann", annotate.RoleAnnotator)
	ctx := browserTab(t, 90*time.Second)
	browserLogin(t, ctx, env, "ann")
	browserDo(t, ctx, chromedp.Navigate(env.URL+"/annotate"))
	browserWait(t, ctx, "the first paragraph", `document.getElementById('para-text').textContent.length > 0`)
	pid := browserParagraph(t, ctx)

	env.APIDown.Store(true)
	browserDo(t, ctx, browserKeys("3", "u", kb.Enter))
	browserWait(t, ctx, "the next paragraph", `Number(document.getElementById('para-box').dataset.paragraph) !== `+itoa(pid))
	browserWait(t, ctx, "the pending count", `document.getElementById('pending').textContent.indexOf('Pending (1)') === 0`)
	if _, err := env.Store.Annotation(context.Background(), pid, u.ID); err == nil {
		t.Fatal("the save reached the store while the server was down")
	}
	// The pending count shows as soon as the save is queued; the first
	// attempt may reach the server a moment later.
	for deadline := time.Now().Add(30 * time.Second); env.Refused.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if env.Refused.Load() == 0 {
		t.Fatal("the page did not try to save while the server was down")
	}

	// A reload keeps the save: it is in localStorage, and the paragraph is
	// not offered again.
	browserDo(t, ctx, chromedp.Reload())
	browserWait(t, ctx, "the page after reload", `document.getElementById('para-text').textContent.length > 0`)
	browserWait(t, ctx, "the pending count after reload", `document.getElementById('pending').textContent.indexOf('Pending (1)') === 0`)
	if got := browserParagraph(t, ctx); got == pid {
		t.Errorf("after the reload the page offers paragraph %d again, whose save is pending", pid)
	}

	env.APIDown.Store(false)
	browserPendingDone(t, ctx)
	a, err := env.Store.Annotation(context.Background(), pid, u.ID)
	if err != nil {
		t.Fatalf("the save never landed: %v", err)
	}
	want := annotate.Labels{"stance": {"discuss"}, "topic": {"intelligence"}}
	if !a.Labels.Equal(want) || a.Version != 1 {
		t.Errorf("stored %v version %d, want %v version 1", a.Labels, a.Version, want)
	}
	hist, err := historyOf(env.Store, context.Background(), pid)
	if err != nil {
		t.Fatal(err)
	}
	creates := 0
	for _, h := range hist {
		if h.Entity == "annotation" {
			if h.Action != "create" {
				t.Errorf("unexpected history row %s %s", h.Entity, h.Action)
			}
			creates++
		}
	}
	if creates != 1 {
		t.Errorf("history has %d annotation rows, want one create", creates)
	}
	if hidden := browserEval[bool](t, ctx, `document.getElementById('pending').hidden`); !hidden {
		t.Error("the pending indicator is still shown after the save landed")
	}
}

// TestBrowserConflict makes the stored labels change behind the page's back
// and checks both answers of the conflict dialog.
func TestBrowserConflict(t *testing.T) {
	tests := []struct {
		name   string
		button string
		want   annotate.Labels
		ver    int
	}{
		{"keep mine", "#conflict-keep-mine", annotate.Labels{"stance": {"unrelated"}, "topic": {"media"}}, 3},
		{"keep stored", "#conflict-keep-stored", annotate.Labels{"stance": {"disagree"}, "topic": {"justice"}}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := browserServer(t)
			u := browserUser(t, env, "ann", annotate.RoleAnnotator)
			ctx := browserTab(t, 90*time.Second)
			browserLogin(t, ctx, env, "ann")
			browserDo(t, ctx, chromedp.Navigate(env.URL+"/annotate"))
			browserWait(t, ctx, "the first paragraph", `document.getElementById('para-text').textContent.length > 0`)
			pid := browserParagraph(t, ctx)
			browserDo(t, ctx, browserKeys("1", "q", kb.Enter))
			browserPendingDone(t, ctx)

			// Another tab changes the labels: version 2.
			if _, err := env.Store.SaveAnnotation(context.Background(), u.ID, pid, 1, annotate.Labels{"stance": {"disagree"}, "topic": {"justice"}}); err != nil {
				t.Fatal(err)
			}
			// Back to it, change it, save: the page still holds version 1.
			browserDo(t, ctx, chromedp.KeyEvent(kb.ArrowLeft))
			browserWait(t, ctx, "going back", `Number(document.getElementById('para-box').dataset.paragraph) === `+itoa(pid))
			browserDo(t, ctx, browserKeys("4", "q", "o", kb.Enter))
			browserWait(t, ctx, "the conflict dialog", `document.getElementById('conflict-dialog').open`)
			mine := browserEval[string](t, ctx, `document.getElementById('conflict-mine').textContent`)
			stored := browserEval[string](t, ctx, `document.getElementById('conflict-stored').textContent`)
			if !strings.Contains(mine, "Unrelated") || !strings.Contains(mine, "Media and site notices") || !strings.Contains(stored, "Disagree") || !strings.Contains(stored, "Courts and prosecution") {
				t.Errorf("dialog shows mine %q and stored %q", mine, stored)
			}
			browserDo(t, ctx, chromedp.Click(chromedp.CSS(tt.button)))
			browserPendingDone(t, ctx)
			a, err := env.Store.Annotation(context.Background(), pid, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !a.Labels.Equal(tt.want) || a.Version != tt.ver {
				t.Errorf("stored %v version %d, want %v version %d", a.Labels, a.Version, tt.want, tt.ver)
			}
			if open := browserEval[bool](t, ctx, `document.getElementById('conflict-dialog').open`); open {
				t.Error("the conflict dialog is still open")
			}
		})
	}
}
