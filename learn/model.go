package learn

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"sort"
)

// Options are the features and the fitting settings. The zero Options
// means DefaultOptions.
type Options struct {
	Features
	// C is the inverse strength of the L2 penalty, as in scikit-learn's
	// LogisticRegression: larger fits the training data more closely.
	C float64
	// MaxIterations bounds the L-BFGS iterations of each fit.
	MaxIterations int
	// Tolerance stops a fit once no gradient component of the mean loss
	// exceeds it.
	Tolerance float64
}

// DefaultOptions are word unigrams and bigrams and character 3- to
// 5-grams in 2^18 columns, C = 10, at most 100 iterations, tolerance 1e-4.
func DefaultOptions() Options {
	return Options{
		Features:      Features{HashBits: 18, WordNGrams: 2, CharMin: 3, CharMax: 5},
		C:             10,
		MaxIterations: 100,
		Tolerance:     1e-4,
	}
}

func (o Options) resolve() (Options, error) {
	if o == (Options{}) {
		return DefaultOptions(), nil
	}
	if err := o.Features.validate(); err != nil {
		return o, err
	}
	if !(o.C > 0) || math.IsInf(o.C, 0) {
		return o, fmt.Errorf("%w: C is %v; it must be a positive number (10 is the default)", ErrInvalid, o.C)
	}
	if o.MaxIterations < 1 {
		return o, fmt.Errorf("%w: MaxIterations is %d; it must be at least 1", ErrInvalid, o.MaxIterations)
	}
	if !(o.Tolerance > 0) {
		return o, fmt.Errorf("%w: Tolerance is %v; it must be positive", ErrInvalid, o.Tolerance)
	}
	return o, nil
}

// Data is one dimension's labelled texts. For a single-choice dimension
// every item has exactly one label; for a multi-label dimension (Multi)
// an item's labels are a set, possibly empty.
type Data struct {
	Texts  []string
	Labels [][]string
	Multi  bool
	// Categories fixes the order of the probabilities; when nil it is the
	// sorted set of labels given.
	Categories []string
}

// prepared is Data checked and turned into indices.
type prepared struct {
	categories []string
	single     []int   // single-choice: the label of each item
	multi      [][]int // multi-label: each item's labels, sorted
}

func (d Data) prepare() (*prepared, error) {
	if len(d.Texts) == 0 {
		return nil, fmt.Errorf("%w: no items to learn from", ErrInvalid)
	}
	if len(d.Labels) != len(d.Texts) {
		return nil, fmt.Errorf("%w: %d texts but %d label lists; give one list per text", ErrInvalid, len(d.Texts), len(d.Labels))
	}
	cats := d.Categories
	if cats == nil {
		seen := map[string]bool{}
		for _, ls := range d.Labels {
			for _, l := range ls {
				if !seen[l] {
					seen[l] = true
					cats = append(cats, l)
				}
			}
		}
		sort.Strings(cats)
	}
	index := make(map[string]int, len(cats))
	for i, c := range cats {
		if c == "" {
			return nil, fmt.Errorf("%w: category %d is empty; every category needs a name", ErrInvalid, i)
		}
		if _, dup := index[c]; dup {
			return nil, fmt.Errorf("%w: category %q is listed twice", ErrInvalid, c)
		}
		index[c] = i
	}
	for i, t := range d.Texts {
		if !hasWords(t) {
			return nil, fmt.Errorf("%w: item %d has no words to learn from (%q); leave it out or give it text", ErrInvalid, i, clip(t))
		}
	}
	p := &prepared{categories: cats}
	counts := make([]int, len(cats))
	for i, ls := range d.Labels {
		if !d.Multi && len(ls) != 1 {
			return nil, fmt.Errorf("%w: item %d has %d labels; a single-choice dimension needs exactly one per item", ErrInvalid, i, len(ls))
		}
		var set []int
		for _, l := range ls {
			k, ok := index[l]
			if !ok {
				return nil, fmt.Errorf("%w: item %d has label %q, which is not among the categories %q", ErrInvalid, i, l, cats)
			}
			if slices.Contains(set, k) {
				return nil, fmt.Errorf("%w: item %d has label %q twice", ErrInvalid, i, l)
			}
			set = append(set, k)
			counts[k]++
		}
		if d.Multi {
			slices.Sort(set)
			p.multi = append(p.multi, set)
		} else {
			p.single = append(p.single, set[0])
		}
	}
	used := 0
	for _, c := range counts {
		if c > 0 {
			used++
		}
	}
	if !d.Multi && used < 2 {
		return nil, fmt.Errorf("%w: every item has the same label; a model needs at least two categories in use", ErrInvalid)
	}
	if d.Multi {
		if len(cats) == 0 {
			return nil, fmt.Errorf("%w: no item has a label; a model needs labelled examples", ErrInvalid)
		}
		for k, c := range counts {
			if c == 0 || c == len(d.Texts) {
				what := "no item"
				if c > 0 {
					what = "every item"
				}
				return nil, fmt.Errorf("%w: category %q is on %s; a model can't tell when to give it: label some items with it and some without", ErrInvalid, cats[k], what)
			}
		}
	}
	return p, nil
}

