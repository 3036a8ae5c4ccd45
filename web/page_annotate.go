package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// prefetch is how many paragraphs the annotation page starts with and
// fetches at a time, so the next one is always in memory.
const prefetch = 5

// annotateBoot is what the annotation page's script starts from, embedded in
// the page as JSON so that the first paragraph shows without a round trip.
type annotateBoot struct {
	User   bootUser         `json:"user"`
	Schema *annotate.Schema `json:"schema"`
	// OpenValues holds, for each open dimension, the most typed values the
	// user is offered (bootOpenValues at most); OpenValuesMore names the
	// dimensions that offer more, which the type-ahead asks for as the
	// user types (openvalues.js).
	OpenValues     map[string][]string          `json:"open_values"`
	OpenValuesMore map[string]bool              `json:"open_values_more,omitempty"`
	Items          []*annotate.ParagraphContext `json:"items"`
	Remaining      int64                        `json:"remaining"`
	// RemainingMore says the queue holds at least Remaining, which is
	// annotate.MaxRemaining.
	RemainingMore bool  `json:"remaining_more"`
	Document      int64 `json:"document,omitempty"`
	Prefetch      int   `json:"prefetch"`
	// Recent holds the caller's last labelled or skipped paragraphs of the
	// document they are in, so that going back works after a reload.
	Recent []recentItem `json:"recent"`
	// SuggestionsMode and Suggestions are the suggestions setting and the
	// models' suggestions for Items and Recent, by paragraph id (none while
	// the setting is off).
	SuggestionsMode annotate.SuggestionMode     `json:"suggestions_mode"`
	Suggestions     map[string][]suggestionView `json:"suggestions"`
	// SuggestAssets are the script and style sheet that show suggestions,
	// which the page loads only once some arrive (see suggest.js); the page
	// links them itself when its first paragraphs have some.
	SuggestAssets []string `json:"suggest_assets,omitempty"`
}

// recentItem is a paragraph the caller already labelled or skipped, with
// their labels (in the API's JSON shape) and version.
type recentItem struct {
	Context *annotate.ParagraphContext `json:"context"`
	Labels  map[string]any             `json:"labels,omitempty"`
	Version int                        `json:"version,omitempty"`
	Skipped bool                       `json:"skipped,omitempty"`
}

// maxRecent is how far back the annotation page can go after a reload.
const maxRecent = 10

type bootUser struct {
	ID   int64         `json:"id"`
	Name string        `json:"name"`
	Role annotate.Role `json:"role"`
}

// annotatePage is the data of the annotation page.
type annotatePage struct {
	Boot     annotateBoot
	Schema   *annotate.Schema
	Document *annotate.Document
}

// showAnnotate serves the annotation page with the first paragraphs of the
// caller's queue (of one document with ?document=ID).
func (s *Server) showAnnotate(c *gin.Context) {
	ctx := c.Request.Context()
	u := currentUser(c)
	var doc *annotate.Document
	id, err := queryID(c, "document")
	if err != nil {
		s.fail(c, err)
		return
	}
	if id != 0 {
		if doc, err = s.store.Document(ctx, id); err != nil {
			s.fail(c, err)
			return
		}
	}
	sc, open, more, err := s.schemaWithOpenValues(ctx, u)
	if err != nil {
		s.fail(c, err)
		return
	}
	// On one document's page the count is of what is left in it, as the
	// queue's later answers give it.
	items, left, err := s.queueItems(ctx, u, annotate.QueueOptions{Limit: prefetch, DocumentID: id})
	if err != nil {
		s.fail(c, err)
		return
	}
	recent, err := s.recentWork(c, sc, u, doc, items)
	if err != nil {
		s.fail(c, err)
		return
	}
	ids := contextIDs(items)
	for _, r := range recent {
		ids = append(ids, r.Context.Paragraph.ID)
	}
	mode, sug, err := s.suggestionsFor(ctx, ids)
	if err != nil {
		s.fail(c, err)
		return
	}
	boot := annotateBoot{Recent: recent, SuggestionsMode: mode, Suggestions: sug,
		User:   bootUser{ID: u.ID, Name: u.Name, Role: u.Role},
		Schema: sc, OpenValues: open, OpenValuesMore: more, Items: items, Remaining: left, Prefetch: prefetch,
		RemainingMore: left >= annotate.MaxRemaining,
	}
	if mode != annotate.SuggestionsOff {
		boot.SuggestAssets = []string{assetURL("suggest.js"), assetURL("suggest.css")}
	}
	if doc != nil {
		boot.Document = doc.ID
	}
	s.render(c, http.StatusOK, "annotate", annotatePage{Boot: boot, Schema: sc, Document: doc})
}

// recentWork returns the caller's labelled or skipped paragraphs just before
// the first one of their queue in the same document (or, when the queue is
// empty, at the end of the document they worked on last), oldest first.
func (s *Server) recentWork(c *gin.Context, sc *annotate.Schema, u *annotate.User, doc *annotate.Document, items []*annotate.ParagraphContext) ([]recentItem, error) {
	ctx := c.Request.Context()
	uid := u.ID
	var docID int64
	before := -1
	switch {
	case len(items) > 0:
		docID, before = items[0].Paragraph.DocumentID, items[0].Paragraph.Position
	case doc != nil:
		docID = doc.ID
	default:
		var err error
		if docID, err = s.store.LastWorkedDocument(ctx, uid); err != nil {
			return nil, err
		}
	}
	out := []recentItem{}
	if docID == 0 {
		return out, nil
	}
	mine, err := s.store.RecentlyDone(ctx, docID, uid, before, maxRecent)
	if err != nil {
		return nil, err
	}
	paras := make([]annotate.Paragraph, len(mine))
	for i, p := range mine {
		paras[i] = p.Paragraph
	}
	pcs, err := s.store.Contexts(ctx, paras)
	if err != nil {
		return nil, err
	}
	if err := s.blindContexts(ctx, u, pcs); err != nil {
		return nil, err
	}
	var labelled []int64
	for _, p := range mine {
		if p.Labelled {
			labelled = append(labelled, p.ID)
		}
	}
	anns, err := s.store.AnnotationsOf(ctx, uid, labelled)
	if err != nil {
		return nil, err
	}
	for i, p := range mine {
		it := recentItem{Context: pcs[i], Skipped: p.Skipped && !p.Labelled}
		// An annotation taken back since the paragraphs were listed shows
		// as neither labelled nor skipped.
		if a := anns[p.ID]; a != nil {
			it.Labels, it.Version = sc.Encode(a.Labels), a.Version
		}
		out = append(out, it)
	}
	return out, nil
}
