package agreement

import "context"

// Report is the full agreement report for one dimension. Every coefficient
// is a Metric, so the report marshals to JSON directly; coefficients that do
// not apply to the kind of dimension are present with a null value and a
// reason, which keeps the JSON shape the same for every dimension.
type Report struct {
	Kind       string   `json:"kind"` // "single" or "multi"
	Ordered    bool     `json:"ordered"`
	Categories []string `json:"categories"`

	Items          int `json:"items"`           // items with at least one valid unit
	Annotators     int `json:"annotators"`      // annotators with at least one valid unit
	Units          int `json:"units"`           // valid units after removing duplicates
	PairableItems  int `json:"pairable_items"`  // items with values from two or more annotators
	PairableValues int `json:"pairable_values"` // values in pairable items (Krippendorff's n)

	InvalidUnits      int      `json:"invalid_units"`   // units ignored for their shape
	DuplicateUnits    int      `json:"duplicate_units"` // units overridden by a later one
	UnknownValues     int      `json:"unknown_values"`  // values not among the categories, ignored
	UnknownCategories []string `json:"unknown_categories"`

	// ScaleFrom says, for an ordered dimension, where the numbers of the
	// interval and ratio metrics come from: "values" (Dataset.Values, or
	// categories that are numbers) or "positions" (no numbers: category i
	// of the scale stands for i, so interval alpha measures distances
	// between positions and ratio alpha is undefined). ScaleValues are those
	// numbers, aligned with Categories. Both are absent when not ordered.
	ScaleFrom   string    `json:"scale_from,omitempty"`
	ScaleValues []float64 `json:"scale_values,omitempty"`

	// ObservedAgreement is the share of agreeing ordered pairs of values
	// within items, pooled over pairable items (identical label sets for
	// multi-label dimensions).
	ObservedAgreement Metric `json:"observed_agreement"`

	AlphaNominal  Metric `json:"alpha_nominal"`
	AlphaOrdinal  Metric `json:"alpha_ordinal"`
	AlphaInterval Metric `json:"alpha_interval"`
	AlphaRatio    Metric `json:"alpha_ratio"`
	AlphaMASI     Metric `json:"alpha_masi"`
	AlphaJaccard  Metric `json:"alpha_jaccard"`
	FleissKappa   Metric `json:"fleiss_kappa"`
	LightKappa    Metric `json:"light_kappa"`

	Pairwise     Pairwise                `json:"pairwise"`
	PerCategory  []CategoryAgreement     `json:"per_category"`
	Distribution []AnnotatorDistribution `json:"distribution"`
}

// Pairwise is agreement between every pair of annotators, laid out for a
// heatmap: Values[i][j] is the measure for Annotators[i] and Annotators[j],
// null on the diagonal and where undefined. Annotators are sorted by name;
// Pairs lists every pair i < j in that order, including pairs without shared
// items, so its size grows with the square of the number of annotators.
type Pairwise struct {
	// Measure is "cohen_kappa" for single-choice dimensions and
	// "alpha_masi" (two-annotator alpha with the MASI distance) for
	// multi-label dimensions.
	Measure    string          `json:"measure"`
	Annotators []string        `json:"annotators"`
	Values     [][]*float64    `json:"values"`
	Shared     [][]int         `json:"shared"` // items labelled by both
	Pairs      []PairAgreement `json:"pairs"`
}

// PairAgreement is the agreement of one pair of annotators over the items
// both labelled.
type PairAgreement struct {
	A                 string `json:"a"`
	B                 string `json:"b"`
	Items             int    `json:"items"`
	ObservedAgreement Metric `json:"observed_agreement"`
	Value             Metric `json:"value"` // the Pairwise.Measure
}

// CategoryAgreement is agreement on one category treated as binary: the
// category versus any other category (single-choice), or the label present
// versus absent (multi-label).
type CategoryAgreement struct {
	Category string `json:"category"`
	// Count is the number of valid units with this category (single-choice)
	// or containing this label (multi-label); Proportion is Count/Units.
	Count      int     `json:"count"`
	Proportion float64 `json:"proportion"`
	// Alpha is binary nominal Krippendorff's alpha.
	Alpha Metric `json:"alpha"`
	// FleissKappa is binary Fleiss' kappa, which for single-choice data
	// equals Fleiss' (1971) category-specific kappa κ_j.
	FleissKappa Metric `json:"fleiss_kappa"`
	// LightKappa is the mean of the defined pairwise binary Cohen kappas.
	LightKappa Metric `json:"light_kappa"`
}

// AnnotatorDistribution is how one annotator used the categories, over all
// of their valid units. For multi-label data Counts[c] is the number of
// units containing label c, so Proportions may sum to more than 1.
type AnnotatorDistribution struct {
	Annotator   string    `json:"annotator"`
	Units       int       `json:"units"`
	Counts      []int     `json:"counts"` // aligned with Report.Categories
	Proportions []float64 `json:"proportions"`
}

