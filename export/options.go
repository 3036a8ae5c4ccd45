package export

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"concord/annotate"
)

// Format is the file format of an export.
type Format string

// The formats.
const (
	// FormatJSONL is one JSON record per line.
	FormatJSONL Format = "jsonl"
	// FormatJSON is one JSON array of the same records: the task list Label
	// Studio uploads, and what tools that read a whole JSON file expect.
	FormatJSON Format = "json"
	FormatXLSX Format = "xlsx"
)

// Formats lists the formats.
var Formats = []string{string(FormatJSONL), string(FormatJSON), string(FormatXLSX)}

// Shape is what one JSONL line holds.
type Shape string

// The JSONL shapes.
const (
	// ShapeDataset is one line per paragraph with its gold label, every
	// annotator's labels, its flags and its split.
	ShapeDataset Shape = "dataset"
	// ShapeAnnotations is one line per annotator, paragraph and dimension.
	ShapeAnnotations Shape = "annotations"
	// ShapeLabelStudio is one Label Studio task per paragraph.
	ShapeLabelStudio Shape = "label-studio"
	// ShapeDoccano is one doccano text classification line per paragraph.
	ShapeDoccano Shape = "doccano"
)

// Shapes lists the JSONL shapes.
var Shapes = []string{string(ShapeDataset), string(ShapeAnnotations), string(ShapeLabelStudio), string(ShapeDoccano)}

// The splits a paragraph can fall in.
const (
	SplitTrain = "train"
	SplitDev   = "dev"
	SplitTest  = "test"
)

// SplitOptions says how paragraphs are divided into train, dev and test.
// Whole documents go to one split, so no document's paragraphs are in two.
type SplitOptions struct {
	// Off leaves every paragraph's split null.
	Off bool
	// Ratios are the shares of train, dev and test; they need not add up
	// to 1. Zero means 80/10/10. Each document draws its split from a hash
	// of its key, so the shares are met by documents on average (by
	// paragraphs, with Stratify).
	Ratios [3]float64
	// Seed varies the assignment; the same seed, ratios and document key
	// give the same split, in any database and whatever else it holds.
	Seed uint64
	// Stratify names a dimension whose label distribution each split should
	// follow, as far as whole documents allow; "" spreads documents at
	// random.
	Stratify string
}

// DefaultRatios are the train, dev and test shares used unless told.
var DefaultRatios = [3]float64{0.8, 0.1, 0.1}

// MaxExcelRows is the number of rows an Excel sheet holds.
const MaxExcelRows = 1048576

// MaxExcelCellChars is the most characters an Excel cell holds.
const MaxExcelCellChars = 32767

