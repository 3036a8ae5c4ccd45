package agreement

import (
	"encoding/binary"
	"math"
	"math/bits"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// encoded is the dense form of a Dataset: items, annotators and values are
// mapped to small integers once, and the units are grouped by item with
// duplicates removed. Everything downstream works on integer arrays.
type encoded struct {
	multi bool
	cats  []string // category names, in scale order
	k     int

	annNames []string // annotator names, sorted; ids index this slice
	nItems   int
	start    []int32 // units of item i are ann/val[start[i]:start[i+1]]
	ann      []int32 // annotator id per unit
	val      []int32 // category id (single) or set id (multi) per unit

	// Multi-label only: distinct label sets, words 64-bit words per set.
	words    int
	sets     []uint64
	setCards []int32

	invalid       int // units ignored for their shape (see Compute)
	duplicates    int // units overridden by a later unit of the same item and annotator
	unknownValues int // values not among the categories
	unknown       []string
}

func (e *encoded) nAnn() int { return len(e.annNames) }

func (e *encoded) nSets() int { return len(e.setCards) }

// set returns the bitset of set id s.
func (e *encoded) set(s int32) []uint64 {
	return e.sets[int(s)*e.words : int(s+1)*e.words]
}

// interner maps strings to dense ids in order of first appearance. It
// remembers the last string looked up, which makes the common case of units
// sorted by item nearly free.
type interner struct {
	m      map[string]int32
	names  []string
	last   string
	lastID int32
	has    bool
}

func newInterner(hint int) *interner {
	return &interner{m: make(map[string]int32, hint), names: make([]string, 0, hint)}
}

func (in *interner) id(s string) int32 {
	if in.has && s == in.last {
		return in.lastID
	}
	id, ok := in.m[s]
	if !ok {
		id = int32(len(in.names))
		in.m[s] = id
		in.names = append(in.names, s)
	}
	in.last, in.lastID, in.has = s, id, true
	return id
}

// catLookup resolves category names; small category lists are scanned
// linearly, which is faster than hashing.
type catLookup struct {
	names []string
	m     map[string]int32
}

func newCatLookup(cats []string) *catLookup {
	cl := &catLookup{names: cats}
	if len(cats) > 8 {
		cl.m = make(map[string]int32, len(cats))
		for i, c := range cats {
			cl.m[c] = int32(i)
		}
	}
	return cl
}

func (cl *catLookup) find(s string) (int32, bool) {
	if cl.m != nil {
		c, ok := cl.m[s]
		return c, ok
	}
	for i, c := range cl.names {
		if c == s {
			return int32(i), true
		}
	}
	return -1, false
}

// categoriesOf returns the category list of d: the declared categories with
// repeats removed, or, when none are declared, every value seen in the data
// sorted numerically when all of them parse as numbers and lexically
// otherwise.
func categoriesOf(d Dataset) []string {
	seen := make(map[string]bool)
	var out []string
	if len(d.Categories) > 0 {
		for _, c := range d.Categories {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
		return out
	}
	for i := range d.Units {
		vals := d.Units[i].Values
		if !d.Multi && len(vals) != 1 {
			continue
		}
		for _, v := range vals {
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	if nums, ok := numericValues(out); ok {
		idx := make([]int, len(out))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool {
			if nums[idx[a]] != nums[idx[b]] {
				return nums[idx[a]] < nums[idx[b]]
			}
			return out[idx[a]] < out[idx[b]]
		})
		sorted := make([]string, len(out))
		for i, j := range idx {
			sorted[i] = out[j]
		}
		return sorted
	}
	slices.Sort(out)
	return out
}

// numericValues parses every category as a finite float64.
func numericValues(cats []string) ([]float64, bool) {
	if len(cats) == 0 {
		return nil, false
	}
	out := make([]float64, len(cats))
	for i, c := range cats {
		v, err := strconv.ParseFloat(c, 64)
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, false
		}
		out[i] = v
	}
	return out, true
}

// encode converts d into its dense form. When keep is non-nil only units
// whose annotator satisfies it are used.
func encode(d Dataset, keep func(string) bool) *encoded {
	e := &encoded{multi: d.Multi}
	e.cats = categoriesOf(d)
	e.k = len(e.cats)

	// The number of runs of consecutive units with the same item bounds the
	// number of items; sizing the item map from it up front avoids rehashing
	// when units come grouped by item, the usual case.
	n := len(d.Units)
	runs := 0
	for i := range d.Units {
		if i == 0 || d.Units[i].Item != d.Units[i-1].Item {
			runs++
		}
	}
	if runs > n/2 {
		runs = n / 2
	}
	items := newInterner(runs)
	anns := newInterner(0)
	itemOf := make([]int32, 0, n)
	annOf := make([]int32, 0, n)
	valOf := make([]int32, 0, n)
	vc := newValueCoder(e)
	grouped := true
	maxItem := int32(-1)

	for i := range d.Units {
		u := &d.Units[i]
		if keep != nil && !keep(u.Annotator) {
			continue
		}
		v, unknown, invalid, ok := vc.code(u.Values)
		e.unknownValues += unknown
		if invalid {
			e.invalid++
		}
		if !ok {
			continue
		}
		it := items.id(u.Item)
		if it < maxItem {
			grouped = false
		} else {
			maxItem = it
		}
		itemOf = append(itemOf, it)
		annOf = append(annOf, anns.id(u.Annotator))
		valOf = append(valOf, v)
	}
	e.unknown = sortedKeys(vc.unknown)
	finishEncode(e, itemOf, annOf, valOf, anns.names, len(items.names), grouped)
	return e
}

// valueCoder turns a unit's values into the id encode keeps: its category
// on a single-choice dimension, the id of its label set on a multi-label
// one, giving each distinct set an id of e's as it first comes.
type valueCoder struct {
	e       *encoded
	cl      *catLookup
	unknown map[string]bool // the values met that are not categories
	setIDs  map[string]int32
	buf     []uint64
	key     []byte
}

// newValueCoder returns a coder for e, whose categories are set.
func newValueCoder(e *encoded) *valueCoder {
	c := &valueCoder{e: e, cl: newCatLookup(e.cats), unknown: map[string]bool{}}
	if e.multi {
		e.words = max((e.k+63)/64, 1)
		c.setIDs = make(map[string]int32)
		c.buf = make([]uint64, e.words)
		c.key = make([]byte, 8*e.words)
	}
	return c
}

// code returns the id of vs and how many of its values are not among the
// categories; ok is false for a unit left out, invalid true for one left
// out for its shape (a single-choice unit without exactly one value, a
// multi-label unit none of whose values is known).
func (c *valueCoder) code(vs []string) (id int32, unknown int, invalid, ok bool) {
	if !c.e.multi {
		if len(vs) != 1 {
			return 0, 0, true, false
		}
		v, found := c.cl.find(vs[0])
		if !found {
			c.unknown[vs[0]] = true
			return 0, 1, false, false
		}
		return v, 0, false, true
	}
	clear(c.buf)
	known := 0
	for _, s := range vs {
		v, found := c.cl.find(s)
		if !found {
			unknown++
			c.unknown[s] = true
			continue
		}
		c.buf[v>>6] |= 1 << (uint(v) & 63)
		known++
	}
	if len(vs) > 0 && known == 0 {
		return 0, unknown, true, false
	}
	for w, x := range c.buf {
		binary.LittleEndian.PutUint64(c.key[8*w:], x)
	}
	id, found := c.setIDs[string(c.key)]
	if !found {
		e := c.e
		id = int32(len(e.setCards))
		c.setIDs[string(c.key)] = id
		e.sets = append(e.sets, c.buf...)
		card := 0
		for _, x := range c.buf {
			card += popcount(x)
		}
		e.setCards = append(e.setCards, int32(card))
	}
	return id, unknown, false, true
}

// sortedKeys returns the keys of m, sorted.
func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for s := range m {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// finishEncode completes e from its units: item, annotator and value ids
// per unit, the annotators' names by id (in order of first appearance)
// and the number of items. It renumbers the annotators in the order of
// their sorted names, groups the units by item (they are when grouped)
// and removes duplicates, the later unit of an item and annotator winning.
func finishEncode(e *encoded, itemOf, annOf, valOf []int32, annFirst []string, nItems int, grouped bool) {
	// Annotator ids follow sorted names so that reports do not depend on
	// the order of the input.
	order := make([]int32, len(annFirst))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(annFirst[a], annFirst[b]) })
	e.annNames = make([]string, len(annFirst))
	perm := make([]int32, len(annFirst))
	for newID, old := range order {
		e.annNames[newID] = annFirst[old]
		perm[old] = int32(newID)
	}

	e.nItems = nItems
	start := make([]int32, e.nItems+1)
	for _, it := range itemOf {
		start[it+1]++
	}
	for i := 1; i <= e.nItems; i++ {
		start[i] += start[i-1]
	}
	if !grouped {
		// Stable counting sort by item keeps input order within an item,
		// so "later unit wins" still refers to the input order.
		pos := slices.Clone(start[:e.nItems])
		a2 := make([]int32, len(annOf))
		v2 := make([]int32, len(valOf))
		for j, it := range itemOf {
			p := pos[it]
			pos[it]++
			a2[p] = annOf[j]
			v2[p] = valOf[j]
		}
		annOf, valOf = a2, v2
	}

	// Remove duplicate (item, annotator) units in place: the later unit's
	// value replaces the earlier one.
	stamp := make([]int32, len(perm))
	slot := make([]int32, len(perm))
	w := int32(0)
	for it := 0; it < e.nItems; it++ {
		lo, hi := start[it], start[it+1]
		start[it] = w
		mark := int32(it + 1)
		for j := lo; j < hi; j++ {
			a := perm[annOf[j]]
			if stamp[a] == mark {
				valOf[slot[a]] = valOf[j]
				e.duplicates++
				continue
			}
			stamp[a] = mark
			slot[a] = w
			annOf[w] = a
			valOf[w] = valOf[j]
			w++
		}
	}
	start[e.nItems] = w
	e.start = start
	e.ann = annOf[:w]
	e.val = valOf[:w]
}

func popcount(x uint64) int { return bits.OnesCount64(x) }
