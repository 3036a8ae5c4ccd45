package consensus

import (
	"errors"
	"fmt"
)

// NoValue is the category of an item without a chosen value: an item with
// no labels, or one whose leading categories tie.
const NoValue int32 = -1

// Label is one annotator's answer for one item: ids that index
// Data.Items, Data.Annotators and Data.Categories. An annotator who labels
// the same item twice gives two labels, and both count.
type Label struct {
	Item      int32
	Annotator int32
	Category  int32
}

// Gold is the known true category of one item.
type Gold struct {
	Item     int32
	Category int32
}

// Data is the input of Infer for one single-choice dimension.
type Data struct {
	// Items, Annotators and Categories name the ids; their lengths fix the
	// ranges the ids must lie in.
	Items      []string
	Annotators []string
	Categories []string
	Labels     []Label
	// Gold lists the items whose truth is known. An item may appear twice
	// only with the same category.
	Gold []Gold
}

// Method names an inference method.
type Method string

// The inference methods.
const (
	MajorityVote Method = "majority"
	DawidSkene   Method = "dawid-skene"
)

// ParseMethod reads a method name as the command line and the API spell
// it.
func ParseMethod(s string) (Method, error) {
	switch Method(s) {
	case MajorityVote, DawidSkene:
		return Method(s), nil
	}
	return "", fmt.Errorf("method %q is not known; use %s or %s", s, DawidSkene, MajorityVote)
}

// Options controls Infer. The zero value means the defaults.
type Options struct {
	// Method is DawidSkene (the default) or MajorityVote.
	Method Method
	// ConfusionPrior is the pseudo-count added to every cell of every
	// annotator's confusion matrix; ClassPrior the one added to every
	// category of the class prior. Zero means DefaultConfusionPrior and
	// DefaultClassPrior; a negative value is an error.
	ConfusionPrior float64
	ClassPrior     float64
	// MaxIter caps the EM iterations; zero means DefaultMaxIter.
	MaxIter int
	// Tolerance is the relative change of the objective below which EM has
	// converged; zero means DefaultTolerance.
	Tolerance float64
	// SmallData runs Dawid–Skene even on data too small to learn
	// reliabilities from (see MinSharedItems), where it otherwise gives
	// the majority vote and a Reason.
	SmallData bool
	// Compact leaves out of a multi-label result each category's per-item
	// figures (its Result's Posterior and Items), which a caller that keeps
	// only the item sets does not need: the models are then held one at a
	// time, not all at once, which on a large dataset is most of
	// InferMulti's memory. Infer ignores it.
	Compact bool
}

// MinSharedItems is the fewest shared items Dawid–Skene learns from: an
// item is shared when two or more annotators labelled it, or when it has
// gold and a label, for only such an item says anything about whether
// an annotator is right. With fewer, EM's confusion matrices rest on the
// prior and a handful of coincidences: on two items labelled by the same
// two annotators, who agree on one and not on the other, it is 0.500 sure
// of the item they disagree on and cannot say which of them to trust.
const MinSharedItems = 10

// MinSharedLabelsPerAnnotator is the fewest labels on shared items that
// the annotators who gave labels must give on average for Dawid–Skene to
// run: a crowd in which each annotator labelled one or two shared items
// has as many confusion matrices to estimate as it has labels.
const MinSharedLabelsPerAnnotator = 5

// DefaultConfusionPrior is the pseudo-count of every confusion cell when
// Options leaves it unset. It is small on purpose: one per cell, spread
// over K×K cells, outweighs the few labels an annotator gives each true
// category in a small dataset, and EM then drifts to the uniform matrices
// and posteriors (TestSmallDataKeepsItsSignal); a tenth still keeps an
// annotator with one label from a matrix of zeros and ones.
const DefaultConfusionPrior = 0.1

// DefaultClassPrior is the pseudo-count of every category of the class
// prior when Options leaves it unset: one, as in Laplace's rule of
// succession, which only matters when a category is rare.
const DefaultClassPrior = 1.0

// DefaultMaxIter is the iteration cap when Options.MaxIter is unset.
const DefaultMaxIter = 100

// DefaultTolerance is the convergence tolerance when Options.Tolerance is
// unset.
const DefaultTolerance = 1e-8

