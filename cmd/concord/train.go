package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
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
	sets, err := store.TrainingSets(ctx, *tf.dimension, *tf.minConfidence)
	if err != nil {
		return e.fail(err)
	}
	rep := trainReport{Folds: *tf.folds, Seed: *tf.seed, MinConfidence: *tf.minConfidence, Dimensions: []trainDimension{}}
	evaluated := 0
	for _, ts := range sets {
		ev, reason, err := ts.CrossValidate(*tf.folds, *tf.seed)
		if err != nil {
			return e.fail(fmt.Errorf("%s: %w", ts.Dimension, err))
		}
		td := trainDimension{Name: ts.Dimension, Kind: kindName(ts.Multi), Items: len(ts.Items), Gold: ts.Gold, Consensus: ts.Consensus, NoWords: ts.NoWords, Reason: reason, Evaluation: ev}
		if ev != nil {
			evaluated++
			for _, it := range ts.Items {
				td.Paragraphs = append(td.Paragraphs, it.ParagraphID)
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
