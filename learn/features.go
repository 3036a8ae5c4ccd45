package learn

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Features says which features a text is turned into. Every feature is
// hashed into a space of 2^HashBits columns, so that the model's size does
// not grow with the vocabulary and a word never seen in training still has
// a column.
type Features struct {
	// HashBits is the size of the hashed feature space as a power of two,
	// from 10 to 24.
	HashBits int
	// WordNGrams is the longest run of consecutive words taken as one
	// feature: 1 for single words, 2 for single words and pairs, 0 for no
	// word features.
	WordNGrams int
	// CharMin and CharMax bound the character n-grams taken inside each
	// word padded with a space on either side (scikit-learn's char_wb);
	// 0 and 0 for none.
	CharMin, CharMax int
}

func (f Features) validate() error {
	switch {
	case f.HashBits < 10 || f.HashBits > 24:
		return fmt.Errorf("%w: HashBits is %d; it must be from 10 to 24 (18 is the default)", ErrInvalid, f.HashBits)
	case f.WordNGrams < 0 || f.WordNGrams > 3:
		return fmt.Errorf("%w: WordNGrams is %d; it must be from 0 to 3", ErrInvalid, f.WordNGrams)
	case f.CharMin < 0 || f.CharMax < f.CharMin || f.CharMax > 8 || (f.CharMin == 0) != (f.CharMax == 0):
		return fmt.Errorf("%w: character n-grams from %d to %d; give 1 ≤ CharMin ≤ CharMax ≤ 8, or 0 and 0 for none", ErrInvalid, f.CharMin, f.CharMax)
	case f.WordNGrams == 0 && f.CharMax == 0:
		return fmt.Errorf("%w: no features: set WordNGrams or CharMin and CharMax", ErrInvalid)
	}
	return nil
}

// dim is the number of hashed columns.
func (f Features) dim() int { return 1 << f.HashBits }

// FNV-1a over runes. Words and character n-grams start from different
// offsets so that the word "ab" and the n-gram "ab" fall in different
// columns.
const (
	fnvPrime  = 1099511628211
	wordSeed  = 14695981039346656037
	charSeed  = wordSeed ^ 0x9e3779b97f4a7c15
	separator = ' '
)

func mix(h uint64, r rune) uint64 { return (h ^ uint64(r)) * fnvPrime }

// column folds a 64-bit hash into the top bits, which FNV mixes best.
func (f Features) column(h uint64) uint32 {
	h ^= h >> 31
	h *= 0x9e3779b97f4a7c15
	return uint32(h >> (64 - uint(f.HashBits)))
}

// scratch is one worker's reusable buffers, so that turning a text into a
// vector allocates nothing once warm.
type scratch struct {
	runes   []rune
	tokens  [][2]int32 // [start, end) in runes
	cols    []uint32
	counts  []uint32 // dense, one per column, zero between texts
	touched []uint32
}

func newScratch(dim int) *scratch { return &scratch{counts: make([]uint32, dim)} }

// scratchPool keeps the buffers of single predictions, whose dense
// counts would otherwise be allocated for every text.
var scratchPool sync.Pool

func getScratch(dim int) *scratch {
	if s, ok := scratchPool.Get().(*scratch); ok && len(s.counts) == dim {
		return s
	}
	return newScratch(dim)
}

// hasWords says whether text has a word character at all.
func hasWords(text string) bool {
	for _, r := range text {
		if isWordRune(r) {
			return true
		}
	}
	return false
}

// isWordRune is the \w of Python's re: letters, digits and the underscore.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

func lower(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	return unicode.ToLower(r)
}

// tokenize splits text into lower-cased words: maximal runs of letters,
// digits and underscores.
func (s *scratch) tokenize(text string) {
	s.runes, s.tokens = s.runes[:0], s.tokens[:0]
	start := int32(-1)
	for _, r := range text {
		if isWordRune(r) {
			if start < 0 {
				start = int32(len(s.runes))
			}
			s.runes = append(s.runes, lower(r))
		} else if start >= 0 {
			s.tokens = append(s.tokens, [2]int32{start, int32(len(s.runes))})
			start = -1
		}
	}
	if start >= 0 {
		s.tokens = append(s.tokens, [2]int32{start, int32(len(s.runes))})
	}
}

