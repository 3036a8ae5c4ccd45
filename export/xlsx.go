package export

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"concord/agreement"
	"concord/annotate"
)

// Sheet names.
const (
	SheetParagraphs  = "Paragraphs"
	SheetAnnotations = "Annotations"
	SheetAgreement   = "Agreement"
	SheetSchema      = "Schema"
	SheetAbout       = "About"
)

// Column headers of the Paragraphs sheet that the gold import reads.
const (
	colParagraphID  = "paragraph_id"
	colID           = "id"
	colText         = "text"
	colGoldSource   = "gold_source"
	colTextHash     = "text_sha256"
	colGoldVersion  = "gold_version"
	colExportedGold = "exported_gold"
	goldPrefix      = "gold: "
	supportPrefix   = "support: "
	consensusPrefix = "consensus: "
	confPrefix      = "consensus_confidence: "
	methodPrefix    = "consensus_method: "
)

// MultiSeparator joins the values of a multi dimension in one Excel cell.
const MultiSeparator = ", "

// truncMarker ends a cell cut at Excel's limit.
const truncMarker = " …[cut: the full text is in the JSONL export]"

// styles are the cell styles the workbook uses.
type styles struct {
	header, wrap, hidden, title int
}

func newStyles(f *excelize.File) (styles, error) {
	var s styles
	var err error
	border := []excelize.Border{{Type: "bottom", Color: "7F7F7F", Style: 1}}
	if s.header, err = f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true, Color: "FFFFFF"},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"2F5597"}},
		Border:    border,
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
	}); err != nil {
		return s, err
	}
	if s.wrap, err = f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}); err != nil {
		return s, err
	}
	if s.hidden, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Color: "808080"}}); err != nil {
		return s, err
	}
	s.title, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 13}})
	return s, err
}

// column is one column of a streamed sheet.
type column struct {
	header string
	width  float64
	wrap   bool
	hidden bool
	// list, when set, is the range a drop-down takes its values from;
	// strict refuses other values.
	list   string
	strict bool
}

// sheetStream writes rows to a sheet and goes on in "Name (2)", "Name (3)"
// and so on when a sheet is full, repeating the header.
type sheetStream struct {
	f     *excelize.File
	base  string
	cols  []column
	st    styles
	max   int
	part  int
	name  string
	sw    *excelize.StreamWriter
	row   int
	names []string
	// dims, when set, gets each sheet's range as it is closed.
	dims map[string]string
}

