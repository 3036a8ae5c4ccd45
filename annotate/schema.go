package annotate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Kind is how many values a dimension takes and where they come from.
type Kind string

// The kinds of dimension.
const (
	// KindSingle takes one value from the dimension's options.
	KindSingle Kind = "single"
	// KindMulti takes a set of values from the dimension's options.
	KindMulti Kind = "multi"
	// KindOpen takes one value; annotators may add values beyond the options.
	KindOpen Kind = "open"
)

// MaxOpenValueLen is the longest value, in characters, an annotator may add to
// an open dimension.
const MaxOpenValueLen = 200

// reservedKeys are the keys the annotation page keeps for itself, so no option
// may use them as its hotkey.
var reservedKeys = []string{"s", "f", "n", "z", "?", " "}

// Schema is a versioned set of label dimensions.
type Schema struct {
	// Version is assigned by the store when the schema is applied.
	Version    int         `yaml:"-" json:"version"`
	Dimensions []Dimension `yaml:"dimensions" json:"dimensions"`
}

// Dimension is one question an annotator answers about a paragraph.
type Dimension struct {
	Name        string   `yaml:"name" json:"name"`
	Title       string   `yaml:"title,omitempty" json:"title"`
	Kind        Kind     `yaml:"kind" json:"kind"`
	Ordered     bool     `yaml:"ordered,omitempty" json:"ordered"`
	Required    bool     `yaml:"required,omitempty" json:"required"`
	Target      string   `yaml:"target,omitempty" json:"target,omitempty"`
	Description string   `yaml:"description,omitempty" json:"description,omitempty"`
	Options     []Option `yaml:"options" json:"options"`
}

// Option is one value of a dimension, with the name shown to annotators, the
// key that picks it and a one-line guideline.
type Option struct {
	Key       string `yaml:"key" json:"key"`
	Name      string `yaml:"name" json:"name"`
	Hotkey    string `yaml:"hotkey,omitempty" json:"hotkey,omitempty"`
	Guideline string `yaml:"guideline,omitempty" json:"guideline,omitempty"`
	// Value is the number the option stands for on an ordered dimension's
	// scale, for interval and ratio agreement: an option keyed n10 may be
	// -10. Options of a dimension either all have one or none has.
	Value *float64 `yaml:"value,omitempty" json:"value,omitempty"`
}

// Labels holds one annotator's values for a paragraph, by dimension name. A
// single or open dimension holds exactly one value; a multi dimension holds a
// sorted set. A dimension left unanswered is absent.
type Labels map[string][]string

var (
	nameRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
	keyRe  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
)

// ParseSchema reads a schema from YAML and checks it. Unknown fields are
// refused so that a typo such as "requried" does not pass unnoticed.
func ParseSchema(data []byte) (*Schema, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var s Schema
	if err := dec.Decode(&s); err != nil {
		return nil, Invalidf("schema", "cannot read schema YAML: %v", err)
	}
	if err := s.Check(); err != nil {
		return nil, err
	}
	return &s, nil
}

// YAML returns the schema as YAML.
func (s *Schema) YAML() []byte {
	out, err := yaml.Marshal(s)
	if err != nil {
		// A Schema holds only strings, bools, numbers and slices; Marshal
		// cannot fail.
		panic(err)
	}
	return out
}

