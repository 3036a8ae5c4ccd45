package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"concord/annotate"
	"concord/export"
)

func init() {
	register(&command{
		name:    "import-labels",
		summary: "import labelled data (JSONL) or gold decisions made in Excel",
		usage: `Usage:
  concord import-labels [--db FILE] [--shape SHAPE] [--text-field KEY] [--annotator NAME] [--as-gold] [--doccano-meta] [--json] FILE...
  concord import-labels [--db FILE] --gold [--by NAME] [--dry-run] [--json] FILE.xlsx

Imports labelled paragraphs: documents, their paragraphs exactly as given,
the annotators (as users without a password and the annotator role, who
cannot log in until an admin sets a password) and their labels. Shapes, told
apart by the first record unless --shape says:
  dataset       what 'concord export --shape dataset' writes; adjudicated
                gold labels come back as gold, majority ones are recomputed
  label-studio  Label Studio tasks: the JSON export (a task list) or JSON
                Lines, with the text in data.text (--text-field names
                another key), or flat tasks ({"text": ...}); choices and
                textarea results, from_name naming the dimension. Each
                annotation is its completed_by's labels (an anonymous
                annotator of its own, labelstudio-annotation-ID, when it
                has none); a ground_truth one is the gold label too;
                cancelled ones are skipped; predictions that fit the
                schema and have a score become suggestions of their
                model_version (see import-suggestions), never labels
  doccano       doccano text classification lines, {"text", "label"},
                labels "dimension:value"; stored as --annotator's labels,
                or as gold with --as-gold; a line with no labels is an
                unlabelled paragraph; other keys are refused unless
                --doccano-meta keeps them as metadata

Every line is checked against the label schema first; if any does not fit,
nothing is imported and each problem is listed as file:line: field: message.
Each document is then stored in one transaction. Labels for a document that
already exists with the same paragraphs are added; a stored label is never
overwritten (such a document is reported and left as it was).

With --gold, FILE.xlsx is a workbook written by 'concord export --format
xlsx' in which a reviewer changed gold cells (or set gold_source to
adjudicated). Those decisions become gold labels (method "excel"), all or
nothing: if any row does not match the database (unknown paragraph id,
edited text, unknown label, gold decided elsewhere since the export),
nothing is written and the cell at fault is named.

Flags:
  --shape S       dataset, label-studio or doccano (default: detect)
  --annotator N   annotator of doccano labels (default doccano)
  --as-gold       store doccano labels as gold labels
  --doccano-meta  keep keys of doccano lines other than its own (doccano
                  writes an example's metadata so) as document metadata
  --text-field K  the key of a Label Studio task's text (default text)
  --gold          FILE.xlsx holds gold decisions
  --by NAME       the reviewer the history names for --gold (default: none)
  --dry-run       with --gold: report what would change, write nothing
  --json          print the report as JSON

Examples:
  concord import-labels dataset.jsonl
  concord import-labels project-3-at-2026-11-22-10-31-5c3f4e1a.json
  concord import-labels --text-field my_text tasks.json
  concord import-labels --shape doccano --annotator maria admin.jsonl
  concord import-labels --gold --by rita --dry-run review.xlsx`,
		settings:   []string{"db", "seeds"},
		envExample: "CONCORD_IMPORT_LABELS_SHAPE=doccano",
		run:        runImportLabels,
	})
}

func runImportLabels(ctx context.Context, e *env, args []string) int {
	fs := e.flags("")
	shape := fs.String("shape", "", "dataset, label-studio or doccano")
	annotator := fs.String("annotator", "", "annotator of doccano labels")
	asGold := fs.Bool("as-gold", false, "doccano labels are gold labels")
	doccanoMeta := fs.Bool("doccano-meta", false, "keep other keys of doccano lines as metadata")
	textField := fs.String("text-field", "", "key of a Label Studio task's text")
	gold := fs.Bool("gold", false, "the file is a reviewed workbook")
	by := fs.String("by", "", "reviewer named in the history")
	dryRun := fs.Bool("dry-run", false, "write nothing")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	paths, code, ok := e.parse(fs, args)
	if !ok {
		return code
	}
	if len(paths) == 0 {
		return e.usageError("give a file to import, e.g. concord import-labels dataset.jsonl")
	}
	if *dryRun && !*gold {
		return e.usageError("--dry-run applies to --gold")
	}
	store, err := e.openStore(ctx, !*gold)
	if err != nil {
		return e.fail(err)
	}
	defer store.Close()
	var byID int64
	if *by != "" {
		u, err := store.UserByName(ctx, *by)
		if err != nil {
			return e.fail(err)
		}
		byID = u.ID
	}
	if *gold {
		return importGold(ctx, e, store, byID, paths, *dryRun, *asJSON)
	}
	applied, from, err := e.ensureSchema(ctx, store)
	if err != nil {
		return e.fail(err)
	}
	if applied {
		fmt.Fprintf(e.stderr, "concord import-labels: the database had no label schema; applied the default one (%s)\n", from)
	}
	status := 0
	for _, path := range paths {
		bad, err := e.importLabelsFile(ctx, store, path, export.ImportOptions{By: byID, Shape: export.Shape(*shape), Annotator: *annotator, DoccanoAsGold: *asGold, DoccanoMeta: *doccanoMeta, TextField: *textField}, *asJSON)
		if err != nil {
			return e.fail(err)
		}
		if bad {
			status = 1
		}
	}
	return status
}

