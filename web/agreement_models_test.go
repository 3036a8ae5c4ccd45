package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"testing"

	"concord/annotate"
)

// agreeModelReport is the models part of the report the tests read.
type agreeModelReport struct {
	Annotators []string `json:"annotators"`
	Models     []struct {
		Agent      string `json:"agent"`
		Dimensions []struct {
			Name       string `json:"name"`
			Paragraphs int    `json:"paragraphs"`
			Gold       struct {
				Items    int      `json:"items"`
				Matches  int      `json:"matches"`
				Accuracy *float64 `json:"accuracy"`
				Kappa    struct {
					Value *float64 `json:"value"`
				} `json:"kappa"`
				MacroF1 struct {
					Value *float64 `json:"value"`
				} `json:"macro_f1"`
			} `json:"gold"`
			Annotators []struct {
				Annotator string `json:"annotator"`
				Items     int    `json:"items"`
				Matches   int    `json:"matches"`
				Kappa     struct {
					Value *float64 `json:"value"`
				} `json:"kappa"`
			} `json:"annotators"`
			MeanKappa struct {
				Value *float64 `json:"value"`
			} `json:"mean_kappa"`
			HumanKappa struct {
				Value *float64 `json:"value"`
			} `json:"human_kappa"`
			Accept *struct {
				Shown    int64   `json:"shown"`
				Accepted int64   `json:"accepted"`
				Rate     float64 `json:"rate"`
			} `json:"accept"`
		} `json:"dimensions"`
	} `json:"models"`
}

// agreeModelSuggest sends the model m@1's stances (agree, agree, disagree,
// then last) on the four paragraphs of agreeStances through the API.
func agreeModelSuggest(t *testing.T, e *apiEnv, ids []int64, last string) {
	t.Helper()
	var items []map[string]any
	for i, v := range []string{"agree", "agree", "disagree", last} {
		items = append(items, map[string]any{"paragraph_id": ids[i], "dimension": "stance", "value": v, "score": 0.8, "agent": "m@1"})
	}
	e.must("rev", "POST", "/api/v1/suggestions", map[string]any{"suggestions": items}, http.StatusOK, nil)
}

// withoutModels is the report's JSON without its models section.
func withoutModels(t *testing.T, body []byte) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "models")
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func near(p *float64, want float64) bool { return p != nil && math.Abs(*p-want) < 1e-9 }

