package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"concord/web"
)

// apiUpload sends files (name → content) to the import endpoint as user.
func (e *apiEnv) apiUpload(user string, files [][2]string) (int, []byte) {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range files {
		w, err := mw.CreateFormFile("files", f[0])
		if err != nil {
			e.t.Fatal(err)
		}
		w.Write([]byte(f[1]))
	}
	mw.Close()
	req, _ := http.NewRequest("POST", e.server.URL+"/api/v1/import", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+e.tokens[user])
	return apiSend(e.t, http.DefaultClient, req)
}

// apiReport is the JSON shape of an import report.
type apiReport struct {
	Results []struct {
		Origin string `json:"origin"`
		Status string `json:"status"`
		Error  string `json:"error"`
	} `json:"results"`
	Created int `json:"created"`
	Failed  int `json:"failed"`
}

// TestAPIImport checks that an upload imports the good files and reports
// each bad one with its reason.
func TestAPIImport(t *testing.T) {
	e := newAPIEnv(t)
	good := "Cities raise security\n\nPolice in Boston said they were watching.\n\nNo threat was found."
	got, body := e.apiUpload("admin", [][2]string{
		{"boston.txt", good},
		{"latin1.txt", "Caf\xe9 society\n\nA paragraph in Latin-1."},
		{"empty.txt", ""},
	})
	if got != 200 {
		t.Fatalf("import: got %d, want 200; body: %s", got, body)
	}
	var rep apiReport
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatalf("report: %v: %s", err, body)
	}
	if rep.Created != 1 || rep.Failed != 2 || len(rep.Results) != 3 {
		t.Fatalf("report: got created %d failed %d results %d, want 1, 2, 3: %s", rep.Created, rep.Failed, len(rep.Results), body)
	}
	reasons := map[string]string{}
	for _, r := range rep.Results {
		if strings.Contains(r.Origin, "/") {
			t.Errorf("result origin shows a server path: %q", r.Origin)
		}
		reasons[r.Origin] = r.Status + ": " + r.Error
	}
	for name, want := range map[string]string{"boston.txt": "created", "latin1.txt": "UTF-8", "empty.txt": "empty"} {
		if !strings.Contains(reasons[name], want) {
			t.Errorf("result for %s: got %q, want it to contain %q", name, reasons[name], want)
		}
	}
	docs, err := e.store.Documents(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	last := docs[len(docs)-1]
	if last.Key != "boston.txt" || last.Source != "boston.txt" || last.Title != "Cities raise security" {
		t.Errorf("imported document: got key %q source %q title %q, want boston.txt, boston.txt, Cities raise security", last.Key, last.Source, last.Title)
	}

	// The same file again is unchanged, not a new document.
	got, body = e.apiUpload("admin", [][2]string{{"boston.txt", good}})
	if got != 200 || !strings.Contains(string(body), `"unchanged":1`) {
		t.Errorf("import again: got %d %s, want 200 with unchanged 1", got, body)
	}
	// Nothing importable: 400 with the reasons in error.current.
	got, body = e.apiUpload("admin", [][2]string{{"notes.pdf", "%PDF"}, {`dir\evil.txt`, "x"}})
	if got != 400 {
		t.Fatalf("import of bad files only: got %d, want 400; body: %s", got, body)
	}
	if err := json.Unmarshal(apiDecodeError(t, body).Error.Current, &rep); err != nil || rep.Failed != 2 {
		t.Errorf("error.current: got %+v (%v), want a report with 2 failures", rep, err)
	}
	if !strings.Contains(string(body), "not a .txt") || !strings.Contains(string(body), "path") {
		t.Errorf("reasons for bad files: %s", body)
	}
	// No files at all.
	got, body = e.apiUpload("admin", nil)
	if got != 400 || apiDecodeError(t, body).Error.Field != "files" {
		t.Errorf("import without files: got %d %s, want 400 naming files", got, body)
	}
	// Annotators cannot import.
	if got, _ := e.apiUpload("ann1", [][2]string{{"x.txt", good}}); got != 403 {
		t.Errorf("import as annotator: got %d, want 403", got)
	}
}

// TestAPIImportTooLarge checks that an upload over the limit is a 413.
func TestAPIImportTooLarge(t *testing.T) {
	e := newAPIEnvConfig(t, web.Config{MaxUploadBytes: 4096})
	got, body := e.apiUpload("admin", [][2]string{{"big.txt", "Title\n\n" + strings.Repeat("word ", 2000)}})
	if got != 413 {
		t.Errorf("large upload: got %d, want 413; body: %s", got, body)
	}
	apiDecodeError(t, body)
}
