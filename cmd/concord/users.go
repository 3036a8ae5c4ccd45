package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"concord/annotate"
)

func init() {
	register(&command{
		name:    "users",
		summary: "add users, list them, change roles and passwords",
		usage: `Usage:
  concord users add NAME [--role ROLE] [--password-stdin] [--db FILE]
  concord users list [--search TEXT] [--limit N] [--next CURSOR] [--db FILE]
  concord users set-role NAME ROLE [--db FILE]
  concord users passwd NAME [--password-stdin] [--db FILE]

Roles, each allowed everything the one before it may do:
  annotator   labels paragraphs and sees only their own labels (the default)
  reviewer    also sees everyone's labels, agreement, and settles gold labels
  admin       also manages users, the schema, imports and exports

With --password-stdin the password is the first line of standard input (at
least 10 characters); without it a password is generated and printed once.
Setting a password ends the user's browser sessions.

users list prints one page of users in the order they were added (--limit,
default 50, at most 500), those whose name contains --search; when more
follow it says how to print the next page (--next CURSOR).

Examples:
  concord users add maria --role reviewer
  printf '%s\n' "$PASSWORD" | concord users add jonas --password-stdin
  concord users list
  concord users list --search mar --limit 20
  concord users set-role jonas reviewer
  concord users passwd admin --password-stdin < admin-password.txt`,
		settings:   []string{"db"},
		envExample: "CONCORD_USERS_ADD_ROLE=reviewer",
		run:        runUsers,
	})
}

func runUsers(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		return e.usageError("say what to do: add, list, set-role or passwd")
	}
	switch args[0] {
	case "add":
		return usersAdd(ctx, e, args[1:])
	case "list":
		return usersList(ctx, e, args[1:])
	case "set-role":
		return usersSetRole(ctx, e, args[1:])
	case "passwd":
		return usersPasswd(ctx, e, args[1:])
	case "-h", "-help", "--help", "help":
		printHelp(e.stdout, e.cmd)
		return 0
	}
	return e.usageError("unknown action %q; use add, list, set-role or passwd", args[0])
}

// readPassword returns the first line of r without its line ending.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from standard input: %v", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("--password-stdin: standard input holds no password; pipe one in, e.g. printf '%s\\n' \"$PASSWORD\" | concord users passwd NAME --password-stdin")
	}
	return line, nil
}

func usersAdd(ctx context.Context, e *env, args []string) int {
	fs := e.flags("add")
	role := fs.String("role", string(annotate.RoleAnnotator), "annotator, reviewer or admin")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	pos, code, ok := e.parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return e.usageError("give the new user's name, e.g. concord users add maria --role reviewer")
	}
	// Check what can be checked before the database is touched, so that a
	// refused command changes nothing (not even the first-admin step below).
	if err := annotate.CheckUserName(pos[0]); err != nil {
		return e.fail(err)
	}
	r, err := annotate.ParseRole(*role)
	if err != nil {
		return e.fail(err)
	}
	password := ""
	if *fromStdin {
		if password, err = readPassword(e.stdin); err != nil {
			return e.fail(err)
		}
	}
	store, err := e.openStore(ctx, true)
	if err != nil {
		return e.fail(err)
	}
	defer store.Close()
	// The first user must not leave the project without an admin: serve
	// creates "admin" only while there are no users at all.
	if r != annotate.RoleAdmin {
		n, err := store.UserCount(ctx)
		if err != nil {
			return e.fail(err)
		}
		if n == 0 {
			admin, err := store.EnsureAdmin(ctx)
			if err != nil {
				return e.fail(err)
			}
			if admin != "" {
				printAdminBox(e.stderr, admin)
			}
		}
	}
	generated := password == ""
	if generated {
		password = annotate.NewSecret(12)
	}
	u, err := store.CreateUser(ctx, 0, pos[0], r, password)
	if err != nil {
		return e.fail(err)
	}
	fmt.Fprintf(e.stdout, "added %s (%s, id %d)\n", u.Name, u.Role, u.ID)
	if generated {
		fmt.Fprintf(e.stdout, "password: %s\n(shown only once; change it with: concord users passwd %s --password-stdin)\n", password, u.Name)
	}
	return 0
}

