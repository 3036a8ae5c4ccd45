package web_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"concord/annotate"
)

// TestBrowserAgreementModels shows a model's rows on the agreement page:
// one per dimension it suggested on, marked as a model, with n beside each
// figure, and the model nowhere among the annotators (filter, pair
// choice, heatmap, gold table).
func TestBrowserAgreementModels(t *testing.T) {
	env := browserServer(t)
	ids := agreeBrowserWork(t, env)
	rev := browserUser(t, env, "rita", annotate.RoleReviewer)
	ctx := context.Background()
	for _, g := range []struct {
		i      int
		stance string
	}{{3, "disagree"}, {7, "discuss"}, {0, "agree"}} {
		if _, err := env.Store.SetGold(ctx, rev.ID, ids[g.i], 0, annotate.Labels{"stance": {g.stance}, "topic": {"strike"}}, "majority"); err != nil {
			t.Fatal(err)
		}
	}
	score := 0.7
	var in []annotate.SuggestionInput
	for i, id := range ids {
		v := []string{"agree", "disagree", "discuss", "unrelated"}[i%4]
		in = append(in,
			annotate.SuggestionInput{ParagraphID: id, Dimension: "stance", Value: &v, Score: &score, Agent: "stance-model@2"},
			annotate.SuggestionInput{ParagraphID: id, Dimension: "topic", Values: []string{"strike"}, Score: &score, Agent: "stance-model@2"})
	}
	if _, err := env.Store.PutSuggestions(ctx, rev.ID, in); err != nil {
		t.Fatal(err)
	}
	dir := browserShotDir(t)
	tab := browserTab(t, 2*time.Minute)
	browserLogin(t, tab, env, "rita")
	browserDo(t, tab, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(env.URL+"/agreement#models-stance"), chromedp.WaitVisible(chromedp.CSS("table.ag-models")))
	checks := map[string]string{
		"a Models table on stance and topic":      `document.querySelectorAll('table.ag-models').length === 2 && !!document.querySelector('table.ag-models[data-dim=stance]') && !!document.querySelector('table.ag-models[data-dim=topic]')`,
		"one row per model, marked as a model":    `Array.from(document.querySelectorAll('table.ag-models tbody tr')).every(function(r){ return r.getAttribute('data-agent') === 'stance-model@2' && r.querySelector('th .tag').textContent === 'model'; })`,
		"the heading says models are not people":  `document.getElementById('models-stance').textContent.indexOf('not annotators') > 0`,
		"n beside the figures":                    `document.querySelector('table.ag-models[data-dim=stance] tbody tr').textContent.indexOf('n = 12') >= 0 && document.querySelector('div[data-models=stance] .ag-models-each').tBodies[0].rows.length === 3`,
		"the gold figure of the model":            `document.querySelector('table.ag-models[data-dim=stance] tbody tr td').textContent.trim() === '1 / 3'`,
		"the model is not an annotator to filter": `!document.querySelector('input[name=annotators][value="stance-model@2"]')`,
		"nor one to pair":                         `!Array.from(document.querySelectorAll('.ag-pair option')).some(function(o){ return o.textContent === 'stance-model@2'; })`,
		"nor in the heatmap or gold table":        `!Array.from(document.querySelectorAll('svg.heatmap text, table.ag-gold th')).some(function(e){ return e.textContent.indexOf('stance-model') >= 0; })`,
		"three annotators counted":                `document.querySelectorAll('.stat-n')[2].textContent === '3'`,
		"no inline style":                         `document.querySelectorAll('[style]').length === 0`,
	}
	for what, expr := range checks {
		if !browserEval[bool](t, tab, expr) {
			t.Errorf("agreement page: want %s (%s)", what, expr)
		}
	}
	browserShot(t, tab, dir, "agreement-models")
	// The viewport with the stance Models block below the page's header.
	browserEval[bool](t, tab, `window.scrollTo(0, document.querySelector('div.ag-models-block[data-models=stance]').getBoundingClientRect().top + window.scrollY - 120), true`)
	png, err := browserRun(t, tab, "screenshot", chromedp.CaptureScreenshot())
	if err != nil || len(png) < 1000 {
		t.Fatalf("the Models table's screenshot: %d bytes, %v", len(png), err)
	}
	if err := os.WriteFile(filepath.Join(dir, "agreement-models-table.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	// On a phone, in the dark, the table scrolls inside its frame and the
	// page does not scroll sideways.
	browserDo(t, tab, chromedp.EmulateViewport(360, 780), browserScheme("dark"), chromedp.Navigate(env.URL+"/agreement"), chromedp.WaitVisible(chromedp.CSS("table.ag-models")))
	if over := browserEval[int64](t, tab, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); over > 1 {
		t.Errorf("the agreement page with Models rows scrolls sideways by %d px at 360 px", over)
	}
	browserEval[bool](t, tab, `window.scrollTo(0, document.querySelector('div.ag-models-block[data-models=stance]').getBoundingClientRect().top + window.scrollY - 70), true`)
	if png, err = browserRun(t, tab, "screenshot", chromedp.CaptureScreenshot()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "agreement-models-dark-360.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
