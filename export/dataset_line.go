package export

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// decodeDatasetLine fills l from one line of the dataset shape exactly as
// json.Unmarshal does, and returns json.Unmarshal's error for a line it
// refuses.
//
// An import reads its file twice (once to check every line, once to store
// them), and a dataset line carries much that the import does not read:
// ids, the consensus and its confidences, the gold support. json.Unmarshal
// scans each line twice over (once to check it, once to decode it) and
// allocates for every value it meets; on a large export that was half the
// import's time. So a line of the shape Concord writes is read here in one
// scan that keeps only the fields of datasetLine. Anything the scan does not
// settle with certainty — a syntax error, a value of another type than the
// field's, a known key written twice or in another case, escapes in a key
// — goes to json.Unmarshal, whose result and errors stand, so the two ways
// never differ in what they accept or return (see FuzzDatasetLine).
func decodeDatasetLine(raw []byte, l *datasetLine) error {
	if (&lineScanner{b: raw}).datasetLine(l) {
		return nil
	}
	*l = datasetLine{}
	return json.Unmarshal(raw, l)
}

// lineScanner reads JSON from b, at i. Each method reports false for
// anything it does not take, and the line then goes to json.Unmarshal.
type lineScanner struct {
	b []byte
	i int
}

// maxSkipDepth bounds the nesting of the values the scanner skips, far
// below json.Unmarshal's own limit.
const maxSkipDepth = 100

// The keys of datasetLine and datasetAnnotation, as bits of a set.
const (
	keyDocumentKey = 1 << iota
	keyTitle
	keySource
	keyPosition
	keyText
	keyGold
	keyGoldSource
	keyAnnotations
	keyFlags
	keySuggestions
)

var lineKeys = []string{"document_key", "title", "source", "position", "text", "gold", "gold_source", "annotations", "flags", "suggestions"}

var annotationKeys = []string{"annotator", "labels", "time"}

func (s *lineScanner) datasetLine(l *datasetLine) bool {
	seen := 0
	ok := s.object(func(key []byte) bool {
		bit := 0
		switch string(key) {
		case "document_key":
			bit = keyDocumentKey
			l.DocumentKey, _ = s.optString()
		case "title":
			bit = keyTitle
			l.Title, _ = s.plainString()
		case "source":
			bit = keySource
			l.Source, _ = s.plainString()
		case "position":
			bit = keyPosition
			l.Position = s.optInt()
		case "text":
			bit = keyText
			l.Text, _ = s.optString()
		case "gold":
			bit = keyGold
			l.Gold = s.raw()
		case "gold_source":
			bit = keyGoldSource
			l.GoldSource, _ = s.optString()
		case "annotations":
			bit = keyAnnotations
			if !s.annotations(l) {
				return false
			}
		case "flags":
			bit = keyFlags
			if !s.strings(&l.Flags) {
				return false
			}
		case "suggestions":
			bit = keySuggestions
			if !s.suggestions(l) {
				return false
			}
		default:
			return !foldsTo(key, lineKeys) && s.skip(0)
		}
		if seen&bit != 0 || s.i < 0 {
			return false
		}
		seen |= bit
		return true
	})
	s.ws()
	return ok && s.i == len(s.b)
}

// annotations reads the annotations array into l.
func (s *lineScanner) annotations(l *datasetLine) bool {
	if s.null() {
		l.Annotations = nil
		return true
	}
	l.Annotations = make([]datasetAnnotation, 0, 4)
	return s.array(func() bool {
		var a datasetAnnotation
		seen := 0
		if !s.object(func(key []byte) bool {
			bit := 0
			switch string(key) {
			case "annotator":
				bit = 1
				a.Annotator, _ = s.plainString()
			case "labels":
				bit = 2
				a.Labels = s.raw()
			case "time":
				bit = 4
				a.Time, _ = s.optString()
			default:
				return !foldsTo(key, annotationKeys) && s.skip(0)
			}
			if seen&bit != 0 || s.i < 0 {
				return false
			}
			seen |= bit
			return true
		}) {
			return false
		}
		l.Annotations = append(l.Annotations, a)
		return true
	})
}

