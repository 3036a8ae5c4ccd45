package learn

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// python is Debian's interpreter, where python3-sklearn installs
// scikit-learn.
const python = "/usr/bin/python3"

// needSklearn skips the test when scikit-learn is missing, except under
// CI, where the reference must run.
func needSklearn(t testing.TB) {
	t.Helper()
	err := exec.Command(python, "-c", "import sklearn").Run()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("the reference needs scikit-learn in %s (%v): apt-get install -y python3-sklearn", python, err)
	}
	t.Skipf("the reference needs scikit-learn in %s (%v); install it with apt-get install -y python3-sklearn", python, err)
}

// column is the column a named feature falls in: "w:" and a word n-gram
// (words joined by one space), or "c:" and a character n-gram.
func column(f Features, name string) uint32 {
	h := uint64(wordSeed)
	if strings.HasPrefix(name, "c:") {
		h = charSeed
	}
	for _, r := range name[2:] {
		h = mix(h, r)
	}
	return f.column(h)
}

// rows fits a vectorizer on docs and returns each row as column → value.
func rows(t *testing.T, f Features, docs []string) []map[uint32]float64 {
	t.Helper()
	_, m, err := fitTransform(f, docs)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]map[uint32]float64, m.rows())
	for i := range out {
		out[i] = map[uint32]float64{}
		idx, val := m.row(i)
		for k, c := range idx {
			out[i][c] = float64(val[k])
		}
	}
	return out
}

// TestTFIDFByHand checks a three-document corpus against values worked
// out by hand: idf = ln(4/(1+df)) + 1, tf = 1 + ln(count), rows scaled to
// unit length.
func TestTFIDFByHand(t *testing.T) {
	f := Features{HashBits: 16, WordNGrams: 1}
	got := rows(t, f, []string{"A b.", "a, A c", "b c D"})
	// idf: a, b, c have df 2: ln(4/3)+1 = 1.2876821; d has df 1: ln 2 + 1 = 1.6931472.
	// Doc 2: a = (1+ln 2)·1.2876821 = 2.1802353, c = 1.2876821; length 2.5321041.
	// Doc 3: b = c = 1.2876821, d = 1.6931472; length 2.4865634.
	want := []map[string]float64{
		{"a": 1 / math.Sqrt2, "b": 1 / math.Sqrt2},
		{"a": 2.1802353 / 2.5321041, "c": 1.2876821 / 2.5321041},
		{"b": 1.2876821 / 2.4865634, "c": 1.2876821 / 2.4865634, "d": 1.6931472 / 2.4865634},
	}
	v, err := FitVectorizer([]string{"A b.", "a, A c", "b c D"}, f)
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range []string{"A b.", "a, A c", "b c D"} {
		vec := v.Transform(text)
		for k, c := range vec.Index {
			if float64(vec.Value[k]) != got[i][c] {
				t.Errorf("Transform(%q) column %d: %v, fitted row %v", text, c, vec.Value[k], got[i][c])
			}
		}
	}
	// A word no training text had gets idf ln(4/1) + 1 = 2.3862944.
	if vec := v.Transform("a e"); len(vec.Index) != 2 || math.Abs(float64(vec.Value[1])-2.3862944/math.Hypot(1.2876821, 2.3862944)) > 1e-6 {
		t.Errorf("Transform(\"a e\") = %v, want e at %.7f", vec, 2.3862944/math.Hypot(1.2876821, 2.3862944))
	}
	if _, err := FitVectorizer(nil, f); !errors.Is(err, ErrInvalid) {
		t.Errorf("no texts: %v", err)
	}
	for i, w := range want {
		if len(got[i]) != len(w) {
			t.Errorf("doc %d: %d features, want %d", i, len(got[i]), len(w))
		}
		for word, v := range w {
			if g := got[i][column(f, "w:"+word)]; math.Abs(g-v) > 1e-6 {
				t.Errorf("doc %d, %q: got %.7f, want %.7f", i, word, g, v)
			}
		}
	}
}

// TestCharNGramsByHand checks the char_wb rule: n-grams of the word padded
// with spaces, and a padded word no longer than n counted once, whole.
func TestCharNGramsByHand(t *testing.T) {
	f := Features{HashBits: 20, CharMin: 3, CharMax: 5}
	s := newScratch(f.dim())
	f.hash("ab I", s)
	want := []string{" ab", " ab ", "ab ", " i "}
	if len(s.cols) != len(want) {
		t.Fatalf("%d n-grams, want %d (%q)", len(s.cols), len(want), want)
	}
	for k, n := range want {
		if c := column(f, "c:"+n); s.cols[k] != c {
			t.Errorf("n-gram %d: column %d, want %q's %d", k, s.cols[k], n, c)
		}
	}
	if got := Tokenize("Ça va? Hello_world, 42x"); strings.Join(got, "|") != "ça|va|hello_world|42x" {
		t.Errorf("Tokenize: %q", got)
	}
}

// TestTFIDFReference compares every value of a small corpus with
// scikit-learn's TfidfVectorizer(sublinear_tf=True) over the same words
// and n-grams (testdata/tfidf_reference.py).
func TestTFIDFReference(t *testing.T) {
	needSklearn(t)
	docs := []string{
		"The cat sat on the mat. The cat was happy.",
		"A dog chased the cat around the garden; the dog barked!",
		"Stocks fell sharply on Monday as oil prices rose.",
		"I",
		"Ünïcode wörds and UPPER case Words, words, words.",
	}
	for _, f := range []Features{
		{HashBits: 22, WordNGrams: 1},
		{HashBits: 22, WordNGrams: 2, CharMin: 3, CharMax: 5},
		{HashBits: 22, WordNGrams: 2, CharMin: 2, CharMax: 4},
	} {
		in, _ := json.Marshal(map[string]any{"docs": docs, "word_ngrams": f.WordNGrams, "char_min": f.CharMin, "char_max": f.CharMax})
		cmd := exec.Command(python, "testdata/tfidf_reference.py")
		cmd.Stdin = bytes.NewReader(in)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("reference: %v\n%s", err, stderr.String())
		}
		var want []map[string]float64
		if err := json.Unmarshal(out, &want); err != nil {
			t.Fatal(err)
		}
		got := rows(t, f, docs)
		for i := range docs {
			cols := map[uint32]string{}
			for name, v := range want[i] {
				c := column(f, name)
				if other, dup := cols[c]; dup {
					t.Fatalf("%q and %q share column %d; pick other documents", name, other, c)
				}
				cols[c] = name
				if g := got[i][c]; math.Abs(g-v) > 1e-6 {
					t.Errorf("%+v doc %d %q: got %.7f, scikit-learn %.7f", f, i, name, g, v)
				}
			}
			if len(got[i]) != len(want[i]) {
				t.Errorf("%+v doc %d: %d features, scikit-learn %d", f, i, len(got[i]), len(want[i]))
			}
		}
	}
}
