package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

// apiUploadWith sends one file with form fields to the import endpoint.
func (e *apiEnv) apiUploadWith(user, name, content string, fields map[string]string) (int, []byte) {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	w, err := mw.CreateFormFile("files", name)
	if err != nil {
		e.t.Fatal(err)
	}
	w.Write([]byte(content))
	mw.Close()
	req, _ := http.NewRequest("POST", e.server.URL+"/api/v1/import", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+e.tokens[user])
	return apiSend(e.t, http.DefaultClient, req)
}

// TestAPIImportOptions checks the split and title fields of an upload: by
// default a JSONL body separated by single line breaks is one untitled
// paragraph with a warning; with split=lines and title=first-line it is a
// new revision cut at every line; an unknown value is a 400 naming the
// field.
func TestAPIImportOptions(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	line := strings.Repeat("The council met again on Tuesday and talked for hours. ", 7)
	doc, _ := json.Marshal(map[string]string{"id": "council", "text": "Council meets\n" + line + "\n" + line + "\n" + line})
	file := string(doc) + "\n"

	got, body := e.apiUploadWith("admin", "news.jsonl", file, nil)
	var rep struct {
		Results []struct {
			Status  string `json:"status"`
			Warning string `json:"warning"`
		} `json:"results"`
		Created, Revised, Warnings int
	}
	if err := json.Unmarshal(body, &rep); got != 200 || err != nil {
		t.Fatalf("default import: got %d %s (%v)", got, body, err)
	}
	if rep.Created != 1 || rep.Warnings != 1 || len(rep.Results) != 1 || !strings.Contains(rep.Results[0].Warning, "--split lines") {
		t.Errorf("default import: got %s, want one created with a warning suggesting --split lines", body)
	}
	paragraphs := func() (string, int) {
		docs, err := e.store.Documents(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			if d.Key == "council" {
				return d.Title, d.Paragraphs
			}
		}
		t.Fatal("no document council")
		return "", 0
	}
	if title, n := paragraphs(); title != "" || n != 1 {
		t.Errorf("default import: title %q, %d paragraphs; want none and 1", title, n)
	}

	got, body = e.apiUploadWith("admin", "news.jsonl", file, map[string]string{"split": "lines", "title": "first-line"})
	rep.Warnings = 0
	if err := json.Unmarshal(body, &rep); got != 200 || err != nil || rep.Revised != 1 || rep.Warnings != 0 {
		t.Fatalf("import with split=lines: got %d %s, want one revised without warning", got, body)
	}
	if title, n := paragraphs(); title != "Council meets" || n != 3 {
		t.Errorf("split=lines, title=first-line: title %q, %d paragraphs; want Council meets and 3", title, n)
	}

	for field, value := range map[string]string{"split": "sentences", "title": "last-line"} {
		got, body = e.apiUploadWith("admin", "news.jsonl", file, map[string]string{field: value})
		if got != 400 || apiDecodeError(t, body).Error.Field != field || !strings.Contains(string(body), value) {
			t.Errorf("%s=%s: got %d %s, want 400 naming the field", field, value, got, body)
		}
	}
}

// TestAdminImportPageOptions checks that the import page takes the same
// split and title fields and shows each document's warning.
func TestAdminImportPageOptions(t *testing.T) {
	e := newAPIEnv(t)
	line := strings.Repeat("The council met again on Tuesday and talked for hours. ", 7)
	doc, _ := json.Marshal(map[string]string{"id": "council", "text": "Council meets\n" + line + "\n" + line + "\n" + line})
	post := func(fields map[string]string) (int, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for k, v := range fields {
			mw.WriteField(k, v)
		}
		w, _ := mw.CreateFormFile("files", "news.jsonl")
		w.Write(doc)
		mw.Close()
		req, _ := http.NewRequest("POST", e.server.URL+"/admin/import", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Origin", e.server.URL)
		req.Header.Set("Authorization", "Bearer "+e.tokens["admin"])
		got, body := apiSend(t, http.DefaultClient, req)
		return got, string(body)
	}
	got, page := post(nil)
	if got != 200 || !strings.Contains(page, "1 with a warning") || !strings.Contains(page, "import it again with --split lines") {
		t.Errorf("default import page: got %d, want the warning shown:\n%s", got, page)
	}
	got, page = post(map[string]string{"split": "lines", "title": "first-line"})
	if got != 200 || !strings.Contains(page, "1 revised") || strings.Contains(page, "with a warning") {
		t.Errorf("import page with split=lines: got %d, want one revised without warning:\n%s", got, page)
	}
	if got, page = post(map[string]string{"split": "sentences"}); got != 400 || !strings.Contains(page, "unknown paragraph split") {
		t.Errorf("import page with an unknown split: got %d, want 400 naming it:\n%.2000s", got, page)
	}
}
