package export

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"concord/annotate"
)

// suggestionKeys are the keys a line of a suggestions file may have.
var suggestionKeys = []string{"paragraph_id", "document_key", "position", "text_hash", "dimension", "value", "values", "score", "margin", "agent"}

// ReadSuggestions reads a suggestions file: JSON Lines, one suggestion a
// line, such as
//
//	{"document_key": "a.txt", "position": 2, "dimension": "stance", "value": "agree", "score": 0.82, "margin": 0.64, "agent": "my-model@3"}
//
// naming the paragraph by paragraph_id, by document_key and position, or by
// text_hash. It returns the inputs, each named "FILE:LINE" for the store's
// errors, and the lines that are not such an object; a file with any of
// those must not be stored.
func ReadSuggestions(r io.Reader, name string) ([]annotate.SuggestionInput, []LineError, error) {
	var out []annotate.SuggestionInput
	var bad []LineError
	br := bufio.NewReaderSize(r, 1<<16)
	line := 0
	for {
		raw, err := br.ReadBytes('\n')
		if len(raw) > 0 {
			line++
			t := bytes.TrimSpace(raw)
			if line == 1 {
				t = bytes.TrimPrefix(t, []byte("\xef\xbb\xbf"))
			}
			if len(t) > 0 {
				in, le := suggestionLine(t)
				if le != nil {
					le.File, le.Line = name, line
					bad = append(bad, *le)
				} else {
					in.Ref = fmt.Sprintf("%s:%d", name, line)
					out = append(out, in)
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
	}
	if len(out) == 0 && len(bad) == 0 {
		return nil, nil, annotate.Invalidf("file", "%s holds no suggestions: give one JSON object a line", name)
	}
	return out, bad, nil
}

// suggestionLine reads one line of a suggestions file.
func suggestionLine(t []byte) (annotate.SuggestionInput, *LineError) {
	var in annotate.SuggestionInput
	if !utf8.Valid(t) {
		return in, &LineError{Message: "not valid UTF-8; convert the file to UTF-8"}
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(t, &keys); err != nil || keys == nil {
		return in, &LineError{Message: "not a JSON object: each line is one suggestion such as {\"paragraph_id\": 12, \"dimension\": \"stance\", \"value\": \"agree\", \"score\": 0.8, \"agent\": \"my-model@3\"}"}
	}
	for k := range keys {
		if !contains(suggestionKeys, k) {
			return in, &LineError{Field: k, Message: fmt.Sprintf("unknown key %q (allowed: %s)", k, strings.Join(suggestionKeys, ", "))}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(t))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return in, &LineError{Field: te.Field, Message: fmt.Sprintf("%s must be a %s", te.Field, jsonKind(te.Type.String()))}
		}
		return in, &LineError{Message: "bad JSON: " + err.Error()}
	}
	return in, nil
}

func jsonKind(goType string) string {
	switch {
	case strings.Contains(goType, "[]"):
		return "list of strings"
	case strings.Contains(goType, "int"):
		return "whole number"
	case strings.Contains(goType, "float"):
		return "number"
	}
	return "string"
}

// SuggestionsReport says what an import of a suggestions file did. When
// Errors is not empty nothing was stored.
type SuggestionsReport struct {
	File     string      `json:"file"`
	Inputs   int         `json:"suggestions"`
	Created  int         `json:"created"`
	Replaced int         `json:"replaced"`
	Errors   []LineError `json:"errors"`
}

// ImportSuggestions reads a suggestions file (see ReadSuggestions) and
// stores it, all or nothing: a line that is not a suggestion, or one the
// store refuses (unknown paragraph or dimension, a value not in the schema,
// a score outside 0 to 1, no agent), is listed as file:line: field:
// message, and then nothing is stored.
func ImportSuggestions(ctx context.Context, store *annotate.Store, by int64, r io.Reader, name string) (*SuggestionsReport, error) {
	in, bad, err := ReadSuggestions(r, name)
	if err != nil {
		return nil, err
	}
	rep := &SuggestionsReport{File: name, Inputs: len(in) + len(bad), Errors: bad}
	if rep.Errors == nil {
		rep.Errors = []LineError{}
	}
	if len(bad) > 0 {
		return rep, nil
	}
	res, err := store.PutSuggestions(ctx, by, in)
	if res != nil && len(res.Errors) > 0 {
		for _, e := range res.Errors {
			le := LineError{File: name, Field: e.Field, Message: e.Message}
			fmt.Sscanf(strings.TrimPrefix(in[e.Item].Ref, name+":"), "%d", &le.Line)
			rep.Errors = append(rep.Errors, le)
		}
		return rep, nil
	}
	if err != nil {
		return nil, err
	}
	rep.Created, rep.Replaced = res.Created, res.Replaced
	return rep, nil
}
