package web_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"concord/annotate"
)

// phoneFits reports by how many pixels the page is wider than the screen.
const phoneOverflow = `document.documentElement.scrollWidth - window.innerWidth`

// TestBrowserPhoneWidth visits every page at 360 px, as an admin and the
// annotator's pages as an annotator: no page scrolls sideways, the
// navigation folds into a menu that the keyboard opens and closes, wide
// tables scroll in their box with the first column kept, the import result
// shows its problem, and the confusion matrices fit their cards (at 1440 px
// too).
func TestBrowserPhoneWidth(t *testing.T) {
	env := browserServer(t)
	doc, _ := browserSeedWork(t, env)
	agreeBrowserWork(t, env)
	admin := browserUser(t, env, "ada", annotate.RoleAdmin)
	bad := filepath.Join(t.TempDir(), "notes.pdf")
	if err := os.WriteFile(bad, []byte("%PDF-1.4"), 0o644); err != nil {
		t.Fatal(err)
	}

	type page struct {
		name, path, ready string
		act               func(ctx context.Context)
	}
	annotatorPages := []page{
		{"home", "/", ".docs", nil},
		{"annotate", "/annotate", "#para-text:not(:empty), #done:not([hidden])", nil},
		{"annotate-document", "/annotate?document=" + itoa(doc), "#para-text:not(:empty), #done:not([hidden])", nil},
		{"account", "/account", "#a-current", nil},
		{"not-found", "/no/such/page", ".error-page", nil},
	}
	adminPages := append(annotatorPages[:len(annotatorPages):len(annotatorPages)],
		page{"review", "/review", "table", nil},
		page{"review-document", "/review/documents/" + itoa(doc), ".rv-para", nil},
		page{"agreement", "/agreement", "svg.heatmap", nil},
		page{"agreement-pair", "/agreement?a=ann1&b=ann3", "table.confusion", nil},
		page{"adjudicate", "/adjudicate", "#adj-cols thead th", nil},
		page{"export", "/export", "#export-form", nil},
		page{"admin-users", "/admin/users", "table", nil},
		page{"admin-user", "/admin/users/" + itoa(admin.ID), "h2", nil},
		page{"admin-import", "/admin/import", "#files", func(ctx context.Context) {
			browserDo(t, ctx, chromedp.SetUploadFiles(chromedp.ID("files"), []string{bad}), chromedp.Submit(chromedp.ID("files")), chromedp.WaitVisible(chromedp.CSS("table.report")))
		}},
		page{"admin-schema", "/admin/schema", "textarea", nil},
		page{"admin-settings", "/admin/settings", "#overlap", nil},
		page{"admin-curation", "/admin/curation?status=all", "table", nil},
	)

	visit := func(ctx context.Context, who string, pages []page) {
		for _, p := range pages {
			t.Logf("%s: %s", who, p.name)
			browserDo(t, ctx, chromedp.Navigate(env.URL+p.path), chromedp.WaitVisible(chromedp.CSS(p.ready)))
			if p.act != nil {
				p.act(ctx)
			}
			if over := browserEval[int64](t, ctx, phoneOverflow); over > 0 {
				wide := browserEval[string](t, ctx, `Array.from(document.querySelectorAll('body *')).filter(function(e){ return e.getBoundingClientRect().right > window.innerWidth; }).slice(0, 5).map(function(e){ return e.tagName + '.' + e.className; }).join(', ')`)
				t.Errorf("%s, %s at 360 px: the page scrolls sideways by %d px (%s)", who, p.name, over, wide)
			}
		}
	}

	ann := browserTab(t, 3*time.Minute)
	browserDo(t, ann, chromedp.EmulateViewport(360, 780))
	browserLogin(t, ann, env, "ann")
	visit(ann, "annotator", annotatorPages)

	ctx := browserTab(t, 3*time.Minute)
	browserDo(t, ctx, chromedp.EmulateViewport(360, 780))
	browserLogin(t, ctx, env, "ada")
	visit(ctx, "admin", adminPages)

	// The menu: folded, opened from the keyboard, every link on the screen,
	// closed again with Escape.
	browserDo(t, ctx, chromedp.Navigate(env.URL+"/"), chromedp.WaitVisible(chromedp.CSS(".docs")))
	if !browserEval[bool](t, ctx, `!!document.getElementById('nav-toggle') && document.getElementById('nav-toggle').getBoundingClientRect().width > 0`) {
		t.Fatal("at 360 px there is no menu button")
	}
	if shown := browserEval[bool](t, ctx, `document.getElementById('main-nav').getBoundingClientRect().height > 0`); shown {
		t.Error("at 360 px the navigation shows before the menu is opened")
	}
	browserDo(t, ctx, chromedp.Focus(chromedp.ID("nav-toggle")), chromedp.KeyEvent(kb.Enter))
	browserWait(t, ctx, "the open menu", `document.getElementById('nav-toggle').getAttribute('aria-expanded') === 'true'`)
	links := browserEval[[]string](t, ctx, `Array.from(document.querySelectorAll('#main-nav a')).filter(function (a) {
		var r = a.getBoundingClientRect(); return r.width > 0 && r.left >= 0 && r.right <= window.innerWidth && r.bottom <= window.innerHeight;
	}).map(function (a) { return a.textContent; })`)
	if len(links) != 6 {
		t.Errorf("the open menu shows %v on the screen, want the six links up to Admin", links)
	}
	if f := browserEval[string](t, ctx, `document.activeElement.textContent`); f != "Home" {
		t.Errorf("opening the menu put the focus on %q, want its first link", f)
	}
	browserDo(t, ctx, chromedp.KeyEvent(kb.Escape))
	browserWait(t, ctx, "the closed menu", `document.getElementById('nav-toggle').getAttribute('aria-expanded') === 'false' && document.activeElement.id === 'nav-toggle'`)
	browserDo(t, ctx, chromedp.KeyEvent(kb.Enter))
	browserWait(t, ctx, "the menu opened again", `document.getElementById('main-nav').getBoundingClientRect().height > 0`)
	browserDo(t, ctx, chromedp.Click(chromedp.CSS(`#main-nav a[href="/admin"]`)), chromedp.WaitVisible(chromedp.CSS(`.subnav`)))
	if path := browserEval[string](t, ctx, `location.pathname`); path != "/admin/users" {
		t.Errorf("the menu's Admin link led to %s", path)
	}

	// A wide table scrolls in its box and keeps its first column.
	browserDo(t, ctx, chromedp.Navigate(env.URL+"/admin/curation?status=all"), chromedp.WaitVisible(chromedp.CSS("table")))
	kept := browserEval[map[string]float64](t, ctx, `(function () {
		var w = document.querySelector('.table-wrap'), first = w.querySelector('tbody tr > :first-child');
		var before = first.getBoundingClientRect().left;
		w.scrollLeft = 200;
		return {scrolls: w.scrollWidth - w.clientWidth, moved: w.scrollLeft, shift: first.getBoundingClientRect().left - before};
	})()`)
	if kept["scrolls"] <= 0 || kept["moved"] <= 0 {
		t.Errorf("the curation table does not scroll in its box at 360 px: %v", kept)
	} else if kept["shift"] < -1 || kept["shift"] > 1 {
		t.Errorf("the first column moved %.0f px when the table scrolled, want it kept", kept["shift"])
	}

	// The import result shows the problem on the screen.
	browserDo(t, ctx, chromedp.Navigate(env.URL+"/admin/import"), chromedp.WaitVisible(chromedp.ID("files")),
		chromedp.SetUploadFiles(chromedp.ID("files"), []string{bad}), chromedp.Submit(chromedp.ID("files")), chromedp.WaitVisible(chromedp.CSS("table.report")))
	problem := browserEval[map[string]any](t, ctx, `(function () {
		var td = document.querySelector('table.report td.bad'), r = td.getBoundingClientRect();
		return {text: td.textContent, visible: r.width > 0 && r.left >= 0 && r.right <= window.innerWidth};
	})()`)
	if problem["visible"] != true || problem["text"] == "" {
		t.Errorf("the import result's problem is not on the screen at 360 px: %v", problem)
	}

	// The confusion matrices fit their cards, on a phone and a desktop.
	for _, width := range []int64{360, 1440} {
		browserDo(t, ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(env.URL+"/agreement?a=ann1&b=ann3"), chromedp.WaitVisible(chromedp.CSS("table.confusion")))
		over := browserEval[[]float64](t, ctx, `Array.from(document.querySelectorAll('table.confusion')).map(function (tb) {
			var w = tb.closest('.table-wrap'), card = tb.closest('.card');
			return Math.max(w.scrollWidth - w.clientWidth, tb.getBoundingClientRect().right - card.getBoundingClientRect().right);
		})`)
		if len(over) < 2 {
			t.Fatalf("at %d px the agreement page shows %d confusion matrices, want one per dimension with labels", width, len(over))
		}
		for i, o := range over {
			if o > 0 {
				t.Errorf("at %d px confusion matrix %d is %.0f px wider than its card", width, i+1, o)
			}
		}
	}
}