// Check reports the first problem in the schema's definition.
func (s *Schema) Check() error {
	if len(s.Dimensions) == 0 {
		return Invalidf("dimensions", "a schema needs at least one dimension")
	}
	dims := map[string]bool{}
	hotkeys := map[string]string{}
	for i := range s.Dimensions {
		d := &s.Dimensions[i]
		field := fmt.Sprintf("dimensions[%d]", i)
		if !nameRe.MatchString(d.Name) {
			return Invalidf(field+".name", "dimension name %q must be lower-case letters, digits and _ starting with a letter", d.Name)
		}
		field = "dimensions." + d.Name
		if dims[d.Name] {
			return Invalidf(field, "dimension %q is defined twice", d.Name)
		}
		dims[d.Name] = true
		if d.Title == "" {
			d.Title = strings.ToUpper(d.Name[:1]) + strings.ReplaceAll(d.Name[1:], "_", " ")
		}
		switch d.Kind {
		case KindSingle, KindMulti:
			if len(d.Options) < 2 {
				return Invalidf(field+".options", "a %s dimension needs at least two options", d.Kind)
			}
		case KindOpen:
		default:
			return &Error{Code: EINVALID, Field: field + ".kind", Message: fmt.Sprintf("unknown kind %q", d.Kind), Allowed: []string{string(KindSingle), string(KindMulti), string(KindOpen)}}
		}
		if d.Ordered && d.Kind != KindSingle {
			return Invalidf(field+".ordered", "only a single dimension can be ordered")
		}
		keys := map[string]bool{}
		for j := range d.Options {
			o := &d.Options[j]
			of := fmt.Sprintf("%s.options[%d]", field, j)
			if !keyRe.MatchString(o.Key) {
				msg := fmt.Sprintf("option key %q must start with a lower-case letter or digit, followed by up to 63 lower-case letters, digits, - or _", o.Key)
				if strings.HasPrefix(o.Key, "-") {
					msg += fmt.Sprintf("; for a negative point of a scale write, for instance, {key: n%s, name: %q, value: %s}", strings.TrimPrefix(o.Key, "-"), o.Key, o.Key)
				}
				return Invalidf(of+".key", "%s", msg)
			}
			if keys[o.Key] {
				return Invalidf(of+".key", "option key %q is used twice in %s", o.Key, d.Name)
			}
			keys[o.Key] = true
			if o.Name == "" {
				o.Name = o.Key
			}
			if o.Hotkey != "" {
				o.Hotkey = strings.ToLower(o.Hotkey)
				if utf8.RuneCountInString(o.Hotkey) != 1 {
					return Invalidf(of+".hotkey", "hotkey %q must be one character", o.Hotkey)
				}
				if slices.Contains(reservedKeys, o.Hotkey) {
					return Invalidf(of+".hotkey", "hotkey %q is kept for the annotation page (s skip, f flag, n note, z undo, ? help)", o.Hotkey)
				}
				if prev, ok := hotkeys[o.Hotkey]; ok {
					return Invalidf(of+".hotkey", "hotkey %q is already used by %s", o.Hotkey, prev)
				}
				hotkeys[o.Hotkey] = d.Name + "." + o.Key
			}
		}
		if err := checkOptionValues(d, field); err != nil {
			return err
		}
	}
	return nil
}

// checkOptionValues checks the numeric values of a dimension's options:
// only an ordered dimension has a scale for them, and there every option
// needs one (a value missing from one option would leave a hole in every
// distance), each finite and distinct.
func checkOptionValues(d *Dimension, field string) error {
	have := -1
	seen := map[float64]string{}
	for j := range d.Options {
		o := &d.Options[j]
		of := fmt.Sprintf("%s.options[%d].value", field, j)
		if o.Value == nil {
			if have >= 0 {
				return Invalidf(of, "option %q has no value but %q has one: give every option of %s a value, or none", o.Key, d.Options[have].Key, d.Name)
			}
			continue
		}
		if !d.Ordered {
			return Invalidf(of, "option %q has a value, but %s is not ordered: values place options on a scale, so add ordered: true or remove them", o.Key, d.Name)
		}
		if j > 0 && have < 0 {
			return Invalidf(of, "option %q has a value but %q has none: give every option of %s a value, or none", o.Key, d.Options[0].Key, d.Name)
		}
		have = j
		v := *o.Value
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Invalidf(of, "option %q has value %v; a value must be a finite number", o.Key, v)
		}
		if prev, ok := seen[v]; ok {
			return Invalidf(of, "options %q and %q both have value %v; each point of the scale needs its own value", prev, o.Key, v)
		}
		seen[v] = o.Key
	}
	return nil
}

// Values returns the numeric values of d's options in schema order, or nil
// when they have none.
func (d *Dimension) Values() []float64 {
	if len(d.Options) == 0 || d.Options[0].Value == nil {
		return nil
	}
	out := make([]float64, len(d.Options))
	for i, o := range d.Options {
		if o.Value == nil {
			return nil
		}
		out[i] = *o.Value
	}
	return out
}

