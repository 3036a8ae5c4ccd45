package web_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"concord/annotate"
)

// TestBrowserAdjudicateConsensus orders the queue least confident first,
// finds there the paragraph whose vote is a tie but whose consensus is
// sure, checks that the consensus and its confidence stand beside the
// majority, accepts it with C Enter, and takes screenshots at 360 and 1440
// pixels ($CONCORD_SCREENSHOTS keeps them).
func TestBrowserAdjudicateConsensus(t *testing.T) {
	env := browserServer(t)
	ids := allParagraphs(t, env.Store)
	seedConsensusTie(t, env.Store, ids)
	browserUser(t, env, "rita", annotate.RoleReviewer)
	tied, err := env.Store.Paragraph(context.Background(), ids[10])
	if err != nil {
		t.Fatal(err)
	}
	dir := browserShotDir(t)
	ctx := browserTab(t, 2*time.Minute)
	browserLogin(t, ctx, env, "rita")
	browserDo(t, ctx, chromedp.Navigate(env.URL+"/adjudicate?order=confidence"))
	browserWait(t, ctx, "the first paragraph", `document.querySelectorAll('#adj-cols thead th').length === 4`)
	if got := browserEval[string](t, ctx, `document.getElementById('adj-text').textContent`); got != tied.Text {
		t.Fatalf("least confident first shows %.60q, want the tied paragraph %.60q", got, tied.Text)
	}
	cells := browserEval[string](t, ctx, `(function () {
		var stance = document.querySelectorAll('#adj-cols tbody tr')[0];
		return document.querySelector('#adj-cols thead [data-cand="c"]').textContent + ' | ' +
			stance.querySelector('td.majority').textContent + ' | ' + stance.querySelector('td.majority [data-cand="c"]').textContent + ' | ' +
			document.getElementById('adj-order').textContent;
	})()`)
	parts := strings.Split(cells, " | ")
	if len(parts) != 4 || parts[0] != "Consensus" || !strings.HasPrefix(parts[1], "tie") || !strings.HasPrefix(parts[2], "Agree") || !strings.HasSuffix(parts[2], "% sure") || !strings.HasPrefix(parts[3], "Least confident consensus first") {
		t.Errorf("the stance row shows %q; want the consensus in the majority's column, a tie in the majority, Agree with its confidence below it, and the order named", cells)
	}
	msg := browserEval[string](t, ctx, `document.getElementById('adj-msg').textContent`)
	if !strings.Contains(msg, "C to accept the consensus") {
		t.Errorf("the tie message %q does not offer C", msg)
	}
	for _, w := range []int64{1440, 360} {
		browserDo(t, ctx, chromedp.EmulateViewport(w, 900), chromedp.Sleep(150*time.Millisecond))
		browserShot(t, ctx, dir, fmt.Sprintf("adjudicate-consensus-%d", w))
	}
	browserDo(t, ctx, chromedp.EmulateViewport(1280, 900))

	browserDo(t, ctx, chromedp.KeyEvent("c"))
	if got := browserEval[string](t, ctx, `document.getElementById('adj-choice').textContent + ' | ' + document.querySelectorAll('#adj-cols .chosen').length`); !strings.HasPrefix(got, "Accept the consensus | ") || strings.HasSuffix(got, " 0") {
		t.Errorf("after C: %q, want the consensus chosen and its column marked", got)
	}
	browserDo(t, ctx, chromedp.KeyEvent(kb.Enter))
	browserWait(t, ctx, "the next paragraph", `document.getElementById('adj-progress').textContent.indexOf('Paragraph 2 of') === 0`)
	g, err := env.Store.GoldLabel(context.Background(), ids[10])
	if err != nil {
		t.Fatalf("no gold after C Enter: %v", err)
	}
	if g.Method != annotate.ConsensusMethod || !slices.Equal(g.Labels["stance"], []string{"agree"}) || !slices.Equal(g.Labels["topic"], []string{"strike"}) {
		t.Errorf("gold = %v by %q, want stance agree, topic strike by %s", g.Labels, g.Method, annotate.ConsensusMethod)
	}
}

// TestBrowserAgreementReliability draws the agreement page's estimated
// accuracy at 360 and 1440 pixels: the spammer is flagged, the estimated
// confusion matrices open, and nothing scrolls sideways.
func TestBrowserAgreementReliability(t *testing.T) {
	env := browserServer(t)
	seedConsensusTie(t, env.Store, allParagraphs(t, env.Store))
	browserUser(t, env, "rita", annotate.RoleReviewer)
	dir := browserShotDir(t)
	ctx := browserTab(t, 2*time.Minute)
	browserLogin(t, ctx, env, "rita")
	for _, w := range []int64{1440, 360} {
		browserDo(t, ctx, chromedp.EmulateViewport(w, 900), chromedp.Navigate(env.URL+"/agreement"), chromedp.WaitVisible(chromedp.CSS("table.ag-reliability")))
		flagged := browserEval[string](t, ctx, `Array.from(document.querySelector('table.ag-reliability').tBodies[0].rows).filter(function (r) { return r.classList.contains('near-chance'); }).map(function (r) { return r.cells[0].textContent; }).join(',')`)
		if flagged != "carol near chance" {
			t.Errorf("%d px: flagged rows %q, want only carol's", w, flagged)
		}
		browserEval[bool](t, ctx, `(function () { var r = document.querySelector('table.ag-reliability').closest('.ag-dim'); r.querySelectorAll('details').forEach(function (d) { d.open = true; }); return true; })()`)
		browserDo(t, ctx, chromedp.Sleep(150*time.Millisecond))
		if n := browserEval[int64](t, ctx, `document.querySelectorAll('table.ag-est-confusion').length`); n != 3 {
			t.Errorf("%d px: %d estimated confusion matrices, want 3 (one per annotator on stance)", w, n)
		}
		if over := browserEval[int64](t, ctx, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); over > 1 {
			t.Errorf("%d px: the agreement page scrolls sideways by %d px", w, over)
		}
		browserShot(t, ctx, dir, fmt.Sprintf("agreement-reliability-%d", w))
	}
}
