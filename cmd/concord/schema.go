package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"

	"gopkg.in/yaml.v3"

	"concord/annotate"
	"concord/export"
)

func init() {
	register(&command{
		name:    "schema",
		summary: "show, check and apply the label schema",
		usage: `Usage:
  concord schema show [--db FILE] [--version N] [--label-studio [--dimensions a,b]]
  concord schema versions [--db FILE]
  concord schema check FILE
  concord schema apply [--db FILE] [--mapping MAPPING.yaml] FILE

The label schema (YAML) lists the dimensions annotators answer for every
paragraph: single-choice, multiple-choice or open, each with its options,
hotkeys and guidelines. See seeds/schema.yaml for a commented example.

  show      print the current schema (or version N) as YAML, with its version;
            with --label-studio, the Label Studio labelling configuration
            (XML) that 'concord export --shape label-studio' fits
  versions  list every applied version
  check     validate a schema file; needs no database
  apply     make FILE the current schema, as a new version

Applying a schema that would leave stored labels without a place (a removed
dimension or option, a kind change, several values where one is now allowed)
is refused and lists those labels. Say what becomes of them in a mapping file,
one entry per dimension, old value: new value, "" to drop a value on purpose
and "*" for every value of a dimension:

  stance:
    neutral: discuss
  mood:
    "*": ""

Examples:
  concord schema show > schema.yaml
  concord schema show --label-studio > label-studio.xml
  concord schema check schema.yaml
  concord schema apply schema.yaml
  concord schema apply --mapping mapping.yaml schema.yaml`,
		settings:   []string{"db"},
		envExample: "CONCORD_SCHEMA_APPLY_MAPPING=mapping.yaml",
		run:        runSchema,
	})
}

func runSchema(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		return e.usageError("say what to do: show, versions, check or apply")
	}
	switch args[0] {
	case "show":
		return schemaShow(ctx, e, args[1:])
	case "versions":
		return schemaVersions(ctx, e, args[1:])
	case "check":
		return schemaCheck(e, args[1:])
	case "apply":
		return schemaApply(ctx, e, args[1:])
	case "-h", "-help", "--help", "help":
		printHelp(e.stdout, e.cmd)
		return 0
	}
	return e.usageError("unknown action %q; use show, versions, check or apply", args[0])
}

func schemaShow(ctx context.Context, e *env, args []string) int {
	fs := e.flags("show")
	version := fs.Int("version", 0, "version to show; 0 is the current one")
	labelStudio := fs.Bool("label-studio", false, "print the Label Studio labelling configuration")
	dims := fs.String("dimensions", "", "with --label-studio: only these dimensions")
	pos, code, ok := e.parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return e.usageError("schema show takes no arguments")
	}
	if *dims != "" && !*labelStudio {
		return e.usageError("--dimensions goes with --label-studio")
	}
	store, err := e.openStore(ctx, false)
	if err != nil {
		return e.fail(err)
	}
	defer store.Close()
	versions, err := store.SchemaVersions(ctx)
	if err != nil {
		return e.fail(err)
	}
	if len(versions) == 0 {
		return e.fail(errors.New("no label schema has been applied yet; run: concord schema apply FILE"))
	}
	v := versions[0]
	if *version != 0 {
		found := false
		for _, x := range versions {
			if x.Version == *version {
				v, found = x, true
			}
		}
		if !found {
			return e.fail(fmt.Errorf("no schema version %d; the versions are 1 to %d", *version, versions[0].Version))
		}
	}
	if *labelStudio {
		sc, err := annotate.ParseSchema([]byte(v.Body))
		if err != nil {
			return e.fail(err)
		}
		out, err := export.LabelStudioConfig(sc, splitList(*dims))
		if err != nil {
			return e.fail(err)
		}
		_, err = e.stdout.Write(out)
		if err != nil {
			return e.fail(err)
		}
		return 0
	}
	current := ""
	if v.Version == versions[0].Version {
		current = ", current"
	}
	fmt.Fprintf(e.stdout, "# Concord label schema, version %d%s, applied %s\n", v.Version, current, v.CreatedAt.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprint(e.stdout, v.Body)
	return 0
}

