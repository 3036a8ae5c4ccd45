package export

import (
	"bufio"
	"context"
	"io"
	"math"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"

	"concord/annotate"
)

// Write exports the store's paragraphs to w as the options say, streaming:
// it never holds more than a batch of paragraphs in memory. Options are
// checked before anything is written, so a bad option leaves w untouched.
func Write(ctx context.Context, store *annotate.Store, w io.Writer, opt Options) (*Summary, error) {
	p, err := newPlan(ctx, store, opt)
	if err != nil {
		return nil, err
	}
	if p.opt.Format == FormatXLSX {
		return p.stats, p.writeXLSX(ctx, w)
	}
	return p.stats, p.writeJSONL(ctx, w)
}

// Check validates the options against the store without writing anything,
// so that a web handler can answer 400 before it starts a download.
func Check(ctx context.Context, store *annotate.Store, opt Options) error {
	if err := opt.normalize(); err != nil {
		return err
	}
	sc, err := store.Schema(ctx)
	if err != nil {
		return err
	}
	for _, name := range append(append([]string{}, opt.Dimensions...), opt.Split.Stratify) {
		if _, ok := sc.Dimension(name); !ok && name != "" {
			return &annotate.Error{Code: annotate.EINVALID, Field: "dimensions", Message: "unknown dimension " + strconv.Quote(name), Allowed: sc.Names()}
		}
	}
	if len(opt.Annotators) > 0 {
		if _, err := store.Annotators(ctx, opt.Annotators); err != nil {
			return err
		}
	}
	return nil
}

