// Package web is Haven's HTTP edge: the Echo instance, its middleware
// (request ids, access logs, security headers, limits), the route registry
// that also generates the OpenAPI document, and the health and metrics routes.
package web

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/metrics"
	"github.com/havenvr/haven/server/store"
)

// Translator localizes a message id for the request's negotiated locale.
type Translator interface {
	Localize(c echo.Context, id string, data map[string]any) string
}

// Options configure the HTTP edge.
type Options struct {
	Logger     *slog.Logger
	Store      *store.Store
	Metrics    *metrics.Metrics
	Translator Translator
	// TLS is true when the server terminates TLS (enables HSTS and Secure cookies).
	TLS bool
	// BodyLimit caps request bodies; the default is 1 MiB.
	BodyLimit string
	// Version is reported by /healthz.
	Version string
	// TrustedProxies are the only peers whose forwarded headers count.
	TrustedProxies []*net.IPNet
	// MetricsToken, when set, is the bearer token /metrics requires. Without
	// it /metrics is not served on this listener at all (see MetricsHandler).
	MetricsToken string
}

// Server is the HTTP edge.
type Server struct {
	Echo   *echo.Echo
	opts   Options
	routes []Route
	log    *slog.Logger
	http   *http.Server
}

// New builds the Echo instance with Haven's middleware and built-in routes.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.BodyLimit == "" {
		opts.BodyLimit = "1M"
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	s := &Server{Echo: e, opts: opts, log: opts.Logger}
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = ipExtractor(opts.TrustedProxies)
	e.Pre(s.stripForwarded, headAsGet)
	e.Use(
		headRestored,
		middleware.RequestIDWithConfig(middleware.RequestIDConfig{Generator: func() string { return store.RandomToken(12) }}),
		s.recoverer,
		s.accessLog,
		s.securityHeaders,
		middleware.BodyLimit(opts.BodyLimit),
		s.requestTimeout(30*time.Second),
	)
	s.registerBuiltins()
	return s
}

// Options returns the options the server was built with.
func (s *Server) Options() Options { return s.opts }

// Serve accepts connections on ln until ctx is cancelled, then shuts down
// gracefully, giving in-flight requests up to 10 s.
func (s *Server) Serve(ctx context.Context, ln net.Listener, tlsConfig *tls.Config) error {
	s.http = &http.Server{
		Handler:           s.Echo,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("web: serving: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.http.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("web: shutting down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("web: serving: %w", err)
	}
	return nil
}

func (s *Server) registerBuiltins() {
	s.Handle(Route{Method: http.MethodGet, Path: "/healthz", Summary: "Liveness: the process answers.", Access: Public,
		Handler: func(c echo.Context) error {
			return c.JSON(http.StatusOK, map[string]string{"status": "ok", "version": s.opts.Version})
		}})
	s.Handle(Route{Method: http.MethodGet, Path: "/readyz", Summary: "Readiness: database reachable and migrated.", Access: Public,
		Handler: s.ready})
	if s.opts.Metrics != nil && s.opts.MetricsToken != "" {
		h := echo.WrapHandler(s.MetricsHandler())
		s.Handle(Route{Method: http.MethodGet, Path: "/metrics", Summary: "Prometheus metrics (haven_ series); needs the --metrics-token as a bearer token.",
			Access: Public, Handler: func(c echo.Context) error {
				got := strings.TrimPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
				if subtle.ConstantTimeCompare([]byte(got), []byte(s.opts.MetricsToken)) != 1 {
					return apierr.New(apierr.Unauthorized)
				}
				return h(c)
			}})
	}

	s.Handle(Route{Method: http.MethodGet, Path: "/api/openapi.json", Summary: "This API described as OpenAPI 3.1.", Access: Public,
		Handler: func(c echo.Context) error { return c.JSON(http.StatusOK, s.OpenAPI()) }})
}

// MetricsHandler serves the Prometheus metrics, for a listener of their own
// (--metrics-addr); nil when the server has no metrics.
func (s *Server) MetricsHandler() http.Handler {
	if s.opts.Metrics == nil {
		return http.NotFoundHandler()
	}
	return promhttp.HandlerFor(s.opts.Metrics.Registry, promhttp.HandlerOpts{})
}

func (s *Server) ready(c echo.Context) error {
	if s.opts.Store == nil {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "no database"})
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.opts.Store.Ping(ctx); err != nil {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "database unreachable"})
	}
	ok, err := s.opts.Store.Migrated(ctx)
	if err != nil || !ok {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "migrations pending"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}
