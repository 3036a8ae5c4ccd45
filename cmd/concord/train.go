package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"concord/annotate"
	"concord/learn"
)

func init() {
	register(&command{
		name:    "train",
		summary: "cross-validate the built-in text classifier on the gold and consensus labels",
		usage: `Usage:
  concord train [--db FILE] [--dimension D] [--folds K] [--seed N] [--min-confidence P] [--json]

Measures how well the built-in text classifier learns each single-choice
and multi-label dimension of the schema (or the one --dimension names)
from the labels the database holds, by stratified k-fold cross-validation:
the model is trained on all folds but one and scored on the one left out,
each fold in turn.

A current paragraph is a training item when it has a gold label for the
dimension, or else when its consensus is not a tie and its confidence is
at least --min-confidence; the output says how many items came from each.
Paragraphs with no words are left out.

Per dimension it prints the items, the categories, the accuracy and
macro-F1 (for a multi-label dimension micro- and macro-F1 and subset
accuracy: the share of items whose predicted set is exactly their labels),
and each category's precision, recall and F1. A dimension that cannot be
evaluated (no labels yet, one category, fewer items than folds) says why;
the command fails only when no dimension could be evaluated.

Flags:
  --dimension D       evaluate only the dimension named D
  --folds K           the number of folds (default 5)
  --seed N            the seed the folds are drawn from (default 1)
  --min-confidence P  the consensus confidence a label needs to be
                      trained on (default 0.9)
  --json              print every evaluation as JSON, with each item's
                      out-of-fold probabilities

Examples:
  concord train
  concord train --dimension stance --folds 10
  concord train --min-confidence 0.99 --json > evaluation.json`,
		settings:   []string{"db"},
		envExample: "CONCORD_TRAIN_FOLDS=10",
		run:        runTrain,
	})
}

// trainFlags are the flags train and label-errors share.
type trainFlags struct {
	dimension     *string
	folds         *int
	seed          *uint64
	minConfidence *float64
	asJSON        *bool
}

// addTrainFlags binds the flags train and label-errors share to a new flag
// set of the command.
func addTrainFlags(e *env) (*trainFlags, *flag.FlagSet) {
	fs := e.flags("")
	return &trainFlags{
		dimension:     fs.String("dimension", "", "dimension"),
		folds:         fs.Int("folds", 5, "folds"),
		seed:          fs.Uint64("seed", 1, "seed"),
		minConfidence: fs.Float64("min-confidence", 0.9, "consensus confidence"),
		asJSON:        fs.Bool("json", false, "print JSON"),
	}, fs
}

func (f *trainFlags) check() error {
	switch {
	case *f.folds < 2:
		return fmt.Errorf("--folds must be at least 2, got %d", *f.folds)
	case math.IsNaN(*f.minConfidence) || *f.minConfidence < 0 || *f.minConfidence > 1:
		return fmt.Errorf("--min-confidence must be from 0 to 1, got %v", *f.minConfidence)
	}
	return nil
}

// Where a training item's label comes from.
const (
	sourceGold      = "gold"
	sourceConsensus = "consensus"
)

// trainItem is one paragraph a dimension is trained on.
type trainItem struct {
	paragraph int64
	document  string
	position  int
	text      string
	labels    []string
	source    string
}

// trainSet is one dimension's training items.
type trainSet struct {
	name  string
	multi bool
	items []trainItem
	gold  int
	cons  int
	// noWords counts the labelled paragraphs left out for having no words.
	noWords int
}

func (ts *trainSet) data() learn.Data {
	d := learn.Data{Multi: ts.multi, Texts: make([]string, len(ts.items)), Labels: make([][]string, len(ts.items))}
	for i, it := range ts.items {
		d.Texts[i] = it.text
		d.Labels[i] = it.labels
	}
	return d
}

