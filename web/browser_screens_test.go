package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"concord/annotate"
)

// browserShotDir is where screenshots go: $CONCORD_SCREENSHOTS, or a
// temporary folder.
func browserShotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("CONCORD_SCREENSHOTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browserShot saves a full-page screenshot as dir/name.png.
func browserShot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := browserRun(t, ctx, "screenshot", chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if len(png) < 1000 {
		t.Fatalf("screenshot %s is only %d bytes", name, len(png))
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// browserSeedWork gives the review pages something to show: two
// annotators who agree on one paragraph and differ on another, a note and a
// flag.
func browserSeedWork(t *testing.T, env *browserEnv) (doc int64, paras []annotate.Paragraph) {
	t.Helper()
	ctx := context.Background()
	a := browserUser(t, env, "ann", annotate.RoleAnnotator)
	b := browserUser(t, env, "bob", annotate.RoleAnnotator)
	q, err := env.Store.Queue(ctx, a.ID, annotate.QueueOptions{Limit: 4})
	if err != nil || len(q) < 4 {
		t.Fatalf("queue: %v %d", err, len(q))
	}
	save := func(u *annotate.User, p int64, l annotate.Labels) {
		if _, err := env.Store.SaveAnnotation(ctx, u.ID, p, 0, l); err != nil {
			t.Fatalf("save: %v", err)
		}
	}
	save(a, q[0].ID, annotate.Labels{"stance": {"agree"}, "topic": {"homeland-security", "strike"}, "event": {"us-cities-security"}})
	save(b, q[0].ID, annotate.Labels{"stance": {"agree"}, "topic": {"homeland-security", "strike"}, "event": {"us-cities-security"}})
	save(a, q[1].ID, annotate.Labels{"stance": {"agree"}, "topic": {"iran-response"}, "event": {"iran-retaliation-threats"}})
	save(b, q[1].ID, annotate.Labels{"stance": {"discuss"}, "topic": {"iran-response", "us-iran-tensions"}, "event": {"Escalation in the Gulf"}})
	save(a, q[2].ID, annotate.Labels{"stance": {"unrelated"}, "topic": {"media"}})
	if _, err := env.Store.AddNote(ctx, b.ID, q[1].ID, "Reads like a threat to me, but it only quotes Iran's statement."); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Store.Flag(ctx, a.ID, q[3].ID, annotate.CurationBoilerplate, "photo credit"); err != nil {
		t.Fatal(err)
	}
	return q[0].DocumentID, q
}

// TestBrowserScreenshots takes a screenshot of every page in light and
// dark, 360 and 1440 pixels wide, and checks that no page scrolls sideways.
func TestBrowserScreenshots(t *testing.T) {
	env := browserServer(t)
	doc, paras := browserSeedWork(t, env)
	admin := browserUser(t, env, "ada", annotate.RoleAdmin)
	dir := browserShotDir(t)
	ctx := browserTab(t, 4*time.Minute)
	bad := filepath.Join(t.TempDir(), "notes.pdf")
	good := filepath.Join(t.TempDir(), "fresh-article.txt")
	if err := os.WriteFile(bad, []byte("%PDF-1.4"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, []byte("A fresh article\n\nIts first paragraph says little.\n\nIts second one says even less.\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	type variant struct {
		scheme string
		width  int64
	}
	variants := []variant{{"light", 1440}, {"dark", 1440}, {"light", 360}, {"dark", 360}}
	setup := func(v variant) {
		height := int64(900)
		if v.width < 500 {
			height = 780
		}
		browserDo(t, ctx, chromedp.EmulateViewport(v.width, height), browserScheme(v.scheme))
	}
	noSideScroll := func(name string) {
		t.Helper()
		over := browserEval[int64](t, ctx, `document.documentElement.scrollWidth - document.documentElement.clientWidth`)
		if over > 1 {
			wide := browserEval[string](t, ctx, `Array.from(document.querySelectorAll('body *')).filter(function(e){ var r = e.getBoundingClientRect(); return r.right > document.documentElement.clientWidth + 1; }).slice(0, 6).map(function(e){ return e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right); }).join(', ')`)
			t.Errorf("%s scrolls sideways by %d px: %s", name, over, wide)
		}
	}

	// Logged out first.
	for _, v := range variants {
		setup(v)
		suffix := fmt.Sprintf("-%s-%d", v.scheme, v.width)
		browserDo(t, ctx, chromedp.Navigate(env.URL+"/login"), chromedp.WaitVisible(chromedp.ID("login-name")))
		noSideScroll("login")
		browserShot(t, ctx, dir, "login"+suffix)
		browserDo(t, ctx,
			chromedp.SendKeys(chromedp.ID("login-name"), "ada"),
			chromedp.SendKeys(chromedp.ID("login-password"), "not the password"+kb.Enter),
			chromedp.WaitVisible(chromedp.CSS(".notice.bad")),
		)
		browserShot(t, ctx, dir, "login-error"+suffix)
	}
	browserLogin(t, ctx, env, "ada")

	conflict := fmt.Sprintf(`(function(){
		var op = {key: 'l%[1]d', kind: 'label', pid: %[1]d, labels: {stance: ['agree'], topic: ['strike']}, base: 1, sent: [], t: Date.now(),
			state: 'conflict', text: document.getElementById('para-text').textContent, position: 0, doc: document.getElementById('doc-title').textContent,
			current: {paragraph_id: %[1]d, version: 2, labels: {stance: 'discuss', topic: ['strike', 'terrorism'], event: 'soleimani-strike'}, updated_at: new Date().toISOString()}};
		localStorage.setItem('concord.outbox.%[2]d.l%[1]d', JSON.stringify(op));
		return true;
	})()`, paras[0].ID, admin.ID)

	// Suggestions on every paragraph, shown only by the suggest-* pages,
	// which set the mode and put it back to off.
	docs, err := env.Store.Documents(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		browserSuggest(t, env, d.ID, d.Paragraphs)
	}
	suggestMode := func(mode string) {
		if err := env.Store.SetSuggestionMode(context.Background(), 0, mode); err != nil {
			t.Fatal(err)
		}
	}
	suggestMode("off")

	pages := []struct {
		name  string
		path  string
		ready string
		act   func()
	}{
		{"home", "/", ".docs", nil},
		{"home-menu", "/", ".docs", func() { browserEval[bool](t, ctx, `(document.getElementById('nav-toggle').click(), true)`) }},
		{"annotate", "/annotate", "#para-text:not(:empty)", nil},
		{"annotate-help", "/annotate", "#para-text:not(:empty)", func() { browserDo(t, ctx, chromedp.KeyEvent("?")) }},
		{"annotate-missing", "/annotate", "#para-text:not(:empty)", func() { browserDo(t, ctx, chromedp.KeyEvent("q"), chromedp.KeyEvent(kb.Enter)) }},
		{"annotate-event", "/annotate", "#para-text:not(:empty)", func() { browserDo(t, ctx, chromedp.KeyEvent("/"), chromedp.KeyEvent("se")) }},
		{"annotate-skip", "/annotate", "#para-text:not(:empty)", func() { browserDo(t, ctx, chromedp.KeyEvent("s")) }},
		{"annotate-flag", "/annotate?document=" + itoa(doc), "#para-text:not(:empty)", func() { browserDo(t, ctx, chromedp.KeyEvent("f")) }},
		{"annotate-note", "/annotate", "#para-text:not(:empty)", func() { browserDo(t, ctx, chromedp.KeyEvent("n"), chromedp.KeyEvent("Check the date.")) }},
		{"annotate-conflict", "/annotate", "#para-text:not(:empty)", func() {
			browserEval[bool](t, ctx, conflict)
			browserDo(t, ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("conflict-dialog")))
		}},
		{"suggest-hint", "/annotate", "#para-text:not(:empty)", func() {
			suggestMode("hint")
			browserDo(t, ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(".sugg-chip")))
		}},
		{"suggest-prefill", "/annotate", "#para-text:not(:empty)", func() {
			suggestMode("prefill")
			browserDo(t, ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("sugg-banner")))
		}},
		{"review", "/review", "table", nil},
		{"review-document", "/review/documents/" + itoa(doc), ".rv-para", nil},
		{"admin-users", "/admin/users", "table", nil},
		{"admin-user", "/admin/users/" + itoa(admin.ID), "h2", nil},
		{"admin-import", "/admin/import", "#files", func() {
			browserDo(t, ctx, chromedp.SetUploadFiles(chromedp.ID("files"), []string{good, bad}), chromedp.Submit(chromedp.ID("files")), chromedp.WaitVisible(chromedp.CSS("table.report")))
		}},
		{"admin-schema", "/admin/schema", "textarea", nil},
		{"admin-settings", "/admin/settings", "#overlap", nil},
		{"admin-curation", "/admin/curation", "table", nil},
		{"export", "/export", "#export-form", nil},
		{"account", "/account", "#a-current", nil},
		{"not-found", "/no/such/page", ".error-page", nil},
		// Paged lists with a page after the one shown.
		{"paged-users", "/admin/users?limit=1", ".pager", nil},
		{"paged-curation", "/admin/curation?status=all&limit=1", ".pager", nil},
		{"paged-review-document", "/review/documents/" + itoa(doc) + "?limit=2", ".pager", nil},
		{"paged-agreement-search", "/agreement", "#ag-find", func() {
			browserDo(t, ctx, chromedp.Focus(chromedp.ID("ag-find")), chromedp.KeyEvent("the"))
			browserWait(t, ctx, "document matches", `document.querySelectorAll('#ag-find-list li[role=option]').length > 0`)
			browserDo(t, ctx, chromedp.KeyEvent(kb.Enter))
			browserWait(t, ctx, "a chosen document", `document.querySelectorAll('#ag-docs li').length === 1`)
			browserDo(t, ctx, chromedp.KeyEvent("s"))
			browserWait(t, ctx, "more matches", `!document.getElementById('ag-find-list').hidden`)
		}},
	}
	for _, v := range variants {
		setup(v)
		suffix := fmt.Sprintf("-%s-%d", v.scheme, v.width)
		for _, p := range pages {
			if os.Getenv("CONCORD_SCREENS_ONLY") != "" && !strings.HasPrefix(p.name, os.Getenv("CONCORD_SCREENS_ONLY")) {
				continue
			}
			t.Logf("page %s%s", p.name, suffix)
			browserDo(t, ctx, chromedp.Navigate(env.URL+p.path), chromedp.WaitVisible(chromedp.CSS(p.ready)))
			if p.act != nil {
				p.act()
			}
			browserDo(t, ctx, chromedp.Sleep(150*time.Millisecond)) // let transitions settle
			noSideScroll(p.name + suffix)
			browserShot(t, ctx, dir, p.name+suffix)
			if p.name == "annotate-conflict" {
				browserEval[bool](t, ctx, `(localStorage.clear(), true)`)
			}
			if strings.HasPrefix(p.name, "suggest-") {
				suggestMode("off")
			}
		}
	}
	t.Logf("screenshots in %s", dir)
}
