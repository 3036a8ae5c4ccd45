package export

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"concord/annotate"
)

// ImportOptions tunes an import of labelled data.
type ImportOptions struct {
	// By is the user the history names; 0 is Concord itself.
	By int64
	// Shape is the file's shape: dataset, label-studio or doccano; ""
	// detects it from the first record.
	Shape Shape
	// Annotator names the annotator of doccano labels, which carry none;
	// "" means "doccano".
	Annotator string
	// DoccanoAsGold stores doccano labels as gold labels instead of as an
	// annotator's labels.
	DoccanoAsGold bool
	// DoccanoMeta keeps the keys of a doccano line other than doccano's and
	// Concord's own (doccano writes an example's metadata as such keys) as
	// the document's metadata; without it they are refused.
	DoccanoMeta bool
	// TextField is the key of a Label Studio task's text in its data, as
	// the labelling configuration's <Text value="$KEY">; "" means "text".
	TextField string
	// MaxErrors is how many line errors are listed before the check stops;
	// 0 means 50.
	MaxErrors int
}

// LineError is a problem with one line (or one task of a JSON array) of a
// labelled file.
type LineError struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// Error formats the problem as file:line: field: message.
func (e LineError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Message)
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Field, e.Message)
}

// ImportReport says what an import of labelled data did.
type ImportReport struct {
	File  string `json:"file"`
	Shape Shape  `json:"shape"`
	// Errors lists the lines that do not fit; when there are any, nothing
	// was written.
	Errors    []LineError `json:"errors"`
	Documents int         `json:"documents"`
	// Created, Merged and Failed count documents: new ones, existing ones
	// whose labels were added, and ones refused (see Results).
	Created     int      `json:"created"`
	Merged      int      `json:"merged"`
	Failed      int      `json:"failed"`
	Paragraphs  int      `json:"paragraphs"`
	Annotations int      `json:"annotations"`
	Unchanged   int      `json:"unchanged_annotations"`
	Gold        int      `json:"gold"`
	Users       []string `json:"users_created"`
	// Unlabelled counts paragraphs read without an annotation or a gold
	// label (a doccano line with no labels, a task without annotations),
	// imported unlabelled; Ties counts the doccano lines among them that
	// Concord wrote for a tie.
	Unlabelled int `json:"unlabelled_paragraphs"`
	Ties       int `json:"ties"`
	// Anonymous counts Label Studio annotations without completed_by, each
	// stored under an annotator of its own named after it.
	Anonymous int `json:"anonymous_annotations"`
	// Cancelled and Empty count Label Studio annotations skipped: cancelled
	// (skipped in Label Studio) or with no result.
	Cancelled int `json:"cancelled_annotations"`
	Empty     int `json:"empty_annotations"`
	// Predictions counts the Label Studio predictions read. Each one that
	// fits the schema, has a score from 0 to 1 and belongs to a document
	// imported is stored as suggestions, one per dimension (Suggestions
	// counts them), never as anyone's labels; PredictionsNotImported
	// counts the others.
	Predictions            int `json:"predictions"`
	Suggestions            int `json:"suggestions"`
	PredictionsNotImported int `json:"predictions_not_imported"`
	// Comments counts doccano comments, which are not imported.
	Comments int `json:"comments_not_imported"`
	// Notes says in words what of the file was not stored as it was, from
	// the counts above.
	Notes []string `json:"notes"`
	// Results lists what happened to each document, up to
	// annotate.MaxReportResults failures and as many others, so that the
	// report of a file of a million paragraphs stays small; Omitted counts
	// those left out. Users likewise lists up to MaxReportResults of the
	// annotators created, and UsersOmitted counts the others (a Label
	// Studio export without completed_by makes an annotator of every
	// annotation).
	Results      []annotate.LabelledResult `json:"results"`
	Omitted      int                       `json:"omitted,omitempty"`
	UsersOmitted int                       `json:"users_created_omitted,omitempty"`
	// kept counts the results other than failures in Results.
	kept int
}

// UsersCreated counts the annotators the import created.
func (r *ImportReport) UsersCreated() int { return len(r.Users) + r.UsersOmitted }