// loadTrainSets reads the training items of the single-choice and
// multi-label dimensions of the schema, or of the one named: gold labels
// first, otherwise a consensus that is no tie and confident enough.
func loadTrainSets(ctx context.Context, store *annotate.Store, dimension string, minConfidence float64) ([]*trainSet, error) {
	sc, err := store.Schema(ctx)
	if err != nil {
		return nil, err
	}
	var sets []*trainSet
	for _, d := range sc.Dimensions {
		if d.Kind != annotate.KindSingle && d.Kind != annotate.KindMulti {
			if d.Name == dimension {
				return nil, fmt.Errorf("dimension %q is open (free text); the classifier learns single-choice and multi-label dimensions", dimension)
			}
			continue
		}
		if dimension == "" || d.Name == dimension {
			sets = append(sets, &trainSet{name: d.Name, multi: d.Kind == annotate.KindMulti})
		}
	}
	if dimension != "" && len(sets) == 0 {
		names := []string{}
		for _, d := range sc.Dimensions {
			names = append(names, d.Name)
		}
		return nil, fmt.Errorf("the schema has no dimension %q; it has %s", dimension, strings.Join(names, ", "))
	}
	if len(sets) == 0 {
		return nil, errors.New("the schema has no single-choice or multi-label dimension to learn")
	}
	run, err := store.ConsensusNow(ctx)
	if err != nil {
		return nil, err
	}
	cons, err := store.ConsensusRange(ctx, run, 0, math.MaxInt64)
	if err != nil {
		return nil, err
	}
	err = store.EachParagraph(ctx, annotate.ParagraphFilter{}, func(r *annotate.ParagraphRecord) error {
		for _, ts := range sets {
			var labels []string
			source := ""
			if r.Gold != nil {
				if v, ok := r.Gold.Labels[ts.name]; ok && (ts.multi || len(v) == 1) {
					labels, source = v, sourceGold
				}
			}
			if source == "" {
				ci, ok := cons[r.Paragraph.ID][ts.name]
				if ok && !ci.Tie && ci.Confidence >= minConfidence && (ts.multi || len(ci.Values) == 1) {
					labels, source = ci.Values, sourceConsensus
				}
			}
			if source == "" {
				continue
			}
			if len(learn.Tokenize(r.Paragraph.Text)) == 0 {
				ts.noWords++
				continue
			}
			it := trainItem{paragraph: r.Paragraph.ID, position: r.Paragraph.Position, text: r.Paragraph.Text, labels: append([]string{}, labels...), source: source}
			if r.Document != nil {
				it.document = r.Document.Key
			}
			ts.items = append(ts.items, it)
			if source == sourceGold {
				ts.gold++
			} else {
				ts.cons++
			}
		}
		return nil
	})
	return sets, err
}

// evaluate cross-validates ts, or returns why it cannot be.
func (ts *trainSet) evaluate(folds int, seed uint64) (*learn.Evaluation, string, error) {
	if len(ts.items) == 0 {
		return nil, "no gold label and no consensus confident enough yet", nil
	}
	if !ts.multi {
		seen := map[string]bool{}
		for _, it := range ts.items {
			seen[it.labels[0]] = true
		}
		if len(seen) < 2 {
			return nil, fmt.Sprintf("every one of the %d labelled paragraphs is %s; label paragraphs of at least one other category", len(ts.items), ts.items[0].labels[0]), nil
		}
	}
	if len(ts.items) < folds {
		return nil, fmt.Sprintf("%d labelled paragraph(s), fewer than the %d folds; label more or use --folds %d", len(ts.items), folds, max(2, len(ts.items))), nil
	}
	ev, err := learn.CrossValidate(ts.data(), folds, seed, learn.DefaultOptions())
	if errors.Is(err, learn.ErrInvalid) {
		return nil, strings.TrimPrefix(err.Error(), learn.ErrInvalid.Error()+": "), nil
	}
	return ev, "", err
}

// trainDimension is one dimension of train's report.
type trainDimension struct {
	Name       string            `json:"name"`
	Kind       string            `json:"kind"`
	Items      int               `json:"items"`
	Gold       int               `json:"gold"`
	Consensus  int               `json:"consensus"`
	NoWords    int               `json:"no_words,omitempty"`
	Reason     string            `json:"reason,omitempty"`
	Paragraphs []int64           `json:"paragraphs,omitempty"`
	Evaluation *learn.Evaluation `json:"evaluation,omitempty"`
}

// trainReport is what train prints with --json.
type trainReport struct {
	Folds         int              `json:"folds"`
	Seed          uint64           `json:"seed"`
	MinConfidence float64          `json:"min_confidence"`
	Dimensions    []trainDimension `json:"dimensions"`
}

