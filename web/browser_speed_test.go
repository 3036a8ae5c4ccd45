package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"concord/annotate"
)

// annotatePageBudget is the most the annotation page may weigh on first
// load: its HTML, style sheets and scripts, uncompressed.
const annotatePageBudget = 100 << 10

// TestBrowserAnnotatePageBytes fetches the annotation page and everything it
// loads and checks the total against the budget.
func TestBrowserAnnotatePageBytes(t *testing.T) {
	env := browserServer(t)
	browserUser(t, env, "ann", annotate.RoleAnnotator)
	cl := browserClient(t, env, "ann")
	st, html := browserGet(t, cl, env.URL+"/annotate")
	if st != http.StatusOK {
		t.Fatalf("GET /annotate: %d", st)
	}
	total := len(html)
	parts := []string{fmt.Sprintf("html %d", len(html))}
	assets := regexp.MustCompile(`<(?:script src|link rel="stylesheet" href)="(/static/[^"]+)"`).FindAllStringSubmatch(html, -1)
	if len(assets) < 3 {
		t.Fatalf("found %d assets on the page, want the style sheet and two scripts", len(assets))
	}
	for _, m := range assets {
		resp, err := cl.Get(env.URL + m[1])
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v", m[1], resp.StatusCode, err)
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("%s: Cache-Control %q, want a long immutable cache", m[1], cc)
		}
		total += len(b)
		parts = append(parts, fmt.Sprintf("%s %d", m[1], len(b)))
	}
	t.Logf("annotation page: %d bytes (%s)", total, strings.Join(parts, ", "))
	if total > annotatePageBudget {
		t.Errorf("the annotation page weighs %d bytes, over the budget of %d", total, annotatePageBudget)
	}
}

// BenchmarkAnnotateKeyToNext labels 200 paragraphs in headless chromium,
// saving to a real server, and reports how long it takes from the key press
// to the next paragraph on screen, as the page measures it: from the keydown
// event to the animation frame after the DOM update. Run it with
// go test ./web/ -run '^$' -bench AnnotateKeyToNext -benchtime 1x.
func BenchmarkAnnotateKeyToNext(b *testing.B) {
	const n = 200
	env := browserServer(b)
	u := browserUser(b, env, "fast", annotate.RoleAnnotator)
	var text strings.Builder
	text.WriteString("A long report\n\n")
	for i := range n + 20 {
		fmt.Fprintf(&text, "Paragraph %d of the long report says something about security measures in city number %d, with enough words to wrap over two lines on a wide screen.\n\n", i+1, i)
	}
	res, err := env.Store.ImportDocument(context.Background(), u.ID, annotate.Source{Key: "long.txt", Title: "A long report", Text: []byte(text.String()), Origin: "long.txt"})
	if err != nil || res.Paragraphs < n {
		b.Fatalf("import: %v %+v", err, res)
	}
	ctx := browserTab(b, 10*time.Minute)
	browserLogin(b, ctx, env, "fast")
	browserDo(b, ctx, chromedp.Navigate(env.URL+"/annotate?document="+itoa(res.DocumentID)))
	browserWait(b, ctx, "the first paragraph", `document.getElementById('para-text').textContent.length > 0`)
	b.ResetTimer()
	stalls := 0
	for range b.N {
		for range n {
			// A paragraph must be on screen; count the times the page
			// had none in memory yet.
			if !browserEval[bool](b, ctx, `!document.getElementById('para-box').hidden`) {
				stalls++
				browserWait(b, ctx, "a paragraph", `!document.getElementById('para-box').hidden`)
			}
			browserDo(b, ctx, chromedp.KeyEvent("4"), chromedp.KeyEvent("o"), chromedp.KeyEvent(kb.Enter))
		}
	}
	b.ReportMetric(float64(stalls), "stalls")
	b.StopTimer()
	browserPendingDone(b, ctx)
	ms := browserEval[[]float64](b, ctx, `Concord.timings`)
	if len(ms) < n {
		b.Fatalf("the page measured %d key presses, want %d", len(ms), n)
	}
	sort.Float64s(ms)
	q := func(p float64) float64 { return ms[min(len(ms)-1, int(p*float64(len(ms))))] }
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.95), "p95-ms")
	b.ReportMetric(ms[len(ms)-1], "max-ms")
	docs, err := env.Store.Documents(context.Background(), u.ID)
	if err != nil {
		b.Fatal(err)
	}
	saved := 0
	for _, d := range docs {
		saved += d.Mine
	}
	b.Logf("%d key presses measured, %d paragraphs saved: p50 %.1f ms, p95 %.1f ms, max %.1f ms", len(ms), saved, q(0.5), q(0.95), ms[len(ms)-1])
}
