package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"concord/annotate"
	"concord/export"
)

func init() {
	register(&command{
		name:    "import",
		summary: "import .txt, .md and .jsonl documents",
		usage: `Usage:
  concord import [--db FILE] [--max-file-size N] [--split blank-lines|lines]
                 [--title first-line|first-block|none] [--json] [-v] PATH...
  concord import [--db FILE] --gold FILE.xlsx

Imports documents from files and folders (searched recursively; hidden
folders are skipped):
  .txt, .md   one document per file, keyed by the file name; blank lines
              separate paragraphs and the first one is the title
  .jsonl      one document per line: {"id", "title", "text", "source",
              "url", "published_at", "meta"}; only "text" is required, and
              without "title" all the text is paragraphs

A body whose paragraphs are separated by single line breaks (several long
lines, no blank line) would become one paragraph: the report warns about
each such document; import it again with --split lines. It warns as well
about a title taken from the text that is longer than 200 characters. A
document of one paragraph has no title, whatever the rule. Tabs and line breaks are white
space; other control characters (such as U+001C) are kept in the text and
written back unchanged by every export; a NUL character or bytes that are
not UTF-8 fail the document, naming the line and character.

A labelled file named on the command line — JSONL in the shape 'concord
export --shape dataset' writes, or Label Studio or doccano exports (.jsonl or
.json) — brings in its documents, annotators and labels as 'concord
import-labels' does (see 'concord help import-labels'). With --gold, an Excel
workbook written by 'concord export --format xlsx' brings a reviewer's gold
decisions back, all or nothing.

Importing the same file again changes nothing. A file whose content changed
becomes a new revision of its document: labels on unchanged paragraphs are
carried over, labels on changed paragraphs stay with the old revision.

A file that cannot be imported (not UTF-8, empty, too large, bad JSON on a
line) is reported with its path and the reason, and the rest are imported;
the exit code is then 1. A database without a label schema gets the default
schema first (see 'concord help serve').

Flags:
  --gold F    import the gold decisions in workbook F
  --split S   where paragraphs end: blank-lines (default) or lines (every
              non-blank line is a paragraph)
  --title T   the title of a document that gives none: first-block (the
              first paragraph; the default for .txt and .md), first-line
              (the first line only) or none (the default for .jsonl)
  --json      print the whole report as JSON instead of lines
  -v          also list every document created or unchanged

Examples:
  concord import articles/
  concord import --max-file-size 64MiB dump.jsonl extra/*.txt
  concord import --split lines --title first-line news.jsonl
  concord import labelled-dataset.jsonl
  concord import --gold review.xlsx
  CONCORD_DB=project.db concord import --json corpus/ > report.json`,
		settings:   []string{"db", "max-file-size", "seeds"},
		envExample: "CONCORD_IMPORT_JSON=true",
		run:        runImport,
	})
}

