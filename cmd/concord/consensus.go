package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"concord/annotate"
	"concord/consensus"
)

func init() {
	register(&command{
		name:    "consensus",
		summary: "infer each paragraph's label from its annotators, weighing them by reliability",
		usage: `Usage:
  concord consensus [--db FILE] [--method M] [--json | --format jsonl] [--annotators]
  concord consensus FILE.csv|FILE.tsv|FILE.jsonl [--item C] [--annotator C] [--value C] [...]

Infers the true label of every item from the annotators' labels, one run
per dimension. Dawid–Skene (the default) estimates each annotator's
confusion matrix together with the items' labels, so that a careful
annotator outweighs a careless one; majority counts every label the same.
A tie is shown as a tie, never broken. Gold labels are taken as known.

The first form reads the labels of the current paragraphs in the
database: one run per single-choice and multi-label dimension of the
schema (open dimensions are left out). The second needs no database: it
reads labels in the long shape, one label per row or line, from CSV or TSV
with a header row, or from JSONL as 'concord export --shape annotations'
writes it (the format comes from the extension):
  item,annotator,value            {"item": 1, "annotator": "w7", "value": "agree"}
  p1,alice,agree                  {"item": "p1", "annotator": "bob", "dimension": "topic", "value": ["strike"]}
Items, annotators and values may be numbers. A "dimension" column or field
is optional; without it the file is one dimension. In JSONL an array value
makes the dimension multi-label. A later row for the same item, annotator
and dimension replaces an earlier one. A line that cannot be read is
reported as FILE:LINE: message; any such line makes the command fail
unless --skip-bad is given.

The table lists each item's value and confidence; --annotators lists
instead each annotator's estimated accuracy, the accuracy of random answers
in the same proportions (chance), the items it rests on, and a flag when
the accuracy is near chance.

Flags:
  --method M          dawid-skene or majority (default dawid-skene)
  --json              print the whole report as JSON: posteriors, confusion
                      matrices, class priors
  --format F          table (default) or jsonl: one line per item and
                      dimension: {"item", "dimension", "value",
                      "confidence", "method"}; value is null for a tie
  --annotators        print the per-annotator table instead of the items
  --item C            the item column or field of FILE (default item)
  --annotator C       the annotator column or field (default annotator)
  --value C           the value column or field (default value)
  --skip-bad          leave out unreadable lines instead of failing

Examples:
  concord consensus
  concord consensus --annotators
  concord consensus --format jsonl > consensus.jsonl
  concord consensus crowd.csv --item question --annotator worker --value answer
  concord consensus --method majority --json labels.jsonl`,
		settings:   []string{"db"},
		envExample: "CONCORD_CONSENSUS_METHOD=majority",
		run:        runConsensus,
	})
}