// Dimension returns the dimension with the given name.
func (s *Schema) Dimension(name string) (*Dimension, bool) {
	for i := range s.Dimensions {
		if s.Dimensions[i].Name == name {
			return &s.Dimensions[i], true
		}
	}
	return nil, false
}

// Names returns the dimension names in schema order.
func (s *Schema) Names() []string {
	names := make([]string, len(s.Dimensions))
	for i, d := range s.Dimensions {
		names[i] = d.Name
	}
	return names
}

// Keys returns the option keys of d in schema order.
func (d *Dimension) Keys() []string {
	keys := make([]string, len(d.Options))
	for i, o := range d.Options {
		keys[i] = o.Key
	}
	return keys
}

// Resolve maps a value as an annotator or a file sends it to the stored key:
// an option's key, or its display name in any case. For an open dimension an
// unknown value is kept, with its white space normalized. ok is false when the
// value is not allowed.
func (d *Dimension) Resolve(v string) (key string, ok bool) {
	for _, o := range d.Options {
		if o.Key == v {
			return o.Key, true
		}
	}
	n := Normalize(v)
	for _, o := range d.Options {
		if strings.EqualFold(o.Name, n) || strings.EqualFold(o.Key, n) {
			return o.Key, true
		}
	}
	if d.Kind == KindOpen && n != "" && utf8.RuneCountInString(n) <= MaxOpenValueLen {
		return n, true
	}
	return "", false
}

// Decode reads labels in their JSON shape, a string (or null) for single and
// open dimensions and an array of strings for multi ones, checks them against
// the schema and returns them in canonical form.
func (s *Schema) Decode(raw map[string]json.RawMessage) (Labels, error) {
	in := Labels{}
	for name, msg := range raw {
		d, ok := s.Dimension(name)
		if !ok {
			return nil, &Error{Code: EINVALID, Field: "labels." + name, Message: fmt.Sprintf("unknown dimension %q", name), Allowed: s.Names()}
		}
		t := bytes.TrimSpace(msg)
		switch {
		case len(t) == 0 || bytes.Equal(t, []byte("null")):
			continue
		case t[0] == '"':
			var v string
			if err := json.Unmarshal(t, &v); err != nil {
				return nil, Invalidf("labels."+name, "value is not a valid JSON string")
			}
			if v == "" {
				continue
			}
			in[name] = []string{v}
		case t[0] == '[':
			var vs []string
			if err := json.Unmarshal(t, &vs); err != nil {
				return nil, Invalidf("labels."+name, "expected an array of strings")
			}
			if d.Kind != KindMulti && len(vs) > 1 {
				return nil, &Error{Code: EINVALID, Field: "labels." + name, Message: fmt.Sprintf("%s takes one value, got %d", name, len(vs)), Allowed: d.Keys()}
			}
			if len(vs) > 0 {
				in[name] = vs
			}
		default:
			return nil, &Error{Code: EINVALID, Field: "labels." + name, Message: "expected a string or an array of strings", Allowed: d.Keys()}
		}
	}
	return s.Canonical(in)
}

