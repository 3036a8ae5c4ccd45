package export

import (
	"bytes"
	"encoding/json"
	"fmt"

	"concord/annotate"
)

// LabelStudioPrediction is one prediction in Label Studio's JSON, read
// against the schema: what a Label Studio ML backend answers for a task,
// and what a task's predictions hold.
type LabelStudioPrediction struct {
	// Model is the prediction's model_version, "" when it has none.
	Model string
	// Labels are the prediction's answers in the schema's keys, by
	// dimension; a prediction may leave out any dimension.
	Labels annotate.Labels
	// Scores holds each dimension's score: the score of its result when
	// the result has one, else the prediction's; nil when neither has.
	Scores map[string]*float64
}

// ReadLabelStudioPrediction reads one prediction, {"result": [...],
// "score": ..., "model_version": ...}, whose results are choices (from_name
// the dimension, value.choices its options) or textarea (value.text) as
// LabelStudioConfig writes them for sc. It returns an EINVALID error naming
// the field for anything that does not fit the schema; a score out of range
// is not checked here, since whoever stores it says what to do with it.
func ReadLabelStudioPrediction(sc *annotate.Schema, raw json.RawMessage) (*LabelStudioPrediction, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, annotate.Invalidf("prediction", "a prediction is a JSON object with result, score and model_version")
	}
	var p lsPrediction
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, annotate.Invalidf("prediction", "the prediction is not Label Studio's shape: %v", err)
	}
	labels, err := lsLabelsOf(looseSchema(sc), "result", p.Result)
	if err != nil {
		return nil, err
	}
	out := &LabelStudioPrediction{Model: p.model(), Labels: labels, Scores: map[string]*float64{}}
	for _, res := range p.Result {
		d, _ := sc.Dimension(res.FromName)
		if d == nil {
			continue
		}
		if _, ok := labels[d.Name]; !ok {
			continue
		}
		score := res.Score
		if score == nil {
			score = p.Score
		}
		out.Scores[d.Name] = score
	}
	return out, nil
}

// SuggestionInputs turns the prediction into one suggestion input per
// dimension for the paragraph, under agent, each checked against sc as
// PutSuggestions would check it. It returns none and the first problem
// when any dimension is wrong (a missing or out-of-range score among
// them), so that a prediction is stored whole or not at all.
func (p *LabelStudioPrediction) SuggestionInputs(sc *annotate.Schema, paragraphID int64, agent string) ([]annotate.SuggestionInput, error) {
	if len(p.Labels) == 0 {
		return nil, annotate.Invalidf("result", "the prediction has no result")
	}
	out := make([]annotate.SuggestionInput, 0, len(p.Labels))
	for i := range sc.Dimensions {
		name := sc.Dimensions[i].Name
		vs, ok := p.Labels[name]
		if !ok {
			continue
		}
		in := annotate.SuggestionInput{ParagraphID: paragraphID, Dimension: name, Values: vs, Score: p.Scores[name], Agent: agent}
		if err := sc.CheckSuggestion(in); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, in)
	}
	return out, nil
}