func (s *sheetStream) open() error {
	s.part++
	s.name = s.base
	if s.part > 1 {
		s.name = fmt.Sprintf("%s (%d)", s.base, s.part)
		if _, err := s.f.NewSheet(s.name); err != nil {
			return err
		}
	}
	s.names = append(s.names, s.name)
	sw, err := s.f.NewStreamWriter(s.name)
	if err != nil {
		return err
	}
	s.sw = sw
	for i, c := range s.cols {
		if err := sw.SetColWidth(i+1, i+1, c.width); err != nil {
			return err
		}
		if c.wrap {
			if err := sw.SetColStyle(i+1, i+1, s.st.wrap); err != nil {
				return err
			}
		}
		if c.hidden {
			if err := sw.SetColVisible(i+1, i+1, false); err != nil {
				return err
			}
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	head := make([]any, len(s.cols))
	for i, c := range s.cols {
		head[i] = excelize.Cell{StyleID: s.st.header, Value: c.header}
	}
	s.row = 1
	return sw.SetRow("A1", xlsxRow(head), excelize.RowOpts{StyleID: s.st.header, Height: 30})
}

// add writes one row, opening the next sheet when this one is full.
func (s *sheetStream) add(values []any) error {
	if s.sw == nil || s.row >= s.max {
		if err := s.close(); err != nil {
			return err
		}
		if err := s.open(); err != nil {
			return err
		}
	}
	s.row++
	cell, err := excelize.CoordinatesToCellName(1, s.row)
	if err != nil {
		return err
	}
	return s.sw.SetRow(cell, xlsxRow(values))
}

// close adds the autofilter and drop-downs over the rows written and
// flushes the sheet.
func (s *sheetStream) close() error {
	if s.sw == nil {
		return nil
	}
	last, err := excelize.CoordinatesToCellName(len(s.cols), max(s.row, 2))
	if err != nil {
		return err
	}
	if err := s.f.AutoFilter(s.name, "A1:"+last, nil); err != nil {
		return err
	}
	if s.row > 1 {
		for i, c := range s.cols {
			if c.list == "" {
				continue
			}
			col, _ := excelize.ColumnNumberToName(i + 1)
			dv := excelize.NewDataValidation(true)
			dv.Sqref = fmt.Sprintf("%s2:%s%d", col, col, s.row)
			dv.SetSqrefDropList(c.list)
			dv.ShowErrorMessage = c.strict
			if c.strict {
				dv.SetError(excelize.DataValidationErrorStyleStop, "Not an option", "Pick one of the options of this dimension (the Schema sheet lists them).")
			}
			if err := s.f.AddDataValidation(s.name, dv); err != nil {
				return err
			}
		}
	}
	if s.dims != nil {
		s.dims[s.name] = dimRef(len(s.cols), s.row)
	}
	err = s.sw.Flush()
	s.sw = nil
	return err
}

// xlsxWriter holds what writing one workbook needs.
type xlsxWriter struct {
	*plan
	f         *excelize.File
	st        styles
	truncated map[string]int64
	// agreement units per dimension, until there are too many.
	units     map[string][]agreement.Unit
	nUnits    int
	unitsFull bool
	// ranges holds each sheet's range, for fixZip.
	ranges map[string]string
}

// text returns s as a cell value, cut with a visible marker when it is
// longer than Excel allows, and counts the cut in column's name.
func (x *xlsxWriter) text(column, s string) any {
	if len(s) <= x.opt.MaxCellChars/5 || cellLen(s) <= x.opt.MaxCellChars {
		return s
	}
	x.truncated[column]++
	x.stats.Truncated++
	keep := x.opt.MaxCellChars - utf16Len(truncMarker)
	n, i := 0, 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		w := utf16.RuneLen(r)
		if w < 0 {
			w = 1
		}
		if escapeRune(s, i, r) {
			w = 5
		}
		if n+w > keep {
			break
		}
		n += w
		i += size
	}
	return s[:i] + truncMarker
}

// cellLen is the length of s as excelize counts it against the cell limit:
// UTF-16 units, with a character xlsxString escapes counting five.
func cellLen(s string) int {
	n := utf16Len(s)
	if !needsEscape(s) {
		return n
	}
	for i, r := range s {
		if escapeRune(s, i, r) {
			n += 4
		}
	}
	return n
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// cellValue joins a dimension's values for one cell.
func cellValue(vs []string) string { return strings.Join(vs, MultiSeparator) }

func (p *plan) writeXLSX(ctx context.Context, w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	x := &xlsxWriter{plan: p, f: f, truncated: map[string]int64{}, units: map[string][]agreement.Unit{}, ranges: map[string]string{}}
	var err error
	if x.st, err = newStyles(f); err != nil {
		return err
	}
	if err := f.SetSheetName("Sheet1", SheetParagraphs); err != nil {
		return err
	}
	// Continuation sheets are added as the streams fill, after the first
	// two; the small sheets come last. Sheets are never moved: excelize
	// cannot move sheets once a stream has been flushed.
	if _, err := f.NewSheet(SheetAnnotations); err != nil {
		return err
	}
	if _, err := f.NewSheet(SheetSuggestions); err != nil {
		return err
	}
	lists := x.schemaLists()
	annotators, err := p.store.Annotators(ctx, p.opt.Annotators)
	if err != nil {
		return err
	}
	paras := &sheetStream{f: f, base: SheetParagraphs, st: x.st, max: p.opt.MaxRows, cols: x.paragraphColumns(annotators, lists), dims: x.ranges}
	anns := &sheetStream{f: f, base: SheetAnnotations, st: x.st, max: p.opt.MaxRows, dims: x.ranges, cols: []column{
		{header: colParagraphID, width: 12}, {header: colID, width: 24}, {header: "annotator", width: 16},
		{header: "dimension", width: 14}, {header: "value", width: 28}, {header: "time", width: 21},
	}}
	if err := paras.open(); err != nil {
		return err
	}
	if err := anns.open(); err != nil {
		return err
	}
	sugs := x.suggestionStream()
	if err := sugs.open(); err != nil {
		return err
	}
	col := map[string]int{}
	for i, a := range annotators {
		col[a] = i
	}
	nd := len(p.dims)
	row := make([]any, len(paras.cols))
	arow := make([]any, 6)
	err = p.each(ctx, func(it *Item) error {
		r := it.Record
		clear(row)
		id := it.ID()
		row[0], row[1], row[2], row[3], row[4] = r.Paragraph.ID, id, x.text("document_key", r.Document.Key), x.text("title", r.Document.Title), r.Paragraph.Position
		row[5] = it.Split
		row[6] = x.text(colText, r.Paragraph.Text)
		row[7] = it.Source
		for i, d := range p.dims {
			if vs := it.Gold[d.Name]; len(vs) > 0 {
				row[8+i] = x.text(goldPrefix+d.Name, cellValue(vs))
			}
			if v, ok := it.Support[d.Name]; ok {
				row[8+nd+i] = roundRatio(v)
			}
			if c, ok := it.Consensus[d.Name]; ok {
				if !c.Tie {
					row[8+2*nd+i] = x.text(consensusPrefix+d.Name, cellValue(c.Values))
				}
				row[8+3*nd+i] = roundRatio(c.Confidence)
				row[8+4*nd+i] = c.Method
			}
		}
		base := 8 + 5*nd
		for _, a := range r.Annotations {
			c, ok := col[a.UserName]
			if !ok {
				continue
			}
			for i, d := range p.dims {
				if vs := a.Labels[d.Name]; len(vs) > 0 {
					row[base+c*nd+i] = x.text(a.UserName+": "+d.Name, cellValue(vs))
				}
				x.addUnit(d, id, a.UserName, a.Labels[d.Name])
			}
			for _, d := range p.dims {
				vs := a.Labels[d.Name]
				if len(vs) == 0 {
					continue
				}
				arow[0], arow[1], arow[2], arow[3], arow[4], arow[5] = r.Paragraph.ID, id, a.UserName, d.Name, x.text("value", cellValue(vs)), a.UpdatedAt.UTC().Format(time.RFC3339)
				if err := anns.add(arow); err != nil {
					return err
				}
			}
		}
		if err := x.addSuggestions(sugs, it); err != nil {
			return err
		}
		base += len(annotators) * nd
		row[base] = strings.Join(it.Flags, MultiSeparator)
		row[base+1] = r.Paragraph.Hash
		version := 0
		if r.Gold != nil {
			version = r.Gold.Version
		}
		row[base+2] = version
		row[base+3] = x.exportedGold(it)
		return paras.add(row)
	})
	if err != nil {
		return err
	}
	if err := paras.close(); err != nil {
		return err
	}
	if err := anns.close(); err != nil {
		return err
	}
	if err := sugs.close(); err != nil {
		return err
	}
	for _, name := range []string{SheetAgreement, SheetSchema, SheetAbout} {
		if _, err := f.NewSheet(name); err != nil {
			return err
		}
	}
	if err := x.writeAgreement(); err != nil {
		return err
	}
	if err := x.writeSchema(); err != nil {
		return err
	}
	if err := x.writeAbout(paras.cols, annotators); err != nil {
		return err
	}
	p.stats.Sheets = f.GetSheetList()
	p.finish()
	return writeFixed(f, w, x.ranges)
}

func roundRatio(v float64) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 4, 64), 64)
	return f
}

