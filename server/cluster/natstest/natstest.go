// Package natstest runs an embedded NATS server with JetStream
// (github.com/nats-io/nats-server/v2) on a loopback port, for tests and for
// `haven bench cluster`: no NATS installation needed.
package natstest

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Server is a running embedded NATS server.
type Server struct {
	s   *server.Server
	dir string
}

// Start starts a JetStream-enabled server on 127.0.0.1 with its store in a
// new temporary folder (removed by Shutdown).
func Start() (*Server, error) {
	dir, err := os.MkdirTemp("", "haven-nats-")
	if err != nil {
		return nil, fmt.Errorf("natstest: %w", err)
	}
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true,
		StoreDir: dir, NoSigs: true, NoLog: true})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("natstest: %w", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		_ = os.RemoveAll(dir)
		return nil, errors.New("natstest: NATS server not ready after 10 s")
	}
	return &Server{s: s, dir: dir}, nil
}

// URL is the nats:// URL clients connect to.
func (s *Server) URL() string { return s.s.ClientURL() }

// Shutdown stops the server and removes its store.
func (s *Server) Shutdown() {
	s.s.Shutdown()
	s.s.WaitForShutdown()
	_ = os.RemoveAll(s.dir)
}
