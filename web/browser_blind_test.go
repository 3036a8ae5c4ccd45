package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"concord/annotate"
)

// browserFetch calls the API from the page, as the page's own scripts do,
// and returns the status and body.
func browserFetch(t *testing.T, ctx context.Context, path string) (int, string) {
	t.Helper()
	res, err := browserRun(t, ctx, "fetch "+path, chromedp.Evaluate[[]any](`fetch(`+"`"+path+"`"+`, {headers: {Accept: 'application/json'}}).then(function (r) { return r.text().then(function (b) { return [r.status, b]; }); })`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("fetch %s: %v", path, err)
	}
	return int(res[0].(float64)), res[1].(string)
}

// TestBrowserBlindAnnotators has two annotators label the same paragraph:
// neither sees the other's labels, on the page or through the API, and a
// reviewer sees both side by side.
func TestBrowserBlindAnnotators(t *testing.T) {
	env := browserServer(t)
	a := browserUser(t, env, "alice", annotate.RoleAnnotator)
	b := browserUser(t, env, "bruno", annotate.RoleAnnotator)
	browserUser(t, env, "rev", annotate.RoleReviewer)
	ctxA := browserTab(t, 90*time.Second)
	ctxB := browserTab(t, 90*time.Second)
	browserLogin(t, ctxA, env, "alice")
	browserLogin(t, ctxB, env, "bruno")

	browserDo(t, ctxA, chromedp.Navigate(env.URL+"/annotate"))
	browserWait(t, ctxA, "alice's first paragraph", `document.getElementById('para-text').textContent.length > 0`)
	pid := browserParagraph(t, ctxA)
	browserDo(t, ctxA, browserKeys("1", "q", "r", "/"), chromedp.KeyEvent("Harbor drone sighting"), browserKeys(kb.Enter, kb.Enter))
	browserPendingDone(t, ctxA)
	if _, err := env.Store.Flag(context.Background(), a.ID, pid, annotate.CurationDuplicate, "alice-flag-reason-zq"); err != nil {
		t.Fatal(err)
	}

	browserDo(t, ctxB, chromedp.Navigate(env.URL+"/annotate"))
	browserWait(t, ctxB, "bruno's first paragraph", `document.getElementById('para-text').textContent.length > 0`)
	if got := browserParagraph(t, ctxB); got != pid {
		t.Fatalf("bruno is offered paragraph %d, want %d (overlap 2)", got, pid)
	}
	checked := browserEval[int](t, ctxB, `document.querySelectorAll('#labels input:checked').length`)
	if checked != 0 {
		t.Errorf("bruno's form starts with %d options ticked; it must start empty", checked)
	}
	html := browserEval[string](t, ctxB, `document.documentElement.outerHTML`)
	// Nothing of alice's shows: not her name, her flag's reason nor the
	// event she typed (until a reviewer accepts it).
	for _, leak := range []string{"alice", "alice-flag-reason-zq", "harbor drone sighting"} {
		if strings.Contains(strings.ToLower(html), leak) {
			t.Errorf("bruno's annotation page shows %q", leak)
		}
	}
	// F shows bruno no flags (alice's is hers) and nothing to decide.
	browserDo(t, ctxB, browserKeys("f"))
	browserWait(t, ctxB, "the flag dialog", `document.getElementById('flag-dialog').open`)
	if got := browserEval[string](t, ctxB, `document.getElementById('flag-existing').hidden + ' ' + document.querySelectorAll('#flag-list button').length`); got != "true 0" {
		t.Errorf("bruno's flag dialog: existing hidden, buttons = %s; want true 0", got)
	}
	browserDo(t, ctxB, browserKeys(kb.Escape))
	if shown := browserEval[bool](t, ctxB, `!document.querySelector('.combo-value').hidden`); shown {
		t.Error("bruno's form starts with an event chosen")
	}
	if st, _ := browserFetch(t, ctxB, "/api/v1/paragraphs/"+itoa(pid)+"/annotation"); st != http.StatusNotFound {
		t.Errorf("bruno GET own annotation before labelling: %d, want 404", st)
	}
	if st, _ := browserFetch(t, ctxB, "/api/v1/paragraphs/"+itoa(pid)+"/annotations"); st != http.StatusForbidden {
		t.Errorf("bruno GET everyone's annotations: %d, want 403", st)
	}
	browserDo(t, ctxB, browserKeys("2", "w", kb.Enter))
	browserPendingDone(t, ctxB)

	// Alice sees only her own labels.
	st, body := browserFetch(t, ctxA, "/api/v1/paragraphs/"+itoa(pid)+"/annotation")
	if st != http.StatusOK || !strings.Contains(body, `"agree"`) || strings.Contains(body, "iran-response") {
		t.Errorf("alice GET own annotation: %d %s", st, body)
	}
	if st, _ := browserFetch(t, ctxA, "/api/v1/paragraphs/"+itoa(pid)+"/annotations"); st != http.StatusForbidden {
		t.Errorf("alice GET everyone's annotations: %d, want 403", st)
	}
	for _, u := range []*annotate.User{a, b} {
		if _, err := env.Store.Annotation(context.Background(), pid, u.ID); err != nil {
			t.Errorf("%s's labels are not stored: %v", u.Name, err)
		}
	}

	// The reviewer sees both, side by side, with the disagreement marked.
	ctxR := browserTab(t, 60*time.Second)
	browserLogin(t, ctxR, env, "rev")
	doc, err := env.Store.Paragraph(context.Background(), pid)
	if err != nil {
		t.Fatal(err)
	}
	browserDo(t, ctxR, chromedp.Navigate(env.URL+"/review/documents/"+itoa(doc.DocumentID)), chromedp.WaitVisible(chromedp.ID("p"+itoa(pid))))
	card := browserEval[string](t, ctxR, `document.getElementById('p`+itoa(pid)+`').textContent`)
	for _, want := range []string{"alice", "bruno", "Agree", "Disagree", "The strike on Soleimani", "Iran's response", "Harbor drone sighting", "disagreement"} {
		if !strings.Contains(card, want) {
			t.Errorf("the reviewer's view of paragraph %d lacks %q:\n%s", pid, want, card)
		}
	}
	differs := browserEval[int](t, ctxR, `document.querySelectorAll('#p`+itoa(pid)+` tr.differs').length`)
	if differs != 3 {
		t.Errorf("%d dimensions marked as differing, want 3", differs)
	}
}
