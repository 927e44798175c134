// Package inproc starts a real Haven server inside a benchmark's own process,
// on a free loopback port and offering only loopback ICE candidates, so the
// benchmarks (`haven bench live`, `crash`, `groups`) measure the same server
// a deployment runs without each wiring package app by hand.
package inproc

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/havenvr/haven/server/app"
	"github.com/havenvr/haven/server/config"
)

// stopWait bounds a graceful stop: peers told, pending samples flushed,
// store closed.
const stopWait = 2 * time.Minute

// Server is a running in-process server.
type Server struct {
	App  *app.App
	Base string // http://127.0.0.1:port
	stop context.CancelFunc
	done chan error
}

// Start builds the app from cfg (its Addr defaults to a free loopback port
// and LoopbackOnly is forced), lets tune adjust it before the first request
// (limits a benchmark must lift), and serves until Close. The server outlives
// ctx's cancellation so that Close can still stop it gracefully.
func Start(ctx context.Context, cfg config.Config, log *slog.Logger, tune func(*app.App)) (*Server, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	cfg.LoopbackOnly = true
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a, err := app.New(sctx, cfg, log)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("inproc: starting server: %w", err)
	}
	if tune != nil {
		tune(a)
	}
	ln, err := a.Listen()
	if err != nil {
		cancel()
		return nil, fmt.Errorf("inproc: listening: %w", err)
	}
	s := &Server{App: a, Base: a.BaseURL(ln), stop: cancel, done: make(chan error, 1)}
	go func() { s.done <- a.Serve(sctx, ln) }()
	return s, nil
}

// Close shuts the server down gracefully and returns Serve's error.
func (s *Server) Close() error {
	s.stop()
	select {
	case err := <-s.done:
		return err
	case <-time.After(stopWait):
		return fmt.Errorf("inproc: server did not stop within %v", stopWait)
	}
}
