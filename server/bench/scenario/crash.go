package scenario

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/mattn/go-sqlite3" // database/sql driver for the read-only check

	"github.com/havenvr/haven/server/bench"
	"github.com/havenvr/haven/server/bench/fleet"
)

// CrashOptions configure `haven bench crash`.
type CrashOptions struct {
	Sessions int
	Kills    int
	// Command builds the child `haven serve ARGS…` process (default: this
	// executable with "serve" prepended; tests substitute a helper process).
	Command func(args []string) *exec.Cmd
	// MinGap/MaxGap bound the random time between a restart's readiness and
	// the next kill (default 1.5 s and 4 s).
	MinGap, MaxGap time.Duration
	Tail           time.Duration // streaming after the last reconnect (default 3 s)
	Sync           string        // SQLite synchronous of the child (default NORMAL)
	Dir            string        // data directory (default: a removed temp dir)
	Seed           uint64
	Progress       io.Writer
}

// CrashResult is the one JSON object `haven bench crash` prints. Sample
// counts are samples (a batch holds 1–8 of them); *_batches count batches.
type CrashResult struct {
	Sessions         int            `json:"sessions"`
	Kills            int            `json:"kills"`
	Acked            int64          `json:"acked"`
	PersistedOfAcked int64          `json:"persisted_of_acked"`
	Lost             int64          `json:"lost"`
	Duplicates       int64          `json:"duplicates"`
	AckedBatches     int            `json:"acked_batches"`
	LostBatches      int            `json:"lost_batches"`
	Persisted        int64          `json:"persisted"`
	NeverAcked       int64          `json:"never_acked"`
	Resent           int64          `json:"resent_batches"`
	Reconnects       int64          `json:"reconnects"`
	ReconnectP50ms   float64        `json:"reconnect_p50_ms"`
	ReconnectP99ms   float64        `json:"reconnect_p99_ms"`
	OutageP99ms      float64        `json:"outage_p99_ms"`
	RestartP99ms     float64        `json:"restart_p99_ms"`
	ServerErrors     int64          `json:"server_errors"`
	ServerErrorCodes map[string]int `json:"server_error_codes,omitempty"`
	DurationS        float64        `json:"duration_s"`
}

func (o *CrashOptions) defaults() {
	if o.Command == nil {
		o.Command = serveCommand
	}
	if o.MinGap <= 0 {
		o.MinGap = 1500 * time.Millisecond
	}
	if o.MaxGap < o.MinGap {
		o.MaxGap = max(o.MinGap, 4*time.Second)
	}
	if o.Tail <= 0 {
		o.Tail = 3 * time.Second
	}
	if o.Sync == "" {
		o.Sync = "NORMAL"
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
}

// serveCommand is `haven serve ARGS…` from this very executable.
func serveCommand(args []string) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	return exec.Command(exe, append([]string{"serve"}, args...)...)
}

// child is one run of the server process.
type child struct {
	cmd  *exec.Cmd
	done chan error
}

// Crash runs the crash harness: seed sessions once through the API, run the
// server as a child process, stream biosignals from N patients, SIGKILL the
// child K times at random moments and restart it on the same data directory,
// let patients reconnect and resend, stop gracefully, then compare what the
// patients had acknowledged with what the SQLite file holds.
func Crash(ctx context.Context, o CrashOptions) (CrashResult, error) {
	o.defaults()
	res := CrashResult{Sessions: o.Sessions}
	start := time.Now()
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "haven-bench-crash-")
		if err != nil {
			return res, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	creds, err := seedCrash(ctx, dir, o)
	if err != nil {
		return res, err
	}
	h := &harness{o: o, dir: dir, rng: rand.New(rand.NewPCG(o.Seed, o.Seed+1))}
	if h.port, err = freePort(); err != nil {
		return res, err
	}
	if err := h.start(ctx); err != nil {
		return res, err
	}
	defer h.kill()
	patients, err := h.connect(ctx, creds)
	defer func() {
		for _, p := range patients {
			if p != nil {
				p.Close()
			}
		}
	}()
	if err != nil {
		return res, err
	}
	if err := h.chaos(ctx, patients, &res); err != nil {
		return res, err
	}
	if err := h.stop(); err != nil {
		return res, err
	}
	acked := map[string][]fleet.Batch{}
	for _, p := range patients {
		acked[p.SessionID()] = p.Acked()
	}
	if err := verify(ctx, filepath.Join(dir, "haven.db"), acked, &res); err != nil {
		return res, err
	}
	res.DurationS = bench.Round(time.Since(start).Seconds(), 1)
	return res, nil
}

// seedCrash creates the sessions once with an in-process server on the data
// directory, then stops it gracefully: demo clinic, patients, sessions and
// tokens all live in the SQLite file the child will open.
func seedCrash(ctx context.Context, dir string, o CrashOptions) ([]sessionCreds, error) {
	srv, err := startInProcess(ctx, dir, o.Sync, 0, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	_, creds, err := createSessions(ctx, srv, o.Sessions, 16, nil)
	if cerr := srv.Close(); err == nil {
		err = cerr
	}
	return creds, err
}

type harness struct {
	o        CrashOptions
	dir      string
	port     int
	rng      *rand.Rand
	mu       sync.Mutex
	cur      *child
	runs     int
	lastKill atomic.Int64
	restart  bench.Recorder
	// reconnects: silence detected → hello; outages: kill → hello.
	reconnects, outages bench.Recorder
}

func (h *harness) base() string { return "http://127.0.0.1:" + strconv.Itoa(h.port) }

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// start launches the child and waits until /readyz answers 200.
func (h *harness) start(ctx context.Context) error {
	h.runs++
	cmd := h.o.Command([]string{"--addr", "127.0.0.1:" + strconv.Itoa(h.port), "--data", h.dir, "--loopback-only",
		"--sync", h.o.Sync, "--log-level", "warn"})
	logf, err := os.Create(filepath.Join(h.dir, fmt.Sprintf("server-%d.log", h.runs)))
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("scenario: starting server child: %w", err)
	}
	c := &child{cmd: cmd, done: make(chan error, 1)}
	go func() { c.done <- cmd.Wait(); logf.Close() }()
	h.mu.Lock()
	h.cur = c
	h.mu.Unlock()
	hc := &http.Client{Timeout: time.Second}
	for time.Since(t0) < 60*time.Second {
		select {
		case err := <-c.done:
			return fmt.Errorf("scenario: server child exited during start-up (%v); see %s", err, logf.Name())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if resp, err := hc.Get(h.base() + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				h.restart.Add(time.Since(t0))
				return nil
			}
		}
	}
	return fmt.Errorf("scenario: server child not ready after 60 s; see %s", logf.Name())
}

// kill sends SIGKILL (no shutdown hooks run: a crash) and reaps the child.
func (h *harness) kill() {
	h.mu.Lock()
	c := h.cur
	h.cur = nil
	h.mu.Unlock()
	if c == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
}

// stop asks the child to shut down gracefully (SIGTERM) and waits.
func (h *harness) stop() error {
	h.mu.Lock()
	c := h.cur
	h.cur = nil
	h.mu.Unlock()
	if c == nil {
		return nil
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.done:
		if err != nil {
			return fmt.Errorf("scenario: server child stopped with %w", err)
		}
		return nil
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
		return fmt.Errorf("scenario: server child ignored SIGTERM for 30 s")
	}
}