// Canonical checks labels against the schema and returns them with option
// names resolved to keys, multi values sorted and de-duplicated, and empty
// dimensions removed. It names the field and the allowed values of the first
// problem: an unknown dimension or value, several values on a single-choice
// dimension, or a required dimension left out.
func (s *Schema) Canonical(in Labels) (Labels, error) {
	out := Labels{}
	for name, vs := range in {
		d, ok := s.Dimension(name)
		if !ok {
			return nil, &Error{Code: EINVALID, Field: "labels." + name, Message: fmt.Sprintf("unknown dimension %q", name), Allowed: s.Names()}
		}
		keys := make([]string, 0, len(vs))
		for _, v := range vs {
			if err := CheckText("labels."+name, v, false); err != nil {
				return nil, err
			}
			k, ok := d.Resolve(v)
			if !ok {
				msg := fmt.Sprintf("%q is not a value of %s", v, name)
				if d.Kind == KindOpen {
					msg = fmt.Sprintf("%s takes a non-empty value of at most %d characters", name, MaxOpenValueLen)
				}
				return nil, &Error{Code: EINVALID, Field: "labels." + name, Message: msg, Allowed: d.Keys()}
			}
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
		if len(keys) == 0 {
			continue
		}
		if d.Kind != KindMulti && len(keys) > 1 {
			return nil, &Error{Code: EINVALID, Field: "labels." + name, Message: fmt.Sprintf("%s takes one value, got %d", name, len(keys)), Allowed: d.Keys()}
		}
		sort.Strings(keys)
		out[name] = keys
	}
	for _, d := range s.Dimensions {
		if d.Required && len(out[d.Name]) == 0 {
			return nil, &Error{Code: EINVALID, Field: "labels." + d.Name, Message: fmt.Sprintf("%s is required", d.Name), Allowed: d.Keys()}
		}
	}
	return out, nil
}

// Encode returns labels in their JSON shape: every dimension of the schema is
// present, single and open ones as a string or null, multi ones as an array.
func (s *Schema) Encode(l Labels) map[string]any {
	out := make(map[string]any, len(s.Dimensions))
	for _, d := range s.Dimensions {
		vs := l[d.Name]
		if d.Kind == KindMulti {
			if vs == nil {
				vs = []string{}
			}
			out[d.Name] = vs
			continue
		}
		if len(vs) == 0 {
			out[d.Name] = nil
		} else {
			out[d.Name] = vs[0]
		}
	}
	return out
}

// Equal reports whether two canonical label sets are the same.
func (l Labels) Equal(o Labels) bool {
	if len(l) != len(o) {
		return false
	}
	for k, v := range l {
		if !slices.Equal(v, o[k]) {
			return false
		}
	}
	return true
}

// Mapping converts stored values when a new schema is applied: dimension name
// → old value → new value. A new value of "" drops the old value on purpose,
// and the old value "*" stands for every value of the dimension, so
// {"mood": {"*": ""}} drops a removed dimension knowingly.
type Mapping map[string]map[string]string

// Orphan is a stored value a new schema would leave without a place.
type Orphan struct {
	Dimension string `json:"dimension"`
	Value     string `json:"value,omitempty"`
	Count     int    `json:"count"`
	Reason    string `json:"reason"`
}

// Migrate returns l converted to schema s through m: mapped values are
// replaced, dropped values removed. It reports the values that would be lost
// without a mapping that says so: values of removed dimensions, values that
// are not options of the new dimension, and several values where the new
// dimension takes one. A dimension whose kind changes needs an entry in m.
func (s *Schema) Migrate(old *Schema, l Labels, m Mapping) (Labels, []Orphan) {
	out := Labels{}
	var orphans []Orphan
	names := make([]string, 0, len(l))
	for name := range l {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		vs := l[name]
		dm := m[name]
		var mapped []string
		for _, v := range vs {
			nv, ok := dm[v]
			if !ok {
				nv, ok = dm["*"]
			}
			if !ok {
				nv = v
			}
			if nv != "" && !slices.Contains(mapped, nv) {
				mapped = append(mapped, nv)
			}
		}
		if len(mapped) == 0 {
			continue
		}
		d, ok := s.Dimension(name)
		if !ok {
			for _, v := range mapped {
				orphans = append(orphans, Orphan{Dimension: name, Value: v, Count: 1, Reason: "dimension removed"})
			}
			continue
		}
		if od, ok := old.Dimension(name); ok && od.Kind != d.Kind && dm == nil {
			for _, v := range mapped {
				orphans = append(orphans, Orphan{Dimension: name, Value: v, Count: 1, Reason: fmt.Sprintf("kind changes from %s to %s", od.Kind, d.Kind)})
			}
			continue
		}
		var keep []string
		for _, v := range mapped {
			k, ok := d.Resolve(v)
			if !ok {
				orphans = append(orphans, Orphan{Dimension: name, Value: v, Count: 1, Reason: "option removed"})
				continue
			}
			keep = append(keep, k)
		}
		if d.Kind != KindMulti && len(keep) > 1 {
			for _, v := range keep {
				orphans = append(orphans, Orphan{Dimension: name, Value: v, Count: 1, Reason: fmt.Sprintf("%s now takes one value", name)})
			}
			continue
		}
		if len(keep) > 0 {
			sort.Strings(keep)
			out[name] = keep
		}
	}
	return out, orphans
}