// writeJSONL writes the shape's records one a line, or with FormatJSON as
// the elements of one JSON array, streamed all the same: each record is
// written as soon as it is made.
func (p *plan) writeJSONL(ctx context.Context, w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	sorted := append([]annotate.Dimension{}, p.dims...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	e := &lineEncoder{dims: sorted}
	array := p.opt.Format == FormatJSON
	emit := func(line []byte) error {
		p.stats.Lines++
		if !array {
			_, err := bw.Write(line)
			return err
		}
		sep := ",\n"
		if p.stats.Lines == 1 {
			sep = "[\n"
		}
		if _, err := bw.WriteString(sep); err != nil {
			return err
		}
		_, err := bw.Write(line[:len(line)-1])
		return err
	}
	var write func(*Item) error
	switch p.opt.Shape {
	case ShapeAnnotations:
		write = func(it *Item) error {
			for _, a := range it.Record.Annotations {
				for _, d := range p.dims {
					if len(a.Labels[d.Name]) == 0 {
						continue
					}
					e.b = e.annotationLine(e.b[:0], it, a, d)
					if err := emit(e.b); err != nil {
						return err
					}
				}
			}
			return nil
		}
	default:
		line := e.datasetLine
		switch p.opt.Shape {
		case ShapeLabelStudio:
			line = e.labelStudioLine
		case ShapeDoccano:
			line = e.doccanoLine
		}
		write = func(it *Item) error {
			e.b = line(e.b[:0], it)
			return emit(e.b)
		}
	}
	if err := p.each(ctx, write); err != nil {
		return err
	}
	if array {
		end := "\n]\n"
		if p.stats.Lines == 0 {
			end = "[]\n"
		}
		if _, err := bw.WriteString(end); err != nil {
			return err
		}
	}
	p.finish()
	return bw.Flush()
}

// lineEncoder appends JSON lines. It writes JSON by hand: a dataset export
// encodes millions of small label objects, and the reflection of
// encoding/json would cost more than reading them from the database.
type lineEncoder struct {
	b    []byte
	dims []annotate.Dimension // sorted by name, as encoding/json sorts map keys
}

// datasetLine appends one line of the dataset shape.
func (e *lineEncoder) datasetLine(b []byte, it *Item) []byte {
	r := it.Record
	b = append(b, `{"id":`...)
	b = appendString(b, it.ID())
	b = append(b, `,"paragraph_id":`...)
	b = strconv.AppendInt(b, r.Paragraph.ID, 10)
	b = append(b, `,"document_id":`...)
	b = strconv.AppendInt(b, r.Paragraph.DocumentID, 10)
	b = append(b, `,"document_key":`...)
	b = appendString(b, r.Document.Key)
	b = append(b, `,"title":`...)
	b = appendString(b, r.Document.Title)
	b = append(b, `,"source":`...)
	b = appendString(b, r.Document.Source)
	b = append(b, `,"position":`...)
	b = strconv.AppendInt(b, int64(r.Paragraph.Position), 10)
	b = append(b, `,"text":`...)
	b = appendString(b, r.Paragraph.Text)
	b = append(b, `,"gold":`...)
	b = e.appendLabels(b, it.Gold)
	b = append(b, `,"gold_source":`...)
	b = appendNullable(b, it.Source)
	b = append(b, `,"gold_support":`...)
	b = e.appendPerDimension(b, func(b []byte, d *annotate.Dimension) ([]byte, bool) {
		v, ok := it.Support[d.Name]
		return appendRatio(b, v), ok
	})
	b = append(b, `,"consensus":`...)
	b = e.appendPerDimension(b, func(b []byte, d *annotate.Dimension) ([]byte, bool) {
		c, ok := it.Consensus[d.Name]
		return appendValue(b, *d, c.Values), ok && !c.Tie
	})
	b = append(b, `,"consensus_confidence":`...)
	b = e.appendPerDimension(b, func(b []byte, d *annotate.Dimension) ([]byte, bool) {
		c, ok := it.Consensus[d.Name]
		return appendRatio(b, c.Confidence), ok
	})
	b = append(b, `,"consensus_method":`...)
	b = e.appendPerDimension(b, func(b []byte, d *annotate.Dimension) ([]byte, bool) {
		c, ok := it.Consensus[d.Name]
		return appendString(b, c.Method), ok
	})
	b = append(b, `,"suggestions":`...)
	b = e.appendSuggestions(b, it)
	b = append(b, `,"annotations":[`...)
	for i, a := range r.Annotations {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"annotator":`...)
		b = appendString(b, a.UserName)
		b = append(b, `,"labels":`...)
		b = e.appendLabels(b, a.Labels)
		b = append(b, `,"time":`...)
		b = appendTime(b, a.UpdatedAt)
		b = append(b, '}')
	}
	b = append(b, `],"flags":`...)
	b = appendStrings(b, it.Flags)
	b = append(b, `,"split":`...)
	b = appendNullable(b, it.Split)
	return append(b, "}\n"...)
}

// annotationLine appends one line of the long annotations shape.
func (e *lineEncoder) annotationLine(b []byte, it *Item, a annotate.RecordAnnotation, d annotate.Dimension) []byte {
	id := it.Record.Paragraph.ID
	b = append(b, `{"item":"`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `","annotator":`...)
	b = appendString(b, a.UserName)
	b = append(b, `,"dimension":`...)
	b = appendString(b, d.Name)
	b = append(b, `,"value":`...)
	b = appendValue(b, d, a.Labels[d.Name])
	b = append(b, `,"paragraph_id":`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,"time":`...)
	b = appendTime(b, a.UpdatedAt)
	return append(b, "}\n"...)
}

// labelStudioLine appends one Label Studio task: the text and Concord's
// identifiers under data, every annotator's labels as an annotation, and
// the adjudicated gold label as a ground-truth annotation.
func (e *lineEncoder) labelStudioLine(b []byte, it *Item) []byte {
	r := it.Record
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, r.Paragraph.ID, 10)
	b = append(b, `,"data":{"text":`...)
	b = appendString(b, r.Paragraph.Text)
	b = appendOrigin(b, it)
	b = append(b, `,"source":`...)
	b = appendString(b, r.Document.Source)
	b = append(b, `,"position":`...)
	b = strconv.AppendInt(b, int64(r.Paragraph.Position), 10)
	b = append(b, `,"flags":`...)
	b = appendStrings(b, it.Flags)
	b = append(b, `,"split":`...)
	b = appendNullable(b, it.Split)
	b = append(b, `},"annotations":[`...)
	n := 0
	for _, a := range r.Annotations {
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = e.lsAnnotation(b, r.Paragraph.ID, a.UserName, a.Labels, a.UpdatedAt, false)
	}
	if it.Source == GoldAdjudicated {
		if n > 0 {
			b = append(b, ',')
		}
		b = e.lsAnnotation(b, r.Paragraph.ID, "", it.Gold, r.Gold.DecidedAt, true)
	}
	// The models' suggestions are Label Studio's predictions, which it
	// shows apart from the annotations.
	b = append(b, `],"predictions":`...)
	b = e.lsPredictions(b, it)
	return append(b, "}\n"...)
}