// kindName is a dimension's kind as the schema spells it.
func kindName(multi bool) string {
	if multi {
		return string(annotate.KindMulti)
	}
	return string(annotate.KindSingle)
}

// nothingToTrain is the message when no dimension could be evaluated.
const nothingToTrain = "no dimension could be evaluated; set gold labels (concord import-labels, or the review page) or have two or more annotators label paragraphs until the consensus is confident, in at least two categories and on more paragraphs than --folds"

func runTrain(ctx context.Context, e *env, args []string) int {
	tf, fs := addTrainFlags(e)
	pos, code, ok := e.parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return e.usageError("train takes no arguments, got %q", pos[0])
	}
	if err := tf.check(); err != nil {
		return e.usageError("%v", err)
	}
	store, err := e.openStore(ctx, false)
	if err != nil {
		return e.fail(err)
	}
	defer store.Close()
	sets, err := loadTrainSets(ctx, store, *tf.dimension, *tf.minConfidence)
	if err != nil {
		return e.fail(err)
	}
	rep := trainReport{Folds: *tf.folds, Seed: *tf.seed, MinConfidence: *tf.minConfidence, Dimensions: []trainDimension{}}
	evaluated := 0
	for _, ts := range sets {
		ev, reason, err := ts.evaluate(*tf.folds, *tf.seed)
		if err != nil {
			return e.fail(fmt.Errorf("%s: %w", ts.name, err))
		}
		td := trainDimension{Name: ts.name, Kind: kindName(ts.multi), Items: len(ts.items), Gold: ts.gold, Consensus: ts.cons, NoWords: ts.noWords, Reason: reason, Evaluation: ev}
		if ev != nil {
			evaluated++
			for _, it := range ts.items {
				td.Paragraphs = append(td.Paragraphs, it.paragraph)
			}
		}
		rep.Dimensions = append(rep.Dimensions, td)
	}
	return e.finishTraining("train", *tf.asJSON, rep, func() { printTrain(e.stdout, &rep) }, evaluated)
}

// finishTraining ends train and label-errors: the report as JSON or as
// text, and exit 1 with what to label first when no dimension could be
// evaluated.
func (e *env) finishTraining(command string, asJSON bool, rep any, text func(), evaluated int) int {
	if asJSON {
		if err := writeJSON(e.stdout, rep); err != nil {
			return e.fail(err)
		}
	} else {
		text()
	}
	if evaluated == 0 {
		fmt.Fprintf(e.stderr, "concord %s: %s\n", command, nothingToTrain)
		return 1
	}
	return 0
}

// sourcesLine says where a dimension's items came from.
func sourcesLine(items, gold, cons int, minConfidence float64, noWords int) string {
	s := fmt.Sprintf("%d items: %d gold, %d consensus (confidence ≥ %.2f)", items, gold, cons, minConfidence)
	if noWords > 0 {
		s += fmt.Sprintf(", %d left out with no words", noWords)
	}
	return s
}

func printTrain(w io.Writer, rep *trainReport) {
	fmt.Fprintf(w, "%d-fold cross-validation, seed %d\n", rep.Folds, rep.Seed)
	for _, d := range rep.Dimensions {
		fmt.Fprintf(w, "\n%s (%s): %s\n", d.Name, d.Kind, sourcesLine(d.Items, d.Gold, d.Consensus, rep.MinConfidence, d.NoWords))
		if d.Evaluation == nil {
			fmt.Fprintf(w, "  not evaluated: %s\n", d.Reason)
			continue
		}
		ev := d.Evaluation
		if ev.Multi {
			fmt.Fprintf(w, "  %d categories; micro-F1 %.4f, macro-F1 %.4f, subset accuracy %.4f\n", len(ev.Categories), ev.MicroF1, ev.MacroF1, ev.SubsetAccuracy)
		} else {
			fmt.Fprintf(w, "  %d categories; accuracy %.4f, macro-F1 %.4f\n", len(ev.Categories), ev.Accuracy, ev.MacroF1)
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  category\tprecision\trecall\tF1\tsupport\tpredicted")
		for _, c := range ev.PerCategory {
			fmt.Fprintf(tw, "  %s\t%.4f\t%.4f\t%.4f\t%d\t%d\n", c.Category, c.Precision, c.Recall, c.F1, c.Support, c.Predicted)
		}
		tw.Flush()
	}
}
