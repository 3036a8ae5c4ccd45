package web_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"concord/annotate"
)

// agreeBrowserWork labels the first twelve paragraphs of the queue with
// three annotators (two on the third paragraph, a stance tie) and returns
// their ids. ann3 gives "agree" far more often than the others, so the
// label-use chart has an over-used label to flag.
func agreeBrowserWork(t *testing.T, env *browserEnv) []int64 {
	t.Helper()
	ctx := context.Background()
	anns := []*annotate.User{
		browserUser(t, env, "ann1", annotate.RoleAnnotator),
		browserUser(t, env, "ann2", annotate.RoleAnnotator),
		browserUser(t, env, "ann3", annotate.RoleAnnotator),
	}
	q, err := env.Store.Queue(ctx, anns[0].ID, annotate.QueueOptions{Limit: 12})
	if err != nil || len(q) < 12 {
		t.Fatalf("queue: %v %d", err, len(q))
	}
	l := func(stance string, topics ...string) annotate.Labels {
		return annotate.Labels{"stance": {stance}, "topic": topics}
	}
	rows := [][]annotate.Labels{
		{l("agree", "strike"), l("agree", "strike"), l("discuss", "media")},
		{l("agree", "strike"), l("agree", "strike"), l("disagree", "strike")},
		{l("agree", "homeland-security"), l("disagree", "homeland-security")},
		{l("disagree", "homeland-security"), l("disagree", "homeland-security"), l("disagree", "homeland-security")},
		{l("discuss", "intelligence"), l("discuss", "intelligence"), l("agree", "intelligence", "terrorism")},
		{l("unrelated", "media"), l("unrelated", "media"), l("agree", "media")},
		{l("agree", "iran-response"), l("agree", "iran-response"), l("agree", "iran-response")},
		{l("discuss", "terrorism"), l("agree", "terrorism"), l("agree", "terrorism")},
		{l("disagree", "homeland-security"), l("disagree", "homeland-security"), l("agree", "homeland-security")},
		{l("unrelated", "media"), l("unrelated", "media"), l("agree", "media")},
		{l("agree", "jewish-community"), l("agree", "jewish-community"), l("agree", "jewish-community")},
		{l("discuss", "us-iran-tensions"), l("discuss", "us-iran-tensions"), l("agree", "us-iran-tensions")},
	}
	var ids []int64
	for i, row := range rows {
		for j, labels := range row {
			if _, err := env.Store.SaveAnnotation(ctx, anns[j].ID, q[i].ID, 0, labels); err != nil {
				t.Fatalf("save: %v", err)
			}
		}
		ids = append(ids, q[i].ID)
	}
	if _, err := env.Store.AddNote(ctx, anns[2].ID, q[0].ID, "It only reports what police said; I read it as neutral."); err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestBrowserAdjudicateKeyboard settles two paragraphs with the keyboard
// only (M Enter, then 1 Enter), goes back with ←, and checks the store.
func TestBrowserAdjudicateKeyboard(t *testing.T) {
	env := browserServer(t)
	agreeBrowserWork(t, env)
	browserUser(t, env, "rita", annotate.RoleReviewer)
	ctx := browserTab(t, 90*time.Second)
	browserLogin(t, ctx, env, "rita")
	queue, err := env.Store.Disagreements(context.Background(), annotate.DisagreementFilter{})
	if err != nil || len(queue) < 3 {
		t.Fatalf("disagreements: %v %d", err, len(queue))
	}
	browserDo(t, ctx, chromedp.Navigate(env.URL+"/adjudicate"))
	browserWait(t, ctx, "the first paragraph", `document.querySelectorAll('#adj-cols thead th').length === 5`)
	if got := browserEval[string](t, ctx, `document.getElementById('adj-text').textContent`); got != queue[0].Paragraph.Text {
		t.Fatalf("first paragraph shown is %.60q, want the most disputed %.60q", got, queue[0].Paragraph.Text)
	}

	// M Enter stores the majority of the first paragraph.
	browserDo(t, ctx, chromedp.KeyEvent("m"), chromedp.KeyEvent(kb.Enter))
	browserWait(t, ctx, "the second paragraph", `document.getElementById('adj-progress').textContent.indexOf('Paragraph 2 of') === 0`)
	g, err := env.Store.GoldLabel(context.Background(), queue[0].Paragraph.ID)
	if err != nil {
		t.Fatalf("no gold after M Enter: %v", err)
	}
	for _, m := range queue[0].Majority {
		if !slices.Equal(g.Labels[m.Dimension], m.Labels) && !(len(m.Labels) == 0 && len(g.Labels[m.Dimension]) == 0) {
			t.Errorf("gold %s = %v, want the majority %v", m.Dimension, g.Labels[m.Dimension], m.Labels)
		}
	}
	if g.Method != "majority" {
		t.Errorf("gold method = %q, want majority", g.Method)
	}

	// 1 Enter stores the first annotator's labels of the second paragraph.
	browserDo(t, ctx, chromedp.KeyEvent("1"), chromedp.KeyEvent(kb.Enter))
	browserWait(t, ctx, "the third paragraph", `document.getElementById('adj-progress').textContent.indexOf('Paragraph 3 of') === 0`)
	second := queue[1]
	g, err = env.Store.GoldLabel(context.Background(), second.Paragraph.ID)
	if err != nil || g.Method != "accept:"+second.Annotations[0].UserName || !g.Labels.Equal(second.Annotations[0].Labels) {
		t.Fatalf("gold of the second paragraph = %+v, %v; want %s's labels %v", g, err, second.Annotations[0].UserName, second.Annotations[0].Labels)
	}

	// The paragraph with two annotators is a tie: the page says so.
	for i := 2; i < len(queue) && len(queue[i].Annotations) != 2; i++ {
		browserDo(t, ctx, chromedp.KeyEvent(kb.ArrowRight))
	}
	browserWait(t, ctx, "the tie message", `document.getElementById('adj-msg').textContent.indexOf('No majority to accept: no answer on Stance') === 0`)
	// A tie offers no majority: nothing is chosen, M changes nothing and
	// says why, and Enter stores nothing.
	tie := browserEval[string](t, ctx, `document.querySelector('#adj-cols thead th.majority').textContent + ' | ' + document.getElementById('adj-choice').textContent + ' | ' + document.querySelectorAll('#adj-cols .chosen').length + ' | ' + document.querySelectorAll('#adj-form input:checked').length`)
	if tie != "MNo majorityConsensus | Nothing chosen yet | 0 | 0" {
		t.Errorf("a tie shows %q, want the No majority column, nothing chosen, no column marked, no value ticked", tie)
	}
	browserDo(t, ctx, chromedp.KeyEvent("m"))
	after := browserEval[string](t, ctx, `document.getElementById('adj-choice').textContent + ' | ' + document.querySelectorAll('#adj-form input:checked').length + ' | ' + document.getElementById('adj-msg').textContent`)
	if !strings.HasPrefix(after, "Nothing chosen yet | 0 | No majority to accept") {
		t.Errorf("M on a tie: %q, want nothing chosen and the reason", after)
	}
	browserDo(t, ctx, chromedp.KeyEvent(kb.Enter))
	for _, d := range queue {
		if len(d.Annotations) != 2 {
			continue
		}
		if _, err := env.Store.GoldLabel(context.Background(), d.Paragraph.ID); !errors.Is(err, annotate.ErrNotFound) {
			t.Errorf("Enter on a tie with nothing chosen stored gold for paragraph %d: %v", d.Paragraph.ID, err)
		}
	}
	browserDo(t, ctx, chromedp.Navigate(env.URL+"/adjudicate?include_resolved=true"))
	browserWait(t, ctx, "the queue with decided paragraphs", `document.querySelectorAll('#adj-cols thead th').length === 5`)

	// With decided paragraphs, the first one shows its gold, decided by rita.
	gold := browserEval[string](t, ctx, `document.getElementById('adj-gold-body').textContent + ' | ' + document.getElementById('adj-history').textContent`)
	for _, want := range []string{"rita", "majority · version 1", "decided (majority)"} {
		if !strings.Contains(gold, want) {
			t.Errorf("gold panel of the first paragraph lacks %q: %s", want, gold)
		}
	}
	as, err := env.Store.Annotations(context.Background(), queue[0].Paragraph.ID)
	if err != nil || len(as) != len(queue[0].Annotations) {
		t.Fatalf("annotations: %v", err)
	}
	for i := range as {
		if !as[i].Labels.Equal(queue[0].Annotations[i].Labels) || as[i].Version != 1 {
			t.Errorf("annotation of %s changed: %v v%d", as[i].UserName, as[i].Labels, as[i].Version)
		}
	}
}

// TestBrowserAgreementScreens draws the agreement and adjudication pages in
// light and dark, 360 and 1440 pixels wide, checks the graphics are there
// with their text alternatives and that nothing scrolls sideways, and saves
// screenshots ($CONCORD_SCREENSHOTS keeps them).
func TestBrowserAgreementScreens(t *testing.T) {
	env := browserServer(t)
	ids := agreeBrowserWork(t, env)
	rev := browserUser(t, env, "rita", annotate.RoleReviewer)
	if _, err := env.Store.SetGold(context.Background(), rev.ID, ids[3], 0, annotate.Labels{"stance": {"disagree"}, "topic": {"homeland-security"}}, "majority"); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Store.SetGold(context.Background(), rev.ID, ids[7], 0, annotate.Labels{"stance": {"discuss"}, "topic": {"terrorism"}}, "accept:ann1"); err != nil {
		t.Fatal(err)
	}
	dir := browserShotDir(t)
	ctx := browserTab(t, 3*time.Minute)
	browserLogin(t, ctx, env, "rita")

	browserDo(t, ctx, chromedp.Navigate(env.URL+"/agreement"), chromedp.WaitVisible(chromedp.CSS("svg.heatmap")))
	// The first view shows the coefficients; the script fetches their
	// intervals and puts them in place.
	browserWait(t, ctx, "the intervals filled in", `document.getElementById('ag-intervals') && document.getElementById('ag-intervals').textContent.indexOf('added') >= 0 && document.querySelectorAll('[data-pending]').length === 0 && Array.from(document.querySelectorAll('td.ag-ci')).some(function(td){ return td.textContent.indexOf(' to ') > 0; })`)
	checks := map[string]string{
		"a heatmap per dimension with a title": `document.querySelectorAll('svg.heatmap > title').length === 2`,
		"hatched or valued cells":              `document.querySelectorAll('svg.heatmap .hm-cell').length > 0`,
		"a confusion matrix":                   `document.querySelectorAll('table.confusion').length >= 1`,
		"label-use bars with labels":           `Array.from(document.querySelectorAll('svg.use-bar')).every(function(s){ return s.getAttribute('aria-label') && s.querySelector('title'); })`,
		"an over-used label":                   `document.querySelectorAll('.use-row.over').length > 0`,
		"gold agreement":                       `document.querySelector('table.ag-gold:not(.ag-reliability)').tBodies[0].rows.length === 3`,
		"a reading per dimension":              `document.querySelectorAll('.ag-reading').length === 3`,
		"no inline style":                      `document.querySelectorAll('[style]').length === 0`,
	}
	for what, expr := range checks {
		if !browserEval[bool](t, ctx, expr) {
			t.Errorf("agreement page: want %s (%s)", what, expr)
		}
	}
	// Filters are a GET form: ticking two annotators narrows the report.
	browserDo(t, ctx,
		chromedp.Click(chromedp.CSS(`input[name=annotators][value=ann1]`)),
		chromedp.Click(chromedp.CSS(`input[name=annotators][value=ann2]`)),
		chromedp.Click(chromedp.CSS(`form.ag-filters button[type=submit]`)),
		chromedp.Sleep(500*time.Millisecond), // let the form's navigation start
		chromedp.WaitVisible(chromedp.CSS(`.stat-n`)),
	)
	browserWait(t, ctx, "the filtered report", `location.search.indexOf('annotators=ann1') >= 0 && document.querySelectorAll('.stat-n')[2].textContent === '2'`)
	browserDo(t, ctx, chromedp.Navigate(env.URL+"/agreement?from=2026-13-01"))
	browserWait(t, ctx, "the bad filter notice", `!!document.querySelector('.notice.bad') && document.querySelector('.notice.bad').textContent.indexOf('from') >= 0`)

	type variant struct {
		scheme string
		width  int64
	}
	for _, v := range []variant{{"light", 1440}, {"dark", 1440}, {"light", 360}, {"dark", 360}} {
		height := int64(900)
		if v.width < 500 {
			height = 780
		}
		browserDo(t, ctx, chromedp.EmulateViewport(v.width, height), browserScheme(v.scheme))
		for _, p := range []struct{ name, path, ready string }{
			{"agreement", "/agreement", "svg.heatmap"},
			{"agreement-pair", "/agreement?a=ann1&b=ann3", "table.confusion"},
			{"adjudicate", "/adjudicate", "#adj-cols thead th"},
			{"adjudicate-resolved", "/adjudicate?include_resolved=true", "#adj-cols thead th"},
		} {
			browserDo(t, ctx, chromedp.Navigate(env.URL+p.path), chromedp.WaitVisible(chromedp.CSS(p.ready)), chromedp.Sleep(150*time.Millisecond))
			if over := browserEval[int64](t, ctx, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); over > 1 {
				t.Errorf("%s %s %d scrolls sideways by %d px", p.name, v.scheme, v.width, over)
			}
			// Three annotators and the majority fit side by side on a phone.
			if strings.HasPrefix(p.name, "adjudicate") {
				if over := browserEval[int64](t, ctx, `(function () { var w = document.getElementById('adj-cols').parentElement; return w.scrollWidth - w.clientWidth; })()`); over > 1 {
					t.Errorf("%s %s %d: the annotators' columns scroll sideways by %d px", p.name, v.scheme, v.width, over)
				}
			}
			browserShot(t, ctx, dir, fmt.Sprintf("%s-%s-%d", p.name, v.scheme, v.width))
		}
	}
	t.Logf("screenshots in %s", dir)
}

// TestBrowserAgreementDocumentSearch picks documents for the agreement
// filter with the search box: typing shows matches from the documents
// API, Enter or a click adds one as a chip, × removes it, and applying the
// filter keeps the chosen ones by id.
func TestBrowserAgreementDocumentSearch(t *testing.T) {
	env := browserServer(t)
	agreeBrowserWork(t, env)
	browserUser(t, env, "rita", annotate.RoleReviewer)
	ctx := context.Background()
	page, err := env.Store.DocumentPage(ctx, 0, annotate.DocumentQuery{Limit: 2})
	if err != nil || len(page.Documents) < 2 {
		t.Fatalf("two seed documents: %v %v", page, err)
	}
	first, second := page.Documents[0], page.Documents[1]
	// A word of each title that the other title lacks.
	word := func(d, other annotate.DocumentProgress) string {
		for _, w := range strings.Fields(d.Title) {
			if len(w) > 4 && !strings.Contains(strings.ToLower(other.Title), strings.ToLower(w)) {
				return w
			}
		}
		return d.Key
	}
	tab := browserTab(t, 3*time.Minute)
	browserLogin(t, tab, env, "rita")
	browserDo(t, tab, chromedp.Navigate(env.URL+"/agreement"), chromedp.WaitVisible(chromedp.ID("ag-find")))
	if browserEval[bool](t, tab, `!!document.querySelector('select[name=document]')`) {
		t.Fatal("the agreement page still lists every document in a select")
	}
	browserDo(t, tab, chromedp.Focus(chromedp.ID("ag-find")), chromedp.KeyEvent(word(first, second)))
	browserWait(t, tab, "a match for the first document", fmt.Sprintf(`Array.from(document.querySelectorAll('#ag-find-list li[role=option]')).some(function (li) { return li.textContent.indexOf(%q) >= 0; })`, first.Title))
	if got := browserEval[string](t, tab, `document.getElementById('ag-find').getAttribute('aria-expanded')`); got != "true" {
		t.Errorf("aria-expanded = %q while the matches show, want true", got)
	}
	browserDo(t, tab, chromedp.KeyEvent(kb.Enter))
	browserWait(t, tab, "the first document's chip", fmt.Sprintf(`!!document.querySelector('#ag-docs input[name=document][value="%d"]') && document.getElementById('ag-find').value === ''`, first.ID))
	browserDo(t, tab, chromedp.KeyEvent(word(second, first)))
	browserWait(t, tab, "a match for the second document", fmt.Sprintf(`Array.from(document.querySelectorAll('#ag-find-list li[role=option]')).some(function (li) { return li.textContent.indexOf(%q) >= 0; })`, second.Title))
	browserEval[bool](t, tab, fmt.Sprintf(`(function () {
		var li = Array.from(document.querySelectorAll('#ag-find-list li[role=option]')).find(function (li) { return li.textContent.indexOf(%q) >= 0; });
		li.dispatchEvent(new MouseEvent('mousedown', {bubbles: true}));
		return true;
	})()`, second.Title))
	browserWait(t, tab, "two chips", `document.querySelectorAll('#ag-docs input[name=document]').length === 2`)
	// Removing the first leaves the second; applying keeps it by id.
	browserDo(t, tab, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#ag-docs li:has(input[value="%d"]) [data-remove]`, first.ID))))
	browserWait(t, tab, "one chip", `document.querySelectorAll('#ag-docs input[name=document]').length === 1`)
	browserDo(t, tab,
		chromedp.Click(chromedp.CSS(`form.ag-filters button[type=submit]`)),
		chromedp.Sleep(500*time.Millisecond), // let the form's navigation start
		chromedp.WaitVisible(chromedp.ID("ag-find")),
	)
	browserWait(t, tab, "the filtered page", fmt.Sprintf(`location.search.indexOf('document=%d') >= 0 && location.search.indexOf('document=%d') < 0 && !!document.querySelector('#ag-docs input[value="%d"]')`, second.ID, first.ID, second.ID))
}
