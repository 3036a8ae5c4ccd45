package learn

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// small are quick options for tests.
var small = Options{Features: Features{HashBits: 14, WordNGrams: 2, CharMin: 3, CharMax: 4}, C: 10, MaxIterations: 200, Tolerance: 1e-6}

// fruitAndCars is a separable toy problem: each class has its own words.
func fruitAndCars() Data {
	return Data{
		Texts: []string{
			"apple banana cherry", "banana and apple pie", "cherry apple juice", "ripe banana",
			"car truck engine", "the truck has an engine", "fast car", "engine of the car",
			"violin cello piano", "a piano and a violin", "cello music", "piano music",
		},
		Labels: [][]string{{"fruit"}, {"fruit"}, {"fruit"}, {"fruit"}, {"car"}, {"car"}, {"car"}, {"car"},
			{"music"}, {"music"}, {"music"}, {"music"}},
	}
}

// TestSeparableLearnedPerfectly: every training text and new texts made
// of the classes' words go to their class, probabilities sum to one.
func TestSeparableLearnedPerfectly(t *testing.T) {
	d := fruitAndCars()
	m, err := Train(d, small)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Categories, []string{"car", "fruit", "music"}) {
		t.Fatalf("categories %q", m.Categories)
	}
	check := func(text, want string) {
		p := m.Predict(text)
		var sum float64
		for _, v := range p {
			sum += v
		}
		if math.Abs(sum-1) > 1e-12 {
			t.Errorf("%q: probabilities sum to %v", text, sum)
		}
		if got := m.Categories[argmax(p)]; got != want {
			t.Errorf("%q: predicted %s (%.3f), want %s", text, got, p, want)
		}
	}
	for i, text := range d.Texts {
		check(text, d.Labels[i][0])
	}
	check("Cherry and banana!", "fruit")
	check("an old TRUCK", "car")
	check("cello", "music")
	batch := m.PredictBatch(append([]string{""}, d.Texts...))
	for i, text := range d.Texts {
		if !slices.Equal(batch[i+1], m.Predict(text)) {
			t.Errorf("PredictBatch and Predict differ on %q", text)
		}
	}
	if !slices.Equal(batch[0], m.Predict("")) || len(batch[0]) != 3 {
		t.Errorf("empty text: %v", batch[0])
	}
}

// TestDeterministic: the same data gives the same model, bit for bit,
// on one core or several; other data gives another ID.
func TestDeterministic(t *testing.T) {
	d := newCorpus(3, 3, 30, 200).labelled(300, 300, 0.15)
	a, err := Train(d, small)
	if err != nil {
		t.Fatal(err)
	}
	prev := runtime.GOMAXPROCS(1)
	b, err := Train(d, small)
	runtime.GOMAXPROCS(prev)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID || !slices.Equal(a.Rows, b.Rows) || !slices.Equal(a.Weights, b.Weights) || !slices.Equal(a.Bias, b.Bias) || !slices.Equal(a.Vectorizer.IDF, b.Vectorizer.IDF) {
		t.Fatalf("two fits of the same data differ (IDs %s and %s)", a.ID, b.ID)
	}
	d.Labels[0] = []string{"t1"}
	c, err := Train(d, small)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID == a.ID {
		t.Errorf("a changed label kept the ID %s", a.ID)
	}
	other := small
	other.C = 1
	if e, _ := Train(fruitAndCars(), other); e == nil || e.ID == a.ID {
		t.Errorf("other options and data kept the ID")
	}
}

// TestMarshalRoundTrip: a decoded model predicts exactly what the
// original does; damaged bytes are an error.
func TestMarshalRoundTrip(t *testing.T) {
	for _, multi := range []bool{false, true} {
		d := fruitAndCars()
		if multi {
			d = multiToy()
		}
		m, err := Train(d, small)
		if err != nil {
			t.Fatal(err)
		}
		data, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var back Model
		if err := back.UnmarshalBinary(data); err != nil {
			t.Fatal(err)
		}
		if back.ID != m.ID || back.Multi != multi || !slices.Equal(back.Categories, m.Categories) {
			t.Fatalf("decoded %s %v %q, want %s %v %q", back.ID, back.Multi, back.Categories, m.ID, multi, m.Categories)
		}
		for _, text := range append(d.Texts, "something else entirely", "") {
			if !slices.Equal(back.Predict(text), m.Predict(text)) {
				t.Errorf("%q: decoded model predicts %v, original %v", text, back.Predict(text), m.Predict(text))
			}
		}
		if err := back.UnmarshalBinary(data[:len(data)/2]); !errors.Is(err, ErrInvalid) {
			t.Errorf("half a model: %v", err)
		}
	}
	if err := new(Model).UnmarshalBinary([]byte("not a model")); !errors.Is(err, ErrInvalid) {
		t.Errorf("garbage: %v", err)
	}
}

// multiToy has labels "red", "round", "sweet" on fruit-like texts.
func multiToy() Data {
	var d Data
	d.Multi = true
	words := map[string]string{"red": "crimson scarlet", "round": "sphere ball", "sweet": "sugar honey"}
	r := rand.New(rand.NewPCG(5, 5))
	for i := range 60 {
		var text []string
		var labels []string
		for _, l := range []string{"red", "round", "sweet"} {
			if r.IntN(2) == 0 {
				ws := strings.Fields(words[l])
				text = append(text, ws[r.IntN(2)])
				labels = append(labels, l)
			}
		}
		text = append(text, "the", "thing", fmt.Sprint(i))
		r.Shuffle(len(text), func(a, b int) { text[a], text[b] = text[b], text[a] })
		d.Texts = append(d.Texts, strings.Join(text, " "))
		d.Labels = append(d.Labels, labels)
	}
	return d
}

