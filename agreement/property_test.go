package agreement

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// randomSingle generates a single-choice data set: each item has a latent
// category; each annotator labels the item with probability pLabel and
// then gives the latent category with probability pAgree.
func randomSingle(rng *rand.Rand, items, anns int, cats []string, pLabel, pAgree float64) []Unit {
	var units []Unit
	for i := range items {
		truth := rng.IntN(len(cats))
		for a := range anns {
			if rng.Float64() >= pLabel {
				continue
			}
			c := truth
			if rng.Float64() >= pAgree {
				c = rng.IntN(len(cats))
			}
			units = append(units, Unit{Item: fmt.Sprint("item", i), Annotator: fmt.Sprint("ann", a), Values: []string{cats[c]}})
		}
	}
	return units
}

// randomMulti generates multi-label data in the same way, with sets.
func randomMulti(rng *rand.Rand, items, anns int, cats []string, pLabel, pAgree float64) []Unit {
	randSet := func() []string {
		var s []string
		for _, c := range cats {
			if rng.IntN(3) == 0 {
				s = append(s, c)
			}
		}
		return s
	}
	var units []Unit
	for i := range items {
		truth := randSet()
		for a := range anns {
			if rng.Float64() >= pLabel {
				continue
			}
			v := truth
			if rng.Float64() >= pAgree {
				v = randSet()
			}
			units = append(units, Unit{Item: fmt.Sprint("item", i), Annotator: fmt.Sprint("ann", a), Values: v})
		}
	}
	return units
}

var testCats = []string{"favor", "against", "none", "unrelated", "unclear"}

func alphas(r Report) map[string]Metric {
	return map[string]Metric{
		"nominal": r.AlphaNominal, "ordinal": r.AlphaOrdinal, "interval": r.AlphaInterval,
		"masi": r.AlphaMASI, "jaccard": r.AlphaJaccard,
	}
}

// pointMetrics lists every point estimate of a report by name.
func pointMetrics(r Report) map[string]Metric {
	m := alphas(r)
	m["observed"] = r.ObservedAgreement
	m["fleiss"] = r.FleissKappa
	m["light"] = r.LightKappa
	for _, pc := range r.PerCategory {
		m["cat alpha "+pc.Category] = pc.Alpha
		m["cat fleiss "+pc.Category] = pc.FleissKappa
		m["cat light "+pc.Category] = pc.LightKappa
	}
	for _, p := range r.Pairwise.Pairs {
		m["pair "+p.A+"/"+p.B] = p.Value
		m["pair observed "+p.A+"/"+p.B] = p.ObservedAgreement
	}
	return m
}

func sameMetrics(t *testing.T, label string, got, want map[string]Metric, tol float64) {
	t.Helper()
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("%s: %s missing", label, name)
			continue
		}
		if g.Defined() != w.Defined() {
			t.Errorf("%s: %s got %v (%s), want %v (%s)", label, name, g.Float(), g.Reason, w.Float(), w.Reason)
			continue
		}
		if g.Defined() && math.Abs(g.Float()-w.Float()) > tol {
			t.Errorf("%s: %s got %.17g, want %.17g", label, name, g.Float(), w.Float())
		}
	}
}

func TestPerfectAgreement(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 20 {
		units := randomSingle(rng, 30, 5, testCats, 0.7, 1)
		r := Compute(Dataset{Units: units, Categories: testCats, Ordered: true}, Options{})
		for name, m := range pointMetrics(r) {
			if m.Defined() && m.Float() != 1 {
				t.Errorf("trial %d single: %s got %.17g, want exactly 1", trial, name, m.Float())
			}
		}
		for _, m := range []Metric{r.ObservedAgreement, r.AlphaNominal, r.AlphaOrdinal, r.AlphaInterval, r.FleissKappa, r.LightKappa} {
			if !m.Defined() {
				t.Errorf("trial %d single: undefined metric (%s) with several categories in use", trial, m.Reason)
			}
		}

		mu := randomMulti(rng, 30, 4, testCats, 0.7, 1)
		rm := Compute(Dataset{Units: mu, Categories: testCats, Multi: true}, Options{})
		for name, m := range pointMetrics(rm) {
			if m.Defined() && m.Float() != 1 {
				t.Errorf("trial %d multi: %s got %.17g, want exactly 1", trial, name, m.Float())
			}
		}
		for _, m := range []Metric{rm.ObservedAgreement, rm.AlphaMASI, rm.AlphaJaccard, rm.AlphaNominal} {
			if !m.Defined() {
				t.Errorf("trial %d multi: undefined metric (%s)", trial, m.Reason)
			}
		}
	}
}

