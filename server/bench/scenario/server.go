// Package scenario runs Haven's end-to-end benchmarks against the real server
// on loopback: the live-session load (in-process server, `haven bench live`)
// and the crash harness (server as a child process, `haven bench crash`).
package scenario

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/havenvr/haven/server/app"
	"github.com/havenvr/haven/server/bench/fleet"
	"github.com/havenvr/haven/server/bench/inproc"
	"github.com/havenvr/haven/server/config"
	"github.com/havenvr/haven/server/demo"
	"github.com/havenvr/haven/server/store"
)

// inProcess is a real Haven server running in this process.
type inProcess = inproc.Server

func startInProcess(ctx context.Context, dataDir, sync string, batch time.Duration, log *slog.Logger) (*inProcess, error) {
	cfg := config.Config{DataDir: dataDir, Synchronous: sync, SignalsBatch: batch}
	// Signalling is limited per credential and session; lift it anyway so a
	// fleet of reconnecting headsets measures the server, not the limit.
	return inproc.Start(ctx, cfg, log, func(a *app.App) { a.Live.SetSignalLimit(1e6, 1e6) })
}

// sessionCreds is what a simulated patient needs to connect.
type sessionCreds struct {
	ID    string `json:"id"`
	Token string `json:"token"`
}

// apiJoins is how many patients redeem their join code through POST
// /api/join. The endpoint allows a burst of 10 per address (guessing
// protection), and every simulated headset shares 127.0.0.1, so the rest
// get their bearer token written to the store exactly as the endpoint
// writes it (hash, used-at, state waiting).
const apiJoins = 8

// createSessions signs in as the demo therapist and creates n patients and
// sessions through the HTTP API, with join codes and patient tokens.
func createSessions(ctx context.Context, s *inProcess, n, workers int, done *atomic.Int64) (*fleet.Client, []sessionCreds, error) {
	creds, err := demo.Seed(ctx, s.App.Store, s.App.Auth)
	if err != nil {
		return nil, nil, err
	}
	c, err := fleet.SignIn(ctx, s.Base, creds.Therapist.Email, creds.Therapist.Password)
	if err != nil {
		return nil, nil, err
	}
	out := make([]sessionCreds, n)
	err = fleet.Parallel(ctx, n, workers, done, func(ctx context.Context, i int) error {
		id, err := c.CreateSession(ctx, fmt.Sprintf("bench-%d-%s", i, store.RandomToken(3)))
		if err != nil {
			return err
		}
		code, err := c.JoinCode(ctx, id)
		if err != nil {
			return err
		}
		out[i].ID = id
		if i < apiJoins {
			out[i].Token, err = fleet.Join(ctx, s.Base, code)
			return err
		}
		out[i].Token, err = issueToken(ctx, s.App.Store, id)
		return err
	})
	return c, out, err
}

// issueToken does what redeeming the join code does, in the store.
func issueToken(ctx context.Context, st *store.Store, sessionID string) (string, error) {
	tok := store.RandomToken(32)
	now := time.Now().UTC()
	err := st.DB.WithContext(ctx).Model(&store.LiveSession{}).Where("id = ?", sessionID).
		Updates(map[string]any{"join_used_at": now, "token_hash": store.HashToken(tok), "state": store.LiveWaiting}).Error
	if err != nil {
		return "", fmt.Errorf("scenario: issuing patient token: %w", err)
	}
	return tok, nil
}