func runConsensus(ctx context.Context, e *env, args []string) int {
	fs := e.flags("")
	method := fs.String("method", string(consensus.DawidSkene), "method")
	asJSON := fs.Bool("json", false, "print JSON")
	format := fs.String("format", "table", "output format")
	annotators := fs.Bool("annotators", false, "per-annotator table")
	cols := defaultLabelColumns
	fs.StringVar(&cols.Item, "item", cols.Item, "item column")
	fs.StringVar(&cols.Annotator, "annotator", cols.Annotator, "annotator column")
	fs.StringVar(&cols.Value, "value", cols.Value, "value column")
	skipBad := fs.Bool("skip-bad", false, "skip unreadable lines")
	pos, code, ok := e.parse(fs, args)
	if !ok {
		return code
	}
	m, err := consensus.ParseMethod(*method)
	if err != nil {
		return e.usageError("--method: %v", err)
	}
	switch {
	case *format != "table" && *format != "jsonl":
		return e.usageError("--format must be table or jsonl, got %q", *format)
	case *asJSON && *format == "jsonl":
		return e.usageError("give --json or --format jsonl, not both")
	case *annotators && (*asJSON || *format == "jsonl"):
		return e.usageError("--annotators chooses the table; --json already holds the annotators, --format jsonl only the items")
	case len(pos) > 1:
		return e.usageError("give one labels file, got %d", len(pos))
	}
	for _, c := range []struct{ flag, v string }{{"--item", cols.Item}, {"--annotator", cols.Annotator}, {"--value", cols.Value}} {
		if strings.TrimSpace(c.v) == "" {
			return e.usageError("%s names a column and cannot be empty", c.flag)
		}
	}

	var dims []dimInput
	source := "database"
	if len(pos) == 1 {
		source = pos[0]
		labels, bad, err := readLabelFile(pos[0], cols)
		if err != nil {
			return e.fail(err)
		}
		if n := reportBadLines(e, pos[0], bad, *skipBad); n != 0 {
			return n
		}
		if dims, err = fileDimensions(labels, cols.Value); err != nil {
			return e.fail(fmt.Errorf("%s: %w", pos[0], err))
		}
	} else {
		if cols != defaultLabelColumns || *skipBad {
			return e.usageError("--item, --annotator, --value and --skip-bad describe a labels file; give the file")
		}
		store, err := e.openStore(ctx, false)
		if err != nil {
			return e.fail(err)
		}
		defer store.Close()
		ls, err := store.AgreementLabels(ctx, annotate.AgreementFilter{})
		if err != nil {
			return e.fail(err)
		}
		dims = databaseDimensions(ls)
	}
	rep := consensusReport{Method: m, Source: source, Dimensions: []dimensionConsensus{}}
	for i := range dims {
		dc, err := inferDimension(ctx, &dims[i], m)
		if err != nil {
			return e.fail(err)
		}
		if dc.UnknownValues > 0 {
			fmt.Fprintf(e.stderr, "concord consensus: %s: left out %d label(s) with values outside the schema\n", dc.Name, dc.UnknownValues)
		}
		rep.Dimensions = append(rep.Dimensions, dc)
	}
	switch {
	case *asJSON:
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		err = enc.Encode(rep)
	case *format == "jsonl":
		err = writeConsensusJSONL(e.stdout, &rep)
	case *annotators:
		printConsensusAnnotators(e.stdout, &rep)
	default:
		printConsensusItems(e.stdout, &rep)
	}
	if err != nil {
		return e.fail(err)
	}
	return 0
}

// reportBadLines lists the unreadable lines of a labels file and returns
// the exit code when they stop the command, or 0.
func reportBadLines(e *env, path string, bad []badLine, skip bool) int {
	for i, b := range bad {
		if i == maxBadLines {
			fmt.Fprintf(e.stderr, "%s: … and %d more unreadable lines\n", path, len(bad)-maxBadLines)
			break
		}
		fmt.Fprintf(e.stderr, "%s:%d: %s\n", path, b.line, b.msg)
	}
	if len(bad) > 0 && !skip {
		fmt.Fprintf(e.stderr, "concord %s: %d unreadable line(s) in %s; fix them, or pass --skip-bad to leave them out\n", e.cmd.name, len(bad), path)
		return 1
	}
	if len(bad) > 0 {
		fmt.Fprintf(e.stderr, "concord %s: left out %d unreadable line(s)\n", e.cmd.name, len(bad))
	}
	return 0
}

// dimInput is the labels of one dimension, by name, before they are
// mapped to dense ids.
type dimInput struct {
	name  string
	multi bool
	// categories is the fixed category list (a schema's keys); nil means
	// every value seen, sorted numerically when all are numbers.
	categories []string
	labels     []dimLabel
	gold       map[string][]string
}

// dimLabel is one annotator's answer to one item on a dimension.
type dimLabel struct {
	item, annotator string
	values          []string
	// set marks an answer given as a set (a JSON array), so that an empty
	// one is an answer and not a missing label.
	set bool
}

