package annotate_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"concord/annotate"
)

// BenchmarkImportJSONLMemory imports one JSONL file of benchDocs documents
// (CONCORD_BENCH_DOCS; 100,000 by default, about 65 MB) and reports the
// file's size and the peak of the Go heap during the import, sampled every
// 10 ms: the import reads the file line by line, so the peak does not grow
// with the file.
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
		b.ReportMetric(float64(n*benchParagraphs)/elapsed.Seconds(), "paragraphs/s")
	}
}
