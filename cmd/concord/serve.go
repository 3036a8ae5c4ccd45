package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"concord/annotate"
	"concord/modelserver"
	"concord/seeds"
	"concord/web"
)

func init() {
	register(&command{
		name:    "serve",
		summary: "run the annotation server",
		usage: `Usage:
  concord serve [--db FILE] [--addr HOST:PORT] [--seeds DIR]

Serves the annotation web app and the JSON API until interrupted (Ctrl+C or
SIGTERM), then finishes the requests in flight and closes the database.

On the first start (a database without a label schema) it applies the default
schema (DIR/schema.yaml, or the built-in one) and imports the seed corpus (the
files in DIR, or the built-in articles). When the database has no users it
creates the user "admin" and prints its password once.

The server listens on 127.0.0.1 unless --addr (or CONCORD_ADDR) names another
address; serve Concord to other machines only behind HTTPS, with
--secure-cookies. Behind a reverse proxy, name it with --trusted-proxies so
that failed logins are counted by the client's address, not the proxy's;
several servers may share one database (sessions, the login limits and
token and role changes are kept there).

With --model-url, Concord asks a Label Studio ML backend (POST /predict) for
suggestions on the paragraphs that have none from it, in the background:
those the queue hands out first, then the rest of the corpus. A slow or
failing server is retried with back-off and then left alone for a while;
annotation never waits on it.

Examples:
  concord serve
  concord serve --db /srv/concord/project.db --addr 127.0.0.1:9000
  concord serve --db postgres://concord@db/concord --addr 10.0.0.5:8080 --secure-cookies --trusted-proxies 10.0.0.2/32
  CONCORD_LOG_LEVEL=debug concord serve --seeds ./my-seeds`,
		settings: []string{"db", "addr", "seeds", "max-file-size", "secure-cookies", "trusted-proxies", "log-level", "model-url", "model-timeout", "model-batch"},
		run:      runServe,
	})
}

// Server timeouts. Headers must arrive quickly; bodies and responses may be
// large imports and exports, so those limits are generous.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 5 * time.Minute
	writeTimeout      = 10 * time.Minute
	idleTimeout       = 2 * time.Minute
	shutdownTimeout   = 15 * time.Second
)

func runServe(ctx context.Context, e *env, args []string) int {
	fs := e.flags("")
	pos, code, ok := e.parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return e.usageError("serve takes no arguments, got %q", strings.Join(pos, " "))
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: e.cfg.LogLevel}))

	loopback, err := isLoopback(e.cfg.Addr)
	if err != nil {
		return e.fail(err)
	}
	if !loopback && !e.cfg.AddrExplicit {
		return e.fail(fmt.Errorf("refusing to listen on %s without an explicit --addr", e.cfg.Addr))
	}
	if !loopback {
		log.Warn("listening beyond this machine; serve Concord behind HTTPS and set --secure-cookies", "addr", e.cfg.Addr, "secure_cookies", e.cfg.SecureCookies)
	}

	// Listen first, so that a taken port is reported before any work.
	ln, err := net.Listen("tcp", e.cfg.Addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return e.fail(fmt.Errorf("%s is already in use (another Concord, or another program); pick another port with --addr, e.g. --addr 127.0.0.1:8081", e.cfg.Addr))
		}
		return e.fail(fmt.Errorf("cannot listen on %s: %v", e.cfg.Addr, err))
	}
	defer ln.Close()

	store, err := e.openStore(ctx, true)
	if err != nil {
		return e.fail(err)
	}
	defer store.Close()

	if err := e.firstStart(ctx, store, log); err != nil {
		return e.fail(err)
	}
	password, err := store.EnsureAdmin(ctx)
	if err != nil {
		return e.fail(err)
	}
	if password != "" {
		printAdminBox(e.stderr, password)
	}

	wcfg := web.Config{SecureCookies: e.cfg.SecureCookies, TrustedProxies: e.cfg.TrustedProxies, Logger: log}
	workerDone := make(chan struct{})
	wctx, stopWorker := context.WithCancel(ctx)
	defer stopWorker()
	if e.cfg.ModelURL != "" {
		client, err := modelserver.New(e.cfg.ModelURL, modelserver.Options{Timeout: e.cfg.ModelTimeout})
		if err != nil {
			return e.fail(err)
		}
		w := modelserver.NewWorker(store, client, modelserver.WorkerOptions{Batch: e.cfg.ModelBatch, Logger: log})
		wcfg.ModelServer = w
		go func() { defer close(workerDone); w.Run(wctx) }()
		log.Info("asking a model server for suggestions", "url", client.URL(), "agent_prefix", client.AgentPrefix())
	} else {
		close(workerDone)
	}
	// The built-in model retrains in the background after every
	// train_every new labels (the Built-in model admin page sets it).
	trainer := annotate.NewTrainer(store, log)
	wcfg.Trainer = trainer
	trainerDone := make(chan struct{})
	go func() { defer close(trainerDone); trainer.Run(wctx, 0) }()
	srv := &http.Server{
		Handler:           web.New(store, wcfg).Handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	url := "http://" + ln.Addr().String() + "/"
	log.Info("serving", "url", url, "db", e.cfg.DB)
	fmt.Fprintf(e.stdout, "Concord is running at %s (press Ctrl+C to stop)\n", url)

	select {
	case err := <-served:
		return e.fail(fmt.Errorf("server stopped: %v", err))
	case <-ctx.Done():
	}
	log.Info("shutting down; finishing requests in flight", "timeout", shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("requests still running at shutdown were cut off", "err", err)
		_ = srv.Close()
	}
	stopWorker()
	<-workerDone
	<-trainerDone
	if err := store.Close(); err != nil {
		return e.fail(fmt.Errorf("close database: %v", err))
	}
	log.Info("stopped")
	return 0
}

