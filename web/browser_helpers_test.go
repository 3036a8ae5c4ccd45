package web_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"concord/annotate"
	"concord/web"
)

// browserExec is Debian's chromium, which CI installs with apt.
const browserExec = "/usr/bin/chromium"

// browserShared is the one browser all tests of the package share; each
// test opens its own tab.
var browserShared struct {
	once   sync.Once
	ctx    context.Context
	err    error
	tmpDir string
}

// browserAllocator starts chromium on first use. Its profile lives in a
// folder named after the test process; folders left by earlier runs, whose
// process is gone, are removed here (there is no TestMain to do it at exit).
func browserAllocator(t testing.TB) context.Context {
	t.Helper()
	b := &browserShared
	b.once.Do(func() {
		if _, err := os.Stat(browserExec); err != nil {
			b.err = fmt.Errorf("chromium is needed for the browser tests (apt-get install chromium): %w", err)
			return
		}
		old, _ := filepath.Glob(filepath.Join(os.TempDir(), "concord-browser-*"))
		for _, dir := range old {
			pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(dir), "concord-browser-"))
			if err == nil && pid != os.Getpid() {
				if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid))); os.IsNotExist(err) {
					os.RemoveAll(dir)
				}
			}
		}
		b.tmpDir = filepath.Join(os.TempDir(), "concord-browser-"+strconv.Itoa(os.Getpid()))
		if err := os.MkdirAll(b.tmpDir, 0o700); err != nil {
			b.err = err
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(browserExec),
			chromedp.Headless,
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.NoFirstRun,
			chromedp.UserDataDir(b.tmpDir),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-renderer-backgrounding", true),
			chromedp.WindowSize(1440, 1000),
		)
		b.ctx, _ = chromedp.NewExecAllocator(context.Background(), opts...)
		// Start the browser itself now, with a first tab that stays open.
		bctx, _ := chromedp.NewContext(b.ctx)
		if err := chromedp.Do(bctx); err != nil {
			b.err = fmt.Errorf("start chromium: %w", err)
			return
		}
		b.ctx = bctx
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.ctx
}

// browserSlack stretches every tab's deadline. The deadline only guards
// against a browser that hangs; it measures nothing. make test runs the
// SQLite and PostgreSQL suites side by side, each with its own browser, on
// two cores, where a long page walk takes several times what it takes alone.
const browserSlack = 4

// browserTab opens a new tab for one test with a time limit (stretched by
// browserSlack). The tab closes when the test ends.
func browserTab(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	parent := browserAllocator(t)
	// Each tab has its own browser context: its own cookies and storage.
	ctx, cancel := chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout*browserSlack)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
	})
	ctx = context.WithValue(ctx, browserTabCancel{}, context.CancelFunc(cancelTimeout))
	if _, err := browserRun(t, ctx, "open tab", chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	return ctx
}

// browserTabCancel is the context key of the function that ends a tab.
type browserTabCancel struct{}

// browserHang is how long one step of a test may wait for Chromium to
// answer. Every step answers in seconds, also on a loaded machine; a step
// that waits this long waits for an answer Chromium will not send (a
// command lost in the renderer leaves chromedp holding a frame lock until
// the tab ends), so the tab is ended and the test fails at once and says
// where, instead of hanging until go test's timeout stops every test.
const browserHang = 2 * time.Minute

// browserRun runs one action in the tab of ctx within browserHang.
func browserRun[T any](t testing.TB, ctx context.Context, what string, a chromedp.Action[T]) (T, error) {
	t.Helper()
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := chromedp.Run(ctx, a)
		done <- result{v, err}
	}()
	timer := time.NewTimer(browserHang)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.v, r.err
	case <-timer.C:
	}
	shown := browserShown(ctx)
	if end, ok := ctx.Value(browserTabCancel{}).(context.CancelFunc); ok {
		end()
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
	}
	t.Fatalf("%s: Chromium did not answer for %v; the tab was closed; %s%s", what, browserHang, shown, serverGoroutines())
	var zero T
	return zero, nil
}