// TestMultiLabel: one-vs-rest learns each label on its own; the
// probabilities are independent, and cross-validation scores the sets.
func TestMultiLabel(t *testing.T) {
	d := multiToy()
	m, err := Train(d, small)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Iterations) != 3 {
		t.Errorf("%d fits, want one per category", len(m.Iterations))
	}
	p := m.Predict("a crimson sphere of honey")
	for k, c := range m.Categories {
		if p[k] < 0.5 {
			t.Errorf("%s: %.3f, want ≥ 0.5 (%v)", c, p[k], p)
		}
	}
	p = m.Predict("scarlet thing")
	if p[0] < 0.5 || p[1] >= 0.5 || p[2] >= 0.5 {
		t.Errorf("scarlet thing: %v for %q", p, m.Categories)
	}
	ev, err := CrossValidate(d, 3, 1, small)
	if err != nil {
		t.Fatal(err)
	}
	if ev.SubsetAccuracy < 0.9 || ev.MicroF1 < 0.9 || ev.MacroF1 < 0.9 || ev.Accuracy != ev.SubsetAccuracy {
		t.Errorf("subset accuracy %.3f, micro F1 %.3f, macro F1 %.3f", ev.SubsetAccuracy, ev.MicroF1, ev.MacroF1)
	}
}

// TestDegenerate: input a model cannot learn from is an ErrInvalid that
// names the problem, never a panic.
func TestDegenerate(t *testing.T) {
	toy := fruitAndCars()
	cases := []struct {
		name string
		d    Data
		opt  Options
		fold int
		want string
	}{
		{"no items", Data{}, Options{}, 0, "no items"},
		{"labels missing", Data{Texts: []string{"a", "b"}, Labels: [][]string{{"x"}}}, Options{}, 0, "2 texts but 1 label"},
		{"one class", Data{Texts: []string{"a b", "c d"}, Labels: [][]string{{"x"}, {"x"}}}, Options{}, 0, "same label"},
		{"empty text", Data{Texts: []string{"a b", " ,. "}, Labels: [][]string{{"x"}, {"y"}}}, Options{}, 0, "item 1 has no words"},
		{"two labels on a single choice", Data{Texts: []string{"a", "b"}, Labels: [][]string{{"x", "y"}, {"y"}}}, Options{}, 0, "exactly one"},
		{"no label", Data{Texts: []string{"a", "b"}, Labels: [][]string{{}, {"y"}}}, Options{}, 0, "exactly one"},
		{"unknown label", Data{Texts: []string{"a", "b"}, Labels: [][]string{{"x"}, {"z"}}, Categories: []string{"x", "y"}}, Options{}, 0, `"z", which is not`},
		{"duplicate category", Data{Texts: []string{"a", "b"}, Labels: [][]string{{"x"}, {"y"}}, Categories: []string{"x", "y", "x"}}, Options{}, 0, "twice"},
		{"multi label everywhere", Data{Multi: true, Texts: []string{"a", "b"}, Labels: [][]string{{"x"}, {"x", "y"}}}, Options{}, 0, `"x" is on every item`},
		{"multi nothing", Data{Multi: true, Texts: []string{"a", "b"}, Labels: [][]string{{}, {}}}, Options{}, 0, "no item has a label"},
		{"bad hash bits", toy, Options{Features: Features{HashBits: 40, WordNGrams: 1}, C: 1, MaxIterations: 1, Tolerance: 1}, 0, "HashBits"},
		{"no features", toy, Options{Features: Features{HashBits: 12}, C: 1, MaxIterations: 1, Tolerance: 1}, 0, "no features"},
		{"bad C", toy, Options{Features: Features{HashBits: 12, WordNGrams: 1}, C: -1, MaxIterations: 1, Tolerance: 1}, 0, "C is -1"},
		{"one fold", toy, Options{}, 1, "at least 2"},
		{"more folds than items", toy, Options{}, 13, "13 folds for 12 items"},
		{"more folds than a class has items", toy, Options{}, 5, `"car" has 4 items, fewer than the 5 folds`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			if c.fold > 0 {
				_, err = CrossValidate(c.d, c.fold, 1, c.opt)
			} else {
				_, err = Train(c.d, c.opt)
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want ErrInvalid saying %q", err, c.want)
			}
		})
	}
	for _, c := range []struct {
		given []int
		probs [][]float64
		want  string
	}{
		{nil, nil, "no items"},
		{[]int{0}, [][]float64{{0.5, 0.5}, {1, 0}}, "one row per item"},
		{[]int{0}, [][]float64{{1}}, "at least 2"},
		{[]int{0, 2}, [][]float64{{0.5, 0.5}, {0.5, 0.5}}, "category 2 of 2"},
		{[]int{0, 1}, [][]float64{{0.5, 0.5}, {0.5}}, "item 1 has 1"},
		{[]int{0, 1}, [][]float64{{0.5, 0.5}, {math.NaN(), 1}}, "must be in [0, 1]"},
	} {
		if _, err := LabelIssues(c.given, c.probs); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("LabelIssues(%v, %v): %v, want %q", c.given, c.probs, err, c.want)
		}
	}
}

// TestEmptyTextInCrossValidation names the item in the caller's data, not
// in a fold's training set.
func TestEmptyTextInCrossValidation(t *testing.T) {
	d := fruitAndCars()
	d.Texts[9] = "  !? "
	_, err := CrossValidate(d, 2, 1, small)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "item 9 has no words") {
		t.Errorf("got %v", err)
	}
}