// fileDimensions groups the labels of a file by dimension, in order of
// first appearance, the latest label of an item and annotator winning. A
// label without a dimension belongs to the dimension named unnamed, the
// value column's name.
func fileDimensions(labels []fileLabel, unnamed string) ([]dimInput, error) {
	type key struct{ dim, item, annotator string }
	at := map[key]int{}
	byDim := map[string]*dimInput{}
	var order []string
	multiLine := map[string]int{}
	singleLine := map[string]int{}
	for _, l := range labels {
		if l.Dimension == "" {
			l.Dimension = unnamed
		}
		d, ok := byDim[l.Dimension]
		if !ok {
			d = &dimInput{name: l.Dimension}
			byDim[l.Dimension] = d
			order = append(order, l.Dimension)
		}
		if l.Multi {
			d.multi = true
			if _, ok := multiLine[l.Dimension]; !ok {
				multiLine[l.Dimension] = l.Line
			}
		} else if len(l.Values) > 0 {
			if _, ok := singleLine[l.Dimension]; !ok {
				singleLine[l.Dimension] = l.Line
			}
		}
		k := key{l.Dimension, l.Item, l.Annotator}
		if x, ok := at[k]; ok {
			d.labels[x].values, d.labels[x].set = l.Values, l.Multi
			continue
		}
		at[k] = len(d.labels)
		d.labels = append(d.labels, dimLabel{item: l.Item, annotator: l.Annotator, values: l.Values, set: l.Multi})
	}
	out := make([]dimInput, 0, len(order))
	for _, name := range order {
		d := byDim[name]
		if d.multi {
			if line, ok := singleLine[name]; ok {
				return nil, fmt.Errorf("dimension %q has arrays of values (line %d) and single values (line %d); give a multi-label dimension's values as arrays", name, multiLine[name], line)
			}
		}
		out = append(out, *d)
	}
	return out, nil
}

// databaseDimensions turns the current labels of the database into one
// input per single-choice and multi-label dimension of its schema.
func databaseDimensions(ls *annotate.LabelSet) []dimInput {
	var out []dimInput
	for i := range ls.Schema.Dimensions {
		sd := &ls.Schema.Dimensions[i]
		if sd.Kind != annotate.KindSingle && sd.Kind != annotate.KindMulti {
			continue
		}
		d := dimInput{name: sd.Name, multi: sd.Kind == annotate.KindMulti, categories: sd.Keys(), gold: map[string][]string{}}
		for _, r := range ls.Rows {
			if vs, ok := r.Labels[sd.Name]; ok && len(vs) > 0 {
				d.labels = append(d.labels, dimLabel{item: r.Item, annotator: r.Annotator, values: vs})
			}
		}
		for item, g := range ls.Gold {
			if vs, ok := g[sd.Name]; ok && len(vs) > 0 {
				d.gold[item] = vs
			}
		}
		out = append(out, d)
	}
	return out
}

// consensusReport is what 'concord consensus --json' prints.
type consensusReport struct {
	Method     consensus.Method     `json:"method"`
	Source     string               `json:"source"`
	Dimensions []dimensionConsensus `json:"dimensions"`
}

// dimensionConsensus is the inferred truth of one dimension. Posteriors,
// class priors and confusion rows follow the order of Categories; for a
// multi-label dimension a posterior is the probability that the category
// applies, and each annotator has one entry per category, whose confusion
// matrix is over "no" and "yes".
type dimensionConsensus struct {
	Name          string               `json:"name"`
	Kind          string               `json:"kind"`
	Method        consensus.Method     `json:"method"`
	Reason        string               `json:"reason,omitempty"`
	Iterations    int                  `json:"iterations"`
	Converged     bool                 `json:"converged"`
	Categories    []string             `json:"categories"`
	ClassPrior    []float64            `json:"class_prior"`
	Labels        int                  `json:"labels"`
	UnknownValues int                  `json:"unknown_values"`
	Items         []itemConsensus      `json:"items"`
	Annotators    []annotatorConsensus `json:"annotators"`
}

