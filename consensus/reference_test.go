package consensus

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"testing"
)

// python is Debian's interpreter, where python3-numpy installs numpy.
const python = "/usr/bin/python3"

// needNumpy skips the test when numpy is missing, except under CI, where
// the reference must run.
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

// reference runs testdata/dawid_skene.py on d for the given iterations.
func reference(t *testing.T, d *Data, opt Options, iterations int) (post, pi []float64, conf [][][]float64, objective float64) {
	t.Helper()
	req := map[string]any{
		"items": len(d.Items), "annotators": len(d.Annotators), "categories": len(d.Categories),
		"confusion_prior": opt.ConfusionPrior, "class_prior": opt.ClassPrior, "iterations": iterations,
	}
	labels := make([][3]int32, len(d.Labels))
	for x, l := range d.Labels {
		labels[x] = [3]int32{l.Item, l.Annotator, l.Category}
	}
	gold := make([][2]int32, len(d.Gold))
	for x, g := range d.Gold {
		gold[x] = [2]int32{g.Item, g.Category}
	}
	req["labels"], req["gold"] = labels, gold
	in, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, "testdata/dawid_skene.py")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("reference: %v\n%s", err, stderr.String())
	}
	var res struct {
		Posterior  [][]float64   `json:"posterior"`
		ClassPrior []float64     `json:"class_prior"`
		Confusion  [][][]float64 `json:"confusion"`
		Objective  float64       `json:"objective"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("reference output: %v", err)
	}
	for _, row := range res.Posterior {
		post = append(post, row...)
	}
	return post, res.ClassPrior, res.Confusion, res.Objective
}

// TestReferenceImplementation compares Infer with the numpy reference on
// generated crowds: gold, unlabelled items, repeated labels, unequal
// priors, partial cover, several category counts.
func TestReferenceImplementation(t *testing.T) {
	needNumpy(t)
	cases := []struct {
		name   string
		c      crowd
		opt    Options
		gold   int // every gold-th item gets its truth as gold; 0 for none
		dupes  bool
		unused bool // declare a category that no label gives
	}{
		{"full cover, 4 categories", crowd{items: 300, k: 4, accuracies: []float64{0.9, 0.7, 0.5, 0.3, 0.8}, seed: 1}, Options{MaxIter: 40}, 0, false, false},
		{"partial cover, gold, skewed prior", crowd{items: 250, k: 3, accuracies: []float64{0.8, 0.6, 0.55, 0.4}, cover: 0.5, prior: []float64{0.6, 0.3, 0.1}, seed: 2}, Options{MaxIter: 60, ConfusionPrior: 0.5, ClassPrior: 2}, 7, false, false},
		{"binary, repeated labels, few iterations", crowd{items: 120, k: 2, accuracies: []float64{0.95, 0.6, 0.52}, cover: 0.7, seed: 3}, Options{MaxIter: 5, ConfusionPrior: 0.1, ClassPrior: 0.1}, 0, true, false},
		{"to convergence", crowd{items: 200, k: 5, accuracies: []float64{0.7, 0.7, 0.6, 0.5, 0.9, 0.3}, cover: 0.6, seed: 4}, Options{Tolerance: 1e-12}, 11, false, false},
		{"a category nobody gives", crowd{items: 150, k: 3, accuracies: []float64{0.8, 0.6, 0.5}, cover: 0.8, seed: 5}, Options{MaxIter: 30}, 13, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, truth := tc.c.generate()
			if tc.gold > 0 {
				for i := 0; i < len(truth); i += tc.gold {
					d.Gold = append(d.Gold, Gold{Item: int32(i), Category: truth[i]})
				}
			}
			if tc.unused {
				d.Categories = append(d.Categories, "never")
			}
			if tc.dupes {
				for x := 0; x < len(d.Labels); x += 4 {
					d.Labels = append(d.Labels, d.Labels[x])
				}
			}
			opt, err := tc.opt.withDefaults()
			if err != nil {
				t.Fatal(err)
			}
			if tc.opt.Tolerance == 0 {
				opt.Tolerance = 1e-300 // run exactly MaxIter iterations
			}
			r := mustInfer(t, d, opt)
			if r.Reason != "" || r.Iterations == 0 {
				t.Fatalf("reason %q after %d iterations", r.Reason, r.Iterations)
			}
			if tc.opt.Tolerance == 0 && r.Iterations != opt.MaxIter {
				t.Fatalf("ran %d iterations, want %d", r.Iterations, opt.MaxIter)
			}
			post, pi, conf, obj := reference(t, d, opt, r.Iterations)
			if len(post) != len(r.Posterior) {
				t.Fatalf("reference gives %d posterior values, Infer %d", len(post), len(r.Posterior))
			}
			const tol = 1e-9
			for x, v := range post {
				if !near(v, r.Posterior[x], tol) {
					t.Fatalf("item %d category %d: posterior %v, reference %v", x/r.K, x%r.K, r.Posterior[x], v)
				}
			}
			for k, v := range pi {
				if !near(v, r.ClassPrior[k], tol) {
					t.Errorf("class prior %d: %v, reference %v", k, r.ClassPrior[k], v)
				}
			}
			for a := range conf {
				for k := range conf[a] {
					for l, v := range conf[a][k] {
						if !near(v, r.Annotators[a].Confusion[k][l], tol) {
							t.Errorf("annotator %d confusion[%d][%d]: %v, reference %v", a, k, l, r.Annotators[a].Confusion[k][l], v)
						}
					}
				}
			}
			if !near(obj, r.LogLikelihood, 1e-9*max(1, abs(obj))) {
				t.Errorf("objective %v, reference %v", r.LogLikelihood, obj)
			}
		})
	}
}
