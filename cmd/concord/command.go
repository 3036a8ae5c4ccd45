package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"concord/annotate"
	"concord/seeds"
)

// command is one subcommand of concord. Each lives in its own file and adds
// itself to commands in an init function.
type command struct {
	// name is what the user types: concord NAME.
	name string
	// summary is the one line shown in the list of commands.
	summary string
	// usage is the full help: synopsis, description, the command's own
	// flags and at least one example. The settings it binds are listed
	// after it.
	usage string
	// settings names the Config settings (see settings) the command takes
	// as flags and environment variables.
	settings []string
	// envExample, for a command with options of its own, shows one set
	// from its environment variable (see optionVar).
	envExample string
	// run does the work and returns the exit code.
	run func(ctx context.Context, e *env, args []string) int
}

// commands holds every subcommand by name.
var commands = map[string]*command{}

// register adds c to commands; a name used twice is a programming error.
func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("concord: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// commandNames returns the registered names in order.
func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// env is what a command runs with: its streams, the environment and the
// configuration it builds.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	cmd    *command
	cfg    Config
	// envErr is a malformed CONCORD_* variable found while binding flags;
	// parse reports it.
	envErr error
}

// run runs the concord command line args and returns the exit code: 0 on
// success, 1 when the command failed, 2 when it was called wrongly.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv, cfg: defaultConfig()}
	if len(args) == 0 {
		printOverview(stderr)
		return 2
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		name = "help"
	case "-version", "--version":
		name = "version"
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "concord: unknown command %q; run 'concord help' for the list of commands\n", name)
		return 2
	}
	e.cmd = c
	defer func() {
		// A bug must not reach the user as a stack trace.
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "concord %s: internal error: %v\n", name, r)
			code = 1
		}
	}()
	return c.run(ctx, e, args[1:])
}

// flags returns a flag set for the command (or one of its actions, named by
// sub) with the command's settings bound to e.cfg.
func (e *env) flags(sub string) *flag.FlagSet {
	fs := e.newFlagSet(sub)
	if err := bindSettings(fs, &e.cfg, e.getenv, e.cmd.settings...); err != nil && e.envErr == nil {
		e.envErr = err
	}
	return fs
}

// newFlagSet returns an empty flag set for the command or one of its
// actions, for actions that take none of the command's settings.
func (e *env) newFlagSet(sub string) *flag.FlagSet {
	name := e.cmd.name
	if sub != "" {
		name += " " + sub
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parse parses args with flags and arguments in any order ("--" ends the
// flags). It returns the arguments, or ok=false with the exit code: 0 after
// -h printed the help, 2 after a bad flag printed the error and the usage.
func (e *env) parse(fs *flag.FlagSet, args []string) (pos []string, code int, ok bool) {
	if e.envErr == nil {
		e.envErr = e.optionsFromEnv(fs)
	}
	if e.envErr != nil {
		fmt.Fprintf(e.stderr, "concord %s: %v\n", e.cmd.name, e.envErr)
		return nil, 2, false
	}
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			printHelp(e.stdout, e.cmd)
			return nil, 0, false
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "concord %s: %v\n\n", e.cmd.name, err)
			printHelp(e.stderr, e.cmd)
			return nil, 2, false
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), 0, true
		}
		if len(rest) == 0 {
			return pos, 0, true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// optionVar is the environment variable of a command's own option: for
// "export" and "format", CONCORD_EXPORT_FORMAT; for "users add" and "role",
// CONCORD_USERS_ADD_ROLE.
func optionVar(command, option string) string {
	name := strings.ToUpper(command + "_" + option)
	return "CONCORD_" + strings.NewReplacer(" ", "_", "-", "_").Replace(name)
}

// optionsFromEnv sets the options of fs that have an environment variable
// (see optionVar), before the command line is parsed, so that a flag wins
// over its variable. The settings (--db and the like) have variables of
// their own and are left alone here.
func (e *env) optionsFromEnv(fs *flag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if _, isSetting := lookupSetting(f.Name); isSetting || err != nil {
			return
		}
		name := optionVar(fs.Name(), f.Name)
		v := e.getenv(name)
		if v == "" {
			return
		}
		if serr := fs.Set(f.Name, v); serr != nil {
			err = fmt.Errorf("environment variable %s=%q: %v", name, v, serr)
		}
	})
	return err
}

