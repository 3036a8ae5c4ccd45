package web

import (
	"context"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// MaxSuggestionBatch is the most suggestions one POST /api/v1/suggestions
// takes: enough to send a model's answers for a few hundred paragraphs at a
// time, few enough that one batch holds the write lock only briefly.
const MaxSuggestionBatch = 1000

// registerSuggestionRoutes registers the suggestions API: reviewers and
// admins send and list them; the annotation page reads them with the queue
// (see suggestionsFor) and the paragraph.
func (s *Server) registerSuggestionRoutes() {
	api := s.engine.Group("/api/v1")
	anyone := s.requireRole(annotate.RoleAnnotator)
	reviewer := s.requireRole(annotate.RoleReviewer)
	api.POST("/suggestions", reviewer, s.putSuggestions)
	api.GET("/suggestions", reviewer, s.listSuggestions)
	api.GET("/suggestions/accept-rates", reviewer, s.suggestionAcceptRates)
	api.GET("/paragraphs/:id/suggestions", anyone, s.paragraphSuggestions)
	s.engine.POST("/admin/settings/suggestions", s.requireRole(annotate.RoleAdmin), s.submitAdminSuggestions)
}

// suggestionView is one suggestion as the API and the annotation page give
// it: value for a single or open dimension, values for a multi one.
type suggestionView struct {
	ID          int64    `json:"id,omitempty"`
	ParagraphID int64    `json:"paragraph_id,omitempty"`
	Dimension   string   `json:"dimension"`
	Value       *string  `json:"value,omitempty"`
	Values      []string `json:"values,omitempty"`
	Score       float64  `json:"score"`
	// Margin is the model's margin, when it gave one.
	Margin *float64 `json:"margin,omitempty"`
	Agent  string   `json:"agent"`
}

func viewSuggestion(sc *annotate.Schema, x annotate.Suggestion) suggestionView {
	v := suggestionView{ID: x.ID, ParagraphID: x.ParagraphID, Dimension: x.Dimension, Score: x.Score, Margin: x.Margin, Agent: x.Agent}
	if d, ok := sc.Dimension(x.Dimension); ok && d.Kind != annotate.KindMulti && len(x.Values) == 1 {
		v.Value = &x.Values[0]
	} else {
		v.Values = x.Values
	}
	return v
}

// putSuggestionsRequest is the body of POST /api/v1/suggestions.
type putSuggestionsRequest struct {
	Suggestions []annotate.SuggestionInput `json:"suggestions"`
}

// putSuggestions stores a batch of suggestions, all or none. A batch with
// wrong items answers 400 with every problem in "errors", by index.
func (s *Server) putSuggestions(c *gin.Context) {
	var req putSuggestionsRequest
	if err := s.bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	switch n := len(req.Suggestions); {
	case req.Suggestions == nil:
		s.fail(c, annotate.Invalidf("suggestions", `send {"suggestions": [...]}, each {"paragraph_id", "dimension", "value" or "values", "score", "agent"} and optionally "margin"`))
		return
	case n == 0:
		s.fail(c, annotate.Invalidf("suggestions", "the batch is empty"))
		return
	case n > MaxSuggestionBatch:
		s.fail(c, annotate.Invalidf("suggestions", "a batch holds at most %d suggestions, got %d; send them in several batches", MaxSuggestionBatch, n))
		return
	}
	rep, err := s.store.PutSuggestions(c.Request.Context(), me(c).ID, req.Suggestions)
	if rep != nil && len(rep.Errors) > 0 {
		_, detail := status(err)
		detail.Field = "suggestions"
		c.AbortWithStatusJSON(http.StatusBadRequest, gin.H{"error": detail, "errors": rep.Errors})
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, rep)
}

// listSuggestions lists one page of suggestions: ?limit= (default 100, at
// most 1000), ?next= (the cursor of the page before), and the filters
// ?agent=, ?dimension= and ?paragraph=.
func (s *Server) listSuggestions(c *gin.Context) {
	limit, err := queryInt(c, "limit", annotate.DefaultSuggestionLimit, 1, annotate.MaxSuggestionLimit)
	if err != nil {
		s.fail(c, err)
		return
	}
	after, err := queryID(c, "next")
	if err != nil {
		s.fail(c, annotate.Invalidf("next", "next must be the cursor a page gave (a positive integer), got %q", c.Query("next")))
		return
	}
	para, err := queryID(c, "paragraph")
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	page, err := s.store.SuggestionPage(ctx, annotate.SuggestionQuery{Limit: limit, After: after, Agent: c.Query("agent"), Dimension: c.Query("dimension"), ParagraphID: para})
	if err != nil {
		s.fail(c, err)
		return
	}
	sc, err := s.store.Schema(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	views := make([]suggestionView, len(page.Suggestions))
	for i, x := range page.Suggestions {
		views[i] = viewSuggestion(sc, x)
	}
	out := gin.H{"suggestions": views}
	if page.Next != 0 {
		out["next"] = strconv.FormatInt(page.Next, 10)
	}
	c.JSON(http.StatusOK, out)
}

// suggestionAcceptRates says how often annotators saved what a model
// suggested, by agent, dimension and mode.
func (s *Server) suggestionAcceptRates(c *gin.Context) {
	rates, err := s.store.AcceptRates(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"rates": rates})
}

// paragraphSuggestions returns the suggestions for one paragraph as the
// annotation page shows them, with the mode; none while the setting is off.
func (s *Server) paragraphSuggestions(c *gin.Context) {
	id, ok := s.pathParagraph(c)
	if !ok {
		return
	}
	mode, sug, err := s.suggestionsFor(c.Request.Context(), []int64{id})
	if err != nil {
		s.fail(c, err)
		return
	}
	list := sug[strconv.FormatInt(id, 10)]
	if list == nil {
		list = []suggestionView{}
	}
	c.JSON(http.StatusOK, gin.H{"mode": mode, "suggestions": list})
}

// suggestionsFor returns the suggestions mode and the suggestions for the
// given paragraphs, by paragraph id: the best-scored one per dimension, as
// the annotation page shows them. While the setting is off there are none:
// neither the page nor the annotator's API carries them.
func (s *Server) suggestionsFor(ctx context.Context, ids []int64) (annotate.SuggestionMode, map[string][]suggestionView, error) {
	out := map[string][]suggestionView{}
	mode, err := s.store.SuggestionMode(ctx)
	if err != nil || mode == annotate.SuggestionsOff || len(ids) == 0 {
		return mode, out, err
	}
	rows, err := s.store.Suggestions(ctx, ids)
	if err != nil {
		return mode, nil, err
	}
	sc, err := s.store.Schema(ctx)
	if err != nil {
		return mode, nil, err
	}
	for pid, list := range rows {
		key := strconv.FormatInt(pid, 10)
		seen := map[string]bool{}
		// The store orders each paragraph's suggestions by dimension,
		// then best score first.
		for _, x := range list {
			if seen[x.Dimension] {
				continue
			}
			if _, ok := sc.Dimension(x.Dimension); !ok {
				// A dimension the schema dropped since.
				continue
			}
			seen[x.Dimension] = true
			v := viewSuggestion(sc, x)
			v.ID, v.ParagraphID = 0, 0
			out[key] = append(out[key], v)
		}
	}
	return mode, out, nil
}

// contextIDs returns the ids of the paragraphs of contexts.
func contextIDs(items []*annotate.ParagraphContext) []int64 {
	ids := make([]int64, 0, len(items))
	for _, it := range items {
		if it != nil {
			ids = append(ids, it.Paragraph.ID)
		}
	}
	return ids
}

// shownRequest is what the annotation page showed for one dimension, as a
// save sends it in suggestion_shown.
type shownRequest struct {
	Agent  string   `json:"agent"`
	Value  *string  `json:"value"`
	Values []string `json:"values"`
	Score  float64  `json:"score"`
}

// shownInputs turns a save's suggestion_shown into the store's inputs.
func shownInputs(shown map[string]shownRequest) []annotate.ShownInput {
	in := make([]annotate.ShownInput, 0, len(shown))
	for dim, x := range shown {
		vals := x.Values
		if x.Value != nil {
			vals = append([]string{*x.Value}, vals...)
		}
		in = append(in, annotate.ShownInput{Dimension: dim, Agent: x.Agent, Values: vals, Score: x.Score})
	}
	return in
}

// recordShown keeps what suggestions the save of a showed. While the
// setting is off nothing is kept: the page showed none. The labels are
// saved by then, so a failure here is logged, not answered: the save
// itself succeeded.
func (s *Server) recordShown(ctx context.Context, a *annotate.Annotation, shown []annotate.ShownInput) {
	if len(shown) == 0 {
		return
	}
	mode, err := s.store.SuggestionMode(ctx)
	if err == nil && mode != annotate.SuggestionsOff {
		err = s.store.RecordShown(ctx, a, mode, shown)
	}
	if err != nil {
		s.log.Error("record the suggestions shown", "paragraph", a.ParagraphID, "annotation", a.ID, "err", err)
	}
}