// TestAgreementAPIModels checks the models section against the figures
// worked by hand in annotate/model_agreement_test.go (the same stances):
// against gold 2 of 3, κ 2/5, macro-F1 2/3; against ann1 κ 7/11, ann2 1/3,
// mean 16/33; the annotators between themselves 7/11. The human figures
// are byte for byte those of the report before any suggestion, and a new
// suggestion shows at once.
func TestAgreementAPIModels(t *testing.T) {
	e := newAPIEnv(t)
	doc, ids := agreeLabelled(t, e)
	ctx := context.Background()
	for i, g := range []string{"agree", "disagree", "disagree"} {
		if _, err := e.store.SetGold(ctx, e.users["rev"].ID, ids[i], 0, annotate.Labels{"stance": {g}, "topic": {"strike"}}, "adjudicated"); err != nil {
			t.Fatal(err)
		}
	}
	path := fmt.Sprintf("/api/v1/agreement?document=%d&bootstrap=100&seed=5", doc)
	before := e.must("rev", "GET", path, nil, http.StatusOK, nil)
	var none agreeModelReport
	if err := json.Unmarshal(before, &none); err != nil || none.Models == nil || len(none.Models) != 0 {
		t.Fatalf("models before any suggestion: %s (%v); want []", before, err)
	}
	agreeModelSuggest(t, e, ids, "unrelated")
	after := e.must("rev", "GET", path, nil, http.StatusOK, nil)
	if withoutModels(t, after) != withoutModels(t, before) {
		t.Errorf("the human figures changed with suggestions:\n%s\n%s", withoutModels(t, before), withoutModels(t, after))
	}
	var rep agreeModelReport
	if err := json.Unmarshal(after, &rep); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Annotators, []string{"ann1", "ann2"}) || len(rep.Models) != 1 || rep.Models[0].Agent != "m@1" || len(rep.Models[0].Dimensions) != 1 {
		t.Fatalf("annotators %v, models %+v; want ann1, ann2 and one model on stance", rep.Annotators, rep.Models)
	}
	st := rep.Models[0].Dimensions[0]
	if st.Name != "stance" || st.Paragraphs != 4 || st.Gold.Items != 3 || st.Gold.Matches != 2 || !near(st.Gold.Accuracy, 2.0/3) {
		t.Errorf("stance: paragraphs %d, gold %d/%d accuracy %v; want 4, 2/3", st.Paragraphs, st.Gold.Matches, st.Gold.Items, st.Gold.Accuracy)
	}
	if !near(st.Gold.Kappa.Value, 0.4) || !near(st.Gold.MacroF1.Value, 2.0/3) {
		t.Errorf("gold kappa %v macro-F1 %v, want 0.4 and 2/3", st.Gold.Kappa.Value, st.Gold.MacroF1.Value)
	}
	if len(st.Annotators) != 2 || st.Annotators[0].Annotator != "ann1" || !near(st.Annotators[0].Kappa.Value, 7.0/11) || !near(st.Annotators[1].Kappa.Value, 1.0/3) {
		t.Errorf("annotators %+v, want ann1 7/11 and ann2 1/3", st.Annotators)
	}
	if !near(st.MeanKappa.Value, 16.0/33) || !near(st.HumanKappa.Value, 7.0/11) || st.Accept != nil {
		t.Errorf("mean %v human %v accept %+v; want 16/33, 7/11, none", st.MeanKappa.Value, st.HumanKappa.Value, st.Accept)
	}
	// The pair table has the two annotators only.
	var pairs agreeReport
	if err := json.Unmarshal(after, &pairs); err != nil {
		t.Fatal(err)
	}
	for _, d := range pairs.Dimensions {
		if d.Name == "event" { // nobody labelled it
			continue
		}
		if len(d.Report.Pairwise.Values) != 2 || len(d.Gold) != 2 {
			t.Errorf("%s: %d rows of pairs and %d gold rows, want the two annotators'", d.Name, len(d.Report.Pairwise.Values), len(d.Gold))
		}
	}
	// A changed suggestion is seen at once: the model now agrees with ann1
	// everywhere.
	agreeModelSuggest(t, e, ids, "discuss")
	var changed agreeModelReport
	e.must("rev", "GET", path, nil, http.StatusOK, &changed)
	if got := changed.Models[0].Dimensions[0].Annotators[0].Matches; got != 4 {
		t.Errorf("after a new suggestion the model matches ann1 on %d paragraphs, want 4 (the cached report was served?)", got)
	}
	// The consensus counts the annotators' labels only.
	var cons struct {
		Items []struct {
			ParagraphID int64 `json:"paragraph_id"`
			Labels      int   `json:"labels"`
		} `json:"items"`
	}
	e.must("rev", "GET", "/api/v1/consensus?dimension=stance&limit=1000", nil, http.StatusOK, &cons)
	if len(cons.Items) == 0 {
		t.Error("the consensus lists no paragraph")
	}
	for _, it := range cons.Items {
		if slices.Contains(ids, it.ParagraphID) && it.Labels != 2 {
			t.Errorf("consensus of paragraph %d counts %d labels, want the annotators' 2", it.ParagraphID, it.Labels)
		}
	}
}

// TestAgreementAPIModelAcceptRate: a save that kept the suggestion shown
// counts beside the model's row.
func TestAgreementAPIModelAcceptRate(t *testing.T) {
	e := newAPIEnv(t)
	doc, ids := agreeLabelled(t, e)
	agreeModelSuggest(t, e, ids, "discuss")
	ctx := context.Background()
	a, err := e.store.SaveAnnotation(ctx, e.users["ann1"].ID, ids[4], 0, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.RecordShown(ctx, a, annotate.SuggestionsHint, []annotate.ShownInput{{Dimension: "stance", Agent: "m@1", Values: []string{"agree"}, Score: 0.8}}); err != nil {
		t.Fatal(err)
	}
	var rep agreeModelReport
	e.must("rev", "GET", fmt.Sprintf("/api/v1/agreement?document=%d&bootstrap=0", doc), nil, http.StatusOK, &rep)
	acc := rep.Models[0].Dimensions[0].Accept
	if acc == nil || acc.Shown != 1 || acc.Accepted != 1 || acc.Rate != 1 {
		t.Errorf("accept %+v, want 1 of 1", acc)
	}
}