// Compute returns the agreement report of one dimension.
//
// Input handling. Categories are d.Categories with repeats removed; when d
// declares none, they are the values seen in the data, sorted numerically
// if all parse as numbers and lexically otherwise. Values outside the
// categories are ignored (counted in UnknownValues and listed in
// UnknownCategories). For single-choice data a unit whose Values does not
// have exactly one element is ignored (InvalidUnits). For multi-label data a
// unit's Values is a set (repeats count once); an empty Values is the empty
// set, a legitimate answer, while a non-empty Values with only unknown
// labels is ignored (InvalidUnits). When several valid units share an item
// and an annotator, the last one in d.Units wins (DuplicateUnits).
//
// Pairable data. As in Krippendorff (2011), an item is pairable when it has
// values from two or more annotators; items with a single value carry no
// information about agreement and are left out of every coefficient (they
// still count in Items, Units and Distribution).
//
// Single-choice coefficients:
//
//   - ObservedAgreement = Σ_u Σ_c n_uc(n_uc−1) / Σ_u m_u(m_u−1), over
//     pairable items u with m_u values, n_uc of them in category c.
//   - AlphaNominal, AlphaOrdinal, AlphaInterval: Krippendorff's alpha from
//     the coincidence matrix o_ck = Σ_u n_uc(n_uk − [c=k])/(m_u−1),
//     α = 1 − (n−1)·Σ o_ck δ²_ck / Σ n_c n_k δ²_ck, with the nominal metric,
//     the ordinal metric (Σ_{g=c..k} n_g − (n_c+n_k)/2)² over the order of
//     Categories, and the interval metric (x_c − x_k)², where x are the
//     categories' numeric values when every category parses as a number and
//     their positions 0..k−1 in Categories otherwise, and Krippendorff's
//     ratio metric ((x_c − x_k)/(x_c + x_k))², which needs numbers of zero
//     or more. Dataset.Values, when given, supplies x. Ordinal, interval
//     and ratio alpha are only computed for ordered dimensions; ScaleFrom
//     says whether x are values or positions.
//   - Every alpha carries its observed and expected disagreement, every
//     kappa its observed and expected (chance) agreement (see Metric).
//   - FleissKappa: Fleiss' kappa generalised to varying numbers of values per
//     item: P̄ is the mean over pairable items of Σ_c n_uc(n_uc−1)/(m_u(m_u−1)),
//     p_c the mean of n_uc/m_u, P̄e = Σ p_c², κ = (P̄−P̄e)/(1−P̄e). With the
//     same number of values on every item this is exactly Fleiss (1971).
//   - Pairwise: Cohen's (1960) kappa for every pair of annotators over the
//     items both labelled; LightKappa is the mean of the defined pairwise
//     kappas (Light 1971).
//   - PerCategory: each category against all others, as binary nominal
//     alpha, binary Fleiss kappa (Fleiss' category-specific κ_j) and the mean
//     of pairwise binary Cohen kappas.
//
// Multi-label coefficients: alpha with the MASI distance (Passonneau 2006),
// the Jaccard distance and the nominal distance (identical sets or not),
// using the general form α = 1 − D_o/D_e, D_o = (1/n) Σ_u Σ_{i≠j} δ(v_ui,
// v_uj)/(m_u−1) within pairable items, D_e = 1/(n(n−1)) Σ_{i≠j} δ(v_i, v_j)
// over all pairable values; Pairwise holds two-annotator MASI alpha; and
// PerCategory treats every label as present/absent on each unit.
//
// Undefined results. A coefficient is undefined (null, with a reason) when
// there are no pairable values, when all pairable values are in one
// category or one label set (expected disagreement zero, so alpha and kappa
// are 0/0), or, for a pair of annotators, when they share no item or both
// used one and the same category only.
//
// Confidence intervals. With opt.Bootstrap > 0 every defined alpha gets a
// percentile bootstrap interval: the pairable items are resampled with
// replacement opt.Bootstrap times, alpha (observed and expected
// disagreement, and for the ordinal metric its distances) is recomputed on
// each resample, and the interval runs between the (1−level)/2 and
// (1+level)/2 quantiles of the resampled values (linear interpolation
// between order statistics). This is the simple unit-resampling variant of
// the bootstrap for alpha: Hayes & Krippendorff (2007) describe a different
// bootstrap that resamples pairs of values and keeps the expected
// disagreement of the full data fixed, which this package does not
// implement. The generator is math/rand/v2's PCG seeded from opt.Seed, so
// the same data, Bootstrap and Seed give the same intervals.
func Compute(d Dataset, opt Options) Report {
	r, _ := ComputeContext(context.Background(), d, opt)
	return r
}

