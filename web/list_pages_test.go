package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"concord/annotate"
)

// importLong imports one document of n paragraphs and returns its id.
func importLong(t *testing.T, e *apiEnv, key string, n int) int64 {
	t.Helper()
	var b strings.Builder
	b.WriteString("Long document " + key)
	for i := range n {
		fmt.Fprintf(&b, "\n\nParagraph %03d of the long document.", i)
	}
	res, err := e.store.ImportDocument(context.Background(), 0, annotate.Source{Key: key, Text: []byte(b.String())})
	if err != nil {
		t.Fatal(err)
	}
	return res.DocumentID
}

// pageAll follows the next cursors of a JSON list at path (which has a
// query already), as user, and returns the ids of its rows; key is the
// list's field. added runs after the first page.
func pageAll(t *testing.T, e *apiEnv, user, path, key string, added func()) []int64 {
	t.Helper()
	var ids []int64
	next := ""
	for pages := 0; ; pages++ {
		if pages > 200 {
			t.Fatalf("%s: more pages than rows", path)
		}
		target := path
		if next != "" {
			target += "&next=" + url.QueryEscape(next)
		}
		var out map[string]json.RawMessage
		e.must(user, "GET", target, nil, http.StatusOK, &out)
		var rows []struct {
			ID        int64 `json:"id"`
			Paragraph struct {
				ID int64 `json:"id"`
			} `json:"paragraph"`
		}
		if err := json.Unmarshal(out[key], &rows); err != nil {
			t.Fatalf("%s: %s is not a list: %v", target, key, err)
		}
		for _, r := range rows {
			id := r.ID
			if id == 0 {
				id = r.Paragraph.ID
			}
			ids = append(ids, id)
		}
		if pages == 0 && added != nil {
			added()
		}
		next = ""
		if raw, ok := out["next"]; ok {
			if err := json.Unmarshal(raw, &next); err != nil {
				t.Fatalf("%s: next is not a string: %s", target, raw)
			}
		}
		if next == "" {
			return ids
		}
	}
}

// once fails when an id comes twice and returns how many came.
func once(t *testing.T, what string, ids []int64) int {
	t.Helper()
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("%s: %d visited twice", what, id)
		}
		seen[id] = true
	}
	return len(seen)
}

// wantBadParam checks that GET path answers 400 naming field.
func wantBadParam(t *testing.T, e *apiEnv, user, path, field string) {
	t.Helper()
	code, body := e.do(user, "GET", path, nil)
	var got struct {
		Error struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &got)
	if code != http.StatusBadRequest || got.Error.Field != field || got.Error.Message == "" {
		t.Errorf("GET %s: %d %s, want 400 naming %s", path, code, body, field)
	}
}

