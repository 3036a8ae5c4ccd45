package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

func init() {
	register(&command{
		name:    "help",
		summary: "explain a command, with examples",
		usage: `Usage:
  concord help [COMMAND]

Without a command, lists every command and the environment variables Concord
reads. With one, explains it with examples; 'concord COMMAND -h' does the same.

Examples:
  concord help
  concord help import`,
		run: runHelp,
	})
}

func runHelp(_ context.Context, e *env, args []string) int {
	fs := e.flags("")
	pos, code, ok := e.parse(fs, args)
	if !ok {
		return code
	}
	switch len(pos) {
	case 0:
		printOverview(e.stdout)
		return 0
	case 1:
		c, found := commands[pos[0]]
		if !found {
			fmt.Fprintf(e.stderr, "concord help: unknown command %q; run 'concord help' for the list of commands\n", pos[0])
			return 2
		}
		printHelp(e.stdout, c)
		return 0
	}
	return e.usageError("give one command at most, e.g. concord help import")
}

// printOverview lists the commands and the configuration variables.
func printOverview(w io.Writer) {
	fmt.Fprint(w, `Concord curates and annotates text datasets: import a corpus, let reviewers
label every paragraph, measure their agreement, settle gold labels, export.

Usage:
  concord COMMAND [flags] [arguments]

Commands:
`)
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	for _, n := range commandNames() {
		fmt.Fprintf(tw, "  %s\t%s\n", n, commands[n].summary)
	}
	tw.Flush()
	fmt.Fprint(w, `
Configuration comes from defaults, then CONCORD_* environment variables, then
flags: a flag wins over its variable.

`)
	printSettings(w, nil)
	fmt.Fprint(w, `
A command's own options have variables too, named after the command, its
action and the option: CONCORD_EXPORT_FORMAT=xlsx, CONCORD_USERS_ADD_ROLE=reviewer.

Getting started:
  concord serve                  # creates concord.db, loads the seed corpus, prints the admin password
  concord import articles/       # add your own .txt, .md and .jsonl files

Run 'concord help COMMAND' for the details and examples of one command.
`)
}

// printHelp writes the full help of one command.
func printHelp(w io.Writer, c *command) {
	fmt.Fprintln(w, strings.TrimSpace(c.usage))
	if len(c.settings) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Settings (a flag wins over its environment variable):")
		printSettings(w, c.settings)
	}
	if c.envExample != "" {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "Options can also come from environment variables named after the command,\nits action and the option, such as %s.\nA flag wins over its variable.\n", c.envExample)
	}
}

// printSettings writes a table of the named settings (all when names is nil)
// with their flag, variable and default.
func printSettings(w io.Writer, names []string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  FLAG\tVARIABLE\tDEFAULT\tMEANING")
	for _, s := range settings {
		if names != nil && !slices.Contains(names, s.flag) {
			continue
		}
		fmt.Fprintf(tw, "  --%s\t%s\t%s\t%s\n", s.flag, s.env, s.explain, strings.ReplaceAll(s.help, "`", ""))
	}
	tw.Flush()
}