// ComputeContext is Compute that stops when ctx is done, returning ctx's
// error: the bootstrap checks it between resamples, so a caller that goes
// away stops the work within one resample.
func ComputeContext(ctx context.Context, d Dataset, opt Options) (Report, error) {
	if err := ctx.Err(); err != nil {
		return Report{}, err
	}
	return computeEncoded(ctx, encode(d, nil), d, opt)
}

// computeEncoded computes the report of e, the encoded form of d; of d it
// reads only the categories, their values and the kind of scale.
func computeEncoded(ctx context.Context, e *encoded, d Dataset, opt Options) (Report, error) {
	xs, from := scaleValues(d, e.cats)
	r := Report{
		Kind:              "single",
		Ordered:           d.Ordered,
		Categories:        append([]string{}, e.cats...),
		Items:             e.nItems,
		Annotators:        e.nAnn(),
		Units:             len(e.ann),
		InvalidUnits:      e.invalid,
		DuplicateUnits:    e.duplicates,
		UnknownValues:     e.unknownValues,
		UnknownCategories: append([]string{}, e.unknown...),
	}
	var err error
	if d.Multi {
		r.Kind = "multi"
		err = computeMulti(ctx, e, &r, opt)
	} else {
		if d.Ordered {
			r.ScaleFrom, r.ScaleValues = from, xs
		}
		err = computeSingle(ctx, e, &r, d.Ordered, xs, from, opt)
	}
	if err != nil {
		return Report{}, err
	}
	return r, nil
}

func computeSingle(ctx context.Context, e *encoded, r *Report, ordered bool, xs []float64, from string, opt Options) error {
	k := e.k
	st := analyzeSingle(e, k, true)
	r.PairableItems = int(st.pairableItems)
	r.PairableValues = int(st.pairableValues)
	r.ObservedAgreement = st.observedAgreement()

	o, nc, n := st.coincidence()
	r.AlphaNominal = alphaFrom(o, nc, n, nominalDelta(k))
	var ratio []float64
	if ordered {
		r.AlphaOrdinal = alphaFrom(o, nc, n, ordinalDelta(nc))
		r.AlphaInterval = alphaFrom(o, nc, n, intervalDelta(xs))
		var why string
		if ratio, why = ratioDeltaFor(xs, from); ratio != nil {
			r.AlphaRatio = alphaFrom(o, nc, n, ratio)
		} else {
			r.AlphaRatio = undefinedMetric(why)
		}
	} else {
		r.AlphaOrdinal = undefinedMetric(reasonNotOrdered)
		r.AlphaInterval = undefinedMetric(reasonNotOrdered)
		r.AlphaRatio = undefinedMetric(reasonNotOrdered)
	}
	r.AlphaMASI = undefinedMetric(reasonMultiOnly)
	r.AlphaJaccard = undefinedMetric(reasonMultiOnly)
	r.FleissKappa = fleiss(st.om, st.itemsM, k)

	as, bs, tabs := st.pairList()
	items := make([]int, len(tabs))
	obs := make([]Metric, len(tabs))
	kappas := make([]Metric, len(tabs))
	for i, t := range tabs {
		var n int64
		n, obs[i], kappas[i] = cohen(t, k)
		items[i] = int(n)
	}
	r.Pairwise = buildPairwise(e.annNames, "cohen_kappa", as, bs, items, obs, kappas)
	r.LightKappa = lightKappa(kappas)

	r.PerCategory = make([]CategoryAgreement, k)
	bin := nominalDelta(2)
	for c := 0; c < k; c++ {
		om2 := collapseOM(st.om, k, c)
		o2, nc2, n2 := coincidenceOM(om2, 2)
		pk := make([]Metric, len(tabs))
		for i, t := range tabs {
			_, _, pk[i] = cohen(collapseTable(t, k, c), 2)
		}
		r.PerCategory[c] = CategoryAgreement{
			Category:    e.cats[c],
			Alpha:       alphaFrom(o2, nc2, n2, bin),
			FleissKappa: fleiss(om2, st.itemsM, 2),
			LightKappa:  lightKappa(pk),
		}
	}
	r.Distribution = buildDistribution(e, st.dist, st.annUnits, r.PerCategory, r.Units)

	if opt.Bootstrap > 0 {
		ci, err := bootstrapSingle(ctx, e, ordered, xs, ratio, opt)
		if err != nil {
			return err
		}
		attachCI(&r.AlphaNominal, ci.nom)
		attachCI(&r.AlphaOrdinal, ci.ord)
		attachCI(&r.AlphaInterval, ci.itv)
		attachCI(&r.AlphaRatio, ci.ratio)
	}
	return nil
}

