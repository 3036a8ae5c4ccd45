package learn

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
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

// cpuTime is the CPU time the process has used, which a shared machine's
// load does not inflate the way it does wall time.
func cpuTime() time.Duration {
	var u syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &u) != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
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
		cpu := cpuTime()
		m, err := Train(d, Options{})
		if err != nil {
			b.Fatal(err)
		}
		train := time.Since(start)
		b.ReportMetric((cpuTime() - cpu).Seconds(), "train-cpu-s")
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
	blob, err := m.MarshalBinary()
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
		b.ReportMetric(float64(len(blob))/1e6, "model-MB")
		start = time.Now()
		cpu := cpuTime()
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
		b.ReportMetric((cpuTime() - cpu).Seconds(), "predict-cpu-s")
		b.ReportMetric(pred.Seconds(), "predict-s")
		b.ReportMetric(tok.Seconds(), "tokenize-s")
		b.ReportMetric(pred.Seconds()/tok.Seconds(), "ratio")
		b.Logf("%d paragraphs: predict %v, tokenize %v, %s right", n, pred, tok, fmt.Sprintf("%.1f%%", 100*float64(right)/float64(n)))
	}
}

// BenchmarkAccuracyCSV cross-validates Concord on a labelled CSV
// (CONCORD_LEARN_CSV: header, then label,title,description, as AG News
// is published) with 5 stratified folds, writes the folds beside it
// (CONCORD_LEARN_CSV + ".folds") and, when scikit-learn is installed, runs
// testdata/sklearn_compare.py on the same folds, reporting both
// accuracies. The data is not part of the repository.
func BenchmarkAccuracyCSV(b *testing.B) {
	path := os.Getenv("CONCORD_LEARN_CSV")
	if path == "" {
		b.Skip("set CONCORD_LEARN_CSV to a label,title,description CSV (see the README, Built-in model)")
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	records, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	var d Data
	for _, r := range records[1:] {
		d.Texts = append(d.Texts, r[1]+" "+r[2])
		d.Labels = append(d.Labels, []string{r[0]})
	}
	opt := DefaultOptions()
	if bits := benchSize("CONCORD_LEARN_HASH_BITS", 0); bits > 0 {
		opt.HashBits = bits
	}
	for b.Loop() {
		start := time.Now()
		ev, err := CrossValidate(d, 5, 1, opt)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(100*ev.Accuracy, "concord-acc-%")
		b.ReportMetric(100*ev.MacroF1, "concord-macroF1-%")
		b.Logf("Concord, %d items, 2^%d columns: accuracy %.4f, macro-F1 %.4f (%v)", len(d.Texts), opt.HashBits, ev.Accuracy, ev.MacroF1, time.Since(start))
		var folds strings.Builder
		for _, k := range ev.Fold {
			fmt.Fprintln(&folds, k)
		}
		if err := os.WriteFile(path+".folds", []byte(folds.String()), 0o644); err != nil {
			b.Fatal(err)
		}
		if exec.Command(python, "-c", "import sklearn").Run() != nil {
			b.Log("scikit-learn is not installed: run testdata/sklearn_compare.py by hand")
			continue
		}
		start = time.Now()
		out, err := exec.Command(python, "testdata/sklearn_compare.py", path, path+".folds", fmt.Sprint(opt.C), fmt.Sprint(opt.MaxIterations)).Output()
		if err != nil {
			b.Fatal(err)
		}
		var sk struct {
			Accuracy float64 `json:"accuracy"`
			MacroF1  float64 `json:"macro_f1"`
		}
		if err := json.Unmarshal(out, &sk); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(100*sk.Accuracy, "sklearn-acc-%")
		b.Logf("scikit-learn, same folds: accuracy %.4f, macro-F1 %.4f (%v)", sk.Accuracy, sk.MacroF1, time.Since(start))
	}
}
