package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// labelColumns names the fields of a labels file: the columns of a CSV or
// TSV file, the keys of a JSONL line. Dimension is optional in the file.
type labelColumns struct {
	Item, Annotator, Value, Dimension string
}

// defaultLabelColumns are the names 'concord export --shape annotations'
// writes.
var defaultLabelColumns = labelColumns{Item: "item", Annotator: "annotator", Value: "value", Dimension: "dimension"}

// fileLabel is one label read from a labels file. Values holds one value,
// or the set of a JSON array (Multi); an empty Values is no label (an
// empty cell, null, or an empty array for Multi).
type fileLabel struct {
	Item      string
	Annotator string
	Dimension string
	Values    []string
	Multi     bool
	Line      int
}

// labelFormats maps the file extensions a labels file may have to its
// format.
var labelFormats = map[string]string{".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl"}

// readLabelFile reads a CSV, TSV or JSONL file of labels in the long shape,
// one label per row or line, choosing the format by the file's extension.
// Lines it cannot read are returned in bad; err is for a file that cannot
// be read at all.
func readLabelFile(path string, cols labelColumns) (labels []fileLabel, bad []badLine, err error) {
	format, ok := labelFormats[strings.ToLower(filepath.Ext(path))]
	if !ok {
		return nil, nil, fmt.Errorf("%s: cannot tell the format from the extension; name the file .csv, .tsv or .jsonl", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	if format == "jsonl" {
		labels, bad, err = readJSONLLabels(f, cols)
	} else {
		labels, bad, err = readDelimitedLabels(f, format, cols)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return labels, bad, nil
}

// readDelimitedLabels reads CSV or TSV with a header row naming the
// columns. An empty value cell is no label.
func readDelimitedLabels(r io.Reader, format string, cols labelColumns) ([]fileLabel, []badLine, error) {
	cr := csv.NewReader(bufio.NewReader(r))
	if format == "tsv" {
		cr.Comma = '\t'
		cr.LazyQuotes = true
	}
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, fmt.Errorf("the file is empty; the first row must name the columns, such as %s,%s,%s", cols.Item, cols.Annotator, cols.Value)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("the header row cannot be read: %v", err)
	}
	idx := map[string]int{}
	var names []string
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		names = append(names, h)
		if _, dup := idx[strings.ToLower(h)]; !dup {
			idx[strings.ToLower(h)] = i
		}
	}
	col := func(name, flag string) (int, error) {
		i, ok := idx[strings.ToLower(name)]
		if !ok {
			return 0, fmt.Errorf("no column %q in the header (it has: %s); name the right one with %s", name, strings.Join(names, ", "), flag)
		}
		return i, nil
	}
	ci, err := col(cols.Item, "--item")
	if err != nil {
		return nil, nil, err
	}
	ca, err := col(cols.Annotator, "--annotator")
	if err != nil {
		return nil, nil, err
	}
	cv, err := col(cols.Value, "--value")
	if err != nil {
		return nil, nil, err
	}
	cd, hasDim := idx[strings.ToLower(cols.Dimension)]
	need := max(ci, ca, cv)
	if hasDim {
		need = max(need, cd)
	}
	var out []fileLabel
	var bad []badLine
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad = append(bad, badLine{pe.Line, pe.Err.Error()})
				continue
			}
			return nil, nil, err
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) <= need {
			bad = append(bad, badLine{line, fmt.Sprintf("%d fields, but the header names %d", len(rec), len(header))})
			continue
		}
		l := fileLabel{Item: strings.TrimSpace(rec[ci]), Annotator: strings.TrimSpace(rec[ca]), Line: line}
		if hasDim {
			l.Dimension = strings.TrimSpace(rec[cd])
		}
		switch {
		case l.Item == "":
			bad = append(bad, badLine{line, fmt.Sprintf("the %s column is empty", cols.Item)})
			continue
		case l.Annotator == "":
			bad = append(bad, badLine{line, fmt.Sprintf("the %s column is empty", cols.Annotator)})
			continue
		}
		if v := strings.TrimSpace(rec[cv]); v != "" {
			l.Values = []string{v}
		}
		out = append(out, l)
	}
	return out, bad, nil
}

