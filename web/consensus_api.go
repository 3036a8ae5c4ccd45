package web

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// consensusRunView is a consensus run in the API.
type consensusRunView struct {
	ID          int64                       `json:"id"`
	Method      string                      `json:"method"`
	DataVersion int64                       `json:"data_version"`
	CreatedAt   time.Time                   `json:"created_at"`
	Dimensions  []annotate.ConsensusSummary `json:"dimensions"`
	// Pending says the first run is being computed: no items yet.
	Pending bool `json:"pending,omitempty"`
}

// consensusItemView is the consensus of one paragraph on one dimension:
// value is a string (single) or an array (multi), null for a tie, which
// tied then lists.
type consensusItemView struct {
	ParagraphID int64    `json:"paragraph_id"`
	Dimension   string   `json:"dimension"`
	Value       any      `json:"value"`
	Confidence  float64  `json:"confidence"`
	Method      string   `json:"method"`
	Tie         bool     `json:"tie"`
	Tied        []string `json:"tied,omitempty"`
	Gold        bool     `json:"gold"`
	Labels      int      `json:"labels"`
	// Reason says why the item's dimension has the vote instead of
	// Dawid–Skene: its confidence is then the vote's share.
	Reason string `json:"reason,omitempty"`
}

// consensusPageView is one page of GET /api/v1/consensus.
type consensusPageView struct {
	Run   consensusRunView    `json:"run"`
	Items []consensusItemView `json:"items"`
	Next  string              `json:"next,omitempty"`
}

func viewConsensusRun(run *annotate.ConsensusRun) consensusRunView {
	return consensusRunView{ID: run.ID, Method: run.Method, DataVersion: run.DataVersion, CreatedAt: run.CreatedAt, Dimensions: run.Dimensions, Pending: run.Pending}
}

// consensusValue returns the JSON shape of a consensus value: the single
// value or null, or the set for a multi dimension; null for a tie.
func consensusValue(multi map[string]bool, it *annotate.ConsensusItem) any {
	switch {
	case it.Tie:
		return nil
	case multi[it.Dimension]:
		return it.Values
	case len(it.Values) == 1:
		return it.Values[0]
	}
	return nil
}

// multiDimensions names the run's multi dimensions.
func multiDimensions(run *annotate.ConsensusRun) map[string]bool {
	out := map[string]bool{}
	for _, d := range run.Dimensions {
		out[d.Name] = d.Kind == "multi"
	}
	return out
}

// parseConsensusQuery reads limit, next, dimension, max_confidence and
// order.
func parseConsensusQuery(c *gin.Context) (annotate.ConsensusQuery, error) {
	var q annotate.ConsensusQuery
	var err error
	if q.Limit, err = queryInt(c, "limit", annotate.DefaultConsensusLimit, 1, annotate.MaxConsensusLimit); err != nil {
		return q, err
	}
	q.After = c.Query("next")
	q.Dimension = c.Query("dimension")
	if raw := c.Query("max_confidence"); raw != "" {
		v, err := strconv.ParseFloat(raw, 64)
		if err != nil || math.IsNaN(v) || v < 0 || v > 1 {
			return q, annotate.Invalidf("max_confidence", "max_confidence must be a number from 0 to 1, got %q", raw)
		}
		q.MaxConfidence = &v
	}
	order, err := queryChoice(c, "order", []string{"paragraph", "confidence"})
	if err != nil {
		return q, err
	}
	q.Order = annotate.ConsensusOrder(order)
	return q, nil
}

// getConsensus returns one page of the latest consensus, computed afresh
// first when labels or gold changed since:
// {"run": {...}, "items": [...], "next": "..."}.
func (s *Server) getConsensus(c *gin.Context) {
	q, err := parseConsensusQuery(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	run, err := s.store.Consensus(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.store.ConsensusItems(ctx, run, q)
	if err != nil {
		s.fail(c, err)
		return
	}
	multi := multiDimensions(run)
	out := consensusPageView{Run: viewConsensusRun(run), Items: make([]consensusItemView, len(page.Items)), Next: page.Next}
	for i := range page.Items {
		it := &page.Items[i]
		out.Items[i] = consensusItemView{ParagraphID: it.ParagraphID, Dimension: it.Dimension, Value: consensusValue(multi, it),
			Confidence: it.Confidence, Method: it.Method, Tie: it.Tie, Tied: it.Tied, Gold: it.Gold, Labels: it.Labels, Reason: it.Reason}
	}
	c.JSON(http.StatusOK, out)
}
