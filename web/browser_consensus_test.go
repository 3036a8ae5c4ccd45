package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"concord/annotate"
)

// TestBrowserAdjudicationShowsTheSmallDataReason labels two paragraphs by
// two annotators, too few for Dawid–Skene, and checks that the
// adjudication page shows, in the consensus cell, that it is the vote and
// why, instead of a confidence.
func TestBrowserAdjudicationShowsTheSmallDataReason(t *testing.T) {
	env := browserServer(t)
	ctx := browserTab(t, 90*time.Second)
	browserUser(t, env, "rev", annotate.RoleReviewer)
	ids := allParagraphs(t, env.Store)
	bg := context.Background()
	var users []*annotate.User
	for _, n := range []string{"alice", "bob"} {
		users = append(users, browserUser(t, env, n, annotate.RoleAnnotator))
	}
	for i, pair := range [][2]string{{"agree", "agree"}, {"agree", "disagree"}} {
		for u, stance := range pair {
			if _, err := env.Store.SaveAnnotation(bg, users[u].ID, ids[i], 0, annotate.Labels{"stance": {stance}, "topic": {"strike"}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := env.Store.ConsensusNow(bg); err != nil {
		t.Fatal(err)
	}
	browserLogin(t, ctx, env, "rev")
	browserDo(t, ctx, chromedp.Navigate(env.URL+"/adjudicate"))
	browserWait(t, ctx, "the consensus cell", `!!document.querySelector('#adj-cols .consensus-reason')`)
	text := browserEval[string](t, ctx, `document.querySelector('#adj-cols .consensus-reason').textContent`)
	if !strings.HasPrefix(text, "the vote: ") || !strings.Contains(text, "too small to learn reliabilities") {
		t.Errorf("consensus cell says %q, want the vote and the small-data reason", text)
	}
	if sure := browserEval[bool](t, ctx, `/% sure/.test(document.getElementById('adj-cols').textContent)`); sure {
		t.Errorf("the consensus cell shows a confidence beside the small-data reason")
	}
}