// itemConsensus is one item's inferred value: a category (or a list of
// them, for a multi-label dimension), null when the leading categories tie.
type itemConsensus struct {
	Item       string    `json:"item"`
	Value      any       `json:"value"`
	Confidence float64   `json:"confidence"`
	Tie        []string  `json:"tie,omitempty"`
	Posterior  []float64 `json:"posterior"`
	Labels     int       `json:"labels"`
	Gold       bool      `json:"gold"`
}

// annotatorConsensus is what the labels say about one annotator.
type annotatorConsensus struct {
	Annotator  string      `json:"annotator"`
	Category   string      `json:"category,omitempty"`
	Accuracy   float64     `json:"accuracy"`
	Chance     float64     `json:"chance"`
	NearChance bool        `json:"near_chance"`
	Items      int         `json:"items"`
	Labels     int         `json:"labels"`
	Confusion  [][]float64 `json:"confusion"`
}

// interner maps names to dense ids in order of first appearance.
type interner struct {
	ids   map[string]int32
	names []string
}

func (in *interner) id(s string) int32 {
	if in.ids == nil {
		in.ids = map[string]int32{}
	}
	id, ok := in.ids[s]
	if !ok {
		id = int32(len(in.names))
		in.ids[s] = id
		in.names = append(in.names, s)
	}
	return id
}

// inferDimension maps d to dense ids and runs the method on it.
func inferDimension(ctx context.Context, d *dimInput, m consensus.Method) (dimensionConsensus, error) {
	dc := dimensionConsensus{Name: d.name, Kind: "single", Items: []itemConsensus{}, Annotators: []annotatorConsensus{}}
	if d.multi {
		dc.Kind = "multi"
	}
	cats := d.categories
	if cats == nil {
		cats = valuesSeen(d.labels)
	}
	catID := map[string]int32{}
	for i, c := range cats {
		catID[c] = int32(i)
	}
	// Annotators in name order, so the tables read alike from run to run.
	var annNames []string
	seenAnn := map[string]bool{}
	for _, l := range d.labels {
		if !seenAnn[l.annotator] {
			seenAnn[l.annotator] = true
			annNames = append(annNames, l.annotator)
		}
	}
	sort.Strings(annNames)
	var anns interner
	for _, a := range annNames {
		anns.id(a)
	}
	var items interner
	var labels []consensus.Label
	for _, l := range d.labels {
		var known []int32
		for _, v := range l.values {
			c, ok := catID[v]
			if !ok {
				dc.UnknownValues++
				continue
			}
			known = append(known, c)
		}
		if len(known) == 0 {
			if d.multi && l.set && len(l.values) == 0 {
				labels = append(labels, consensus.Label{Item: items.id(l.item), Annotator: anns.id(l.annotator), Category: consensus.NoValue})
			}
			continue
		}
		it, a := items.id(l.item), anns.id(l.annotator)
		if !d.multi {
			labels = append(labels, consensus.Label{Item: it, Annotator: a, Category: known[0]})
			continue
		}
		for _, c := range known {
			labels = append(labels, consensus.Label{Item: it, Annotator: a, Category: c})
		}
	}
	dc.Labels = len(labels)
	var gold []consensus.Gold
	goldItems := make([]string, 0, len(d.gold))
	for item := range d.gold {
		goldItems = append(goldItems, item)
	}
	sortItems(goldItems)
	for _, item := range goldItems {
		for _, v := range d.gold[item] {
			if c, ok := catID[v]; ok {
				gold = append(gold, consensus.Gold{Item: items.id(item), Category: c})
				if !d.multi {
					break
				}
			}
		}
	}
	dc.Categories = cats
	opt := consensus.Options{Method: m}
	if !d.multi {
		r, err := consensus.Infer(ctx, &consensus.Data{Items: items.names, Annotators: anns.names, Categories: cats, Labels: labels, Gold: gold}, opt)
		if err != nil {
			return dc, err
		}
		fillSingle(&dc, r, items.names, anns.names)
		return dc, nil
	}
	r, err := consensus.InferMulti(ctx, &consensus.MultiData{Items: items.names, Annotators: anns.names, Categories: cats, Labels: labels, Gold: gold}, opt)
	if err != nil {
		return dc, err
	}
	fillMulti(&dc, r, items.names, anns.names)
	return dc, nil
}