// readJSONLLabels reads one JSON object per line, as 'concord export
// --shape annotations' writes: item, annotator, an optional dimension and
// value, which is a string or number, an array of them for a multi-label
// dimension, or null for no label. Items and annotators may be numbers.
func readJSONLLabels(r io.Reader, cols labelColumns) ([]fileLabel, []badLine, error) {
	var out []fileLabel
	var bad []badLine
	sr := bufio.NewScanner(r)
	sr.Buffer(make([]byte, 64<<10), 16<<20)
	n := 0
	for sr.Scan() {
		n++
		line := bytes.TrimSpace(sr.Bytes())
		if len(line) == 0 {
			continue
		}
		l, err := parseJSONLLabel(line, cols)
		if err != nil {
			bad = append(bad, badLine{n, err.Error()})
			continue
		}
		l.Line = n
		out = append(out, l)
	}
	if err := sr.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, nil, fmt.Errorf("line %d is longer than 16 MiB", n+1)
		}
		return nil, nil, err
	}
	return out, bad, nil
}

func parseJSONLLabel(line []byte, cols labelColumns) (fileLabel, error) {
	var l fileLabel
	var m map[string]json.RawMessage
	if err := json.Unmarshal(line, &m); err != nil {
		return l, fmt.Errorf("not a JSON object of %s, %s and %s: %v", cols.Item, cols.Annotator, cols.Value, err)
	}
	var err error
	if l.Item, err = scalarField(m, cols.Item); err != nil {
		return l, err
	}
	if l.Annotator, err = scalarField(m, cols.Annotator); err != nil {
		return l, err
	}
	if raw, ok := m[cols.Dimension]; ok && string(bytes.TrimSpace(raw)) != "null" {
		if l.Dimension, err = scalarField(m, cols.Dimension); err != nil {
			return l, err
		}
	}
	raw, ok := m[cols.Value]
	if !ok {
		return l, fmt.Errorf("%q is missing; name the value field with --value", cols.Value)
	}
	raw = bytes.TrimSpace(raw)
	switch {
	case string(raw) == "null":
	case len(raw) > 0 && raw[0] == '[':
		l.Multi = true
		var vs []json.RawMessage
		if err := json.Unmarshal(raw, &vs); err != nil {
			return l, fmt.Errorf("%q must be a string, a number or an array of them, got %s", cols.Value, raw)
		}
		for _, v := range vs {
			s, err := scalar(v)
			if err != nil || s == "" {
				return l, fmt.Errorf("%q holds %s; an array of values must hold strings or numbers", cols.Value, v)
			}
			l.Values = append(l.Values, s)
		}
	default:
		s, err := scalar(raw)
		if err != nil {
			return l, fmt.Errorf("%q must be a string, a number or an array of them, got %s", cols.Value, raw)
		}
		if s != "" {
			l.Values = []string{s}
		}
	}
	return l, nil
}

// scalarField reads a required string-or-number field of a line.
func scalarField(m map[string]json.RawMessage, name string) (string, error) {
	raw, ok := m[name]
	if !ok || string(bytes.TrimSpace(raw)) == "null" {
		return "", fmt.Errorf("%q is missing", name)
	}
	s, err := scalar(raw)
	if err != nil {
		return "", fmt.Errorf("%q must be a string or a number, got %s", name, bytes.TrimSpace(raw))
	}
	if s == "" {
		return "", fmt.Errorf("%q is empty", name)
	}
	return s, nil
}

// scalar reads a JSON string, number or boolean as text: numbers as they
// are written, so that 3 stays "3".
func scalar(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return strings.TrimSpace(s), nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return n.String(), nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		return fmt.Sprint(b), nil
	}
	return "", errors.New("not a string or a number")
}