// hash fills s.cols with the column of every feature of text, repeats
// included.
func (f Features) hash(text string, s *scratch) {
	s.tokenize(text)
	s.cols = s.cols[:0]
	for i := range s.tokens {
		// Word n-grams ending at token i.
		for n := 1; n <= f.WordNGrams && n <= i+1; n++ {
			h := uint64(wordSeed)
			for t := i - n + 1; t <= i; t++ {
				if t > i-n+1 {
					h = mix(h, separator)
				}
				for _, r := range s.runes[s.tokens[t][0]:s.tokens[t][1]] {
					h = mix(h, r)
				}
			}
			s.cols = append(s.cols, f.column(h))
		}
		if f.CharMax == 0 {
			continue
		}
		// Character n-grams of " word ", as scikit-learn's char_wb: a
		// padded word shorter than CharMin counts once, whole.
		w := s.runes[s.tokens[i][0]:s.tokens[i][1]]
		size := len(w) + 2
		at := func(k int) rune {
			if k == 0 || k == size-1 {
				return ' '
			}
			return w[k-1]
		}
		if size < f.CharMin {
			h := uint64(charSeed)
			for k := 0; k < size; k++ {
				h = mix(h, at(k))
			}
			s.cols = append(s.cols, f.column(h))
			continue
		}
		for start := 0; start+f.CharMin <= size; start++ {
			h := uint64(charSeed)
			for n := 1; n <= f.CharMax && start+n <= size; n++ {
				h = mix(h, at(start+n-1))
				if n >= f.CharMin {
					s.cols = append(s.cols, f.column(h))
				}
			}
		}
	}
}

// count turns s.cols into distinct columns (s.touched, in order of first
// appearance) with their counts left in s.counts; the caller must reset
// the counts it read.
func (s *scratch) count() {
	s.touched = s.touched[:0]
	for _, c := range s.cols {
		if s.counts[c] == 0 {
			s.touched = append(s.touched, c)
		}
		s.counts[c]++
	}
}

// Vector is a sparse row: Value[i] is the weight of column Index[i].
type Vector struct {
	Index []uint32
	Value []float32
}

// Vectorizer turns texts into TF-IDF vectors with the definitions of
// scikit-learn's TfidfVectorizer(sublinear_tf=True): tf = 1 + ln(count),
// idf = ln((1 + n) / (1 + df)) + 1 over the n training texts, each row
// scaled to unit Euclidean length. Its IDF is fixed when it is fitted.
type Vectorizer struct {
	Features Features
	// IDF holds one weight per hashed column; a column no training text
	// had gets ln(1 + n) + 1.
	IDF []float64
}

// matrix is a compressed sparse row matrix of TF-IDF rows.
type matrix struct {
	ptr []int
	idx []uint32
	val []float32
}

// compact renumbers the columns in use 0, 1, … from the most frequent
// down and returns the original column of each. Putting the frequent
// columns side by side keeps the weights most rows touch in a few cache
// lines, which makes a pass over the data several times faster than
// scattering them over the whole hashed space.
func (m *matrix) compact(dim int) []uint32 {
	freq := make([]int32, dim)
	for _, c := range m.idx {
		freq[c]++
	}
	var cols []uint32
	for c, f := range freq {
		if f != 0 {
			cols = append(cols, uint32(c))
		}
	}
	sort.SliceStable(cols, func(a, b int) bool { return freq[cols[a]] > freq[cols[b]] })
	for u, c := range cols {
		freq[c] = int32(u)
	}
	for i, c := range m.idx {
		m.idx[i] = uint32(freq[c])
	}
	return cols
}

func (m *matrix) rows() int { return len(m.ptr) - 1 }

func (m *matrix) row(i int) ([]uint32, []float32) {
	return m.idx[m.ptr[i]:m.ptr[i+1]], m.val[m.ptr[i]:m.ptr[i+1]]
}

// workers is the number of goroutines for a pass over n items.
func workers(n int) int {
	w := runtime.GOMAXPROCS(0)
	if w > n {
		w = n
	}
	if w < 1 {
		w = 1
	}
	return w
}

// parallel runs fn over [0, n) split into contiguous ranges, one per
// worker, each with its own scratch.
func parallel(n, dim int, fn func(lo, hi, worker int, s *scratch)) {
	w := workers(n)
	var wg sync.WaitGroup
	for k := 0; k < w; k++ {
		lo, hi := n*k/w, n*(k+1)/w
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			fn(lo, hi, k, newScratch(dim))
		}(k)
	}
	wg.Wait()
}

