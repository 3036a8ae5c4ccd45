package web

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"concord/agreement"
	"concord/annotate"
)

// agreementPageData is what the agreement page shows: the filter form with
// its choices, the report and, per dimension, its graphics.
type agreementPageData struct {
	Query agreementFormValues
	// Documents are the documents the filter keeps, found by id: the page
	// never lists every document, it searches them (see findDocument).
	Documents    []annotate.Document
	AllAnnotator []string
	Report       *annotate.AgreementReport
	Dims         []agreementDimView
	// IntervalsURL, when set, is where the page's script fetches the page
	// again with the bootstrap intervals, which the first view leaves out
	// (see agreementFirst).
	IntervalsURL string
}

// agreementFormValues are the filter form's current values.
type agreementFormValues struct {
	Annotators map[string]bool
	// Find is the text typed in the document search box, kept when it
	// named no single document.
	Find     string
	From, To string
	A, B     string
}

// agreementDimView is one dimension of the page.
type agreementDimView struct {
	annotate.DimensionAgreement
	Metrics   []metricRow
	Heatmap   *heatmap
	Use       []useCategory
	Confusion *confusionView
	HasGold   bool
	GoldRows  []goldRow
	Level     string
	// Reliability is what the latest consensus says of each annotator;
	// nil for open dimensions.
	Reliability *reliabilityView
	// Models are the rows of the models that suggested on the dimension.
	Models []modelRowView
	// Trained is the built-in model's newest finished training run on the
	// dimension: its cross-validated figures; nil before the first.
	Trained *annotate.ModelRun
}

// goldRow is one annotator's agreement with gold, with the width of its bar.
type goldRow struct {
	annotate.GoldAgreement
	Width float64
}

// metricRow is one row of a dimension's table of coefficients.
type metricRow struct {
	Name, Value, CI, Reading string
	Plot                     *ciPlot
}

// ciPlot is the small scale drawn next to an alpha: the value, its
// interval and the .667 and .800 marks, on 0–1.
type ciPlot struct {
	X, Lo, Hi    float64
	Below        bool // the value is below 0 and drawn at the left edge
	HasCI        bool
	Title        string
	Mark1, Mark2 float64
}

// heatmap is the SVG of pairwise agreement between annotators.
type heatmap struct {
	ID            string
	Width, Height int
	Measure       string
	Names         []heatName
	Cells         []heatCell
	Legend        []legendStep
	LegendY       int
}

type heatName struct {
	X, Y   int
	Text   string
	Full   string
	Anchor string
}

type heatCell struct {
	X, Y, Size int
	TX, TY     int
	Class      string
	Text       string
	Title      string
	Null       bool
	Diagonal   bool
}

type legendStep struct {
	X, W  int
	Class string
	Label string
	LX    int
}

// useCategory is one category of the label-use chart: how often each
// annotator used it against everyone's share.
type useCategory struct {
	Name, Class, Title string
	Overall            string
	Mean               float64
	Rows               []useRow
}

type useRow struct {
	Annotator string
	Width     float64
	Percent   string
	Count     int
	Units     int
	Flag      string // "over" or "under" when the share is far from everyone's
}

// confusionView is the confusion matrix of the chosen pair as a table.
type confusionView struct {
	A, B    string
	Names   []string
	Rows    []confusionRow
	Items   int
	Pairs   []string
	Measure string
	Value   string
	Reading string
}

type confusionRow struct {
	Name  string
	Cells []confusionCell
}

type confusionCell struct {
	N     int
	Class string
	Diag  bool
}

