package export

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
	"slices"
	"strings"
	"unicode/utf8"
)

// LabelColumns names the fields of a labels file: the columns of a CSV or
// TSV file, the keys of a JSONL line. Dimension is optional in the file.
type LabelColumns struct {
	Item, Annotator, Value, Dimension string
}

// DefaultLabelColumns are the names 'concord export --shape annotations'
// writes.
func DefaultLabelColumns() LabelColumns {
	return LabelColumns{Item: "item", Annotator: "annotator", Value: "value", Dimension: "dimension"}
}

// The formats of a labels file.
const (
	LabelCSV   = "csv"
	LabelTSV   = "tsv"
	LabelJSONL = "jsonl"
)

// labelFormats maps the extensions a labels file may have to its format.
var labelFormats = map[string]string{".csv": LabelCSV, ".tsv": LabelTSV, ".tab": LabelTSV, ".jsonl": LabelJSONL, ".ndjson": LabelJSONL}

// FileLabel is one label read from a labels file. Values holds one value,
// or the set of a JSON array (Multi); an empty Values is no label (an
// empty cell, null, "" or an empty array). Dimension is "" when the file
// has no dimension column or field.
type FileLabel struct {
	Item      string
	Annotator string
	Dimension string
	Values    []string
	Multi     bool
	Line      int
}

// LabelFile is what ReadLabels read: the labels in file order, the lines
// it could not read, and the format it read them as.
type LabelFile struct {
	Format string
	Labels []FileLabel
	Bad    []LineError
	// Lines counts the non-empty lines (rows) after the header.
	Lines int
}

// ReadLabelFile reads a CSV, TSV or JSONL file of labels in the long shape,
// one label per row or line (see ReadLabels). The extension says which
// format is expected and the content must agree: a CSV file named .jsonl,
// or JSONL named .csv, is an error that says what the file looks like. A
// file with another extension is read as what its content looks like.
func ReadLabelFile(path string, cols LabelColumns) (*LabelFile, error) {
	f, br, format, err := openTable(path, "label", fmt.Sprintf("a labels file holds a header row such as %s,%s,%s and one label per row, or one JSON object per line", cols.Item, cols.Annotator, cols.Value))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	lf, err := ReadLabels(br, format, cols)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for i := range lf.Bad {
		lf.Bad[i].File = path
	}
	return lf, nil
}

// openTable opens a file of rows — CSV, TSV or JSONL — and tells which
// it is. The extension says which format is expected and the content must
// agree; a file with another extension is what its content looks like.
// row names what one row or line holds ("label") and empty what such a
// file holds, for the error about an empty one.
func openTable(path, row, empty string) (*os.File, *bufio.Reader, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, "", err
	}
	br := bufio.NewReaderSize(f, 64<<10)
	head, _ := br.Peek(64 << 10)
	seen := SniffLabelFormat(head)
	format, named := labelFormats[strings.ToLower(filepath.Ext(path))]
	switch {
	case seen == "":
		err = fmt.Errorf("%s: the file is empty; %s", path, empty)
	case named && format == LabelJSONL && seen != LabelJSONL:
		err = fmt.Errorf("%s: this looks like %s, not JSONL: its first line is %s; name the file .%s to read it as a table whose first row names the columns", path, strings.ToUpper(seen), quoteLine(head), seen)
	case named && format != LabelJSONL && seen == LabelJSONL:
		err = fmt.Errorf("%s: this looks like JSONL, not %s: its first line is a JSON object; name the file .jsonl to read one %s per line", path, strings.ToUpper(format), row)
	}
	if err != nil {
		f.Close()
		return nil, nil, "", err
	}
	// A .csv file whose header has tabs and no commas is TSV, and the
	// other way round: the content knows best.
	return f, br, seen, nil
}

