package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"concord/annotate"
)

func TestSettingsFromEnvironmentThenFlags(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		check func(c Config) bool
		want  string
	}{
		{"defaults", nil, nil,
			func(c Config) bool {
				return c.DB == "concord.db" && c.Addr == "127.0.0.1:8080" && !c.AddrExplicit && c.Seeds == "seeds" && c.MaxFileSize == 32<<20 && !c.SecureCookies && c.LogLevel == slog.LevelInfo
			}, "the defaults"},
		{"env", map[string]string{"CONCORD_DB": "env.db", "CONCORD_ADDR": "127.0.0.1:9000", "CONCORD_SEEDS": "s", "CONCORD_MAX_FILE_SIZE": "1KiB", "CONCORD_SECURE_COOKIES": "true", "CONCORD_LOG_LEVEL": "debug"}, nil,
			func(c Config) bool {
				return c.DB == "env.db" && c.Addr == "127.0.0.1:9000" && c.AddrExplicit && c.Seeds == "s" && c.MaxFileSize == 1024 && c.SecureCookies && c.LogLevel == slog.LevelDebug
			}, "every field from its variable"},
		{"flags win", map[string]string{"CONCORD_DB": "env.db", "CONCORD_SECURE_COOKIES": "true", "CONCORD_LOG_LEVEL": "debug"}, []string{"--db", "flag.db", "--secure-cookies=false", "--log-level", "error"},
			func(c Config) bool {
				return c.DB == "flag.db" && !c.SecureCookies && c.LogLevel == slog.LevelError
			}, "the flags over the variables"},
		{"bool flag alone", nil, []string{"--secure-cookies"},
			func(c Config) bool { return c.SecureCookies }, "secure cookies on"},
	}
	names := []string{"db", "addr", "seeds", "max-file-size", "secure-cookies", "log-level"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := defaultConfig()
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			getenv := func(k string) string { return tt.env[k] }
			if err := bindSettings(fs, &cfg, getenv, names...); err != nil {
				t.Fatalf("bindSettings: %v", err)
			}
			if err := fs.Parse(tt.args); err != nil {
				t.Fatalf("parse %v: %v", tt.args, err)
			}
			if !tt.check(cfg) {
				t.Errorf("got %+v, want %s", cfg, tt.want)
			}
		})
	}
}

func TestMalformedVariablesAreNamed(t *testing.T) {
	tests := []struct{ env, value, want string }{
		{"CONCORD_SECURE_COOKIES", "maybe", `"maybe" is not true or false`},
		{"CONCORD_LOG_LEVEL", "loud", `"loud" is not a log level`},
		{"CONCORD_ADDR", "8080", `"8080" is not HOST:PORT`},
		{"CONCORD_MAX_FILE_SIZE", "big", `"big" is not a size`},
	}
	for _, tt := range tests {
		cfg := defaultConfig()
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		getenv := func(k string) string {
			if k == tt.env {
				return tt.value
			}
			return ""
		}
		err := bindSettings(fs, &cfg, getenv, "addr", "max-file-size", "secure-cookies", "log-level")
		if err == nil || !strings.Contains(err.Error(), "environment variable "+tt.env) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s=%s: got %v, want an error naming the variable and %q", tt.env, tt.value, err, tt.want)
		}
	}
}

func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	if bar := newProgressBar(&buf, "importing", "files", importBarMin); bar != nil {
		t.Errorf("newProgressBar(buffer): got a bar, want none when not writing to a terminal")
	}
	bar := &progressBar{w: &buf, verb: "importing", unit: "files", min: importBarMin}
	bar.update(5, importBarMin)
	if buf.Len() != 0 {
		t.Errorf("update with %d files: got %q, want no bar for a small import", importBarMin, buf.String())
	}
	bar.update(10, 40)
	if got, want := buf.String(), "\rimporting [#######.......................] 10/40 files"; got != want {
		t.Errorf("update(10, 40): got %q, want %q", got, want)
	}
	bar.clear()
	if !strings.HasSuffix(buf.String(), "\r\033[K") {
		t.Errorf("clear: got %q, want the line erased", buf.String())
	}
}

func TestParseMixesFlagsAndArguments(t *testing.T) {
	tests := []struct {
		args     []string
		wantPos  string
		wantRole string
	}{
		{[]string{"maria", "--role", "admin"}, "maria", "admin"},
		{[]string{"--role", "admin", "maria"}, "maria", "admin"},
		{[]string{"a", "--role=reviewer", "b"}, "a b", "reviewer"},
		{[]string{"--role", "admin", "--", "-dash", "--role"}, "-dash --role", "admin"},
		{[]string{"-"}, "-", "annotator"},
	}
	for _, tt := range tests {
		e := &env{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }, cmd: commands["users"], cfg: defaultConfig()}
		fs := e.flags("add")
		role := fs.String("role", "annotator", "")
		pos, code, ok := e.parse(fs, tt.args)
		if !ok || strings.Join(pos, " ") != tt.wantPos || *role != tt.wantRole {
			t.Errorf("parse(%q): got %q, role %q, ok %v (exit %d); want %q, role %q", tt.args, pos, *role, ok, code, tt.wantPos, tt.wantRole)
		}
	}
}

