package web

import (
	"fmt"

	"concord/agreement"
	"concord/annotate"
)

// modelRowView is one model's row in a dimension's Models table on the
// agreement page: its figures already written out, each with the number of
// paragraphs behind it.
type modelRowView struct {
	Agent      string
	Paragraphs int
	// Gold: the accuracy as "2 / 3", with kappa and macro-F1 beside.
	HasGold                            bool
	GoldMatches, GoldItems             int
	GoldKappa, GoldWeighted, GoldMacro string
	GoldKappaTitle                     string
	// Annotators: the mean kappa, each annotator's, and the annotators'
	// own mean pairwise kappa on the dimension for comparison.
	MeanKappa, HumanKappa string
	Annotators            []modelAnnotatorView
	// Accept is "12 of 20 kept (60%)", or "" when never shown.
	Accept string
}

// modelAnnotatorView is the model against one annotator.
type modelAnnotatorView struct {
	Name, Kappa string
	Items       int
}

// modelsOf returns the rows of every model on dimension name, in the order
// of the report's models.
func modelsOf(rep *annotate.AgreementReport, name string) []modelRowView {
	var out []modelRowView
	for _, m := range rep.Models {
		for _, d := range m.Dimensions {
			if d.Name != name {
				continue
			}
			row := modelRowView{Agent: m.Agent, Paragraphs: d.Paragraphs, HasGold: d.Gold.Items > 0,
				GoldMatches: d.Gold.Matches, GoldItems: d.Gold.Items,
				GoldKappa: metricText(d.Gold.Kappa), GoldMacro: metricText(d.Gold.MacroF1),
				GoldKappaTitle: d.Gold.Kappa.Reason,
				MeanKappa:      metricText(d.MeanKappa), HumanKappa: metricText(d.HumanKappa)}
			if d.Gold.WeightedKappa != nil {
				row.GoldWeighted = metricText(*d.Gold.WeightedKappa)
			}
			for _, a := range d.Annotators {
				if a.Items > 0 {
					row.Annotators = append(row.Annotators, modelAnnotatorView{Name: a.Annotator, Kappa: metricText(a.Kappa), Items: a.Items})
				}
			}
			if a := d.Accept; a != nil && a.Shown > 0 {
				row.Accept = fmt.Sprintf("%d of %d kept (%.0f%%)", a.Accepted, a.Shown, a.Rate*100)
			}
			out = append(out, row)
		}
	}
	return out
}

// metricText writes a coefficient with three decimals, or "—".
func metricText(m agreement.Metric) string {
	if !m.Defined() {
		return "—"
	}
	return annotate.FormatMetric(m.Float())
}
