package agreement

import "context"

// Coded is a Dataset in compact form, for data too large to spell out unit
// by unit: the items are given by their place, the annotators by their
// index in Annotators, and each distinct list of values once, in Labels,
// which the units name by index. Labels the way teams label repeat a few
// combinations of values, so a million units cost two small integers each
// rather than two strings and a slice. ComputeCoded gives for it the
// report Compute gives for the Dataset it stands for.
type Coded struct {
	// Categories, Values, Ordered and Multi are as in Dataset.
	Categories []string
	Values     []float64
	Ordered    bool
	Multi      bool
	// Annotators names the annotators, each name once.
	Annotators []string
	// Labels are the distinct values of the units: a unit's values are
	// Labels[Label[j]]. Entries no unit names are left out, also from the
	// categories found in the data.
	Labels [][]string
	// Start groups the units by item: the units of item i are the j in
	// [Start[i], Start[i+1]), so len(Start) is the number of items plus
	// one; Start[0] is 0.
	Start []int32
	// Annotator[j] is unit j's annotator, an index into Annotators.
	Annotator []int32
	// Label[j] is unit j's values, an index into Labels, or -1 for a unit
	// that is not there (an annotator who left this dimension out), which
	// counts nowhere. Units of an item are in input order: a later unit of
	// the same item and annotator replaces an earlier one.
	Label []int32
}

// ComputeCoded is ComputeContext for a Coded dataset. Items come in the
// order of Start, as a Dataset's items come in the order they first
// appear, so the bootstrap gives the same intervals for the same data in
// the same order.
func ComputeCoded(ctx context.Context, c Coded, opt Options) (Report, error) {
	if err := ctx.Err(); err != nil {
		return Report{}, err
	}
	return computeEncoded(ctx, encodeCoded(c, nil), Dataset{Categories: c.Categories, Values: c.Values, Ordered: c.Ordered, Multi: c.Multi}, opt)
}

// ConfusionCoded is Confusion for a Coded dataset.
func ConfusionCoded(c Coded, a, b string) Matrix {
	return confusionOf(encodeCoded(c, func(s string) bool { return s == a || s == b }), a, b)
}

// codedLabel is what one entry of Coded.Labels encodes to, worked out the
// first time a unit names it.
type codedLabel struct {
	done    bool
	skip    bool  // the unit is invalid or has no known value: left out
	invalid bool  // counts as an invalid unit
	v       int32 // category (single) or set id (multi)
	unknown int   // values not among the categories
}

// encodeCoded is encode for a Coded dataset: each entry of Labels is
// looked up once, and each unit costs an index.
func encodeCoded(c Coded, keep func(string) bool) *encoded {
	e := &encoded{multi: c.Multi}
	used := make([]bool, len(c.Labels))
	for _, l := range c.Label {
		if l >= 0 {
			used[l] = true
		}
	}
	shell := Dataset{Categories: c.Categories, Multi: c.Multi}
	if len(c.Categories) == 0 {
		for i, vs := range c.Labels {
			if used[i] {
				shell.Units = append(shell.Units, Unit{Values: vs})
			}
		}
	}
	e.cats = categoriesOf(shell)
	e.k = len(e.cats)
	vc := newValueCoder(e)

	kept := make([]bool, len(c.Annotators))
	for i, name := range c.Annotators {
		kept[i] = keep == nil || keep(name)
	}
	// Each entry of Labels is coded once, when a unit first names it.
	look := make([]codedLabel, len(c.Labels))
	code := func(l int32) *codedLabel {
		x := &look[l]
		if !x.done {
			var ok bool
			x.v, x.unknown, x.invalid, ok = vc.code(c.Labels[l])
			x.done, x.skip = true, !ok
		}
		return x
	}

	n := len(c.Label)
	itemOf := make([]int32, 0, n)
	annOf := make([]int32, 0, n)
	valOf := make([]int32, 0, n)
	local := make([]int32, len(c.Annotators))
	for i := range local {
		local[i] = -1
	}
	var annFirst []string
	items := int32(0)
	for it := 0; it+1 < len(c.Start); it++ {
		any := false
		for j := c.Start[it]; j < c.Start[it+1]; j++ {
			l, a := c.Label[j], c.Annotator[j]
			if l < 0 || !kept[a] {
				continue
			}
			x := code(l)
			e.unknownValues += x.unknown
			if x.invalid {
				e.invalid++
			}
			if x.skip {
				continue
			}
			if local[a] < 0 {
				local[a] = int32(len(annFirst))
				annFirst = append(annFirst, c.Annotators[a])
			}
			itemOf = append(itemOf, items)
			annOf = append(annOf, local[a])
			valOf = append(valOf, x.v)
			any = true
		}
		if any {
			items++
		}
	}
	e.unknown = sortedKeys(vc.unknown)
	finishEncode(e, itemOf, annOf, valOf, annFirst, int(items), true)
	return e
}
