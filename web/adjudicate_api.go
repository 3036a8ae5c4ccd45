package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// disagreementView is one paragraph of the disagreement queue in the API,
// with every label set in its JSON shape (schema.Encode).
type disagreementView struct {
	Paragraph   annotate.Paragraph   `json:"paragraph"`
	Document    annotate.Document    `json:"document"`
	Annotations []userAnnotationView `json:"annotations"`
	Notes       []annotate.Note      `json:"notes"`
	Majority    []majorityView       `json:"majority"`
	// HasMajority is false when some dimension has no strict majority (a
	// tie): there is then no majority to accept, and the reviewer picks an
	// annotator's labels or sets their own.
	HasMajority bool                 `json:"has_majority"`
	Disputed    float64              `json:"disputed"`
	Gold        *adjudicatedGoldView `json:"gold"`
	GoldHistory []goldRevisionView   `json:"gold_history"`
	// Consensus is the consensus of each single and multi dimension, in
	// schema order, beside the majority; ConsensusConfidence the lowest
	// of their confidences.
	Consensus           []consensusCellView `json:"consensus"`
	ConsensusConfidence float64             `json:"consensus_confidence"`
}

// consensusCellView is the consensus of one dimension of a paragraph in
// the queue: value as in majorityView, null for a tie.
type consensusCellView struct {
	Dimension  string  `json:"dimension"`
	Value      any     `json:"value"`
	Confidence float64 `json:"confidence"`
	Method     string  `json:"method"`
	Tie        bool    `json:"tie"`
	// Reason says why the consensus is the vote (the data is too small
	// to learn reliabilities, say); the page shows it instead of the
	// confidence.
	Reason string `json:"reason,omitempty"`
}

// majorityView is the majority answer of one dimension: value is a string
// or null (single, open) or an array (multi).
type majorityView struct {
	Dimension string `json:"dimension"`
	Value     any    `json:"value"`
	Support   int    `json:"support"`
	Of        int    `json:"of"`
	Tie       bool   `json:"tie"`
	Unanimous bool   `json:"unanimous"`
}

// adjudicatedGoldView is a gold label with the name of who decided it.
type adjudicatedGoldView struct {
	goldView
	DecidedByName string `json:"decided_by_name"`
}

// goldRevisionView is one entry of a gold label's history.
type goldRevisionView struct {
	At     time.Time      `json:"at"`
	By     string         `json:"by"`
	Action string         `json:"action"`
	Labels map[string]any `json:"labels"`
	Method string         `json:"method,omitempty"`
}

// encodeValue returns the JSON shape of one dimension's values.
func encodeValue(sc *annotate.Schema, dim string, vs []string) any {
	return sc.Encode(annotate.Labels{dim: vs})[dim]
}

func viewDisagreement(sc *annotate.Schema, d *annotate.Disagreement) disagreementView {
	v := disagreementView{
		Paragraph: d.Paragraph, Document: d.Document, Notes: nonNil(d.Notes), Disputed: d.Disputed, HasMajority: true,
		Annotations: make([]userAnnotationView, len(d.Annotations)),
		Majority:    make([]majorityView, len(d.Majority)),
		GoldHistory: make([]goldRevisionView, len(d.GoldHistory)),
	}
	for i, a := range d.Annotations {
		v.Annotations[i] = userAnnotationView{UserID: a.UserID, UserName: a.UserName, Version: a.Version, Labels: sc.Encode(a.Labels), UpdatedAt: a.UpdatedAt}
	}
	for i, m := range d.Majority {
		mv := majorityView{Dimension: m.Dimension, Support: m.Support, Of: m.Of, Tie: m.Tie, Unanimous: m.Unanimous()}
		v.HasMajority = v.HasMajority && !m.Tie
		if !m.Tie {
			mv.Value = encodeValue(sc, m.Dimension, m.Labels)
		}
		v.Majority[i] = mv
	}
	v.Consensus, v.ConsensusConfidence = []consensusCellView{}, d.ConsensusConfidence
	for _, dim := range sc.Dimensions {
		c, ok := d.Consensus[dim.Name]
		if !ok {
			continue
		}
		cv := consensusCellView{Dimension: dim.Name, Confidence: c.Confidence, Method: c.Method, Tie: c.Tie, Reason: c.Reason}
		if !c.Tie {
			cv.Value = encodeValue(sc, dim.Name, c.Values)
		}
		v.Consensus = append(v.Consensus, cv)
	}
	if d.Gold != nil {
		v.Gold = &adjudicatedGoldView{goldView: viewGold(sc, d.Gold), DecidedByName: d.GoldBy}
	}
	for i, r := range d.GoldHistory {
		v.GoldHistory[i] = goldRevisionView{At: r.At, By: r.By, Action: r.Action, Labels: sc.Encode(r.Labels), Method: r.Method}
	}
	return v
}

// parseDisagreementFilter reads limit, next (the cursor a page gave),
// offset (for clients that count; ignored with next), include_resolved,
// order and document.
func parseDisagreementFilter(c *gin.Context) (annotate.DisagreementFilter, error) {
	var f annotate.DisagreementFilter
	var err error
	if f.Limit, err = queryInt(c, "limit", 20, 1, 100); err != nil {
		return f, err
	}
	if f.Offset, err = queryInt(c, "offset", 0, 0, 1<<30); err != nil {
		return f, err
	}
	f.After = c.Query("next")
	if raw := c.Query("include_resolved"); raw != "" {
		if f.IncludeResolved, err = strconv.ParseBool(raw); err != nil {
			return f, annotate.Invalidf("include_resolved", "include_resolved must be true or false, got %q", raw)
		}
	}
	if f.Order, err = queryChoice(c, "order", []string{annotate.QueueByDisputed, annotate.QueueByConfidence}); err != nil {
		return f, err
	}
	f.Documents, err = queryIDs(c, "document")
	return f, err
}

// adjudicationPage is one page of the disagreement queue, how many
// paragraphs the whole queue holds and the cursor of the page after.
type adjudicationPage struct {
	Items []disagreementView `json:"items"`
	Total int                `json:"total"`
	Next  string             `json:"next,omitempty"`
}

// loadAdjudication reads one page of the disagreement queue in its API shape.
func (s *Server) loadAdjudication(c *gin.Context, f annotate.DisagreementFilter) (*adjudicationPage, *annotate.Schema, error) {
	ctx := c.Request.Context()
	sc, err := s.store.Schema(ctx)
	if err != nil {
		return nil, nil, err
	}
	page, err := s.store.DisagreementQueue(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	out := &adjudicationPage{Items: make([]disagreementView, len(page.Items)), Total: page.Total, Next: page.Next}
	for i := range page.Items {
		out.Items[i] = viewDisagreement(sc, &page.Items[i])
	}
	return out, sc, nil
}

// listDisagreements returns one page of the disagreement queue, most
// disputed (or least confident) first: {"items": [...], "total": N,
// "next": cursor}; ?next= continues right after the page that gave it.
func (s *Server) listDisagreements(c *gin.Context) {
	f, err := parseDisagreementFilter(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	page, _, err := s.loadAdjudication(c, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, page)
}