func importGold(ctx context.Context, e *env, store *annotate.Store, by int64, paths []string, dryRun, asJSON bool) int {
	if len(paths) != 1 {
		return e.usageError("--gold takes one workbook")
	}
	f, err := os.Open(paths[0])
	if err != nil {
		return e.fail(err)
	}
	defer f.Close()
	rep, err := export.ImportGold(ctx, store, by, f, dryRun)
	if err != nil {
		return e.fail(fmt.Errorf("%s: %s; nothing was written", paths[0], errorText(err)))
	}
	if asJSON {
		if err := writeJSON(e.stdout, rep); err != nil {
			return e.fail(err)
		}
		return 0
	}
	sc, err := store.Schema(ctx)
	if err != nil {
		return e.fail(err)
	}
	for _, c := range rep.Changes {
		fmt.Fprintf(e.stdout, "paragraph %d (%s): %s -> %s\n", c.ParagraphID, c.Origin, labelsText(sc, c.Before), labelsText(sc, c.After))
	}
	verb := "stored"
	if dryRun {
		verb = "would be stored (dry run: nothing written)"
	}
	fmt.Fprintf(e.stdout, "%d row(s) read, %d decision(s), %d gold label(s) %s\n", rep.Rows, rep.Decisions, len(rep.Changes), verb)
	return 0
}

// labelsText shows labels on one line, such as stance=agree topic=a,b.
func labelsText(sc *annotate.Schema, l annotate.Labels) string {
	if len(l) == 0 {
		return "(none)"
	}
	var parts []string
	for _, d := range sc.Dimensions {
		if vs := l[d.Name]; len(vs) > 0 {
			parts = append(parts, d.Name+"="+strings.Join(vs, ","))
		}
	}
	return strings.Join(parts, " ")
}

// writeJSON writes v as indented JSON, with <, > and & as they are: the
// commands' JSON is read by people and scripts, not put in a page.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func printLabelsReport(w, errw io.Writer, rep *export.ImportReport) {
	for _, le := range rep.Errors {
		fmt.Fprintf(errw, "concord import-labels: %s\n", le.Error())
	}
	if len(rep.Errors) > 0 {
		fmt.Fprintf(errw, "concord import-labels: %s: %d problem(s); nothing was imported\n", rep.File, len(rep.Errors))
		return
	}
	listed := 0
	for _, r := range rep.Results {
		if r.Status == annotate.ImportFailed {
			fmt.Fprintf(errw, "concord import-labels: %s (%s): %s\n", r.Origin, r.Key, r.Error)
			listed++
		}
	}
	if listed < rep.Failed {
		fmt.Fprintf(errw, "concord import-labels: %s: %d more failed document(s) not listed\n", rep.File, rep.Failed-listed)
	}
	fmt.Fprintf(w, "%s (%s): %d document(s) created, %d merged, %d failed; %d paragraph(s), %d annotation(s) (%d already stored), %d gold label(s), %d new annotator(s)\n",
		rep.File, rep.Shape, rep.Created, rep.Merged, rep.Failed, rep.Paragraphs, rep.Annotations, rep.Unchanged, rep.Gold, rep.UsersCreated())
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "%s: %s\n", rep.File, n)
	}
}

// importLabelsFile imports one labelled file and prints its report, as JSON
// or for people. It reports whether some of the file's lines were refused;
// an error means the file could not be imported at all.
func (e *env) importLabelsFile(ctx context.Context, store *annotate.Store, path string, opt export.ImportOptions, asJSON bool) (bad bool, err error) {
	rep, err := export.ImportFile(ctx, store, path, opt)
	if err != nil {
		return false, fmt.Errorf("%s: %s", path, errorText(err))
	}
	if asJSON {
		if err := writeJSON(e.stdout, rep); err != nil {
			return false, err
		}
	} else {
		printLabelsReport(e.stdout, e.stderr, rep)
	}
	return rep.Err() != nil, nil
}
