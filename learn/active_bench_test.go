package learn

import (
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"
)

// BenchmarkActiveLearningCSV simulates labelling a labelled CSV
// (CONCORD_LEARN_CSV, as BenchmarkAccuracyCSV reads it) in reading order
// and in uncertain order: each of CONCORD_LEARN_REPEATS runs (3 by
// default) shuffles the items from its own seed, keeps 2,000 as the test
// set and the rest as the pool in that order, and labels from the same 100
// seed labels in batches of CONCORD_LEARN_BATCH (100 by default) up to 1,500 (reading order to 1,000 would
// do; it goes on so the curves span the same range). It reports the
// labels uncertain order needs, on the mean curves, to reach the accuracy
// reading order has at 1,000, and with CONCORD_LEARN_SVG naming a file
// writes the two mean curves there as an SVG chart. The data is not part
// of the repository.
func BenchmarkActiveLearningCSV(b *testing.B) {
	path := os.Getenv("CONCORD_LEARN_CSV")
	if path == "" {
		b.Skip("set CONCORD_LEARN_CSV to a label,title,description CSV (see the README, Active learning)")
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
	records = records[1:]
	repeats := benchSize("CONCORD_LEARN_REPEATS", 3)
	batch := benchSize("CONCORD_LEARN_BATCH", 100)
	const testSize, seed, budget, mark = 2000, 100, 1500, 1000
	if (mark-seed)%batch != 0 {
		b.Fatalf("CONCORD_LEARN_BATCH=%d: give a batch that divides %d, so that a curve has a point at %d labels", batch, mark-seed, mark)
	}
	for b.Loop() {
		start := time.Now()
		curves := map[string][][]CurvePoint{}
		for r := range repeats {
			order := rand.New(rand.NewPCG(uint64(r)+1, 3)).Perm(len(records))
			var pool, test Data
			for k, i := range order {
				d := &pool
				if k < testSize {
					d = &test
				}
				d.Texts = append(d.Texts, records[i][1]+" "+records[i][2])
				d.Labels = append(d.Labels, []string{records[i][0]})
			}
			for _, o := range []string{OrderReading, OrderUncertain} {
				c, err := Simulate(pool, test, Simulation{Order: o, Seed: seed, Batch: batch, Budget: budget})
				if err != nil {
					b.Fatal(err)
				}
				curves[o] = append(curves[o], c)
			}
		}
		read, unc := MeanCurve(curves[OrderReading]), MeanCurve(curves[OrderUncertain])
		target := read[(mark-seed)/batch].Accuracy
		need, ok := LabelsToReach(unc, target)
		if !ok {
			b.Fatalf("uncertain order never reaches %.4f, reading order's accuracy at %d labels: %v", target, mark, unc)
		}
		b.ReportMetric(100*target, "reading-acc@1000-%")
		b.ReportMetric(100*unc[(mark-seed)/batch].Accuracy, "uncertain-acc@1000-%")
		b.ReportMetric(need, "uncertain-labels")
		b.ReportMetric(100*need/mark, "labels-%")
		b.Logf("mean curves, labels: accuracy\nreading   %s\nuncertain %s", curveText(read), curveText(unc))
		b.Logf("%d runs of %d pool items, %d test items: reading order %.4f at %d labels; uncertain order reaches it at %.0f labels (%.0f%%) and has %.4f at %d (%v)",
			repeats, len(records)-testSize, testSize, target, mark, need, 100*need/mark, unc[(mark-seed)/batch].Accuracy, mark, time.Since(start))
		if out := os.Getenv("CONCORD_LEARN_SVG"); out != "" {
			svg := curveSVG(fmt.Sprintf("AG News: accuracy on 2,000 held-out items, batches of %d, mean of %d runs", batch, repeats), map[string][]CurvePoint{"reading order": read, "uncertain order": unc}, target, need)
			if err := os.WriteFile(out, []byte(svg), 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// curveSVG draws learning curves (accuracy against labels) as a small SVG
// chart with no script and no external resource, marking the accuracy
// reading order has at 1,000 labels and where uncertain order reaches it.
func curveSVG(title string, curves map[string][]CurvePoint, target, need float64) string {
	const w, h, left, right, top, bottom = 640, 400, 60, 20, 40, 50
	lo, hi := 1.0, 0.0
	maxLabels := 0
	for _, c := range curves {
		for _, p := range c {
			lo, hi = min(lo, p.Accuracy), max(hi, p.Accuracy)
			maxLabels = max(maxLabels, p.Labels)
		}
	}
	lo = float64(int(lo*20)) / 20
	hi = float64(int(hi*20)+1) / 20
	x := func(labels float64) float64 { return left + labels/float64(maxLabels)*(w-left-right) }
	y := func(acc float64) float64 { return h - bottom - (acc-lo)/(hi-lo)*(h-top-bottom) }
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", w, h, w, h)
	fmt.Fprintf(&s, `<rect width="%d" height="%d" fill="#fff"/>`+"\n", w, h)
	fmt.Fprintf(&s, `<text x="%d" y="24" font-size="14">%s</text>`+"\n", left, title)
	for a := lo; a <= hi+1e-9; a += 0.05 {
		fmt.Fprintf(&s, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%.0f%%</text>`+"\n", left, w-right, y(a), y(a), left-6, y(a)+4, 100*a)
	}
	for l := 0; l <= maxLabels; l += 250 {
		fmt.Fprintf(&s, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#ddd"/><text x="%.1f" y="%d" text-anchor="middle">%d</text>`+"\n", x(float64(l)), x(float64(l)), top, h-bottom, x(float64(l)), h-bottom+16, l)
	}
	fmt.Fprintf(&s, `<text x="%d" y="%d" text-anchor="middle">labels</text>`+"\n", (left+w-right)/2, h-12)
	fmt.Fprintf(&s, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#888" stroke-dasharray="4 3"/>`+"\n", left, w-right, y(target), y(target))
	fmt.Fprintf(&s, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%d" stroke="#888" stroke-dasharray="4 3"/>`+"\n", x(need), x(need), y(target), h-bottom)
	fmt.Fprintf(&s, `<text x="%.1f" y="%d" fill="#444">uncertain order: %.0f labels</text>`+"\n", x(need)+4, h-bottom-8, need)
	fmt.Fprintf(&s, `<text x="%d" y="%.1f" fill="#444">reading order at 1,000 labels: %.1f%%</text>`+"\n", left+8, y(target)-6, 100*target)
	colours := map[string]string{"reading order": "#1f5fa8", "uncertain order": "#c0392b"}
	names := []string{"reading order", "uncertain order"}
	for i, name := range names {
		var pts []string
		for _, p := range curves[name] {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(float64(p.Labels)), y(p.Accuracy)))
		}
		fmt.Fprintf(&s, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", colours[name], strings.Join(pts, " "))
		ly := h - bottom - 20 - 18*(len(names)-1-i)
		fmt.Fprintf(&s, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="2"/><text x="%d" y="%d">%s</text>`+"\n", w-right-150, w-right-126, ly, ly, colours[name], w-right-120, ly+4, name)
	}
	s.WriteString("</svg>\n")
	return s.String()
}

// curveText writes a curve as "labels: accuracy" pairs.
func curveText(c []CurvePoint) string {
	var parts []string
	for _, p := range c {
		parts = append(parts, fmt.Sprintf("%d: %.4f", p.Labels, p.Accuracy))
	}
	return strings.Join(parts, ", ")
}