func computeMulti(ctx context.Context, e *encoded, r *Report, opt Options) error {
	k := e.k
	st := analyzeMulti(e)
	r.PairableItems = int(st.pairableItems)
	r.PairableValues = int(st.pairableValues)
	if st.all == 0 {
		r.ObservedAgreement = undefinedMetric(reasonNoPairable)
	} else {
		r.ObservedAgreement = definedMetric(float64(st.agree) / float64(st.all))
	}
	r.AlphaMASI, r.AlphaJaccard, r.AlphaNominal = setAlphas(e, st.marg, st.doMASI, st.doJac, st.doNom)
	r.AlphaOrdinal = undefinedMetric(reasonSingleOnly)
	r.AlphaInterval = undefinedMetric(reasonSingleOnly)
	r.AlphaRatio = undefinedMetric(reasonSingleOnly)
	r.FleissKappa = undefinedMetric(reasonSingleOnly)
	r.LightKappa = undefinedMetric(reasonSingleOnly)

	nAnn := e.nAnn()
	var as, bs []int32
	var items []int
	var obs, vals []Metric
	marg := make([]int64, e.nSets())
	for a := 0; a < nAnn; a++ {
		for b := a + 1; b < nAnn; b++ {
			var sets []int32
			if id := st.pairs.id(int32(a), int32(b), false); id >= 0 {
				sets = st.pairSets[id]
			}
			n, o, v := pairAlphaMASI(e, sets, marg)
			as, bs = append(as, int32(a)), append(bs, int32(b))
			items = append(items, n)
			obs = append(obs, o)
			vals = append(vals, v)
		}
	}
	r.Pairwise = buildPairwise(e.annNames, "alpha_masi", as, bs, items, obs, vals)

	r.PerCategory = make([]CategoryAgreement, k)
	bin := nominalDelta(2)
	for c := 0; c < k; c++ {
		v := e.labelView(c)
		s2 := analyzeSingle(v, 2, true)
		o2, nc2, n2 := s2.coincidence()
		_, _, tabs := s2.pairList()
		pk := make([]Metric, len(tabs))
		for i, t := range tabs {
			_, _, pk[i] = cohen(t, 2)
		}
		r.PerCategory[c] = CategoryAgreement{
			Category:    e.cats[c],
			Alpha:       alphaFrom(o2, nc2, n2, bin),
			FleissKappa: fleiss(s2.om, s2.itemsM, 2),
			LightKappa:  lightKappa(pk),
		}
	}
	r.Distribution = buildDistribution(e, st.dist, st.annUnits, r.PerCategory, r.Units)

	if opt.Bootstrap > 0 {
		masi, jac, nom, err := bootstrapMulti(ctx, e, opt)
		if err != nil {
			return err
		}
		attachCI(&r.AlphaMASI, masi)
		attachCI(&r.AlphaJaccard, jac)
		attachCI(&r.AlphaNominal, nom)
	}
	return nil
}

func attachCI(m *Metric, ci *Interval) {
	if m.Defined() && ci != nil {
		m.CI = ci
	}
}

func buildPairwise(names []string, measure string, as, bs []int32, items []int, obs, vals []Metric) Pairwise {
	n := len(names)
	p := Pairwise{
		Measure:    measure,
		Annotators: append([]string{}, names...),
		Values:     make([][]*float64, n),
		Shared:     make([][]int, n),
		Pairs:      make([]PairAgreement, len(as)),
	}
	for i := range n {
		p.Values[i] = make([]*float64, n)
		p.Shared[i] = make([]int, n)
	}
	for i := range as {
		a, b := as[i], bs[i]
		p.Pairs[i] = PairAgreement{
			A:                 names[a],
			B:                 names[b],
			Items:             items[i],
			ObservedAgreement: obs[i],
			Value:             vals[i],
		}
		p.Shared[a][b], p.Shared[b][a] = items[i], items[i]
		if vals[i].Defined() {
			x := *vals[i].Value
			p.Values[a][b], p.Values[b][a] = &x, &x
		}
	}
	return p
}

func buildDistribution(e *encoded, dist, annUnits []int64, per []CategoryAgreement, units int) []AnnotatorDistribution {
	k := e.k
	out := make([]AnnotatorDistribution, e.nAnn())
	for a, name := range e.annNames {
		d := AnnotatorDistribution{
			Annotator:   name,
			Units:       int(annUnits[a]),
			Counts:      make([]int, k),
			Proportions: make([]float64, k),
		}
		for c := 0; c < k; c++ {
			x := dist[a*k+c]
			d.Counts[c] = int(x)
			per[c].Count += int(x)
			if annUnits[a] > 0 {
				d.Proportions[c] = float64(x) / float64(annUnits[a])
			}
		}
		out[a] = d
	}
	if units > 0 {
		for c := range per {
			per[c].Proportion = float64(per[c].Count) / float64(units)
		}
	}
	return out
}