// SniffLabelFormat tells from the start of a file what it holds: "jsonl"
// when the first non-blank line is a JSON object, or most of the first ten
// are (so that one broken line is reported as a bad line rather than as a
// file in another format), "tsv" when the first line has a tab and no
// comma, "csv" otherwise, and "" when there is nothing.
func SniffLabelFormat(head []byte) string {
	head = bytes.TrimPrefix(head, []byte("\ufeff"))
	line := firstLine(head)
	if len(line) == 0 {
		return ""
	}
	objects, lines := 0, 0
	for rest := head; len(rest) > 0 && lines < 10; {
		var l []byte
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			l, rest = rest[:i], rest[i+1:]
		} else {
			l, rest = rest, nil
		}
		if l = bytes.TrimSpace(l); len(l) > 0 {
			lines++
			if l[0] == '{' {
				objects++
			}
		}
	}
	switch {
	case line[0] == '{' || 2*objects > lines:
		return LabelJSONL
	case bytes.IndexByte(line, '\t') >= 0 && bytes.IndexByte(line, ',') < 0:
		return LabelTSV
	}
	return LabelCSV
}

// firstLine returns the first non-blank line of head, trimmed.
func firstLine(head []byte) []byte {
	for len(head) > 0 {
		var line []byte
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			line, head = head, nil
		}
		if line = bytes.TrimSpace(line); len(line) > 0 {
			return line
		}
	}
	return nil
}

// quoteLine quotes the first line of head for an error message, cut to 80
// characters.
func quoteLine(head []byte) string {
	s := string(firstLine(bytes.TrimPrefix(head, []byte("\ufeff"))))
	if utf8.RuneCountInString(s) > 80 {
		s = string([]rune(s)[:80]) + "…"
	}
	return fmt.Sprintf("%q", s)
}

// ReadLabels reads labels in the long shape, one label per row or line, in
// format (LabelCSV, LabelTSV or LabelJSONL). CSV and TSV need a header row
// naming the columns; an empty value cell is no label. A JSONL line is an
// object with the item, the annotator, an optional dimension and the value:
// a string or a number, an array of them for a multi-label dimension, or
// null for no label. Items, annotators and values may be numbers, kept as
// written ("3" stays "3"). Lines it cannot read are returned in Bad; err is
// for input that cannot be read at all.
func ReadLabels(r io.Reader, format string, cols LabelColumns) (*LabelFile, error) {
	switch format {
	case LabelJSONL:
		return readJSONLLabels(r, cols)
	case LabelCSV, LabelTSV:
		return readDelimitedLabels(r, format, cols)
	}
	return nil, fmt.Errorf("unknown labels format %q; use csv, tsv or jsonl", format)
}

func readDelimitedLabels(r io.Reader, format string, cols LabelColumns) (*LabelFile, error) {
	cr := csv.NewReader(r)
	if format == LabelTSV {
		cr.Comma = '\t'
		cr.LazyQuotes = true
	}
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("the file is empty; the first row must name the columns, such as %s,%s,%s", cols.Item, cols.Annotator, cols.Value)
	}
	if err != nil {
		return nil, fmt.Errorf("the header row cannot be read: %v", err)
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
		return nil, err
	}
	ca, err := col(cols.Annotator, "--annotator")
	if err != nil {
		return nil, err
	}
	cv, err := col(cols.Value, "--value")
	if err != nil {
		return nil, err
	}
	cd, hasDim := idx[strings.ToLower(cols.Dimension)]
	need := max(ci, ca, cv)
	if hasDim {
		need = max(need, cd)
	}
	lf := &LabelFile{Format: format}
	bad := func(line int, msg string) { lf.Bad = append(lf.Bad, LineError{Line: line, Message: msg}) }
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				lf.Lines++
				bad(pe.Line, pe.Err.Error())
				continue
			}
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		lf.Lines++
		if len(rec) <= need {
			bad(line, fmt.Sprintf("%d fields, but the header names %d", len(rec), len(header)))
			continue
		}
		l := FileLabel{Item: strings.TrimSpace(rec[ci]), Annotator: strings.TrimSpace(rec[ca]), Line: line}
		if hasDim {
			l.Dimension = strings.TrimSpace(rec[cd])
		}
		switch {
		case l.Item == "":
			bad(line, fmt.Sprintf("the %s column is empty", cols.Item))
			continue
		case l.Annotator == "":
			bad(line, fmt.Sprintf("the %s column is empty", cols.Annotator))
			continue
		}
		if v := strings.TrimSpace(rec[cv]); v != "" {
			l.Values = []string{v}
		}
		lf.Labels = append(lf.Labels, l)
	}
	return lf, nil
}