// withDefaults fills the unset options and checks the others.
func (o Options) withDefaults() (Options, error) {
	if o.Method == "" {
		o.Method = DawidSkene
	}
	if _, err := ParseMethod(string(o.Method)); err != nil {
		return o, err
	}
	if o.ConfusionPrior < 0 || o.ClassPrior < 0 || o.MaxIter < 0 || o.Tolerance < 0 {
		return o, errors.New("consensus options: priors, iteration cap and tolerance must not be negative")
	}
	if o.ConfusionPrior == 0 {
		o.ConfusionPrior = DefaultConfusionPrior
	}
	if o.ClassPrior == 0 {
		o.ClassPrior = DefaultClassPrior
	}
	if o.MaxIter == 0 {
		o.MaxIter = DefaultMaxIter
	}
	if o.Tolerance == 0 {
		o.Tolerance = DefaultTolerance
	}
	return o, nil
}

// Item is the inferred truth of one item.
type Item struct {
	// Value is the category with the highest posterior, or NoValue when the
	// item has no labels or when Tie is set.
	Value int32
	// Confidence is the highest posterior probability (0 without labels).
	Confidence float64
	// Tie reports that two or more categories share the highest posterior;
	// Result.Tied lists them.
	Tie bool
	// Gold reports that the posterior was clamped to a gold label.
	Gold bool
	// Labels counts the item's labels.
	Labels int32
}

// Annotator is what the labels say about one annotator.
type Annotator struct {
	// Confusion[k][l] is the estimated probability that the annotator
	// answers l when the truth is k; each row sums to 1.
	Confusion [][]float64
	// Accuracy is the expected share of the annotator's labels that are
	// right: the mean posterior of the category they gave.
	Accuracy float64
	// Chance is the accuracy an annotator would expect who gave the same
	// categories as often but at random: the sum over categories of the
	// share of labels giving it times its mean posterior on the
	// annotator's items.
	Chance float64
	// NearChance flags an annotator whose accuracy is within
	// NearChanceMargin of chance, as a share of the room above it:
	// Accuracy − Chance < NearChanceMargin × (1 − Chance), a kappa against
	// the consensus below NearChanceMargin.
	NearChance bool
	// Items counts the distinct items the annotator labelled, Labels the
	// labels; the estimates rest on them.
	Items  int
	Labels int
}

// NearChanceMargin is the kappa against the consensus below which an
// annotator is flagged as near chance; 0.2 is the top of "slight"
// agreement in Landis and Koch's bands.
const NearChanceMargin = 0.2

// Result is the inferred truth of one dimension.
type Result struct {
	// Method is the method that produced the result: MajorityVote when it
	// was asked for, or when Reason says why Dawid–Skene could not run.
	Method Method
	// Reason is empty unless the input was degenerate; it then says why,
	// in a sentence.
	Reason string
	// K is the number of categories.
	K int
	// Iterations counts the EM iterations run; Converged reports that the
	// objective stopped changing before the cap. LogLikelihood is the final
	// objective: the log-likelihood of the labels plus the log density of
	// the prior, up to a constant.
	Iterations    int
	Converged     bool
	LogLikelihood float64
	// ClassPrior is the estimated share of each category.
	ClassPrior []float64
	// Posterior holds K probabilities per item, item after item; see
	// Result.PosteriorOf.
	Posterior  []float64
	Items      []Item
	Annotators []Annotator
}

// PosteriorOf returns the posterior over categories of item i, a view into
// Posterior.
func (r *Result) PosteriorOf(i int) []float64 {
	return r.Posterior[i*r.K : (i+1)*r.K]
}

// Tied returns the categories that share the highest posterior of item i:
// more than one when the item is a tie.
func (r *Result) Tied(i int) []int32 {
	p := r.PosteriorOf(i)
	best := 0.0
	for _, v := range p {
		best = max(best, v)
	}
	var out []int32
	for k, v := range p {
		if best-v <= tieTolerance {
			out = append(out, int32(k))
		}
	}
	return out
}

// tieTolerance is how close two posteriors must be to count as a tie. It is
// far above the rounding of a sum taken in another order (so that permuting
// the input never breaks or makes a tie) and far below any difference the
// labels can make.
const tieTolerance = 1e-9