// exportedGold is the gold label as written, kept in a hidden column so that
// the gold import can tell the cells a reviewer changed.
func (x *xlsxWriter) exportedGold(it *Item) string {
	enc := &lineEncoder{dims: x.dims}
	return string(enc.appendLabels(nil, it.Gold))
}

func (x *xlsxWriter) paragraphColumns(annotators []string, lists map[string]string) []column {
	cols := []column{
		{header: colParagraphID, width: 12}, {header: colID, width: 22}, {header: "document_key", width: 20},
		{header: "title", width: 28, wrap: true}, {header: "position", width: 9}, {header: "split", width: 8},
		{header: colText, width: 80, wrap: true}, {header: colGoldSource, width: 13, list: `"adjudicated,majority,single,tie,consensus"`, strict: true},
	}
	for _, d := range x.dims {
		cols = append(cols, column{header: goldPrefix + d.Name, width: 22, list: lists[d.Name], strict: d.Kind == annotate.KindSingle})
	}
	for _, d := range x.dims {
		cols = append(cols, column{header: supportPrefix + d.Name, width: 11})
	}
	for _, prefix := range []string{consensusPrefix, confPrefix, methodPrefix} {
		for _, d := range x.dims {
			cols = append(cols, column{header: prefix + d.Name, width: 14})
		}
	}
	for _, a := range annotators {
		for _, d := range x.dims {
			cols = append(cols, column{header: a + ": " + d.Name, width: 18})
		}
	}
	return append(cols,
		column{header: "flags", width: 14},
		column{header: colTextHash, width: 12, hidden: true},
		column{header: colGoldVersion, width: 8, hidden: true},
		column{header: colExportedGold, width: 12, hidden: true},
	)
}

