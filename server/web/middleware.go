package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/havenvr/haven/server/apierr"
)

// contentSecurityPolicy allows only same-origin code and styles. 'wasm-unsafe-eval'
// and blob: workers are needed by three.js/troika text rendering; nothing else is loosened.
const contentSecurityPolicy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; " +
	"style-src 'self'; img-src 'self' data: blob:; font-src 'self' data:; " +
	"connect-src 'self' blob: data:; worker-src 'self' blob:; media-src 'self' blob: data:; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		// COEP lets browsers give performance.now() fine resolution (RECIPES.md).
		h.Set("Cross-Origin-Embedder-Policy", "require-corp")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		// Only features Chromium knows: an unknown one (bluetooth) is logged as an error on every page.
		// The microphone is the session's voice (our own pages only); no page may use a camera.
		h.Set("Permissions-Policy", "camera=(), microphone=(self), geolocation=(), xr-spatial-tracking=(self)")
		if s.opts.TLS {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		if strings.HasPrefix(c.Request().URL.Path, "/api/") {
			h.Set("Cache-Control", "no-store")
		}
		return next(c)
	}
}

func (s *Server) recoverer(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				s.log.Error("panic in handler", slog.Any("panic", r), slog.String("stack", string(debug.Stack())),
					slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)))
				err = apierr.Wrap(apierr.Internal, fmt.Errorf("panic: %v", r))
			}
		}()
		return next(c)
	}
}

// accessLog logs one line a request and feeds the HTTP metrics. It logs the
// route pattern, never query strings (join codes and tokens travel there).
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		status := c.Response().Status
		elapsed := time.Since(start)
		if m := s.opts.Metrics; m != nil {
			m.HTTPRequests.WithLabelValues(route, c.Request().Method, strconv.Itoa(status)).Inc()
			m.HTTPDuration.WithLabelValues(route).Observe(elapsed.Seconds())
		}
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		s.log.LogAttrs(c.Request().Context(), level, "http",
			slog.String("method", c.Request().Method), slog.String("route", route),
			slog.Int("status", status), slog.Duration("elapsed", elapsed),
			slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)))
		return nil
	}
}

// requestTimeout bounds each request's context. Long-lived work (WebRTC peers)
// must detach from the request context, which the live package does.
func (s *Server) requestTimeout(d time.Duration) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx, cancel := context.WithTimeout(c.Request().Context(), d)
			defer cancel()
			c.SetRequest(c.Request().WithContext(ctx))
			return next(c)
		}
	}
}
