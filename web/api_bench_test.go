package web_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	_ "github.com/mattn/go-sqlite3"

	"concord/annotate"
	"concord/seeds"
	"concord/web"
)

// apiBenchClients is how many clients send requests at once.
const apiBenchClients = 64

// apiBenchUsers is how many annotators share the clients.
const apiBenchUsers = 8

// apiRunPuts sends b.N requests from apiBenchClients goroutines; req builds
// the request for one client's n-th request and check reads its status. It
// reports requests per second and the 99th percentile latency.
func apiRunPuts(b *testing.B, req func(client, n int) *http.Request, check func(client, n, status int)) {
	b.Helper()
	tr := &http.Transport{MaxIdleConns: apiBenchClients, MaxIdleConnsPerHost: apiBenchClients}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	var next atomic.Int64
	lat := make([][]time.Duration, apiBenchClients)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for g := range apiBenchClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; next.Add(1) <= int64(b.N); n++ {
				r := req(g, n)
				t0 := time.Now()
				resp, err := hc.Do(r)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[g] = append(lat[g], time.Since(t0))
				check(g, n, resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	p99 := all[min(len(all)-1, len(all)*99/100)]
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
}

// BenchmarkAnnotationPut measures one annotation PUT through the whole
// stack: bearer authentication, label validation, the versioned write and
// its history row, over HTTP into an SQLite file. Each client labels its
// own paragraphs, alternating the stance, so the writes are creates and
// then updates.
func BenchmarkAnnotationPut(b *testing.B) {
	ctx := context.Background()
	st, err := annotate.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	data, _ := seeds.FS.ReadFile(seeds.SchemaFile)
	sc, err := annotate.ParseSchema(data)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.ApplySchema(ctx, 0, sc, nil); err != nil {
		b.Fatal(err)
	}
	for d := range 20 {
		var text strings.Builder
		fmt.Fprintf(&text, "Benchmark document %d\n\n", d)
		for p := range 100 {
			fmt.Fprintf(&text, "Paragraph %d of document %d says something about the news of the day.\n\n", p, d)
		}
		if _, err := st.ImportDocument(ctx, 0, annotate.Source{Key: fmt.Sprintf("bench-%02d.txt", d), Text: []byte(text.String()), Origin: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
	docs, err := st.Documents(ctx, 0)
	if err != nil {
		b.Fatal(err)
	}
	var paras []int64
	for _, d := range docs {
		ps, err := st.Paragraphs(ctx, d.ID, 0)
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range ps {
			paras = append(paras, p.ID)
		}
	}
	tokens := make([]string, apiBenchUsers)
	for i := range tokens {
		u, err := st.CreateUser(ctx, 0, fmt.Sprintf("bench%d", i), annotate.RoleAnnotator, "")
		if err != nil {
			b.Fatal(err)
		}
		if tokens[i], _, err = st.CreateToken(ctx, u.ID, "bench"); err != nil {
			b.Fatal(err)
		}
	}
	srv := httptest.NewServer(web.New(st, web.Config{Logger: slog.New(slog.DiscardHandler)}).Handler())
	defer srv.Close()

	// Client g is user g%apiBenchUsers and owns the paragraphs whose index
	// is g/apiBenchUsers modulo the clients per user.
	perUser := apiBenchClients / apiBenchUsers
	versions := make([]map[int64]int, apiBenchClients)
	for g := range versions {
		versions[g] = map[int64]int{}
	}
	stances := []string{"agree", "disagree", "discuss", "unrelated"}
	para := func(g, n int) int64 {
		own := len(paras) / perUser
		return paras[(n%own)*perUser+g/apiBenchUsers]
	}
	apiRunPuts(b, func(g, n int) *http.Request {
		p := para(g, n)
		// Each write changes the stance, so none is an idempotent no-op.
		v := versions[g][p]
		body := fmt.Sprintf(`{"version":%d,"labels":{"stance":%q,"topic":["strike"]}}`, v, stances[v%len(stances)])
		r, _ := http.NewRequest(http.MethodPut, fmt.Sprintf("%s/api/v1/paragraphs/%d/annotation", srv.URL, p), strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+tokens[g%apiBenchUsers])
		r.Header.Set("Content-Type", "application/json")
		return r
	}, func(g, n, status int) {
		if status != http.StatusOK && status != http.StatusCreated {
			b.Errorf("PUT: status %d", status)
			return
		}
		versions[g][para(g, n)]++
	})
}

// BenchmarkBarePut is the floor BenchmarkAnnotationPut is measured against:
// a Gin handler that inserts one row per request into its own SQLite table
// over one connection, with the same pragmas as the store, under the same
// clients.
func BenchmarkBarePut(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bare.db")
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=NORMAL&_busy_timeout=10000&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("CREATE TABLE bare (id INTEGER PRIMARY KEY, paragraph INTEGER NOT NULL, body TEXT NOT NULL)"); err != nil {
		b.Fatal(err)
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.PUT("/bare/:id", func(c *gin.Context) {
		body, err := io.ReadAll(c.Request.Body)
		if err != nil {
			c.Status(http.StatusBadRequest)
			return
		}
		if _, err := db.ExecContext(c.Request.Context(), "INSERT INTO bare (paragraph, body) VALUES (?, ?)", c.Param("id"), string(body)); err != nil {
			c.Status(http.StatusInternalServerError)
			return
		}
		c.JSON(http.StatusCreated, gin.H{"ok": true})
	})
	srv := httptest.NewServer(r)
	defer srv.Close()
	body := []byte(`{"version":0,"labels":{"stance":"agree","topic":["strike"]}}`)
	apiRunPuts(b, func(g, n int) *http.Request {
		r, _ := http.NewRequest(http.MethodPut, fmt.Sprintf("%s/bare/%d", srv.URL, g*1000+n), bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		return r
	}, func(g, n, status int) {
		if status != http.StatusCreated {
			b.Errorf("bare PUT: status %d", status)
		}
	})
}