// valuesSeen lists the values of labels, sorted numerically when every
// one is a number and as text otherwise.
func valuesSeen(labels []dimLabel) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range labels {
		for _, v := range l.values {
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	sortItems(out)
	return out
}

// sortItems sorts names numerically when all are numbers, else as text.
func sortItems(names []string) {
	nums := make(map[string]float64, len(names))
	for _, s := range names {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			slices.Sort(names)
			return
		}
		nums[s] = v
	}
	sort.SliceStable(names, func(i, j int) bool {
		if nums[names[i]] != nums[names[j]] {
			return nums[names[i]] < nums[names[j]]
		}
		return names[i] < names[j]
	})
}

func fillSingle(dc *dimensionConsensus, r *consensus.Result, items, anns []string) {
	dc.Method, dc.Reason, dc.Iterations, dc.Converged = r.Method, r.Reason, r.Iterations, r.Converged
	dc.ClassPrior = r.ClassPrior
	for i, name := range items {
		it := r.Items[i]
		ic := itemConsensus{Item: name, Confidence: it.Confidence, Posterior: r.PosteriorOf(i), Labels: int(it.Labels), Gold: it.Gold}
		if it.Tie {
			for _, c := range r.Tied(i) {
				ic.Tie = append(ic.Tie, dc.Categories[c])
			}
		} else if it.Value != consensus.NoValue {
			ic.Value = dc.Categories[it.Value]
		}
		dc.Items = append(dc.Items, ic)
	}
	for a, name := range anns {
		ar := r.Annotators[a]
		dc.Annotators = append(dc.Annotators, annotatorConsensus{Annotator: name, Accuracy: ar.Accuracy, Chance: ar.Chance, NearChance: ar.NearChance, Items: ar.Items, Labels: ar.Labels, Confusion: ar.Confusion})
	}
}

func fillMulti(dc *dimensionConsensus, r *consensus.MultiResult, items, anns []string) {
	dc.Method, dc.Reason = r.Method, r.Reason
	dc.Converged = len(r.Categories) > 0
	dc.ClassPrior = []float64{}
	for _, cr := range r.Categories {
		dc.Iterations = max(dc.Iterations, cr.Iterations)
		dc.Converged = dc.Converged && (cr.Converged || cr.Method == consensus.MajorityVote)
		dc.ClassPrior = append(dc.ClassPrior, cr.ClassPrior[1])
		if cr.Method == consensus.MajorityVote {
			dc.Method = consensus.MajorityVote
		}
	}
	for i, name := range items {
		it := r.Items[i]
		ic := itemConsensus{Item: name, Confidence: it.Confidence, Labels: int(it.Units), Gold: it.Gold, Posterior: []float64{}}
		vals := []string{}
		for _, c := range it.Values {
			vals = append(vals, dc.Categories[c])
		}
		for c, cr := range r.Categories {
			p := cr.PosteriorOf(i)[1]
			ic.Posterior = append(ic.Posterior, p)
			if it.Tie && math.Abs(p-0.5) < 1e-9 {
				ic.Tie = append(ic.Tie, dc.Categories[c])
			}
		}
		if !it.Tie {
			ic.Value = vals
		}
		dc.Items = append(dc.Items, ic)
	}
	for a, name := range anns {
		for c, cr := range r.Categories {
			ar := cr.Annotators[a]
			dc.Annotators = append(dc.Annotators, annotatorConsensus{Annotator: name, Category: dc.Categories[c], Accuracy: ar.Accuracy, Chance: ar.Chance, NearChance: ar.NearChance, Items: ar.Items, Labels: ar.Labels, Confusion: ar.Confusion})
		}
	}
}

