package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"concord/annotate"
)

// Config is everything the commands can be told about their surroundings.
// It is built from defaults, then CONCORD_* environment variables, then
// command-line flags, so a flag always wins over the environment.
type Config struct {
	// DB is the SQLite file, or a postgres:// URL.
	DB string
	// Addr is the host:port the server listens on.
	Addr string
	// AddrExplicit records that Addr came from a flag or the environment
	// rather than the default, which is what allows a non-loopback address.
	AddrExplicit bool
	// Seeds is the folder holding the default schema and seed corpus; when it
	// does not exist the copies built into the binary are used.
	Seeds string
	// MaxFileSize is the largest file an import reads, in bytes.
	MaxFileSize int64
	// SecureCookies marks session cookies Secure (for HTTPS deployments).
	SecureCookies bool
	// TrustedProxies are the peers whose X-Forwarded-For and
	// X-Forwarded-Host headers the server believes; none by default.
	TrustedProxies []netip.Prefix
	// LogLevel is the least severe level logged: debug, info, warn or error.
	LogLevel slog.Level
	// ModelURL is the Label Studio ML backend asked for suggestions; ""
	// means none.
	ModelURL string
	// ModelTimeout bounds one request to it; ModelBatch is how many
	// paragraphs one request carries.
	ModelTimeout time.Duration
	ModelBatch   int
}

// defaultConfig returns the configuration before the environment and flags
// are read.
func defaultConfig() Config {
	return Config{
		DB:           "concord.db",
		Addr:         "127.0.0.1:8080",
		Seeds:        "seeds",
		MaxFileSize:  annotate.DefaultMaxFileSize,
		LogLevel:     slog.LevelInfo,
		ModelTimeout: 30 * time.Second,
		ModelBatch:   16,
	}
}

// setting ties one Config field to its flag and its environment variable.
type setting struct {
	flag    string
	env     string
	help    string
	isBool  bool
	set     func(c *Config, v string) error
	get     func(c *Config) string
	explain string // the value shown as the default in help
}

// settings lists every configurable field. Each command binds the ones it
// uses with bindSettings.
var settings = []setting{
	{
		flag: "db", env: "CONCORD_DB", help: "SQLite database `FILE` (or a postgres:// URL)", explain: "concord.db",
		set: func(c *Config, v string) error {
			if strings.TrimSpace(v) == "" {
				return fmt.Errorf("the database path is empty")
			}
			c.DB = v
			return nil
		},
		get: func(c *Config) string { return c.DB },
	},
	{
		flag: "addr", env: "CONCORD_ADDR", help: "`HOST:PORT` to listen on; port 0 picks a free port", explain: "127.0.0.1:8080",
		set: func(c *Config, v string) error {
			if !strings.Contains(v, ":") {
				return fmt.Errorf("%q is not HOST:PORT, e.g. 127.0.0.1:8080", v)
			}
			c.Addr, c.AddrExplicit = v, true
			return nil
		},
		get: func(c *Config) string { return c.Addr },
	},
	{
		flag: "seeds", env: "CONCORD_SEEDS", help: "`DIR` with schema.yaml and the seed corpus; the built-in copies are used when it does not exist", explain: "seeds",
		set: func(c *Config, v string) error { c.Seeds = v; return nil },
		get: func(c *Config) string { return c.Seeds },
	},
	{
		flag: "max-file-size", env: "CONCORD_MAX_FILE_SIZE", help: "largest file to import, in bytes or with a unit: 512KiB, 64MiB, 1GB", explain: "32MiB",
		set: func(c *Config, v string) error {
			n, err := parseSize(v)
			if err != nil {
				return err
			}
			c.MaxFileSize = n
			return nil
		},
		get: func(c *Config) string { return formatSize(c.MaxFileSize) },
	},
	{
		flag: "secure-cookies", env: "CONCORD_SECURE_COOKIES", help: "mark session cookies Secure; turn on when Concord is served over HTTPS", explain: "false", isBool: true,
		set: func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%q is not true or false", v)
			}
			c.SecureCookies = b
			return nil
		},
		get: func(c *Config) string { return strconv.FormatBool(c.SecureCookies) },
	},
	{
		flag: "trusted-proxies", env: "CONCORD_TRUSTED_PROXIES", help: "`CIDR,...` of the reverse proxies whose X-Forwarded-For (the client's address) and X-Forwarded-Host are believed; with none the client is the TCP peer", explain: "none",
		set: func(c *Config, v string) error {
			ps, err := parseProxies(v)
			if err != nil {
				return err
			}
			c.TrustedProxies = ps
			return nil
		},
		get: func(c *Config) string {
			parts := make([]string, len(c.TrustedProxies))
			for i, p := range c.TrustedProxies {
				parts[i] = p.String()
			}
			return strings.Join(parts, ",")
		},
	},
	{
		flag: "log-level", env: "CONCORD_LOG_LEVEL", help: "least severe `LEVEL` to log: debug, info, warn or error", explain: "info",
		set: func(c *Config, v string) error {
			var l slog.Level
			if err := l.UnmarshalText([]byte(v)); err != nil {
				return fmt.Errorf("%q is not a log level; use debug, info, warn or error", v)
			}
			c.LogLevel = l
			return nil
		},
		get: func(c *Config) string { return strings.ToLower(c.LogLevel.String()) },
	},
	{
		flag: "model-url", env: "CONCORD_MODEL_URL", help: "`URL` of a Label Studio ML backend to ask for suggestions, such as http://127.0.0.1:9090 (user:password@ for basic authentication)", explain: "none",
		set: func(c *Config, v string) error {
			v = strings.TrimSpace(v)
			if v != "" && !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") {
				return fmt.Errorf("%q is not an http:// or https:// URL, e.g. http://127.0.0.1:9090", v)
			}
			c.ModelURL = v
			return nil
		},
		get: func(c *Config) string { return c.ModelURL },
	},
	{
		flag: "model-timeout", env: "CONCORD_MODEL_TIMEOUT", help: "longest wait for one answer of the model server, such as 30s", explain: "30s",
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil || d <= 0 {
				return fmt.Errorf("%q is not a duration; use e.g. 10s or 2m", v)
			}
			c.ModelTimeout = d
			return nil
		},
		get: func(c *Config) string { return c.ModelTimeout.String() },
	},
	{
		flag: "model-batch", env: "CONCORD_MODEL_BATCH", help: "paragraphs per request to the model server, 1 to 256", explain: "16",
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 1 || n > 256 {
				return fmt.Errorf("%q is not a batch size from 1 to 256", v)
			}
			c.ModelBatch = n
			return nil
		},
		get: func(c *Config) string { return strconv.Itoa(c.ModelBatch) },
	},
}

