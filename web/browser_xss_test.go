package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"concord/annotate"
)

// TestBrowserMarkupIsText imports a document whose text holds markup and
// checks every page shows it as text and never runs it.
func TestBrowserMarkupIsText(t *testing.T) {
	env := browserServer(t)
	admin := browserUser(t, env, "ada", annotate.RoleAdmin)
	const script = `<script>window.__xss=1</script>`
	const img = `<img src=x onerror="window.__xss=1">`
	res, err := env.Store.ImportDocument(context.Background(), admin.ID, annotate.Source{
		Key:    "markup.txt",
		Title:  "Markup " + script,
		Source: "Test " + img,
		Text:   []byte("Markup " + script + "\n\nThe first paragraph holds " + script + " in its text.\n\nThe second one holds " + img + " too.\n\nThe third one is plain.\n"),
		Origin: "markup.txt",
	})
	if err != nil || res.Status != annotate.ImportCreated {
		t.Fatalf("import: %v %+v", err, res)
	}
	first := firstParagraph(t, env, res.DocumentID)
	if _, err := env.Store.AddNote(context.Background(), admin.ID, first, "Note with "+img); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Store.Flag(context.Background(), admin.ID, first+1, annotate.CurationNotRelevant, "reason "+script); err != nil {
		t.Fatal(err)
	}
	ctx := browserTab(t, 90*time.Second)
	browserLogin(t, ctx, env, "ada")
	pages := []struct{ path, ready string }{
		{"/", ".docs"},
		{"/annotate?document=" + itoa(res.DocumentID), "#para-text:not(:empty)"},
		{"/review/documents/" + itoa(res.DocumentID), ".rv-para"},
		{"/admin/curation?status=all", "h1"},
	}
	for _, p := range pages {
		browserDo(t, ctx, chromedp.Navigate(env.URL+p.path), chromedp.WaitVisible(chromedp.CSS(p.ready)), chromedp.Sleep(200*time.Millisecond))
		if ran := browserEval[bool](t, ctx, `typeof window.__xss !== 'undefined'`); ran {
			t.Errorf("%s: markup in the text ran", p.path)
		}
		if n := browserEval[int](t, ctx, `document.querySelectorAll('img').length`); n != 0 {
			t.Errorf("%s: %d img elements made from the text", p.path, n)
		}
		text := browserEval[string](t, ctx, `document.body.innerText`)
		if !strings.Contains(text, script) && !strings.Contains(text, img) {
			t.Errorf("%s: the markup is not shown as text", p.path)
		}
	}
	// On the annotation page, walk the paragraphs: each shows its markup as text.
	browserDo(t, ctx, chromedp.Navigate(env.URL+"/annotate?document="+itoa(res.DocumentID)))
	browserWait(t, ctx, "the first paragraph", `document.getElementById('para-text').textContent.length > 0`)
	seen := map[string]bool{}
	for range 4 {
		txt := browserEval[string](t, ctx, `document.getElementById('para-text').textContent`)
		seen[txt] = true
		browserDo(t, ctx, browserKeys("4", "o", "\r"))
		browserDo(t, ctx, chromedp.Sleep(50*time.Millisecond))
	}
	found := 0
	for txt := range seen {
		if strings.Contains(txt, script) || strings.Contains(txt, img) {
			found++
		}
	}
	if found < 2 {
		t.Errorf("the paragraphs with markup were not shown as text: %v", seen)
	}
	if ran := browserEval[bool](t, ctx, `typeof window.__xss !== 'undefined'`); ran {
		t.Error("markup ran on the annotation page")
	}
}

func firstParagraph(t *testing.T, env *browserEnv, doc int64) int64 {
	t.Helper()
	ps, err := env.Store.Paragraphs(context.Background(), doc, 0)
	if err != nil || len(ps) == 0 {
		t.Fatalf("paragraphs: %v", err)
	}
	return ps[0].ID
}
