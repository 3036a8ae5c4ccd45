package export

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// TruthColumns names the fields of a truth file: the item, the true value
// and, optionally, the dimension.
type TruthColumns struct {
	Item, Truth, Dimension string
}

// Truth is one item's known true value, read from a truth file. Values
// holds one value, or the set of a JSON array (Multi). Dimension is ""
// when the file has no dimension column: the truth then holds for every
// dimension.
type Truth struct {
	Item      string
	Dimension string
	Values    []string
	Multi     bool
	Line      int
}

// TruthFile is what ReadTruthFile read: the truths in file order and the
// lines it could not read.
type TruthFile struct {
	Truths []Truth
	Bad    []LineError
}

// ReadTruthFile reads the known true values of items, one per row or line:
// CSV or TSV with a header row (question,truth is the shape of public
// crowd datasets), or JSONL objects; the extension and the content say
// which, as for a labels file. An item given two different truths on one
// dimension is a bad line.
func ReadTruthFile(path string, cols TruthColumns) (*TruthFile, error) {
	f, br, seen, err := openTable(path, "item", fmt.Sprintf("a truth file holds a header row such as %s,%s and one item per row, or one JSON object per line", cols.Item, cols.Truth))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var tf *TruthFile
	if seen == LabelJSONL {
		tf, err = readJSONLTruth(br, cols)
	} else {
		tf, err = readDelimitedTruth(br, seen, cols)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// The same item twice on one dimension must agree.
	type key struct{ item, dim string }
	first := map[key]Truth{}
	kept := tf.Truths[:0]
	for _, t := range tf.Truths {
		k := key{t.Item, t.Dimension}
		if p, ok := first[k]; ok {
			if strings.Join(p.Values, "\x00") != strings.Join(t.Values, "\x00") {
				tf.Bad = append(tf.Bad, LineError{Line: t.Line, Message: fmt.Sprintf("item %s already has the truth %s (line %d)", t.Item, strings.Join(p.Values, ", "), p.Line)})
			}
			continue
		}
		first[k] = t
		kept = append(kept, t)
	}
	tf.Truths = kept
	for i := range tf.Bad {
		tf.Bad[i].File = path
	}
	return tf, nil
}

func readDelimitedTruth(r io.Reader, format string, cols TruthColumns) (*TruthFile, error) {
	cr := csv.NewReader(r)
	if format == LabelTSV {
		cr.Comma = '\t'
		cr.LazyQuotes = true
	}
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
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
	ci, ok := idx[strings.ToLower(cols.Item)]
	if !ok {
		return nil, fmt.Errorf("no column %q in the header (it has: %s); name the item column with --item", cols.Item, strings.Join(names, ", "))
	}
	ct, ok := idx[strings.ToLower(cols.Truth)]
	if !ok {
		return nil, fmt.Errorf("no column %q in the header (it has: %s); name the truth column with --truth-column", cols.Truth, strings.Join(names, ", "))
	}
	cd, hasDim := idx[strings.ToLower(cols.Dimension)]
	need := max(ci, ct)
	if hasDim {
		need = max(need, cd)
	}
	tf := &TruthFile{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				tf.Bad = append(tf.Bad, LineError{Line: pe.Line, Message: pe.Err.Error()})
				continue
			}
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) <= need {
			tf.Bad = append(tf.Bad, LineError{Line: line, Message: fmt.Sprintf("%d fields, but the header names %d", len(rec), len(header))})
			continue
		}
		t := Truth{Item: strings.TrimSpace(rec[ci]), Line: line}
		if hasDim {
			t.Dimension = strings.TrimSpace(rec[cd])
		}
		v := strings.TrimSpace(rec[ct])
		switch {
		case t.Item == "":
			tf.Bad = append(tf.Bad, LineError{Line: line, Message: fmt.Sprintf("the %s column is empty", cols.Item)})
			continue
		case v == "":
			tf.Bad = append(tf.Bad, LineError{Line: line, Message: fmt.Sprintf("the %s column is empty", cols.Truth)})
			continue
		}
		t.Values = []string{v}
		tf.Truths = append(tf.Truths, t)
	}
	return tf, nil
}

func readJSONLTruth(r io.Reader, cols TruthColumns) (*TruthFile, error) {
	tf := &TruthFile{}
	err := jsonLines(r, func(n int, line []byte) {
		t, err := parseJSONLTruth(line, cols)
		if err != nil {
			tf.Bad = append(tf.Bad, LineError{Line: n, Message: err.Error()})
			return
		}
		t.Line = n
		tf.Truths = append(tf.Truths, t)
	})
	if err != nil {
		return nil, err
	}
	return tf, nil
}

func parseJSONLTruth(line []byte, cols TruthColumns) (Truth, error) {
	var t Truth
	var m map[string]json.RawMessage
	if err := json.Unmarshal(line, &m); err != nil {
		return t, fmt.Errorf("not a JSON object of %s and %s: %v", cols.Item, cols.Truth, err)
	}
	var err error
	if t.Item, err = scalarField(m, cols.Item, "--item"); err != nil {
		return t, err
	}
	if raw, ok := m[cols.Dimension]; ok && string(bytes.TrimSpace(raw)) != "null" {
		if t.Dimension, err = scalarField(m, cols.Dimension, "--dimension"); err != nil {
			return t, err
		}
	}
	raw := bytes.TrimSpace(m[cols.Truth])
	if len(raw) > 0 && raw[0] == '[' {
		t.Multi = true
		var vs []json.RawMessage
		if err := json.Unmarshal(raw, &vs); err != nil {
			return t, fmt.Errorf("%q must be a string, a number or an array of them, got %s", cols.Truth, raw)
		}
		t.Values = []string{}
		for _, v := range vs {
			s, err := scalar(v)
			if err != nil || s == "" {
				return t, fmt.Errorf("%q holds %s; an array of values must hold strings or numbers", cols.Truth, v)
			}
			t.Values = append(t.Values, s)
		}
		return t, nil
	}
	v, err := scalarField(m, cols.Truth, "--truth-column")
	if err != nil {
		return t, err
	}
	t.Values = []string{v}
	return t, nil
}
