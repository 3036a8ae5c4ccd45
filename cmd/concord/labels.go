package main

import (
	"flag"
	"fmt"
	"strings"

	"concord/export"
)

// labelFileFlags are the flags of the commands that read a labels file
// (agreement, consensus): the names of its columns and --skip-bad.
type labelFileFlags struct {
	cols    export.LabelColumns
	skipBad bool
}

// addLabelFileFlags registers --item, --annotator, --value, --dimension
// and --skip-bad on fs.
func addLabelFileFlags(fs *flag.FlagSet) *labelFileFlags {
	lf := &labelFileFlags{cols: export.DefaultLabelColumns()}
	fs.StringVar(&lf.cols.Item, "item", lf.cols.Item, "item column")
	fs.StringVar(&lf.cols.Annotator, "annotator", lf.cols.Annotator, "annotator column")
	fs.StringVar(&lf.cols.Value, "value", lf.cols.Value, "value column")
	fs.StringVar(&lf.cols.Dimension, "dimension", lf.cols.Dimension, "dimension column")
	fs.BoolVar(&lf.skipBad, "skip-bad", false, "skip unreadable lines")
	return lf
}

// check reports a column flag given as empty.
func (lf *labelFileFlags) check() error {
	for _, c := range []struct{ flag, v string }{{"--item", lf.cols.Item}, {"--annotator", lf.cols.Annotator}, {"--value", lf.cols.Value}, {"--dimension", lf.cols.Dimension}} {
		if strings.TrimSpace(c.v) == "" {
			return fmt.Errorf("%s names a column and cannot be empty", c.flag)
		}
	}
	return nil
}

// given reports whether any of the flags was set, for the database forms
// of the commands, which take none of them.
func (lf *labelFileFlags) given() bool {
	return lf.cols != export.DefaultLabelColumns() || lf.skipBad
}

// maxBadLines is how many unreadable lines are listed before the rest are
// only counted.
const maxBadLines = 20

// reportBadLines lists the unreadable lines of a labels file and returns
// the exit code when they stop the command, or 0. A file with no readable
// label left stops the command even with --skip-bad: a report of nothing
// would look like a result.
func reportBadLines(e *env, path string, lf *export.LabelFile, skip bool) int {
	bad := lf.Bad
	for i, b := range bad {
		if i == maxBadLines {
			fmt.Fprintf(e.stderr, "%s: … and %d more unreadable lines\n", path, len(bad)-maxBadLines)
			break
		}
		fmt.Fprintf(e.stderr, "%s:%d: %s\n", path, b.Line, b.Message)
	}
	switch {
	case len(lf.Labels) == 0 && len(bad) > 0:
		fmt.Fprintf(e.stderr, "concord %s: no line of %s could be read (%d unreadable, read as %s); fix the file or name its columns with --item, --annotator and --value\n", e.cmd.name, path, len(bad), strings.ToUpper(lf.Format))
		return 1
	case len(lf.Labels) == 0:
		fmt.Fprintf(e.stderr, "concord %s: %s holds no labels\n", e.cmd.name, path)
		return 1
	case len(bad) > 0 && !skip:
		fmt.Fprintf(e.stderr, "concord %s: %d unreadable line(s) in %s; fix them, or pass --skip-bad to leave them out\n", e.cmd.name, len(bad), path)
		return 1
	case len(bad) > 0:
		fmt.Fprintf(e.stderr, "concord %s: left out %d unreadable line(s)\n", e.cmd.name, len(bad))
	}
	return 0
}

// reportDuplicates says on stderr how many repeated labels a file had and
// which one counted.
func reportDuplicates(e *env, path string, dups map[string]int) int {
	n := 0
	for _, x := range dups {
		n += x
	}
	if n > 0 {
		fmt.Fprintf(e.stderr, "concord %s: %s: %d repeated label(s) collapsed; the last line for an item, annotator and dimension wins\n", e.cmd.name, path, n)
	}
	return n
}
