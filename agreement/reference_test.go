package agreement

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"testing"
)

// python is Debian's interpreter, where python3-numpy installs numpy.
const python = "/usr/bin/python3"

// needNumpy skips the test when numpy is missing, except under CI, where
// the reference must run (.ci/run installs it).
func needNumpy(t *testing.T) {
	t.Helper()
	err := exec.Command(python, "-c", "import numpy").Run()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("the reference needs numpy in %s (%v): apt-get install -y python3-numpy", python, err)
	}
	t.Skipf("the reference needs numpy in %s (%v); install it with apt-get install -y python3-numpy", python, err)
}

// referenceAlpha runs testdata/krippendorff.py on the units, whose values
// are the numbers of the scale.
func referenceAlpha(t *testing.T, metric string, units [][3]any) (alpha, do, de float64) {
	t.Helper()
	in, err := json.Marshal(map[string]any{"metric": metric, "units": units})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, "testdata/krippendorff.py")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("reference: %v\n%s", err, stderr.String())
	}
	var res struct{ Alpha, Do, De float64 }
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("reference output %q: %v", out, err)
	}
	return res.Alpha, res.Do, res.De
}

// TestIntervalRatioAgainstReference compares interval alpha on an uneven
// −100…100 scale, whose categories are keys such as n100 with numeric
// Values, and ratio alpha on a 0…1000 scale, with the numpy reference on
// random data with missing values.
func TestIntervalRatioAgainstReference(t *testing.T) {
	needNumpy(t)
	for _, tc := range []struct {
		metric string
		scale  []float64
	}{
		{"interval", []float64{-100, -60, -10, 0, 5, 20, 75, 100}},
		{"ratio", []float64{0, 1, 2, 5, 10, 50, 200, 1000}},
	} {
		rng := rand.New(rand.NewPCG(7, 11))
		cats := make([]string, len(tc.scale))
		for i := range tc.scale {
			cats[i] = "k" + strconv.Itoa(i)
		}
		var units []Unit
		var ref [][3]any
		for item := range 300 {
			// Each item has a true point; annotators mostly land near it.
			truth := rng.IntN(len(cats))
			for a := range 5 {
				if rng.Float64() < 0.3 {
					continue
				}
				c := truth
				if rng.Float64() < 0.4 {
					c = max(0, min(len(cats)-1, truth+rng.IntN(5)-2))
				}
				id, ann := fmt.Sprint("i", item), fmt.Sprint("a", a)
				units = append(units, Unit{Item: id, Annotator: ann, Values: []string{cats[c]}})
				ref = append(ref, [3]any{id, ann, tc.scale[c]})
			}
		}
		r := Compute(Dataset{Units: units, Categories: cats, Values: tc.scale, Ordered: true}, Options{})
		m := r.AlphaInterval
		if tc.metric == "ratio" {
			m = r.AlphaRatio
		}
		alpha, do, de := referenceAlpha(t, tc.metric, ref)
		if !m.Defined() || math.Abs(m.Float()-alpha) > 1e-9 {
			t.Errorf("%s alpha: got %v (%s), reference %v", tc.metric, m.Float(), m.Reason, alpha)
		}
		if m.ObservedDisagreement == nil || math.Abs(*m.ObservedDisagreement-do) > 1e-9*math.Max(1, do) {
			t.Errorf("%s Do: got %v, reference %v", tc.metric, m.ObservedDisagreement, do)
		}
		if m.ExpectedDisagreement == nil || math.Abs(*m.ExpectedDisagreement-de) > 1e-9*math.Max(1, de) {
			t.Errorf("%s De: got %v, reference %v", tc.metric, m.ExpectedDisagreement, de)
		}
		t.Logf("%s alpha %.6f, reference %.6f", tc.metric, m.Float(), alpha)
	}
}
