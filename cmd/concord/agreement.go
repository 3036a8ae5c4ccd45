package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"concord/agreement"
	"concord/annotate"
)

func init() {
	register(&command{
		name:    "agreement",
		summary: "measure inter-annotator agreement, per dimension",
		usage: `Usage:
  concord agreement [--db FILE] [filters] [--json]
  concord agreement --schema SCHEMA.yaml FILE.jsonl [--json] [--skip-bad]

Prints, for every dimension of the schema, the agreement between the
annotators: observed agreement, Krippendorff's alpha (nominal; ordinal and
interval for ordered dimensions; MASI and Jaccard for multi-label ones),
Fleiss' and Light's kappa, with 95% bootstrap intervals for alpha and a
one-line reading, then Cohen's kappa for every pair of annotators and each
annotator's agreement with the gold labels. With --json it prints the report
as one JSON object (the README documents its shape).

The first form reads the labels of the current paragraphs in the database.
The second needs no database: it reads labels from a JSONL file in the long
shape, one label per line, as 'concord export --shape annotations' writes:
  {"item": "p1", "annotator": "alice", "dimension": "stance", "value": "agree"}
  {"item": "p1", "annotator": "alice", "dimension": "topic", "value": ["strike"]}
A line that cannot be read is reported as FILE:LINE: message; any such line
makes the command fail unless --skip-bad is given.

Flags:
  --json              print the report as JSON
  --documents 1,2     only these documents (database form)
  --annotators a,b    only these annotators
  --from DATE         only labels saved on or after DATE (YYYY-MM-DD)
  --to DATE           only labels saved on or before DATE (YYYY-MM-DD)
  --bootstrap N       bootstrap resamples for the intervals; 0 for none
                      (default 1000)
  --seed N            seed of the bootstrap (default 1)
  --schema FILE       the label schema of FILE.jsonl (file form)
  --skip-bad          leave out unreadable lines instead of failing

Examples:
  concord agreement
  concord agreement --annotators alice,bob --from 2026-01-01 --to 2026-01-31
  concord agreement --json > agreement.json
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
	schemaFile := fs.String("schema", "", "schema of the JSONL file")
	skipBad := fs.Bool("skip-bad", false, "skip unreadable lines")
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
	if *schemaFile != "" || len(pos) > 0 {
		if *schemaFile == "" {
			return e.usageError("reading %s needs its label schema: add --schema SCHEMA.yaml", pos[0])
		}
		if len(pos) != 1 {
			return e.usageError("give exactly one JSONL file of labels after --schema")
		}
		if *docs != "" || *from != "" || *to != "" {
			return e.usageError("--documents, --from and --to filter the database; a file is read whole")
		}
		r, code := agreementFromFile(e, *schemaFile, pos[0], splitList(*anns), *skipBad, opt)
		if r == nil {
			return code
		}
		rep = r
	} else {
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
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(rep); err != nil {
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

// maxBadLines is how many unreadable lines are listed before the rest are
// only counted.
const maxBadLines = 20

// agreementFromFile computes the report of a JSONL file of labels. It
// returns nil and the exit code when the file cannot be used.
func agreementFromFile(e *env, schemaPath, path string, annotators []string, skipBad bool, opt agreement.Options) (*annotate.AgreementReport, int) {
	data, err := os.ReadFile(schemaPath)
	if err != nil {
		return nil, e.fail(err)
	}
	sc, err := annotate.ParseSchema(data)
	if err != nil {
		return nil, e.fail(fmt.Errorf("%s: %s", schemaPath, errorText(err)))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, e.fail(err)
	}
	defer f.Close()
	rows, bad, err := readLabelLines(f, sc)
	if err != nil {
		return nil, e.fail(fmt.Errorf("%s: %w", path, err))
	}
	for i, b := range bad {
		if i == maxBadLines {
			fmt.Fprintf(e.stderr, "%s: … and %d more unreadable lines\n", path, len(bad)-maxBadLines)
			break
		}
		fmt.Fprintf(e.stderr, "%s:%d: %s\n", path, b.line, b.msg)
	}
	if len(bad) > 0 && !skipBad {
		fmt.Fprintf(e.stderr, "concord agreement: %d unreadable line(s) in %s; fix them, or pass --skip-bad to leave them out\n", len(bad), path)
		return nil, 1
	}
	if len(bad) > 0 {
		fmt.Fprintf(e.stderr, "concord agreement: left out %d unreadable line(s)\n", len(bad))
	}
	if len(annotators) > 0 {
		keep := map[string]bool{}
		for _, a := range annotators {
			keep[a] = true
		}
		seen := map[string]bool{}
		kept := rows[:0]
		for _, r := range rows {
			if keep[r.Annotator] {
				kept = append(kept, r)
				seen[r.Annotator] = true
			}
		}
		for _, a := range annotators {
			if !seen[a] {
				return nil, e.fail(annotate.Invalidf("annotators", "%s has no label from %q", path, a))
			}
		}
		rows = kept
	}
	return annotate.BuildAgreement(sc, rows, nil, opt), 0
}

// badLine is a line of a labels file that could not be read.
type badLine struct {
	line int
	msg  string
}

// labelLine is one line of the long labels shape. Other fields, such as
// the paragraph_id an export adds, are ignored; time, when present, orders
// repeated labels.
type labelLine struct {
	Item      json.RawMessage `json:"item"`
	Annotator string          `json:"annotator"`
	Dimension string          `json:"dimension"`
	Value     json.RawMessage `json:"value"`
	Time      string          `json:"time"`
}

// readLabelLines reads the long labels shape into one row per item and
// annotator, and lists the lines it could not read.
func readLabelLines(r io.Reader, sc *annotate.Schema) ([]annotate.LabelRow, []badLine, error) {
	type key struct{ item, annotator string }
	byKey := map[key]*annotate.LabelRow{}
	var order []key
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
		item, ann, dim, values, at, err := parseLabelLine(line, sc)
		if err != nil {
			bad = append(bad, badLine{n, err.Error()})
			continue
		}
		k := key{item, ann}
		row, ok := byKey[k]
		if !ok {
			row = &annotate.LabelRow{Item: item, Annotator: ann, Labels: annotate.Labels{}}
			byKey[k] = row
			order = append(order, k)
		}
		if len(values) > 0 {
			row.Labels[dim] = values
		} else {
			delete(row.Labels, dim)
		}
		if at.After(row.At) {
			row.At = at
		}
	}
	if err := sr.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, nil, fmt.Errorf("line %d is longer than 16 MiB", n+1)
		}
		return nil, nil, err
	}
	rows := make([]annotate.LabelRow, len(order))
	for i, k := range order {
		rows[i] = *byKey[k]
	}
	return rows, bad, nil
}

// parseLabelLine reads and checks one line of the long labels shape.
func parseLabelLine(line []byte, sc *annotate.Schema) (item, ann, dim string, values []string, at time.Time, err error) {
	var l labelLine
	if err := json.Unmarshal(line, &l); err != nil {
		return "", "", "", nil, at, fmt.Errorf("not a JSON object of item, annotator, dimension and value: %v", err)
	}
	if item, err = itemName(l.Item); err != nil {
		return "", "", "", nil, at, err
	}
	if ann = strings.TrimSpace(l.Annotator); ann == "" {
		return "", "", "", nil, at, errors.New(`"annotator" is missing or empty`)
	}
	d, ok := sc.Dimension(l.Dimension)
	if !ok {
		return "", "", "", nil, at, fmt.Errorf("unknown dimension %q (the schema has: %s)", l.Dimension, strings.Join(sc.Names(), ", "))
	}
	if values, err = labelValues(d, l.Value); err != nil {
		return "", "", "", nil, at, err
	}
	if l.Time != "" {
		if at, err = time.Parse(time.RFC3339Nano, l.Time); err != nil {
			return "", "", "", nil, at, fmt.Errorf("time %q is not an RFC 3339 time such as 2026-01-31T12:00:00Z", l.Time)
		}
	}
	return item, ann, d.Name, values, at, nil
}

// labelValues reads the value of a line: a string (or null for no label)
// for a single or open dimension, an array of strings for a multi one. Option
// names are resolved to keys, as in the annotation API.
func labelValues(d *annotate.Dimension, raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	var vs []string
	switch {
	case len(raw) == 0:
		return nil, errors.New(`"value" is missing`)
	case string(raw) == "null":
		return nil, nil
	case d.Kind == annotate.KindMulti:
		if err := json.Unmarshal(raw, &vs); err != nil {
			return nil, fmt.Errorf("%s is a multi-label dimension: value must be an array of strings, such as [%q], got %s", d.Name, d.Options[0].Key, raw)
		}
	default:
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("%s takes one value: value must be a string, got %s", d.Name, raw)
		}
		if v == "" {
			return nil, nil
		}
		vs = []string{v}
	}
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		k, ok := d.Resolve(v)
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

// itemName reads the item of a line: a string, or a number as in
// paragraph ids.
func itemName(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", errors.New(`"item" is missing`)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if s = strings.TrimSpace(s); s == "" {
			return "", errors.New(`"item" is empty`)
		}
		return s, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return n.String(), nil
	}
	return "", fmt.Errorf(`"item" must be a string or a number, got %s`, raw)
}

// printAgreement writes the report as readable tables, one per dimension.
func printAgreement(w io.Writer, rep *annotate.AgreementReport) {
	fmt.Fprintf(w, "%d items, %d labels by %d annotators (%s), %d with a gold label\n",
		rep.Items, rep.Labels, len(rep.Annotators), strings.Join(rep.Annotators, ", "), rep.GoldItems)
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
		fmt.Fprintf(w, "  %s\n\n", d.Reading)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  metric\tvalue\t95% CI\treading")
		for _, m := range dimensionMetrics(d) {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", m.name, annotate.FormatMetric(m.m.Float()), ciText(m.m), m.reading())
		}
		tw.Flush()
		if len(r.Pairwise.Pairs) > 0 {
			measure := "Cohen's κ"
			if r.Pairwise.Measure == "alpha_masi" {
				measure = "MASI α"
			}
			fmt.Fprintf(w, "\n  pairs (%s):\n", measure)
			tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			for _, p := range r.Pairwise.Pairs {
				read := agreement.InterpretKappa(p.Value.Float())
				if !p.Value.Defined() {
					read = p.Value.Reason
				}
				fmt.Fprintf(tw, "  %s – %s\t%s\t%d shared items\t%s\n", p.A, p.B, annotate.FormatMetric(p.Value.Float()), p.Items, read)
			}
			tw.Flush()
		}
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
	}
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
		out = append(out, namedMetric{name: "α (ordinal)", m: r.AlphaOrdinal}, namedMetric{name: "α (interval)", m: r.AlphaInterval})
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
