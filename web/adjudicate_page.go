package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// adjudicateBoot is what the adjudication page's script starts from,
// embedded in the page as JSON: the schema with each option's colour, and
// the first page of the disagreement queue.
type adjudicateBoot struct {
	Dimensions []bootDimension    `json:"dimensions"`
	Items      []disagreementView `json:"items"`
	Total      int                `json:"total"`
	PageSize   int                `json:"page_size"`
	// OpenValues and OpenValuesMore are as on the annotation page
	// (openValuesFor): the most typed values, and whether there are more.
	OpenValues     map[string][]string `json:"open_values"`
	OpenValuesMore map[string]bool     `json:"open_values_more,omitempty"`
	// User is the reviewer's name, shown as the decider of new gold labels.
	User string `json:"user"`
	// Order is the queue's order, kept when more paragraphs are loaded.
	Order string `json:"order"`
	// ConsensusMethod is the gold method of accepting the consensus.
	ConsensusMethod string `json:"consensus_method"`
	// Next is the cursor of the page after the first ("" when it is the
	// whole queue); Filter the query string of the page's filters, which
	// every further page keeps.
	Next   string `json:"next"`
	Filter string `json:"filter"`
}

// bootDimension is a dimension as the adjudication page draws it.
type bootDimension struct {
	Name     string        `json:"name"`
	Title    string        `json:"title"`
	Kind     annotate.Kind `json:"kind"`
	Required bool          `json:"required"`
	Options  []bootOption  `json:"options"`
}

type bootOption struct {
	Key   string `json:"key"`
	Name  string `json:"name"`
	Class string `json:"class"`
}

// adjudicatePageSize is how many paragraphs the page loads at a time.
const adjudicatePageSize = 20

// showAdjudicate serves the adjudication page: the most disputed paragraph
// first, one at a time, decided with the keyboard.
func (s *Server) showAdjudicate(c *gin.Context) {
	f, err := parseDisagreementFilter(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	f.Limit = adjudicatePageSize
	page, sc, err := s.loadAdjudication(c, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	boot := adjudicateBoot{Items: page.Items, Total: page.Total, PageSize: adjudicatePageSize, User: me(c).Name, Order: f.Order, ConsensusMethod: annotate.ConsensusMethod, Next: page.Next}
	if boot.Order == "" {
		boot.Order = annotate.QueueByDisputed
	}
	filter := url.Values{"order": {boot.Order}}
	for _, d := range f.Documents {
		filter.Add("document", strconv.FormatInt(d, 10))
	}
	if f.IncludeResolved {
		filter.Set("include_resolved", "true")
	}
	boot.Filter = filter.Encode()
	for i := range sc.Dimensions {
		d := &sc.Dimensions[i]
		bd := bootDimension{Name: d.Name, Title: d.Title, Kind: d.Kind, Required: d.Required, Options: []bootOption{}}
		for _, o := range d.Options {
			class, _, _ := optionClass(d, o.Key)
			bd.Options = append(bd.Options, bootOption{Key: o.Key, Name: o.Name, Class: class})
		}
		boot.Dimensions = append(boot.Dimensions, bd)
	}
	if boot.OpenValues, boot.OpenValuesMore, err = s.openValuesFor(c.Request.Context(), sc, me(c)); err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "adjudicate", boot)
}
