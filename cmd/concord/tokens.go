package main

import (
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"concord/annotate"
)

func init() {
	register(&command{
		name:    "tokens",
		summary: "create, list and revoke API tokens for scripts",
		usage: `Usage:
  concord tokens create NAME [--user USER] [--db FILE]
  concord tokens list [--user USER] [--limit N] [--next CURSOR] [--db FILE]
  concord tokens revoke ID [--user USER] [--db FILE]

An API token lets a script call the JSON API as a user, with that user's
role, by sending the header "Authorization: Bearer TOKEN". NAME says what the
token is for. The token is printed once; only a hash of it is stored. A
revoked token stops working at once and for good.

Flags:
  --user USER      whose tokens (default admin)
  --limit N        tokens list prints at most N tokens (default 50, at most 500)
  --next CURSOR    the page to print, as the page before says

Examples:
  concord tokens create nightly-export
  concord tokens create labelling-script --user maria
  concord tokens list --user maria
  concord tokens revoke 3`,
		settings:   []string{"db"},
		envExample: "CONCORD_TOKENS_CREATE_USER=alice",
		run:        runTokens,
	})
}

func runTokens(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		return e.usageError("say what to do: create, list or revoke")
	}
	switch args[0] {
	case "create":
		return tokensCreate(ctx, e, args[1:])
	case "list":
		return tokensList(ctx, e, args[1:])
	case "revoke":
		return tokensRevoke(ctx, e, args[1:])
	case "-h", "-help", "--help", "help":
		printHelp(e.stdout, e.cmd)
		return 0
	}
	return e.usageError("unknown action %q; use create, list or revoke", args[0])
}

// tokenUser opens the database and finds the user named by --user.
func tokenUser(ctx context.Context, e *env, name string) (*annotate.Store, *annotate.User, error) {
	store, err := e.openStore(ctx, false)
	if err != nil {
		return nil, nil, err
	}
	u, err := store.UserByName(ctx, name)
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	return store, u, nil
}

func tokensCreate(ctx context.Context, e *env, args []string) int {
	fs := e.flags("create")
	user := fs.String("user", "admin", "the user the token acts as")
	pos, code, ok := e.parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return e.usageError("give the token a name saying what uses it, e.g. concord tokens create nightly-export")
	}
	store, u, err := tokenUser(ctx, e, *user)
	if err != nil {
		return e.fail(err)
	}
	defer store.Close()
	secret, t, err := store.CreateToken(ctx, u.ID, pos[0])
	if err != nil {
		return e.fail(err)
	}
	fmt.Fprintf(e.stdout, "created token %d %q for %s (%s)\n", t.ID, t.Name, u.Name, u.Role)
	fmt.Fprintf(e.stdout, "token: %s\n", secret)
	fmt.Fprintln(e.stdout, "It is shown only once; keep it in a secret store. Use it as:")
	addr := e.cfg.Addr
	if v := e.getenv("CONCORD_ADDR"); v != "" {
		addr = v
	}
	fmt.Fprintf(e.stdout, "  curl -H \"Authorization: Bearer %s\" http://%s/api/v1/documents\n", secret, addr)
	return 0
}

func tokensList(ctx context.Context, e *env, args []string) int {
	fs := e.flags("list")
	user := fs.String("user", "admin", "whose tokens to list")
	limit := fs.Int("limit", annotate.DefaultTokenLimit, "the most tokens to print")
	next := fs.Int64("next", 0, "the cursor of the page to print, from the page before")
	pos, code, ok := e.parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return e.usageError("tokens list takes no arguments; pick the user with --user")
	}
	store, u, err := tokenUser(ctx, e, *user)
	if err != nil {
		return e.fail(err)
	}
	defer store.Close()
	page, err := store.Tokens(ctx, u.ID, annotate.ListQuery{Limit: *limit, After: *next})
	if err != nil {
		return e.fail(err)
	}
	tokens := page.Tokens
	if len(tokens) == 0 && *next == 0 {
		fmt.Fprintf(e.stdout, "%s has no API tokens; create one with: concord tokens create NAME --user %s\n", u.Name, u.Name)
		return 0
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tCREATED\tLAST USED\tSTATUS")
	for _, t := range tokens {
		status := "active"
		if t.RevokedAt != nil {
			status = "revoked " + stamp(t.RevokedAt)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", t.ID, t.Name, stamp(&t.CreatedAt), stamp(t.LastUsedAt), status)
	}
	tw.Flush()
	if page.Next != 0 {
		fmt.Fprintf(e.stdout, "more tokens follow: %s\n", nextCommand("concord tokens list --user "+shellQuote(u.Name), "", *limit, annotate.DefaultTokenLimit, page.Next))
	}
	return 0
}

// stamp formats an optional time for a table.
func stamp(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04")
}

func tokensRevoke(ctx context.Context, e *env, args []string) int {
	fs := e.flags("revoke")
	user := fs.String("user", "admin", "whose token to revoke")
	pos, code, ok := e.parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return e.usageError("give the token's ID (see concord tokens list), e.g. concord tokens revoke 3")
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || id <= 0 {
		return e.usageError("%q is not a token ID; the IDs are the numbers in concord tokens list", pos[0])
	}
	store, u, err := tokenUser(ctx, e, *user)
	if err != nil {
		return e.fail(err)
	}
	defer store.Close()
	if err := store.RevokeToken(ctx, u.ID, u.ID, id); err != nil {
		return e.fail(err)
	}
	fmt.Fprintf(e.stdout, "revoked token %d of %s\n", id, u.Name)
	return 0
}
