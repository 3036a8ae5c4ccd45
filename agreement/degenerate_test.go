package agreement

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestDegenerate(t *testing.T) {
	cats := []string{"yes", "no"}
	u := func(item, ann string, v ...string) Unit { return Unit{Item: item, Annotator: ann, Values: v} }
	tests := []struct {
		name  string
		d     Dataset
		check func(t *testing.T, r Report)
	}{
		{"empty", Dataset{Categories: cats}, func(t *testing.T, r Report) {
			for name, m := range pointMetrics(r) {
				checkUndefined(t, name, m)
			}
			if r.Items != 0 || r.Units != 0 || len(r.Pairwise.Pairs) != 0 {
				t.Errorf("got items %d units %d pairs %d, want 0", r.Items, r.Units, len(r.Pairwise.Pairs))
			}
		}},
		{"empty multi no categories", Dataset{Multi: true}, func(t *testing.T, r Report) {
			for name, m := range pointMetrics(r) {
				checkUndefined(t, name, m)
			}
		}},
		{"one annotator", Dataset{Categories: cats, Units: []Unit{u("1", "A", "yes"), u("2", "A", "no"), u("3", "A", "yes")}}, func(t *testing.T, r Report) {
			for name, m := range pointMetrics(r) {
				checkUndefined(t, name, m)
			}
			if r.AlphaNominal.Reason != reasonNoPairable {
				t.Errorf("reason: got %q, want %q", r.AlphaNominal.Reason, reasonNoPairable)
			}
			if r.Distribution[0].Counts[0] != 2 || r.Distribution[0].Proportions[1] != 1.0/3 {
				t.Errorf("distribution: got %+v", r.Distribution[0])
			}
		}},
		{"one category, perfect agreement", Dataset{Categories: cats, Ordered: true, Units: []Unit{
			u("1", "A", "yes"), u("1", "B", "yes"), u("2", "A", "yes"), u("2", "B", "yes"), u("2", "C", "yes")}}, func(t *testing.T, r Report) {
			for _, m := range []Metric{r.AlphaNominal, r.AlphaOrdinal, r.AlphaInterval, r.FleissKappa, r.LightKappa} {
				checkUndefined(t, "chance-corrected", m)
			}
			if r.AlphaNominal.Reason != reasonOneCategory {
				t.Errorf("reason: got %q, want %q", r.AlphaNominal.Reason, reasonOneCategory)
			}
			if r.Pairwise.Pairs[0].Value.Reason != reasonCohenChance {
				t.Errorf("pair reason: got %q", r.Pairwise.Pairs[0].Value.Reason)
			}
			// Raw agreement is still defined.
			checkMetric(t, "observed", r.ObservedAgreement, 1, false)
		}},
		{"pair without shared items", Dataset{Categories: cats, Units: []Unit{
			u("1", "A", "yes"), u("1", "B", "no"), u("2", "A", "no"), u("2", "B", "no"), u("3", "C", "yes"), u("4", "C", "no")}}, func(t *testing.T, r Report) {
			for _, p := range r.Pairwise.Pairs {
				if p.B == "C" {
					checkUndefined(t, p.A+"/C", p.Value)
					if p.Value.Reason != reasonNoShared || p.Items != 0 {
						t.Errorf("%s/C: got reason %q items %d", p.A, p.Value.Reason, p.Items)
					}
				}
			}
			if r.Pairwise.Values[0][2] != nil || r.Pairwise.Values[0][0] != nil {
				t.Errorf("heatmap: want null for the empty pair and the diagonal")
			}
			// A/B: (yes,no), (no,no): p_o = 1/2, p_e = 1/2 → κ = 0.
			checkMetric(t, "A/B", r.Pairwise.Pairs[0].Value, 0, false)
			checkMetric(t, "Light", r.LightKappa, 0, false)
		}},
		{"duplicates: later unit wins", Dataset{Categories: cats, Units: []Unit{
			u("1", "A", "no"), u("1", "B", "yes"), u("1", "A", "yes"), u("2", "A", "no"), u("2", "B", "no")}}, func(t *testing.T, r Report) {
			if r.DuplicateUnits != 1 || r.Units != 4 {
				t.Errorf("got duplicates %d units %d, want 1, 4", r.DuplicateUnits, r.Units)
			}
			checkMetric(t, "alpha", r.AlphaNominal, 1, false)
		}},
		{"invalid and unknown values are ignored", Dataset{Categories: cats, Units: []Unit{
			u("1", "A", "yes"), u("1", "B", "yes"), u("1", "C", "maybe"), u("1", "D"), u("1", "E", "yes", "no"),
			u("2", "A", "no"), u("2", "B", "no")}}, func(t *testing.T, r Report) {
			if r.InvalidUnits != 2 || r.UnknownValues != 1 || len(r.UnknownCategories) != 1 || r.UnknownCategories[0] != "maybe" {
				t.Errorf("got invalid %d unknown %d %v", r.InvalidUnits, r.UnknownValues, r.UnknownCategories)
			}
			if r.Annotators != 2 {
				t.Errorf("annotators: got %d, want 2", r.Annotators)
			}
			checkMetric(t, "alpha", r.AlphaNominal, 1, false)
		}},
		{"categories derived from data", Dataset{Units: []Unit{
			u("1", "A", "10"), u("1", "B", "9"), u("2", "A", "2"), u("2", "B", "2")}, Ordered: true}, func(t *testing.T, r Report) {
			if strings.Join(r.Categories, ",") != "2,9,10" {
				t.Errorf("categories: got %v, want numeric order 2,9,10", r.Categories)
			}
		}},
		{"multi: empty set is a value, only-unknown is invalid", Dataset{Multi: true, Categories: cats, Units: []Unit{
			u("1", "A"), u("1", "B"), u("2", "A", "yes"), u("2", "B", "yes", "yes"), u("3", "A", "zzz")}}, func(t *testing.T, r Report) {
			if r.InvalidUnits != 1 || r.UnknownValues != 1 || r.Units != 4 {
				t.Errorf("got invalid %d unknown %d units %d", r.InvalidUnits, r.UnknownValues, r.Units)
			}
			checkMetric(t, "alpha MASI", r.AlphaMASI, 1, false)
			checkUndefined(t, "label no", r.PerCategory[1].Alpha)
		}},
		{"multi: one set only", Dataset{Multi: true, Categories: cats, Units: []Unit{
			u("1", "A", "yes"), u("1", "B", "yes"), u("2", "A", "yes"), u("2", "B", "yes")}}, func(t *testing.T, r Report) {
			checkUndefined(t, "MASI", r.AlphaMASI)
			checkUndefined(t, "Jaccard", r.AlphaJaccard)
			checkUndefined(t, "pair", r.Pairwise.Pairs[0].Value)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Compute(tc.d, Options{Bootstrap: 50, Seed: 1})
			if _, err := json.Marshal(r); err != nil {
				t.Fatalf("json: %v", err)
			}
			tc.check(t, r)
		})
	}
}