// usageError reports a wrongly called command and returns exit code 2.
func (e *env) usageError(format string, args ...any) int {
	fmt.Fprintf(e.stderr, "concord %s: %s\n", e.cmd.name, fmt.Sprintf(format, args...))
	fmt.Fprintf(e.stderr, "Run 'concord help %s' for usage and examples.\n", e.cmd.name)
	return 2
}

// fail reports err and returns exit code 1. Domain errors are worded for
// people by annotate; other errors (files, the database driver) are shown as
// they are, since the person running the command owns the machine.
func (e *env) fail(err error) int {
	fmt.Fprintf(e.stderr, "concord %s: %s\n", e.cmd.name, errorText(err))
	return 1
}

// errorText is the message shown for err.
func errorText(err error) string {
	var de *annotate.Error
	if errors.As(err, &de) {
		return annotate.ErrorMessage(err)
	}
	return err.Error()
}

// isPostgres reports whether dsn names a PostgreSQL database.
func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// openStore opens e.cfg.DB. Unless create is set, a missing SQLite file is an
// error rather than a new empty database, so that a mistyped --db does not
// go unnoticed.
func (e *env) openStore(ctx context.Context, create bool) (*annotate.Store, error) {
	dsn := e.cfg.DB
	if !isPostgres(dsn) {
		path := strings.TrimPrefix(dsn, "sqlite://")
		info, err := os.Stat(path)
		switch {
		case err == nil && info.IsDir():
			return nil, fmt.Errorf("%s is a folder; give the database file, e.g. --db %s", path, filepath.Join(path, "concord.db"))
		case errors.Is(err, os.ErrNotExist) && !create:
			return nil, fmt.Errorf("no database at %s; pass --db FILE or set CONCORD_DB, or create one with 'concord serve' or 'concord import'", path)
		case errors.Is(err, os.ErrNotExist):
			dir := filepath.Dir(path)
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				return nil, fmt.Errorf("cannot create database %s: folder %s does not exist", path, dir)
			}
		case err != nil:
			return nil, err
		}
	}
	return annotate.Open(ctx, dsn)
}

// seedsDir returns the configured seeds folder when it exists, or "" when
// the copies built into the binary should be used.
func (e *env) seedsDir() string {
	if e.cfg.Seeds == "" {
		return ""
	}
	if info, err := os.Stat(e.cfg.Seeds); err == nil && info.IsDir() {
		return e.cfg.Seeds
	}
	return ""
}

// defaultSchema reads the default schema: schema.yaml in the seeds folder
// when there is one, else the built-in copy. It returns where it came from.
func (e *env) defaultSchema() (*annotate.Schema, string, error) {
	if dir := e.seedsDir(); dir != "" {
		path := filepath.Join(dir, seeds.SchemaFile)
		data, err := os.ReadFile(path)
		if err == nil {
			sc, err := annotate.ParseSchema(data)
			if err != nil {
				return nil, path, fmt.Errorf("%s: %s", path, errorText(err))
			}
			return sc, path, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, path, err
		}
	}
	data, err := seeds.FS.ReadFile(seeds.SchemaFile)
	if err != nil {
		return nil, "", err
	}
	sc, err := annotate.ParseSchema(data)
	return sc, "built-in " + seeds.SchemaFile, err
}

// ensureSchema applies the default schema when the database has none yet,
// and reports whether it did and from where.
func (e *env) ensureSchema(ctx context.Context, store *annotate.Store) (applied bool, from string, err error) {
	_, err = store.Schema(ctx)
	if err == nil {
		return false, "", nil
	}
	if annotate.ErrorCode(err) != annotate.ENOTFOUND {
		return false, "", err
	}
	sc, from, err := e.defaultSchema()
	if err != nil {
		return false, from, err
	}
	if _, err := store.ApplySchema(ctx, 0, sc, nil); err != nil {
		return false, from, err
	}
	return true, from, nil
}