// addUnit keeps one label for the Agreement sheet while there is room.
func (x *xlsxWriter) addUnit(d annotate.Dimension, item, annotator string, vs []string) {
	if x.unitsFull {
		return
	}
	if d.Kind != annotate.KindMulti && len(vs) != 1 {
		return
	}
	if x.nUnits >= x.opt.AgreementMaxLabels {
		x.unitsFull = true
		x.units = nil
		return
	}
	x.nUnits++
	x.units[d.Name] = append(x.units[d.Name], agreement.Unit{Item: item, Annotator: annotator, Values: vs})
}

// schemaLists returns, per dimension, the range of the Schema sheet that
// holds its option keys, for the gold drop-downs; writeSchema writes them
// there.
func (x *xlsxWriter) schemaLists() map[string]string {
	lists := map[string]string{}
	row := 1
	for _, d := range x.dims {
		if len(d.Options) == 0 {
			row++
			continue
		}
		lists[d.Name] = fmt.Sprintf("%s!$C$%d:$C$%d", SheetSchema, row+1, row+len(d.Options))
		row += len(d.Options)
	}
	return lists
}

// writeSchema writes the label legend.
func (x *xlsxWriter) writeSchema() error {
	ss := &sheetStream{f: x.f, base: SheetSchema, st: x.st, max: MaxExcelRows, dims: x.ranges, cols: []column{
		{header: "dimension", width: 14}, {header: "kind", width: 8}, {header: "key", width: 26}, {header: "name", width: 36, wrap: true},
		{header: "hotkey", width: 8}, {header: "guideline", width: 70, wrap: true}, {header: "required", width: 9}, {header: "description", width: 50, wrap: true},
	}}
	if err := ss.open(); err != nil {
		return err
	}
	for _, d := range x.dims {
		for _, o := range d.Options {
			if err := ss.add([]any{d.Name, string(d.Kind), o.Key, o.Name, o.Hotkey, o.Guideline, d.Required, d.Description}); err != nil {
				return err
			}
		}
		if len(d.Options) == 0 {
			if err := ss.add([]any{d.Name, string(d.Kind), "", "(any value)", "", "", d.Required, d.Description}); err != nil {
				return err
			}
		}
	}
	return ss.close()
}

