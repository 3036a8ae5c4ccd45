package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is Concord's release, set at build time with
// -ldflags "-X main.version=v1.2.3"; builds from a checkout report the
// module version or commit instead.
var version = ""

func init() {
	register(&command{
		name:    "version",
		summary: "print Concord's version",
		usage: `Usage:
  concord version

Prints the version of Concord and the Go release it was built with.

Example:
  concord version`,
		run: runVersion,
	})
}

func runVersion(_ context.Context, e *env, args []string) int {
	fs := e.flags("")
	pos, code, ok := e.parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return e.usageError("version takes no arguments")
	}
	fmt.Fprintf(e.stdout, "concord %s (%s, %s/%s)\n", buildVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return 0
}

// buildVersion returns the release set at build time, else what the Go
// toolchain recorded: the module version, or the commit of a checkout.
func buildVersion() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "devel " + rev
}
