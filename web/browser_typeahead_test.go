package web_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"concord/annotate"
)

// TestBrowserTypeAheadFetches types into the event box of an annotator
// who typed more values than the page carries: the values beyond the
// page's 50 come from the server as they type (never another annotator's
// pending one), a fetched one is picked with the keyboard and saved, the
// arrows still move through the list, and after a reload the saved
// values, which are not among the page's 50, read back.
func TestBrowserTypeAheadFetches(t *testing.T) {
	env := browserServer(t)
	u := browserUser(t, env, "typist", annotate.RoleAnnotator)
	other := browserUser(t, env, "other", annotate.RoleAnnotator)
	// 61 values typed once each: the page carries the oldest 50.
	typeEvents(t, env.Store, u, append(numbered("Event number %02d", 60), "Zebra crossing protest in Antwerp"))
	typeEvents(t, env.Store, other, []string{"Zebra crossing of another annotator"})

	ctx := browserTab(t, 90*time.Second)
	browserLogin(t, ctx, env, "typist")
	browserDo(t, ctx, chromedp.Navigate(env.URL+"/annotate"))
	browserWait(t, ctx, "the first paragraph", `document.getElementById('para-text').textContent.length > 0`)
	if n := browserEval[int](t, ctx, `(function(){ var b = JSON.parse(document.getElementById('boot').textContent); return b.open_values_more.event ? b.open_values.event.length : -1; })()`); n != 50 {
		t.Fatalf("the page carries %d event values (-1: and says there are no more), want 50 and more", n)
	}
	items := func() []string {
		return browserEval[[]string](t, ctx, `Array.prototype.map.call(document.querySelectorAll('.combo-list li'), function (li) { return li.textContent; })`)
	}
	active := `(document.querySelector('.combo-list li[aria-selected=true]') || {}).textContent`

	// The first paragraph: "zebra" finds the annotator's own value on the
	// server, not the other annotator's; Enter picks it.
	first := browserParagraph(t, ctx)
	browserDo(t, ctx, browserKeys("1", "q", "/"), chromedp.KeyEvent("zebra"))
	browserWait(t, ctx, "the fetched value", `Array.prototype.some.call(document.querySelectorAll('.combo-list li'), function (li) { return li.textContent === 'Zebra crossing protest in Antwerp'; })`)
	if got := items(); !slices.Equal(got, []string{"Zebra crossing protest in Antwerp", "+ Add a new event: “zebra”"}) {
		t.Errorf("the list for \"zebra\" = %q, want the fetched value and the new one", got)
	}
	if got := browserEval[string](t, ctx, active); got != "Zebra crossing protest in Antwerp" {
		t.Errorf("the active item is %q, want the fetched value", got)
	}
	browserShot(t, ctx, browserShotDir(t), "annotate-typeahead-fetched")
	browserDo(t, ctx, chromedp.KeyEvent(kb.Enter))
	browserWait(t, ctx, "the value to be picked", `(document.querySelector('.combo-value strong') || {}).textContent === 'Zebra crossing protest in Antwerp'`)
	browserDo(t, ctx, chromedp.KeyEvent(kb.Enter))
	browserWait(t, ctx, "the next paragraph", `Number(document.getElementById('para-box').dataset.paragraph) !== `+itoa(first))

	// The second: ten fetched values; the arrows move through them.
	second := browserParagraph(t, ctx)
	browserDo(t, ctx, browserKeys("2", "w", "/"), chromedp.KeyEvent("EVENT NUMBER 5"))
	browserWait(t, ctx, "the ten fetched values", `document.querySelectorAll('.combo-list li').length === 11`)
	browserDo(t, ctx, chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.ArrowUp))
	browserShot(t, ctx, browserShotDir(t), "annotate-typeahead-arrows")
	if got := browserEval[string](t, ctx, active); got != "Event number 52" {
		t.Errorf("after down, down, down, up the active item is %q, want Event number 52", got)
	}
	browserDo(t, ctx, chromedp.KeyEvent(kb.Enter))
	browserWait(t, ctx, "the value to be picked", `(document.querySelector('.combo-value strong') || {}).textContent === 'Event number 52'`)
	browserDo(t, ctx, chromedp.KeyEvent(kb.Enter))
	browserWait(t, ctx, "the next paragraph", `Number(document.getElementById('para-box').dataset.paragraph) !== `+itoa(second))
	browserPendingDone(t, ctx)

	var lookups int
	for _, r := range env.Requests() {
		if strings.HasPrefix(r, "GET /api/v1/schema/open-values/suggest?dimension=event&q=") {
			lookups++
		}
	}
	// Typing pauses only at the end of "zebra" and "EVENT NUMBER 5" in a
	// test; a person's pauses send a few more.
	if lookups == 0 || lookups > 2*len("EVENT NUMBER 5zebra") {
		t.Errorf("%d lookups for two words typed, want one or a few", lookups)
	}

	ctxb := context.Background()
	for id, want := range map[int64]string{first: "Zebra crossing protest in Antwerp", second: "Event number 52"} {
		a, err := env.Store.Annotation(ctxb, id, u.ID)
		if err != nil {
			t.Fatalf("annotation of %d: %v", id, err)
		}
		if got := a.Labels["event"]; len(got) != 1 || got[0] != want {
			t.Errorf("paragraph %d: stored event %q, want %q", id, got, want)
		}
	}

	// After a reload both read back, though neither is among the page's
	// values.
	browserDo(t, ctx, chromedp.Reload())
	browserWait(t, ctx, "the page after reload", `document.getElementById('para-text').textContent.length > 0`)
	if got := browserEval[bool](t, ctx, `JSON.parse(document.getElementById('boot').textContent).open_values.event.indexOf('Event number 52') >= 0`); got {
		t.Fatal("the page carries Event number 52; the test wants a value beyond the 50")
	}
	for _, want := range []struct {
		id    int64
		event string
	}{{second, "Event number 52"}, {first, "Zebra crossing protest in Antwerp"}} {
		browserDo(t, ctx, chromedp.KeyEvent(kb.Backspace))
		browserWait(t, ctx, "going back", `Number(document.getElementById('para-box').dataset.paragraph) === `+itoa(want.id))
		if got := browserEval[string](t, ctx, `(document.querySelector('.combo-value strong') || {}).textContent`); got != want.event {
			t.Errorf("paragraph %d after reload shows event %q, want %q", want.id, got, want.event)
		}
	}
}