// Model is a trained classifier for one dimension.
type Model struct {
	// ID is a hash of the options, the categories and the training data:
	// the same data and options give the same ID and the same model.
	ID         string
	Options    Options
	Categories []string
	Multi      bool
	Vectorizer *Vectorizer
	// Rows maps each hashed column to its row of Weights, -1 for a
	// column no training text had (its weights are zero). The rows run
	// from the most frequent column down, so that the rows most texts
	// touch sit together in memory.
	Rows []int32
	// Weights has len(Categories) weights per row, in float32: the
	// optimiser works in float64, but half the memory to read makes
	// predicting faster and the model half the size. Bias has one per
	// category.
	Weights []float32
	Bias    []float64
	// Iterations is the L-BFGS iterations each fit took: one for a
	// single-choice model, one per category for a multi-label one.
	Iterations []int
}

// Train fits a model to d: multinomial logistic regression for a
// single-choice dimension, one binary logistic regression per category
// for a multi-label one, both with an L2 penalty, on TF-IDF features.
func Train(d Data, opt Options) (*Model, error) {
	opt, err := opt.resolve()
	if err != nil {
		return nil, err
	}
	p, err := d.prepare()
	if err != nil {
		return nil, err
	}
	return train(d.Texts, p, d.Multi, opt)
}

func train(texts []string, p *prepared, multi bool, opt Options) (*Model, error) {
	v, x, err := fitTransform(opt.Features, texts)
	if err != nil {
		return nil, err
	}
	K, dim := len(p.categories), opt.dim()
	// Fit only the columns some training text has: the others get no
	// gradient from the data, so the penalty holds them at zero, and
	// leaving them out keeps the optimiser's vectors small.
	cols := x.compact(dim)
	used := len(cols)
	m := &Model{
		ID: modelID(texts, p, multi, opt), Options: opt, Categories: p.categories, Multi: multi,
		Vectorizer: v, Rows: make([]int32, dim), Weights: make([]float32, used*K), Bias: make([]float64, K),
	}
	for c := range m.Rows {
		m.Rows[c] = -1
	}
	for u, c := range cols {
		m.Rows[c] = int32(u)
	}
	if !multi {
		w, it, err := newObjective(x, p.single, K, used, opt.C).fit(opt.MaxIterations, opt.Tolerance)
		if err != nil {
			return nil, fmt.Errorf("learn: fitting the model: %w", err)
		}
		for j, v := range w[:used*K] {
			m.Weights[j] = float32(v)
		}
		copy(m.Bias, w[used*K:])
		m.Iterations = []int{it}
		return m, nil
	}
	y := make([]int, len(texts))
	for k := range K {
		for i, set := range p.multi {
			y[i] = 0
			if slices.Contains(set, k) {
				y[i] = 1
			}
		}
		w, it, err := newObjective(x, y, 1, used, opt.C).fit(opt.MaxIterations, opt.Tolerance)
		if err != nil {
			return nil, fmt.Errorf("learn: fitting category %q: %w", p.categories[k], err)
		}
		for u, v := range w[:used] {
			m.Weights[u*K+k] = float32(v)
		}
		m.Bias[k] = w[used]
		m.Iterations = append(m.Iterations, it)
	}
	return m, nil
}