// suggestions reads the suggestions: mostly an empty list for each
// dimension, as a line without suggestions has; any other value is read
// by json.Unmarshal alone.
func (s *lineScanner) suggestions(l *datasetLine) bool {
	start := s.i
	if s.null() {
		l.Suggestions = nil
		return true
	}
	m := map[string][]datasetSuggestion{}
	empty := s.object(func(key []byte) bool {
		if _, dup := m[string(key)]; dup || !s.eat('[') || !s.eat(']') {
			return false
		}
		m[string(key)] = []datasetSuggestion{}
		return true
	})
	if empty {
		l.Suggestions = m
		return true
	}
	s.i = start
	raw := s.raw()
	return raw != nil && json.Unmarshal(raw, &l.Suggestions) == nil
}

// strings reads an array of strings, or null, into out.
func (s *lineScanner) strings(out *[]string) bool {
	if s.null() {
		*out = nil
		return true
	}
	vs := []string{}
	if !s.array(func() bool {
		v, ok := s.str()
		vs = append(vs, v)
		return ok
	}) {
		return false
	}
	*out = vs
	return true
}

// foldsTo reports whether key equals one of names but for case, which
// json.Unmarshal takes as that field.
func foldsTo(key []byte, names []string) bool {
	for _, n := range names {
		if bytes.EqualFold(key, []byte(n)) {
			return true
		}
	}
	return false
}

func (s *lineScanner) ws() {
	for s.i >= 0 && s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// eat takes c, after any white space.
func (s *lineScanner) eat(c byte) bool {
	s.ws()
	if s.i >= 0 && s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// fail marks the scan as failed: the field readers that return no ok
// leave it to the caller to look at s.i.
func (s *lineScanner) fail() { s.i = -1 }

// object reads an object, calling field with each key, the scanner just
// past the key's colon, for field to read the value. Keys with escapes are
// passed over when only skipping: json.Unmarshal would match them to
// fields after decoding them.
func (s *lineScanner) object(field func(key []byte) bool) bool {
	return s.objectKeys(false, field)
}

func (s *lineScanner) objectKeys(skipping bool, field func(key []byte) bool) bool {
	if s.i < 0 || !s.eat('{') {
		return false
	}
	if s.eat('}') {
		return true
	}
	for {
		s.ws()
		key, escaped, ok := s.quoted()
		if !ok || escaped && !skipping || !s.eat(':') {
			return false
		}
		s.ws()
		if !field(key) || s.i < 0 {
			return false
		}
		if s.eat(',') {
			continue
		}
		return s.eat('}')
	}
}

// array reads an array, calling elem for each element.
func (s *lineScanner) array(elem func() bool) bool {
	if s.i < 0 || !s.eat('[') {
		return false
	}
	if s.eat(']') {
		return true
	}
	for {
		s.ws()
		if !elem() || s.i < 0 {
			return false
		}
		if s.eat(',') {
			continue
		}
		return s.eat(']')
	}
}

// quoted reads a string and returns its bytes between the quotes, and
// whether it holds escapes. Its bytes are checked as json.Unmarshal checks
// them: no control characters, escapes of the known kinds, valid UTF-8.
func (s *lineScanner) quoted() (body []byte, escaped, ok bool) {
	if s.i < 0 || s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false, false
	}
	start := s.i + 1
	high := false
	for j := start; j < len(s.b); j++ {
		c := s.b[j]
		switch {
		case c == '"':
			s.i = j + 1
			body = s.b[start:j]
			if high && !utf8.Valid(body) {
				return nil, false, false
			}
			return body, escaped, true
		case c == '\\':
			escaped = true
			j++
			if j >= len(s.b) {
				return nil, false, false
			}
			switch s.b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(s.b) {
					return nil, false, false
				}
				for _, h := range s.b[j+1 : j+5] {
					if !isHex(h) {
						return nil, false, false
					}
				}
				j += 4
			default:
				return nil, false, false
			}
		case c < 0x20:
			return nil, false, false
		case c >= utf8.RuneSelf:
			high = true
		}
	}
	return nil, false, false
}