// Options says what an export writes and how.
type Options struct {
	// Format is the file format; "" means FormatJSON for the label-studio
	// shape, whose file Label Studio uploads only as a JSON task list, and
	// FormatJSONL for the others.
	Format Format
	// Shape is the shape of a JSON or JSONL record; "" means dataset. Excel
	// ignores it.
	Shape Shape
	// Dimensions keeps only these dimensions; empty keeps all.
	Dimensions []string
	// GoldOnly keeps only paragraphs with a gold label: adjudicated, or a
	// strict majority of two or more annotators in every selected
	// dimension (and an answer in every required one). A single
	// annotator's labels and ties are not gold.
	GoldOnly bool
	// SingleAsGold makes GoldOnly keep paragraphs labelled by a single
	// annotator too, with that annotator's labels as gold: for projects
	// where each paragraph gets one annotator (overlap 1). It never makes
	// them pass MinAgreement.
	SingleAsGold bool
	// MinAgreement drops paragraphs whose gold label is a majority with a
	// support below it in some selected dimension (0 to 1), and those
	// labelled by a single annotator or tied. Adjudicated paragraphs
	// always pass.
	MinAgreement float64
	// GoldFromConsensus, between 0 and 1, fills the gold label of a
	// paragraph no reviewer decided from its Dawid–Skene consensus when
	// every selected single and multi dimension has a consensus (not a
	// tie) at least this confident; such a gold label's source is
	// GoldConsensus. Zero leaves gold to reviewers and the vote.
	GoldFromConsensus float64
	// IncludeFlagged keeps paragraphs with a confirmed duplicate,
	// boilerplate or not-relevant flag, which are left out by default.
	IncludeFlagged bool
	// Annotators keeps only these annotators' labels; empty keeps all.
	Annotators []string
	// Split divides the paragraphs into train, dev and test.
	Split SplitOptions
	// Now is the export time written in the About sheet; zero means now.
	Now time.Time
	// MaxRows is the number of rows per Excel sheet before it goes on in a
	// new sheet; 0 means MaxExcelRows. Tests set it low.
	MaxRows int
	// MaxCellChars is the longest Excel cell, in UTF-16 units as Excel
	// counts; 0 means MaxExcelCellChars.
	MaxCellChars int
	// AgreementMaxLabels is the most labels the Agreement sheet computes
	// on; beyond it the sheet says so and points to the agreement page.
	// 0 means DefaultAgreementMaxLabels.
	AgreementMaxLabels int
	// Progress, when set, is called now and then with the paragraphs read
	// so far and the total.
	Progress func(done, total int64)
}

// DefaultAgreementMaxLabels bounds the memory the Agreement sheet takes.
const DefaultAgreementMaxLabels = 300000

func (o *Options) normalize() error {
	if o.Shape == "" {
		o.Shape = ShapeDataset
	}
	o.Format = o.FileFormat()
	switch o.Format {
	case FormatJSONL, FormatJSON, FormatXLSX:
	case Format(ShapeLabelStudio), Format(ShapeDoccano), Format(ShapeDataset), Format(ShapeAnnotations):
		return &annotate.Error{Code: annotate.EINVALID, Field: "format", Message: fmt.Sprintf("%q is a shape, not a format: give it as the shape (--shape %s, shape=%s); the label-studio shape is a .json task list unless the format is jsonl", o.Format, o.Format, o.Format), Allowed: Formats}
	default:
		return &annotate.Error{Code: annotate.EINVALID, Field: "format", Message: fmt.Sprintf("unknown format %q", o.Format), Allowed: Formats}
	}
	switch o.Shape {
	case ShapeDataset, ShapeAnnotations, ShapeLabelStudio, ShapeDoccano:
	default:
		return &annotate.Error{Code: annotate.EINVALID, Field: "shape", Message: fmt.Sprintf("unknown shape %q", o.Shape), Allowed: Shapes}
	}
	if o.SingleAsGold && !o.GoldOnly {
		return annotate.Invalidf("single_as_gold", "single as gold says what gold only keeps; turn gold only on too (gold_only=true, --gold-only)")
	}
	if o.MinAgreement < 0 || o.MinAgreement > 1 {
		return annotate.Invalidf("min_agreement", "min agreement must be between 0 and 1, got %g", o.MinAgreement)
	}
	if math.IsNaN(o.GoldFromConsensus) || o.GoldFromConsensus < 0 || o.GoldFromConsensus > 1 {
		return annotate.Invalidf("gold_from_consensus", "gold from consensus is the confidence the consensus must reach, between 0 and 1 (such as 0.9), got %g", o.GoldFromConsensus)
	}
	if o.Split.Ratios == [3]float64{} {
		o.Split.Ratios = DefaultRatios
	}
	var sum float64
	for _, r := range o.Split.Ratios {
		if r < 0 {
			return annotate.Invalidf("split", "split ratios cannot be negative")
		}
		sum += r
	}
	if sum == 0 {
		return annotate.Invalidf("split", "split ratios add up to 0")
	}
	if o.MaxRows <= 0 || o.MaxRows > MaxExcelRows {
		o.MaxRows = MaxExcelRows
	}
	if o.MaxRows < 2 {
		o.MaxRows = 2
	}
	if o.MaxCellChars <= 0 || o.MaxCellChars > MaxExcelCellChars {
		o.MaxCellChars = MaxExcelCellChars
	}
	if o.AgreementMaxLabels <= 0 {
		o.AgreementMaxLabels = DefaultAgreementMaxLabels
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	return nil
}

// ParseRatios reads split ratios written as "80/10/10" or "0.8,0.1,0.1",
// or "none" to turn splitting off.
func ParseRatios(s string) (SplitOptions, error) {
	var out SplitOptions
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "":
		return out, nil
	case "none", "off", "no":
		out.Off = true
		return out, nil
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == ',' || r == ':' })
	if len(parts) != 3 {
		return out, annotate.Invalidf("split", "split %q must give three shares, train/dev/test, such as 80/10/10", s)
	}
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || v < 0 {
			return out, annotate.Invalidf("split", "split share %q is not a number of at least 0", p)
		}
		out.Ratios[i] = v
	}
	if out.Ratios == [3]float64{} {
		return out, annotate.Invalidf("split", "split shares add up to 0")
	}
	return out, nil
}

