package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// reviewIndexPage is the data of the review overview.
type reviewIndexPage struct {
	List    *docList
	Overlap int
}

// showReview lists a page of documents with the team's progress, for
// reviewers.
func (s *Server) showReview(c *gin.Context) {
	ctx := c.Request.Context()
	list, err := s.documentList(c, "/review")
	if err != nil {
		s.fail(c, err)
		return
	}
	overlap, err := s.store.Overlap(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "review", reviewIndexPage{List: list, Overlap: overlap})
}

// reviewDocumentPage is the data of a document's review: every paragraph
// with every annotator's labels side by side.
type reviewDocumentPage struct {
	Document   *annotate.Document
	Paragraphs []reviewParagraph
	Legend     []reviewLegend
	Only       string
	// Total and Labelled count the document's paragraphs; Disagreeing and
	// Shown those of this page.
	Total, Labelled    int64
	Disagreeing, Shown int
	Pager              *pager
}

// reviewPageSize is how many paragraphs a document's review shows at a
// time: each has everyone's labels and notes.
const reviewPageSize = 50

// reviewLegend shows the colour of each option of a dimension.
type reviewLegend struct {
	Title  string
	Values []reviewValue
}

// reviewParagraph is one paragraph with its annotations laid out as a grid:
// a row per dimension, a column per annotator.
type reviewParagraph struct {
	annotate.ParagraphStatus
	Annotators []string
	Rows       []reviewRow
	Disagree   bool
	Notes      []annotate.Note
	// MoreNotes says the paragraph has more notes than the page shows (the
	// API's notes list pages through all of them).
	MoreNotes bool
}

// reviewRow is one dimension across annotators.
type reviewRow struct {
	Title   string
	Cells   [][]reviewValue
	Differs bool
}

// reviewValue is one label value with its display name and colour class.
type reviewValue struct {
	Name  string
	Class string
	Title string
}

// optionClass returns the colour class of value in d: options take the
// palette in order, added values share a neutral colour.
func optionClass(d *annotate.Dimension, value string) (string, string, string) {
	for i, o := range d.Options {
		if o.Key == value {
			return "c" + string(rune('0'+i%10)), o.Name, o.Guideline
		}
	}
	return "c6", value, "added by an annotator"
}

// showReviewDocument shows one page of a document's paragraphs with every
// annotator's labels and notes: ?limit= (default 50, at most 500) and
// ?next= (the position the page starts at); ?only=disagreements keeps the
// paragraphs of the page where annotators differ.
func (s *Server) showReviewDocument(c *gin.Context) {
	ctx := c.Request.Context()
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	doc, err := s.store.Document(ctx, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	sc, err := s.store.Schema(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	only, err := queryChoice(c, "only", []string{"disagreements"})
	if err != nil {
		s.fail(c, err)
		return
	}
	limit, err := queryInt(c, "limit", reviewPageSize, 1, annotate.MaxParagraphLimit)
	if err != nil {
		s.fail(c, err)
		return
	}
	pq, err := paragraphQuery(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	pq.Limit = limit
	u := currentUser(c)
	pp, err := s.store.ParagraphPage(ctx, id, u.ID, pq)
	if err != nil {
		s.fail(c, err)
		return
	}
	ps := pp.Paragraphs
	page := reviewDocumentPage{Document: doc, Only: only, Shown: len(ps)}
	if page.Total, page.Labelled, err = s.store.ParagraphCounts(ctx, id); err != nil {
		s.fail(c, err)
		return
	}
	action := "/review/documents/" + strconv.FormatInt(id, 10)
	next := ""
	if pp.Next != 0 {
		next = strconv.Itoa(pp.Next)
	}
	page.Pager = newPager("paragraphs", action, url.Values{"only": {only}}, limit, reviewPageSize, pq.From == 0, next)
	for _, d := range sc.Dimensions {
		if d.Kind == annotate.KindOpen {
			continue
		}
		l := reviewLegend{Title: d.Title}
		for _, o := range d.Options {
			cls, name, guide := optionClass(&d, o.Key)
			l.Values = append(l.Values, reviewValue{Name: name, Class: cls, Title: guide})
		}
		page.Legend = append(page.Legend, l)
	}
	for _, p := range ps {
		anns, err := s.store.Annotations(ctx, p.ID)
		if err != nil {
			s.fail(c, err)
			return
		}
		notes, err := s.store.Notes(ctx, p.ID, u.ID, true, annotate.ListQuery{})
		if err != nil {
			s.fail(c, err)
			return
		}
		rp := reviewParagraph{ParagraphStatus: p, Notes: notes.Notes, MoreNotes: notes.Next != 0}
		for _, a := range anns {
			rp.Annotators = append(rp.Annotators, a.UserName)
		}
		for i := range sc.Dimensions {
			d := &sc.Dimensions[i]
			row := reviewRow{Title: d.Title}
			for j, a := range anns {
				var cell []reviewValue
				for _, v := range a.Labels[d.Name] {
					cls, name, guide := optionClass(d, v)
					cell = append(cell, reviewValue{Name: name, Class: cls, Title: guide})
				}
				row.Cells = append(row.Cells, cell)
				if j > 0 && !slices.Equal(a.Labels[d.Name], anns[0].Labels[d.Name]) {
					row.Differs = true
				}
			}
			rp.Disagree = rp.Disagree || row.Differs
			rp.Rows = append(rp.Rows, row)
		}
		if rp.Disagree {
			page.Disagreeing++
		}
		if page.Only == "disagreements" && !rp.Disagree {
			continue
		}
		page.Paragraphs = append(page.Paragraphs, rp)
	}
	s.render(c, http.StatusOK, "review_document", page)
}
