package web

import (
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// Config holds what the server needs to know about its surroundings.
type Config struct {
	// SecureCookies marks session cookies Secure. Browsers send such cookies
	// only over HTTPS, except to localhost; keep it on behind a TLS proxy.
	SecureCookies bool
	// MaxBodyBytes limits JSON request bodies; 0 means 1 MiB.
	MaxBodyBytes int64
	// MaxUploadBytes limits the bodies of the routes that take files (the
	// import page and API, the schema page); 0 means 64 MiB.
	MaxUploadBytes int64
	// MaxFormBytes limits every other form (login, account, admin forms):
	// they carry names and short texts; 0 means 64 KiB.
	MaxFormBytes int64
	// TrustedProxies are the peers whose X-Forwarded-For (and
	// X-Forwarded-Host) headers are believed. With none, the client address
	// is the TCP peer's, which is what login throttling counts by: a header
	// anyone can send must not pick the address a failure is counted on.
	TrustedProxies []netip.Prefix
	// Logger receives request errors; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock that login throttling runs on; nil means time.Now.
	// Servers sharing a database should have clocks that agree.
	// Tests set it to move time forward without waiting.
	Now func() time.Time
	// ModelServer, when set, is offered the paragraphs the queue hands
	// out, to predict first, and its status is shown to admins.
	ModelServer ModelServer
	// Trainer runs the built-in model's training in the background; nil
	// means one of the server's own, which trains only when an admin asks
	// (the background runs after new labels need Trainer.Run, which
	// concord serve starts).
	Trainer *annotate.Trainer
}

// Server serves Concord over HTTP.
type Server struct {
	store  *annotate.Store
	cfg    Config
	log    *slog.Logger
	engine *gin.Engine
	// inWrite holds the routes ("PUT /api/v1/...") whose one guarded write
	// checks the caller's credential itself (see checkCallerInWrite).
	inWrite map[string]bool
}

// New returns a server for the store with every route registered.
func New(store *annotate.Store, cfg Config) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = 64 << 20
	}
	if cfg.MaxFormBytes <= 0 {
		cfg.MaxFormBytes = 64 << 10
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Trainer == nil {
		cfg.Trainer = annotate.NewTrainer(store, cfg.Logger)
	}
	gin.SetMode(gin.ReleaseMode)
	s := &Server{store: store, cfg: cfg, log: cfg.Logger, engine: gin.New(), inWrite: map[string]bool{}}
	// Gin believes X-Forwarded-For from every peer unless told otherwise.
	// Parsed prefixes always convert; only a zero netip.Prefix, which no
	// parser returns, could fail here.
	proxies := make([]string, len(cfg.TrustedProxies))
	for i, p := range cfg.TrustedProxies {
		proxies[i] = p.String()
	}
	if err := s.engine.SetTrustedProxies(proxies); err != nil {
		panic("web: trusted proxies: " + err.Error())
	}
	// The body limit comes first, before anything can read the body; the
	// origin check and the form read come before authentication, which may
	// read the form for its CSRF token.
	s.engine.Use(s.limitBody(), s.recover(), s.logRequests(), s.securityHeaders(), s.checkRequestText(), s.checkOrigin(), s.readForm(), s.authenticate())
	s.engine.HandleMethodNotAllowed = true
	s.engine.NoRoute(func(c *gin.Context) {
		s.fail(c, annotate.NotFoundf("no such page or endpoint: %s %s", c.Request.Method, c.Request.URL.Path))
	})
	s.engine.NoMethod(func(c *gin.Context) {
		s.fail(c, &annotate.Error{Code: codeMethod, Message: c.Request.Method + " is not allowed on " + c.Request.URL.Path})
	})
	s.engine.GET("/healthz", s.healthz)
	s.registerRoutes()
	return s
}

// Handler returns the server's http.Handler.
func (s *Server) Handler() http.Handler { return s.engine }

// Store returns the store the server works on.
func (s *Server) Store() *annotate.Store { return s.store }

func (s *Server) healthz(c *gin.Context) {
	if _, err := s.store.Overlap(c.Request.Context()); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

func (s *Server) recover() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("panic serving request", "method", c.Request.Method, "path", c.Request.URL.Path, "panic", r)
				s.fail(c, errPanic)
				c.Abort()
			}
		}()
		c.Next()
	}
}

func (s *Server) logRequests() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		if c.Writer.Status() >= 500 {
			s.log.Warn("request failed", "method", c.Request.Method, "path", c.Request.URL.Path, "status", c.Writer.Status(), "duration", time.Since(start))
		} else if s.log.Enabled(c.Request.Context(), slog.LevelDebug) {
			s.log.Debug("request", "method", c.Request.Method, "path", c.Request.URL.Path, "status", c.Writer.Status(), "duration", time.Since(start))
		}
	}
}

func (s *Server) securityHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		// The values are shared by every response rather than copied into
		// each: nothing appends to them in place (an append to a full slice
		// copies it).
		for _, sh := range securityHeaderValues {
			h[sh.name] = sh.value
		}
		c.Next()
	}
}

// securityHeaderValues are the headers every response carries, with their
// names in canonical form.
var securityHeaderValues = []struct {
	name  string
	value []string
}{
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"X-Frame-Options", []string{"DENY"}},
	{"Referrer-Policy", []string{"same-origin"}},
	// Pages load only their own scripts and styles: paragraph text that
	// holds markup can never run, even if it escaped the templates.
	{"Content-Security-Policy", []string{"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"}},
}