func (e *lineEncoder) lsAnnotation(b []byte, pid int64, who string, l annotate.Labels, at time.Time, gold bool) []byte {
	b = append(b, `{"result":[`...)
	n := 0
	for _, d := range e.dims {
		vs := l[d.Name]
		if len(vs) == 0 {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = append(b, `{"id":"`...)
		b = strconv.AppendInt(b, pid, 10)
		b = append(b, '-')
		b = append(b, d.Name...)
		b = append(b, `","from_name":`...)
		b = appendString(b, d.Name)
		if d.Kind == annotate.KindOpen {
			b = append(b, `,"to_name":"text","type":"textarea","origin":"manual","value":{"text":`...)
		} else {
			b = append(b, `,"to_name":"text","type":"choices","origin":"manual","value":{"choices":`...)
		}
		b = appendStrings(b, vs)
		// Label Studio keeps a result as it is but drops the annotation's
		// own extra keys, and gives the annotation to whoever uploads it:
		// only here does the annotator's name survive a trip through it.
		if gold {
			b = append(b, `},"concord_gold":true}`...)
		} else {
			b = append(b, `},"concord_annotator":`...)
			b = appendString(b, who)
			b = append(b, '}')
		}
	}
	b = append(b, `],"ground_truth":`...)
	b = strconv.AppendBool(b, gold)
	b = append(b, `,"was_cancelled":false,"created_at":`...)
	b = appendTime(b, at)
	b = append(b, `,"updated_at":`...)
	b = appendTime(b, at)
	if gold {
		b = append(b, `,"concord_gold":true`...)
	} else {
		b = append(b, `,"concord_annotator":`...)
		b = appendString(b, who)
	}
	return append(b, '}')
}

// doccanoLine appends one doccano text classification line: the gold
// labels as "dimension:value" strings, and Concord's identifiers, which
// doccano keeps as metadata.
func (e *lineEncoder) doccanoLine(b []byte, it *Item) []byte {
	r := it.Record
	b = append(b, `{"text":`...)
	b = appendString(b, r.Paragraph.Text)
	b = append(b, `,"label":[`...)
	n := 0
	for _, d := range e.dims {
		for _, v := range it.Gold[d.Name] {
			if n > 0 {
				b = append(b, ',')
			}
			n++
			b = appendString(b, d.Name+":"+v)
		}
	}
	b = append(b, ']')
	b = appendOrigin(b, it)
	b = append(b, `,"position":`...)
	b = strconv.AppendInt(b, int64(r.Paragraph.Position), 10)
	b = append(b, `,"gold_source":`...)
	b = appendNullable(b, it.Source)
	b = append(b, `,"split":`...)
	b = appendNullable(b, it.Split)
	return append(b, "}\n"...)
}

// appendOrigin appends the fields that lead a Label Studio or doccano line
// back to Concord: the paragraph's stable id, its database id, its
// document's key and title.
func appendOrigin(b []byte, it *Item) []byte {
	r := it.Record
	b = append(b, `,"concord_id":`...)
	b = appendString(b, it.ID())
	b = append(b, `,"paragraph_id":`...)
	b = strconv.AppendInt(b, r.Paragraph.ID, 10)
	b = append(b, `,"document_key":`...)
	b = appendString(b, r.Document.Key)
	b = append(b, `,"title":`...)
	return appendString(b, r.Document.Title)
}

// appendLabels appends labels in the schema's JSON shape: every selected
// dimension, a string or null for single and open ones, an array for multi.
func (e *lineEncoder) appendLabels(b []byte, l annotate.Labels) []byte {
	b = append(b, '{')
	for i, d := range e.dims {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, d.Name)
		b = append(b, ':')
		b = appendValue(b, d, l[d.Name])
	}
	return append(b, '}')
}

func appendValue(b []byte, d annotate.Dimension, vs []string) []byte {
	if d.Kind == annotate.KindMulti {
		return appendStrings(b, vs)
	}
	if len(vs) == 0 {
		return append(b, "null"...)
	}
	return appendString(b, vs[0])
}

func appendStrings(b []byte, vs []string) []byte {
	b = append(b, '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, v)
	}
	return append(b, ']')
}

func appendNullable(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendString(b, s)
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339)
	return append(b, '"')
}

// appendRatio appends a share rounded to four decimals, always with a
// decimal point, so that readers that infer column types see a float.
func appendRatio(b []byte, v float64) []byte {
	v = math.Round(v*10000) / 10000
	start := len(b)
	b = strconv.AppendFloat(b, v, 'f', -1, 64)
	for _, c := range b[start:] {
		if c == '.' {
			return b
		}
	}
	return append(b, ".0"...)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD;
// U+2028 and U+2029 are escaped so that the line is also valid JavaScript.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendPerDimension writes an object with one key per dimension, in the
// encoder's order, whose value f appends; a dimension for which f reports
// no value is null (what f appended then is dropped).
func (e *lineEncoder) appendPerDimension(b []byte, f func(b []byte, d *annotate.Dimension) ([]byte, bool)) []byte {
	b = append(b, '{')
	for i := range e.dims {
		d := &e.dims[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, d.Name)
		b = append(b, ':')
		mark := len(b)
		var ok bool
		if b, ok = f(b, d); !ok {
			b = append(b[:mark], "null"...)
		}
	}
	return append(b, '}')
}
