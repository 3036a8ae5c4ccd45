package main

import (
	"flag"
	"io"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// TestTrustedProxiesSetting checks --trusted-proxies and its variable:
// none by default, CIDRs and single addresses separated by commas, the
// flag over the variable, and a clear error on a bad range.
func TestTrustedProxiesSetting(t *testing.T) {
	parse := func(env map[string]string, args ...string) (Config, error) {
		cfg := defaultConfig()
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		if err := bindSettings(fs, &cfg, func(k string) string { return env[k] }, "trusted-proxies"); err != nil {
			return cfg, err
		}
		return cfg, fs.Parse(args)
	}
	prefixes := func(ss ...string) []netip.Prefix {
		var out []netip.Prefix
		for _, s := range ss {
			out = append(out, netip.MustParsePrefix(s))
		}
		return out
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want []netip.Prefix
	}{
		{"default", nil, nil, nil},
		{"variable", map[string]string{"CONCORD_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1"}, nil, prefixes("10.0.0.0/8", "192.0.2.1/32")},
		{"flag wins", map[string]string{"CONCORD_TRUSTED_PROXIES": "10.0.0.0/8"}, []string{"--trusted-proxies", "fd00::/8,::1"}, prefixes("fd00::/8", "::1/128")},
	}
	for _, tc := range tests {
		cfg, err := parse(tc.env, tc.args...)
		if err != nil || !slices.Equal(cfg.TrustedProxies, tc.want) {
			t.Errorf("%s: %v %v, want %v", tc.name, cfg.TrustedProxies, err, tc.want)
		}
	}
	for _, bad := range []struct{ value, want string }{
		{"10.0.0.0/33", `"10.0.0.0/33" is not a CIDR range`},
		{"proxy.local", `"proxy.local" is not an address or a CIDR range`},
		{"10.1.2.3/8", `did you mean 10.0.0.0/8`},
	} {
		if _, err := parse(map[string]string{"CONCORD_TRUSTED_PROXIES": bad.value}); err == nil || !strings.Contains(err.Error(), "CONCORD_TRUSTED_PROXIES") || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("CONCORD_TRUSTED_PROXIES=%s: %v, want an error naming the variable and %q", bad.value, err, bad.want)
		}
		if _, err := parse(nil, "--trusted-proxies", bad.value); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("--trusted-proxies %s: %v, want %q", bad.value, err, bad.want)
		}
	}
}
