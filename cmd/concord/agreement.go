package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"concord/agreement"
	"concord/annotate"
	"concord/export"
)

func init() {
	register(&command{
		name:    "agreement",
		summary: "measure inter-annotator agreement, per dimension",
		usage: `Usage:
  concord agreement [--db FILE] [filters] [--json]
  concord agreement FILE.csv|FILE.tsv|FILE.jsonl [--level L] [--item C] [--annotator C] [--value C] [--json]
  concord agreement --schema SCHEMA.yaml FILE [--json] [--skip-bad]

Prints, for every dimension, the agreement between the annotators:
observed agreement, Krippendorff's alpha (nominal; ordinal, interval and
ratio for ordered dimensions; MASI and Jaccard for multi-label ones),
Fleiss' and Light's kappa, each with the chance term it corrects for
(expected agreement Pe of a kappa, expected disagreement De of an alpha),
95% bootstrap intervals for alpha and a one-line reading, then Cohen's kappa
for every pair of annotators that share items, worst first, and each
annotator's agreement with the gold labels; from the database, each
model that sent suggestions follows, apart from the annotators, against
gold and against them. With --json it prints the
report as one JSON object (the README documents its shape).

The first form reads the labels of the current paragraphs in the database.
The others need no database: they read labels in the long shape, one label
per row or line, from CSV or TSV with a header row, or from JSONL as
'concord export --shape annotations' writes it. The extension says which,
and the content must agree: a CSV file named .jsonl is refused with what it
looks like.
  item,annotator,value            {"item": 1, "annotator": "w7", "value": "agree"}
  p1,alice,agree                  {"item": "p1", "annotator": "bob", "dimension": "topic", "value": ["strike"]}
Items, annotators and values may be numbers. A "dimension" column or field
is optional; without it the file is one dimension, named after the value
column. In JSONL an array value makes the dimension multi-label.

Without --schema the categories are the values of the file, and --level
says how to compare them: nominal (the default: same or different),
ordinal (ranks), interval (differences of numbers) or ratio (ratios of
numbers of zero or more); all but nominal need every value to be a number.
With --schema the schema governs: its dimensions, its options (keys or
names), its order and the numeric value of each option on an ordered
scale; a CSV cell of a multi-label dimension holds values separated by |.

A later line for the same item, annotator and dimension replaces an earlier
one; the report counts them (duplicate_labels). A line that cannot be read
is reported as FILE:LINE: message; any such line makes the command fail
unless --skip-bad is given, and a file with no readable line always fails.

Flags:
  --json              print the report as JSON
  --documents 1,2     only these documents (database form)
  --annotators a,b    only these annotators
  --from DATE         only labels saved on or after DATE (YYYY-MM-DD)
  --to DATE           only labels saved on or before DATE (YYYY-MM-DD)
  --bootstrap N       bootstrap resamples for the intervals; 0 for none
                      (default 1000)
  --seed N            seed of the bootstrap (default 1)
  --level L           nominal, ordinal, interval or ratio: how to compare
                      the values of a file read without --schema
                      (default nominal)
  --schema FILE       the label schema of FILE (file form)
  --item C            the item column or field of FILE (default item)
  --annotator C       the annotator column or field (default annotator)
  --value C           the value column or field (default value)
  --dimension C       the dimension column or field (default dimension)
  --skip-bad          leave out unreadable lines instead of failing

Examples:
  concord agreement
  concord agreement --annotators alice,bob --from 2026-01-01 --to 2026-01-31
  concord agreement --json > agreement.json
  concord agreement crowd.csv --item question --annotator worker --value answer
  concord agreement scores.tsv --level interval
  concord export --format jsonl --shape annotations -o labels.jsonl
  concord agreement --schema seeds/schema.yaml labels.jsonl`,
		settings:   []string{"db"},
		envExample: "CONCORD_AGREEMENT_JSON=true",
		run:        runAgreement,
	})
}