func readJSONLLabels(r io.Reader, cols LabelColumns) (*LabelFile, error) {
	lf := &LabelFile{Format: LabelJSONL}
	err := jsonLines(r, func(n int, line []byte) {
		lf.Lines++
		l, err := parseJSONLLabel(line, cols)
		if err != nil {
			lf.Bad = append(lf.Bad, LineError{Line: n, Message: err.Error()})
			return
		}
		l.Line = n
		lf.Labels = append(lf.Labels, l)
	})
	if err != nil {
		return nil, err
	}
	return lf, nil
}

// jsonLines calls fn with each line of a JSON Lines file that is not
// blank, trimmed, and its number, a byte-order mark taken off the first.
// A line may be up to 16 MiB long.
func jsonLines(r io.Reader, fn func(n int, line []byte)) error {
	sr := bufio.NewScanner(r)
	sr.Buffer(make([]byte, 64<<10), 16<<20)
	n := 0
	for sr.Scan() {
		n++
		line := bytes.TrimSpace(sr.Bytes())
		if n == 1 {
			line = bytes.TrimPrefix(line, []byte("\ufeff"))
		}
		if len(line) == 0 {
			continue
		}
		fn(n, line)
	}
	if err := sr.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("line %d is longer than 16 MiB", n+1)
		}
		return err
	}
	return nil
}

func parseJSONLLabel(line []byte, cols LabelColumns) (FileLabel, error) {
	var l FileLabel
	var m map[string]json.RawMessage
	if err := json.Unmarshal(line, &m); err != nil {
		return l, fmt.Errorf("not a JSON object of %s, %s and %s: %v", cols.Item, cols.Annotator, cols.Value, err)
	}
	var err error
	if l.Item, err = scalarField(m, cols.Item, "--item"); err != nil {
		return l, err
	}
	if l.Annotator, err = scalarField(m, cols.Annotator, "--annotator"); err != nil {
		return l, err
	}
	if raw, ok := m[cols.Dimension]; ok && string(bytes.TrimSpace(raw)) != "null" {
		if l.Dimension, err = scalarField(m, cols.Dimension, "--dimension"); err != nil {
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
func scalarField(m map[string]json.RawMessage, name, flag string) (string, error) {
	raw, ok := m[name]
	if !ok || string(bytes.TrimSpace(raw)) == "null" {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !ok {
			return "", fmt.Errorf("%q is missing (the line has: %s); name the right field with %s", name, strings.Join(keys, ", "), flag)
		}
		return "", fmt.Errorf("%q is null", name)
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

// CollapseLabels keeps one label per item, annotator and dimension: the
// last line's, in the place of the first line's, so that the order of
// first appearance is kept. It returns how many labels were replaced, by
// dimension. An empty later label replaces an earlier one too: the
// annotator took their answer back.
func CollapseLabels(labels []FileLabel) ([]FileLabel, map[string]int) {
	type key struct{ item, annotator, dim string }
	at := make(map[key]int, len(labels))
	dups := map[string]int{}
	out := make([]FileLabel, 0, len(labels))
	for _, l := range labels {
		k := key{l.Item, l.Annotator, l.Dimension}
		if i, ok := at[k]; ok {
			out[i] = l
			dups[l.Dimension]++
			continue
		}
		at[k] = len(out)
		out = append(out, l)
	}
	return out, dups
}
