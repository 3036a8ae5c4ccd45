package web_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"concord/annotate"
)

// browserSuggest stores, for the first n paragraphs of a document, the
// suggestion stance=agree (score 0.82) and topic=strike (0.6) of my-model@3.
func browserSuggest(t testing.TB, env *browserEnv, doc int64, n int) []annotate.ParagraphStatus {
	t.Helper()
	ctx := context.Background()
	ps, err := env.Store.Paragraphs(ctx, doc, 0)
	if err != nil || len(ps) < n {
		t.Fatalf("paragraphs: %v %d", err, len(ps))
	}
	agree, strike, hi, lo := "agree", "strike", 0.82, 0.6
	var in []annotate.SuggestionInput
	for _, p := range ps[:n] {
		in = append(in,
			annotate.SuggestionInput{ParagraphID: p.ID, Dimension: "stance", Value: &agree, Score: &hi, Agent: "my-model@3"},
			annotate.SuggestionInput{ParagraphID: p.ID, Dimension: "topic", Value: &strike, Score: &lo, Agent: "my-model@3"})
	}
	if _, err := env.Store.PutSuggestions(ctx, 0, in); err != nil {
		t.Fatal(err)
	}
	return ps
}

// TestBrowserSuggestions checks the hint chip beside the suggested option,
// that a save records what was shown, and that a prefilled suggestion is
// marked as the model's and stored only once the annotator confirms it.
func TestBrowserSuggestions(t *testing.T) {
	env := browserServer(t)
	u := browserUser(t, env, "hinted", annotate.RoleAnnotator)
	bg := context.Background()
	docs, err := env.Store.Documents(bg, u.ID)
	if err != nil || len(docs) == 0 {
		t.Fatalf("documents: %v", err)
	}
	ps := browserSuggest(t, env, docs[0].ID, 3)
	ctx := browserTab(t, 90*time.Second)
	browserLogin(t, ctx, env, "hinted")

	// Hint: a chip beside the option, nothing chosen.
	browserDo(t, ctx, chromedp.Navigate(env.URL+"/annotate?document="+itoa(docs[0].ID)))
	browserWait(t, ctx, "the first paragraph", `document.getElementById('para-text').textContent.length > 0`)
	if id := browserParagraph(t, ctx); id != ps[0].ID {
		t.Fatalf("first paragraph: got %d, want %d", id, ps[0].ID)
	}
	got := browserEval[map[string]any](t, ctx, `(function(){
		var opt = document.querySelector('input[name=stance][value=agree]').closest('.opt');
		var chip = opt.querySelector('.sugg-chip');
		return {chip: chip ? chip.textContent : '', suggested: opt.classList.contains('suggested'),
			checked: document.querySelectorAll('input:checked').length, banner: !document.getElementById('sugg-banner').hidden,
			chips: document.querySelectorAll('.sugg-chip').length};
	})()`)
	if got["chip"] != "model 0.82" || got["suggested"] != true || got["checked"] != 0.0 || got["banner"] != false || got["chips"] != 2.0 {
		t.Fatalf("hint: got %v", got)
	}
	// The annotator disagrees with the model and saves.
	browserDo(t, ctx, browserKeys("2", "w"), chromedp.KeyEvent(kb.Enter))
	browserWait(t, ctx, "the next paragraph", `Number(document.getElementById('para-box').dataset.paragraph) === `+itoa(ps[1].ID))
	browserPendingDone(t, ctx)
	a, err := env.Store.Annotation(bg, ps[0].ID, u.ID)
	if err != nil || a.Labels["stance"][0] != "disagree" {
		t.Fatalf("saved: %v %+v", err, a)
	}
	shown, err := env.Store.ShownOf(bg, a.ID)
	if err != nil || len(shown) != 2 || shown[0].Dimension != "stance" || shown[0].Accepted || shown[0].Agent != "my-model@3" || shown[0].Mode != "hint" {
		t.Fatalf("shown with the hint: %v %+v", err, shown)
	}

	// Prefill: the model's answer is selected and marked, and nothing is
	// stored until Enter.
	if err := env.Store.SetSuggestionMode(bg, 0, "prefill"); err != nil {
		t.Fatal(err)
	}
	browserDo(t, ctx, chromedp.Reload())
	browserWait(t, ctx, "the page after reload", `Number(document.getElementById('para-box').dataset.paragraph) === `+itoa(ps[1].ID))
	got = browserEval[map[string]any](t, ctx, `(function(){
		var fs = document.querySelector('.dim[data-dim=stance]');
		return {agree: document.querySelector('input[name=stance][value=agree]').checked,
			strike: document.querySelector('input[name=topic][value=strike]').checked,
			marked: fs.classList.contains('prefilled'), banner: !document.getElementById('sugg-banner').hidden};
	})()`)
	if got["agree"] != true || got["strike"] != true || got["marked"] != true || got["banner"] != true {
		t.Fatalf("prefill: got %v", got)
	}
	browserPendingDone(t, ctx)
	if _, err := env.Store.Annotation(bg, ps[1].ID, u.ID); !errors.Is(err, annotate.ErrNotFound) {
		t.Fatalf("a prefilled paragraph was stored before the annotator confirmed it: %v", err)
	}
	browserDo(t, ctx, chromedp.KeyEvent(kb.Enter))
	browserWait(t, ctx, "the next paragraph", `Number(document.getElementById('para-box').dataset.paragraph) === `+itoa(ps[2].ID))
	browserPendingDone(t, ctx)
	a, err = env.Store.Annotation(bg, ps[1].ID, u.ID)
	if err != nil || a.Labels["stance"][0] != "agree" || a.Labels["topic"][0] != "strike" {
		t.Fatalf("confirmed: %v %+v", err, a)
	}
	shown, err = env.Store.ShownOf(bg, a.ID)
	if err != nil || len(shown) != 2 || !shown[0].Accepted || !shown[1].Accepted || shown[0].Mode != "prefill" {
		t.Fatalf("shown with prefill: %v %+v", err, shown)
	}
	// Changing a prefilled answer takes its mark away.
	browserDo(t, ctx, browserKeys("3"))
	if marked := browserEval[bool](t, ctx, `document.querySelector('.dim[data-dim=stance]').classList.contains('prefilled')`); marked {
		t.Error("the stance the annotator chose is still marked as the model's")
	}
}

