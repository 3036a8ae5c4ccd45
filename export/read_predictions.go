package export

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"concord/annotate"
)

// pendingPrediction is a Label Studio prediction read, with the document
// and text of its task, waiting for the documents to be stored.
type pendingPrediction struct {
	key, text string
	line      int
	p         Prediction
}

// lsAgent is the agent of a Label Studio prediction without a
// model_version.
const lsAgent = "label-studio"

// storePredictions stores the predictions of the tasks read as
// suggestions, after their documents: one per dimension, the agent the
// prediction's model_version (or "label-studio"), the score its score. The
// paragraph is found by its document and text, so a task merged into a
// document already stored finds that document's paragraph. A prediction
// that does not fit the schema, has no score or one outside 0 to 1, or
// whose document failed, is counted as not imported, with the reason in
// the notes.
func (r *reader) storePredictions(ctx context.Context, store *annotate.Store, by int64, rep *ImportReport) error {
	if len(r.preds) == 0 && len(r.direct) == 0 {
		return nil
	}
	failed := map[string]bool{}
	for _, res := range rep.Results {
		if res.Status == annotate.ImportFailed {
			failed[res.Key] = true
		}
	}
	why := map[string]int{}
	var in []annotate.SuggestionInput
	agents := map[string]bool{}
	stored := 0
	for _, pp := range r.preds {
		p := pp.p
		switch {
		case failed[pp.key]:
			why["their document was not imported"]++
			continue
		case p.Problem != "":
			why["they do not fit the label schema (such as "+p.Problem+")"]++
			continue
		case len(p.Labels) == 0:
			why["their result is empty"]++
			continue
		case p.Score == nil:
			why["they have no score"]++
			continue
		case *p.Score < 0 || *p.Score > 1:
			why[fmt.Sprintf("their score is outside 0 to 1 (such as %v)", *p.Score)]++
			continue
		}
		agent := p.Model
		if agent == "" {
			agent = lsAgent
		}
		agents[agent] = true
		stored++
		dims := make([]string, 0, len(p.Labels))
		for d := range p.Labels {
			dims = append(dims, d)
		}
		sort.Strings(dims)
		for _, d := range dims {
			in = append(in, annotate.SuggestionInput{DocumentKey: pp.key, TextHash: annotate.HashText(pp.text), Dimension: d, Values: p.Labels[d], Score: p.Score, Agent: agent, Ref: fmt.Sprintf("%s:%d: predictions", r.name, pp.line)})
		}
	}
	fromLines := 0
	for _, x := range r.direct {
		if !failed[x.DocumentKey] {
			in = append(in, x)
			fromLines++
		}
	}
	reasons := make([]string, 0, len(why))
	for reason := range why {
		reasons = append(reasons, reason)
	}
	sort.Strings(reasons)
	for _, reason := range reasons {
		rep.PredictionsNotImported += why[reason]
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d prediction(s) not imported: %s", why[reason], reason))
	}
	if len(in) == 0 {
		return nil
	}
	res, err := store.PutSuggestions(ctx, by, in)
	if err != nil {
		msg := annotate.ErrorMessage(err)
		if res != nil && len(res.Errors) > 0 {
			msg = res.Errors[0].Error()
		}
		return fmt.Errorf("%s: the documents were imported, but their predictions could not be stored as suggestions: %s", r.name, msg)
	}
	rep.Suggestions = res.Created + res.Replaced
	if stored > 0 {
		names := make([]string, 0, len(agents))
		for a := range agents {
			names = append(names, a)
		}
		sort.Strings(names)
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d prediction(s) stored as %d suggestion(s) (agent %s), apart from the annotations", stored, rep.Suggestions-fromLines, strings.Join(names, ", ")))
	}
	if fromLines > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d suggestion(s) stored, apart from the annotations", fromLines))
	}
	return nil
}
