package agreement

import (
	"fmt"
	"math"
	"strconv"
	"testing"
)

// fromRows builds single-choice units from reliability data laid out as in
// Krippendorff (2011): one row per observer, one column per unit, "" or "."
// for a missing value.
func fromRows(observers []string, rows [][]string) []Unit {
	var units []Unit
	for o, row := range rows {
		for u, v := range row {
			if v == "" || v == "." {
				continue
			}
			units = append(units, Unit{Item: "u" + strconv.Itoa(u+1), Annotator: observers[o], Values: []string{v}})
		}
	}
	return units
}

// fromCrossTable builds two-annotator units from a k×k contingency table
// (rows annotator A, columns annotator B).
func fromCrossTable(cats []string, table [][]int) []Unit {
	var units []Unit
	item := 0
	for i, row := range table {
		for j, n := range row {
			for range n {
				id := "i" + strconv.Itoa(item)
				item++
				units = append(units,
					Unit{Item: id, Annotator: "A", Values: []string{cats[i]}},
					Unit{Item: id, Annotator: "B", Values: []string{cats[j]}})
			}
		}
	}
	return units
}

// fromCounts builds units from a subjects × categories table of rating
// counts (the layout of Fleiss 1971): rater names are arbitrary.
func fromCounts(cats []string, counts [][]int) []Unit {
	var units []Unit
	for s, row := range counts {
		r := 0
		for c, n := range row {
			for range n {
				units = append(units, Unit{Item: fmt.Sprint("s", s), Annotator: fmt.Sprint("r", r), Values: []string{cats[c]}})
				r++
			}
		}
	}
	return units
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// checkMetric compares a metric with want: printed to 3 decimals when
// digits3, else within 1e-9.
func checkMetric(t *testing.T, name string, m Metric, want float64, digits3 bool) {
	t.Helper()
	if !m.Defined() {
		t.Errorf("%s: got undefined (%s), want %.4f", name, m.Reason, want)
		return
	}
	got := *m.Value
	if digits3 {
		if round3(got) != want {
			t.Errorf("%s: got %.6f (rounds to %.3f), want %.3f", name, got, round3(got), want)
		}
		return
	}
	if math.Abs(got-want) > 1e-9 {
		t.Errorf("%s: got %.12f, want %.12f", name, got, want)
	}
}

func checkUndefined(t *testing.T, name string, m Metric) {
	t.Helper()
	if m.Defined() {
		t.Errorf("%s: got %v, want undefined", name, *m.Value)
	}
	if m.Reason == "" {
		t.Errorf("%s: undefined without a reason", name)
	}
	if !math.IsNaN(m.Float()) {
		t.Errorf("%s: Float() = %v, want NaN", name, m.Float())
	}
}
