package agreement

// Unit is one annotator's label(s) for one item. For single-choice data
// Values has exactly one element; for multi-label data Values is the set of
// categories the annotator applied (an empty Values is an explicit empty set).
type Unit struct {
	Item      string   `json:"item"`
	Annotator string   `json:"annotator"`
	Values    []string `json:"values"`
}

// Dataset is the input for one dimension.
type Dataset struct {
	Units      []Unit   `json:"units"`
	Categories []string `json:"categories"` // all allowed categories, in scale order when Ordered
	// Values, when set, holds the number each of Categories stands for on
	// an interval or ratio scale (aligned with Categories), so that interval
	// and ratio alpha measure distances between values rather than between
	// positions: a scale −100…100 whose categories are named n100…p100.
	Values  []float64 `json:"values,omitempty"`
	Ordered bool      `json:"ordered"` // ordinal scale (order of Categories)
	Multi   bool      `json:"multi"`   // set-valued labels
}

// Options controls the optional, more expensive parts of Compute.
type Options struct {
	// Bootstrap is the number of bootstrap resamples used for the confidence
	// intervals of the alpha coefficients; 0 disables the bootstrap.
	Bootstrap int `json:"bootstrap"`
	// Seed seeds the PCG generator of the bootstrap, so that the same data,
	// Bootstrap and Seed always give the same intervals.
	Seed int64 `json:"seed"`
	// Level is the confidence level of the intervals; values outside (0, 1)
	// (including the zero value) mean 0.95.
	Level float64 `json:"level"`
}

// DefaultBootstrap is the number of bootstrap resamples used by
// DefaultOptions.
const DefaultBootstrap = 1000

// DefaultLevel is the confidence level used when Options.Level is unset.
const DefaultLevel = 0.95

// DefaultOptions returns the options used by Concord's web layer and CLI:
// 1000 resamples, seed 1, 95% intervals.
func DefaultOptions() Options {
	return Options{Bootstrap: DefaultBootstrap, Seed: 1, Level: DefaultLevel}
}

func (o Options) level() float64 {
	if o.Level > 0 && o.Level < 1 {
		return o.Level
	}
	return DefaultLevel
}
