package annotate_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

// BenchmarkTrainAtSize is a whole training run in the store over
// CONCORD_BENCH_TRAIN_DOCS documents of ten paragraphs (10,000 by
// default: 100,000 paragraphs, three annotators on the first 30%, their
// stances split by paragraph): the training sets read, five folds, the
// ranking kept, the model fitted and its suggestions written for every
// paragraph, on stance and topic. It reports the time, the CPU time, the
// suggestions written per second and the peak heap.
func BenchmarkTrainAtSize(b *testing.B) {
	docs := 10000
	if v, err := strconv.Atoi(os.Getenv("CONCORD_BENCH_TRAIN_DOCS")); err == nil && v > 0 {
		docs = v
	}
	s, _ := queueCorpus(b, docs)
	ctx := context.Background()
	db := s.GormForTest()
	if err := db.Exec(`UPDATE annotations SET labels = '{"stance":["disagree"],"topic":["terrorism"]}' WHERE paragraph_id % 2 = 0`).Error; err != nil {
		b.Fatal(err)
	}
	if _, err := s.ConsensusNow(ctx); err != nil {
		b.Fatal(err)
	}
	var wall, cpu time.Duration
	var peak uint64
	suggested := 0
	for b.Loop() {
		runtime.GC()
		stop := annotatetest.PeakHeap()
		c0, t0 := cpuNow(), time.Now()
		runs, err := s.Train(ctx, annotate.TrainOptions{})
		if err != nil {
			b.Fatal(err)
		}
		wall += time.Since(t0)
		cpu += cpuNow() - c0
		peak = max(peak, stop())
		for _, r := range runs {
			suggested += r.Predicted
			if r.Dimension == "stance" && (r.Status != annotate.RunDone || r.Predicted != docs*10) {
				b.Fatalf("stance run %+v", r)
			}
		}
	}
	n := float64(b.N)
	b.ReportMetric(wall.Seconds()/n, "run-s")
	b.ReportMetric(cpu.Seconds()/n, "cpu-s")
	b.ReportMetric(float64(suggested)/wall.Seconds(), "suggestions/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// cpuNow is the CPU time the process has used.
func cpuNow() time.Duration {
	var u syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