// str reads a string; one with escapes is decoded by json.Unmarshal.
func (s *lineScanner) str() (string, bool) {
	start := s.i
	body, escaped, ok := s.quoted()
	if !ok {
		s.fail()
		return "", false
	}
	if !escaped {
		return string(body), true
	}
	var v string
	if json.Unmarshal(s.b[start:s.i], &v) != nil {
		s.fail()
		return "", false
	}
	return v, true
}

// plainString reads a string, or null, which leaves the field empty.
func (s *lineScanner) plainString() (string, bool) {
	if s.null() {
		return "", true
	}
	return s.str()
}

// optString reads a string, or null as nil.
func (s *lineScanner) optString() (*string, bool) {
	if s.null() {
		return nil, true
	}
	v, ok := s.str()
	if !ok {
		return nil, false
	}
	return &v, true
}

// optInt reads a whole number that fits an int, or null as nil.
func (s *lineScanner) optInt() *int {
	if s.null() {
		return nil
	}
	start := s.i
	j := start
	if j < len(s.b) && s.b[j] == '-' {
		j++
	}
	digits := j
	for j < len(s.b) && '0' <= s.b[j] && s.b[j] <= '9' {
		j++
	}
	// No leading zeros, no fraction, no exponent: anything else is for
	// json.Unmarshal to accept or refuse.
	if j == digits || s.b[digits] == '0' && j > digits+1 || j < len(s.b) && (s.b[j] == '.' || s.b[j] == 'e' || s.b[j] == 'E') {
		s.fail()
		return nil
	}
	n, err := strconv.Atoi(string(s.b[start:j]))
	if err != nil {
		s.fail()
		return nil
	}
	s.i = j
	return &n
}

// null takes a null, if that is what comes.
func (s *lineScanner) null() bool {
	if s.i >= 0 && bytes.HasPrefix(s.b[s.i:], []byte("null")) {
		s.i += 4
		return true
	}
	return false
}

// raw skips a value and returns its bytes, as json.RawMessage keeps them.
func (s *lineScanner) raw() []byte {
	start := s.i
	if !s.skip(0) {
		s.fail()
		return nil
	}
	return s.b[start:s.i]
}

// skip passes over one value, checking it.
func (s *lineScanner) skip(depth int) bool {
	if s.i < 0 || s.i >= len(s.b) || depth > maxSkipDepth {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		_, _, ok := s.quoted()
		return ok
	case c == '{':
		return s.objectKeys(true, func([]byte) bool { return s.skip(depth + 1) })
	case c == '[':
		return s.array(func() bool { return s.skip(depth + 1) })
	case c == 't':
		return s.word("true")
	case c == 'f':
		return s.word("false")
	case c == 'n':
		return s.word("null")
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	}
	return false
}

func (s *lineScanner) word(w string) bool {
	if bytes.HasPrefix(s.b[s.i:], []byte(w)) {
		s.i += len(w)
		return true
	}
	return false
}

// number passes over a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *lineScanner) number() bool {
	b, j := s.b, s.i
	if j < len(b) && b[j] == '-' {
		j++
	}
	switch {
	case j < len(b) && b[j] == '0':
		j++
	case j < len(b) && '1' <= b[j] && b[j] <= '9':
		for j < len(b) && '0' <= b[j] && b[j] <= '9' {
			j++
		}
	default:
		return false
	}
	if j < len(b) && b[j] == '.' {
		j++
		if j >= len(b) || b[j] < '0' || b[j] > '9' {
			return false
		}
		for j < len(b) && '0' <= b[j] && b[j] <= '9' {
			j++
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if j >= len(b) || b[j] < '0' || b[j] > '9' {
			return false
		}
		for j < len(b) && '0' <= b[j] && b[j] <= '9' {
			j++
		}
	}
	s.i = j
	return true
}