func runAgreement(ctx context.Context, e *env, args []string) int {
	fs := e.flags("")
	asJSON := fs.Bool("json", false, "print JSON")
	docs := fs.String("documents", "", "document ids")
	anns := fs.String("annotators", "", "annotator names")
	from := fs.String("from", "", "first day")
	to := fs.String("to", "", "last day")
	boot := fs.Int("bootstrap", agreement.DefaultBootstrap, "bootstrap resamples")
	seed := fs.Int64("seed", 1, "bootstrap seed")
	schemaFile := fs.String("schema", "", "schema of the labels file")
	levelFlag := fs.String("level", "", "level of measurement")
	lff := addLabelFileFlags(fs)
	pos, code, ok := e.parse(fs, args)
	if !ok {
		return code
	}
	if *boot < 0 || *boot > 100000 {
		return e.usageError("--bootstrap must be from 0 to 100000, got %d", *boot)
	}
	opt := agreement.DefaultOptions()
	opt.Bootstrap, opt.Seed = *boot, *seed

	var rep *annotate.AgreementReport
	level, err := annotate.ParseLevel(*levelFlag)
	if err != nil {
		return e.usageError("--level: %s", errorText(err))
	}
	if err := lff.check(); err != nil {
		return e.usageError("%v", err)
	}
	if *schemaFile != "" || len(pos) > 0 {
		switch {
		case len(pos) != 1:
			return e.usageError("give exactly one labels file (CSV, TSV or JSONL), got %d", len(pos))
		case *docs != "" || *from != "" || *to != "":
			return e.usageError("--documents, --from and --to filter the database; a file is read whole")
		case *schemaFile != "" && *levelFlag != "":
			return e.usageError("--level says how to compare values read without a schema; with --schema, the schema's ordered dimensions and option values say it")
		}
		r, code := agreementFromFile(e, *schemaFile, pos[0], lff, level, splitList(*anns), opt)
		if r == nil {
			return code
		}
		rep = r
	} else {
		if lff.given() || *levelFlag != "" {
			return e.usageError("--level, --item, --annotator, --value, --dimension and --skip-bad describe a labels file; give the file")
		}
		f, err := agreementFilter(*docs, *anns, *from, *to)
		if err != nil {
			return e.usageError("%s", errorText(err))
		}
		store, err := e.openStore(ctx, false)
		if err != nil {
			return e.fail(err)
		}
		defer store.Close()
		if rep, err = store.Agreement(ctx, f, opt); err != nil {
			return e.fail(err)
		}
	}
	if *asJSON {
		if err := writeJSON(e.stdout, rep); err != nil {
			return e.fail(err)
		}
		return 0
	}
	printAgreement(e.stdout, rep)
	return 0
}

// agreementFilter builds the database filter from the flags.
func agreementFilter(docs, anns, from, to string) (annotate.AgreementFilter, error) {
	var f annotate.AgreementFilter
	for _, s := range splitList(docs) {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return f, annotate.Invalidf("documents", "%q is not a document id; give ids separated by commas", s)
		}
		f.Documents = append(f.Documents, id)
	}
	f.Annotators = splitList(anns)
	var err error
	if from != "" {
		if f.From, err = time.Parse(time.DateOnly, from); err != nil {
			return f, annotate.Invalidf("from", "--from takes a date such as 2026-01-31, got %q", from)
		}
	}
	if to != "" {
		if f.To, err = time.Parse(time.DateOnly, to); err != nil {
			return f, annotate.Invalidf("to", "--to takes a date such as 2026-01-31, got %q", to)
		}
		f.To = f.To.AddDate(0, 0, 1)
	}
	return f, f.Check()
}

// agreementFromFile computes the report of a labels file. Without a
// schema the categories are the values of the file, compared at level. It
// returns nil and the exit code when the file cannot be used.
func agreementFromFile(e *env, schemaPath, path string, lff *labelFileFlags, level annotate.Level, annotators []string, opt agreement.Options) (*annotate.AgreementReport, int) {
	var sc *annotate.Schema
	if schemaPath != "" {
		data, err := os.ReadFile(schemaPath)
		if err != nil {
			return nil, e.fail(err)
		}
		if sc, err = annotate.ParseSchema(data); err != nil {
			return nil, e.fail(fmt.Errorf("%s: %s", schemaPath, errorText(err)))
		}
	}
	lf, err := export.ReadLabelFile(path, lff.cols)
	if err != nil {
		return nil, e.fail(err)
	}
	if sc != nil {
		err = resolveLabels(lf, sc)
	} else {
		sc, err = inferSchema(lf, level, lff.cols.Value)
	}
	if err != nil {
		return nil, e.fail(fmt.Errorf("%s: %s", path, errorText(err)))
	}
	if code := reportBadLines(e, path, lf, lff.skipBad); code != 0 {
		return nil, code
	}
	labels := lf.Labels
	if len(annotators) > 0 {
		keep := map[string]bool{}
		for _, a := range annotators {
			keep[a] = true
		}
		seen := map[string]bool{}
		kept := labels[:0]
		for _, l := range labels {
			if keep[l.Annotator] {
				kept = append(kept, l)
				seen[l.Annotator] = true
			}
		}
		for _, a := range annotators {
			if !seen[a] {
				return nil, e.fail(annotate.Invalidf("annotators", "%s has no label from %q", path, a))
			}
		}
		labels = kept
	}
	labels, dups := export.CollapseLabels(labels)
	reportDuplicates(e, path, dups)
	rep := annotate.BuildAgreement(sc, labelRows(labels), nil, opt)
	if schemaPath == "" {
		rep.SetLevel(level)
	}
	rep.AddDuplicates(dups)
	return rep, 0
}