// showAgreement serves the agreement page: ?document=&annotators=&from=&to=
// filter the labels, ?a=&b= choose the pair whose confusion matrices show.
func (s *Server) showAgreement(c *gin.Context) {
	ctx := c.Request.Context()
	data := agreementPageData{Query: agreementFormValues{Annotators: map[string]bool{}, From: c.Query("from"), To: c.Query("to"), A: c.Query("a"), B: c.Query("b")}}
	var err error
	if data.AllAnnotator, err = s.store.Annotators(ctx, nil); err != nil {
		s.fail(c, err)
		return
	}
	q, err := parseAgreementQuery(c)
	if err == nil {
		err = s.findDocument(c, &q.Filter, &data)
	}
	if err == nil {
		data.Documents, err = s.store.DocumentsByID(ctx, q.Filter.Documents)
	}
	if err == nil {
		for _, a := range q.Filter.Annotators {
			data.Query.Annotators[a] = true
		}
		data.Report, err = s.agreementFirst(c, q, &data)
	}
	if err != nil {
		if annotate.ErrorCode(err) != annotate.EINVALID {
			s.fail(c, err)
			return
		}
		// The documents already chosen stay chosen on the form.
		if data.Documents == nil && len(q.Filter.Documents) > 0 {
			if docs, derr := s.store.DocumentsByID(ctx, q.Filter.Documents); derr == nil {
				data.Documents = docs
			}
		}
		s.render(c, http.StatusBadRequest, "agreement", Page{Error: annotate.ErrorMessage(err) + ". Change the filter and apply it again.", Data: data})
		return
	}
	a, b := pickPair(data.Report, data.Query.A, data.Query.B)
	data.Query.A, data.Query.B = a, b
	conf := map[string]*agreement.Matrix{}
	if a != "" && b != "" {
		if conf, err = s.store.Confusions(ctx, q.Filter, a, b); err != nil {
			s.fail(c, err)
			return
		}
	}
	sc, err := s.store.Schema(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	trained, err := s.store.LatestModelRuns(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	for i := range data.Report.Dimensions {
		d := &data.Report.Dimensions[i]
		dim, _ := sc.Dimension(d.Name)
		v := viewDimension(d, dim, conf[d.Name], q.Options)
		v.Models = modelsOf(data.Report, d.Name)
		if r, ok := trained[d.Name]; ok {
			v.Trained = &r
		}
		data.Dims = append(data.Dims, v)
	}
	rel, err := s.reliability(ctx, sc)
	if err != nil {
		s.fail(c, err)
		return
	}
	for i := range data.Dims {
		data.Dims[i].Reliability = rel[data.Dims[i].Name]
	}
	s.render(c, http.StatusOK, "agreement", data)
}

// pickPair returns the pair of annotators to compare: the one asked for
// when both have labels, else the pair with the most shared items.
func pickPair(rep *annotate.AgreementReport, a, b string) (string, string) {
	if slices.Contains(rep.Annotators, a) && slices.Contains(rep.Annotators, b) && a != b {
		return a, b
	}
	best, ba, bb := -1, "", ""
	for _, d := range rep.Dimensions {
		for _, p := range d.Report.Pairwise.Pairs {
			if p.Items > best {
				best, ba, bb = p.Items, p.A, p.B
			}
		}
	}
	return ba, bb
}

// agreementFirst returns the report the agreement page shows first: the
// whole report when it is in memory, or when the request asks for the
// intervals (intervals=1, as the page's script does); otherwise the point
// estimates alone, which cost a fraction of the bootstrap, with the URL
// the page's script fetches the intervals from.
func (s *Server) agreementFirst(c *gin.Context, q agreementQuery, data *agreementPageData) (*annotate.AgreementReport, error) {
	ctx := c.Request.Context()
	if q.Options.Bootstrap == 0 || c.Query("intervals") == "1" {
		return s.store.Agreement(ctx, q.Filter, q.Options)
	}
	if rep, ok, err := s.store.AgreementReady(ctx, q.Filter, q.Options); err != nil || ok {
		return rep, err
	}
	point := q.Options
	point.Bootstrap = 0
	u := *c.Request.URL
	v := u.Query()
	v.Set("intervals", "1")
	u.RawQuery = v.Encode()
	data.IntervalsURL = u.RequestURI()
	return s.store.Agreement(ctx, q.Filter, point)
}

func viewDimension(d *annotate.DimensionAgreement, dim *annotate.Dimension, m *agreement.Matrix, opt agreement.Options) agreementDimView {
	v := agreementDimView{DimensionAgreement: *d, Level: fmt.Sprintf("%g%%", math.Round(levelOf(opt)*1000)/10)}
	r := &d.Report
	add := func(name string, m agreement.Metric, kappa, plot bool) {
		row := metricRow{Name: name, Value: annotate.FormatMetric(m.Float())}
		switch {
		case !m.Defined():
			row.Reading = m.Reason
		case kappa:
			row.Reading = agreement.InterpretKappa(m.Float())
		case plot:
			row.Reading = agreement.Interpret(m.Float())
		}
		if m.CI != nil {
			row.CI = annotate.FormatMetric(m.CI.Lower) + " to " + annotate.FormatMetric(m.CI.Upper)
		}
		if plot && m.Defined() {
			row.Plot = newCIPlot(name, m)
		}
		v.Metrics = append(v.Metrics, row)
	}
	add("Observed agreement", r.ObservedAgreement, false, false)
	if r.Kind == "multi" {
		add("Krippendorff's α (MASI)", r.AlphaMASI, false, true)
		add("Krippendorff's α (Jaccard)", r.AlphaJaccard, false, true)
		add("Krippendorff's α (exact sets)", r.AlphaNominal, false, true)
	} else {
		add("Krippendorff's α (nominal)", r.AlphaNominal, false, true)
		if r.Ordered {
			add("Krippendorff's α (ordinal)", r.AlphaOrdinal, false, true)
			add("Krippendorff's α (interval)", r.AlphaInterval, false, true)
		}
		add("Fleiss' κ", r.FleissKappa, true, false)
		add("Light's κ (mean pairwise Cohen)", r.LightKappa, true, false)
	}
	if len(r.Pairwise.Annotators) >= 2 {
		v.Heatmap = newHeatmap(d.Name, &r.Pairwise)
	}
	v.Use = labelUse(r, dim)
	if m != nil && m.Items > 0 {
		v.Confusion = newConfusion(m, dim, r)
	}
	for _, g := range d.Gold {
		v.HasGold = v.HasGold || g.Items > 0
		row := goldRow{GoldAgreement: g}
		if g.Accuracy != nil {
			row.Width = math.Round(*g.Accuracy*1000) / 10
		}
		v.GoldRows = append(v.GoldRows, row)
	}
	return v
}

func levelOf(opt agreement.Options) float64 {
	if opt.Level > 0 && opt.Level < 1 {
		return opt.Level
	}
	return agreement.DefaultLevel
}

// plotX maps a coefficient to the 0–100 width of a ciPlot, clamping below 0.
func plotX(v float64) float64 { return math.Round(math.Max(0, math.Min(1, v))*1000) / 10 }

func newCIPlot(name string, m agreement.Metric) *ciPlot {
	p := &ciPlot{X: plotX(m.Float()), Below: m.Float() < 0, Mark1: plotX(0.667), Mark2: plotX(0.8)}
	p.Title = fmt.Sprintf("%s = %s", name, annotate.FormatMetric(m.Float()))
	if m.CI != nil {
		p.HasCI, p.Lo, p.Hi = true, plotX(m.CI.Lower), plotX(m.CI.Upper)
		p.Title += fmt.Sprintf(", interval %s to %s", annotate.FormatMetric(m.CI.Lower), annotate.FormatMetric(m.CI.Upper))
	}
	p.Title += "; marks at .667 and .800"
	return p
}

// heatBin returns the colour class of a coefficient: ten steps of 0.2 from
// −1 to 1.
func heatBin(v float64) string {
	i := int(math.Floor((v + 1) / 0.2))
	i = max(0, min(9, i))
	return "h" + strconv.Itoa(i)
}

const (
	heatCellSize = 56
	heatLeft     = 120
	heatTop      = 40
)

func shortName(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func newHeatmap(id string, p *agreement.Pairwise) *heatmap {
	n := len(p.Annotators)
	h := &heatmap{ID: id, Measure: measureName(p.Measure)}
	size := heatCellSize
	h.Width = heatLeft + n*size + 10
	h.LegendY = heatTop + n*size + 24
	h.Height = h.LegendY + 44
	if h.Width < 10*30+40 {
		h.Width = 10*30 + 40
	}
	for i, name := range p.Annotators {
		h.Names = append(h.Names,
			heatName{X: heatLeft - 8, Y: heatTop + i*size + size/2 + 5, Text: shortName(name, 14), Full: name, Anchor: "end"},
			heatName{X: heatLeft + i*size + size/2, Y: heatTop - 10, Text: shortName(name, 7), Full: name, Anchor: "middle"})
	}
	for i := range n {
		for j := range n {
			c := heatCell{X: heatLeft + j*size, Y: heatTop + i*size, Size: size - 2, TX: heatLeft + j*size + size/2 - 1, TY: heatTop + i*size + size/2 + 4}
			a, b := p.Annotators[i], p.Annotators[j]
			switch v := p.Values[i][j]; {
			case i == j:
				c.Diagonal, c.Title = true, a
			case v == nil:
				c.Null = true
				c.Text = "n/a"
				c.Title = fmt.Sprintf("%s × %s: undefined (%d shared items)", a, b, p.Shared[i][j])
			default:
				c.Class = heatBin(*v)
				c.Text = shortValue(*v)
				c.Title = fmt.Sprintf("%s × %s: %s = %s over %d shared items", a, b, h.Measure, annotate.FormatMetric(*v), p.Shared[i][j])
			}
			h.Cells = append(h.Cells, c)
		}
	}
	for i := range 10 {
		step := legendStep{X: 20 + i*30, W: 30, Class: "h" + strconv.Itoa(i)}
		if i%5 == 0 {
			step.Label = strconv.FormatFloat(-1+float64(i)*0.2, 'f', 0, 64)
			step.LX = step.X
		}
		h.Legend = append(h.Legend, step)
	}
	return h
}

// shortValue writes a coefficient in the few characters a heatmap cell
// holds: ".77", "−.07", "1.00".
func shortValue(v float64) string {
	t := strconv.FormatFloat(v, 'f', 2, 64)
	t = strings.Replace(t, "0.", ".", 1)
	return strings.Replace(t, "-", "−", 1)
}

func measureName(m string) string {
	if m == "alpha_masi" {
		return "MASI α"
	}
	return "Cohen's κ"
}

// labelUse lays out how often each annotator used each category. A share
// 15 points or more away from everyone's is flagged.
func labelUse(r *agreement.Report, dim *annotate.Dimension) []useCategory {
	var out []useCategory
	for ci, cat := range r.Categories {
		if r.PerCategory[ci].Count == 0 {
			continue
		}
		uc := useCategory{Name: cat, Class: "c6", Mean: math.Round(r.PerCategory[ci].Proportion*1000) / 10}
		if dim != nil {
			uc.Class, uc.Name, uc.Title = optionClass(dim, cat)
		}
		uc.Overall = fmt.Sprintf("%.0f%%", 100*r.PerCategory[ci].Proportion)
		for _, ad := range r.Distribution {
			row := useRow{Annotator: ad.Annotator, Count: ad.Counts[ci], Units: ad.Units, Width: math.Round(ad.Proportions[ci]*1000) / 10, Percent: fmt.Sprintf("%.0f%%", 100*ad.Proportions[ci])}
			if ad.Units > 0 {
				switch diff := ad.Proportions[ci] - r.PerCategory[ci].Proportion; {
				case diff >= 0.15:
					row.Flag = "over"
				case diff <= -0.15:
					row.Flag = "under"
				}
			}
			uc.Rows = append(uc.Rows, row)
		}
		out = append(out, uc)
	}
	return out
}

func newConfusion(m *agreement.Matrix, dim *annotate.Dimension, r *agreement.Report) *confusionView {
	cv := &confusionView{A: m.A, B: m.B, Items: m.Items, Measure: measureName(r.Pairwise.Measure)}
	// Keep the categories either annotator used.
	var keep []int
	peak := 0
	for i := range m.Categories {
		used := false
		for j := range m.Categories {
			used = used || m.Counts[i][j] > 0 || m.Counts[j][i] > 0
			peak = max(peak, m.Counts[i][j])
		}
		if used {
			keep = append(keep, i)
		}
	}
	name := func(k string) string {
		if dim == nil {
			return k
		}
		_, n, _ := optionClass(dim, k)
		return n
	}
	for _, i := range keep {
		cv.Names = append(cv.Names, name(m.Categories[i]))
		row := confusionRow{Name: name(m.Categories[i])}
		for _, j := range keep {
			n := m.Counts[i][j]
			cell := confusionCell{N: n, Diag: i == j, Class: "q0"}
			if n > 0 && peak > 0 {
				cell.Class = "q" + strconv.Itoa(1+4*n/(peak+1))
			}
			row.Cells = append(row.Cells, cell)
		}
		cv.Rows = append(cv.Rows, row)
	}
	for _, p := range r.Pairwise.Pairs {
		if p.A == m.A && p.B == m.B || p.A == m.B && p.B == m.A {
			cv.Value = annotate.FormatMetric(p.Value.Float())
			switch {
			case p.Value.Defined() && r.Pairwise.Measure == "alpha_masi":
				cv.Reading = agreement.Interpret(p.Value.Float())
			case p.Value.Defined():
				cv.Reading = agreement.InterpretKappa(p.Value.Float())
			default:
				cv.Reading = p.Value.Reason
			}
		}
	}
	return cv
}

// findDocument adds to the filter the document that ?find= names, for
// browsers without scripts (the page's script turns the box into a
// type-ahead over the documents API, which adds documents by id): its file
// name or title exactly, ignoring case, or the one document whose file
// name or title contains the text. Anything else is a clear error that
// says which documents match, without reading more than a page of them.
func (s *Server) findDocument(c *gin.Context, f *annotate.AgreementFilter, data *agreementPageData) error {
	text := strings.TrimSpace(c.Query("find"))
	if text == "" {
		return nil
	}
	data.Query.Find = text
	page, err := s.store.DocumentPage(c.Request.Context(), 0, annotate.DocumentQuery{Limit: findDocumentLimit, Search: text})
	if err != nil {
		return err
	}
	var pick []annotate.DocumentProgress
	for _, d := range page.Documents {
		if strings.EqualFold(d.Key, text) || strings.EqualFold(d.Title, text) {
			pick = append(pick, d)
		}
	}
	if len(pick) == 0 && len(page.Documents) == 1 {
		pick = page.Documents
	}
	switch {
	case len(pick) == 1:
		f.Documents = append(f.Documents, pick[0].ID)
		data.Query.Find = ""
		return nil
	case len(page.Documents) == 0:
		return annotate.Invalidf("find", "no document's title or file name contains %q", text)
	}
	var names []string
	for _, d := range page.Documents[:min(5, len(page.Documents))] {
		names = append(names, docName(d.Document))
	}
	more := ""
	if len(page.Documents) > 5 || page.Next != 0 {
		more = ", …"
	}
	return annotate.Invalidf("find", "%q matches several documents (%s%s); type more of the title or the file name", text, strings.Join(names, "; "), more)
}

// findDocumentLimit is how many matches findDocument reads to decide.
const findDocumentLimit = 20

// docName is how a document is named on a page: its title, else its key.
func docName(d annotate.Document) string {
	if d.Title != "" {
		return d.Title
	}
	return d.Key
}