// TestBrowserSuggestionsArriveLater checks that suggestions first brought by
// the queue's later answers, on a page that loaded without any, are shown:
// the page loads suggest.js then. The page starts with five paragraphs and
// at once tops its queue up to ten, so the suggestion sits on the eleventh,
// which only the top-up after the first save brings.
func TestBrowserSuggestionsArriveLater(t *testing.T) {
	env := browserServer(t)
	u := browserUser(t, env, "later", annotate.RoleAnnotator)
	bg := context.Background()
	docs, err := env.Store.Documents(bg, u.ID)
	if err != nil || len(docs) == 0 {
		t.Fatalf("documents: %v", err)
	}
	ps, err := env.Store.Paragraphs(bg, docs[0].ID, 0)
	const at = 10
	if err != nil || len(ps) <= at {
		t.Fatalf("paragraphs: %v %d", err, len(ps))
	}
	agree, hi := "agree", 0.9
	target := ps[at]
	if _, err := env.Store.PutSuggestions(bg, 0, []annotate.SuggestionInput{{ParagraphID: target.ID, Dimension: "stance", Value: &agree, Score: &hi, Agent: "late@1"}}); err != nil {
		t.Fatal(err)
	}
	ctx := browserTab(t, 90*time.Second)
	browserLogin(t, ctx, env, "later")
	browserDo(t, ctx, chromedp.Navigate(env.URL+"/annotate?document="+itoa(docs[0].ID)))
	browserWait(t, ctx, "the first paragraph", `document.getElementById('para-text').textContent.length > 0`)
	if loaded := browserEval[bool](t, ctx, `!!window.Concord.suggest`); loaded {
		t.Fatal("suggest.js loaded on a page whose paragraphs have no suggestions")
	}
	for i := 0; i < at; i++ {
		id := browserParagraph(t, ctx)
		browserDo(t, ctx, browserKeys("3", "w"), chromedp.KeyEvent(kb.Enter))
		browserWait(t, ctx, "the next paragraph", `Number(document.getElementById('para-box').dataset.paragraph) !== `+itoa(id))
	}
	if id := browserParagraph(t, ctx); id != target.ID {
		t.Fatalf("on paragraph %d, want %d", id, target.ID)
	}
	browserWait(t, ctx, "the chip", `(function(){ var c = document.querySelector('input[name=stance][value=agree]').closest('.opt').querySelector('.sugg-chip'); return !!c && c.textContent === 'model 0.90'; })()`)
}
