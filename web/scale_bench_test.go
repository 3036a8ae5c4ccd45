package web_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"concord/annotate"
	"concord/annotate/annotatetest"
	"concord/web"
)

// BenchmarkScale builds two corpora in one run — S, 1,000 documents of ten
// paragraphs, and L, CONCORD_BENCH_SCALE_DOCS documents (100,000 by
// default: a million paragraphs) — with three annotators on the first 30%
// of each, and times every page and list endpoint a team uses on both: the
// median of five requests, in alternating rounds, with the size of the
// response and the ratio of L to S. At L it also measures the agreement
// report (a view after a write, and a repeat view), the server's peak heap
// during ten concurrent home-page and queue requests, and the write-ahead
// log after a sustained labelling run. With CONCORD_BENCH_README naming
// the README, the table replaces the one between its scale-benchmark
// markers; with CONCORD_BENCH_SCALE_DIR naming a folder, the corpora are
// kept there. The corpora are SQLite files whatever CONCORD_TEST_POSTGRES
// says, as the figures in the README are.
func BenchmarkScale(b *testing.B) {
	docs := 100000
	if v := os.Getenv("CONCORD_BENCH_SCALE_DOCS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1000 {
			b.Fatalf("CONCORD_BENCH_SCALE_DOCS=%q: give a number of documents of at least 1000", v)
		}
		docs = n
	}
	S := newScaleCorpus(b, "S", 1000)
	L := newScaleCorpus(b, "L", docs)
	endpoints := []scaleEndpoint{
		{name: "home page `/`", user: "a4", path: "/"},
		{name: "`/review`", user: "rev", path: "/review"},
		{name: "`GET /api/v1/documents`", user: "rev", path: "/api/v1/documents"},
		{name: "`GET /api/v1/documents?status=done` (the team's, 30% of the documents)", user: "rev", path: "/api/v1/documents?status=done"},
		{name: "`GET /api/v1/documents?status=not_started` (after the 30% done)", user: "rev", path: "/api/v1/documents?status=not_started"},
		{name: "`GET /api/v1/documents?status=mine_left` (an annotator who labelled 30%)", user: "a1", path: "/api/v1/documents?status=mine_left"},
		{name: "`GET /api/v1/documents?status=mine_done` (the same annotator's)", user: "a1", path: "/api/v1/documents?status=mine_done"},
		{name: "`GET /api/v1/documents?status=disagreements` (where a1–a3 differ: about 30% of the labelled paragraphs)", user: "rev", path: "/api/v1/documents?status=disagreements"},
		{name: "`GET /api/v1/documents?status=gold` (gold on 5% of the labelled paragraphs)", user: "rev", path: "/api/v1/documents?status=gold"},
		{name: "`GET /api/v1/documents?q=document 4`", user: "rev", path: "/api/v1/documents?q=document+4"},
		{name: "`GET /api/v1/documents/:id/paragraphs`", user: "rev", path: "/api/v1/documents/{doc}/paragraphs"},
		{name: "`GET /api/v1/queue/next?limit=10`", user: "a4", path: "/api/v1/queue/next?limit=10"},
		{name: "`/annotate`", user: "a4", path: "/annotate"},
		{name: "`GET /api/v1/agreement?bootstrap=0`, after a write", user: "rev", path: "/api/v1/agreement?bootstrap=0", write: true},
		{name: "`GET /api/v1/agreement?bootstrap=0`, repeat view", user: "rev", path: "/api/v1/agreement?bootstrap=0"},
		{name: "`/agreement`, after a write (the coefficients; the intervals follow)", user: "rev", path: "/agreement", write: true},
		{name: "`/agreement`, repeat view", user: "rev", path: "/agreement"},
		{name: "`GET /api/v1/adjudication`, after a write", user: "rev", path: "/api/v1/adjudication", write: true},
		{name: "`/adjudicate`", user: "rev", path: "/adjudicate"},
		{name: "`GET /api/v1/adjudication`", user: "rev", path: "/api/v1/adjudication"},
		{name: "`/admin/curation`", user: "boss", path: "/admin/curation"},
		{name: "`/admin/users`", user: "boss", path: "/admin/users"},
	}
	hc := &http.Client{}
	const repeats = 5
	for b.Loop() {
		for i := range endpoints {
			e := &endpoints[i]
			e.times = map[string][]time.Duration{}
			for range repeats {
				for _, c := range []*scaleCorpus{S, L} {
					if e.write {
						c.write(b, hc)
					}
					d, n := c.get(b, hc, e.user, e.path)
					e.times[c.name] = append(e.times[c.name], d)
					e.bytes = max(e.bytes, n)
					if c == L {
						e.lBytes = n
					}
				}
			}
		}
	}

	// Memory at L: one agreement report after a write, and ten home-page
	// and queue requests at once.
	runtime.GC()
	L.write(b, hc)
	stop := annotatetest.PeakHeap()
	L.get(b, hc, "rev", "/api/v1/agreement?bootstrap=0")
	agreementHeap := stop()
	runtime.GC()
	stop = annotatetest.PeakHeap()
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			user := fmt.Sprintf("a%d", 4+i%7)
			L.get(b, hc, user, "/")
			L.get(b, hc, user, "/api/v1/queue/next?limit=10")
		})
	}
	wg.Wait()
	concurrentHeap := stop()

	// The write-ahead log after a sustained labelling run at L: seven
	// annotators save 3,000 labels each, at once.
	saved := L.label(b, hc, 3000)
	wal := fileSize(L.path + "-wal")

	var table strings.Builder
	fmt.Fprintf(&table, "| what | S (%s paragraphs) | L (%s paragraphs) | L / S | largest response |\n| --- | --- | --- | --- | --- |\n", thousands(S.paragraphs), thousands(L.paragraphs))
	for _, e := range endpoints {
		s, l := median(e.times["S"]), median(e.times["L"])
		fmt.Fprintf(&table, "| %s | %s | %s | %.2f | %s |\n", e.name, ms(s), ms(l), float64(l)/float64(s), sizeKB(e.bytes))
		b.ReportMetric(float64(l)/float64(s), strings.Trim(strings.NewReplacer(" ", "-", "`", "", "/", "_", ",", "", "?", "", "=", "", ":", "").Replace(e.name), "-_")+"-L/S")
	}
	fmt.Fprintf(&table, "\nAt L: peak heap %s during an agreement report after a write, %s during ten home-page and queue requests at once; write-ahead log %s after %s labels saved by seven annotators at once. Folding the %s labels written in bulk into each annotator's finished documents, once, before the requests: %.1f s (S: %.2f s).\n",
		mb(agreementHeap), mb(concurrentHeap), mb(uint64(wal)), thousands(saved), thousands(L.paragraphs*9/10), L.foldTime.Seconds(), S.foldTime.Seconds())
	b.ReportMetric(L.foldTime.Seconds(), "L-fold-s")
	b.ReportMetric(float64(agreementHeap)/(1<<20), "agreement-heap-MB")
	b.ReportMetric(float64(concurrentHeap)/(1<<20), "concurrent-heap-MB")
	b.ReportMetric(float64(wal)/(1<<20), "wal-MB")
	fmt.Print("\n" + table.String())
	if path := os.Getenv("CONCORD_BENCH_README"); path != "" {
		if err := replaceBetween(path, "<!-- scale-benchmark -->", "<!-- /scale-benchmark -->", table.String()); err != nil {
			b.Fatal(err)
		}
	}
}