// labelRows gathers collapsed labels into one row per item and annotator.
func labelRows(labels []export.FileLabel) []annotate.LabelRow {
	type key struct{ item, annotator string }
	at := map[key]int{}
	var rows []annotate.LabelRow
	for _, l := range labels {
		k := key{l.Item, l.Annotator}
		i, ok := at[k]
		if !ok {
			i = len(rows)
			at[k] = i
			rows = append(rows, annotate.LabelRow{Item: l.Item, Annotator: l.Annotator, Labels: annotate.Labels{}})
		}
		if len(l.Values) > 0 {
			rows[i].Labels[l.Dimension] = l.Values
		}
	}
	return rows
}

// resolveLabels checks the labels of lf against the schema: each names one
// of its dimensions (a file without a dimension column is the schema's
// only dimension), and its values are option keys or names, resolved to
// keys, one for a single or open dimension and a set for a multi one (in
// CSV and TSV a cell with values separated by |). Labels that do not fit
// move to lf.Bad.
func resolveLabels(lf *export.LabelFile, sc *annotate.Schema) error {
	named := false
	for _, l := range lf.Labels {
		if l.Dimension != "" {
			named = true
			break
		}
	}
	if !named && len(sc.Dimensions) > 1 && len(lf.Labels) > 0 {
		return fmt.Errorf("no label names its dimension, and the schema has %d (%s): add a dimension column or field, or name it with --dimension", len(sc.Dimensions), strings.Join(sc.Names(), ", "))
	}
	kept := lf.Labels[:0]
	for _, l := range lf.Labels {
		vs, err := resolveLabel(&l, sc, lf.Format)
		if err != nil {
			lf.Bad = append(lf.Bad, export.LineError{Line: l.Line, Message: err.Error()})
			continue
		}
		l.Values = vs
		kept = append(kept, l)
	}
	lf.Labels = kept
	slices.SortStableFunc(lf.Bad, func(a, b export.LineError) int { return a.Line - b.Line })
	return nil
}

func resolveLabel(l *export.FileLabel, sc *annotate.Schema, format string) ([]string, error) {
	if l.Dimension == "" {
		l.Dimension = sc.Dimensions[0].Name
	}
	d, ok := sc.Dimension(l.Dimension)
	if !ok {
		return nil, fmt.Errorf("unknown dimension %q (the schema has: %s)", l.Dimension, strings.Join(sc.Names(), ", "))
	}
	vs := l.Values
	switch {
	case d.Kind == annotate.KindMulti && !l.Multi && len(vs) > 0 && format == export.LabelJSONL:
		return nil, fmt.Errorf("%s is a multi-label dimension: value must be an array of strings, such as [%q], got %q", d.Name, d.Options[0].Key, vs[0])
	case d.Kind == annotate.KindMulti && !l.Multi && len(vs) == 1:
		vs = strings.Split(vs[0], "|")
	case d.Kind != annotate.KindMulti && len(vs) > 1:
		return nil, fmt.Errorf("%s takes one value, got %d", d.Name, len(vs))
	}
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		k, ok := d.Resolve(strings.TrimSpace(v))
		if !ok {
			return nil, fmt.Errorf("%q is not a value of %s (allowed: %s)", v, d.Name, strings.Join(d.Keys(), ", "))
		}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out, nil
}