// list splits a comma-separated list, dropping empty items.
func list(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ParseQuery reads export options from URL query parameters: format, shape,
// dimensions (comma-separated), gold_only, single_as_gold, min_agreement,
// include_flagged,
// annotators (comma-separated), split ("80/10/10" or "none"), seed and
// stratify. Repeated dimensions or annotators parameters add up.
func ParseQuery(q url.Values) (Options, error) {
	o := Options{Format: Format(q.Get("format")), Shape: Shape(q.Get("shape"))}
	for _, v := range q["dimensions"] {
		o.Dimensions = append(o.Dimensions, list(v)...)
	}
	for _, v := range q["annotators"] {
		o.Annotators = append(o.Annotators, list(v)...)
	}
	var err error
	if o.GoldOnly, err = parseBool(q, "gold_only"); err != nil {
		return o, err
	}
	if o.SingleAsGold, err = parseBool(q, "single_as_gold"); err != nil {
		return o, err
	}
	if o.IncludeFlagged, err = parseBool(q, "include_flagged"); err != nil {
		return o, err
	}
	if v := q.Get("min_agreement"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return o, annotate.Invalidf("min_agreement", "min_agreement %q is not a number between 0 and 1", v)
		}
		o.MinAgreement = f
	}
	if v := q.Get("gold_from_consensus"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return o, annotate.Invalidf("gold_from_consensus", "gold_from_consensus %q is not a number between 0 and 1, such as 0.9", v)
		}
		o.GoldFromConsensus = f
	}
	if o.Split, err = ParseRatios(q.Get("split")); err != nil {
		return o, err
	}
	if v := q.Get("seed"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return o, annotate.Invalidf("seed", "seed %q is not a whole number of at least 0", v)
		}
		o.Split.Seed = n
	}
	o.Split.Stratify = q.Get("stratify")
	return o, o.normalize()
}

func parseBool(q url.Values, name string) (bool, error) {
	v := q.Get(name)
	switch strings.ToLower(v) {
	case "", "0", "false", "no", "off":
		return false, nil
	case "1", "true", "yes", "on":
		return true, nil
	}
	return false, &annotate.Error{Code: annotate.EINVALID, Field: name, Message: fmt.Sprintf("%s %q is not a yes/no value", name, v), Allowed: []string{"true", "false"}}
}

// FileFormat returns the format the options write: Format, or when it is
// empty the shape's default (FormatJSON for label-studio, else FormatJSONL).
func (o Options) FileFormat() Format {
	switch {
	case o.Format != "":
		return o.Format
	case o.Shape == ShapeLabelStudio:
		return FormatJSON
	}
	return FormatJSONL
}