// add counts a document's result and lists it, within the report's bounds.
func (r *ImportReport) add(res annotate.LabelledResult) {
	r.Documents++
	failed := res.Status == annotate.ImportFailed
	switch {
	case failed && r.Failed < annotate.MaxReportResults, !failed && r.kept < annotate.MaxReportResults:
		r.Results = append(r.Results, res)
		if !failed {
			r.kept++
		}
	default:
		r.Omitted++
	}
	switch res.Status {
	case annotate.ImportFailed:
		r.Failed++
		return
	case annotate.ImportCreated:
		r.Created++
	default:
		r.Merged++
	}
	r.Paragraphs += res.Paragraphs
	r.Annotations += res.Annotations
	r.Unchanged += res.Unchanged
	r.Gold += res.Gold
	for _, u := range res.Users {
		if len(r.Users) < annotate.MaxReportResults {
			r.Users = append(r.Users, u)
		} else {
			r.UsersOmitted++
		}
	}
}

// Err returns an error when lines were refused or documents failed.
func (r *ImportReport) Err() error {
	switch {
	case len(r.Errors) > 0:
		return annotate.Errorf(annotate.EINVALID, "%s: %d line(s) do not fit; nothing was imported", r.File, len(r.Errors))
	case r.Failed > 0:
		return annotate.Errorf(annotate.EINVALID, "%s: %d of %d document(s) could not be imported", r.File, r.Failed, r.Documents)
	}
	return nil
}

// ImportFile imports a labelled file: the dataset shape Concord exports,
// Label Studio tasks (JSON Lines, or the JSON array Label Studio exports)
// or doccano lines. It checks every line against the schema first and
// writes nothing if one does not fit, listing each as file:line: field:
// message; then it stores each document in its own transaction.
func ImportFile(ctx context.Context, store *annotate.Store, path string, opt ImportOptions) (*ImportReport, error) {
	open := func() (io.ReadCloser, error) { return os.Open(path) }
	return Import(ctx, store, path, open, opt)
}

// Import is ImportFile for any source that can be read twice: once to
// check, once to store.
func Import(ctx context.Context, store *annotate.Store, name string, open func() (io.ReadCloser, error), opt ImportOptions) (*ImportReport, error) {
	if opt.MaxErrors <= 0 {
		opt.MaxErrors = 50
	}
	if opt.Annotator == "" {
		opt.Annotator = "doccano"
	}
	sc, err := store.Schema(ctx)
	if err != nil {
		return nil, err
	}
	rep := &ImportReport{File: name, Errors: []LineError{}, Users: []string{}, Notes: []string{}, Results: []annotate.LabelledResult{}}
	if opt.Shape == "" {
		if opt.Shape, _, err = detect(open); err != nil {
			var de *annotate.Error
			if opt.TextField == "" || !errors.As(err, &de) {
				return nil, err
			}
			// Only Label Studio tasks have a text field to name.
			opt.Shape = ShapeLabelStudio
		}
	}
	switch opt.Shape {
	case ShapeDataset, ShapeLabelStudio, ShapeDoccano:
	default:
		return nil, &annotate.Error{Code: annotate.EINVALID, Field: "shape", Message: fmt.Sprintf("cannot import the %q shape", opt.Shape), Allowed: []string{string(ShapeDataset), string(ShapeLabelStudio), string(ShapeDoccano)}}
	}
	rep.Shape = opt.Shape
	r := &reader{name: name, sc: sc, opt: opt}
	// First pass: check everything, store nothing.
	if err := r.read(open, func(annotate.LabelledDocument) error { return nil }, func(e LineError) bool {
		rep.Errors = append(rep.Errors, e)
		return len(rep.Errors) < opt.MaxErrors
	}); err != nil {
		return nil, err
	}
	if len(rep.Errors) > 0 {
		return rep, nil
	}
	// Second pass: store the documents, a batch per transaction (see
	// annotate.Store.ImportLabelledDocuments).
	var batch []annotate.LabelledDocument
	size := 0
	var tally predictionTally
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		results, err := store.ImportLabelledDocuments(ctx, opt.By, batch)
		for _, res := range results {
			rep.add(res)
		}
		if err == nil {
			// The batch's predictions go in after its documents, so that
			// what waits for its documents is one batch's.
			err = r.storePredictions(ctx, store, opt.By, batch, results, &tally)
		}
		batch, size = batch[:0], 0
		return err
	}
	r.keepPredictions = true
	err = r.read(open, func(doc annotate.LabelledDocument) error {
		batch = append(batch, doc)
		size += len(doc.Paragraphs)
		if len(batch) < importBatchDocs && size < importBatchParagraphs {
			return nil
		}
		return flush()
	}, func(e LineError) bool {
		rep.Errors = append(rep.Errors, e)
		return false
	})
	if err == nil {
		err = flush()
	}
	r.sum.report(rep)
	tally.report(rep)
	return rep, err
}

