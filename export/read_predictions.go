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

// predictionTally adds up, over the batches of an import, what
// storePredictions stored and what it left out and why.
type predictionTally struct {
	why                            map[string]int
	agents                         map[string]bool
	stored, fromLines, suggestions int
}

// storePredictions stores the predictions of the tasks read whose
// documents are in batch (results says which of them failed) as
// suggestions, right after the batch's documents: one per
// dimension, the agent the prediction's model_version (or
// "label-studio"), the score its score. The paragraph is found by its
// document and text, so a task merged into a document already stored
// finds that document's paragraph. A prediction that does not fit the
// schema, has no score or one outside 0 to 1, or whose document failed,
// is counted as not imported, with the reason in the notes. Predictions
// of documents still being read are kept for their batch: what is held
// is a batch's, whatever the file's size.
func (r *reader) storePredictions(ctx context.Context, store *annotate.Store, by int64, docs []annotate.LabelledDocument, results []annotate.LabelledResult, t *predictionTally) error {
	if len(r.preds) == 0 && len(r.direct) == 0 {
		return nil
	}
	if t.why == nil {
		t.why, t.agents = map[string]int{}, map[string]bool{}
	}
	batch := make(map[string]bool, len(docs))
	for _, d := range docs {
		batch[d.Key] = true
	}
	failed := map[string]bool{}
	for _, res := range results {
		if res.Status == annotate.ImportFailed {
			failed[res.Key] = true
		}
	}
	var in []annotate.SuggestionInput
	// What is stored is counted once it is: agents and stored, like
	// fromLines, go into the tally after the suggestions are in.
	agents := map[string]bool{}
	stored := 0
	later := 0
	for _, pp := range r.preds {
		if !batch[pp.key] {
			r.preds[later] = pp
			later++
			continue
		}
		p := pp.p
		switch {
		case failed[pp.key]:
			t.why["their document was not imported"]++
			continue
		case p.Problem != "":
			t.why["they do not fit the label schema (such as "+p.Problem+")"]++
			continue
		case len(p.Labels) == 0:
			t.why["their result is empty"]++
			continue
		case p.Score == nil:
			t.why["they have no score"]++
			continue
		case *p.Score < 0 || *p.Score > 1:
			t.why[fmt.Sprintf("their score is outside 0 to 1 (such as %v)", *p.Score)]++
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
	clear(r.preds[later:])
	r.preds = r.preds[:later]
	fromLines := 0
	laterDirect := 0
	for _, x := range r.direct {
		switch {
		case !batch[x.DocumentKey]:
			r.direct[laterDirect] = x
			laterDirect++
		case !failed[x.DocumentKey]:
			in = append(in, x)
			fromLines++
		}
	}
	clear(r.direct[laterDirect:])
	r.direct = r.direct[:laterDirect]
	if len(in) == 0 {
		return nil
	}
	res, err := store.PutSuggestions(ctx, by, in)
	if err != nil {
		msg := annotate.ErrorMessage(err)
		if res != nil && len(res.Errors) > 0 {
			msg = res.Errors[0].Error()
		}
		return fmt.Errorf("%s: the documents read so far were imported, but their predictions could not be stored as suggestions, and the import stopped there: %s", r.name, msg)
	}
	t.stored += stored
	t.fromLines += fromLines
	t.suggestions += res.Created + res.Replaced
	for a := range agents {
		t.agents[a] = true
	}
	return nil
}

// report puts the tally in the report, and a sentence for each part of
// it in Notes.
func (t *predictionTally) report(rep *ImportReport) {
	reasons := make([]string, 0, len(t.why))
	for reason := range t.why {
		reasons = append(reasons, reason)
	}
	sort.Strings(reasons)
	for _, reason := range reasons {
		rep.PredictionsNotImported += t.why[reason]
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d prediction(s) not imported: %s", t.why[reason], reason))
	}
	rep.Suggestions = t.suggestions
	if t.stored > 0 {
		names := make([]string, 0, len(t.agents))
		for a := range t.agents {
			names = append(names, a)
		}
		sort.Strings(names)
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d prediction(s) stored as %d suggestion(s) (agent %s), apart from the annotations", t.stored, t.suggestions-t.fromLines, strings.Join(names, ", ")))
	}
	if t.fromLines > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d suggestion(s) stored, apart from the annotations", t.fromLines))
	}
}