func shuffled(rng *rand.Rand, units []Unit) []Unit {
	out := slices.Clone(units)
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func TestInvariance(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 20 {
		for _, multi := range []bool{false, true} {
			var units []Unit
			if multi {
				units = randomMulti(rng, 40, 5, testCats, 0.6, 0.6)
			} else {
				units = randomSingle(rng, 40, 5, testCats, 0.6, 0.6)
			}
			d := Dataset{Units: units, Categories: testCats, Ordered: !multi, Multi: multi}
			base := Compute(d, Options{})
			label := fmt.Sprintf("trial %d multi=%v", trial, multi)

			// Unit order, hence item and annotator order: identical report
			// for single-choice data, equal to rounding for multi-label.
			d2 := d
			d2.Units = shuffled(rng, units)
			r2 := Compute(d2, Options{})
			if !multi && !reflect.DeepEqual(base, r2) {
				t.Errorf("%s: report changed when units were shuffled", label)
			}
			sameMetrics(t, label+" shuffled", pointMetrics(r2), pointMetrics(base), 1e-12)

			// Renaming annotators reorders the pairwise list but keeps the
			// pooled coefficients.
			d3 := d
			d3.Units = slices.Clone(units)
			for i := range d3.Units {
				d3.Units[i].Annotator = "z-" + d3.Units[i].Annotator + "-" + fmt.Sprint(len(d3.Units[i].Annotator)%3)
			}
			r3 := Compute(d3, Options{})
			pooled := func(r Report) map[string]Metric {
				m := alphas(r)
				m["observed"], m["fleiss"], m["light"] = r.ObservedAgreement, r.FleissKappa, r.LightKappa
				return m
			}
			sameMetrics(t, label+" annotators renamed", pooled(r3), pooled(base), 1e-12)

			// Renaming and reordering categories: nominal coefficients stay.
			rename := map[string]string{}
			perm := rng.Perm(len(testCats))
			var cats2 []string
			for i, p := range perm {
				rename[testCats[i]] = "c" + fmt.Sprint(p)
			}
			for _, p := range rng.Perm(len(testCats)) {
				cats2 = append(cats2, rename[testCats[p]])
			}
			d4 := Dataset{Units: slices.Clone(units), Categories: cats2, Multi: multi}
			for i := range d4.Units {
				vs := make([]string, len(d4.Units[i].Values))
				for j, v := range d4.Units[i].Values {
					vs[j] = rename[v]
				}
				d4.Units[i].Values = vs
			}
			r4 := Compute(d4, Options{})
			nominal := func(r Report) map[string]Metric {
				m := map[string]Metric{"nominal": r.AlphaNominal, "observed": r.ObservedAgreement,
					"fleiss": r.FleissKappa, "light": r.LightKappa, "masi": r.AlphaMASI, "jaccard": r.AlphaJaccard}
				for _, p := range r.Pairwise.Pairs {
					m["pair "+p.A+"/"+p.B] = p.Value
				}
				return m
			}
			sameMetrics(t, label+" categories renamed", nominal(r4), nominal(base), 1e-12)
		}
	}
}

func TestUnpairableItemChangesNoAlpha(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 20 {
		for _, multi := range []bool{false, true} {
			var units []Unit
			if multi {
				units = randomMulti(rng, 25, 4, testCats, 0.6, 0.7)
			} else {
				units = randomSingle(rng, 25, 4, testCats, 0.6, 0.7)
			}
			d := Dataset{Units: units, Categories: testCats, Ordered: !multi, Multi: multi}
			base := Compute(d, Options{})
			extra := Unit{Item: "lonely", Annotator: "ann" + fmt.Sprint(rng.IntN(6)), Values: []string{testCats[rng.IntN(len(testCats))]}}
			d.Units = append(slices.Clone(units), extra)
			r := Compute(d, Options{})
			label := fmt.Sprintf("trial %d multi=%v", trial, multi)
			// Exactly equal: the added item contributes nothing.
			sameMetrics(t, label, alphas(r), alphas(base), 0)
			if r.Items != base.Items+1 || r.PairableItems != base.PairableItems {
				t.Errorf("%s: items %d→%d, pairable %d→%d; want +1 and unchanged", label, base.Items, r.Items, base.PairableItems, r.PairableItems)
			}
		}
	}
}

// naiveAlpha implements Krippendorff's definition directly: D_o averages
// δ² over all ordered pairs of values within units (weighted 1/(m_u−1)),
// D_e over all ordered pairs of pairable values.
func naiveAlpha(units []Unit, cats []string, metric string) float64 {
	byItem := map[string][]int{}
	idx := map[string]int{}
	for i, c := range cats {
		idx[c] = i
	}
	for _, u := range units {
		byItem[u.Item] = append(byItem[u.Item], idx[u.Values[0]])
	}
	var all []int
	nc := make([]float64, len(cats))
	for _, vs := range byItem {
		if len(vs) >= 2 {
			all = append(all, vs...)
			for _, v := range vs {
				nc[v]++
			}
		}
	}
	delta := func(c, k int) float64 {
		switch metric {
		case "interval":
			return float64((c - k) * (c - k))
		case "ordinal":
			if c > k {
				c, k = k, c
			}
			var s float64
			for g := c; g <= k; g++ {
				s += nc[g]
			}
			s -= (nc[c] + nc[k]) / 2
			return s * s
		}
		if c != k {
			return 1
		}
		return 0
	}
	n := float64(len(all))
	var do, de float64
	for _, vs := range byItem {
		m := len(vs)
		if m < 2 {
			continue
		}
		for i := range vs {
			for j := range vs {
				if i != j {
					do += delta(vs[i], vs[j]) / float64(m-1)
				}
			}
		}
	}
	for i := range all {
		for j := range all {
			if i != j {
				de += delta(all[i], all[j])
			}
		}
	}
	return 1 - (do/n)/(de/(n*(n-1)))
}

func TestAlphaMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	// Non-numeric categories, so interval uses positions 0..k−1.
	for trial := range 30 {
		units := randomSingle(rng, 20, 6, testCats, 0.5, 0.6)
		r := Compute(Dataset{Units: units, Categories: testCats, Ordered: true}, Options{})
		checkMetric(t, fmt.Sprint("trial ", trial, " nominal"), r.AlphaNominal, naiveAlpha(units, testCats, "nominal"), false)
		checkMetric(t, fmt.Sprint("trial ", trial, " ordinal"), r.AlphaOrdinal, naiveAlpha(units, testCats, "ordinal"), false)
		checkMetric(t, fmt.Sprint("trial ", trial, " interval"), r.AlphaInterval, naiveAlpha(units, testCats, "interval"), false)
	}
}

