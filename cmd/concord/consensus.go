package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"concord/annotate"
	"concord/consensus"
	"concord/export"
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
and dimension replaces an earlier one (the report counts them in
duplicate_labels). A CSV file named .jsonl, or the other way round, is
refused with what the file looks like. A line that cannot be read is
reported as FILE:LINE: message; any such line makes the command fail
unless --skip-bad is given.

Dawid–Skene needs enough data to learn reliabilities from: at least 10
items labelled by two or more annotators (or with gold), and 5 labels on
such items per annotator on average. Below that it gives the majority vote
and says why; --small-data runs it anyway.

With --truth FILE, each dimension's consensus is scored against the known
truth: a CSV or TSV file with a header, or JSONL, holding the item column
(as --item names it) and a truth column (--truth-column, default truth),
the shape of public crowd datasets:
  question,truth
  1,2
A tie counts as wrong; the score also gives the accuracy expected were
each tie broken at random. A "dimension" column is optional.

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
  --dimension C       the dimension column or field (default dimension;
                      optional in the file)
  --skip-bad          leave out unreadable lines instead of failing
  --small-data        run Dawid–Skene even on data too small to learn
                      reliabilities from
  --truth FILE        score the consensus against the truths in FILE
                      (with --format jsonl the scores go to stderr)
  --truth-column C    the truth column or field of the truth file
                      (default truth)

Examples:
  concord consensus
  concord consensus --annotators
  concord consensus --format jsonl > consensus.jsonl
  concord consensus crowd.csv --item question --annotator worker --value answer
  concord consensus answer.csv --item question --annotator worker --value answer --truth truth.csv
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
	smallData := fs.Bool("small-data", false, "run Dawid–Skene on small data")
	truthPath := fs.String("truth", "", "truth file")
	truthColumn := fs.String("truth-column", "truth", "truth column")
	lff := addLabelFileFlags(fs)
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
	case strings.TrimSpace(*truthColumn) == "":
		return e.usageError("--truth-column names a column and cannot be empty")
	}
	if err := lff.check(); err != nil {
		return e.usageError("%v", err)
	}

	var dims []annotate.ConsensusInput
	source := "database"
	dups := 0
	if len(pos) == 1 {
		source = pos[0]
		lf, err := export.ReadLabelFile(pos[0], lff.cols)
		if err != nil {
			return e.fail(err)
		}
		if n := reportBadLines(e, pos[0], lf, lff.skipBad); n != 0 {
			return n
		}
		labels, byDim := export.CollapseLabels(lf.Labels)
		dups = reportDuplicates(e, pos[0], byDim)
		if dims, err = fileDimensions(labels, lff.cols.Value); err != nil {
			return e.fail(fmt.Errorf("%s: %w", pos[0], err))
		}
	} else {
		if lff.given() {
			return e.usageError("--item, --annotator, --value, --dimension and --skip-bad describe a labels file; give the file")
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
		dims = annotate.ConsensusInputs(ls)
	}
	rep := consensusReport{Method: m, Source: source, DuplicateLabels: dups, Dimensions: []annotate.DimensionConsensus{}}
	if dups > 0 {
		rep.DuplicateRule = annotate.DuplicateRuleLastLine
	}
	for i := range dims {
		dc, err := annotate.InferConsensus(ctx, &dims[i], consensus.Options{Method: m, SmallData: *smallData})
		if err != nil {
			return e.fail(err)
		}
		if dc.UnknownValues > 0 {
			fmt.Fprintf(e.stderr, "concord consensus: %s: left out %d label(s) with values outside the schema\n", dc.Name, dc.UnknownValues)
		}
		rep.Dimensions = append(rep.Dimensions, dc)
	}
	if *truthPath != "" {
		tf, err := export.ReadTruthFile(*truthPath, export.TruthColumns{Item: lff.cols.Item, Truth: *truthColumn, Dimension: lff.cols.Dimension})
		if err != nil {
			return e.fail(err)
		}
		if n := reportBadTruth(e, *truthPath, tf, lff.skipBad); n != 0 {
			return n
		}
		if rep.Truth, err = scoreTruth(&rep, tf); err != nil {
			return e.fail(fmt.Errorf("%s: %w", *truthPath, err))
		}
		rep.TruthFile = *truthPath
	}
	switch {
	case *asJSON:
		err = writeJSON(e.stdout, rep)
	case *format == "jsonl":
		// The lines stay one per item; the scores go to stderr.
		err = writeConsensusJSONL(e.stdout, &rep)
		printTruthScores(e.stderr, &rep)
	case *annotators:
		printConsensusAnnotators(e.stdout, &rep)
		printTruthScores(e.stdout, &rep)
	default:
		printConsensusItems(e.stdout, &rep)
		printTruthScores(e.stdout, &rep)
	}
	if err != nil {
		return e.fail(err)
	}
	return 0
}