// settingValue adapts one setting to flag.Value.
type settingValue struct {
	s   setting
	cfg *Config
}

func (v settingValue) String() string {
	if v.cfg == nil {
		return ""
	}
	return v.s.get(v.cfg)
}
func (v settingValue) Set(s string) error { return v.s.set(v.cfg, s) }
func (v settingValue) IsBoolFlag() bool   { return v.s.isBool }

// bindSettings applies the environment variables of the named settings to
// cfg and registers their flags on fs. It fails on a malformed variable,
// naming it.
func bindSettings(fs *flag.FlagSet, cfg *Config, getenv func(string) string, names ...string) error {
	for _, name := range names {
		s, ok := lookupSetting(name)
		if !ok {
			panic("unknown setting " + name)
		}
		if v := getenv(s.env); v != "" {
			if err := s.set(cfg, v); err != nil {
				return fmt.Errorf("environment variable %s: %v", s.env, err)
			}
		}
		fs.Var(settingValue{s: s, cfg: cfg}, s.flag, s.help)
	}
	return nil
}

func lookupSetting(name string) (setting, bool) {
	for _, s := range settings {
		if s.flag == name {
			return s, true
		}
	}
	return setting{}, false
}

// parseProxies reads a comma-separated list of address ranges such as
// "10.0.0.0/8,192.0.2.1"; a single address stands for itself alone.
func parseProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			a, err := netip.ParseAddr(part)
			if err != nil {
				return nil, fmt.Errorf("%q is not an address or a CIDR range; give the proxies' addresses as CIDRs separated by commas, e.g. 10.0.0.0/8,192.0.2.1/32", part)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR range; give the proxies' addresses as CIDRs separated by commas, e.g. 10.0.0.0/8,192.0.2.1/32", part)
		}
		if p != p.Masked() {
			return nil, fmt.Errorf("%q has bits set past its /%d; did you mean %s?", part, p.Bits(), p.Masked())
		}
		out = append(out, p)
	}
	return out, nil
}

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30},
	{"kb", 1000}, {"mb", 1000 * 1000}, {"gb", 1000 * 1000 * 1000},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30},
	{"b", 1},
}

// parseSize reads a byte count such as 1048576, 512KiB, 64MiB or 1GB.
func parseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size; use a positive number of bytes or a unit, e.g. 512KiB or 64MiB", s)
	}
	return n * mult, nil
}

// formatSize writes n in the largest binary unit that divides it.
func formatSize(n int64) string {
	switch {
	case n > 0 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "GiB"
	case n > 0 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MiB"
	case n > 0 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "KiB"
	}
	return strconv.FormatInt(n, 10)
}