// inferSchema builds the schema of a file read without one: a dimension
// per dimension name in the file (the value column's name, unnamed, when
// it has none), multi-label when its values are arrays, ordered unless
// level is nominal. Its options are the values seen, in numeric order when
// they are numbers; at the ordinal, interval and ratio levels they must be,
// and interval and ratio alpha measure the numbers' differences. A value
// that is not a number there moves its label to lf.Bad.
func inferSchema(lf *export.LabelFile, level annotate.Level, unnamed string) (*annotate.Schema, error) {
	type dim struct {
		name       string
		multi      int // line of the first array, 0 for none
		single     int // line of the first single value
		values     map[string]float64
		allNumbers bool
	}
	byName := map[string]*dim{}
	var order []*dim
	kept := lf.Labels[:0]
	for _, l := range lf.Labels {
		if l.Dimension == "" {
			l.Dimension = unnamed
		}
		d, ok := byName[l.Dimension]
		if !ok {
			d = &dim{name: l.Dimension, values: map[string]float64{}, allNumbers: true}
			byName[l.Dimension] = d
			order = append(order, d)
		}
		if level != annotate.LevelNominal {
			if l.Multi {
				return nil, fmt.Errorf("line %d: dimension %q has an array of values, and --level %s compares one value per label; multi-label values are compared as sets, at the nominal level", l.Line, d.name, level)
			}
			vs, err := numericValues(l.Values)
			if err != nil {
				lf.Bad = append(lf.Bad, export.LineError{Line: l.Line, Message: fmt.Sprintf("%v, and --level %s compares values as numbers; fix the value, or compare names with --level nominal (or give a --schema that orders them)", err, level)})
				continue
			}
			l.Values = vs
		}
		switch {
		case l.Multi && d.multi == 0:
			d.multi = l.Line
		case !l.Multi && len(l.Values) > 0 && d.single == 0:
			d.single = l.Line
		}
		if l.Multi {
			l.Values = sortedSet(l.Values)
		}
		for _, v := range l.Values {
			if _, ok := d.values[v]; ok {
				continue
			}
			x, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
				d.allNumbers = false
			}
			d.values[v] = x
		}
		kept = append(kept, l)
	}
	lf.Labels = kept
	slices.SortStableFunc(lf.Bad, func(a, b export.LineError) int { return a.Line - b.Line })
	sc := &annotate.Schema{}
	for _, d := range order {
		if d.multi > 0 && d.single > 0 {
			return nil, fmt.Errorf("dimension %q has arrays of values (line %d) and single values (line %d); give a multi-label dimension's values as arrays", d.name, d.multi, d.single)
		}
		ad := annotate.Dimension{Name: d.name, Title: d.name, Kind: annotate.KindSingle, Ordered: level != annotate.LevelNominal}
		if d.multi > 0 {
			ad.Kind = annotate.KindMulti
		}
		keys := make([]string, 0, len(d.values))
		for v := range d.values {
			keys = append(keys, v)
		}
		slices.SortFunc(keys, func(a, b string) int {
			if d.allNumbers && d.values[a] != d.values[b] {
				return cmpFloat(d.values[a], d.values[b])
			}
			return strings.Compare(a, b)
		})
		for _, k := range keys {
			o := annotate.Option{Key: k, Name: k}
			if ad.Ordered {
				x := d.values[k]
				o.Value = &x
			}
			ad.Options = append(ad.Options, o)
		}
		sc.Dimensions = append(sc.Dimensions, ad)
	}
	return sc, nil
}

// numericValues parses values as finite numbers and writes them the one
// way, so that 1, 1.0 and 1e0 are one category.
func numericValues(vs []string) ([]string, error) {
	out := make([]string, len(vs))
	for i, v := range vs {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
			return nil, fmt.Errorf("%q is not a number", v)
		}
		out[i] = strconv.FormatFloat(x, 'g', -1, 64)
	}
	return out, nil
}