// A labelled import stores its documents in batches of up to
// importBatchDocs documents or importBatchParagraphs paragraphs, each batch
// one transaction: enough to spread a commit over many documents, few
// enough that a batch holds the write lock only briefly.
const (
	importBatchDocs       = 200
	importBatchParagraphs = 2000
)

// lineNotes counts what records carried that is not stored as it was.
type lineNotes struct {
	unlabelled, ties, cancelled, empty, comments, predictions int
	// anonymous counts the annotators named after their annotation;
	// anonymousNames keeps the first few, for the report.
	anonymous      int
	anonymousNames []string
}

// maxNamesShown is how many anonymous annotators the report names.
const maxNamesShown = 3

func (n *lineNotes) add(o lineNotes) {
	n.unlabelled += o.unlabelled
	n.ties += o.ties
	n.cancelled += o.cancelled
	n.empty += o.empty
	n.comments += o.comments
	n.predictions += o.predictions
	n.anonymous += o.anonymous
	for _, name := range o.anonymousNames {
		if len(n.anonymousNames) < maxNamesShown {
			n.anonymousNames = append(n.anonymousNames, name)
		}
	}
}

// report puts the counts in the report, and a sentence for each in Notes.
func (n *lineNotes) report(rep *ImportReport) {
	rep.Unlabelled, rep.Ties, rep.Anonymous = n.unlabelled, n.ties, n.anonymous
	rep.Cancelled, rep.Empty, rep.Predictions, rep.Comments = n.cancelled, n.empty, n.predictions, n.comments
	note := func(format string, args ...any) { rep.Notes = append(rep.Notes, fmt.Sprintf(format, args...)) }
	if n.unlabelled > 0 {
		tie := ""
		if n.ties > 0 {
			tie = fmt.Sprintf(" (%d of them ties: the exporting database had no gold label for them)", n.ties)
		}
		note("%d paragraph(s) had no labels and were imported unlabelled%s", n.unlabelled, tie)
	}
	if n.anonymous > 0 {
		more := ""
		if n.anonymous > len(n.anonymousNames) {
			more = ", …"
		}
		note("%d annotation(s) had no completed_by: each was stored under an anonymous annotator of its own, named after the annotation (%s%s)", n.anonymous, strings.Join(n.anonymousNames, ", "), more)
	}
	if n.cancelled > 0 {
		note("%d cancelled annotation(s) skipped", n.cancelled)
	}
	if n.empty > 0 {
		note("%d annotation(s) with an empty result skipped", n.empty)
	}
	if n.comments > 0 {
		note("doccano comments are not imported: %d", n.comments)
	}
}

// DetectShape tells the shape of a labelled file from its first record:
// "data" means a Label Studio task, "gold" the dataset shape, "label" (or
// "labels", which the doccano reader then refuses by name) a doccano line,
// "annotations" or "predictions" a flat Label Studio task. ok is false for
// other files, such as a JSONL corpus of documents, and for a JSON array
// of objects with none of these keys, which ImportFile reads as flat Label
// Studio tasks ({"text": …}) but which could as well be documents.
func DetectShape(path string) (shape Shape, ok bool, err error) {
	s, flat, err := detect(func() (io.ReadCloser, error) { return os.Open(path) })
	if err == nil && flat {
		return "", false, nil
	}
	if err != nil {
		var de *annotate.Error
		if errors.As(err, &de) {
			return "", false, nil
		}
		return "", false, err
	}
	return s, true, nil
}

