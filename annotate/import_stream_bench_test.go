package annotate_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"concord/annotate"
)

// BenchmarkImportJSONLMemory imports one JSONL file of benchDocs documents
// (CONCORD_BENCH_DOCS; 100,000 by default, about 65 MB) and reports the
// file's size and the peak of the Go heap during the import, sampled every
// 10 ms, and the process's peak resident memory: the import reads the file
// line by line, so neither grows with the file.
func BenchmarkImportJSONLMemory(b *testing.B) {
	n := benchDocs(b)
	dir := b.TempDir()
	path := filepath.Join(dir, "corpus.jsonl")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for i := range n {
		var text strings.Builder
		for p := range benchParagraphs {
			if p > 0 {
				text.WriteString("\n\n")
			}
			fmt.Fprintf(&text, "Paragraph %d of document %d: %s.", p, i, strings.Join(benchVocabulary[(i+p)%7:(i+p)%7+9], " "))
		}
		line, _ := json.Marshal(map[string]string{"id": fmt.Sprintf("doc-%d", i), "title": fmt.Sprintf("Document %d", i), "text": text.String()})
		w.Write(line)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	st, _ := os.Stat(path)
	for range b.N {
		s, err := annotate.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		var peak uint64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			t := time.NewTicker(10 * time.Millisecond)
			defer t.Stop()
			var ms runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapInuse)
				}
			}
		})
		start := time.Now()
		rep, err := s.ImportPaths(context.Background(), []string{path}, annotate.ImportOptions{})
		elapsed := time.Since(start)
		close(stop)
		wg.Wait()
		if err != nil || rep.Created != n {
			b.Fatalf("import: %v, %d created of %d", err, rep.Created, n)
		}
		s.Close()
		b.ReportMetric(float64(st.Size())/(1<<20), "file-MB")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		if hwm, ok := peakRSS(); ok {
			// The whole process's high-water mark: the writing of the
			// file, SQLite's page cache and the runtime's own included.
			b.ReportMetric(float64(hwm)/(1<<20), "peak-rss-MB")
		}
		b.ReportMetric(float64(n*benchParagraphs)/elapsed.Seconds(), "paragraphs/s")
	}
}

// peakRSS returns the process's peak resident memory (VmHWM), where the
// system reports it.
func peakRSS() (uint64, bool) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}
