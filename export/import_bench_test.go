package export_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"concord/annotate"
	"concord/annotate/annotatetest"
	"concord/export"
	"concord/seeds"
)

// BenchmarkImportLabelsAtSize imports a dataset export of the benchmark
// corpus (benchParagraphs paragraphs, three annotators each) into an empty
// database, as a team moving to a new server does, beside its yardstick: the
// document import of the same texts into another empty database. It
// reports both rates, their ratio, and the write-ahead log's largest size
// during the label import and its size at the end. With
// CONCORD_TEST_POSTGRES set, both imports write to PostgreSQL databases.
func BenchmarkImportLabelsAtSize(b *testing.B) {
	ctx := context.Background()
	src, err := annotate.Open(ctx, benchDB(b))
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	file := filepath.Join(dir, "dataset.jsonl")
	f, err := os.Create(file)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := export.Write(ctx, src, f, export.Options{Split: export.SplitOptions{Off: true}}); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	corpus := filepath.Join(dir, "documents.jsonl")
	writeCorpus(b, corpus)
	src.Close()
	paragraphs := benchParagraphs()
	var docRate, labelRate, docCPU, labelCPU, walPeak, walEnd float64
	for i := 0; b.Loop(); i++ {
		// The yardstick: the same documents, as a JSONL corpus, through
		// the document import (concord import).
		d := emptyStore(b, filepath.Join(dir, "docs.db"))
		t0, c0 := time.Now(), cpuTime()
		rep, err := d.ImportPaths(ctx, []string{corpus}, annotate.ImportOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if rep.Failed > 0 || rep.Created != paragraphs/10 {
			b.Fatalf("document import: %d created, %d failed", rep.Created, rep.Failed)
		}
		docRate += float64(paragraphs) / time.Since(t0).Seconds()
		docCPU += cpuTime() - c0
		d.Close()

		path := filepath.Join(dir, "labels.db")
		l := emptyStore(b, path)
		// The log watched is SQLite's; on PostgreSQL there is none to
		// watch here, and the sizes stay 0.
		stop := walWatch(path + "-wal")
		t0, c0 = time.Now(), cpuTime()
		lrep, err := export.ImportFile(ctx, l, file, export.ImportOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if err := lrep.Err(); err != nil {
			b.Fatal(err)
		}
		labelRate += float64(paragraphs) / time.Since(t0).Seconds()
		labelCPU += cpuTime() - c0
		peak, end := stop()
		walPeak, walEnd = max(walPeak, peak), max(walEnd, end)
		if lrep.Annotations != 3*paragraphs {
			b.Fatalf("imported %d annotations, want %d", lrep.Annotations, 3*paragraphs)
		}
		l.Close()
		for _, p := range []string{"docs.db", "labels.db"} {
			for _, ext := range []string{"", "-wal", "-shm"} {
				os.Remove(filepath.Join(dir, p+ext))
			}
		}
	}
	n := float64(b.N)
	b.ReportMetric(docRate/n, "document-import-paragraphs/s")
	b.ReportMetric(labelRate/n, "label-import-paragraphs/s")
	b.ReportMetric(labelRate/docRate, "ratio")
	// On a shared machine the processor time each took says more than the
	// rates, which the other work on the machine moves.
	b.ReportMetric(docCPU/n, "document-import-cpu-s")
	b.ReportMetric(labelCPU/n, "label-import-cpu-s")
	b.ReportMetric(docCPU/labelCPU, "cpu-ratio")
	b.ReportMetric(walPeak/(1<<20), "wal-peak-MB")
	b.ReportMetric(walEnd/(1<<20), "wal-end-MB")
}

// cpuTime returns the processor time, user and system, this process has
// used so far, in seconds.
func cpuTime() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// emptyStore opens a new store at path with the default schema, or, when
// the tests run on PostgreSQL (annotatetest.EnvPostgres), a new database
// on that server.
func emptyStore(b *testing.B, path string) *annotate.Store {
	b.Helper()
	ctx := context.Background()
	if annotatetest.Postgres() {
		path = annotatetest.DSN(b)
	}
	s, err := annotate.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	data, _ := seeds.FS.ReadFile(seeds.SchemaFile)
	sc, err := annotate.ParseSchema(data)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.ApplySchema(ctx, 0, sc, nil); err != nil {
		b.Fatal(err)
	}
	return s
}

// writeCorpus writes the benchmark corpus as a JSONL file of documents,
// one line each: {"id", "title", "text"}, paragraphs apart by blank lines.
func writeCorpus(b *testing.B, path string) {
	b.Helper()
	db, err := sql.Open("sqlite3", "file:"+benchDB(b)+"?_query_only=1")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT d.doc_key, d.title, p.text FROM paragraphs p JOIN documents d ON d.id = p.document_id WHERE p.is_current = 1 ORDER BY p.document_id, p.position`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	var body []string
	last, lastTitle := "", ""
	flush := func() {
		if last != "" {
			if err := enc.Encode(map[string]string{"id": last, "title": lastTitle, "text": strings.Join(body, "\n\n")}); err != nil {
				b.Fatal(err)
			}
		}
	}
	for rows.Next() {
		var key, title, p string
		if err := rows.Scan(&key, &title, &p); err != nil {
			b.Fatal(err)
		}
		if key != last {
			flush()
			last, lastTitle, body = key, title, body[:0]
		}
		body = append(body, p)
	}
	flush()
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

// walWatch samples the size of the file at path (a write-ahead log) until
// stop is called, and returns the largest size seen and the size at stop.
func walWatch(path string) (stop func() (peak, end float64)) {
	var peak atomic.Int64
	done := make(chan struct{})
	finished := make(chan struct{})
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	go func() {
		defer close(finished)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if n := size(); n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() (float64, float64) {
		close(done)
		<-finished
		end := size()
		return float64(max(peak.Load(), end)), float64(end)
	}
}