// writeAgreement writes each dimension's agreement: the coefficients, the
// agreement per category and between each pair of annotators.
func (x *xlsxWriter) writeAgreement() error {
	sw, err := x.f.NewStreamWriter(SheetAgreement)
	if err != nil {
		return err
	}
	for i, w := range []float64{26, 14, 14, 14, 14, 14, 14} {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return err
		}
	}
	// last is the last row written: the blank row after a dimension is
	// not part of the range.
	row, last, cols := 0, 0, 0
	defer func() { x.ranges[SheetAgreement] = dimRef(cols, last) }()
	put := func(style int, values ...any) error {
		row++
		last, cols = row, max(cols, len(values))
		cell, _ := excelize.CoordinatesToCellName(1, row)
		if style != 0 {
			for i, v := range values {
				values[i] = excelize.Cell{StyleID: style, Value: v}
			}
		}
		return sw.SetRow(cell, xlsxRow(values))
	}
	if x.unitsFull {
		if err := put(x.st.title, "Agreement"); err != nil {
			return err
		}
		if err := put(0, fmt.Sprintf("This export holds more than %d labels, too many to compute agreement here; see the agreement page or run 'concord agreement'.", x.opt.AgreementMaxLabels)); err != nil {
			return err
		}
		return sw.Flush()
	}
	metric := func(m agreement.Metric) any {
		if m.Value == nil {
			if m.Reason != "" {
				return "undefined: " + m.Reason
			}
			return ""
		}
		return roundRatio(*m.Value)
	}
	ci := func(m agreement.Metric) (any, any) {
		if m.CI == nil {
			return "", ""
		}
		return roundRatio(m.CI.Lower), roundRatio(m.CI.Upper)
	}
	for _, d := range x.dims {
		rep := agreement.Compute(agreement.Dataset{Units: x.units[d.Name], Categories: d.Keys(), Ordered: d.Ordered, Multi: d.Kind == annotate.KindMulti}, agreement.Options{Bootstrap: 200, Seed: 1})
		alpha, alphaName := rep.AlphaNominal, "Krippendorff's alpha (nominal)"
		if d.Kind == annotate.KindMulti {
			alpha, alphaName = rep.AlphaMASI, "Krippendorff's alpha (MASI)"
		} else if d.Ordered {
			alpha, alphaName = rep.AlphaOrdinal, "Krippendorff's alpha (ordinal)"
		}
		lo, hi := ci(alpha)
		rows := [][]any{
			{"items", rep.Items}, {"annotators", rep.Annotators}, {"labels", rep.Units}, {"items with two or more annotators", rep.PairableItems},
			{"observed agreement", metric(rep.ObservedAgreement)},
			{alphaName, metric(alpha), "95% interval", lo, hi},
			{"Fleiss' kappa", metric(rep.FleissKappa)}, {"Light's kappa (mean pairwise Cohen)", metric(rep.LightKappa)},
		}
		if err := put(x.st.title, fmt.Sprintf("%s (%s)", d.Name, d.Kind)); err != nil {
			return err
		}
		for _, r := range rows {
			if err := put(0, r...); err != nil {
				return err
			}
		}
		if len(rep.PerCategory) > 0 {
			if err := put(x.st.header, "category", "count", "share", "alpha", "Fleiss' kappa", "Light's kappa"); err != nil {
				return err
			}
			for _, c := range rep.PerCategory {
				if err := put(0, c.Category, c.Count, roundRatio(c.Proportion), metric(c.Alpha), metric(c.FleissKappa), metric(c.LightKappa)); err != nil {
					return err
				}
			}
		}
		if len(rep.Pairwise.Pairs) > 0 {
			if err := put(x.st.header, "annotator A", "annotator B", "shared items", "observed agreement", rep.Pairwise.Measure); err != nil {
				return err
			}
			for _, pr := range rep.Pairwise.Pairs {
				if err := put(0, pr.A, pr.B, pr.Items, metric(pr.ObservedAgreement), metric(pr.Value)); err != nil {
					return err
				}
			}
		}
		row++ // a blank line between dimensions
	}
	return sw.Flush()
}

