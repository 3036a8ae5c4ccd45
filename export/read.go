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
	"strconv"
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
	Created     int                       `json:"created"`
	Merged      int                       `json:"merged"`
	Failed      int                       `json:"failed"`
	Paragraphs  int                       `json:"paragraphs"`
	Annotations int                       `json:"annotations"`
	Unchanged   int                       `json:"unchanged_annotations"`
	Gold        int                       `json:"gold"`
	Users       []string                  `json:"users_created"`
	Results     []annotate.LabelledResult `json:"results"`
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
	rep := &ImportReport{File: name, Errors: []LineError{}, Users: []string{}, Results: []annotate.LabelledResult{}}
	if opt.Shape == "" {
		if opt.Shape, err = detect(open); err != nil {
			return nil, err
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
	// Second pass: store each document in its own transaction.
	err = r.read(open, func(doc annotate.LabelledDocument) error {
		rep.Documents++
		res, err := store.ImportLabelled(ctx, opt.By, doc)
		rep.Results = append(rep.Results, res)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var de *annotate.Error
			if !errors.As(err, &de) {
				return err
			}
			rep.Failed++
			return nil
		}
		if res.Status == annotate.ImportCreated {
			rep.Created++
		} else {
			rep.Merged++
		}
		rep.Paragraphs += res.Paragraphs
		rep.Annotations += res.Annotations
		rep.Unchanged += res.Unchanged
		rep.Gold += res.Gold
		rep.Users = append(rep.Users, res.Users...)
		return nil
	}, func(e LineError) bool {
		rep.Errors = append(rep.Errors, e)
		return false
	})
	return rep, err
}

// DetectShape tells the shape of a labelled JSONL file from its first
// record: "annotations" and "gold" mean the dataset shape, "data" a Label
// Studio task, "label" a doccano line. ok is false for other files, such as
// a JSONL corpus of documents.
func DetectShape(path string) (shape Shape, ok bool, err error) {
	s, err := detect(func() (io.ReadCloser, error) { return os.Open(path) })
	if err != nil {
		var de *annotate.Error
		if errors.As(err, &de) {
			return "", false, nil
		}
		return "", false, err
	}
	return s, true, nil
}

