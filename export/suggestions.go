package export

import (
	"strconv"

	"concord/annotate"
)

// suggestionsOf returns the suggestions of a record for the selected
// dimensions (which leaves out those of a dimension the schema no longer
// has), best score first within each dimension. The walk read them with
// the record, in its own view of the database.
func (p *plan) suggestionsOf(r *annotate.ParagraphRecord) []annotate.Suggestion {
	if len(r.Suggestions) == 0 {
		return nil
	}
	out := make([]annotate.Suggestion, 0, len(r.Suggestions))
	for _, x := range r.Suggestions {
		if _, ok := p.schema.Dimension(x.Dimension); ok {
			out = append(out, x)
		}
	}
	return out
}

// appendSuggestionValue appends one suggestion's value in the shape of its
// dimension: "value" for single and open, "values" for multi.
func appendSuggestionValue(b []byte, d *annotate.Dimension, x annotate.Suggestion) []byte {
	if d.Kind == annotate.KindMulti {
		b = append(b, `"values":`...)
		return appendStrings(b, x.Values)
	}
	b = append(b, `"value":`...)
	return appendValue(b, *d, x.Values)
}

// appendSuggestions appends the dataset line's suggestions: an object with
// a list for every selected dimension, empty when no model suggested
// anything, so that every line has one shape; each item is {"value" (single
// and open) or "values" (multi), "score", "agent"}, best score first.
func (e *lineEncoder) appendSuggestions(b []byte, it *Item) []byte {
	b = append(b, '{')
	for i := range e.dims {
		d := &e.dims[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, d.Name)
		b = append(b, `:[`...)
		m := 0
		for _, x := range it.Suggestions {
			if x.Dimension != d.Name {
				continue
			}
			if m > 0 {
				b = append(b, ',')
			}
			m++
			b = append(b, '{')
			b = appendSuggestionValue(b, d, x)
			b = append(b, `,"score":`...)
			b = appendRatio(b, x.Score)
			if x.Margin != nil {
				b = append(b, `,"margin":`...)
				b = appendRatio(b, *x.Margin)
			}
			b = append(b, `,"agent":`...)
			b = appendString(b, x.Agent)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// lsPredictions appends a Label Studio task's predictions: one per agent,
// as Label Studio writes them, with the agent as model_version, a result
// per dimension (each with its own score) and the prediction's score the
// mean of its results'.
func (e *lineEncoder) lsPredictions(b []byte, it *Item) []byte {
	b = append(b, '[')
	var agents []string
	seen := map[string]bool{}
	for _, x := range it.Suggestions {
		if !seen[x.Agent] {
			seen[x.Agent] = true
			agents = append(agents, x.Agent)
		}
	}
	pid := it.Record.Paragraph.ID
	for ai, agent := range agents {
		if ai > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"model_version":`...)
		b = appendString(b, agent)
		b = append(b, `,"result":[`...)
		sum, n := 0.0, 0
		for i := range e.dims {
			d := &e.dims[i]
			for _, x := range it.Suggestions {
				if x.Agent != agent || x.Dimension != d.Name {
					continue
				}
				if n > 0 {
					b = append(b, ',')
				}
				n++
				sum += x.Score
				b = append(b, `{"id":"`...)
				b = strconv.AppendInt(b, pid, 10)
				b = append(b, '-')
				b = append(b, d.Name...)
				b = append(b, `-p`...)
				b = strconv.AppendInt(b, int64(ai), 10)
				b = append(b, `","from_name":`...)
				b = appendString(b, d.Name)
				if d.Kind == annotate.KindOpen {
					b = append(b, `,"to_name":"text","type":"textarea","origin":"prediction","value":{"text":`...)
				} else {
					b = append(b, `,"to_name":"text","type":"choices","origin":"prediction","value":{"choices":`...)
				}
				b = appendStrings(b, x.Values)
				b = append(b, `},"score":`...)
				b = appendRatio(b, x.Score)
				b = append(b, '}')
			}
		}
		b = append(b, `],"score":`...)
		b = appendRatio(b, sum/float64(max(n, 1)))
		b = append(b, '}')
	}
	return append(b, ']')
}

// SheetSuggestions is the Excel sheet of the models' suggestions, one row
// per paragraph, dimension and agent: apart from the gold and annotation
// columns of the Paragraphs sheet, which they never enter.
const SheetSuggestions = "Suggestions"

// suggestionStream returns the stream of the Suggestions sheet.
func (x *xlsxWriter) suggestionStream() *sheetStream {
	return &sheetStream{f: x.f, base: SheetSuggestions, st: x.st, max: x.plan.opt.MaxRows, dims: x.ranges, cols: []column{
		{header: colParagraphID, width: 12}, {header: colID, width: 24}, {header: "dimension", width: 14},
		{header: "suggestion", width: 28}, {header: "score", width: 8}, {header: "agent", width: 22},
	}}
}

// addSuggestions writes an item's suggestions to the Suggestions sheet.
func (x *xlsxWriter) addSuggestions(sw *sheetStream, it *Item) error {
	if len(it.Suggestions) == 0 {
		return nil
	}
	id := it.ID()
	row := make([]any, 6)
	for _, s := range it.Suggestions {
		row[0], row[1], row[2], row[3], row[4], row[5] = it.Record.Paragraph.ID, id, s.Dimension, x.text("suggestion", cellValue(s.Values)), roundRatio(s.Score), x.text("agent", s.Agent)
		if err := sw.add(row); err != nil {
			return err
		}
	}
	return nil
}
