package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

func init() {
	register(&command{
		name:    "backup",
		summary: "write a consistent copy of the database",
		usage: `Usage:
  concord backup [--db FILE] OUT.db

Writes a consistent copy of the SQLite database to OUT.db while Concord keeps
running: annotators can go on working during the backup. OUT.db must not
exist yet, so a backup never overwrites another. To restore, stop the server
and start it with --db OUT.db (or copy OUT.db over the database file).
For PostgreSQL use pg_dump instead.

Examples:
  concord backup backups/concord-$(date +%F).db
  concord backup --db /srv/concord/project.db /mnt/backup/project.db`,
		settings: []string{"db"},
		run:      runBackup,
	})
}

func runBackup(ctx context.Context, e *env, args []string) int {
	fs := e.flags("")
	pos, code, ok := e.parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return e.usageError("give the file to write the backup to, e.g. concord backup backup.db")
	}
	out := pos[0]
	if _, err := os.Stat(out); err == nil {
		return e.fail(fmt.Errorf("%s already exists; a backup never overwrites a file, so pick a new name", out))
	} else if !errors.Is(err, os.ErrNotExist) {
		return e.fail(err)
	}
	if info, err := os.Stat(filepath.Dir(out)); err != nil || !info.IsDir() {
		return e.fail(fmt.Errorf("folder %s does not exist; create it first", filepath.Dir(out)))
	}
	store, err := e.openStore(ctx, false)
	if err != nil {
		return e.fail(err)
	}
	defer store.Close()
	if err := store.Backup(ctx, out); err != nil {
		return e.fail(err)
	}
	size := ""
	if info, err := os.Stat(out); err == nil {
		size = " (" + formatBytes(info.Size()) + ")"
	}
	fmt.Fprintf(e.stdout, "backed up %s to %s%s\n", e.cfg.DB, out, size)
	return 0
}

// formatBytes writes a file size for people, e.g. 1.4 MiB.
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