// modelID hashes everything a model is made from.
func modelID(texts []string, p *prepared, multi bool, opt Options) string {
	h := sha256.New()
	var b [8]byte
	put := func(v uint64) { binary.LittleEndian.PutUint64(b[:], v); h.Write(b[:]) }
	str := func(s string) { put(uint64(len(s))); h.Write([]byte(s)) }
	str("concord/learn model v1")
	put(uint64(opt.HashBits))
	put(uint64(opt.WordNGrams))
	put(uint64(opt.CharMin))
	put(uint64(opt.CharMax))
	put(math.Float64bits(opt.C))
	put(uint64(opt.MaxIterations))
	put(math.Float64bits(opt.Tolerance))
	if multi {
		put(1)
	} else {
		put(0)
	}
	put(uint64(len(p.categories)))
	for _, c := range p.categories {
		str(c)
	}
	put(uint64(len(texts)))
	for i, t := range texts {
		str(t)
		if multi {
			put(uint64(len(p.multi[i])))
			for _, k := range p.multi[i] {
				put(uint64(k))
			}
		} else {
			put(uint64(p.single[i]))
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// scores writes the probabilities of the text in s into out.
func (m *Model) scores(text string, s *scratch, val []float32, out []float64) []float32 {
	val = m.Vectorizer.transform(text, s, val)
	K := len(m.Categories)
	copy(out, m.Bias)
	for t, c := range s.touched {
		r := int(m.Rows[c])
		if r < 0 {
			continue
		}
		x := float64(val[t])
		row := m.Weights[r*K : r*K+K]
		_ = out[len(row)-1]
		for k, w := range row {
			out[k] += x * float64(w)
		}
	}
	if m.Multi {
		for k, z := range out {
			out[k] = sigmoid(z)
		}
		return val
	}
	mx := out[0]
	for _, z := range out[1:] {
		mx = math.Max(mx, z)
	}
	var sum float64
	for k, z := range out {
		out[k] = math.Exp(z - mx)
		sum += out[k]
	}
	for k := range out {
		out[k] /= sum
	}
	return val
}

// Predict returns the probability of each category for text, in the
// order of m.Categories. For a single-choice model they sum to one; for a
// multi-label model each is the probability that the category applies.
// A text with no words gets the probabilities of the biases alone.
func (m *Model) Predict(text string) []float64 {
	out := make([]float64, len(m.Categories))
	s := getScratch(m.Vectorizer.Features.dim())
	m.scores(text, s, nil, out)
	scratchPool.Put(s)
	return out
}

// PredictBatch is Predict for many texts, spread over the cores; row i is
// texts[i]'s.
func (m *Model) PredictBatch(texts []string) [][]float64 {
	K := len(m.Categories)
	flat := make([]float64, len(texts)*K)
	out := make([][]float64, len(texts))
	for i := range out {
		out[i] = flat[i*K : (i+1)*K : (i+1)*K]
	}
	parallel(len(texts), m.Vectorizer.Features.dim(), func(lo, hi, _ int, s *scratch) {
		var val []float32
		for i := lo; i < hi; i++ {
			val = m.scores(texts[i], s, val, out[i])
		}
	})
	return out
}

// modelFile is the serialised form; Version guards against reading a
// model written by an incompatible release.
type modelFile struct {
	Version    int
	ID         string
	Options    Options
	Categories []string
	Multi      bool
	IDF        []float64
	Rows       []int32
	Weights    []float32
	Bias       []float64
	Iterations []int
}

const fileVersion = 1

// MarshalBinary encodes the model with encoding/gob.
func (m *Model) MarshalBinary() ([]byte, error) {
	var buf bytes.Buffer
	err := gob.NewEncoder(&buf).Encode(modelFile{
		Version: fileVersion, ID: m.ID, Options: m.Options, Categories: m.Categories, Multi: m.Multi,
		IDF: m.Vectorizer.IDF, Rows: m.Rows, Weights: m.Weights, Bias: m.Bias, Iterations: m.Iterations,
	})
	return buf.Bytes(), err
}

// UnmarshalBinary decodes a model written by MarshalBinary and checks
// that its parts fit together.
func (m *Model) UnmarshalBinary(data []byte) error {
	var f modelFile
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&f); err != nil {
		return fmt.Errorf("%w: not a model: %v", ErrInvalid, err)
	}
	if f.Version != fileVersion {
		return fmt.Errorf("%w: model format %d; this release reads format %d: train the model again", ErrInvalid, f.Version, fileVersion)
	}
	opt, err := f.Options.resolve()
	if err != nil {
		return err
	}
	K, dim := len(f.Categories), opt.dim()
	if K < 1 || len(f.IDF) != dim || len(f.Rows) != dim || len(f.Weights)%K != 0 || len(f.Bias) != K {
		return fmt.Errorf("%w: model %s is damaged: %d categories, %d IDF weights, %d rows, %d weights and %d biases for %d columns", ErrInvalid, f.ID, K, len(f.IDF), len(f.Rows), len(f.Weights), len(f.Bias), dim)
	}
	for c, r := range f.Rows {
		if r < -1 || int(r) >= len(f.Weights)/K {
			return fmt.Errorf("%w: model %s is damaged: column %d points at row %d of %d", ErrInvalid, f.ID, c, r, len(f.Weights)/K)
		}
	}
	*m = Model{
		ID: f.ID, Options: opt, Categories: f.Categories, Multi: f.Multi,
		Vectorizer: &Vectorizer{Features: opt.Features, IDF: f.IDF},
		Rows:       f.Rows, Weights: f.Weights, Bias: f.Bias, Iterations: f.Iterations,
	}
	return nil
}
