package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"concord/web"
)

// hugeBody is a request body of size bytes that is made as it is read, so
// that a test can send hundreds of megabytes without holding them, and that
// counts how much of it was read.
type hugeBody struct {
	prefix string
	size   int64
	read   atomic.Int64
}

func (b *hugeBody) Read(p []byte) (int, error) {
	off := b.read.Load()
	if off >= b.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), b.size-off))
	for i := range n {
		if pos := off + int64(i); pos < int64(len(b.prefix)) {
			p[i] = b.prefix[pos]
		} else {
			p[i] = 'a'
		}
	}
	b.read.Add(int64(n))
	return n, nil
}

const (
	hugeSize = 300 << 20
	// readSlack is how far past its limit the server may read: what one
	// read of a buffer can take in beyond the last byte allowed.
	readSlack = 64 << 10
)

// multipartPrefix opens a multipart body with one file part that never ends.
const multipartPrefix = "--XBOUNDARYX\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\n"

// TestBodyLimits checks that every body is capped at its route's limit
// before authentication and before anything reads it: 300 MB sent to a
// form, logged in or not, is refused with 413 having read about the form
// limit; the JSON API reads about its own; the routes that take files read
// nothing before the role check and about the upload limit after it.
func TestBodyLimits(t *testing.T) {
	e := newAPIEnv(t)
	cfg := web.Config{MaxUploadBytes: 2 << 20}
	h := web.New(e.store, cfg).Handler()
	const formLimit, jsonLimit = 64 << 10, 1 << 20
	tests := []struct {
		name, user, path, ctype, prefix string
		want                            int
		maxRead                         int64
	}{
		{"anonymous form to /login", "", "/login", "application/x-www-form-urlencoded", "name=admin&password=", 413, formLimit},
		{"anonymous multipart to /login", "", "/login", "multipart/form-data; boundary=XBOUNDARYX", multipartPrefix, 413, formLimit},
		{"annotator's form to /account/tokens", "ann1", "/account/tokens", "application/x-www-form-urlencoded", "name=", 413, formLimit},
		{"annotator's multipart to /account/tokens", "ann1", "/account/tokens", "multipart/form-data; boundary=XBOUNDARYX", multipartPrefix, 413, formLimit},
		{"admin's form to /admin/users", "admin", "/admin/users", "application/x-www-form-urlencoded", "name=", 413, formLimit},
		{"anonymous JSON to /api/v1/login", "", "/api/v1/login", "application/json", `{"name":"`, 413, jsonLimit},
		{"annotator's JSON to /api/v1/tokens", "ann1", "/api/v1/tokens", "application/json", `{"name":"`, 413, jsonLimit},
		{"anonymous upload to /admin/import", "", "/admin/import", "multipart/form-data; boundary=XBOUNDARYX", multipartPrefix, 401, 0},
		{"annotator's upload to /admin/import", "ann1", "/admin/import", "multipart/form-data; boundary=XBOUNDARYX", multipartPrefix, 403, 0},
		{"annotator's upload to /api/v1/import", "ann1", "/api/v1/import", "multipart/form-data; boundary=XBOUNDARYX", multipartPrefix, 403, 0},
		{"admin's upload to /api/v1/import", "admin", "/api/v1/import", "multipart/form-data; boundary=XBOUNDARYX", multipartPrefix, 413, cfg.MaxUploadBytes},
		{"admin's upload to /admin/import", "admin", "/admin/import", "multipart/form-data; boundary=XBOUNDARYX", multipartPrefix, 413, cfg.MaxUploadBytes},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := &hugeBody{prefix: tc.prefix, size: hugeSize}
			req := httptest.NewRequest("POST", tc.path, body)
			req.Header.Set("Content-Type", tc.ctype)
			req.Header.Set("Accept", "application/json")
			if tc.user != "" {
				req.Header.Set("Authorization", "Bearer "+e.tokens[tc.user])
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Errorf("status %d, want %d; body: %.300s", rec.Code, tc.want, rec.Body.String())
			}
			if got := body.read.Load(); got > tc.maxRead+readSlack {
				t.Errorf("the server read %d bytes, want at most about %d", got, tc.maxRead)
			}
			if tc.want == 413 && !strings.Contains(rec.Body.String(), "limit of") {
				t.Errorf("413 does not give the limit: %.300s", rec.Body.String())
			}
		})
	}

	// Forms within the limit still work.
	req := httptest.NewRequest("POST", "/account/tokens", strings.NewReader("name=nightly+export"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+e.tokens["ann1"])
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 201 || !strings.Contains(rec.Body.String(), "cnc_") {
		t.Errorf("a small token form: %d, want 201 with the token; body: %.300s", rec.Code, rec.Body.String())
	}
}

// TestBodyLimitOverHTTP sends 300 MB to /login over a real connection: the
// answer is 413, and the server stops taking the body long before its end.
func TestBodyLimitOverHTTP(t *testing.T) {
	e := newAPIEnv(t)
	body := &hugeBody{prefix: "name=admin&password=", size: hugeSize}
	req, err := http.NewRequest("POST", e.server.URL+"/login", body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = hugeSize
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /login: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Errorf("300 MB to /login: %d, want 413", resp.StatusCode)
	}
	// What was sent is what the server read plus what the connection's
	// buffers took before it was closed: far from the whole.
	if sent := body.read.Load(); sent > 32<<20 {
		t.Errorf("the client got to send %d MB before the answer, want the server to stop it early", sent>>20)
	}
}
