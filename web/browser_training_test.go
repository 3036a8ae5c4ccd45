package web_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"concord/annotate"
	"concord/web"
)

// TestBrowserTrainingAndLabelErrors: an admin presses Train now on the
// Built-in model page, which returns at once; once the background run
// ends the page shows the cross-validated figures, and a reviewer pages
// through the likely label errors and opens one on the review page.
func TestBrowserTrainingAndLabelErrors(t *testing.T) {
	st := seededTestStore(t)
	trainer := annotate.NewTrainer(st, nil)
	srv := httptest.NewServer(web.New(st, web.Config{Trainer: trainer}).Handler())
	t.Cleanup(srv.Close)
	env := &browserEnv{Store: st, URL: srv.URL}
	browserUser(t, env, "boss", annotate.RoleAdmin)
	browserUser(t, env, "rita", annotate.RoleReviewer)
	e := &apiEnv{t: t, store: st, users: map[string]*annotate.User{}}
	rev, err := st.UserByName(context.Background(), "rita")
	if err != nil {
		t.Fatal(err)
	}
	e.users["rev"] = rev
	goldEveryParagraph(t, e)

	tab := browserTab(t, 2*time.Minute)
	browserLogin(t, tab, env, "boss")
	browserDo(t, tab, chromedp.Navigate(srv.URL+"/admin/model"), chromedp.WaitVisible(chromedp.ID("train-now")))
	if text := browserEval[string](t, tab, `document.getElementById("model-latest").innerText`); !strings.Contains(text, "No run yet") {
		t.Fatalf("before training:\n%s", text)
	}
	// The run goes on after the test has its answer; it must end before
	// the store closes.
	t.Cleanup(func() {
		waitUntil(t, "the training run to end", func() bool { return !trainer.Status().Running })
	})
	browserDo(t, tab, chromedp.Click(chromedp.ID("train-now")), chromedp.WaitVisible(chromedp.CSS("p.notice.ok")))
	if flash := browserEval[string](t, tab, `document.querySelector("p.notice.ok").innerText`); !strings.Contains(flash, "Training started") {
		t.Fatalf("after Train now: %q", flash)
	}
	waitUntil(t, "the training run", func() bool {
		runs, _, err := st.ModelRuns(context.Background(), annotate.ListQuery{})
		return err == nil && len(runs) >= 2 && !trainer.Status().Running
	})
	browserDo(t, tab, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("model-latest")))
	latest := browserEval[string](t, tab, `document.getElementById("model-latest").innerText`)
	if !strings.Contains(latest, "stance") || !strings.Contains(latest, "concord-linear@") || !strings.Contains(latest, "%") {
		t.Fatalf("figures after the run:\n%s", latest)
	}
	browserShot(t, tab, browserShotDir(t), "admin-model")

	rtab := browserTab(t, time.Minute)
	browserLogin(t, rtab, env, "rita")
	browserDo(t, rtab, chromedp.Navigate(srv.URL+"/review/label-errors?dimension=stance&limit=10"), chromedp.WaitVisible(chromedp.ID("label-errors")))
	rows := browserEval[int](t, rtab, `document.querySelectorAll("#label-errors tbody tr").length`)
	first := browserEval[string](t, rtab, `document.querySelector("#label-errors tbody tr td").innerText`)
	if rows != 10 || !strings.HasPrefix(first, "1") {
		t.Fatalf("%d rows, first rank %q; want the first 10 from rank 1", rows, first)
	}
	browserShot(t, rtab, browserShotDir(t), "review-label-errors")
	// Follow the links as a click would; Navigate waits for the new page,
	// where a click returns before it has gone.
	next := browserEval[string](t, rtab, `document.getElementById("next-page").href`)
	browserDo(t, rtab, chromedp.Navigate(next), chromedp.WaitVisible(chromedp.ID("label-errors")))
	if first := browserEval[string](t, rtab, `document.querySelector("#label-errors tbody tr td").innerText`); !strings.HasPrefix(first, "11") {
		t.Fatalf("the next page starts at rank %q, want 11", first)
	}
	open := browserEval[string](t, rtab, `document.querySelector("#label-errors tbody tr a.btn").href`)
	browserDo(t, rtab, chromedp.Navigate(open), chromedp.WaitVisible(chromedp.CSS(".rv-para")))
	if url := browserEval[string](t, rtab, `location.pathname + location.hash`); !strings.HasPrefix(url, "/review/documents/") || !strings.Contains(url, "#p") {
		t.Fatalf("Open went to %s", url)
	}
}
