package learn

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"
)

// benchSize reads a size from the environment, for quicker runs by hand.
func benchSize(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

var benchOnce sync.Once
var benchData Data

// benchCorpus is 100,000 paragraphs of about 400 bytes on 8 topics, a
// tenth of their words from the topic (CONCORD_BENCH_LEARN_ITEMS changes
// the count).
func benchCorpus() Data {
	benchOnce.Do(func() {
		benchData = newCorpus(42, 8, 400, 5000).labelled(benchSize("CONCORD_BENCH_LEARN_ITEMS", 100_000), 400, 0.1)
	})
	return benchData
}

// tokenizeAll is the baseline: one pass that only splits the texts into
// lower-cased words, on all cores as training and prediction do.
func tokenizeAll(texts []string) int {
	w := workers(len(texts))
	counts := make([]int, w)
	parallel(len(texts), 0, func(lo, hi, k int, s *scratch) {
		for i := lo; i < hi; i++ {
			s.tokenize(texts[i])
			counts[k] += len(s.tokens)
		}
	})
	total := 0
	for _, c := range counts {
		total += c
	}
	return total
}

// BenchmarkTrain100k trains on 100,000 paragraphs and reports the time
// beside one tokenising pass over the same texts.
func BenchmarkTrain100k(b *testing.B) {
	d := benchCorpus()
	for b.Loop() {
		start := time.Now()
		tokens := tokenizeAll(d.Texts)
		tok := time.Since(start)
		start = time.Now()
		m, err := Train(d, Options{})
		if err != nil {
			b.Fatal(err)
		}
		train := time.Since(start)
		b.ReportMetric(train.Seconds(), "train-s")
		b.ReportMetric(tok.Seconds(), "tokenize-s")
		b.ReportMetric(train.Seconds()/tok.Seconds(), "ratio")
		b.ReportMetric(float64(m.Iterations[0]), "iterations")
		b.Logf("%d items, %d tokens: train %v (%d iterations), tokenize %v", len(d.Texts), tokens, train, m.Iterations[0], tok)
	}
}

// BenchmarkPredict1M predicts 1,000,000 paragraphs (the 100,000 of the
// training set ten times over) beside one tokenising pass over them.
func BenchmarkPredict1M(b *testing.B) {
	d := benchCorpus()
	small := Data{Texts: d.Texts[:min(len(d.Texts), 20_000)], Labels: d.Labels[:min(len(d.Texts), 20_000)]}
	m, err := Train(small, Options{})
	if err != nil {
		b.Fatal(err)
	}
	n := benchSize("CONCORD_BENCH_LEARN_PREDICT", 1_000_000)
	texts := make([]string, n)
	for i := range texts {
		texts[i] = d.Texts[i%len(d.Texts)]
	}
	for b.Loop() {
		start := time.Now()
		tokenizeAll(texts)
		tok := time.Since(start)
		start = time.Now()
		const batch = 10_000
		right := 0
		for lo := 0; lo < n; lo += batch {
			for j, p := range m.PredictBatch(texts[lo:min(lo+batch, n)]) {
				if m.Categories[argmax(p)] == d.Labels[(lo+j)%len(d.Texts)][0] {
					right++
				}
			}
		}
		pred := time.Since(start)
		b.ReportMetric(pred.Seconds(), "predict-s")
		b.ReportMetric(tok.Seconds(), "tokenize-s")
		b.ReportMetric(pred.Seconds()/tok.Seconds(), "ratio")
		b.Logf("%d paragraphs: predict %v, tokenize %v, %s right", n, pred, tok, fmt.Sprintf("%.1f%%", 100*float64(right)/float64(n)))
	}
}