func schemaVersions(ctx context.Context, e *env, args []string) int {
	fs := e.flags("versions")
	pos, code, ok := e.parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return e.usageError("schema versions takes no arguments")
	}
	store, err := e.openStore(ctx, false)
	if err != nil {
		return e.fail(err)
	}
	defer store.Close()
	versions, err := store.SchemaVersions(ctx)
	if err != nil {
		return e.fail(err)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tAPPLIED\tBY\tDIMENSIONS")
	for _, v := range versions {
		by := "concord"
		if v.CreatedBy != 0 {
			by = "user " + strconv.FormatInt(v.CreatedBy, 10)
			if u, err := store.User(ctx, v.CreatedBy); err == nil {
				by = u.Name
			}
		}
		dims := "?"
		if sc, err := annotate.ParseSchema([]byte(v.Body)); err == nil {
			dims = fmt.Sprint(len(sc.Dimensions))
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", v.Version, v.CreatedAt.UTC().Format("2006-01-02 15:04 MST"), by, dims)
	}
	tw.Flush()
	return 0
}

// readSchemaFile reads and checks a schema file, naming the file in errors.
func readSchemaFile(path string) (*annotate.Schema, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sc, err := annotate.ParseSchema(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", path, errorText(err))
	}
	return sc, nil
}

func schemaCheck(e *env, args []string) int {
	fs := e.newFlagSet("check")
	pos, code, ok := e.parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return e.usageError("give one schema file, e.g. concord schema check schema.yaml")
	}
	sc, err := readSchemaFile(pos[0])
	if err != nil {
		return e.fail(err)
	}
	fmt.Fprintf(e.stdout, "%s is a valid schema with %d dimension(s):\n", pos[0], len(sc.Dimensions))
	for _, d := range sc.Dimensions {
		fmt.Fprintf(e.stdout, "  %s (%s, %d option(s))\n", d.Name, d.Kind, len(d.Options))
	}
	return 0
}

func schemaApply(ctx context.Context, e *env, args []string) int {
	fs := e.flags("apply")
	mappingFile := fs.String("mapping", "", "YAML file mapping old values to new ones")
	pos, code, ok := e.parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return e.usageError("give one schema file, e.g. concord schema apply schema.yaml")
	}
	sc, err := readSchemaFile(pos[0])
	if err != nil {
		return e.fail(err)
	}
	var m annotate.Mapping
	if *mappingFile != "" {
		if m, err = readMapping(*mappingFile); err != nil {
			return e.fail(err)
		}
	}
	store, err := e.openStore(ctx, true)
	if err != nil {
		return e.fail(err)
	}
	defer store.Close()
	before := 0
	if cur, err := store.Schema(ctx); err == nil {
		before = cur.Version
	} else if annotate.ErrorCode(err) != annotate.ENOTFOUND {
		return e.fail(err)
	}
	applied, err := store.ApplySchema(ctx, 0, sc, m)
	var oe *annotate.OrphanError
	if errors.As(err, &oe) {
		e.fail(oe)
		printMappingHelp(e.stderr, oe, pos[0], *mappingFile)
		return 1
	}
	if err != nil {
		return e.fail(err)
	}
	if applied.Version == before {
		fmt.Fprintf(e.stdout, "%s is already the current schema (version %d); nothing changed\n", pos[0], applied.Version)
		return 0
	}
	fmt.Fprintf(e.stdout, "applied %s as schema version %d\n", pos[0], applied.Version)
	return 0
}

// readMapping reads a mapping file: dimension → old value → new value.
func readMapping(path string) (annotate.Mapping, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m annotate.Mapping
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: cannot read the mapping: %v; write one entry per dimension, each a map of old value: new value, e.g.\n  stance:\n    neutral: discuss", path, err)
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("%s: the mapping is empty", path)
	}
	return m, nil
}

// printMappingHelp shows a mapping file that would settle every orphan, to
// be edited: each orphaned value is dropped until given a new value.
func printMappingHelp(w io.Writer, oe *annotate.OrphanError, schemaFile, mappingFile string) {
	fmt.Fprintln(w, "\nSay what becomes of these labels in a mapping file (YAML), one entry per")
	fmt.Fprintln(w, `dimension, old value: new value; "" drops a value on purpose and "*" stands`)
	fmt.Fprintln(w, "for every value of a dimension. Edit this one to keep what you can:")
	fmt.Fprintln(w)
	last := ""
	for _, o := range oe.Orphans {
		if o.Dimension != last {
			fmt.Fprintf(w, "  %s:\n", o.Dimension)
			last = o.Dimension
		}
		value := o.Value
		if value == "" {
			value = "*"
		}
		fmt.Fprintf(w, "    %s: \"\"   # %d label(s): %s\n", strconv.Quote(value), o.Count, o.Reason)
	}
	if mappingFile == "" {
		mappingFile = "mapping.yaml"
	}
	fmt.Fprintf(w, "\nthen run: concord schema apply --mapping %s %s\n", mappingFile, schemaFile)
}