// fileDimensions groups the labels of a file, collapsed to one per item,
// annotator and dimension, by dimension in order of first appearance. A
// label without a dimension belongs to the dimension named unnamed, the
// value column's name.
func fileDimensions(labels []export.FileLabel, unnamed string) ([]annotate.ConsensusInput, error) {
	byDim := map[string]*annotate.ConsensusInput{}
	var order []string
	multiLine := map[string]int{}
	singleLine := map[string]int{}
	for _, l := range labels {
		if l.Dimension == "" {
			l.Dimension = unnamed
		}
		d, ok := byDim[l.Dimension]
		if !ok {
			d = &annotate.ConsensusInput{Name: l.Dimension}
			byDim[l.Dimension] = d
			order = append(order, l.Dimension)
		}
		if l.Multi {
			d.Multi = true
			if _, ok := multiLine[l.Dimension]; !ok {
				multiLine[l.Dimension] = l.Line
			}
		} else if len(l.Values) > 0 {
			if _, ok := singleLine[l.Dimension]; !ok {
				singleLine[l.Dimension] = l.Line
			}
		}
		d.Labels = append(d.Labels, annotate.ConsensusLabel{Item: l.Item, Annotator: l.Annotator, Values: l.Values, Set: l.Multi})
	}
	out := make([]annotate.ConsensusInput, 0, len(order))
	for _, name := range order {
		d := byDim[name]
		if d.Multi {
			if line, ok := singleLine[name]; ok {
				return nil, fmt.Errorf("dimension %q has arrays of values (line %d) and single values (line %d); give a multi-label dimension's values as arrays", name, multiLine[name], line)
			}
		}
		out = append(out, *d)
	}
	return out, nil
}

// consensusReport is what 'concord consensus --json' prints.
type consensusReport struct {
	Method consensus.Method `json:"method"`
	Source string           `json:"source"`
	// DuplicateLabels counts the labels of a file replaced by a later line
	// for the same item, annotator and dimension; DuplicateRule says which
	// one counts.
	DuplicateLabels int                           `json:"duplicate_labels"`
	DuplicateRule   string                        `json:"duplicate_rule,omitempty"`
	Dimensions      []annotate.DimensionConsensus `json:"dimensions"`
	// TruthFile and Truth are the file given with --truth and the scores
	// of each dimension against it.
	TruthFile string       `json:"truth_file,omitempty"`
	Truth     []truthScore `json:"truth,omitempty"`
}

// truthScore is how well one dimension's consensus matches a truth file.
// Items counts the items that have both a truth and labels, Right those
// whose value is the truth. A tie has no value and counts as wrong;
// TieSplit is the accuracy expected were each tie broken at random among
// its tied values. Unlabelled counts the truths of items without labels,
// which are left out.
type truthScore struct {
	Dimension  string  `json:"dimension"`
	Method     string  `json:"method"`
	Items      int     `json:"items"`
	Right      int     `json:"right"`
	Ties       int     `json:"ties"`
	Accuracy   float64 `json:"accuracy"`
	TieSplit   float64 `json:"accuracy_ties_split"`
	Unlabelled int     `json:"unlabelled"`
}

