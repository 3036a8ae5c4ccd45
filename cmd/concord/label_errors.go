package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode"
)

func init() {
	register(&command{
		name:    "label-errors",
		summary: "rank the gold and consensus labels the built-in classifier finds least likely",
		usage: `Usage:
  concord label-errors [--db FILE] [--dimension D] [--folds K] [--seed N] [--min-confidence P] [--limit N] [--json]

Looks for mislabelled paragraphs in each single-choice and multi-label
dimension of the schema (or the one --dimension names). It trains the built-in text
classifier by k-fold cross-validation on the same items as 'concord train'
(gold labels, else a confident consensus), so that every paragraph is
judged by a model that did not see it, and ranks the paragraphs whose label
the model finds least likely by confident learning: the ones it counts
among the estimated label errors first, each group from the lowest
probability of the given label.

Each row gives the paragraph id, its document key#position, the given label
and where it came from (gold or consensus) with the model's probability for
it, the model's most likely other category with its probability, and the
start of the text. A * marks the estimated label errors. In a multi-label
dimension each category is judged as its own yes-or-no decision: a set is
ranked by its least likely decision, and the model's alternative is the
set with the doubted decisions turned round.

Flags:
  --dimension D       look only at the dimension named D
  --folds K           the number of folds (default 5)
  --seed N            the seed the folds are drawn from (default 1)
  --min-confidence P  the consensus confidence a label needs to be
                      checked (default 0.9)
  --limit N           show the first N paragraphs per dimension (default
                      50; 0 shows all; with --json every paragraph unless
                      --limit is given)
  --json              print the ranked paragraphs as JSON, with the whole
                      text

Examples:
  concord label-errors
  concord label-errors --dimension stance --limit 20
  concord label-errors --json > label-errors.json`,
		settings:   []string{"db"},
		envExample: "CONCORD_LABEL_ERRORS_LIMIT=100",
		run:        runLabelErrors,
	})
}

// labelErrorItem is one ranked paragraph of label-errors.
type labelErrorItem struct {
	Paragraph            int64    `json:"paragraph_id"`
	Document             string   `json:"document"`
	Position             int      `json:"position"`
	Given                string   `json:"given"`
	GivenValues          []string `json:"given_values"`
	Source               string   `json:"source"`
	GivenProbability     float64  `json:"given_probability"`
	Suggested            string   `json:"suggested"`
	SuggestedValues      []string `json:"suggested_values"`
	SuggestedProbability float64  `json:"suggested_probability"`
	Flagged              bool     `json:"flagged"`
	Text                 string   `json:"text"`
}

// labelErrorDimension is one dimension of label-errors' report.
type labelErrorDimension struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Items     int    `json:"items"`
	Gold      int    `json:"gold"`
	Consensus int    `json:"consensus"`
	NoWords   int    `json:"no_words,omitempty"`
	Reason    string `json:"reason,omitempty"`
	// Errors is confident learning's estimate of the number of label
	// errors: the flagged paragraphs.
	Errors      int              `json:"estimated_errors"`
	Accuracy    float64          `json:"accuracy"`
	LabelIssues []labelErrorItem `json:"paragraphs"`
}

// labelErrorReport is what label-errors prints with --json.
type labelErrorReport struct {
	Folds         int                   `json:"folds"`
	Seed          uint64                `json:"seed"`
	MinConfidence float64               `json:"min_confidence"`
	Dimensions    []labelErrorDimension `json:"dimensions"`
}

func runLabelErrors(ctx context.Context, e *env, args []string) int {
	tf, fs := addTrainFlags(e)
	limit := fs.Int("limit", 50, "limit")
	pos, code, ok := e.parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return e.usageError("label-errors takes no arguments, got %q", pos[0])
	}
	if err := tf.check(); err != nil {
		return e.usageError("%v", err)
	}
	if *limit < 0 {
		return e.usageError("--limit must be 0 (all) or more, got %d", *limit)
	}
	limitGiven := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "limit" {
			limitGiven = true
		}
	})
	if *tf.asJSON && !limitGiven {
		*limit = 0
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
	rep := labelErrorReport{Folds: *tf.folds, Seed: *tf.seed, MinConfidence: *tf.minConfidence, Dimensions: []labelErrorDimension{}}
	evaluated := 0
	for _, ts := range sets {
		ld := labelErrorDimension{Name: ts.Dimension, Kind: kindName(ts.Multi), Items: len(ts.Items), Gold: ts.Gold, Consensus: ts.Consensus, NoWords: ts.NoWords, LabelIssues: []labelErrorItem{}}
		ev, reason, err := ts.CrossValidate(*tf.folds, *tf.seed)
		if err != nil {
			return e.fail(fmt.Errorf("%s: %w", ts.Dimension, err))
		}
		if ev == nil {
			ld.Reason = reason
			rep.Dimensions = append(rep.Dimensions, ld)
			continue
		}
		issues, estimated, err := ts.LabelIssues(ev)
		if err != nil {
			return e.fail(fmt.Errorf("%s: %w", ts.Dimension, err))
		}
		evaluated++
		ld.Errors, ld.Accuracy = estimated, ev.Accuracy
		for i, is := range issues {
			if *limit > 0 && i >= *limit {
				break
			}
			it := ts.Items[is.Item]
			ld.LabelIssues = append(ld.LabelIssues, labelErrorItem{
				Paragraph: it.ParagraphID, Document: it.DocumentKey, Position: it.Position,
				Given: strings.Join(is.Given, ", "), GivenValues: is.Given, Source: it.Source, GivenProbability: is.GivenProbability,
				Suggested: strings.Join(is.Suggested, ", "), SuggestedValues: is.Suggested, SuggestedProbability: is.SuggestedProbability,
				Flagged: is.Flagged, Text: it.Text,
			})
		}
		rep.Dimensions = append(rep.Dimensions, ld)
	}
	return e.finishTraining("label-errors", *tf.asJSON, rep, func() { printLabelErrors(e.stdout, &rep) }, evaluated)
}

// excerpt is the start of text on one line, at most n runes.
func excerpt(text string, n int) string {
	text = strings.Join(strings.FieldsFunc(text, unicode.IsSpace), " ")
	r := []rune(text)
	if len(r) <= n {
		return text
	}
	return strings.TrimRightFunc(string(r[:n-1]), unicode.IsSpace) + "…"
}

func printLabelErrors(w io.Writer, rep *labelErrorReport) {
	for i, d := range rep.Dimensions {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s (%s): %s\n", d.Name, d.Kind, sourcesLine(d.Items, d.Gold, d.Consensus, rep.MinConfidence, d.NoWords))
		if d.Reason != "" {
			fmt.Fprintf(w, "  not checked: %s\n", d.Reason)
			continue
		}
		fmt.Fprintf(w, "  %d-fold accuracy %.4f; %d estimated label error(s), marked *; least likely labels first:\n", rep.Folds, d.Accuracy, d.Errors)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  paragraph\tdocument\tgiven\t\tmodel\t\ttext")
		for _, it := range d.LabelIssues {
			mark := " "
			if it.Flagged {
				mark = "*"
			}
			fmt.Fprintf(tw, "%s %d\t%s#%d\t%s (%s)\t%.2f\t%s\t%.2f\t%s\n", mark, it.Paragraph, it.Document, it.Position,
				it.Given, it.Source, it.GivenProbability, it.Suggested, it.SuggestedProbability, excerpt(it.Text, 60))
		}
		tw.Flush()
	}
}
