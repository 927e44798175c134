package scenario

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/havenvr/haven/server/app"
	"github.com/havenvr/haven/server/bench"
	"github.com/havenvr/haven/server/bench/fleet"
	"github.com/havenvr/haven/server/bench/inproc"
	"github.com/havenvr/haven/server/cluster"
	"github.com/havenvr/haven/server/cluster/natstest"
	"github.com/havenvr/haven/server/config"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/store/pgtest"
)

// clusterEnv is what `haven bench cluster` and `haven bench live --nodes`
// both stand on: a throwaway PostgreSQL cluster, an embedded NATS server,
// sessions seeded through the API, N `haven serve` children on loopback and
// a watcher that reads the leases (who owns which session).
type clusterEnv struct {
	dsn   string
	nats  string
	dir   string
	nodes []*clusterNode
	watch *cluster.Node
	// client is the therapist who created the sessions (its cookie and
	// CSRF token live in PostgreSQL, so every node accepts them).
	client *fleet.Client
	creds  []sessionCreds
	o      clusterEnvOptions
	undo   []func()
}

// clusterEnvOptions configure a clusterEnv.
type clusterEnvOptions struct {
	Nodes, Sessions int
	LeaseTTL        time.Duration
	// Command builds a `haven serve ARGS…` child.
	Command  func(args []string) *exec.Cmd
	Progress io.Writer
}

// clusterNode is one `haven serve` child of the cluster.
type clusterNode struct {
	id   string
	port int
	dir  string
	runs int
	cur  *child
}

func (n *clusterNode) base() string { return "http://127.0.0.1:" + strconv.Itoa(n.port) }

// startClusterEnv starts everything; on error what was started is stopped.
func startClusterEnv(ctx context.Context, o clusterEnvOptions) (_ *clusterEnv, err error) {
	e := &clusterEnv{o: o}
	defer func() {
		if err != nil {
			e.close()
		}
	}()
	pg, err := pgtest.Start(ctx)
	if err != nil {
		return nil, err
	}
	e.undo = append(e.undo, func() { _ = pg.Stop() })
	if e.dsn, err = pg.CreateDatabase(ctx); err != nil {
		return nil, err
	}
	ns, err := natstest.Start()
	if err != nil {
		return nil, err
	}
	e.undo = append(e.undo, ns.Shutdown)
	e.nats = ns.URL()
	if e.dir, err = os.MkdirTemp("", "haven-bench-cluster-"); err != nil {
		return nil, err
	}
	e.undo = append(e.undo, func() { _ = os.RemoveAll(e.dir) })
	if err := e.seed(ctx); err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Progress, "cluster: %d sessions seeded in PostgreSQL\n", len(e.creds))
	e.nodes = make([]*clusterNode, o.Nodes)
	for i := range e.nodes {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		id := "node" + strconv.Itoa(i+1)
		e.nodes[i] = &clusterNode{id: id, port: port, dir: filepath.Join(e.dir, id)}
	}
	e.undo = append(e.undo, func() {
		for _, n := range e.nodes {
			n.kill()
		}
	})
	for _, n := range e.nodes {
		if err := e.start(ctx, n); err != nil {
			return nil, err
		}
	}
	if e.watch, err = cluster.Join(ctx, cluster.Options{URLs: []string{e.nats}, NodeID: "bench", LeaseTTL: o.LeaseTTL}); err != nil {
		return nil, err
	}
	e.undo = append(e.undo, func() { _ = e.watch.Close(context.WithoutCancel(ctx)) })
	return e, nil
}

// close stops everything in reverse order of starting.
func (e *clusterEnv) close() {
	for i := len(e.undo) - 1; i >= 0; i-- {
		e.undo[i]()
	}
	e.undo = nil
}

// bases are the nodes' origins.
func (e *clusterEnv) bases() []string {
	out := make([]string, len(e.nodes))
	for i, n := range e.nodes {
		out[i] = n.base()
	}
	return out
}