func sortedSet(vs []string) []string {
	out := slices.Clone(vs)
	slices.Sort(out)
	return slices.Compact(out)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// printAgreement writes the report as readable tables, one per dimension.
func printAgreement(w io.Writer, rep *annotate.AgreementReport) {
	fmt.Fprintf(w, "%d items, %d labels by %d annotators (%s), %d with a gold label\n",
		rep.Items, rep.Labels, len(rep.Annotators), strings.Join(rep.Annotators, ", "), rep.GoldItems)
	if rep.Level != "" {
		fmt.Fprintf(w, "values compared at the %s level; the categories are the values of the file\n", rep.Level)
	}
	if rep.DuplicateLabels > 0 {
		fmt.Fprintf(w, "%s repeated label(s) collapsed: %s\n", thousands(rep.DuplicateLabels), rep.DuplicateRule)
	}
	if rep.Options.Bootstrap > 0 {
		fmt.Fprintf(w, "intervals: %d bootstrap resamples, seed %d\n", rep.Options.Bootstrap, rep.Options.Seed)
	}
	for i := range rep.Dimensions {
		d := &rep.Dimensions[i]
		r := &d.Report
		kind := string(d.Kind)
		if r.Ordered {
			kind += ", ordered"
		}
		fmt.Fprintf(w, "\n%s (%s): %d items, %d labelled by two or more annotators\n", d.Title, kind, r.Items, r.PairableItems)
		if r.Units == 0 {
			fmt.Fprintf(w, "  no labels on this dimension\n")
			continue
		}
		fmt.Fprintf(w, "  %s\n", d.Reading)
		if r.DuplicateUnits > 0 {
			fmt.Fprintf(w, "  %s repeated label(s) collapsed (the last line wins)\n", thousands(r.DuplicateUnits))
		}
		switch r.ScaleFrom {
		case agreement.ScalePositions:
			fmt.Fprintf(w, "  interval distances are between option positions 0…%d: the options carry no numeric value (give each option a value in the schema)\n", len(r.Categories)-1)
		case agreement.ScaleValues:
			fmt.Fprintf(w, "  interval and ratio distances are between the values %s\n", scaleText(r.Categories, r.ScaleValues))
		}
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  metric\tvalue\t95% CI\tchance\treading")
		for _, m := range dimensionMetrics(d) {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", m.name, annotate.FormatMetric(m.m.Float()), ciText(m.m), chanceText(m.m), m.reading())
		}
		tw.Flush()
		printPairs(w, &r.Pairwise)
		if hasGold(d.Gold) {
			fmt.Fprintf(w, "\n  against gold:\n")
			tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			for _, g := range d.Gold {
				acc := "—"
				if g.Accuracy != nil {
					acc = fmt.Sprintf("%.0f%%", 100**g.Accuracy)
				}
				fmt.Fprintf(tw, "  %s\t%s\tκ %s\t%s\n", g.Annotator, acc, annotate.FormatMetric(g.Kappa.Float()), g.Reading)
			}
			tw.Flush()
		}
		printModels(w, rep, d.Name)
	}
}

// printModels lists the models' rows of one dimension, apart from the
// annotators: against gold and against the annotators, with the n of each.
func printModels(w io.Writer, rep *annotate.AgreementReport, dim string) {
	var lines []string
	for _, m := range rep.Models {
		for _, d := range m.Dimensions {
			if d.Name != dim {
				continue
			}
			gold := "no gold item"
			if d.Gold.Items > 0 {
				gold = fmt.Sprintf("gold %d/%d, κ %s, macro-F1 %s", d.Gold.Matches, d.Gold.Items, annotate.FormatMetric(d.Gold.Kappa.Float()), annotate.FormatMetric(d.Gold.MacroF1.Float()))
			}
			var each []string
			for _, a := range d.Annotators {
				if a.Items > 0 {
					each = append(each, fmt.Sprintf("%s %s (n %d)", a.Annotator, annotate.FormatMetric(a.Kappa.Float()), a.Items))
				}
			}
			line := fmt.Sprintf("  %s\t%d paragraphs\t%s\tannotators mean κ %s (%s); their own κ %s", m.Agent, d.Paragraphs, gold, annotate.FormatMetric(d.MeanKappa.Float()), strings.Join(each, ", "), annotate.FormatMetric(d.HumanKappa.Float()))
			if d.Accept != nil && d.Accept.Shown > 0 {
				line += fmt.Sprintf("; kept %d of %d shown", d.Accept.Accepted, d.Accept.Shown)
			}
			lines = append(lines, line)
		}
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(w, "\n  models (their suggestions count in none of the figures above):\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, l := range lines {
		fmt.Fprintln(tw, l)
	}
	tw.Flush()
}

// printPairs lists the pairs of annotators that share items, the worst
// agreement first (undefined ones last), and counts the others in one
// line: with many annotators most pairs share nothing, and a line for each
// would bury the ones that do.
func printPairs(w io.Writer, p *agreement.Pairwise) {
	if len(p.Pairs) == 0 {
		return
	}
	var shared []agreement.PairAgreement
	for _, x := range p.Pairs {
		if x.Items > 0 {
			shared = append(shared, x)
		}
	}
	sort.SliceStable(shared, func(i, j int) bool {
		a, b := shared[i].Value, shared[j].Value
		if a.Defined() != b.Defined() {
			return a.Defined()
		}
		return a.Defined() && *a.Value < *b.Value
	})
	measure := "Cohen's κ"
	if p.Measure == "alpha_masi" {
		measure = "MASI α"
	}
	fmt.Fprintf(w, "\n  pairs (%s), worst first:\n", measure)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, x := range shared {
		read := agreement.InterpretKappa(x.Value.Float())
		if p.Measure == "alpha_masi" {
			read = agreement.Interpret(x.Value.Float())
		}
		if !x.Value.Defined() {
			read = x.Value.Reason
		}
		fmt.Fprintf(tw, "  %s – %s\t%s\t%d shared items\t%s\t%s\n", x.A, x.B, annotate.FormatMetric(x.Value.Float()), x.Items, chanceText(x.Value), read)
	}
	tw.Flush()
	if n := len(p.Pairs) - len(shared); n > 0 {
		fmt.Fprintf(w, "  %s pairs share no item\n", thousands(n))
	}
}

// chanceText is the chance term of a coefficient: Pe, the expected
// agreement of a kappa, or De, the expected disagreement of an alpha.
func chanceText(m agreement.Metric) string {
	switch {
	case m.ExpectedAgreement != nil:
		return "Pe " + annotate.FormatMetric(*m.ExpectedAgreement)
	case m.ExpectedDisagreement != nil:
		return "De " + formatTerm(*m.ExpectedDisagreement)
	}
	return ""
}

// formatTerm writes a disagreement, which on an interval scale is a squared
// distance and can be large: three decimals below 1000, none above.
func formatTerm(v float64) string {
	if math.Abs(v) >= 1000 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return annotate.FormatMetric(v)
}

// scaleText lists the numbers of a scale, "n10=-10, n5=-5, …" where keys
// differ from their numbers, "-10, -5, …" where they are the same; long
// scales show their two ends.
func scaleText(cats []string, xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		v := strconv.FormatFloat(x, 'g', -1, 64)
		if i < len(cats) && cats[i] != v {
			v = cats[i] + "=" + v
		}
		parts[i] = v
	}
	if len(parts) > 8 {
		return strings.Join(parts[:3], ", ") + ", …, " + strings.Join(parts[len(parts)-3:], ", ")
	}
	return strings.Join(parts, ", ")
}

// thousands writes n with commas between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func hasGold(gs []annotate.GoldAgreement) bool {
	for _, g := range gs {
		if g.Items > 0 {
			return true
		}
	}
	return false
}