// scaleEndpoint is one page or API call of BenchmarkScale, with what it
// measured: each corpus's times and the largest response.
type scaleEndpoint struct {
	name, user, path string
	// write asks for a label saved before each request, so that the
	// request finds a report computed before the write out of date.
	write  bool
	times  map[string][]time.Duration
	bytes  int
	lBytes int
}

// scaleCorpus is one corpus of BenchmarkScale, served over HTTP.
type scaleCorpus struct {
	name       string
	path       string
	paragraphs int
	store      *annotate.Store
	url        string
	tokens     map[string]string
	firstDoc   int64
	// writes counts the labels write has saved, which alternate.
	writes    int
	writeOn   int64
	writeVers int
	// foldTime is how long the first fold of the labels written in bulk
	// into each annotator's finished documents took.
	foldTime time.Duration
}

// newScaleCorpus builds a corpus of docs documents of ten paragraphs, with
// the default schema, an admin (boss), a reviewer (rev) and ten annotators
// (a1–a10), of whom a1–a3 labelled the first 30% of the paragraphs in
// reading order, agreeing on most.
func newScaleCorpus(b *testing.B, name string, docs int) *scaleCorpus {
	ctx := context.Background()
	dir := b.TempDir()
	if keep := os.Getenv("CONCORD_BENCH_SCALE_DIR"); keep != "" {
		// Kept for a look afterwards (concord serve --db …); the tokens are
		// printed below.
		dir = keep
	}
	c := &scaleCorpus{name: name, path: filepath.Join(dir, fmt.Sprintf("%s-%d.db", name, docs)), paragraphs: docs * 10, tokens: map[string]string{}}
	for _, ext := range []string{"", "-wal", "-shm"} {
		os.Remove(c.path + ext)
	}
	st, err := annotate.Open(ctx, c.path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	c.store = st
	annotatetest.ApplyDefaultSchema(b, st)
	batch := make([]annotate.Source, 0, 500)
	words := strings.Fields("officials said the police are monitoring the situation closely and see no credible threat at this time while the city watches the news")
	for d := range docs {
		var text strings.Builder
		fmt.Fprintf(&text, "Document %d of the %s corpus\n\n", d, name)
		for p := range 10 {
			fmt.Fprintf(&text, "Paragraph %d of document %d: ", p, d)
			for w := range 12 {
				text.WriteString(words[(d*7+p*3+w)%len(words)] + " ")
			}
			text.WriteString("\n\n")
		}
		batch = append(batch, annotate.Source{Key: fmt.Sprintf("doc-%07d.txt", d), Text: []byte(text.String()), Origin: "bench"})
		if len(batch) == cap(batch) || d == docs-1 {
			if _, err := st.ImportDocuments(ctx, 0, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	users := map[string]annotate.Role{"boss": annotate.RoleAdmin, "rev": annotate.RoleReviewer}
	for i := 1; i <= 10; i++ {
		users[fmt.Sprintf("a%d", i)] = annotate.RoleAnnotator
	}
	ids := map[string]int64{}
	for n, role := range users {
		u, err := st.CreateUser(ctx, 0, n, role, "")
		if err != nil {
			b.Fatal(err)
		}
		ids[n] = u.ID
		if c.tokens[n], _, err = st.CreateToken(ctx, u.ID, "bench"); err != nil {
			b.Fatal(err)
		}
	}
	// The labels go in with plain SQL, as through the store they would
	// take longer than the rest of the run; the store's triggers keep the
	// paragraphs' counts as for any other write.
	db, err := sql.Open("sqlite3", "file:"+c.path+"?_journal_mode=WAL&_busy_timeout=10000")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	limit := c.paragraphs * 3 / 10
	stance := map[string]string{
		"a1": `CASE id % 4 WHEN 0 THEN 'agree' WHEN 1 THEN 'disagree' WHEN 2 THEN 'discuss' ELSE 'unrelated' END`,
		"a2": `CASE WHEN id % 7 = 0 THEN 'unrelated' ELSE CASE id % 4 WHEN 0 THEN 'agree' WHEN 1 THEN 'disagree' WHEN 2 THEN 'discuss' ELSE 'unrelated' END END`,
		"a3": `CASE WHEN id % 5 = 0 THEN 'agree' ELSE CASE id % 4 WHEN 0 THEN 'agree' WHEN 1 THEN 'disagree' WHEN 2 THEN 'discuss' ELSE 'unrelated' END END`,
	}
	now := time.Now().UTC()
	for _, u := range []string{"a1", "a2", "a3"} {
		q := `INSERT INTO annotations (paragraph_id, user_id, labels, version, schema_version, created_at, updated_at)
SELECT id, ?, '{"stance":["' || ` + stance[u] + ` || '"],"topic":["strike"]}', 1, 1, ?, ? FROM paragraphs WHERE is_current = 1 ORDER BY document_id, position LIMIT ?`
		if _, err := db.Exec(q, ids[u], now, now, limit); err != nil {
			b.Fatal(err)
		}
	}
	// A reviewer decided gold labels for 5% of the labelled paragraphs, enough for a full page at S.
	if _, err := db.Exec(`INSERT INTO golds (paragraph_id, labels, version, method, decided_by, decided_at)
SELECT paragraph_id, labels, 1, 'accept:a1', ?, ? FROM annotations WHERE user_id = ? AND paragraph_id % 20 = 0`, ids["rev"], now, ids["a1"]); err != nil {
		b.Fatal(err)
	}
	if err := db.QueryRow(`SELECT min(id) FROM documents`).Scan(&c.firstDoc); err != nil {
		b.Fatal(err)
	}
	// a4 changes its label of the last paragraph of the corpus to make
	// each write; it is outside what the others labelled.
	if err := db.QueryRow(`SELECT max(id) FROM paragraphs WHERE is_current = 1`).Scan(&c.writeOn); err != nil {
		b.Fatal(err)
	}
	// The labels written with SQL are folded into each annotator's
	// finished documents, as a running server does in the background after
	// they are written; the time it takes is reported.
	start := time.Now()
	if err := st.FoldFinished(ctx); err != nil {
		b.Fatal(err)
	}
	c.foldTime = time.Since(start)
	if os.Getenv("CONCORD_BENCH_SCALE_DIR") != "" {
		fmt.Fprintf(os.Stderr, "%s corpus: %s, tokens %v\n", name, c.path, c.tokens)
	}
	srv := httptest.NewServer(web.New(st, web.Config{Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))}).Handler())
	b.Cleanup(srv.Close)
	c.url = srv.URL
	return c
}

// get sends one GET as user and returns how long the whole response took
// and its size; anything but 200 fails the benchmark.
func (c *scaleCorpus) get(b *testing.B, hc *http.Client, user, path string) (time.Duration, int) {
	b.Helper()
	path = strings.ReplaceAll(path, "{doc}", strconv.FormatInt(c.firstDoc, 10))
	req, err := http.NewRequest(http.MethodGet, c.url+path, nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.tokens[user])
	t0 := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d := time.Since(t0)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("%s GET %s as %s: %d %v", c.name, path, user, resp.StatusCode, err)
	}
	return d, int(n)
}

// write saves a4's label of one paragraph, another stance each time.
func (c *scaleCorpus) write(b *testing.B, hc *http.Client) {
	b.Helper()
	stances := []string{"agree", "disagree", "discuss", "unrelated"}
	body := fmt.Sprintf(`{"version":%d,"labels":{"stance":%q,"topic":["strike"]}}`, c.writeVers, stances[c.writes%4])
	req, _ := http.NewRequest(http.MethodPut, fmt.Sprintf("%s/api/v1/paragraphs/%d/annotation", c.url, c.writeOn), bytes.NewReader([]byte(body)))
	req.Header.Set("Authorization", "Bearer "+c.tokens["a4"])
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		b.Fatalf("%s: a4's save: %d", c.name, resp.StatusCode)
	}
	c.writes++
	c.writeVers++
}