// TestBrowserAdjudicateTypeAheadFetches types into the event box of the
// adjudication page, whose list holds the 50 most typed values: the
// others that begin with what is typed join the list from the server.
func TestBrowserAdjudicateTypeAheadFetches(t *testing.T) {
	env := browserServer(t)
	agreeBrowserWork(t, env)
	u := browserUser(t, env, "typist", annotate.RoleAnnotator)
	typeEvents(t, env.Store, u, append(numbered("Event number %02d", 60), "Zebra crossing protest in Antwerp"))
	browserUser(t, env, "rita", annotate.RoleReviewer)
	ctx := browserTab(t, 60*time.Second)
	browserLogin(t, ctx, env, "rita")
	browserDo(t, ctx, chromedp.Navigate(env.URL+"/adjudicate"))
	browserWait(t, ctx, "the first paragraph", `document.querySelectorAll('#adj-cols thead th').length > 0`)
	if n := browserEval[int](t, ctx, `document.querySelectorAll('#adj-list-event option').length`); n >= 50+61 {
		t.Fatalf("the page's list holds %d values, want the options and 50", n)
	}
	browserDo(t, ctx, chromedp.Focus(chromedp.ID("adj-open-event")), chromedp.KeyEvent("zebra"))
	browserWait(t, ctx, "the fetched value in the list", `!!document.querySelector('#adj-list-event option[value="Zebra crossing protest in Antwerp"]')`)
}