func runImport(ctx context.Context, e *env, args []string) int {
	fs := e.flags("")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	verbose := fs.Bool("v", false, "list every document")
	gold := fs.String("gold", "", "workbook with gold decisions")
	splitFlag := fs.String("split", "blank-lines", "where paragraphs end: blank-lines or lines")
	titleFlag := fs.String("title", "", "title of a document that gives none: first-block, first-line or none")
	paths, code, ok := e.parse(fs, args)
	if !ok {
		return code
	}
	split, err := annotate.ParseSplitMode(*splitFlag)
	if err != nil {
		return e.usageError("--split %q: give blank-lines or lines", *splitFlag)
	}
	title, err := annotate.ParseTitleRule(*titleFlag)
	if err != nil {
		return e.usageError("--title %q: give first-line, first-block or none", *titleFlag)
	}
	if *gold != "" {
		if len(paths) > 0 {
			return e.usageError("--gold takes the workbook as its value and no other paths")
		}
		store, err := e.openStore(ctx, false)
		if err != nil {
			return e.fail(err)
		}
		defer store.Close()
		return importGold(ctx, e, store, 0, []string{*gold}, false, *asJSON)
	}
	if len(paths) == 0 {
		return e.usageError("give at least one file or folder to import, e.g. concord import articles/")
	}
	store, err := e.openStore(ctx, true)
	if err != nil {
		return e.fail(err)
	}
	defer store.Close()
	applied, from, err := e.ensureSchema(ctx, store)
	if err != nil {
		return e.fail(err)
	}
	if applied {
		fmt.Fprintf(e.stderr, "concord import: the database had no label schema; applied the default one (%s)\n", from)
	}

	// Labelled files named on the command line go to the labelled import;
	// the rest are documents.
	status := 0
	var docs []string
	for _, p := range paths {
		ext := strings.ToLower(filepath.Ext(p))
		if ext != ".jsonl" && ext != ".json" {
			docs = append(docs, p)
			continue
		}
		shape, labelled, err := export.DetectShape(p)
		if err != nil || !labelled {
			docs = append(docs, p)
			continue
		}
		bad, err := e.importLabelsFile(ctx, store, p, export.ImportOptions{Shape: shape}, *asJSON)
		if err != nil {
			return e.fail(err)
		}
		if bad {
			status = 1
		}
	}
	if len(docs) == 0 {
		return status
	}
	paths = docs

	opt := annotate.ImportOptions{MaxFileSize: e.cfg.MaxFileSize, Split: split, Title: title}
	bar := newProgressBar(e.stderr, "importing", "files", importBarMin)
	if bar != nil {
		opt.Progress = func(done, total int) { bar.update(int64(done), int64(total)) }
	}
	if !*asJSON {
		// Each result is printed as it comes, so that a file of a million
		// documents neither waits to the end nor is held in memory.
		opt.Result = func(r annotate.ImportResult) {
			if bar != nil {
				bar.clear()
			}
			printImportResult(e.stdout, e.stderr, r, *verbose)
		}
	}
	rep, err := store.ImportPaths(ctx, paths, opt)
	if bar != nil {
		bar.clear()
	}
	if rep != nil {
		if *asJSON {
			if err := writeJSON(e.stdout, rep); err != nil {
				return e.fail(err)
			}
		} else {
			printImportTotals(e.stdout, rep)
		}
	}
	if err != nil {
		return e.fail(fmt.Errorf("import stopped: %w", err))
	}
	if rep.Failed > 0 {
		return 1
	}
	return status
}

// printImportResult writes what happened to one document, file or line: a
// failure to errw, a revision to w, others to w when verbose.
func printImportResult(w, errw io.Writer, r annotate.ImportResult, verbose bool) {
	if r.Warning != "" {
		fmt.Fprintf(errw, "concord import: warning: %s: %s\n", r.Origin, r.Warning)
	}
	switch r.Status {
	case annotate.ImportFailed:
		fmt.Fprintf(errw, "concord import: %s: %s\n", r.Origin, r.Error)
	case annotate.ImportRevised:
		line := fmt.Sprintf("revised    %s: now revision %d, %d paragraph(s)", r.Origin, r.Revision, r.Paragraphs)
		if r.CarriedOver > 0 || r.LeftOnOld > 0 {
			line += fmt.Sprintf("; %d label(s) carried over, %d kept with revision %d", r.CarriedOver, r.LeftOnOld, r.Revision-1)
		}
		fmt.Fprintln(w, line)
	case annotate.ImportCreated:
		if verbose {
			fmt.Fprintf(w, "created    %s: %d paragraph(s)\n", r.Origin, r.Paragraphs)
		}
	case annotate.ImportUnchanged:
		if verbose {
			fmt.Fprintf(w, "unchanged  %s\n", r.Origin)
		}
	}
}

// printImportTotals writes the totals of an import.
func printImportTotals(w io.Writer, rep *annotate.ImportReport) {
	fmt.Fprintf(w, "%d created, %d revised, %d unchanged, %d failed\n", rep.Created, rep.Revised, rep.Unchanged, rep.Failed)
	if rep.Warnings > 0 {
		fmt.Fprintf(w, "%d document(s) with a warning (see above)\n", rep.Warnings)
	}
}