// consensusLine is one line of --format jsonl.
type consensusLine struct {
	Item       string           `json:"item"`
	Dimension  string           `json:"dimension"`
	Value      any              `json:"value"`
	Confidence float64          `json:"confidence"`
	Method     consensus.Method `json:"method"`
}

func writeConsensusJSONL(w io.Writer, rep *consensusReport) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, d := range rep.Dimensions {
		for _, it := range d.Items {
			if err := enc.Encode(consensusLine{Item: it.Item, Dimension: d.Name, Value: it.Value, Confidence: it.Confidence, Method: d.Method}); err != nil {
				return err
			}
		}
	}
	return nil
}

// dimensionHeading is the line above a dimension's table.
func dimensionHeading(d *dimensionConsensus) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %d items, %d labels by %d annotators; %s", d.Name, d.Kind, len(d.Items), d.Labels, annotatorCount(d), d.Method)
	switch {
	case d.Method == consensus.DawidSkene && d.Converged:
		fmt.Fprintf(&b, ", converged after %d iterations", d.Iterations)
	case d.Method == consensus.DawidSkene:
		fmt.Fprintf(&b, ", stopped at the cap of %d iterations", d.Iterations)
	}
	if d.Reason != "" {
		fmt.Fprintf(&b, "\n  %s", d.Reason)
	}
	return b.String()
}

func annotatorCount(d *dimensionConsensus) int {
	seen := map[string]bool{}
	for _, a := range d.Annotators {
		seen[a.Annotator] = true
	}
	return len(seen)
}

// valueText writes an item's value for the table.
func valueText(it *itemConsensus) string {
	switch v := it.Value.(type) {
	case string:
		return v
	case []string:
		if len(v) == 0 {
			return "{}"
		}
		return strings.Join(v, ", ")
	}
	if len(it.Tie) > 0 {
		return "tie: " + strings.Join(it.Tie, " | ")
	}
	return "—"
}

func printConsensusItems(w io.Writer, rep *consensusReport) {
	for i := range rep.Dimensions {
		d := &rep.Dimensions[i]
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, dimensionHeading(d))
		if len(d.Items) == 0 {
			fmt.Fprintln(w, "  no labels on this dimension")
			continue
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  item\tvalue\tconfidence\tlabels\t")
		for j := range d.Items {
			it := &d.Items[j]
			gold := ""
			if it.Gold {
				gold = "gold"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%.3f\t%d\t%s\n", it.Item, valueText(it), it.Confidence, it.Labels, gold)
		}
		tw.Flush()
	}
}

func printConsensusAnnotators(w io.Writer, rep *consensusReport) {
	for i := range rep.Dimensions {
		d := &rep.Dimensions[i]
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, dimensionHeading(d))
		if len(d.Annotators) == 0 {
			fmt.Fprintln(w, "  no labels on this dimension")
			continue
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		if d.Kind == "multi" {
			fmt.Fprintln(tw, "  annotator\tcategory\taccuracy\tchance\titems\t")
		} else {
			fmt.Fprintln(tw, "  annotator\taccuracy\tchance\titems\t")
		}
		for _, a := range d.Annotators {
			flag := ""
			if a.NearChance && a.Labels > 0 {
				flag = "near chance"
			}
			if d.Kind == "multi" {
				fmt.Fprintf(tw, "  %s\t%s\t%.3f\t%.3f\t%d\t%s\n", a.Annotator, a.Category, a.Accuracy, a.Chance, a.Items, flag)
			} else {
				fmt.Fprintf(tw, "  %s\t%.3f\t%.3f\t%d\t%s\n", a.Annotator, a.Accuracy, a.Chance, a.Items, flag)
			}
		}
		tw.Flush()
	}
}