func TestListAPIsPage(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	doc := importLong(t, e, "long.txt", 130)
	ps, err := e.store.Paragraphs(ctx, doc, 0)
	if err != nil {
		t.Fatal(err)
	}

	// A document's paragraphs, in reading order, over pages of 40.
	got := pageAll(t, e, "ann1", fmt.Sprintf("/api/v1/documents/%d/paragraphs?limit=40", doc), "paragraphs", nil)
	if once(t, "paragraph", got) != len(ps) || got[0] != ps[0].ID || got[len(got)-1] != ps[len(ps)-1].ID {
		t.Errorf("paragraphs: %d of %d, want all in order", len(got), len(ps))
	}

	// Users with a name search, users added after the first page included.
	for i := range 7 {
		if _, err := e.store.CreateUser(ctx, 0, fmt.Sprintf("annx%d", i), annotate.RoleAnnotator, ""); err != nil {
			t.Fatal(err)
		}
	}
	got = pageAll(t, e, "admin", "/api/v1/users?limit=3&q=ANN", "users", func() {
		if _, err := e.store.CreateUser(ctx, 0, "annlate", annotate.RoleAnnotator, ""); err != nil {
			t.Fatal(err)
		}
	})
	if n := once(t, "user", got); n != 10 {
		t.Errorf("users named ann…: %d, want 10 (ann1, ann2, seven annx and annlate)", n)
	}

	// Tokens, the caller's own and, for admins, anyone's.
	for i := range 5 {
		e.must("ann1", "POST", "/api/v1/tokens", map[string]string{"name": fmt.Sprintf("script %d", i)}, http.StatusCreated, nil)
	}
	mine := pageAll(t, e, "ann1", "/api/v1/tokens?limit=2", "tokens", nil)
	theirs := pageAll(t, e, "admin", fmt.Sprintf("/api/v1/users/%d/tokens?limit=4", e.users["ann1"].ID), "tokens", nil)
	if once(t, "token", mine) != 6 || fmt.Sprint(mine) != fmt.Sprint(theirs) {
		t.Errorf("ann1's tokens: %v, as the admin sees them %v; want the same 6", mine, theirs)
	}

	// Notes and history of one paragraph, notes added between pages.
	pid := ps[3].ID
	note := func(user string) {
		e.must(user, "POST", fmt.Sprintf("/api/v1/paragraphs/%d/notes", pid), map[string]string{"body": "a note by " + user}, http.StatusCreated, nil)
	}
	for range 5 {
		note("ann1")
		note("ann2")
	}
	got = pageAll(t, e, "ann1", fmt.Sprintf("/api/v1/paragraphs/%d/notes?limit=2", pid), "notes", func() { note("ann1"); note("ann2") })
	if n := once(t, "note", got); n != 6 {
		t.Errorf("ann1 sees %d of their notes, want 6", n)
	}
	got = pageAll(t, e, "rev", fmt.Sprintf("/api/v1/paragraphs/%d/notes?limit=5", pid), "notes", nil)
	if n := once(t, "note", got); n != 12 {
		t.Errorf("a reviewer sees %d notes, want 12", n)
	}
	got = pageAll(t, e, "rev", fmt.Sprintf("/api/v1/paragraphs/%d/history?limit=5", pid), "history", nil)
	if n := once(t, "history row", got); n != e.history(pid) {
		t.Errorf("history: %d rows over the pages, want %d", n, e.history(pid))
	}

	// Curation flags, by kind and status, flags raised meanwhile included.
	flag := func(user string, p int64, kind string) {
		e.must(user, "POST", fmt.Sprintf("/api/v1/paragraphs/%d/flags", p), map[string]string{"kind": kind, "reason": "test"}, http.StatusCreated, nil)
	}
	for _, p := range ps[10:30] {
		flag("ann1", p.ID, annotate.CurationBoilerplate)
		flag("ann2", p.ID, annotate.CurationDuplicate)
	}
	got = pageAll(t, e, "rev", "/api/v1/curations?kind=boilerplate&status=suggested&limit=6", "curations", func() {
		for _, p := range ps[30:34] {
			flag("ann1", p.ID, annotate.CurationBoilerplate)
		}
	})
	if n := once(t, "flag", got); n < 24 {
		t.Errorf("suggested boilerplate flags: %d, want the 24 raised in the test at least", n)
	}
	every, err := curationsOf(e.store, ctx, annotate.CurationFilter{Kind: annotate.CurationBoilerplate, Status: annotate.StatusSuggested})
	if err != nil || len(every) != len(got) {
		t.Errorf("the pages hold %d flags, the store %d (%v)", len(got), len(every), err)
	}

	// The disagreement queue by its cursor, with the document filter.
	for _, p := range ps[:9] {
		if _, err := e.store.SaveAnnotation(ctx, e.users["ann1"].ID, p.ID, 0, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.SaveAnnotation(ctx, e.users["ann2"].ID, p.ID, 0, annotate.Labels{"stance": {"discuss"}, "topic": {"strike"}}); err != nil {
			t.Fatal(err)
		}
	}
	got = pageAll(t, e, "rev", fmt.Sprintf("/api/v1/adjudication?limit=2&document=%d", doc), "items", nil)
	if n := once(t, "disputed paragraph", got); n != 9 {
		t.Errorf("the document's queue: %d paragraphs, want 9", n)
	}
	var byOffset struct {
		Items []json.RawMessage `json:"items"`
		Total int               `json:"total"`
	}
	e.must("rev", "GET", fmt.Sprintf("/api/v1/adjudication?limit=4&offset=7&document=%d", doc), nil, http.StatusOK, &byOffset)
	if len(byOffset.Items) != 2 || byOffset.Total != 9 {
		t.Errorf("offset 7 of 9: %d items, total %d; want 2 of 9", len(byOffset.Items), byOffset.Total)
	}

	// Limits over the maximum and bad cursors are refused, naming the
	// parameter.
	for _, tc := range []struct{ user, path, field string }{
		{"ann1", fmt.Sprintf("/api/v1/documents/%d/paragraphs?limit=501", doc), "limit"},
		{"ann1", fmt.Sprintf("/api/v1/documents/%d/paragraphs?next=-4", doc), "next"},
		{"admin", "/api/v1/users?limit=501", "limit"},
		{"admin", "/api/v1/users?next=abc", "next"},
		{"ann1", "/api/v1/tokens?limit=0", "limit"},
		{"ann1", fmt.Sprintf("/api/v1/paragraphs/%d/notes?limit=501", pid), "limit"},
		{"rev", fmt.Sprintf("/api/v1/paragraphs/%d/history?limit=1001", pid), "limit"},
		{"rev", fmt.Sprintf("/api/v1/paragraphs/%d/history?next=x", pid), "next"},
		{"rev", "/api/v1/curations?limit=501", "limit"},
		{"rev", "/api/v1/curations?next=0.5", "next"},
		{"rev", "/api/v1/curations?offset=100", "offset"},
		{"rev", "/api/v1/adjudication?limit=101", "limit"},
		{"rev", "/api/v1/adjudication?next=garbage", "next"},
	} {
		wantBadParam(t, e, tc.user, tc.path, tc.field)
	}
}

// followPages loads a page at path as user and follows its rel="next"
// links, returning the ids that re finds on each page, page by page.
func followPages(t *testing.T, e *apiEnv, user, path string, re *regexp.Regexp) [][]int64 {
	t.Helper()
	nextRe := regexp.MustCompile(`href="([^"]*)" rel="next"`)
	var pages [][]int64
	for path != "" {
		if len(pages) > 100 {
			t.Fatalf("%s: more pages than rows", path)
		}
		code, body := e.do(user, "GET", path, nil)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, code)
		}
		var ids []int64
		for _, m := range re.FindAllStringSubmatch(string(body), -1) {
			var id int64
			fmt.Sscan(m[1], &id)
			ids = append(ids, id)
		}
		pages = append(pages, ids)
		path = ""
		if m := nextRe.FindStringSubmatch(string(body)); m != nil {
			path = strings.ReplaceAll(m[1], "&amp;", "&")
		}
		if len(pages) > 1 && !strings.Contains(string(body), ">First page</a>") {
			t.Errorf("page %d of %s has no link to the first page", len(pages), path)
		}
	}
	return pages
}

