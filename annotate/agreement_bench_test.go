package annotate_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"concord/agreement"
	"concord/annotate"
	"concord/annotate/annotatetest"
)

// BenchmarkAgreementAtSize computes the agreement report (no bootstrap)
// over CONCORD_BENCH_QUEUE_DOCS documents of ten paragraphs (100,000 by
// default: a million paragraphs, 900,000 labels by three annotators on the
// first 30%), after a write and again as a repeat view, and reports both
// times and the peak heap while the first is computed.
func BenchmarkAgreementAtSize(b *testing.B) {
	docs := 100000
	if v, err := strconv.Atoi(os.Getenv("CONCORD_BENCH_QUEUE_DOCS")); err == nil && v > 0 {
		docs = v
	}
	s, fresh := queueCorpus(b, docs)
	ctx := context.Background()
	// The three annotators disagree on some paragraphs.
	db := s.GormForTest()
	if err := db.Exec(`UPDATE annotations SET labels = '{"stance":["disagree"],"topic":["strike","terrorism"]}' WHERE (paragraph_id + user_id) % 7 = 0`).Error; err != nil {
		b.Fatal(err)
	}
	var first, repeat time.Duration
	var peak uint64
	var p int64
	if err := db.Raw(`SELECT max(id) FROM paragraphs`).Scan(&p).Error; err != nil {
		b.Fatal(err)
	}
	version := 0
	for b.Loop() {
		// A write makes the cached report out of date.
		labels := annotate.Labels{"stance": {[]string{"agree", "discuss"}[version%2]}, "topic": {"strike"}}
		if _, err := s.SaveAnnotation(ctx, fresh, p, version, labels); err != nil {
			b.Fatal(err)
		}
		version++
		runtime.GC()
		stop := annotatetest.PeakHeap()
		t0 := time.Now()
		rep, err := s.Agreement(ctx, annotate.AgreementFilter{}, agreement.Options{})
		if err != nil {
			b.Fatal(err)
		}
		first += time.Since(t0)
		peak = max(peak, stop())
		if rep.Labels < docs*10*3*3/10 {
			b.Fatalf("the report counts %d labels", rep.Labels)
		}
		t0 = time.Now()
		if _, err := s.Agreement(ctx, annotate.AgreementFilter{}, agreement.Options{}); err != nil {
			b.Fatal(err)
		}
		repeat += time.Since(t0)
	}
	n := float64(b.N)
	b.ReportMetric(first.Seconds()/n, "after-write-s")
	b.ReportMetric(float64(repeat.Microseconds())/1000/n, "repeat-ms")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}
