package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// adminSettingsPage is the data of the settings page.
type adminSettingsPage struct {
	Overlap int
	// Suggestions is the suggestions mode (see annotate.SuggestionMode).
	Suggestions annotate.SuggestionMode
	// QueueOrder is the order the queue hands paragraphs out in.
	QueueOrder annotate.QueueOrder
}

// showAdminSettings shows the project settings.
func (s *Server) showAdminSettings(c *gin.Context) {
	s.renderAdminSettings(c, http.StatusOK, Page{})
}

// renderAdminSettings draws the settings page with every setting as
// stored, and p's message: after a refused form the stored values, not
// the refused one, are what the form shows.
func (s *Server) renderAdminSettings(c *gin.Context, st int, p Page) {
	ctx := c.Request.Context()
	n, err := s.store.Overlap(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	mode, err := s.store.SuggestionMode(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	order, err := s.store.QueueOrder(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	p.Data = &adminSettingsPage{Overlap: n, Suggestions: mode, QueueOrder: order}
	s.render(c, st, "admin_settings", p)
}

// submitAdminSettings saves the overlap.
func (s *Server) submitAdminSettings(c *gin.Context) {
	raw := strings.TrimSpace(c.PostForm("overlap"))
	n, err := strconv.Atoi(raw)
	if err != nil {
		err = annotate.Invalidf("overlap", "overlap must be a whole number from 1 to 50, got %q", raw)
	} else {
		err = s.store.SetOverlap(c.Request.Context(), currentUser(c).ID, n)
	}
	if err != nil {
		st, msg := s.formFailure(c, err)
		s.renderAdminSettings(c, st, Page{Error: msg})
		return
	}
	redirectFlash(c, "/admin/settings", fmt.Sprintf("Each paragraph now needs %d annotator(s).", n))
}

// suggestionModeWords says what each suggestions mode does, for the flash
// after a change.
var suggestionModeWords = map[annotate.SuggestionMode]string{
	annotate.SuggestionsOff:     "Annotators see no model suggestions.",
	annotate.SuggestionsHint:    "Annotators see the model's suggestion marked beside the options.",
	annotate.SuggestionsPrefill: "The model's suggestion is pre-selected; annotators still confirm each paragraph.",
}

// submitAdminSuggestions saves the suggestions mode.
func (s *Server) submitAdminSuggestions(c *gin.Context) {
	ctx := c.Request.Context()
	raw := strings.TrimSpace(c.PostForm("suggestions"))
	if err := s.store.SetSuggestionMode(ctx, currentUser(c).ID, raw); err != nil {
		st, msg := s.formFailure(c, err)
		s.renderAdminSettings(c, st, Page{Error: msg})
		return
	}
	redirectFlash(c, "/admin/settings", suggestionModeWords[annotate.SuggestionMode(raw)])
}

// queueOrderWords says what each queue order does, for the flash after a
// change.
var queueOrderWords = map[annotate.QueueOrder]string{
	annotate.QueueReading:      "The queue hands out paragraphs in reading order.",
	annotate.QueueUncertain:    "The queue hands out first the paragraphs the model is least sure of.",
	annotate.QueueDisagreement: "The queue hands out first the paragraphs annotators dispute most.",
}

// submitAdminQueueOrder saves the queue order.
func (s *Server) submitAdminQueueOrder(c *gin.Context) {
	ctx := c.Request.Context()
	raw := strings.TrimSpace(c.PostForm(annotate.SettingQueueOrder))
	if err := s.store.SetQueueOrder(ctx, currentUser(c).ID, raw); err != nil {
		st, msg := s.formFailure(c, err)
		s.renderAdminSettings(c, st, Page{Error: msg})
		return
	}
	redirectFlash(c, "/admin/settings", queueOrderWords[annotate.QueueOrder(raw)])
}
