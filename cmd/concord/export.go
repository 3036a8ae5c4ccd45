package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"concord/annotate"
	"concord/export"
)

func init() {
	register(&command{
		name:    "export",
		summary: "export the labelled paragraphs as JSONL, JSON or Excel",
		usage: `Usage:
  concord export [--db FILE] [--format jsonl|json|xlsx] [--shape SHAPE] [options] -o FILE

Writes the current paragraphs with their labels to FILE ("-o -" writes to
standard output). The file is written under a temporary name and renamed
when complete, so a failed export never leaves half a file behind.

Formats and shapes (the README has an example of each):
  --format jsonl --shape dataset       one line per paragraph: text, gold
                                       label and how it was reached
                                       (adjudicated, majority, single, tie)
                                       with its support, every annotator's
                                       labels, flags, split (the default)
  --format jsonl --shape annotations   one line per annotator, paragraph and
                                       dimension: item, annotator,
                                       dimension, value
  --shape label-studio                 a Label Studio task list (.json, what
                                       Label Studio uploads) with every
                                       annotator's labels as annotations;
                                       the labelling configuration is
                                       written beside it as
                                       FILE-without-extension.label_config.xml
                                       (--format jsonl: one task a line)
  --format jsonl --shape doccano       doccano text classification lines,
                                       labels as "dimension:value"
  --format json                        any shape as one JSON array instead
                                       of lines (the default for
                                       label-studio, jsonl for the others)
  --format xlsx                        a workbook for review: Paragraphs,
                                       Annotations, Agreement, Schema, About;
                                       reviewers can adjudicate in the gold
                                       columns and bring the decisions back
                                       with 'concord import-labels --gold'

Options:
  --dimensions a,b      only these dimensions (default: all)
  --annotators a,b      only these annotators' labels (default: all)
  --gold-only           only paragraphs with a gold label: adjudicated, or
                        a strict majority of two or more annotators; not
                        paragraphs labelled by one annotator, not ties
  --single-as-gold      with --gold-only, also keep paragraphs labelled by
                        one annotator, their labels as gold (overlap 1)
  --min-agreement X     drop paragraphs whose majority label has a support
                        below X (0 to 1) in some dimension, and those
                        labelled by one annotator or tied; adjudicated
                        paragraphs always stay
  --gold-from-consensus X
                        where no reviewer decided, take the Dawid–Skene
                        consensus as gold (gold_source "consensus") when
                        every single and multi dimension has one at least
                        X (0 to 1) confident; an import does not store it
                        as gold
  --include-flagged     keep paragraphs confirmed as duplicate, boilerplate
                        or not relevant (left out by default)
  --split 80/10/10      train/dev/test shares by paragraphs, whole documents
                        per split; "none" for no split (default 80/10/10);
                        a warning says when a part gets no document
  --seed N              seed of the split (default 0)
  --stratify DIM        follow DIM's label distribution in every split
  -o FILE               where to write; "-" for standard output (required)
  -q                    no progress bar and no summary

Examples:
  concord export --format jsonl -o dataset.jsonl
  concord export --format jsonl --shape annotations --annotators alice,bob -o - | head
  concord export --format jsonl --gold-only --min-agreement 0.66 --stratify stance --seed 7 -o train.jsonl
  concord export --shape label-studio -o tasks.json
  concord export --format xlsx -o review.xlsx`,
		settings:   []string{"db"},
		envExample: "CONCORD_EXPORT_FORMAT=xlsx",
		run:        runExport,
	})
}