// fitTransform fits the IDF on texts and returns their TF-IDF rows. It
// fails on a text with no words, naming it.
func fitTransform(f Features, texts []string) (*Vectorizer, *matrix, error) {
	dim := f.dim()
	w := workers(len(texts))
	parts := make([]matrix, w)
	dfs := make([][]int32, w)
	empty := make([]int, w)
	for k := range empty {
		empty[k] = -1
	}
	parallel(len(texts), dim, func(lo, hi, k int, s *scratch) {
		part := matrix{ptr: make([]int, 1, hi-lo+1)}
		df := make([]int32, dim)
		for i := lo; i < hi; i++ {
			f.hash(texts[i], s)
			if len(s.cols) == 0 && empty[k] < 0 {
				empty[k] = i
			}
			s.count()
			for _, c := range s.touched {
				part.idx = append(part.idx, c)
				part.val = append(part.val, float32(s.counts[c]))
				s.counts[c] = 0
				df[c]++
			}
			part.ptr = append(part.ptr, len(part.idx))
		}
		parts[k], dfs[k] = part, df
	})
	for _, e := range empty {
		if e >= 0 {
			return nil, nil, fmt.Errorf("%w: item %d has no words to learn from (%q); leave it out or give it text", ErrInvalid, e, clip(texts[e]))
		}
	}
	v := &Vectorizer{Features: f, IDF: make([]float64, dim)}
	n := float64(len(texts))
	for c := range v.IDF {
		var df int32
		for _, d := range dfs {
			df += d[c]
		}
		v.IDF[c] = math.Log((1+n)/(1+float64(df))) + 1
	}
	m := &matrix{ptr: make([]int, 1, len(texts)+1)}
	total := 0
	for _, p := range parts {
		total += len(p.idx)
	}
	m.idx, m.val = make([]uint32, 0, total), make([]float32, 0, total)
	for _, p := range parts {
		base := len(m.idx)
		m.idx = append(m.idx, p.idx...)
		m.val = append(m.val, p.val...)
		for _, q := range p.ptr[1:] {
			m.ptr = append(m.ptr, base+q)
		}
	}
	parallel(len(texts), 0, func(lo, hi, _ int, _ *scratch) {
		for i := lo; i < hi; i++ {
			idx, val := m.row(i)
			v.weigh(idx, val)
		}
	})
	return v, m, nil
}

// logTable holds 1 + ln(count) for the small counts nearly every feature
// has, since a logarithm per feature is a large share of the time it
// takes to turn a paragraph into a vector.
var logTable = func() (t [64]float64) {
	for c := 1; c < len(t); c++ {
		t[c] = 1 + math.Log(float64(c))
	}
	return t
}()

// sublinear is the sublinear term frequency 1 + ln(count).
func sublinear(count float32) float64 {
	if c := int(count); c < len(logTable) {
		return logTable[c]
	}
	return 1 + math.Log(float64(count))
}

// FitVectorizer fits the IDF on texts. Every text must have a word.
func FitVectorizer(texts []string, f Features) (*Vectorizer, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	if len(texts) == 0 {
		return nil, fmt.Errorf("%w: no texts to fit the IDF on", ErrInvalid)
	}
	v, _, err := fitTransform(f, texts)
	return v, err
}

// weigh turns raw counts into unit-length TF-IDF weights in place.
func (v *Vectorizer) weigh(idx []uint32, val []float32) {
	var norm float64
	for i, c := range idx {
		x := sublinear(val[i]) * v.IDF[c]
		val[i] = float32(x)
		norm += x * x
	}
	if norm == 0 {
		return
	}
	inv := 1 / math.Sqrt(norm)
	for i := range val {
		val[i] = float32(float64(val[i]) * inv)
	}
}

// transform writes text's TF-IDF row into s (s.touched and the returned
// values) and leaves s.counts zero.
func (v *Vectorizer) transform(text string, s *scratch, val []float32) []float32 {
	v.Features.hash(text, s)
	s.count()
	val = val[:0]
	for _, c := range s.touched {
		val = append(val, float32(s.counts[c]))
		s.counts[c] = 0
	}
	v.weigh(s.touched, val)
	return val
}

// Transform returns text's TF-IDF vector. A text with no words gives an
// empty vector.
func (v *Vectorizer) Transform(text string) Vector {
	s := getScratch(v.Features.dim())
	defer scratchPool.Put(s)
	val := v.transform(text, s, nil)
	return Vector{Index: append([]uint32(nil), s.touched...), Value: val}
}

// Tokenize returns text's words as the vectorizer sees them: lower-cased
// runs of letters, digits and underscores.
func Tokenize(text string) []string {
	var s scratch
	s.tokenize(text)
	out := make([]string, len(s.tokens))
	for i, t := range s.tokens {
		out[i] = string(s.runes[t[0]:t[1]])
	}
	return out
}

func clip(s string) string {
	if len(s) > 40 {
		r := []rune(s)
		if len(r) > 40 {
			return string(r[:40]) + "…"
		}
	}
	return s
}