// browserShown asks a tab whose step hangs what it shows, within a few
// seconds: an answer means the page was there but the step waited for
// something it never showed; none means the tab itself was stuck.
func browserShown(ctx context.Context) string {
	done := make(chan string, 1)
	go func() {
		page, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + ' (' + document.readyState + '): ' + (document.body ? document.body.innerText.slice(0, 300) : '')`))
		if err != nil {
			page = "it could not be asked what it shows: " + err.Error()
		}
		done <- page
	}()
	select {
	case page := <-done:
		return "the tab showed " + page
	case <-time.After(5 * time.Second):
		return "the tab did not say what it showed within 5 s"
	}
}

// serverGoroutines returns the stacks of the goroutines that run Concord's
// code, so that a step that hangs shows whether the server was stuck in a
// request (and where) or had answered and Chromium had not.
func serverGoroutines() string {
	buf := make([]byte, 8<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var b strings.Builder
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "concord/annotate.") || strings.Contains(g, "concord/web.") {
			if !strings.Contains(g, "web_test.browserRun") {
				b.WriteString("\n\n" + g)
			}
		}
	}
	if b.Len() == 0 {
		return "; no goroutine of the server was running"
	}
	return "; the server's goroutines:" + b.String()
}

// browserEnv is a Concord server over a real store (see seededTestStore)
// with the seed corpus and the default schema, reachable over HTTP. APIDown
// makes the API answer 503, as a server that is restarting does, while
// pages still load; Offline drops API connections without an answer, as an
// unreachable server does; APIDelay holds every API request that long
// first.
type browserEnv struct {
	URL      string
	Store    *annotate.Store
	APIDown  atomic.Bool
	Offline  atomic.Bool
	APIDelay atomic.Int64 // nanoseconds
	// APICalls counts API requests, Refused those answered 503 or dropped.
	APICalls, Refused atomic.Int64
	srv               *httptest.Server

	mu       sync.Mutex
	requests []string // "METHOD /path?query" of every API request
}

// Requests returns the API requests made so far, as "METHOD /path?query".
func (e *browserEnv) Requests() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.requests...)
}

// browserServer starts a seeded server for one test.
func browserServer(t testing.TB) *browserEnv {
	t.Helper()
	st := seededTestStore(t)
	env := &browserEnv{Store: st}
	h := web.New(st, web.Config{Logger: slog.New(slog.NewTextHandler(browserLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelError}))}).Handler()
	env.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			env.APICalls.Add(1)
			env.mu.Lock()
			env.requests = append(env.requests, r.Method+" "+r.URL.RequestURI())
			env.mu.Unlock()
			if d := env.APIDelay.Load(); d > 0 {
				time.Sleep(time.Duration(d))
			}
			if env.Offline.Load() {
				env.Refused.Add(1)
				if hj, ok := w.(http.Hijacker); ok {
					if conn, _, err := hj.Hijack(); err == nil {
						conn.Close()
						return
					}
				}
				panic(http.ErrAbortHandler)
			}
			if env.APIDown.Load() {
				env.Refused.Add(1)
				http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
				return
			}
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(env.srv.Close)
	env.URL = env.srv.URL
	return env
}

// browserUser adds a user whose password is "password-" + name.
func browserUser(t testing.TB, env *browserEnv, name string, role annotate.Role) *annotate.User {
	t.Helper()
	u, err := env.Store.CreateUser(context.Background(), 0, name, role, "password-"+name)
	if err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	return u
}

// browserLogin logs a user in through the login form, typing like a person.
func browserLogin(t testing.TB, ctx context.Context, env *browserEnv, name string) {
	t.Helper()
	_, err := browserRun(t, ctx, "log in as "+name, chromedp.Steps(
		chromedp.Navigate(env.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("login-name")),
		chromedp.Focus(chromedp.ID("login-name")),
		chromedp.KeyEvent(name),
		chromedp.KeyEvent(kb.Tab),
		chromedp.KeyEvent("password-"+name),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitReady(chromedp.CSS(`body[data-user]:not([data-user=""])`)),
	))
	if err != nil {
		t.Fatalf("log in as %s: %v", name, err)
	}
}

// browserKeys presses keys one after the other on the focused element.
func browserKeys(keys ...string) chromedp.Action[chromedp.Void] {
	var acts []chromedp.Action[chromedp.Void]
	for _, k := range keys {
		acts = append(acts, chromedp.KeyEvent(k))
	}
	return chromedp.Steps(acts...)
}

// browserWait waits until a JavaScript expression is true in the page.
func browserWait(t testing.TB, ctx context.Context, what, expr string) {
	t.Helper()
	if _, err := browserRun(t, ctx, "wait for "+what, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		dump, _ := browserRun(t, ctx, "read the page", chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 1500) : ''`))
		t.Fatalf("waiting for %s (%s): %v\npage text:\n%s", what, expr, err, dump)
	}
}

// browserEval evaluates expr in the page and returns its value.
func browserEval[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	v, err := browserRun(t, ctx, "evaluate", chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// browserDo runs actions and fails the test on error.
func browserDo(t testing.TB, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if _, err := browserRun(t, ctx, "browser step", chromedp.Steps(steps...)); err != nil {
		t.Fatal(err)
	}
}

// browserParagraph returns the id of the paragraph on screen.
func browserParagraph(t testing.TB, ctx context.Context) int64 {
	t.Helper()
	id := browserEval[int64](t, ctx, `Number(document.getElementById('para-box').dataset.paragraph || 0)`)
	if id == 0 {
		t.Fatal("no paragraph on screen")
	}
	return id
}

// browserPendingDone waits until the outbox has sent everything.
func browserPendingDone(t testing.TB, ctx context.Context) {
	t.Helper()
	browserWait(t, ctx, "every save to reach the server", `(function(){var c = window.Concord && Concord.outbox && Concord.outbox.counts(); return !!c && c.queued === 0 && c.attention === 0;})()`)
}

// browserScheme switches prefers-color-scheme between "light" and "dark".
func browserScheme(scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		return err
	})
}

func strconvFormat(n int64) string { return strconv.FormatInt(n, 10) }

// browserLogWriter sends the server's error log to the test log.
type browserLogWriter struct{ t testing.TB }

func (w browserLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// browserTabBeside opens another tab in the browser context of tab, so the
// two share cookies and localStorage as two tabs of one person's browser do.
// It closes when the test ends.
func browserTabBeside(t testing.TB, tab context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(tab)
	t.Cleanup(cancel)
	ctx = context.WithValue(ctx, browserTabCancel{}, cancel)
	if _, err := browserRun(t, ctx, "open a second tab", chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatalf("open a second tab: %v", err)
	}
	return ctx
}

// browserWithoutLocks hides the Web Locks API from every page the tab opens
// from now on, as a browser does for a site served over plain HTTP to
// another machine (Web Locks need a secure context).
func browserWithoutLocks() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source: `Object.defineProperty(Navigator.prototype, 'locks', {get: function () { return undefined; }, configurable: true});`,
		})
		return err
	})
}