func TestJSONShape(t *testing.T) {
	r := Compute(Dataset{Categories: []string{"a", "b"}}, Options{})
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"alpha_nominal":{"value":null,"reason":`, `"pairable_items":0`, `"categories":["a","b"]`, `"unknown_categories":[]`} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON lacks %s: %s", want, s)
		}
	}
	r = Compute(Dataset{Units: fromRows([]string{"A", "B", "C", "D"}, kripp2011C), Ordered: true}, Options{Bootstrap: 20})
	b, _ = json.Marshal(r)
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.AlphaInterval.Float() != r.AlphaInterval.Float() || back.AlphaInterval.CI == nil {
		t.Errorf("round trip: got %v, want %v with interval", back.AlphaInterval.Float(), r.AlphaInterval.Float())
	}
}

func TestInterpret(t *testing.T) {
	tests := []struct {
		alpha float64
		want  string
	}{
		{0.9, "reliable"}, {0.8, "reliable"}, {0.7, "tentative"}, {0.667, "tentative"}, {0.5, "unreliable"}, {math.NaN(), "undefined"},
	}
	for _, tc := range tests {
		if got := Interpret(tc.alpha); !strings.HasPrefix(got, tc.want) {
			t.Errorf("Interpret(%v): got %q, want prefix %q", tc.alpha, got, tc.want)
		}
	}
	kt := []struct {
		k    float64
		want string
	}{
		{-0.1, "poor"}, {0.1, "slight"}, {0.3, "fair"}, {0.5, "moderate"}, {0.7, "substantial"}, {0.9, "almost perfect"}, {math.NaN(), "undefined"},
	}
	for _, tc := range kt {
		if got := InterpretKappa(tc.k); !strings.HasPrefix(got, tc.want) {
			t.Errorf("InterpretKappa(%v): got %q, want prefix %q", tc.k, got, tc.want)
		}
	}
}

// Random malformed input never panics and always marshals.
func TestRobustness(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	pool := []string{"a", "b", "c", "", "zz", "1", "2.5"}
	for trial := range 300 {
		var units []Unit
		for range rng.IntN(40) {
			var vs []string
			for range rng.IntN(4) {
				vs = append(vs, pool[rng.IntN(len(pool))])
			}
			units = append(units, Unit{Item: pool[rng.IntN(4)], Annotator: pool[rng.IntN(5)], Values: vs})
		}
		var cats []string
		if rng.IntN(3) > 0 {
			cats = pool[:rng.IntN(len(pool))]
		}
		d := Dataset{Units: units, Categories: cats, Ordered: rng.IntN(2) == 0, Multi: rng.IntN(2) == 0}
		r := Compute(d, Options{Bootstrap: rng.IntN(5), Seed: int64(trial)})
		if _, err := json.Marshal(r); err != nil {
			t.Fatalf("trial %d: json: %v", trial, err)
		}
		_ = Confusion(d, pool[rng.IntN(5)], pool[rng.IntN(5)])
	}
}

func FuzzCompute(f *testing.F) {
	f.Add([]byte("abcabc\x00\x01\x02"), true, false)
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, false, true)
	f.Fuzz(func(t *testing.T, data []byte, multi, ordered bool) {
		var units []Unit
		for i := 0; i+2 < len(data); i += 3 {
			var vs []string
			for j := range int(data[i+2] % 3) {
				vs = append(vs, string(rune('a'+(data[i+2]>>(2+j))%4)))
			}
			units = append(units, Unit{Item: string(rune('0' + data[i]%5)), Annotator: string(rune('A' + data[i+1]%4)), Values: vs})
		}
		d := Dataset{Units: units, Categories: []string{"a", "b", "c"}, Multi: multi, Ordered: ordered}
		r := Compute(d, Options{Bootstrap: 3})
		if _, err := json.Marshal(r); err != nil {
			t.Fatal(err)
		}
	})
}