func usersList(ctx context.Context, e *env, args []string) int {
	fs := e.flags("list")
	search := fs.String("search", "", "list the users whose name contains this")
	limit := fs.Int("limit", annotate.DefaultUserLimit, "the most users to print")
	next := fs.Int64("next", 0, "the cursor of the page to print, from the page before")
	pos, code, ok := e.parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return e.usageError("users list takes no arguments; narrow it with --search")
	}
	store, err := e.openStore(ctx, false)
	if err != nil {
		return e.fail(err)
	}
	defer store.Close()
	page, err := store.UserPage(ctx, annotate.ListQuery{Limit: *limit, After: *next, Search: *search})
	if err != nil {
		return e.fail(err)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tROLE\tCREATED\tPASSWORD\tSTATUS")
	for _, u := range page.Users {
		hasPassword := "yes"
		if u.PasswordHash == "" {
			hasPassword = "no"
		}
		status := "active"
		if u.DisabledAt != nil {
			status = "disabled " + u.DisabledAt.UTC().Format("2006-01-02")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Name, u.Role, u.CreatedAt.UTC().Format("2006-01-02 15:04"), hasPassword, status)
	}
	tw.Flush()
	if page.Next != 0 {
		fmt.Fprintf(e.stdout, "more users follow: %s\n", nextCommand("concord users list", *search, *limit, annotate.DefaultUserLimit, page.Next))
	}
	return 0
}

// nextCommand is the command that prints the page after a list's page.
func nextCommand(cmd, search string, limit, def int, next int64) string {
	if search != "" {
		cmd += " --search " + shellQuote(search)
	}
	if limit != def {
		cmd += fmt.Sprintf(" --limit %d", limit)
	}
	return fmt.Sprintf("%s --next %d", cmd, next)
}

// shellQuote quotes s for a POSIX shell when it holds more than letters,
// digits and ._@-.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func usersSetRole(ctx context.Context, e *env, args []string) int {
	fs := e.flags("set-role")
	pos, code, ok := e.parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 2 {
		return e.usageError("give a user name and a role, e.g. concord users set-role maria reviewer")
	}
	r, err := annotate.ParseRole(pos[1])
	if err != nil {
		return e.fail(err)
	}
	store, err := e.openStore(ctx, false)
	if err != nil {
		return e.fail(err)
	}
	defer store.Close()
	u, err := store.UserByName(ctx, pos[0])
	if err != nil {
		return e.fail(err)
	}
	if u.Role == r {
		fmt.Fprintf(e.stdout, "%s is already %s\n", u.Name, r)
		return 0
	}
	if err := store.SetRole(ctx, 0, u.ID, r); err != nil {
		return e.fail(err)
	}
	fmt.Fprintf(e.stdout, "%s is now %s (was %s)\n", u.Name, r, u.Role)
	return 0
}

func usersPasswd(ctx context.Context, e *env, args []string) int {
	fs := e.flags("passwd")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	pos, code, ok := e.parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return e.usageError("give the user's name, e.g. concord users passwd admin --password-stdin")
	}
	password := ""
	if *fromStdin {
		var err error
		if password, err = readPassword(e.stdin); err != nil {
			return e.fail(err)
		}
	}
	store, err := e.openStore(ctx, false)
	if err != nil {
		return e.fail(err)
	}
	defer store.Close()
	u, err := store.UserByName(ctx, pos[0])
	if err != nil {
		return e.fail(err)
	}
	generated := password == ""
	if generated {
		password = annotate.NewSecret(12)
	}
	if err := store.SetPassword(ctx, 0, u.ID, password); err != nil {
		return e.fail(err)
	}
	fmt.Fprintf(e.stdout, "set a new password for %s; their browser sessions have ended\n", u.Name)
	if generated {
		fmt.Fprintf(e.stdout, "password: %s\n(shown only once)\n", password)
	}
	return 0
}
