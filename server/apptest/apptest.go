// Package apptest starts a real Haven server on a free loopback port with a
// fresh SQLite file (or, with HAVEN_TEST_DB=postgres, a fresh PostgreSQL
// database in a throwaway cluster), and gives tests signed-in HTTP clients
// for each role.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/havenvr/haven/server/app"
	"github.com/havenvr/haven/server/config"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/store/pgtest"
)

// Server is a running test server.
type Server struct {
	App  *app.App
	URL  string
	stop context.CancelFunc
	done chan error
}

// Start runs a server until the test ends. modify may adjust the config.
func Start(t testing.TB, modify func(*config.Config)) *Server {
	t.Helper()
	return StartWith(t, modify, nil)
}

// StartWith is Start with prepare run on the app before it serves its first
// request (to install test clocks and other seams without a race).
func StartWith(t testing.TB, modify func(*config.Config), prepare func(*app.App)) *Server {
	t.Helper()
	cfg := config.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Synchronous: "NORMAL", LoopbackOnly: true}
	if modify != nil {
		modify(&cfg)
	}
	if cfg.DSN == "" && pgtest.Enabled() {
		cfg.DSN = postgresFor(t, cfg.DataDir)
	}
	log := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(&testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		cancel()
		t.Fatalf("apptest: starting app: %v", err)
	}
	if prepare != nil {
		prepare(a)
	}
	ln, err := a.Listen()
	if err != nil {
		cancel()
		t.Fatalf("apptest: %v", err)
	}
	s := &Server{App: a, URL: a.BaseURL(ln), stop: cancel, done: make(chan error, 1)}
	go func() { s.done <- a.Serve(ctx, ln) }()
	t.Cleanup(s.Close)
	return s
}

// postgresFor gives a data folder its own PostgreSQL database, remembered in
// the folder so a test that restarts a server on the same folder finds its
// data again, as it would in the SQLite file.
func postgresFor(t testing.TB, dataDir string) string {
	t.Helper()
	marker := filepath.Join(dataDir, "pgtest-database")
	if b, err := os.ReadFile(marker); err == nil {
		return string(b)
	}
	url := pgtest.NewDatabase(t)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(marker, []byte(url), 0o600); err != nil {
		t.Fatal(err)
	}
	return url
}

// Close shuts the server down and waits for it.
func (s *Server) Close() {
	if s.stop == nil {
		return
	}
	s.stop()
	s.stop = nil
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
	}
}

type testWriter struct{ t testing.TB }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimSpace(p)))
	return len(p), nil
}

// Client is an HTTP client with a cookie jar and the CSRF token of its sign-in.
type Client struct {
	t    testing.TB
	base string
	HTTP *http.Client
	CSRF string
	User map[string]any
}

// Anonymous returns a client that is not signed in.
func (s *Server) Anonymous(t testing.TB) *Client { return NewClient(t, s.URL) }

// NewClient returns a cookie-keeping client, not signed in, for a Haven
// server at base (one started another way, e.g. as a child process).
func NewClient(t testing.TB, base string) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{t: t, base: base, HTTP: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// NewClinic creates a clinic directly in the store.
func (s *Server) NewClinic(t testing.TB, name string) store.Clinic {
	t.Helper()
	c := store.Clinic{ID: store.NewID(), Name: name, DefaultLocale: "en", CreatedAt: time.Now().UTC()}
	if err := s.App.Store.DB.Create(&c).Error; err != nil {
		t.Fatal(err)
	}
	return c
}

// SignIn creates an account of role in clinic and returns a signed-in client.
func (s *Server) SignIn(t testing.TB, clinicID string, role store.Role) *Client {
	t.Helper()
	email := store.RandomToken(6) + "@" + clinicID + ".test"
	password := "password-" + store.RandomToken(8)
	if _, err := s.App.Auth.SetPassword(context.Background(), clinicID, email, string(role), role, password); err != nil {
		t.Fatal(err)
	}
	c := s.Anonymous(t)
	var me struct {
		CSRFToken string         `json:"csrf_token"`
		User      map[string]any `json:"user"`
	}
	if st := c.Do(http.MethodPost, "/api/auth/login", map[string]string{"email": email, "password": password}, &me); st != http.StatusOK {
		t.Fatalf("apptest: sign-in as %s: status %d", role, st)
	}
	c.CSRF, c.User = me.CSRFToken, me.User
	return c
}

// Do sends a JSON request (body may be nil, a []byte sent raw, or a value to
// encode), decodes a JSON answer into out when non-nil, and returns the status.
func (c *Client) Do(method, path string, body any, out any) int {
	c.t.Helper()
	st, data := c.Raw(method, path, body)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			c.t.Fatalf("apptest: %s %s: decoding %q: %v", method, path, data, err)
		}
	}
	return st
}

// Raw is Do returning the body bytes.
func (c *Client) Raw(method, path string, body any) (int, []byte) {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.CSRF != "" {
		req.Header.Set("X-CSRF-Token", c.CSRF)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.t.Fatalf("apptest: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}