// With the same number of ratings on every item, Fleiss' kappa must be
// Fleiss (1971) exactly.
func TestFleissConstantRaters(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for trial := range 20 {
		units := randomSingle(rng, 50, 7, testCats, 1, 0.5)
		r := Compute(Dataset{Units: units, Categories: testCats}, Options{})
		counts := map[string][]float64{}
		for _, u := range units {
			if counts[u.Item] == nil {
				counts[u.Item] = make([]float64, len(testCats))
			}
			counts[u.Item][slices.Index(testCats, u.Values[0])]++
		}
		N, n := float64(len(counts)), 7.0
		p := make([]float64, len(testCats))
		var pbar float64
		for _, row := range counts {
			var s float64
			for j, x := range row {
				s += x * x
				p[j] += x / (N * n)
			}
			pbar += (s - n) / (n * (n - 1)) / N
		}
		var pe float64
		for _, x := range p {
			pe += x * x
		}
		checkMetric(t, fmt.Sprint("trial ", trial), r.FleissKappa, (pbar-pe)/(1-pe), false)
	}
}

func TestBootstrapReproducible(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	single := Dataset{Units: randomSingle(rng, 60, 4, testCats, 0.7, 0.7), Categories: testCats, Ordered: true}
	multi := Dataset{Units: randomMulti(rng, 60, 4, testCats, 0.7, 0.7), Categories: testCats, Multi: true}
	for _, d := range []Dataset{single, multi} {
		opt := Options{Bootstrap: 300, Seed: 42}
		a, b := Compute(d, opt), Compute(d, opt)
		for name, m := range alphas(a) {
			if !m.Defined() {
				continue
			}
			if m.CI == nil {
				t.Errorf("multi=%v %s: no interval", d.Multi, name)
				continue
			}
			other := alphas(b)[name]
			if !reflect.DeepEqual(m.CI, other.CI) {
				t.Errorf("multi=%v %s: same seed gave %+v and %+v", d.Multi, name, *m.CI, *other.CI)
			}
			if m.CI.Lower > m.Float() || m.CI.Upper < m.Float() || m.CI.Level != 0.95 || m.CI.Resamples != 300 {
				t.Errorf("multi=%v %s: estimate %v, interval %+v", d.Multi, name, m.Float(), *m.CI)
			}
		}
		c := Compute(d, Options{Bootstrap: 300, Seed: 43})
		if reflect.DeepEqual(a.AlphaNominal.CI, c.AlphaNominal.CI) {
			t.Errorf("multi=%v: different seeds gave the same interval %+v", d.Multi, *a.AlphaNominal.CI)
		}
		if a.AlphaNominal.Float() != c.AlphaNominal.Float() {
			t.Errorf("multi=%v: the point estimate depends on the seed", d.Multi)
		}
	}
}
