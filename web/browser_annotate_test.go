package web_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"concord/annotate"
)

// TestBrowserAnnotateKeyboard labels three paragraphs with the keyboard
// only, reloads, goes back through them, and checks the store holds exactly
// those labels.
func TestBrowserAnnotateKeyboard(t *testing.T) {
	env := browserServer(t)
	u := browserUser(t, env, "newbie", annotate.RoleAnnotator)
	ctx := browserTab(t, 90*time.Second)
	browserLogin(t, ctx, env, "newbie")

	docs, err := env.Store.Documents(context.Background(), u.ID)
	if err != nil || len(docs) == 0 {
		t.Fatalf("documents: %v %d", err, len(docs))
	}
	doc := docs[0].ID
	browserDo(t, ctx, chromedp.Navigate(env.URL+"/annotate?document="+itoa(doc)))
	browserWait(t, ctx, "the first paragraph", `document.getElementById('para-text').textContent.length > 0`)

	steps := []struct {
		keys  []string
		event string
		want  annotate.Labels
	}{
		{[]string{"1", "q", "r"}, "strike", annotate.Labels{"stance": {"agree"}, "topic": {"homeland-security", "strike"}, "event": {"soleimani-strike"}}},
		{[]string{"2", "w", "e"}, "mourning", annotate.Labels{"stance": {"disagree"}, "topic": {"iran-response", "us-iran-tensions"}, "event": {"iran-mourning"}}},
		{[]string{"3", "t", "y"}, "Lone wolf scare in Ohio", annotate.Labels{"stance": {"discuss"}, "topic": {"jewish-community", "terrorism"}, "event": {"Lone wolf scare in Ohio"}}},
	}
	var ids []int64
	for _, st := range steps {
		id := browserParagraph(t, ctx)
		ids = append(ids, id)
		browserDo(t, ctx,
			browserKeys(st.keys...),
			browserKeys("/"),
			chromedp.KeyEvent(st.event),
			chromedp.KeyEvent(kb.Enter), // pick from the type-ahead
		)
		browserWait(t, ctx, "the event to be picked", `!document.querySelector('.combo-value').hidden`)
		browserDo(t, ctx, chromedp.KeyEvent(kb.Enter)) // save and next
		browserWait(t, ctx, "the next paragraph", `Number(document.getElementById('para-box').dataset.paragraph) !== `+itoa(id))
	}
	browserPendingDone(t, ctx)

	// After a reload the three are there to go back to, with their labels.
	browserDo(t, ctx, chromedp.Reload())
	browserWait(t, ctx, "the page after reload", `document.getElementById('para-text').textContent.length > 0`)
	for i := len(steps) - 1; i >= 0; i-- {
		browserDo(t, ctx, chromedp.KeyEvent(kb.Backspace))
		browserWait(t, ctx, "going back", `Number(document.getElementById('para-box').dataset.paragraph) === `+itoa(ids[i]))
		got := browserEval[map[string]any](t, ctx, `(function(){
			var out = {stance: [], topic: []};
			document.querySelectorAll('input[name=stance]:checked, input[name=topic]:checked').forEach(function(i){ out[i.name].push(i.value); });
			out.event = document.querySelector('.combo-value strong') ? document.querySelector('.combo-value strong').textContent : '';
			out.state = document.getElementById('para-state').textContent;
			return out;
		})()`)
		want := steps[i].want
		if !sameStrings(got["stance"], want["stance"]) || !sameStrings(got["topic"], want["topic"]) {
			t.Errorf("paragraph %d after reload: got %v, want %v", ids[i], got, want)
		}
		if got["event"] == "" {
			t.Errorf("paragraph %d after reload shows no event", ids[i])
		}
		if s, _ := got["state"].(string); s == "" {
			t.Errorf("paragraph %d after reload does not say it is saved", ids[i])
		}
	}

	// The store holds exactly those labels, once each.
	ctxb := context.Background()
	for i, id := range ids {
		a, err := env.Store.Annotation(ctxb, id, u.ID)
		if err != nil {
			t.Fatalf("annotation of %d: %v", id, err)
		}
		if !reflect.DeepEqual(a.Labels, steps[i].want) {
			t.Errorf("paragraph %d: stored %v, want %v", id, a.Labels, steps[i].want)
		}
		if a.Version != 1 {
			t.Errorf("paragraph %d: version %d, want 1", id, a.Version)
		}
	}
	docs, err = env.Store.Documents(ctxb, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	mine := 0
	for _, d := range docs {
		mine += d.Mine
	}
	if mine != 3 {
		t.Errorf("the annotator has %d annotations, want 3", mine)
	}
}

func sameStrings(got any, want []string) bool {
	arr, _ := got.([]any)
	if len(arr) != len(want) {
		return false
	}
	seen := map[string]bool{}
	for _, v := range arr {
		s, _ := v.(string)
		seen[s] = true
	}
	for _, w := range want {
		if !seen[w] {
			return false
		}
	}
	return true
}

func itoa(n int64) string { return strconvFormat(n) }
