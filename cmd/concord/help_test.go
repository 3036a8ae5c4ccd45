package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestHelpForEveryCommandHasAnExample(t *testing.T) {
	clearConcordEnv(t)
	if len(commands) < 8 {
		t.Fatalf("got %d commands registered, want at least 8", len(commands))
	}
	for _, name := range commandNames() {
		t.Run(name, func(t *testing.T) {
			help := mustRun(t, "", "help", name)
			if !strings.Contains(help.stdout, "Example") || !strings.Contains(help.stdout, "concord "+name) {
				t.Errorf("help %s: got %q, want usage and an example", name, help.stdout)
			}
			dash := mustRun(t, "", name, "-h")
			if dash.stdout != help.stdout {
				t.Errorf("%s -h: got %q, want the same text as help %s", name, dash.stdout, name)
			}
			c := commands[name]
			for _, s := range c.settings {
				set, _ := lookupSetting(s)
				if !strings.Contains(help.stdout, "--"+set.flag) || !strings.Contains(help.stdout, set.env) {
					t.Errorf("help %s: got %q, want the flag --%s and variable %s", name, help.stdout, set.flag, set.env)
				}
			}
		})
	}
}

func TestHelpOverview(t *testing.T) {
	clearConcordEnv(t)
	r := mustRun(t, "", "help")
	for _, name := range commandNames() {
		if !strings.Contains(r.stdout, "  "+name+" ") {
			t.Errorf("got %q, want the command %s listed", r.stdout, name)
		}
	}
	for _, s := range settings {
		if !strings.Contains(r.stdout, s.env) {
			t.Errorf("got %q, want the variable %s listed", r.stdout, s.env)
		}
	}
	if !strings.Contains(r.stdout, "a flag wins over its variable") {
		t.Errorf("got %q, want it to say flags win over the environment", r.stdout)
	}
	if got := mustRun(t, "", "--help"); got.stdout != r.stdout {
		t.Errorf("--help: got %q, want the overview", got.stdout)
	}
}

// TestHelpNamesOptionVariables checks that the help of every command with
// options of its own shows how they are set from the environment, with an
// example that names a real option of the command.
func TestHelpNamesOptionVariables(t *testing.T) {
	clearConcordEnv(t)
	for _, n := range []string{"agreement", "export", "import", "import-labels", "schema", "tokens", "users"} {
		r := mustRun(t, "", "help", n)
		c := commands[n]
		if c.envExample == "" || !strings.Contains(r.stdout, c.envExample) {
			t.Errorf("help %s: got %q, want an example option variable", n, r.stdout)
			continue
		}
		// The example's option appears among the command's flags.
		name, _, _ := strings.Cut(c.envExample, "=")
		option := strings.ToLower(strings.ReplaceAll(name[len(optionVar(n, "")):], "_", "-"))
		if action, rest, ok := strings.Cut(option, "-"); ok && strings.Contains(c.usage, "concord "+n+" "+action) {
			option = rest
		}
		if !strings.Contains(c.usage, "--"+option) {
			t.Errorf("help %s: the example %s names no option of the command (looked for --%s)", n, c.envExample, option)
		}
	}
}

func TestActionHelp(t *testing.T) {
	clearConcordEnv(t)
	for _, args := range [][]string{{"users", "add", "-h"}, {"schema", "apply", "--help"}, {"tokens", "help"}} {
		r := concord(t, "", args...)
		if r.code != 0 || !strings.Contains(r.stdout, "Examples:") {
			t.Errorf("concord %s: got %s, want exit 0 with the help", strings.Join(args, " "), r)
		}
	}
}

func TestWrongCallsExitTwo(t *testing.T) {
	clearConcordEnv(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "Usage:"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"; run 'concord help'`},
		{"help for an unknown command", []string{"help", "frobnicate"}, `unknown command "frobnicate"`},
		{"bad flag", []string{"backup", "--force", "x.db"}, "flag provided but not defined: -force"},
		{"extra argument", []string{"version", "now"}, "version takes no arguments"},
		{"bad revoke id", []string{"tokens", "revoke", "abc"}, `"abc" is not a token ID`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := concord(t, "", tt.args...)
			if r.code != 2 {
				t.Errorf("got %s, want exit 2", r)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("got stderr %q, want it to contain %q", r.stderr, tt.want)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	r := mustRun(t, "", "version")
	if !strings.HasPrefix(r.stdout, "concord ") || !strings.Contains(r.stdout, "go1") {
		t.Errorf("got %q, want concord's version and the Go release", r.stdout)
	}
}

func TestEnvironmentAndFlags(t *testing.T) {
	clearConcordEnv(t)
	dir := t.TempDir()
	envDB := tempDB(t)
	flagDB := tempDB(t)
	writeFile(t, dir, "corpus/a.txt", []byte(articleA))
	corpus := filepath.Join(dir, "corpus")

	t.Setenv("CONCORD_DB", envDB)
	mustRun(t, "", "import", corpus)
	if got := documentCount(t, envDB); got != 1 {
		t.Errorf("CONCORD_DB: got %d documents in %s, want 1", got, envDB)
	}
	mustRun(t, "", "import", "--db", flagDB, corpus)
	if got := documentCount(t, flagDB); got != 1 {
		t.Errorf("--db over CONCORD_DB: got %d documents in %s, want 1", got, flagDB)
	}
	r := mustRun(t, "", "users", "list")
	if !strings.Contains(r.stdout, "NAME") {
		t.Errorf("users list with CONCORD_DB: got %q, want the table", r.stdout)
	}

	// A size limit from the environment applies; the flag overrides it.
	big := writeFile(t, dir, "big/b.txt", []byte(articleA+strings.Repeat("Long. ", 100)))
	t.Setenv("CONCORD_MAX_FILE_SIZE", "100")
	r = concord(t, "", "import", big)
	if r.code != 1 || !strings.Contains(r.stderr, "larger than the limit of 100 bytes") {
		t.Errorf("CONCORD_MAX_FILE_SIZE=100: got %s, want the file refused", r)
	}
	r = concord(t, "", "import", "--max-file-size", "1MiB", big)
	if r.code != 0 {
		t.Errorf("--max-file-size over CONCORD_MAX_FILE_SIZE: got %s, want exit 0", r)
	}

	t.Setenv("CONCORD_MAX_FILE_SIZE", "lots")
	r = concord(t, "", "import", big)
	if r.code != 2 || !strings.Contains(r.stderr, "environment variable CONCORD_MAX_FILE_SIZE") {
		t.Errorf("malformed CONCORD_MAX_FILE_SIZE: got %s, want exit 2 naming the variable", r)
	}
	// A command that does not use the variable does not trip over it.
	mustRun(t, "", "users", "list")
}