// writeAbout explains every column, the filters and what was cut.
func (x *xlsxWriter) writeAbout(cols []column, annotators []string) error {
	sw, err := x.f.NewStreamWriter(SheetAbout)
	if err != nil {
		return err
	}
	if err := sw.SetColWidth(1, 1, 30); err != nil {
		return err
	}
	if err := sw.SetColWidth(2, 2, 100); err != nil {
		return err
	}
	if err := sw.SetColStyle(2, 2, x.st.wrap); err != nil {
		return err
	}
	row := 0
	defer func() { x.ranges[SheetAbout] = dimRef(2, row) }()
	put := func(a, b any) error {
		row++
		cell, _ := excelize.CoordinatesToCellName(1, row)
		return sw.SetRow(cell, xlsxRow([]any{a, b}))
	}
	head := func(title string) error {
		row++
		cell, _ := excelize.CoordinatesToCellName(1, row)
		return sw.SetRow(cell, xlsxRow([]any{excelize.Cell{StyleID: x.st.title, Value: title}}))
	}
	meaning := map[string]string{
		colParagraphID:  "The paragraph's id in this Concord database. The gold import uses it: do not edit.",
		colID:           "A stable id, document key#position, the same in every database the data is imported into.",
		"document_key":  "The document's key (its file name or the id it was imported with).",
		"title":         "The document's title.",
		"position":      "The paragraph's place in its document, from 0.",
		"split":         "train, dev or test; a whole document is always in one split.",
		colText:         "The paragraph's text.",
		colGoldSource:   "adjudicated: a reviewer decided the gold label; majority: more than half of two or more annotators agree in every dimension; single: one annotator labelled the paragraph, nobody checked it; tie: the annotators have no strict majority in some dimension, so there is no gold label until a reviewer decides; consensus: no reviewer decided, and the export was asked to take the Dawid–Skene consensus as gold where it was confident enough (the import does not store it as gold unless you change the cells or set the source to adjudicated); empty: nobody labelled it. Set it to adjudicated to accept the gold cells as they are when you import the file back.",
		"flags":         "Confirmed curation flags: duplicate, boilerplate, not_relevant.",
		colTextHash:     "Hidden. The SHA-256 of the text, to check the file still matches the database.",
		colGoldVersion:  "Hidden. The version of the gold label when exported, to detect a decision made since.",
		colExportedGold: "Hidden. The gold label as exported, to tell the cells you changed.",
	}
	if err := head("Concord export"); err != nil {
		return err
	}
	sum := x.stats
	for _, kv := range [][2]any{
		{"exported at", x.opt.Now.UTC().Format(time.RFC3339)},
		{"schema version", x.schema.Version},
		{"paragraphs", sum.Paragraphs},
		{"annotators", strings.Join(annotators, ", ")},
	} {
		if err := put(kv[0], kv[1]); err != nil {
			return err
		}
	}
	reasons := make([]string, 0, len(sum.Skipped))
	for r := range sum.Skipped {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		if err := put("left out: "+r, sum.Skipped[r]); err != nil {
			return err
		}
	}
	for _, w := range sum.Warnings {
		if err := put(excelize.Cell{StyleID: x.st.title, Value: "warning"}, w); err != nil {
			return err
		}
	}
	for _, in := range sum.Includes {
		if err := put("included", in); err != nil {
			return err
		}
	}
	if err := head("How each gold label was made"); err != nil {
		return err
	}
	methods := make([]string, 0, len(x.goldMethods))
	for m := range x.goldMethods {
		methods = append(methods, m)
	}
	sort.Strings(methods)
	if len(methods) == 0 {
		if err := put("gold labels", "none in this export"); err != nil {
			return err
		}
	}
	for _, m := range methods {
		if err := put(goldMethodName(m), x.goldMethods[m]); err != nil {
			return err
		}
	}
	if err := head("Filters"); err != nil {
		return err
	}
	for _, d := range x.opt.Describe() {
		k, v, _ := strings.Cut(d, ": ")
		if err := put(k, v); err != nil {
			return err
		}
	}
	if err := head("Cells cut at Excel's limit"); err != nil {
		return err
	}
	if err := put("cells cut", sum.Truncated); err != nil {
		return err
	}
	if err := put("limit", fmt.Sprintf("An Excel cell holds at most %d characters. Longer values end with %q; the JSONL export has them whole.", x.opt.MaxCellChars, strings.TrimSpace(truncMarker))); err != nil {
		return err
	}
	names := make([]string, 0, len(x.truncated))
	for c := range x.truncated {
		names = append(names, c)
	}
	sort.Strings(names)
	for _, c := range names {
		if err := put("cut in "+c, x.truncated[c]); err != nil {
			return err
		}
	}
	if err := head("Sheets"); err != nil {
		return err
	}
	for _, kv := range [][2]string{
		{SheetParagraphs, fmt.Sprintf("One row per paragraph. A sheet holds %d rows; more paragraphs go on in %q and so on.", x.opt.MaxRows, SheetParagraphs+" (2)")},
		{SheetAnnotations, "One row per annotator, paragraph and dimension."},
		{SheetSuggestions, "One row per model suggestion: paragraph, dimension, the suggested value, the model's score from 0 to 1 and the agent (model and version). Suggestions are not labels: they count in no gold, agreement or consensus."},
		{SheetAgreement, "Agreement between the annotators in each dimension, per category and per pair of annotators."},
		{SheetSchema, "The label schema: each dimension's options with their keys, names and guidelines."},
	} {
		if err := put(kv[0], kv[1]); err != nil {
			return err
		}
	}
	if err := head("Adjudicating in Excel"); err != nil {
		return err
	}
	for _, kv := range [][2]string{
		{"gold columns", "Pick the gold value of a dimension from the drop-down. A multi dimension (" + x.multiNames() + ") takes several option keys separated by a comma, such as \"strike, terrorism\". An open dimension takes an option key or a new value."},
		{"bringing it back", "Run: concord import-labels --gold FILE.xlsx. Rows whose gold cells or gold_source you changed become gold labels (method \"excel\"). Nothing is written unless every row matches the database: same paragraph ids and texts, known labels, and no gold label decided elsewhere since the export."},
	} {
		if err := put(kv[0], kv[1]); err != nil {
			return err
		}
	}
	if err := head("Columns of " + SheetParagraphs); err != nil {
		return err
	}
	for _, c := range cols {
		m, ok := meaning[c.header]
		switch {
		case ok:
		case strings.HasPrefix(c.header, goldPrefix):
			m = "The gold value of " + strings.TrimPrefix(c.header, goldPrefix) + ": adjudicated, else the majority of the annotators."
		case strings.HasPrefix(c.header, consensusPrefix):
			m = "The Dawid–Skene consensus of " + strings.TrimPrefix(c.header, consensusPrefix) + ", which weighs each annotator by how reliable their labels show them to be; empty for a tie or an open dimension."
		case strings.HasPrefix(c.header, confPrefix):
			m = "How sure the consensus of " + strings.TrimPrefix(c.header, confPrefix) + " is: its posterior probability, from 0 to 1."
		case strings.HasPrefix(c.header, methodPrefix):
			m = "The method that made the consensus of " + strings.TrimPrefix(c.header, methodPrefix) + ": dawid-skene, or majority where the labels gave Dawid–Skene too little to learn from."
		case strings.HasPrefix(c.header, supportPrefix):
			m = "The share of annotators whose " + strings.TrimPrefix(c.header, supportPrefix) + " equals the gold value, from 0 to 1."
		default:
			who, dim, _ := strings.Cut(c.header, ": ")
			m = who + "'s value of " + dim + "."
		}
		if err := put(c.header, m); err != nil {
			return err
		}
	}
	return sw.Flush()
}