// Extension returns the file name extension for the options' format.
func (o Options) Extension() string {
	switch o.FileFormat() {
	case FormatXLSX:
		return ".xlsx"
	case FormatJSON:
		return ".json"
	}
	return ".jsonl"
}

// FileName returns a download name such as concord-dataset-2026-11-22.jsonl.
func (o Options) FileName(day time.Time) string {
	what := string(o.Shape)
	if what == "" {
		what = string(ShapeDataset)
	}
	if o.FileFormat() == FormatXLSX {
		what = "review"
	}
	return "concord-" + what + "-" + day.Format("2006-01-02") + o.Extension()
}

// ContentType returns the MIME type of the options' format.
func (o Options) ContentType() string {
	switch o.FileFormat() {
	case FormatXLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case FormatJSON:
		return "application/json; charset=utf-8"
	}
	return "application/x-ndjson; charset=utf-8"
}

// Includes says in words what the gold-only and minimum agreement filters
// keep, when they are on: for the About sheet and the command's summary.
func (o Options) Includes() []string {
	var out []string
	switch {
	case o.GoldOnly && o.SingleAsGold:
		out = append(out, "gold only keeps adjudicated paragraphs, those where more than half of two or more annotators agree in every dimension, and (single as gold) those labelled by a single annotator, with that annotator's labels as gold; ties are left out")
	case o.GoldOnly:
		out = append(out, "gold only keeps adjudicated paragraphs and those where more than half of two or more annotators agree in every dimension; paragraphs labelled by a single annotator and ties are left out")
	}
	if o.GoldFromConsensus > 0 {
		out = append(out, fmt.Sprintf("gold from consensus %g: a paragraph no reviewer decided takes its Dawid–Skene consensus as gold (gold_source consensus) when every single and multi dimension has one at least %g confident", o.GoldFromConsensus, o.GoldFromConsensus))
	}
	if o.MinAgreement > 0 {
		out = append(out, fmt.Sprintf("minimum agreement %g keeps adjudicated paragraphs and majority paragraphs whose support reaches %g in every answered dimension; a paragraph labelled by a single annotator cannot pass it (agreement needs two), nor can a tie", o.MinAgreement, o.MinAgreement))
	}
	return out
}

// Describe lists the options in words, for the About sheet and reports.
func (o Options) Describe() []string {
	dims := "all"
	if len(o.Dimensions) > 0 {
		dims = strings.Join(o.Dimensions, ", ")
	}
	anns := "all"
	if len(o.Annotators) > 0 {
		anns = strings.Join(o.Annotators, ", ")
	}
	split := "none"
	if !o.Split.Off {
		r := o.Split.Ratios
		split = fmt.Sprintf("%g/%g/%g by document, seed %d", r[0], r[1], r[2], o.Split.Seed)
		if o.Split.Stratify != "" {
			split += ", stratified on " + o.Split.Stratify
		}
	}
	return []string{
		"dimensions: " + dims,
		"annotators: " + anns,
		"gold only: " + map[bool]string{true: "yes: adjudicated, or a strict majority of two or more annotators" + map[bool]string{true: ", or a single annotator's labels; not ties", false: "; not single-annotator paragraphs, not ties"}[o.SingleAsGold], false: "no"}[o.GoldOnly],
		"minimum agreement: " + map[bool]string{true: fmt.Sprintf("%g, for majority labels; adjudicated paragraphs pass, single-annotator paragraphs and ties do not", o.MinAgreement), false: "none"}[o.MinAgreement > 0],
		"gold from consensus: " + map[bool]string{true: fmt.Sprintf("where no reviewer decided and the consensus is at least %g confident in every single and multi dimension", o.GoldFromConsensus), false: "no"}[o.GoldFromConsensus > 0],
		fmt.Sprintf("flagged paragraphs (confirmed duplicate, boilerplate, not relevant): %s", map[bool]string{true: "included", false: "excluded"}[o.IncludeFlagged]),
		"split: " + split,
	}
}
