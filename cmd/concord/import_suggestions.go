package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"concord/export"
)

func init() {
	register(&command{
		name:    "import-suggestions",
		summary: "import model suggestions (JSONL) to show beside the annotator",
		usage: `Usage:
  concord import-suggestions [--db FILE] [--json] FILE

Imports a model's suggestions: one JSON object a line, naming a paragraph
by "paragraph_id", by "document_key" and "position" (from 0), or by
"text_hash" (the hex SHA-256 of the paragraph's text, as the Excel
export's text_sha256 column gives it; every current paragraph with that
text, or only those of "document_key" when it is given too), with the
"dimension", the "value" (single and open dimensions) or "values" (multi),
the model's "score" from 0 to 1 and the "agent" (the model's name and
version), and optionally the "margin" from 0 to 1, how far the top value is
ahead of the next, which the queue's uncertain order reads (without it,
max(0, 2*score - 1) counts):

  {"document_key": "a.txt", "position": 2, "dimension": "stance", "value": "agree", "score": 0.82, "margin": 0.7, "agent": "my-model@3"}
  {"paragraph_id": 41, "dimension": "topic", "values": ["strike", "terrorism"], "score": 0.6, "agent": "my-model@3"}

A suggestion replaces the one the same agent made for the same paragraph
and dimension. Suggestions are never annotations: they do not count in
agreement, consensus or gold, and exports carry them in fields of their own.

Every line is checked first; if one is wrong, nothing is stored and each
problem is listed as file:line: field: message. FILE - reads standard input.

Flags:
  --json   print the report as JSON

Examples:
  concord import-suggestions predictions.jsonl
  my-model --emit-jsonl | concord import-suggestions -`,
		settings: []string{"db"},
		run:      runImportSuggestions,
	})
}

func runImportSuggestions(ctx context.Context, e *env, args []string) int {
	fs := e.flags("")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	paths, code, ok := e.parse(fs, args)
	if !ok {
		return code
	}
	if len(paths) != 1 {
		return e.usageError("give one suggestions file, e.g. concord import-suggestions predictions.jsonl")
	}
	path := paths[0]
	var r io.Reader = e.stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return e.fail(err)
		}
		defer f.Close()
		r = f
	}
	store, err := e.openStore(ctx, false)
	if err != nil {
		return e.fail(err)
	}
	defer store.Close()
	rep, err := export.ImportSuggestions(ctx, store, 0, r, path)
	if err != nil {
		return e.fail(fmt.Errorf("%s: %s; nothing was stored", path, errorText(err)))
	}
	if *asJSON {
		if err := writeJSON(e.stdout, rep); err != nil {
			return e.fail(err)
		}
	} else {
		for _, le := range rep.Errors {
			fmt.Fprintf(e.stderr, "concord import-suggestions: %s\n", le.Error())
		}
	}
	if len(rep.Errors) > 0 {
		if !*asJSON {
			fmt.Fprintf(e.stderr, "concord import-suggestions: %s: %d problem(s); nothing was stored\n", path, len(rep.Errors))
		}
		return 1
	}
	if !*asJSON {
		fmt.Fprintf(e.stdout, "%s: %d suggestion(s) read, %d stored, %d replaced an older one of the same agent\n", path, rep.Inputs, rep.Created, rep.Replaced)
	}
	return 0
}