// namedMetric is one row of a dimension's table.
type namedMetric struct {
	name  string
	m     agreement.Metric
	kappa bool // read with the kappa bands rather than alpha's
	plain bool // a proportion, with no reading
}

func (n namedMetric) reading() string {
	switch {
	case !n.m.Defined():
		return n.m.Reason
	case n.plain:
		return ""
	case n.kappa:
		return agreement.InterpretKappa(n.m.Float())
	}
	return agreement.Interpret(n.m.Float())
}

// dimensionMetrics lists the coefficients that apply to a dimension.
func dimensionMetrics(d *annotate.DimensionAgreement) []namedMetric {
	r := &d.Report
	out := []namedMetric{{name: "observed agreement", m: r.ObservedAgreement, plain: true}}
	if r.Kind == "multi" {
		return append(out,
			namedMetric{name: "α (MASI)", m: r.AlphaMASI},
			namedMetric{name: "α (Jaccard)", m: r.AlphaJaccard},
			namedMetric{name: "α (nominal, exact sets)", m: r.AlphaNominal})
	}
	out = append(out, namedMetric{name: "α (nominal)", m: r.AlphaNominal})
	if r.Ordered {
		out = append(out, namedMetric{name: "α (ordinal)", m: r.AlphaOrdinal}, namedMetric{name: "α (interval)", m: r.AlphaInterval}, namedMetric{name: "α (ratio)", m: r.AlphaRatio})
	}
	return append(out,
		namedMetric{name: "Fleiss' κ", m: r.FleissKappa, kappa: true},
		namedMetric{name: "Light's κ (mean Cohen)", m: r.LightKappa, kappa: true})
}

func ciText(m agreement.Metric) string {
	if m.CI == nil {
		return ""
	}
	return annotate.FormatMetric(m.CI.Lower) + " to " + annotate.FormatMetric(m.CI.Upper)
}