// label has annotators a4–a10 each save n labels at once, from the queue,
// and returns how many were saved.
func (c *scaleCorpus) label(b *testing.B, hc *http.Client, n int) int {
	b.Helper()
	var saved atomic.Int64
	var wg sync.WaitGroup
	for i := 4; i <= 10; i++ {
		user := fmt.Sprintf("a%d", i)
		wg.Go(func() {
			for done := 0; done < n; {
				req, _ := http.NewRequest(http.MethodGet, c.url+"/api/v1/queue/next?limit=50", nil)
				req.Header.Set("Authorization", "Bearer "+c.tokens[user])
				resp, err := hc.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				data, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				ids := paragraphIDs(data)
				if len(ids) == 0 {
					return
				}
				for _, id := range ids {
					body := `{"version":0,"labels":{"stance":"agree","topic":["strike"]}}`
					req, _ := http.NewRequest(http.MethodPut, fmt.Sprintf("%s/api/v1/paragraphs/%d/annotation", c.url, id), strings.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+c.tokens[user])
					req.Header.Set("Content-Type", "application/json")
					resp, err := hc.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode == http.StatusCreated {
						saved.Add(1)
					}
					done++
				}
			}
		})
	}
	wg.Wait()
	return int(saved.Load())
}

// paragraphIDs picks the paragraph ids out of a queue response.
func paragraphIDs(data []byte) []int64 {
	var page struct {
		Items []struct {
			Paragraph struct {
				ID int64 `json:"id"`
			} `json:"paragraph"`
		} `json:"items"`
	}
	if json.Unmarshal(data, &page) != nil {
		return nil
	}
	var out []int64
	for _, it := range page.Items {
		out = append(out, it.Paragraph.ID)
	}
	return out
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func ms(d time.Duration) string {
	if d < 10*time.Millisecond {
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	if d < 10*time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

func sizeKB(n int) string { return fmt.Sprintf("%.1f KB", float64(n)/1000) }

func mb(n uint64) string { return fmt.Sprintf("%.0f MB", float64(n)/(1<<20)) }

func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// replaceBetween replaces what lies between the lines start and end of the
// file at path with text.
func replaceBetween(path, start, end, text string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s := string(data)
	i, j := strings.Index(s, start), strings.Index(s, end)
	if i < 0 || j < i {
		return fmt.Errorf("%s has no %s … %s block", path, start, end)
	}
	return os.WriteFile(path, []byte(s[:i+len(start)]+"\n"+text+s[j:]), 0o644)
}