// detect tells the shape of a labelled file from its first record; flat is
// true when only its being a JSON array says it holds Label Studio tasks.
func detect(open func() (io.ReadCloser, error)) (shape Shape, flat bool, err error) {
	f, err := open()
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<16)
	var first json.RawMessage
	array := false
	for {
		b, err := br.Peek(1)
		if err != nil {
			return "", false, annotate.Invalidf("file", "the file is empty")
		}
		if b[0] == ' ' || b[0] == '\n' || b[0] == '\r' || b[0] == '\t' || b[0] == 0xEF || b[0] == 0xBB || b[0] == 0xBF {
			br.ReadByte()
			continue
		}
		dec := json.NewDecoder(br)
		if b[0] == '[' {
			array = true
			if _, err := dec.Token(); err != nil {
				return "", false, annotate.Invalidf("file", "not JSON: %v", err)
			}
			if !dec.More() {
				return "", false, annotate.Invalidf("file", "the file is an empty JSON array")
			}
		}
		if err := dec.Decode(&first); err != nil {
			return "", false, annotate.Invalidf("file", "the first record is not JSON: %v", err)
		}
		break
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(first, &keys); err != nil {
		return "", false, annotate.Invalidf("file", "the first record is not a JSON object")
	}
	has := func(k string) bool { _, ok := keys[k]; return ok }
	switch {
	case has("data"):
		return ShapeLabelStudio, false, nil
	case has("gold"):
		return ShapeDataset, false, nil
	case has("label") || has("labels"):
		return ShapeDoccano, false, nil
	case has("annotations") || has("predictions"):
		return ShapeLabelStudio, false, nil
	case array:
		return ShapeLabelStudio, true, nil
	}
	return "", false, annotate.Invalidf("file", `cannot tell the shape: a labelled record has "gold" and "annotations" (dataset), "data" (Label Studio) or "label" (doccano); for Label Studio tasks without "data" ({"text": ...} lines) say --shape label-studio`)
}

// reader turns a labelled file into documents.
type reader struct {
	name string
	sc   *annotate.Schema
	opt  ImportOptions
	// sum adds up the notes of the records of the latest read.
	sum lineNotes
	// keepPredictions asks read to keep the predictions of the records it
	// reads in preds, for storePredictions.
	keepPredictions bool
	preds           []pendingPrediction
	// direct holds the suggestions of dataset lines, for storePredictions.
	direct []annotate.SuggestionInput
	// labelsSeen holds the labels values read so far, checked, by their
	// JSON text (see labels); namesSeen the annotator names found good,
	// and lastTime the last annotation time read, as written and parsed:
	// a file names few annotators, and its annotations often share a time.
	labelsSeen map[string]annotate.Labels
	namesSeen  map[string]bool
	lastTime   string
	lastAt     time.Time
	// loose is sc with no dimension required, for predictions.
	loose *annotate.Schema
}

// record is one line read: its document, its place and its paragraph.
type record struct {
	line     int
	key      string
	title    string
	source   string
	position *int
	meta     annotate.JSON
	para     annotate.LabelledParagraph
	// predictions are a Label Studio task's model answers, read but not
	// stored.
	predictions []Prediction
	// suggestions are a dataset line's suggestions, checked against the
	// schema, without their paragraph yet.
	suggestions []annotate.SuggestionInput
	notes       lineNotes
}

var userNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$`)

// read walks the file, calls doc with each document (consecutive records
// with the same key) and bad with each problem; bad returns whether to go
// on looking for more.
func (r *reader) read(open func() (io.ReadCloser, error), doc func(annotate.LabelledDocument) error, bad func(LineError) bool) error {
	f, err := open()
	if err != nil {
		return err
	}
	defer f.Close()
	r.sum = lineNotes{}
	r.preds, r.direct = nil, nil
	var cur []record
	seen := map[string]int{}
	failed := false
	flush := func() error {
		if len(cur) == 0 {
			return nil
		}
		recs := cur
		cur = nil
		d := annotate.LabelledDocument{Key: recs[0].key, Title: recs[0].title, Source: recs[0].source, Meta: recs[0].meta, Origin: fmt.Sprintf("%s:%d", r.name, recs[0].line)}
		sort.SliceStable(recs, func(i, j int) bool {
			if recs[i].position == nil || recs[j].position == nil {
				return false
			}
			return *recs[i].position < *recs[j].position
		})
		for i, rec := range recs {
			if i > 0 && rec.position != nil && recs[i-1].position != nil && *rec.position == *recs[i-1].position {
				failed = true
				if !bad(LineError{File: r.name, Line: rec.line, Field: "position", Message: fmt.Sprintf("document %q has two paragraphs at position %d", rec.key, *rec.position)}) {
					return errStop
				}
			}
			d.Paragraphs = append(d.Paragraphs, rec.para)
		}
		if failed {
			return nil
		}
		return doc(d)
	}
	add := func(rec record) error {
		if len(cur) > 0 && cur[0].key != rec.key {
			if err := flush(); err != nil {
				return err
			}
		}
		if first, ok := seen[rec.key]; ok && len(cur) == 0 {
			failed = true
			if !bad(LineError{File: r.name, Line: rec.line, Field: "document_key", Message: fmt.Sprintf("document %q already ended at an earlier line (first seen on line %d); keep each document's lines together", rec.key, first)}) {
				return errStop
			}
			return nil
		}
		if _, ok := seen[rec.key]; !ok {
			seen[rec.key] = rec.line
		}
		cur = append(cur, rec)
		return nil
	}
	report := func(e LineError) error {
		failed = true
		if !bad(e) {
			return errStop
		}
		return nil
	}
	err = r.records(f, add, report)
	if err == nil {
		err = flush()
	}
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

var errStop = errors.New("stop")

// records decodes the file's records: JSON Lines, or a JSON array of Label
// Studio tasks. They are parsed ahead, on every processor (see
// parseInOrder), and added or reported in the file's order.
func (r *reader) records(f io.Reader, add func(record) error, report func(LineError) error) error {
	br := bufio.NewReaderSize(f, 1<<16)
	for {
		b, err := br.Peek(1)
		if err != nil {
			return nil
		}
		if b[0] == ' ' || b[0] == '\n' || b[0] == '\r' || b[0] == '\t' {
			br.ReadByte()
			continue
		}
		if bytes.HasPrefix(b, []byte{0xEF}) {
			br.Discard(3)
			continue
		}
		if b[0] == '[' {
			return r.array(br, add, report)
		}
		break
	}
	line := 0
	next := func() (rawRecord, error) {
		for {
			raw, err := br.ReadBytes('\n')
			if len(raw) > 0 {
				line++
				if t := bytes.TrimSpace(raw); len(t) > 0 {
					return rawRecord{raw: t, line: line}, nil
				}
			}
			if err != nil {
				return rawRecord{}, err
			}
		}
	}
	return r.parseInOrder(next, add, report)
}

func (r *reader) array(br *bufio.Reader, add func(record) error, report func(LineError) error) error {
	dec := json.NewDecoder(br)
	if _, err := dec.Token(); err != nil {
		return report(LineError{File: r.name, Line: 1, Message: "not JSON: " + err.Error()})
	}
	n := 0
	next := func() (rawRecord, error) {
		if !dec.More() {
			return rawRecord{}, io.EOF
		}
		n++
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			// A task that is not JSON ends the array: nothing after it
			// can be told apart.
			return rawRecord{line: n, broken: &LineError{File: r.name, Line: n, Message: fmt.Sprintf("task %d is not JSON: %v", n, err)}}, nil
		}
		return rawRecord{raw: raw, line: n}, nil
	}
	return r.parseInOrder(next, add, report)
}

// parse reads one record, or tells what is wrong with it. It changes
// nothing but the reader's caches of values already checked, so that
// several readers (see worker) can parse a file's records at once.
func (r *reader) parse(raw []byte, line int) parsed {
	if !utf8.Valid(raw) {
		return parsed{bad: &LineError{File: r.name, Line: line, Message: "not valid UTF-8; convert the file to UTF-8"}}
	}
	var rec record
	var err error
	switch r.opt.Shape {
	case ShapeDataset:
		rec, err = r.datasetRecord(raw)
	case ShapeLabelStudio:
		rec, err = r.labelStudioRecord(raw)
	case ShapeDoccano:
		rec, err = r.doccanoRecord(raw)
	}
	if err != nil {
		e := LineError{File: r.name, Line: line, Message: err.Error()}
		var de *annotate.Error
		if errors.As(err, &de) {
			e.Field, e.Message = de.Field, de.Message
			if len(de.Allowed) > 0 {
				e.Message += " (allowed: " + strings.Join(de.Allowed, ", ") + ")"
			}
		}
		return parsed{bad: &e}
	}
	rec.line = line
	if len(rec.para.Annotations) == 0 && rec.para.Gold == nil && r.opt.Shape != ShapeDoccano {
		rec.notes.unlabelled++
	}
	rec.notes.predictions = len(rec.predictions)
	return parsed{rec: rec}
}

// accept adds a parsed record, in the file's order, or reports what is
// wrong with it.
func (r *reader) accept(p parsed, add func(record) error, report func(LineError) error) error {
	if p.bad != nil {
		return report(*p.bad)
	}
	rec := p.rec
	if r.keepPredictions {
		for _, pr := range rec.predictions {
			r.preds = append(r.preds, pendingPrediction{key: rec.key, text: rec.para.Text, line: rec.line, p: pr})
		}
		for _, in := range rec.suggestions {
			in.DocumentKey, in.TextHash, in.Ref = rec.key, annotate.HashText(rec.para.Text), fmt.Sprintf("%s:%d: suggestions", r.name, rec.line)
			r.direct = append(r.direct, in)
		}
	}
	r.sum.add(rec.notes)
	return add(rec)
}

// labels reads labels in the schema's JSON shape and checks them. A file
// holds few distinct values, each given by many annotators to many
// paragraphs, so each is decoded and checked once (up to maxLabelsSeen of
// them), for both passes: the labels returned are shared, and not to be
// changed.
// field names the labels in an error; it is called only for one.
func (r *reader) labels(raw json.RawMessage, field func() string) (annotate.Labels, error) {
	if l, ok := r.labelsSeen[string(raw)]; ok {
		return l, nil
	}
	var m map[string]json.RawMessage
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, annotate.Invalidf(field(), `bad JSON: labels are an object of dimensions and their values, such as {"stance": "agree"}`)
		}
	}
	l, err := r.sc.Decode(m)
	if err != nil {
		return nil, fieldErr(err, field())
	}
	if r.labelsSeen == nil {
		r.labelsSeen = map[string]annotate.Labels{}
	}
	if len(r.labelsSeen) < maxLabelsSeen {
		r.labelsSeen[string(raw)] = l
	}
	return l, nil
}

// maxLabelsSeen bounds the labels values, and the annotator names, a
// reader keeps: files whose labels are mostly typed text hold as many
// values as labels, and some files an annotator for each annotation.
const maxLabelsSeen = 1 << 12

func fieldErr(err error, field string) error {
	var de *annotate.Error
	if errors.As(err, &de) {
		c := *de
		c.Field = field + "." + strings.TrimPrefix(de.Field, "labels.")
		return &c
	}
	return err
}

func (r *reader) annotator(field, name string) error {
	if !userNameRe.MatchString(name) {
		return annotate.Invalidf(field, "annotator %q must be 1–100 letters, digits, '.', '_', '@' or '-', starting with a letter or digit", name)
	}
	return nil
}

func checkText(text *string) error {
	if text == nil {
		return annotate.Invalidf("text", `missing "text"`)
	}
	if strings.TrimSpace(*text) == "" {
		return annotate.Invalidf("text", "the text is empty")
	}
	return annotate.CheckImportText("text", *text)
}

// textKey makes a document key for a record that has none.
func textKey(prefix, text string) string {
	sum := sha256.Sum256([]byte(text))
	return prefix + hex.EncodeToString(sum[:12])
}

// datasetLine is one line of the dataset shape, as far as an import reads
// it (see decodeDatasetLine).
type datasetLine struct {
	DocumentKey *string `json:"document_key"`
	Title       string  `json:"title"`
	Source      string  `json:"source"`
	Position    *int    `json:"position"`
	Text        *string `json:"text"`
	// Gold and the annotations' labels are kept as they are written, to
	// be read once for each distinct value (see labels).
	Gold        json.RawMessage     `json:"gold"`
	GoldSource  *string             `json:"gold_source"`
	Annotations []datasetAnnotation `json:"annotations"`
	Flags       []string            `json:"flags"`
	// Suggestions are what the dataset shape writes of the models'
	// suggestions; they come back as suggestions.
	Suggestions map[string][]datasetSuggestion `json:"suggestions"`
}

// datasetAnnotation is one annotator's labels on a dataset line.
type datasetAnnotation struct {
	Annotator string          `json:"annotator"`
	Labels    json.RawMessage `json:"labels"`
	Time      *string         `json:"time"`
}

// datasetSuggestion is one model's suggestion on a dataset line.
type datasetSuggestion struct {
	Value  *string  `json:"value"`
	Values []string `json:"values"`
	Score  *float64 `json:"score"`
	Margin *float64 `json:"margin"`
	Agent  string   `json:"agent"`
}

func (r *reader) datasetRecord(raw []byte) (record, error) {
	var l datasetLine
	if err := decodeDatasetLine(raw, &l); err != nil {
		return record{}, fmt.Errorf("bad JSON: %v", err)
	}
	if err := checkText(l.Text); err != nil {
		return record{}, err
	}
	rec := record{title: l.Title, source: l.Source, position: l.Position, para: annotate.LabelledParagraph{Text: *l.Text, Position: l.Position}}
	if l.DocumentKey != nil && *l.DocumentKey != "" {
		rec.key = *l.DocumentKey
	} else {
		rec.key = textKey("sha256:", *l.Text)
	}
	if l.Position != nil && *l.Position < 0 {
		return record{}, annotate.Invalidf("position", "position must be 0 or more")
	}
	if len(l.Annotations) > 0 {
		rec.para.Annotations = make([]annotate.NamedLabels, 0, len(l.Annotations))
	}
	for i, a := range l.Annotations {
		field := func() string { return fmt.Sprintf("annotations[%d]", i) }
		if !r.namesSeen[a.Annotator] {
			if err := r.annotator(field()+".annotator", a.Annotator); err != nil {
				return record{}, err
			}
			if r.namesSeen == nil {
				r.namesSeen = map[string]bool{}
			}
			if len(r.namesSeen) < maxLabelsSeen {
				r.namesSeen[a.Annotator] = true
			}
		}
		for _, b := range l.Annotations[:i] {
			if b.Annotator == a.Annotator {
				return record{}, annotate.Invalidf(field()+".annotator", "%s has two annotations of this paragraph", a.Annotator)
			}
		}
		labels, err := r.labels(a.Labels, func() string { return field() + ".labels" })
		if err != nil {
			return record{}, err
		}
		nl := annotate.NamedLabels{Annotator: a.Annotator, Labels: labels}
		if a.Time != nil && *a.Time != "" {
			if *a.Time != r.lastTime || r.lastTime == "" {
				t, err := time.Parse(time.RFC3339, *a.Time)
				if err != nil {
					return record{}, annotate.Invalidf(field()+".time", "%q is not an RFC 3339 time such as 2026-01-02T15:04:05Z", *a.Time)
				}
				r.lastTime, r.lastAt = *a.Time, t.UTC()
			}
			nl.At = r.lastAt
		}
		rec.para.Annotations = append(rec.para.Annotations, nl)
	}
	if g := bytes.TrimSpace(l.Gold); len(g) > 0 && g[0] != '{' && !bytes.Equal(g, []byte("null")) {
		return record{}, annotate.Invalidf("gold", "bad JSON: gold is an object of dimensions and their values, or null")
	}
	if l.GoldSource != nil && *l.GoldSource == GoldAdjudicated {
		g, err := r.labels(l.Gold, func() string { return "gold" })
		if err != nil {
			return record{}, err
		}
		rec.para.Gold = g
	} else if l.GoldSource != nil && !contains(GoldSources, *l.GoldSource) {
		// Only an adjudicated label is stored as gold; the others are
		// worked out again from the annotations.
		return record{}, &annotate.Error{Code: annotate.EINVALID, Field: "gold_source", Message: fmt.Sprintf("unknown gold source %q", *l.GoldSource), Allowed: GoldSources}
	}
	for _, k := range l.Flags {
		if !contains(annotate.CurationKinds, k) {
			return record{}, &annotate.Error{Code: annotate.EINVALID, Field: "flags", Message: fmt.Sprintf("unknown flag %q", k), Allowed: annotate.CurationKinds}
		}
	}
	rec.para.Flags = l.Flags
	dims := make([]string, 0, len(l.Suggestions))
	for d := range l.Suggestions {
		dims = append(dims, d)
	}
	sort.Strings(dims)
	for _, d := range dims {
		for i, x := range l.Suggestions[d] {
			in := annotate.SuggestionInput{Dimension: d, Value: x.Value, Values: x.Values, Score: x.Score, Margin: x.Margin, Agent: x.Agent}
			if err := r.sc.CheckSuggestion(in); err != nil {
				var de *annotate.Error
				if errors.As(err, &de) {
					c := *de
					c.Field = fmt.Sprintf("suggestions.%s[%d].%s", d, i, de.Field)
					return record{}, &c
				}
				return record{}, err
			}
			rec.suggestions = append(rec.suggestions, in)
		}
	}
	return rec, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func firstKey(d annotate.Dimension) string {
	if len(d.Options) > 0 {
		return d.Options[0].Key
	}
	return "value"
}
