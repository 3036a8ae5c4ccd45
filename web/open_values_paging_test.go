package web_test

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"concord/annotate"
)

// TestOpenValuesPaged checks the typed values' list a page at a time, in
// the API (next) and on the schema page (its Next values link), with more
// values than one page of the page holds: each value is listed once.
func TestOpenValuesPaged(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	_, ids := e.paragraphs()
	const values = 230
	version := 0
	for i := range values {
		a, err := e.store.SaveAnnotation(ctx, e.users["ann1"].ID, ids[0], version, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}, "event": {fmt.Sprintf("event %03d", i)}})
		if err != nil {
			t.Fatal(err)
		}
		version = a.Version
	}

	seen := map[string]int{}
	next := ""
	for range 10 {
		var page struct {
			Values []struct{ Value string } `json:"values"`
			Total  int                      `json:"total"`
			Next   string                   `json:"next"`
		}
		path := "/api/v1/schema/open-values?limit=100"
		if next != "" {
			path += "&next=" + url.QueryEscape(next)
		}
		e.must("rev", "GET", path, nil, 200, &page)
		if page.Total != values || len(page.Values) > 100 {
			t.Fatalf("a page of %d values, total %d; want at most 100 of %d", len(page.Values), page.Total, values)
		}
		for _, v := range page.Values {
			seen[v.Value]++
		}
		if next = page.Next; next == "" {
			break
		}
	}
	if len(seen) != values {
		t.Errorf("the API listed %d distinct values, want %d", len(seen), values)
	}
	for v, n := range seen {
		if n != 1 {
			t.Errorf("%s listed %d times", v, n)
		}
	}
	code, body := e.do("rev", "GET", "/api/v1/schema/open-values?next=nonsense", nil)
	if code != 400 || !strings.Contains(string(body), "next") {
		t.Errorf("a bad cursor: %d %s, want a 400 naming next", code, body)
	}

	// The schema page: 200 values, then the rest behind its link.
	row := regexp.MustCompile(`<label for="v\d+">(event \d+)</label>`)
	link := regexp.MustCompile(`href="(/admin/schema\?values=pending&amp;values_after=[^"#]+)#typed-values">Next values`)
	code, body = e.do("rev", "GET", "/admin/schema?values=pending", nil)
	if code != 200 {
		t.Fatalf("schema page: %d", code)
	}
	first := row.FindAllStringSubmatch(string(body), -1)
	m := link.FindStringSubmatch(string(body))
	if len(first) != 200 || m == nil {
		t.Fatalf("first page: %d values, next link %v; want 200 and a link", len(first), m)
	}
	code, body = e.do("rev", "GET", strings.ReplaceAll(m[1], "&amp;", "&"), nil)
	if code != 200 {
		t.Fatalf("second page: %d", code)
	}
	rest := row.FindAllStringSubmatch(string(body), -1)
	if len(rest) != values-200 || link.MatchString(string(body)) {
		t.Errorf("second page: %d values, want the other %d and no next link", len(rest), values-200)
	}
	onPage := map[string]bool{}
	for _, r := range append(first, rest...) {
		if onPage[r[1]] {
			t.Errorf("%s on both pages", r[1])
		}
		onPage[r[1]] = true
	}
}
