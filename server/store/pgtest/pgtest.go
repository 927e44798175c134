// Package pgtest starts throwaway PostgreSQL clusters from the Debian
// binaries (/usr/lib/postgresql/N/bin) in a temporary folder, for tests and
// for `haven bench cluster`. A cluster listens on a Unix socket only, runs
// with fsync off, and dies with the process that started it (Pdeathsig), so
// a crashed test leaves at most a folder, which the next start removes.
//
// Tests run against PostgreSQL when HAVEN_TEST_DB=postgres: apptest and the
// store tests then ask NewDatabase for a fresh database per test, all in one
// cluster per test binary.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvVar selects the database the suites run on: "postgres" or empty (SQLite).
const EnvVar = "HAVEN_TEST_DB"

// Enabled reports whether HAVEN_TEST_DB asks for PostgreSQL.
func Enabled() bool { return os.Getenv(EnvVar) == "postgres" }

// ErrNoBinaries means PostgreSQL's server binaries are not installed.
var ErrNoBinaries = errors.New("pgtest: PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (scripts/install-deps.sh installs Debian's postgresql)")

// Cluster is one running PostgreSQL server in its own folder.
type Cluster struct {
	// Dir holds the data folder, the socket and the server log.
	Dir  string
	cmd  *exec.Cmd
	done chan error
	mu   sync.Mutex
	n    int
}

// Binaries returns the newest installed PostgreSQL bin folder.
func Binaries() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	var ok []string
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
				ok = append(ok, d)
			}
		}
	}
	if len(ok) == 0 {
		return "", ErrNoBinaries
	}
	sort.Slice(ok, func(i, j int) bool { return version(ok[i]) < version(ok[j]) })
	return ok[len(ok)-1], nil
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// base is a short, world-traversable parent folder: the socket path is
// limited to 107 bytes, and the postgres user must reach the cluster folder
// (a test's own TempDir is 0700 root and too long).
func base() string {
	if d := os.Getenv("TMPDIR"); d != "" && len(d) < 40 {
		return d
	}
	return "/tmp"
}

// Start initialises and starts a cluster. As root the server runs as the
// postgres user (PostgreSQL refuses root).
func Start(ctx context.Context) (*Cluster, error) {
	bin, err := Binaries()
	if err != nil {
		return nil, err
	}
	sweep(base())
	dir, err := os.MkdirTemp(base(), "havenpg-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "owner"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	cred, err := credential(dir)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	c := &Cluster{Dir: dir, done: make(chan error, 1)}
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", filepath.Join(dir, "data"), "-U", "postgres",
		"-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions")
	initdb.Dir = dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("pgtest: initdb: %w: %s", err, strings.TrimSpace(string(out)))
	}
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	defer logf.Close()
	// Not CommandContext: the server outlives Start's context.
	c.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", filepath.Join(dir, "data"), "-k", dir,
		"-c", "listen_addresses=", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "max_connections=300")
	c.cmd.Dir = dir
	c.cmd.Stdout, c.cmd.Stderr = logf, logf
	// SIGQUIT is PostgreSQL's immediate shutdown: the server goes when we do.
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
	if err := c.cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("pgtest: starting postgres: %w", err)
	}
	go func() { c.done <- c.cmd.Wait() }()
	if err := c.waitReady(ctx); err != nil {
		_ = c.Stop()
		return nil, err
	}
	return c, nil
}

// credential makes dir the postgres user's when running as root.
func credential(dir string) (*syscall.Credential, error) {
	if os.Getuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root needs the postgres user (Debian's postgresql package creates it): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (c *Cluster) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(cctx, c.URL("postgres"))
		cancel()
		if err == nil {
			return conn.Close(ctx)
		}
		select {
		case werr := <-c.done:
			log, _ := os.ReadFile(filepath.Join(c.Dir, "server.log"))
			return fmt.Errorf("pgtest: postgres exited (%v): %s", werr, strings.TrimSpace(string(log)))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pgtest: postgres not ready after 30 s: %w", err)
		}
	}
}

// URL is the postgres:// URL of database db on this cluster.
func (c *Cluster) URL(db string) string {
	return "postgres://postgres@/" + db + "?host=" + c.Dir + "&port=5432&sslmode=disable"
}

// CreateDatabase creates an empty database and returns its URL.
func (c *Cluster) CreateDatabase(ctx context.Context) (string, error) {
	c.mu.Lock()
	c.n++
	name := fmt.Sprintf("t%d", c.n)
	c.mu.Unlock()
	if err := c.exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	return c.URL(name), nil
}

// DropDatabase removes a database made by CreateDatabase, closing its connections.
func (c *Cluster) DropDatabase(ctx context.Context, url string) error {
	name := strings.TrimPrefix(url, "postgres://postgres@/")
	name, _, _ = strings.Cut(name, "?")
	return c.exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

func (c *Cluster) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("pgtest: %s: %w", sql, err)
	}
	return nil
}

// Stop shuts the server down (fast mode) and removes its folder.
func (c *Cluster) Stop() error {
	if c.cmd != nil && c.cmd.Process != nil {
		_ = c.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
			_ = c.cmd.Process.Kill()
			<-c.done
		}
	}
	return os.RemoveAll(c.Dir)
}

// sweep removes clusters left by processes that no longer exist (their
// servers died with them; only the folders remain).
func sweep(parent string) {
	dirs, _ := filepath.Glob(filepath.Join(parent, "havenpg-*"))
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "owner"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(string(b))
		if err != nil || pid <= 0 {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			_ = os.RemoveAll(d)
		}
	}
}

// shared is the one cluster a test binary's tests share: starting one per
// test would cost ~1 s each, a database per test costs ~20 ms.
var shared struct {
	once sync.Once
	c    *Cluster
	err  error
}

// NewDatabase returns the URL of a fresh database in the test binary's
// shared cluster, dropped when the test ends. It skips the test, saying why,
// when PostgreSQL is not installed.
func NewDatabase(t testing.TB) string {
	t.Helper()
	shared.once.Do(func() {
		shared.c, shared.err = Start(context.Background())
	})
	if errors.Is(shared.err, ErrNoBinaries) {
		t.Skip("PostgreSQL is not installed (run scripts/install-deps.sh): ", shared.err)
	}
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	url, err := shared.c.CreateDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := shared.c.DropDatabase(context.Background(), url); err != nil {
			t.Logf("pgtest: %v", err)
		}
	})
	return url
}
