package export_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"concord/web"
)

func TestExportOverHTTP(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	day := time.Date(2026, 11, 22, 15, 4, 5, 0, time.UTC)
	srv := httptest.NewServer(web.New(f.store, web.Config{Now: func() time.Time { return day }}).Handler())
	defer srv.Close()
	token := func(name string) string {
		secret, _, err := f.store.CreateToken(ctx, f.users[name], "test")
		if err != nil {
			t.Fatal(err)
		}
		return secret
	}
	get := func(tok, path string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	reviewer, annotator := token("rita"), token("alice")

	if resp := get(annotator, "/api/v1/export?format=jsonl"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("annotator: got %d, want 403", resp.StatusCode)
	}
	if resp := get("", "/api/v1/export?format=jsonl"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous: got %d, want 401", resp.StatusCode)
	}

	resp := get(reviewer, "/api/v1/export?format=jsonl&shape=dataset&dimensions=stance,topic")
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("reviewer: got %d %s, want 200", resp.StatusCode, body)
	}
	if got, want := resp.Header.Get("Content-Disposition"), `attachment; filename="concord-dataset-2026-11-22.jsonl"`; got != want {
		t.Errorf("Content-Disposition: got %q, want %q", got, want)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<22)
	n := 0
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		if _, ok := m["gold"].(map[string]any)["event"]; ok {
			t.Errorf("line %d: event exported although only stance and topic were asked for", n+1)
		}
		n++
	}
	if n != len(f.paras)-1 {
		t.Errorf("got %d lines, want %d", n, len(f.paras)-1)
	}

	resp = get(reviewer, "/api/v1/export?format=xlsx")
	if got := resp.Header.Get("Content-Disposition"); got != `attachment; filename="concord-review-2026-11-22.xlsx"` {
		t.Errorf("xlsx Content-Disposition: got %q", got)
	}
	wb, err := excelize.OpenReader(resp.Body)
	if err != nil {
		t.Fatalf("the downloaded workbook does not open: %v", err)
	}
	if got := wb.GetSheetList(); len(got) != 6 {
		t.Errorf("downloaded workbook sheets: %v", got)
	}
	wb.Close()

	resp = get(reviewer, "/api/v1/export?format=jsonl&dimensions=mood")
	var body struct {
		Error struct {
			Field   string   `json:"field"`
			Allowed []string `json:"allowed"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusBadRequest || body.Error.Field != "dimensions" || len(body.Error.Allowed) != 3 {
		t.Errorf("unknown dimension: got %d %+v (err %v), want 400 on dimensions listing 3", resp.StatusCode, body, err)
	}
	if resp.Header.Get("Content-Disposition") != "" {
		t.Errorf("an error answer carries a Content-Disposition")
	}

	// The page and its download, for a reviewer logged in with a cookie.
	resp = get(reviewer, "/export")
	page, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), `action="/export/download"`) || !strings.Contains(string(page), "alice") {
		t.Errorf("export page: got %d, want 200 with the form and the annotators", resp.StatusCode)
	}
	if resp := get(annotator, "/export"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("export page for an annotator: got %d, want 403", resp.StatusCode)
	}
	// The label-studio shape downloads as a .json task list, from the API
	// and from the page's form (whose format defaults to automatic), and
	// points to its labelling configuration.
	for _, path := range []string{"/api/v1/export?shape=label-studio&dimensions=stance", "/export/download?format=&shape=label-studio&dimensions=stance"} {
		resp = get(reviewer, path)
		var tasks []map[string]any
		err := json.NewDecoder(resp.Body).Decode(&tasks)
		if resp.StatusCode != http.StatusOK || err != nil || len(tasks) != len(f.paras)-1 {
			t.Errorf("%s: got %d, %d tasks (err %v), want 200 and a JSON array of %d", path, resp.StatusCode, len(tasks), err, len(f.paras)-1)
		}
		if got := resp.Header.Get("Content-Disposition"); got != `attachment; filename="concord-label-studio-2026-11-22.json"` {
			t.Errorf("%s: Content-Disposition %q", path, got)
		}
		link := resp.Header.Get("Link")
		if !strings.HasPrefix(link, "</api/v1/schema/label-studio?dimensions=stance>") {
			t.Errorf("%s: Link %q does not lead to the labelling configuration", path, link)
		} else if cfg := get(reviewer, strings.SplitN(link, ">", 2)[0][1:]); cfg.StatusCode != http.StatusOK {
			t.Errorf("the Link's configuration: got %d", cfg.StatusCode)
		}
	}
	if !strings.Contains(string(page), `<option value="json"`) {
		t.Errorf("the export page does not offer JSON arrays")
	}

	resp = get(reviewer, "/export/download?format=jsonl&shape=doccano&min_agreement=2")
	page, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(page), "between 0 and 1") {
		t.Errorf("bad option on the page: got %d, want 400 with the message on the page", resp.StatusCode)
	}
}
