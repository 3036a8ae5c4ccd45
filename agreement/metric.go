package agreement

import "math"

// Metric is one agreement coefficient. Value is nil (JSON null) when the
// coefficient is undefined for the data, and Reason then says why; a Metric
// never holds NaN or an infinity, so a Report always marshals with
// encoding/json.
//
// A chance-corrected coefficient also carries the two terms it is made of,
// so that a reader can see how much of the result is chance: a kappa its
// observed and expected (chance) agreement, κ = (Po − Pe)/(1 − Pe), an alpha
// its observed and expected disagreement, α = 1 − Do/De. They are absent
// where the coefficient is undefined before they can be computed.
type Metric struct {
	Value  *float64  `json:"value"`
	Reason string    `json:"reason,omitempty"`
	CI     *Interval `json:"ci,omitempty"`

	ObservedAgreement    *float64 `json:"observed_agreement,omitempty"`
	ExpectedAgreement    *float64 `json:"expected_agreement,omitempty"`
	ObservedDisagreement *float64 `json:"observed_disagreement,omitempty"`
	ExpectedDisagreement *float64 `json:"expected_disagreement,omitempty"`
}

// Interval is a bootstrap confidence interval (see Compute for the method).
type Interval struct {
	Level  float64 `json:"level"`
	Lower  float64 `json:"lower"`
	Upper  float64 `json:"upper"`
	Method string  `json:"method"`
	// Resamples is the number of bootstrap resamples drawn.
	Resamples int `json:"resamples"`
	// Undefined counts resamples on which the coefficient was undefined
	// (for instance all resampled values in one category); they are left
	// out of the percentiles.
	Undefined int `json:"undefined"`
}

// Defined reports whether the metric has a value.
func (m Metric) Defined() bool { return m.Value != nil }

// Float returns the value, or NaN when the metric is undefined.
func (m Metric) Float() float64 {
	if m.Value == nil {
		return math.NaN()
	}
	return *m.Value
}

// Interpretation returns Interpret of the value.
func (m Metric) Interpretation() string { return Interpret(m.Float()) }

func definedMetric(v float64) Metric {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return undefinedMetric(reasonNumeric)
	}
	return Metric{Value: &v}
}

func undefinedMetric(reason string) Metric { return Metric{Reason: reason} }

// finite returns a pointer to v, or nil when v is not a finite number.
func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// kappaMetric is (po − pe)/(1 − pe) with its two terms; pe = 1 leaves it
// undefined for reason.
func kappaMetric(po, pe float64, reason string) Metric {
	m := undefinedMetric(reason)
	if pe != 1 {
		m = definedMetric((po - pe) / (1 - pe))
	}
	m.ObservedAgreement, m.ExpectedAgreement = finite(po), finite(pe)
	return m
}

// alphaMetric is 1 − Do/De with its two terms; De = 0 leaves it undefined
// for reason.
func alphaMetric(do, de float64, reason string) Metric {
	m := undefinedMetric(reason)
	if de != 0 {
		m = definedMetric(1 - do/de)
	}
	m.ObservedDisagreement, m.ExpectedDisagreement = finite(do), finite(de)
	return m
}

// Reasons given for undefined metrics.
const (
	reasonNoUnits     = "no valid units"
	reasonNoPairable  = "no item has values from two or more annotators"
	reasonOneCategory = "all pairable values are in one category, so expected disagreement is zero"
	reasonNotOrdered  = "the dimension is not ordered"
	reasonMultiOnly   = "only computed for multi-label dimensions"
	reasonSingleOnly  = "only computed for single-choice dimensions; see per_category for per-label values"
	reasonNoShared    = "the two annotators share no item"
	reasonCohenChance = "both annotators used one and the same category on their shared items, so chance agreement is 1"
	reasonNoPairKappa = "no pair of annotators has a defined kappa"
	reasonSameSet     = "all pairable values are the same label set, so expected disagreement is zero"
	reasonNumeric     = "the result is not a finite number"
	reasonRatioScale  = "ratio α needs numbers for the categories; these have none, so distances would come from their positions"
	reasonRatioSign   = "ratio α needs values of zero or more (a ratio scale starts at a true zero); the scale has negative values"
)

// Interpret gives a one-line reading of a Krippendorff's alpha value using
// Krippendorff's (2004, 2011) guideline: α ≥ .800 reliable, .667 ≤ α < .800
// tentative conclusions only, α < .667 unreliable.
func Interpret(alpha float64) string {
	switch {
	case math.IsNaN(alpha):
		return "undefined: the data give no basis for judging reliability"
	case alpha >= 0.800:
		return "reliable (α ≥ .800)"
	case alpha >= 0.667:
		return "tentative conclusions only (.667 ≤ α < .800)"
	default:
		return "unreliable (α < .667)"
	}
}

// InterpretKappa gives a one-line reading of a kappa value using the bands
// of Landis & Koch (1977): < 0 poor, 0–.20 slight, .21–.40 fair, .41–.60
// moderate, .61–.80 substantial, .81–1 almost perfect agreement.
func InterpretKappa(kappa float64) string {
	switch {
	case math.IsNaN(kappa):
		return "undefined"
	case kappa < 0:
		return "poor agreement (κ < 0)"
	case kappa <= 0.20:
		return "slight agreement (0 ≤ κ ≤ .20)"
	case kappa <= 0.40:
		return "fair agreement (.20 < κ ≤ .40)"
	case kappa <= 0.60:
		return "moderate agreement (.40 < κ ≤ .60)"
	case kappa <= 0.80:
		return "substantial agreement (.60 < κ ≤ .80)"
	default:
		return "almost perfect agreement (κ > .80)"
	}
}