func detect(open func() (io.ReadCloser, error)) (Shape, error) {
	f, err := open()
	if err != nil {
		return "", err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<16)
	var first json.RawMessage
	for {
		b, err := br.Peek(1)
		if err != nil {
			return "", annotate.Invalidf("file", "the file is empty")
		}
		if b[0] == ' ' || b[0] == '\n' || b[0] == '\r' || b[0] == '\t' || b[0] == 0xEF || b[0] == 0xBB || b[0] == 0xBF {
			br.ReadByte()
			continue
		}
		dec := json.NewDecoder(br)
		if b[0] == '[' {
			if _, err := dec.Token(); err != nil {
				return "", annotate.Invalidf("file", "not JSON: %v", err)
			}
		}
		if err := dec.Decode(&first); err != nil {
			return "", annotate.Invalidf("file", "the first record is not JSON: %v", err)
		}
		break
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(first, &keys); err != nil {
		return "", annotate.Invalidf("file", "the first record is not a JSON object")
	}
	_, hasAnns := keys["annotations"]
	_, hasGold := keys["gold"]
	_, hasData := keys["data"]
	_, hasLabel := keys["label"]
	switch {
	case hasData:
		return ShapeLabelStudio, nil
	case hasAnns && hasGold || hasGold:
		return ShapeDataset, nil
	case hasLabel:
		return ShapeDoccano, nil
	}
	return "", annotate.Invalidf("file", `cannot tell the shape: a labelled record has "gold" and "annotations" (dataset), "data" (Label Studio) or "label" (doccano)`)
}

// reader turns a labelled file into documents.
type reader struct {
	name string
	sc   *annotate.Schema
	opt  ImportOptions
}

// record is one line read: its document, its place and its paragraph.
type record struct {
	line     int
	key      string
	title    string
	source   string
	position *int
	para     annotate.LabelledParagraph
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
	var cur []record
	seen := map[string]int{}
	failed := false
	flush := func() error {
		if len(cur) == 0 {
			return nil
		}
		recs := cur
		cur = nil
		d := annotate.LabelledDocument{Key: recs[0].key, Title: recs[0].title, Source: recs[0].source, Origin: fmt.Sprintf("%s:%d", r.name, recs[0].line)}
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
// Studio tasks.
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
	for {
		raw, err := br.ReadBytes('\n')
		if len(raw) > 0 {
			line++
			if t := bytes.TrimSpace(raw); len(t) > 0 {
				if e := r.one(t, line, add, report); e != nil {
					return e
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (r *reader) array(br *bufio.Reader, add func(record) error, report func(LineError) error) error {
	dec := json.NewDecoder(br)
	if _, err := dec.Token(); err != nil {
		return report(LineError{File: r.name, Line: 1, Message: "not JSON: " + err.Error()})
	}
	for n := 1; dec.More(); n++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return report(LineError{File: r.name, Line: n, Message: fmt.Sprintf("task %d is not JSON: %v", n, err)})
		}
		if err := r.one(raw, n, add, report); err != nil {
			return err
		}
	}
	return nil
}

// one parses one record and adds it, or reports what is wrong with it.
func (r *reader) one(raw []byte, line int, add func(record) error, report func(LineError) error) error {
	if !utf8.Valid(raw) {
		return report(LineError{File: r.name, Line: line, Message: "not valid UTF-8; convert the file to UTF-8"})
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
		return report(e)
	}
	rec.line = line
	return add(rec)
}

// labels reads labels in the schema's JSON shape and checks them.
func (r *reader) labels(field string, raw map[string]json.RawMessage) (annotate.Labels, error) {
	l, err := r.sc.Decode(raw)
	if err != nil {
		return nil, fieldErr(err, field)
	}
	return l, nil
}

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

type datasetLine struct {
	DocumentKey *string                    `json:"document_key"`
	Title       string                     `json:"title"`
	Source      string                     `json:"source"`
	Position    *int                       `json:"position"`
	Text        *string                    `json:"text"`
	Gold        map[string]json.RawMessage `json:"gold"`
	GoldSource  *string                    `json:"gold_source"`
	Annotations []struct {
		Annotator string                     `json:"annotator"`
		Labels    map[string]json.RawMessage `json:"labels"`
		Time      *string                    `json:"time"`
	} `json:"annotations"`
	Flags []string `json:"flags"`
}

func (r *reader) datasetRecord(raw []byte) (record, error) {
	var l datasetLine
	if err := json.Unmarshal(raw, &l); err != nil {
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
	seen := map[string]bool{}
	for i, a := range l.Annotations {
		field := fmt.Sprintf("annotations[%d]", i)
		if err := r.annotator(field+".annotator", a.Annotator); err != nil {
			return record{}, err
		}
		if seen[a.Annotator] {
			return record{}, annotate.Invalidf(field+".annotator", "%s has two annotations of this paragraph", a.Annotator)
		}
		seen[a.Annotator] = true
		labels, err := r.labels(field+".labels", a.Labels)
		if err != nil {
			return record{}, err
		}
		nl := annotate.NamedLabels{Annotator: a.Annotator, Labels: labels}
		if a.Time != nil && *a.Time != "" {
			t, err := time.Parse(time.RFC3339, *a.Time)
			if err != nil {
				return record{}, annotate.Invalidf(field+".time", "%q is not an RFC 3339 time such as 2026-01-02T15:04:05Z", *a.Time)
			}
			nl.At = t.UTC()
		}
		rec.para.Annotations = append(rec.para.Annotations, nl)
	}
	if l.GoldSource != nil && *l.GoldSource == GoldAdjudicated {
		g, err := r.labels("gold", l.Gold)
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

type lsTask struct {
	ID          json.RawMessage `json:"id"`
	Data        map[string]any  `json:"data"`
	Annotations []struct {
		Result []struct {
			FromName string                     `json:"from_name"`
			Type     string                     `json:"type"`
			Value    map[string]json.RawMessage `json:"value"`
		} `json:"result"`
		CompletedBy      json.RawMessage `json:"completed_by"`
		ConcordAnnotator string          `json:"concord_annotator"`
		ConcordGold      bool            `json:"concord_gold"`
		WasCancelled     bool            `json:"was_cancelled"`
		UpdatedAt        string          `json:"updated_at"`
	} `json:"annotations"`
}

func (r *reader) labelStudioRecord(raw []byte) (record, error) {
	var t lsTask
	if err := json.Unmarshal(raw, &t); err != nil {
		return record{}, fmt.Errorf("bad JSON: %v", err)
	}
	text, ok := t.Data["text"].(string)
	if !ok {
		return record{}, annotate.Invalidf("data.text", `a task needs its text in "data": {"text": "..."}`)
	}
	if err := checkText(&text); err != nil {
		return record{}, fieldErr(err, "data")
	}
	str := func(k string) string { s, _ := t.Data[k].(string); return s }
	rec := record{key: str("document_key"), title: str("title"), source: str("source"), para: annotate.LabelledParagraph{Text: text}}
	if fl, ok := t.Data["flags"].([]any); ok {
		for _, v := range fl {
			k, _ := v.(string)
			if !contains(annotate.CurationKinds, k) {
				return record{}, &annotate.Error{Code: annotate.EINVALID, Field: "data.flags", Message: fmt.Sprintf("unknown flag %v", v), Allowed: annotate.CurationKinds}
			}
			rec.para.Flags = append(rec.para.Flags, k)
		}
	}
	if p, ok := t.Data["position"].(float64); ok && p >= 0 && p == float64(int(p)) {
		n := int(p)
		rec.position = &n
	}
	if rec.key == "" {
		if id := strings.Trim(string(t.ID), `"`); id != "" && id != "null" {
			rec.key = "label-studio:" + id
		} else {
			rec.key = textKey("sha256:", text)
		}
	}
	seen := map[string]bool{}
	for i, a := range t.Annotations {
		if a.WasCancelled {
			continue
		}
		field := fmt.Sprintf("annotations[%d]", i)
		raw := map[string]json.RawMessage{}
		for j, res := range a.Result {
			rf := fmt.Sprintf("%s.result[%d]", field, j)
			d, ok := r.sc.Dimension(res.FromName)
			if !ok {
				return record{}, &annotate.Error{Code: annotate.EINVALID, Field: rf + ".from_name", Message: fmt.Sprintf("unknown dimension %q", res.FromName), Allowed: r.sc.Names()}
			}
			var vs []string
			switch res.Type {
			case "choices", "textarea":
				key := "choices"
				if res.Type == "textarea" {
					key = "text"
				}
				if err := json.Unmarshal(res.Value[key], &vs); err != nil {
					return record{}, annotate.Invalidf(rf+".value."+key, "expected an array of strings")
				}
			default:
				return record{}, &annotate.Error{Code: annotate.EINVALID, Field: rf + ".type", Message: fmt.Sprintf("result type %q is not text classification", res.Type), Allowed: []string{"choices", "textarea"}}
			}
			if d.Kind != annotate.KindMulti && len(vs) == 1 {
				raw[d.Name], _ = json.Marshal(vs[0])
			} else {
				raw[d.Name], _ = json.Marshal(vs)
			}
		}
		labels, err := r.labels(field+".result", raw)
		if err != nil {
			return record{}, err
		}
		if a.ConcordGold {
			rec.para.Gold = labels
			if ts, err := time.Parse(time.RFC3339, a.UpdatedAt); err == nil {
				rec.para.GoldAt = ts.UTC()
			}
			continue
		}
		name := a.ConcordAnnotator
		if name == "" {
			name = lsUser(a.CompletedBy)
		}
		if err := r.annotator(field+".completed_by", name); err != nil {
			return record{}, err
		}
		if seen[name] {
			return record{}, annotate.Invalidf(field+".completed_by", "%s has two annotations of this task", name)
		}
		seen[name] = true
		nl := annotate.NamedLabels{Annotator: name, Labels: labels}
		if ts, err := time.Parse(time.RFC3339, a.UpdatedAt); err == nil {
			nl.At = ts.UTC()
		}
		rec.para.Annotations = append(rec.para.Annotations, nl)
	}
	return rec, nil
}

// lsUser names a Label Studio annotator: the e-mail when the export has it,
// else labelstudio-ID.
func lsUser(raw json.RawMessage) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return "labelstudio"
	}
	switch x := v.(type) {
	case float64:
		return "labelstudio-" + strconv.FormatInt(int64(x), 10)
	case map[string]any:
		if e, ok := x["email"].(string); ok && e != "" {
			return e
		}
		if id, ok := x["id"].(float64); ok {
			return "labelstudio-" + strconv.FormatInt(int64(id), 10)
		}
	}
	return "labelstudio"
}

type doccanoLine struct {
	ID          json.RawMessage   `json:"id"`
	Text        *string           `json:"text"`
	Label       []json.RawMessage `json:"label"`
	DocumentKey string            `json:"document_key"`
	Title       string            `json:"title"`
	Position    *int              `json:"position"`
}

func (r *reader) doccanoRecord(raw []byte) (record, error) {
	var l doccanoLine
	if err := json.Unmarshal(raw, &l); err != nil {
		return record{}, fmt.Errorf("bad JSON: %v", err)
	}
	if err := checkText(l.Text); err != nil {
		return record{}, err
	}
	rec := record{key: l.DocumentKey, title: l.Title, position: l.Position, para: annotate.LabelledParagraph{Text: *l.Text}}
	if rec.key == "" {
		if id := strings.Trim(string(l.ID), `"`); id != "" && id != "null" {
			rec.key = "doccano:" + id
		} else {
			rec.key = textKey("sha256:", *l.Text)
		}
	}
	labels := annotate.Labels{}
	for i, raw := range l.Label {
		field := fmt.Sprintf("label[%d]", i)
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return record{}, annotate.Invalidf(field, "expected a \"dimension:value\" string; spans ([start, end, label]) are sequence labelling, not text classification")
		}
		dim, val, ok := strings.Cut(s, ":")
		if !ok {
			if len(r.sc.Dimensions) != 1 {
				return record{}, annotate.Invalidf(field, "label %q must be written dimension:value, such as %s:%s", s, r.sc.Dimensions[0].Name, firstKey(r.sc.Dimensions[0]))
			}
			dim, val = r.sc.Dimensions[0].Name, s
		}
		labels[dim] = append(labels[dim], val)
	}
	canon, err := r.sc.Canonical(labels)
	if err != nil {
		return record{}, fieldErr(err, "label")
	}
	if r.opt.DoccanoAsGold {
		rec.para.Gold = canon
	} else {
		if err := r.annotator("annotator", r.opt.Annotator); err != nil {
			return record{}, err
		}
		rec.para.Annotations = []annotate.NamedLabels{{Annotator: r.opt.Annotator, Labels: canon}}
	}
	return rec, nil
}

func firstKey(d annotate.Dimension) string {
	if len(d.Options) > 0 {
		return d.Options[0].Key
	}
	return "value"
}
