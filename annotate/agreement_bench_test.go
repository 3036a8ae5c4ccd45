package annotate_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"concord/agreement"
	"concord/annotate"
	"concord/annotate/annotatetest"
)

// BenchmarkAgreementAtSize computes the agreement report (no bootstrap)
// over CONCORD_BENCH_QUEUE_DOCS documents of ten paragraphs (100,000 by
// default: a million paragraphs, 900,000 labels by three annotators on the
// first 30%), after a write and again as a repeat view, and reports the
// times and the peak heap after a write: first-s for the first report,
// which reads every label, after-write-s for the later ones, which find the
// labels of the report before in memory and read again only what the write
// touched.
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
	var first, cold, repeat time.Duration
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
		if version == 1 {
			// The first report reads every label; later ones find the
			// labels of the report before in memory.
			cold = time.Since(t0)
		} else {
			first += time.Since(t0)
		}
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
	b.ReportMetric(cold.Seconds(), "first-s")
	if b.N > 1 {
		b.ReportMetric(first.Seconds()/(n-1), "after-write-s")
	}
	b.ReportMetric(float64(repeat.Microseconds())/1000/n, "repeat-ms")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// BenchmarkAgreementModelsAtSize is BenchmarkAgreementAtSize with one
// model's suggestions on every paragraph on stance and topic (two million
// suggestions at the default size) and gold labels on 1% of the labelled
// paragraphs: the report with its models section after a label write
// (everything computed), as a repeat view, and after a suggestion write
// (the human figures from memory, the suggestions read again and the
// models computed again), with the peak heap of the first.
func BenchmarkAgreementModelsAtSize(b *testing.B) {
	docs := 100000
	if v, err := strconv.Atoi(os.Getenv("CONCORD_BENCH_QUEUE_DOCS")); err == nil && v > 0 {
		docs = v
	}
	s, fresh := queueCorpus(b, docs)
	ctx := context.Background()
	db := s.GormForTest()
	now := time.Now()
	for _, q := range []string{
		`UPDATE annotations SET labels = '{"stance":["disagree"],"topic":["strike","terrorism"]}' WHERE (paragraph_id + user_id) % 7 = 0`,
		`INSERT INTO suggestions (paragraph_id, dimension, agent, value_set, score, created_by, created_at)
SELECT id, 'stance', 'bench-model@1', CASE id % 4 WHEN 0 THEN '["agree"]' WHEN 1 THEN '["disagree"]' WHEN 2 THEN '["agree"]' ELSE '["discuss"]' END, 0.8, 0, ? FROM paragraphs WHERE is_current = ?`,
		`INSERT INTO suggestions (paragraph_id, dimension, agent, value_set, score, created_by, created_at)
SELECT id, 'topic', 'bench-model@1', CASE id % 3 WHEN 0 THEN '["strike"]' ELSE '["strike","terrorism"]' END, 0.8, 0, ? FROM paragraphs WHERE is_current = ?`,
		`INSERT INTO golds (paragraph_id, labels, version, method, decided_by, decided_at)
SELECT DISTINCT paragraph_id, '{"stance":["agree"],"topic":["strike"]}', 1, 'bench', 0, ? FROM annotations WHERE paragraph_id % 100 = 0`,
	} {
		args := []any{now, true}
		if strings.HasPrefix(q, "INSERT INTO golds") || strings.HasPrefix(q, "UPDATE") {
			args = args[:strings.Count(q, "?")]
		}
		if err := db.Exec(q, args...).Error; err != nil {
			b.Fatal(err)
		}
	}
	var p int64
	if err := db.Raw(`SELECT max(id) FROM paragraphs`).Scan(&p).Error; err != nil {
		b.Fatal(err)
	}
	// A view before the first write reads the suggestions, as the first
	// view after a start does; later label writes leave them in memory.
	if _, err := s.Agreement(ctx, annotate.AgreementFilter{}, agreement.Options{}); err != nil {
		b.Fatal(err)
	}
	var first, repeat, afterSuggestion time.Duration
	var peak uint64
	version := 0
	score := 0.6
	for b.Loop() {
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
		if len(rep.Models) != 1 || len(rep.Models[0].Dimensions) != 2 || rep.Models[0].Dimensions[0].Paragraphs < docs*10*3/10-1 {
			b.Fatalf("the report's models: %+v", rep.Models)
		}
		t0 = time.Now()
		if _, err := s.Agreement(ctx, annotate.AgreementFilter{}, agreement.Options{}); err != nil {
			b.Fatal(err)
		}
		repeat += time.Since(t0)
		v := []string{"agree", "discuss"}[version%2]
		if _, err := s.PutSuggestions(ctx, 0, []annotate.SuggestionInput{{ParagraphID: p, Dimension: "stance", Value: &v, Score: &score, Agent: "bench-model@1"}}); err != nil {
			b.Fatal(err)
		}
		t0 = time.Now()
		if _, err := s.Agreement(ctx, annotate.AgreementFilter{}, agreement.Options{}); err != nil {
			b.Fatal(err)
		}
		afterSuggestion += time.Since(t0)
	}
	n := float64(b.N)
	b.ReportMetric(first.Seconds()/n, "after-write-s")
	b.ReportMetric(float64(repeat.Microseconds())/1000/n, "repeat-ms")
	b.ReportMetric(afterSuggestion.Seconds()/n, "after-suggestion-s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}