func runExport(ctx context.Context, e *env, args []string) int {
	fs := e.flags("")
	format := fs.String("format", "", "jsonl, json or xlsx (default: json for label-studio, else jsonl)")
	shape := fs.String("shape", "dataset", "shape of a JSON or JSONL record")
	out := fs.String("o", "", "output file, - for stdout")
	dims := fs.String("dimensions", "", "dimensions to keep")
	anns := fs.String("annotators", "", "annotators to keep")
	goldOnly := fs.Bool("gold-only", false, "only paragraphs with a gold label")
	single := fs.Bool("single-as-gold", false, "with --gold-only, keep single-annotator paragraphs")
	minAgree := fs.Float64("min-agreement", 0, "minimum support of a majority label")
	flagged := fs.Bool("include-flagged", false, "keep flagged paragraphs")
	fromConsensus := fs.Float64("gold-from-consensus", 0, "confidence above which the consensus fills gold")
	split := fs.String("split", "80/10/10", "train/dev/test shares or none")
	seed := fs.Uint64("seed", 0, "split seed")
	stratify := fs.String("stratify", "", "dimension to stratify the split on")
	quiet := fs.Bool("q", false, "no progress and no summary")
	rest, code, ok := e.parse(fs, args)
	if !ok {
		return code
	}
	if len(rest) > 0 {
		return e.usageError("unexpected argument %q; export takes only flags", rest[0])
	}
	if *out == "" {
		return e.usageError("give the file to write with -o FILE, or -o - for standard output")
	}
	sp, err := export.ParseRatios(*split)
	if err != nil {
		return e.usageError("%s", errorText(err))
	}
	sp.Seed, sp.Stratify = *seed, *stratify
	opt := export.Options{
		Format: export.Format(*format), Shape: export.Shape(*shape),
		Dimensions: splitList(*dims), Annotators: splitList(*anns),
		GoldOnly: *goldOnly, SingleAsGold: *single, MinAgreement: *minAgree, IncludeFlagged: *flagged, Split: sp,
		GoldFromConsensus: *fromConsensus,
	}
	if opt.Format == export.FormatXLSX && *shape != "dataset" {
		return e.usageError("--shape applies to --format jsonl and json; an Excel export always has the same sheets")
	}
	config := ""
	if opt.Shape == export.ShapeLabelStudio && *out != "-" {
		config = labelConfigPath(*out)
	}
	store, err := e.openStore(ctx, false)
	if err != nil {
		return e.fail(err)
	}
	defer store.Close()
	if err := export.Check(ctx, store, opt); err != nil {
		return e.fail(err)
	}
	var bar *progressBar
	if !*quiet {
		bar = newProgressBar(e.stderr, "exporting", "paragraphs", 0)
		if bar != nil {
			opt.Progress = bar.update
		}
	}
	var sum *export.Summary
	if *out == "-" {
		sum, err = export.Write(ctx, store, e.stdout, opt)
	} else {
		sum, err = writeAtomically(*out, func(w io.Writer) (*export.Summary, error) {
			return export.Write(ctx, store, w, opt)
		})
	}
	if bar != nil {
		bar.clear()
	}
	if err != nil {
		return e.fail(err)
	}
	if config != "" {
		if err := writeLabelConfig(ctx, store, config, opt.Dimensions); err != nil {
			return e.fail(fmt.Errorf("%s was written, but not its labelling configuration: %w", *out, err))
		}
	}
	if !*quiet {
		printExportSummary(e.stderr, *out, sum)
		switch {
		case config != "":
			fmt.Fprintf(e.stderr, "concord export: Label Studio labelling configuration written to %s: paste it into the project's Settings > Labeling Interface > Code, then import %s in the Data Manager\n", config, *out)
		case opt.Shape == export.ShapeLabelStudio:
			fmt.Fprintln(e.stderr, "concord export: the Label Studio labelling configuration for these tasks: concord schema show --label-studio")
		}
	}
	return 0
}

// labelConfigPath returns where the labelling configuration of a Label
// Studio export goes: beside it, named after it.
func labelConfigPath(out string) string {
	base := strings.TrimSuffix(out, filepath.Ext(out))
	return base + ".label_config.xml"
}

// writeLabelConfig writes the Label Studio labelling configuration of the
// schema's dimensions (or only dims) to path.
func writeLabelConfig(ctx context.Context, store *annotate.Store, path string, dims []string) error {
	sc, err := store.Schema(ctx)
	if err != nil {
		return err
	}
	xml, err := export.LabelStudioConfig(sc, dims)
	if err != nil {
		return err
	}
	_, err = writeAtomically(path, func(w io.Writer) (*export.Summary, error) {
		_, err := w.Write(xml)
		return nil, err
	})
	return err
}

// splitList splits a comma-separated flag value.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// writeAtomically writes a file through a temporary file in the same folder
// and renames it into place only when write succeeded.
func writeAtomically(path string, write func(io.Writer) (*export.Summary, error)) (*export.Summary, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	sum, err := write(tmp)
	if err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return nil, err
	}
	return sum, os.Rename(tmp.Name(), path)
}

func printExportSummary(w io.Writer, out string, sum *export.Summary) {
	where := out
	if out == "-" {
		where = "standard output"
	}
	fmt.Fprintf(w, "concord export: %d paragraph(s) written to %s", sum.Paragraphs, where)
	if sum.Lines > 0 && sum.Lines != sum.Paragraphs {
		fmt.Fprintf(w, " (%d lines)", sum.Lines)
	}
	fmt.Fprintln(w)
	reasons := make([]string, 0, len(sum.Skipped))
	for r := range sum.Skipped {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		fmt.Fprintf(w, "concord export: %d paragraph(s) left out: %s\n", sum.Skipped[r], r)
	}
	for _, in := range sum.Includes {
		fmt.Fprintf(w, "concord export: %s\n", in)
	}
	for _, warn := range sum.Warnings {
		fmt.Fprintf(w, "concord export: warning: %s\n", warn)
	}
	if sum.Truncated > 0 {
		fmt.Fprintf(w, "concord export: %d cell(s) longer than Excel allows were cut; the About sheet says which columns\n", sum.Truncated)
	}
}