// firstStart applies the default schema and imports the seed corpus when
// the database has no schema yet.
func (e *env) firstStart(ctx context.Context, store *annotate.Store, log *slog.Logger) error {
	applied, from, err := e.ensureSchema(ctx, store)
	if err != nil {
		return err
	}
	if !applied {
		return nil
	}
	log.Info("applied the default label schema", "from", from)
	opt := annotate.ImportOptions{MaxFileSize: e.cfg.MaxFileSize}
	var rep *annotate.ImportReport
	source := "built-in seed corpus"
	if dir := e.seedsDir(); dir != "" {
		source = dir
		rep, err = store.ImportPaths(ctx, []string{dir}, opt)
	} else {
		rep, err = store.ImportFS(ctx, seeds.FS, opt)
	}
	if err != nil {
		return fmt.Errorf("import seed corpus from %s: %w", source, err)
	}
	for _, r := range rep.Results {
		if r.Status == annotate.ImportFailed {
			log.Warn("seed file not imported", "file", r.Origin, "reason", r.Error)
		}
	}
	log.Info("imported the seed corpus", "from", source, "created", rep.Created, "unchanged", rep.Unchanged, "failed", rep.Failed)
	return nil
}

// isLoopback reports whether addr (HOST:PORT) listens only on this machine.
// An empty host means every interface.
func isLoopback(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, fmt.Errorf("--addr %q is not HOST:PORT, e.g. 127.0.0.1:8080", addr)
	}
	if host == "localhost" {
		return true, nil
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback(), nil
}

// printAdminBox shows the first admin's password, once, framed so that it
// stands out from the log lines around it.
func printAdminBox(w io.Writer, password string) {
	lines := []string{
		"Concord created the first user. Log in with:",
		"",
		"  user:      admin",
		"  password:  " + password,
		"",
		"This password is shown only once. Change it with:",
		"  concord users passwd admin --password-stdin",
		"or have it generated anew with:",
		"  concord users passwd admin",
	}
	width := 0
	for _, l := range lines {
		width = max(width, utf8.RuneCountInString(l))
	}
	bar := strings.Repeat("─", width+2)
	fmt.Fprintf(w, "\n┌%s┐\n", bar)
	for _, l := range lines {
		fmt.Fprintf(w, "│ %s%s │\n", l, strings.Repeat(" ", width-utf8.RuneCountInString(l)))
	}
	fmt.Fprintf(w, "└%s┘\n\n", bar)
}