// flat joins pages of ids.
func flat(pages [][]int64) []int64 {
	var out []int64
	for _, p := range pages {
		out = append(out, p...)
	}
	return out
}

func TestListPagesLinkToTheNextPage(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	doc := importLong(t, e, "pages.txt", 45)
	ps, err := e.store.Paragraphs(ctx, doc, 0)
	if err != nil {
		t.Fatal(err)
	}

	// A document's review, ten paragraphs a page.
	pages := followPages(t, e, "rev", fmt.Sprintf("/review/documents/%d?limit=10", doc), regexp.MustCompile(`<article class="rv-para[^"]*" id="p(\d+)"`))
	if len(pages) != 5 || once(t, "paragraph", flat(pages)) != len(ps) {
		t.Errorf("review: %d pages, %d paragraphs; want 5 pages of the %d", len(pages), len(flat(pages)), len(ps))
	}

	// Users, two a page, with the search kept on every link.
	for i := range 5 {
		if _, err := e.store.CreateUser(ctx, 0, fmt.Sprintf("searchme%d", i), annotate.RoleAnnotator, ""); err != nil {
			t.Fatal(err)
		}
	}
	userRe := regexp.MustCompile(`<td><a href="/admin/users/(\d+)">searchme`)
	pages = followPages(t, e, "admin", "/admin/users?limit=2&q=searchme", userRe)
	if len(pages) != 3 || once(t, "user", flat(pages)) != 5 {
		t.Errorf("users: %v, want 5 users over 3 pages", pages)
	}

	// Tokens on the account page and on the admin's page of a user.
	for i := range 5 {
		e.must("ann2", "POST", "/api/v1/tokens", map[string]string{"name": fmt.Sprintf("token %d", i)}, http.StatusCreated, nil)
	}
	pages = followPages(t, e, "ann2", "/account?limit=2", regexp.MustCompile(`action="/account/tokens/(\d+)/revoke"`))
	if once(t, "token", flat(pages)) != 6 || len(pages) != 3 {
		t.Errorf("account tokens: %v, want 6 over 3 pages", pages)
	}
	pages = followPages(t, e, "admin", fmt.Sprintf("/admin/users/%d?limit=4", e.users["ann2"].ID), regexp.MustCompile(`/tokens/(\d+)/revoke"`))
	if once(t, "token", flat(pages)) != 6 || len(pages) != 2 {
		t.Errorf("the admin's page of ann2: %v, want 6 tokens over 2 pages", pages)
	}

	// Curation, four flags a page; a decision on the second page returns
	// to that page and decides its flags alone.
	for _, p := range ps[:14] {
		e.must("ann1", "POST", fmt.Sprintf("/api/v1/paragraphs/%d/flags", p.ID), map[string]string{"kind": "duplicate", "reason": "same"}, http.StatusCreated, nil)
	}
	idRe := regexp.MustCompile(`name="ids" value="(\d+)"`)
	pages = followPages(t, e, "admin", "/admin/curation?kind=duplicate&limit=4", idRe)
	if len(pages) != 4 || once(t, "flag", flat(pages)) != 14 {
		t.Fatalf("curation: %v, want 14 flags over 4 pages", pages)
	}
	_, first := e.do("admin", "GET", "/admin/curation?kind=duplicate&limit=4", nil)
	m := regexp.MustCompile(`href="([^"]*)" rel="next"`).FindSubmatch(first)
	second := strings.ReplaceAll(string(m[1]), "&amp;", "&")
	_, body := e.do("admin", "GET", second, nil)
	if !strings.Contains(string(body), `name="back" value="`+strings.ReplaceAll(second, "&", "&amp;")+`"`) {
		t.Errorf("the second page's form does not return to %s", second)
	}
	form := url.Values{"decision": {"confirmed"}, "back": {second}, "filter_status": {"suggested"}, "filter_kind": {"duplicate"}}
	for _, id := range pages[1] {
		form.Add("ids", fmt.Sprint(id))
	}
	req, _ := http.NewRequest("POST", e.server.URL+"/admin/curation", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+e.tokens["admin"])
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != second {
		t.Errorf("decision: %d to %q, want 303 back to %s", resp.StatusCode, resp.Header.Get("Location"), second)
	}
	confirmed, err := curationsOf(e.store, ctx, annotate.CurationFilter{Status: annotate.StatusConfirmed, Kind: annotate.CurationDuplicate})
	var ids []int64
	for _, c := range confirmed {
		ids = append(ids, c.ID)
	}
	if err != nil || fmt.Sprint(ids) != fmt.Sprint(pages[1]) {
		t.Errorf("confirmed %v, want the second page's %v", ids, pages[1])
	}

	for _, path := range []string{"/admin/curation?limit=501", "/admin/users?next=abc", fmt.Sprintf("/review/documents/%d?limit=0", doc), "/account?limit=9999"} {
		user := "admin"
		if code, _ := e.do(user, "GET", path, nil); code != http.StatusBadRequest {
			t.Errorf("GET %s: %d, want 400", path, code)
		}
	}
}