// scoreTruth scores every dimension of rep against the truths of tf. A
// truth without a dimension holds for every dimension; one that names a
// dimension the report does not have is an error.
func scoreTruth(rep *consensusReport, tf *export.TruthFile) ([]truthScore, error) {
	byDim := map[string]map[string]export.Truth{}
	shared := map[string]export.Truth{}
	known := map[string]bool{}
	for _, d := range rep.Dimensions {
		known[d.Name] = true
	}
	for _, t := range tf.Truths {
		if t.Dimension == "" {
			shared[t.Item] = t
			continue
		}
		if !known[t.Dimension] {
			return nil, fmt.Errorf("line %d: the labels have no dimension %q", t.Line, t.Dimension)
		}
		if byDim[t.Dimension] == nil {
			byDim[t.Dimension] = map[string]export.Truth{}
		}
		byDim[t.Dimension][t.Item] = t
	}
	out := []truthScore{}
	for _, d := range rep.Dimensions {
		sc := truthScore{Dimension: d.Name, Method: string(d.Method)}
		truths := byDim[d.Name]
		if truths == nil {
			truths = shared
		}
		labelled := map[string]bool{}
		split := 0.0
		for _, it := range d.Items {
			labelled[it.Item] = true
			t, ok := truths[it.Item]
			if !ok {
				continue
			}
			sc.Items++
			want := slices.Clone(t.Values)
			slices.Sort(want)
			switch v := it.Value.(type) {
			case string:
				if len(want) == 1 && v == want[0] {
					sc.Right++
					split++
				}
			case []string:
				got := slices.Clone(v)
				slices.Sort(got)
				if slices.Equal(got, want) {
					sc.Right++
					split++
				}
			default:
				if len(it.Tie) > 0 {
					sc.Ties++
					if len(want) == 1 && slices.Contains(it.Tie, want[0]) {
						split += 1 / float64(len(it.Tie))
					}
				}
			}
		}
		for item := range truths {
			if !labelled[item] {
				sc.Unlabelled++
			}
		}
		if sc.Items > 0 {
			sc.Accuracy = float64(sc.Right) / float64(sc.Items)
			sc.TieSplit = split / float64(sc.Items)
		}
		out = append(out, sc)
	}
	return out, nil
}

// printTruthScores writes one line per dimension scored against --truth.
func printTruthScores(w io.Writer, rep *consensusReport) {
	if rep.TruthFile == "" {
		return
	}
	fmt.Fprintf(w, "\nagainst the truth in %s:\n", rep.TruthFile)
	for _, sc := range rep.Truth {
		if sc.Items == 0 {
			fmt.Fprintf(w, "  %s: no labelled item has a truth in the file\n", sc.Dimension)
			continue
		}
		fmt.Fprintf(w, "  %s: %s is right on %d of %d items: accuracy %.4f", sc.Dimension, sc.Method, sc.Right, sc.Items, sc.Accuracy)
		if sc.Ties > 0 {
			fmt.Fprintf(w, "; %d ties counted wrong (%.4f with each broken at random)", sc.Ties, sc.TieSplit)
		}
		if sc.Unlabelled > 0 {
			fmt.Fprintf(w, "; %d items of the truth file have no labels", sc.Unlabelled)
		}
		fmt.Fprintln(w)
	}
}

// reportBadTruth lists the unreadable lines of a truth file and returns
// the exit code when they stop the command, or 0.
func reportBadTruth(e *env, path string, tf *export.TruthFile, skip bool) int {
	for i, b := range tf.Bad {
		if i == maxBadLines {
			fmt.Fprintf(e.stderr, "%s: … and %d more unreadable lines\n", path, len(tf.Bad)-maxBadLines)
			break
		}
		fmt.Fprintf(e.stderr, "%s:%d: %s\n", path, b.Line, b.Message)
	}
	switch {
	case len(tf.Truths) == 0:
		fmt.Fprintf(e.stderr, "concord consensus: %s holds no truth that could be read\n", path)
		return 1
	case len(tf.Bad) > 0 && !skip:
		fmt.Fprintf(e.stderr, "concord consensus: %d unreadable line(s) in %s; fix them, or pass --skip-bad to leave them out\n", len(tf.Bad), path)
		return 1
	}
	return 0
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
func dimensionHeading(d *annotate.DimensionConsensus) string {
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
	for _, lr := range d.LabelReasons {
		if lr.Reason != d.Reason {
			fmt.Fprintf(&b, "\n  - %s", lr.Reason)
		}
	}
	return b.String()
}

func annotatorCount(d *annotate.DimensionConsensus) int {
	seen := map[string]bool{}
	for _, a := range d.Annotators {
		seen[a.Annotator] = true
	}
	return len(seen)
}

// valueText writes an item's value for the table.
func valueText(it *annotate.ItemConsensus) string {
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
