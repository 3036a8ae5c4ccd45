package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var (
	urlLine       = regexp.MustCompile(`Concord is running at (http://\S+/)`)
	adminPassword = regexp.MustCompile(`password:\s+(\S+)`)
)

// server is a concord serve running in the test.
type server struct {
	url    string
	stdout *syncBuffer
	stderr *syncBuffer
	stop   context.CancelFunc
	done   chan int
}

// startServe runs concord serve with args and waits until it prints its URL.
func startServe(t *testing.T, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{stdout: &syncBuffer{}, stderr: &syncBuffer{}, stop: cancel, done: make(chan int, 1)}
	go func() {
		s.done <- run(ctx, append([]string{"serve"}, args...), strings.NewReader(""), s.stdout, s.stderr)
	}()
	t.Cleanup(func() {
		cancel()
		<-s.done
	})
	// Generous: the first start hashes a password and imports the seeds.
	deadline := time.After(60 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if m := urlLine.FindStringSubmatch(s.stdout.String()); m != nil {
			s.url = m[1]
			return s
		}
		select {
		case code := <-s.done:
			s.done <- code
			t.Fatalf("serve exited with %d before serving\nstdout: %s\nstderr: %s", code, s.stdout, s.stderr)
		case <-deadline:
			t.Fatalf("serve printed no URL\nstdout: %s\nstderr: %s", s.stdout, s.stderr)
		case <-tick.C:
		}
	}
}

// shutdown stops the server as SIGINT would and returns its exit code.
func (s *server) shutdown() int {
	s.stop()
	code := <-s.done
	s.done <- code
	return code
}

func TestServeFirstStartAndGracefulShutdown(t *testing.T) {
	clearConcordEnv(t)
	db := tempDB(t)
	noSeeds := filepath.Join(t.TempDir(), "no-such-folder")
	srv := startServe(t, "--db", db, "--addr", "127.0.0.1:0", "--seeds", noSeeds, "--log-level", "warn")
	if !strings.HasPrefix(srv.url, "http://127.0.0.1:") || strings.HasSuffix(srv.url, ":0/") {
		t.Errorf("got URL %q, want 127.0.0.1 with the port picked", srv.url)
	}

	res, err := http.Get(srv.url + "healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"ok"`) {
		t.Errorf("GET /healthz: got %d %s, want 200 ok", res.StatusCode, body)
	}

	stderr := srv.stderr.String()
	if !strings.Contains(stderr, "user:      admin") || !strings.Contains(stderr, "concord users passwd admin") {
		t.Errorf("got stderr %q, want the admin box with how to change the password", stderr)
	}
	m := adminPassword.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("got stderr %q, want the admin password", stderr)
	}
	login, _ := json.Marshal(map[string]string{"name": "admin", "password": m[1]})
	res, err = http.Post(srv.url+"api/v1/login", "application/json", bytes.NewReader(login))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"admin"`) {
		t.Errorf("POST /api/v1/login with the printed password: got %d %s, want 200", res.StatusCode, body)
	}
	wrong, _ := json.Marshal(map[string]string{"name": "admin", "password": m[1] + "x"})
	res, err = http.Post(srv.url+"api/v1/login", "application/json", bytes.NewReader(wrong))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST /api/v1/login with a wrong password: got %d, want 401", res.StatusCode)
	}

	if got := documentCount(t, db); got != 2 {
		t.Errorf("got %d documents after the first start, want the 2 seed articles", got)
	}

	if code := srv.shutdown(); code != 0 {
		t.Errorf("shutdown: got exit %d, want 0\nstderr: %s", code, srv.stderr)
	}
	if _, err := http.Get(srv.url + "healthz"); err == nil {
		t.Error("the server still answers after shutdown")
	}

	// A second start finds users and a schema: no new password, no import.
	srv2 := startServe(t, "--db", db, "--addr", "127.0.0.1:0", "--seeds", noSeeds)
	if strings.Contains(srv2.stderr.String(), "password:") {
		t.Errorf("second start: got stderr %q, want no password", srv2.stderr)
	}
	if strings.Contains(srv2.stderr.String(), "imported the seed corpus") {
		t.Errorf("second start: got stderr %q, want no seed import", srv2.stderr)
	}
	if code := srv2.shutdown(); code != 0 {
		t.Errorf("second shutdown: got exit %d, want 0", code)
	}
	if got := documentCount(t, db); got != 2 {
		t.Errorf("got %d documents after the second start, want still 2", got)
	}
}

func TestServeSeedsFromFolder(t *testing.T) {
	clearConcordEnv(t)
	db := tempDB(t)
	seedDir := t.TempDir()
	writeFile(t, seedDir, "schema.yaml", []byte(schemaV1))
	writeFile(t, seedDir, "one.txt", []byte(articleA))
	srv := startServe(t, "--db", db, "--addr", "127.0.0.1:0", "--seeds", seedDir)
	if code := srv.shutdown(); code != 0 {
		t.Fatalf("shutdown: got exit %d, want 0\nstderr: %s", code, srv.stderr)
	}
	if got := documentCount(t, db); got != 1 {
		t.Errorf("got %d documents, want the 1 article of the seeds folder", got)
	}
	r := mustRun(t, "", "schema", "show", "--db", db)
	if !strings.Contains(r.stdout, "key: neutral") {
		t.Errorf("got schema %q, want the seeds folder's schema.yaml", r.stdout)
	}
}

func TestServePortInUseAndBadAddress(t *testing.T) {
	clearConcordEnv(t)
	db := tempDB(t)
	srv := startServe(t, "--db", db, "--addr", "127.0.0.1:0", "--seeds", t.TempDir())
	addr := strings.TrimSuffix(strings.TrimPrefix(srv.url, "http://"), "/")

	r := concord(t, "", "serve", "--db", tempDB(t), "--addr", addr)
	if r.code != 1 || !strings.Contains(r.stderr, addr+" is already in use") || !strings.Contains(r.stderr, "--addr") {
		t.Errorf("serve on a taken port: got %s, want exit 1 suggesting --addr", r)
	}
	r = concord(t, "", "serve", "--db", tempDB(t), "--addr", "8080")
	if r.code != 2 || !strings.Contains(r.stderr, "is not HOST:PORT") {
		t.Errorf("serve --addr 8080: got %s, want exit 2", r)
	}
}

func TestIsLoopback(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:8080", true},
		{"localhost:8080", true},
		{"[::1]:8080", true},
		{":8080", false},
		{"0.0.0.0:8080", false},
		{"192.168.1.5:80", false},
	}
	for _, tt := range tests {
		got, err := isLoopback(tt.addr)
		if err != nil || got != tt.want {
			t.Errorf("isLoopback(%q): got %v, %v; want %v", tt.addr, got, err, tt.want)
		}
	}
}