// seed creates the sessions through an in-process server on the shared
// PostgreSQL database, then stops it.
func (e *clusterEnv) seed(ctx context.Context) error {
	cfg := config.Config{DataDir: filepath.Join(e.dir, "seed"), DSN: e.dsn, Synchronous: "NORMAL"}
	srv, err := inproc.Start(ctx, cfg, slog.New(slog.DiscardHandler), func(a *app.App) { a.Live.SetSignalLimit(1e6, 1e6) })
	if err != nil {
		return err
	}
	e.client, e.creds, err = createSessions(ctx, srv, e.o.Sessions, 16, nil)
	return errors.Join(err, srv.Close())
}

// owners maps each node's id to the indexes (into creds) of the sessions
// whose lease it holds.
func (e *clusterEnv) owners(ctx context.Context) map[string][]int {
	out := map[string][]int{}
	for i, c := range e.creds {
		if h, ok, err := e.watch.Lookup(ctx, "live."+c.ID); err == nil && ok {
			out[h.Node] = append(out[h.Node], i)
		}
	}
	return out
}

// spread counts the sessions each node owns, in node order.
func (e *clusterEnv) spread(ctx context.Context) []int {
	by := e.owners(ctx)
	out := make([]int, len(e.nodes))
	for i, n := range e.nodes {
		out[i] = len(by[n.id])
	}
	return out
}

// start launches the node and waits for /readyz.
func (e *clusterEnv) start(ctx context.Context, n *clusterNode) error {
	n.runs++
	if err := os.MkdirAll(n.dir, 0o700); err != nil {
		return err
	}
	cmd := e.o.Command([]string{"--addr", "127.0.0.1:" + strconv.Itoa(n.port), "--data", n.dir, "--db", e.dsn, "--nats", e.nats,
		"--node-id", n.id, "--lease-ttl", e.o.LeaseTTL.String(), "--loopback-only", "--log-level", "warn"})
	h := &harness{o: CrashOptions{Command: func([]string) *exec.Cmd { return cmd }}, dir: n.dir, port: n.port, runs: n.runs - 1}
	if err := h.start(ctx); err != nil {
		return err
	}
	n.cur = h.cur
	return nil
}

// proc reads the node process's CPU time and memory (zero when it is not
// running).
func (n *clusterNode) proc() bench.Proc {
	if n.cur == nil {
		return bench.Proc{}
	}
	p, _ := bench.ReadProc(n.cur.cmd.Process.Pid)
	return p
}

// logged counts the lines of the node's logs (every run's) that contain s.
func (n *clusterNode) logged(s string) int {
	files, _ := filepath.Glob(filepath.Join(n.dir, "server-*.log"))
	count := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		count += strings.Count(string(b), s)
	}
	return count
}

// kill SIGKILLs the node (a crash: nothing released, nothing flushed).
func (n *clusterNode) kill() {
	if n.cur == nil {
		return
	}
	_ = n.cur.cmd.Process.Signal(syscall.SIGKILL)
	<-n.cur.done
	n.cur = nil
}

// stop asks the node to shut down gracefully.
func (n *clusterNode) stop() {
	if n.cur == nil {
		return
	}
	_ = n.cur.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.cur.done:
	case <-time.After(20 * time.Second):
		_ = n.cur.cmd.Process.Kill()
		<-n.cur.done
	}
	n.cur = nil
}

// stopAndOpen stops every node gracefully (they flush and release their
// leases) and opens the shared PostgreSQL database for counting.
func (e *clusterEnv) stopAndOpen(ctx context.Context) (*sql.DB, func(), error) {
	for _, n := range e.nodes {
		n.stop()
	}
	st, err := store.Open(ctx, store.Options{DSN: e.dsn})
	if err != nil {
		return nil, nil, err
	}
	db, err := st.DB.DB()
	if err != nil {
		_ = st.Close()
		return nil, nil, err
	}
	return db, func() { _ = st.Close() }, nil
}