func TestAgreementPageFindsDocumentsWithoutListingThem(t *testing.T) {
	e := newAPIEnv(t)
	importLong(t, e, "unique-key.txt", 3)
	importLong(t, e, "twin-a.txt", 3)
	importLong(t, e, "twin-b.txt", 3)
	docs, err := e.store.DocumentPage(context.Background(), 0, annotate.DocumentQuery{Search: "unique-key"})
	if err != nil || len(docs.Documents) != 1 {
		t.Fatalf("the test document: %v %v", docs, err)
	}
	id := docs.Documents[0].ID
	code, body := e.do("rev", "GET", "/agreement", nil)
	if code != http.StatusOK || strings.Contains(string(body), `<select id="ag-documents"`) || strings.Contains(string(body), "Long document twin-a.txt") {
		t.Errorf("the agreement page: %d; it must not list every document", code)
	}
	if !strings.Contains(string(body), `id="ag-find" name="find"`) {
		t.Errorf("the agreement page has no document search box")
	}
	chip := fmt.Sprintf(`<input type="hidden" name="document" value="%d">`, id)
	code, body = e.do("rev", "GET", "/agreement?find=UNIQUE-KEY.TXT", nil)
	if code != http.StatusOK || !strings.Contains(string(body), chip) {
		t.Errorf("?find= the key: %d, want the document %d chosen", code, id)
	}
	code, body = e.do("rev", "GET", fmt.Sprintf("/agreement?document=%d", id), nil)
	if code != http.StatusOK || !strings.Contains(string(body), chip) || !strings.Contains(string(body), "Long document unique-key.txt") {
		t.Errorf("?document=%d: %d, want the document shown as chosen", id, code)
	}
	code, body = e.do("rev", "GET", "/agreement?find=twin", nil)
	if code != http.StatusBadRequest || !strings.Contains(string(body), "matches several documents") || !strings.Contains(string(body), "twin-a.txt") {
		t.Errorf("?find=twin: %d, want 400 naming the matches", code)
	}
	code, body = e.do("rev", "GET", fmt.Sprintf("/agreement?document=%d&find=no+such+thing", id), nil)
	if code != http.StatusBadRequest || !strings.Contains(string(body), "no document") || !strings.Contains(string(body), chip) {
		t.Errorf("?find=no such thing: %d, want 400 that keeps the chosen document", code)
	}
}
