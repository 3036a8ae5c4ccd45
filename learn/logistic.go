package learn

import (
	"math"
	"sync"

	"gonum.org/v1/gonum/optimize"
)

// chunks is the fixed number of item ranges the loss and gradient are
// summed over. It is fixed, not the number of cores, so that the sums are
// added in the same order on every machine and the same data gives the
// same model bit for bit.
const chunks = 4

// objective is the L2-penalised mean log loss of a linear model over X.
// With classes > 1 it is the softmax (multinomial) loss and y holds class
// indices; with classes == 1 it is the binary logistic loss and y holds 0
// or 1. Parameters are laid out feature-major (dim × classes weights, then
// classes biases) so that one row of X touches adjacent memory. The biases
// are not penalised, as in scikit-learn.
type objective struct {
	x       *matrix
	y       []int
	classes int
	dim     int
	lambda  float64 // 1 / (C n): scikit-learn's ½‖W‖² + C Σ loss, divided by C n

	// The weights in float32 for the passes over the data, and each
	// chunk's gradient in float32: half the memory traffic of float64,
	// which is what a pass is bound by. Sums across chunks and the
	// optimiser's own arithmetic stay in float64.
	w32   []float32
	grads [chunks][]float32
	loss  [chunks]float64

	// The last point evaluated, so that Grad after Func at the same point
	// costs nothing.
	atX  []float64
	atF  float64
	atG  []float64
	have bool
}

func newObjective(x *matrix, y []int, classes, dim int, c float64) *objective {
	o := &objective{x: x, y: y, classes: classes, dim: dim, lambda: 1 / (c * float64(x.rows()))}
	n := dim*classes + classes
	for k := range o.grads {
		o.grads[k] = make([]float32, n)
	}
	o.w32 = make([]float32, n)
	o.atX, o.atG = make([]float64, n), make([]float64, n)
	return o
}

func (o *objective) evaluate(w []float64) {
	if o.have && equal(o.atX, w) {
		return
	}
	n := o.x.rows()
	for j, v := range w {
		o.w32[j] = float32(v)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, workers(chunks))
	for k := 0; k < chunks; k++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(k int) {
			defer func() { <-sem; wg.Done() }()
			o.loss[k] = o.chunk(o.w32, o.grads[k], n*k/chunks, n*(k+1)/chunks)
		}(k)
	}
	wg.Wait()
	g := o.atG
	for j, v := range o.grads[0] {
		g[j] = float64(v)
	}
	f := o.loss[0]
	for k := 1; k < chunks; k++ {
		f += o.loss[k]
		for j, v := range o.grads[k] {
			g[j] += float64(v)
		}
	}
	inv := 1 / float64(n)
	f *= inv
	nw := o.dim * o.classes
	var sq float64
	for j := 0; j < nw; j++ {
		sq += w[j] * w[j]
		g[j] = g[j]*inv + o.lambda*w[j]
	}
	for j := nw; j < len(g); j++ {
		g[j] *= inv
	}
	o.atF = f + 0.5*o.lambda*sq
	copy(o.atX, w)
	o.have = true
}

// chunk adds the loss and gradient (unscaled) of items [lo, hi) into g,
// which it zeroes first.
func (o *objective) chunk(w, g []float32, lo, hi int) float64 {
	clear(g)
	K := o.classes
	bias := w[o.dim*K:]
	gbias := g[o.dim*K:]
	z := make([]float64, K)
	acc := make([]float32, K)
	r32 := make([]float32, K)
	var loss float64
	for i := lo; i < hi; i++ {
		idx, val := o.x.row(i)
		copy(acc, bias)
		for t, c := range idx {
			x := val[t]
			row := w[int(c)*K : int(c)*K+K]
			_ = acc[len(row)-1]
			for k, r := range row {
				acc[k] += x * r
			}
		}
		for k, v := range acc {
			z[k] = float64(v)
		}
		if K == 1 {
			// Binary: loss log(1 + e^{-s z}), s = ±1; dloss/dz = p - y.
			p := sigmoid(z[0])
			if o.y[i] == 1 {
				loss += softplus(-z[0])
			} else {
				loss += softplus(z[0])
			}
			z[0] = p - float64(o.y[i])
		} else {
			m := z[0]
			for _, v := range z[1:] {
				m = math.Max(m, v)
			}
			var sum float64
			for k, v := range z {
				z[k] = math.Exp(v - m)
				sum += z[k]
			}
			lse := m + math.Log(sum)
			loss += lse - (m + math.Log(z[o.y[i]]))
			for k := range z {
				z[k] /= sum
			}
			z[o.y[i]]--
		}
		for k, v := range z {
			r32[k] = float32(v)
			gbias[k] += r32[k]
		}
		for t, c := range idx {
			x := val[t]
			row := g[int(c)*K : int(c)*K+K]
			_ = r32[len(row)-1]
			for k := range row {
				row[k] += x * r32[k]
			}
		}
	}
	return loss
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// softplus is log(1 + e^z) without overflow.
func softplus(z float64) float64 {
	if z > 30 {
		return z
	}
	return math.Log1p(math.Exp(z))
}

func equal(a, b []float64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// fit minimises the objective with L-BFGS from zero and returns the
// parameters and the number of iterations taken.
func (o *objective) fit(maxIter int, tol float64) ([]float64, int, error) {
	p := optimize.Problem{
		Func: func(w []float64) float64 { o.evaluate(w); return o.atF },
		Grad: func(g, w []float64) { o.evaluate(w); copy(g, o.atG) },
	}
	settings := &optimize.Settings{
		GradientThreshold: tol,
		MajorIterations:   maxIter,
		Converger:         &optimize.FunctionConverge{Relative: 1e-9, Iterations: 3},
	}
	w0 := make([]float64, o.dim*o.classes+o.classes)
	res, err := optimize.Minimize(p, w0, settings, &optimize.LBFGS{Store: 10, Linesearcher: &optimize.MoreThuente{}})
	if res == nil {
		return nil, 0, err
	}
	// Running out of iterations leaves a usable model, as in scikit-learn;
	// a failed line search near the optimum does too.
	return res.X, res.Stats.MajorIterations, nil
}
