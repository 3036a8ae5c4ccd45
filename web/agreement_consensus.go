package web

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"concord/annotate"
	"concord/consensus"
)

// reliabilityView is what the latest consensus run says about each
// annotator on one dimension: the estimated accuracy, the accuracy of
// random answers in the same proportions, and for a single dimension the
// confusion matrix.
type reliabilityView struct {
	Method string
	Reason string
	// Names are the categories' display names, in the matrices' order.
	Names []string
	Multi bool
	Rows  []reliabilityRow
	// NearChance counts the rows flagged near chance.
	NearChance int
}

// reliabilityRow is one annotator (and, on a multi dimension, one label).
type reliabilityRow struct {
	Annotator  string
	Category   string
	Accuracy   string
	Chance     string
	Width      float64
	Items      int
	NearChance bool
	Confusion  []confusionRow
}

// reliability reads the latest consensus, computed afresh when the labels
// changed, as one view per single and multi dimension.
func (s *Server) reliability(ctx context.Context, sc *annotate.Schema) (map[string]*reliabilityView, error) {
	run, err := s.store.Consensus(ctx)
	if err != nil {
		return nil, err
	}
	anns, err := s.store.ConsensusAnnotators(ctx, run)
	if err != nil {
		return nil, err
	}
	out := map[string]*reliabilityView{}
	if run.Pending {
		for _, d := range sc.Dimensions {
			out[d.Name] = &reliabilityView{Reason: "the consensus of these labels is being computed for the first time; reload the page in a moment"}
		}
		return out, nil
	}
	for _, sum := range run.Dimensions {
		v := &reliabilityView{Method: sum.Method, Reason: sum.Reason, Multi: sum.Kind == "multi"}
		dim, _ := sc.Dimension(sum.Name)
		for _, k := range sum.Categories {
			v.Names = append(v.Names, optionName(dim, k))
		}
		out[sum.Name] = v
	}
	for _, a := range anns {
		v := out[a.Dimension]
		// Without Dawid–Skene (degenerate input) there is no estimate of
		// anyone's accuracy, only the vote; the page then says why.
		if v == nil || a.Labels == 0 || v.Method != string(consensus.DawidSkene) {
			continue
		}
		// A label that neither the annotator nor the consensus ever
		// applies is trivially right every time; listing it for every
		// annotator would bury the labels that matter.
		if v.Multi && a.Accuracy > 0.999 && a.Chance > 0.999 {
			continue
		}
		dim, _ := sc.Dimension(a.Dimension)
		r := reliabilityRow{Annotator: a.Annotator, Accuracy: fmt.Sprintf("%.0f%%", 100*a.Accuracy), Chance: fmt.Sprintf("%.0f%%", 100*a.Chance),
			Width: math.Round(1000*a.Accuracy) / 10, Items: a.Items, NearChance: a.NearChance}
		if v.Multi {
			r.Category = optionName(dim, a.Category)
		} else {
			r.Confusion = confusionRows(v.Names, a.Confusion)
		}
		if r.NearChance {
			v.NearChance++
		}
		v.Rows = append(v.Rows, r)
	}
	return out, nil
}

// optionName is the display name of a dimension's option, or its key.
func optionName(d *annotate.Dimension, key string) string {
	if d != nil {
		for _, o := range d.Options {
			if o.Key == key {
				return o.Name
			}
		}
	}
	return key
}

// confusionRows turns an annotator's estimated confusion matrix into the
// rows of a table of percentages, shaded as the pair confusion tables are.
func confusionRows(names []string, m [][]float64) []confusionRow {
	rows := make([]confusionRow, 0, len(m))
	for k, row := range m {
		if k >= len(names) {
			break
		}
		r := confusionRow{Name: names[k]}
		for l, p := range row {
			pct := int(math.Round(100 * p))
			c := confusionCell{N: pct, Diag: k == l, Class: "q0"}
			if pct > 0 {
				c.Class = "q" + strconv.Itoa(1+min(3, 4*pct/101))
			}
			r.Cells = append(r.Cells, c)
		}
		rows = append(rows, r)
	}
	return rows
}
