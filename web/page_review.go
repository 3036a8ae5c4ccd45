package web

import (
	"net/http"
	"slices"

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
	Document    *annotate.Document
	Paragraphs  []reviewParagraph
	Legend      []reviewLegend
	Only        string
	Total       int
	Disagreeing int
	Labelled    int
}

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

// showReviewDocument shows every paragraph of a document with every
// annotator's labels and notes; ?only=disagreements keeps the paragraphs
// where annotators differ.
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
	u := currentUser(c)
	ps, err := s.store.Paragraphs(ctx, id, u.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	page := reviewDocumentPage{Document: doc, Only: c.Query("only"), Total: len(ps)}
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
		notes, err := s.store.Notes(ctx, p.ID, u.ID, true)
		if err != nil {
			s.fail(c, err)
			return
		}
		rp := reviewParagraph{ParagraphStatus: p, Notes: notes}
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
		if len(anns) > 0 {
			page.Labelled++
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
