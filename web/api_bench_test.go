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

// putTarget is one server under benchmark: req builds client g's n-th
// request and check reads its status.
type putTarget struct {
	req   func(g, n int) *http.Request
	check func(g, n, status int)
	// sent counts each client's requests over all rounds.
	sent []int
}

// putStats gathers the requests and latencies of a target's rounds.
type putStats struct {
	n       int
	elapsed time.Duration
	lat     []time.Duration
}

// apiRunPuts sends n requests to t from apiBenchClients goroutines and adds
// their count, time and latencies to st.
func apiRunPuts(b *testing.B, hc *http.Client, t *putTarget, n int, st *putStats) {
	b.Helper()
	var next atomic.Int64
	lat := make([][]time.Duration, apiBenchClients)
	var wg sync.WaitGroup
	start := time.Now()
	for g := range apiBenchClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				k := t.sent[g]
				t.sent[g]++
				r := t.req(g, k)
				t0 := time.Now()
				resp, err := hc.Do(r)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[g] = append(lat[g], time.Since(t0))
				t.check(g, k, resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	st.elapsed += time.Since(start)
	for _, l := range lat {
		st.n += len(l)
		st.lat = append(st.lat, l...)
	}
}

// rate returns the requests per second and the 99th percentile latency in
// milliseconds.
func (st *putStats) rate() (perSecond, p99ms float64) {
	if st.n == 0 {
		return 0, 0
	}
	slices.Sort(st.lat)
	p99 := st.lat[min(len(st.lat)-1, len(st.lat)*99/100)]
	return float64(st.n) / st.elapsed.Seconds(), float64(p99.Microseconds()) / 1000
}

// putRounds is how many alternating rounds BenchmarkAnnotationPut runs.
const putRounds = 8

// BenchmarkAnnotationPut measures one annotation PUT through the whole
// stack — bearer authentication, label validation, the versioned write and
// its history row, over HTTP into an SQLite file — next to the floor it is
// measured against: a bare Gin handler that inserts one row per request. The
// two run in alternating rounds in the same process, so that a machine
// whose speed drifts during the run (a shared one does) slows both alike.
// It reports each side's requests per second and 99th percentile latency,
// and the ratio of the two rates.
func BenchmarkAnnotationPut(b *testing.B) {
	full := fullPutTarget(b)
	bare := barePutTarget(b)
	tr := &http.Transport{MaxIdleConns: 2 * apiBenchClients, MaxIdleConnsPerHost: apiBenchClients}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	var fs, bs putStats
	per := max(b.N/putRounds, 1)
	b.ResetTimer()
	for range putRounds {
		apiRunPuts(b, hc, bare, per, &bs)
		apiRunPuts(b, hc, full, per, &fs)
	}
	b.StopTimer()
	fullRate, fullP99 := fs.rate()
	bareRate, bareP99 := bs.rate()
	b.ReportMetric(fullRate, "req/s")
	b.ReportMetric(fullP99, "p99-ms")
	b.ReportMetric(bareRate, "bare-req/s")
	b.ReportMetric(bareP99, "bare-p99-ms")
	if bareRate > 0 {
		b.ReportMetric(fullRate/bareRate, "ratio")
	}
}

// fullPutTarget starts Concord over a fresh SQLite file with 2,000
// paragraphs and apiBenchUsers annotators. Each client labels its own
// paragraphs, alternating the stance, so the writes are creates and then
// updates.
func fullPutTarget(b *testing.B) *putTarget {
	return fullPutTargetOn(b, filepath.Join(b.TempDir(), "bench.db"), 1)
}

// fullPutTargetOn is fullPutTarget over the database dsn, served by the
// given number of Concord servers, each with a store of its own; client g
// sends to server g modulo servers.
func fullPutTargetOn(b *testing.B, dsn string, servers int) *putTarget {
	ctx := context.Background()
	st, err := annotate.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
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
	urls := make([]string, servers)
	for i := range urls {
		si := st
		if i > 0 {
			if si, err = annotate.Open(ctx, dsn); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { si.Close() })
		}
		srv := httptest.NewServer(web.New(si, web.Config{Logger: slog.New(slog.DiscardHandler)}).Handler())
		b.Cleanup(srv.Close)
		urls[i] = srv.URL
	}

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
	return &putTarget{sent: make([]int, apiBenchClients), req: func(g, n int) *http.Request {
		p := para(g, n)
		// Each write changes the stance, so none is an idempotent no-op.
		v := versions[g][p]
		body := fmt.Sprintf(`{"version":%d,"labels":{"stance":%q,"topic":["strike"]}}`, v, stances[v%len(stances)])
		r, _ := http.NewRequest(http.MethodPut, fmt.Sprintf("%s/api/v1/paragraphs/%d/annotation", urls[g%servers], p), strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+tokens[g%apiBenchUsers])
		r.Header.Set("Content-Type", "application/json")
		return r
	}, check: func(g, n, status int) {
		if status != http.StatusOK && status != http.StatusCreated {
			b.Errorf("PUT: status %d", status)
			return
		}
		versions[g][para(g, n)]++
	}}
}

// barePutTarget is the floor BenchmarkAnnotationPut is measured against: a
// Gin handler that inserts one row per request into its own SQLite table
// over one connection, with the same pragmas as the store.
func barePutTarget(b *testing.B) *putTarget {
	path := filepath.Join(b.TempDir(), "bare.db")
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=NORMAL&_busy_timeout=10000&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	return bareTarget(b, db, "CREATE TABLE bare (id INTEGER PRIMARY KEY, paragraph INTEGER NOT NULL, body TEXT NOT NULL)", "INSERT INTO bare (paragraph, body) VALUES (?, ?)")
}

// bareTarget serves a Gin handler that inserts one row per request into a
// table made by create, with insert, over db (closed when b ends).
func bareTarget(b *testing.B, db *sql.DB, create, insert string) *putTarget {
	b.Cleanup(func() { db.Close() })
	if _, err := db.Exec(create); err != nil {
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
		if _, err := db.ExecContext(c.Request.Context(), insert, c.Param("id"), string(body)); err != nil {
			c.Status(http.StatusInternalServerError)
			return
		}
		c.JSON(http.StatusCreated, gin.H{"ok": true})
	})
	srv := httptest.NewServer(r)
	b.Cleanup(srv.Close)
	body := []byte(`{"version":0,"labels":{"stance":"agree","topic":["strike"]}}`)
	return &putTarget{sent: make([]int, apiBenchClients), req: func(g, n int) *http.Request {
		r, _ := http.NewRequest(http.MethodPut, fmt.Sprintf("%s/bare/%d", srv.URL, g*1000000+n), bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		return r
	}, check: func(g, n, status int) {
		if status != http.StatusCreated {
			b.Errorf("bare PUT: status %d", status)
		}
	}}
}