// TestOptionsFromEnvironment sets command options from their variables,
// CONCORD_<COMMAND>_<OPTION>: the flag wins over its variable, and a
// malformed value is refused with the variable's name.
func TestOptionsFromEnvironment(t *testing.T) {
	clearConcordEnv(t)
	db := tempDB(t)
	t.Setenv("CONCORD_USERS_ADD_ROLE", "reviewer")
	t.Setenv("CONCORD_USERS_ADD_PASSWORD_STDIN", "true")
	mustRun(t, "correct horse battery\n", "users", "add", "maria", "--db", db)
	mustRun(t, "", "users", "add", "joao", "--role", "annotator", "--password-stdin=false", "--db", db)
	s := openDB(t, db)
	ctx := context.Background()
	if u, err := s.Authenticate(ctx, "maria", "correct horse battery"); err != nil || u.Role != annotate.RoleReviewer {
		t.Errorf("maria from the variables: %+v %v, want a reviewer with the password from stdin", u, err)
	}
	if u, err := s.UserByName(ctx, "joao"); err != nil || u.Role != annotate.RoleAnnotator {
		t.Errorf("joao with --role over the variable: %+v %v, want an annotator", u, err)
	}
	s.Close()

	t.Setenv("CONCORD_USERS_ADD_PASSWORD_STDIN", "maybe")
	r := concord(t, "", "users", "add", "ines", "--db", db)
	if r.code != 2 || !strings.Contains(r.stderr, "CONCORD_USERS_ADD_PASSWORD_STDIN") {
		t.Errorf("malformed variable: got %s, want exit 2 naming it", r)
	}

	mustRun(t, "", "schema", "apply", "--db", db, writeFile(t, t.TempDir(), "v1.yaml", []byte(schemaV1)))
	out := filepath.Join(t.TempDir(), "review.xlsx")
	t.Setenv("CONCORD_EXPORT_FORMAT", "xlsx")
	t.Setenv("CONCORD_EXPORT_O", out)
	mustRun(t, "", "export", "-q", "--db", db)
	data, err := os.ReadFile(out)
	if err != nil || !bytes.HasPrefix(data, []byte("PK")) {
		t.Errorf("export with CONCORD_EXPORT_FORMAT=xlsx: %d bytes %v, want a workbook", len(data), err)
	}
	if got := optionVar("schema show", "label-studio"); got != "CONCORD_SCHEMA_SHOW_LABEL_STUDIO" {
		t.Errorf("optionVar = %s", got)
	}
}

func TestModelServerSettings(t *testing.T) {
	names := []string{"model-url", "model-timeout", "model-batch"}
	parse := func(env map[string]string, args ...string) (Config, error) {
		cfg := defaultConfig()
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		if err := bindSettings(fs, &cfg, func(k string) string { return env[k] }, names...); err != nil {
			return cfg, err
		}
		return cfg, fs.Parse(args)
	}
	cfg, err := parse(nil)
	if err != nil || cfg.ModelURL != "" || cfg.ModelTimeout != 30*time.Second || cfg.ModelBatch != 16 {
		t.Fatalf("defaults %+v %v", cfg, err)
	}
	cfg, err = parse(map[string]string{"CONCORD_MODEL_URL": "http://127.0.0.1:9090", "CONCORD_MODEL_BATCH": "4"}, "--model-timeout", "5s")
	if err != nil || cfg.ModelURL != "http://127.0.0.1:9090" || cfg.ModelTimeout != 5*time.Second || cfg.ModelBatch != 4 {
		t.Fatalf("got %+v %v", cfg, err)
	}
	for _, args := range [][]string{{"--model-url", "127.0.0.1:9090"}, {"--model-timeout", "soon"}, {"--model-batch", "0"}, {"--model-batch", "1000"}} {
		if _, err := parse(nil, args...); err == nil {
			t.Errorf("%v was taken", args)
		}
	}
	if _, err := parse(map[string]string{"CONCORD_MODEL_TIMEOUT": "-1s"}); err == nil || !strings.Contains(err.Error(), "CONCORD_MODEL_TIMEOUT") {
		t.Errorf("a bad variable: %v", err)
	}
}