func (x *xlsxWriter) multiNames() string {
	var out []string
	for _, d := range x.dims {
		if d.Kind == annotate.KindMulti {
			out = append(out, d.Name)
		}
	}
	if len(out) == 0 {
		return "none in this export"
	}
	return strings.Join(out, ", ")
}

// decodeExportedGold reads the hidden exported_gold cell.
func decodeExportedGold(sc *annotate.Schema, s string) (annotate.Labels, error) {
	if strings.TrimSpace(s) == "" {
		return annotate.Labels{}, nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, err
	}
	out := annotate.Labels{}
	for name, msg := range raw {
		var v any
		if err := json.Unmarshal(msg, &v); err != nil {
			return nil, err
		}
		switch t := v.(type) {
		case string:
			out[name] = []string{t}
		case []any:
			for _, e := range t {
				if s, ok := e.(string); ok {
					out[name] = append(out[name], s)
				}
			}
		}
	}
	return out, nil
}

// goldMethodName says in words how a gold label was made, from a
// reviewer's method or the source of a label nobody decided.
func goldMethodName(key string) string {
	m, reviewer := strings.CutPrefix(key, reviewerKey)
	switch {
	case !reviewer && m == GoldMajority:
		return "not decided: the majority"
	case !reviewer && m == GoldSingle:
		return "not decided: a single annotator"
	case !reviewer && m == GoldConsensus:
		return "not decided: the consensus (gold from consensus)"
	case !reviewer:
		return "not decided: " + m
	case m == annotate.ConsensusMethod:
		return "reviewer accepted the consensus (" + m + ")"
	case m == "majority":
		return "reviewer accepted the majority (majority)"
	case strings.HasPrefix(m, "accept:"):
		return "reviewer accepted an annotator (" + m + ")"
	}
	return "reviewer: " + m
}
