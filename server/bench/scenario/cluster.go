package scenario

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/havenvr/haven/server/app"
	"github.com/havenvr/haven/server/bench"
	"github.com/havenvr/haven/server/bench/fleet"
	"github.com/havenvr/haven/server/bench/inproc"
	"github.com/havenvr/haven/server/bench/lb"
	"github.com/havenvr/haven/server/cluster"
	"github.com/havenvr/haven/server/cluster/natstest"
	"github.com/havenvr/haven/server/config"
	"github.com/havenvr/haven/server/rtc"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/store/pgtest"
)

// ClusterOptions configure `haven bench cluster`.
type ClusterOptions struct {
	Nodes, Sessions, Kills int
	Duration               time.Duration
	// LeaseTTL is the nodes' --lease-ttl. One NATS server has no leader
	// elections to outlast, so it can be short (docs/deploy-cluster.md).
	LeaseTTL time.Duration
	Seed     uint64
	// Command builds a `haven serve ARGS…` child (default: this executable).
	Command  func(args []string) *exec.Cmd
	Progress io.Writer
}

// ClusterResult is the one JSON object `haven bench cluster` prints.
type ClusterResult struct {
	Nodes             int     `json:"nodes"`
	Sessions          int     `json:"sessions"`
	Kills             int     `json:"kills"`
	LeaseTTLS         float64 `json:"lease_ttl_s"`
	SamplesAcked      int64   `json:"samples_acked"`
	SamplesPersisted  int64   `json:"samples_persisted"`
	SamplesLost       int64   `json:"samples_lost"`
	SamplesDuplicated int64   `json:"samples_duplicated"`
	NeverAcked        int64   `json:"samples_never_acked"`
	// Failover: from the kill to each of the dead owner's patients' next
	// acknowledged batch (served by another node).
	FailoverP50ms float64 `json:"failover_p50_ms"`
	FailoverP99ms float64 `json:"failover_p99_ms"`
	FailoverMaxms float64 `json:"failover_max_ms"`
	// SessionsResumed counts sessions that a kill moved to another node and
	// that were acknowledged there again.
	SessionsResumed int   `json:"sessions_resumed"`
	SessionsMoved   int   `json:"sessions_moved"`
	Reconnects      int64 `json:"reconnects"`
	// SessionsPerNode is the spread before the first kill.
	SessionsPerNode []int   `json:"sessions_per_node"`
	LoadAvg         float64 `json:"load_avg_1m"`
	DurationS       float64 `json:"duration_s"`
}

func (o *ClusterOptions) defaults() {
	if o.Command == nil {
		o.Command = serveCommand
	}
	if o.Nodes <= 0 {
		o.Nodes = 3
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 3 * time.Second
	}
	if o.Duration <= 0 {
		o.Duration = 60 * time.Second
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
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

// Cluster runs the failover benchmark: PostgreSQL (a throwaway cluster) and
// an embedded NATS server, N `haven serve` children on loopback behind a
// failover-aware balancer, a fleet of headsets spread over them; the owner
// of the most live sessions is SIGKILLed K times (and restarted), and what
// the headsets had acknowledged is compared with what PostgreSQL holds.
func Cluster(ctx context.Context, o ClusterOptions) (ClusterResult, error) {
	o.defaults()
	res := ClusterResult{Nodes: o.Nodes, Sessions: o.Sessions, LeaseTTLS: o.LeaseTTL.Seconds(), LoadAvg: bench.LoadAvg()}
	start := time.Now()
	pg, err := pgtest.Start(ctx)
	if err != nil {
		return res, err
	}
	defer pg.Stop()
	dsn, err := pg.CreateDatabase(ctx)
	if err != nil {
		return res, err
	}
	ns, err := natstest.Start()
	if err != nil {
		return res, err
	}
	defer ns.Shutdown()
	dir, err := os.MkdirTemp("", "haven-bench-cluster-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	creds, err := seedCluster(ctx, dir, dsn, o.Sessions)
	if err != nil {
		return res, err
	}
	fmt.Fprintf(o.Progress, "cluster: %d sessions seeded in PostgreSQL\n", len(creds))

	nodes := make([]*clusterNode, o.Nodes)
	var backends []string
	for i := range nodes {
		port, err := freePort()
		if err != nil {
			return res, err
		}
		nodes[i] = &clusterNode{id: "node" + strconv.Itoa(i+1), port: port, dir: filepath.Join(dir, "node"+strconv.Itoa(i+1))}
		backends = append(backends, nodes[i].base())
	}
	startNode := func(n *clusterNode) error {
		return n.start(ctx, o, dsn, ns.URL())
	}
	defer func() {
		for _, n := range nodes {
			n.kill()
		}
	}()
	for _, n := range nodes {
		if err := startNode(n); err != nil {
			return res, err
		}
	}
	bal := lb.Start(backends, true)
	defer bal.Close()
	watch, err := cluster.Join(ctx, cluster.Options{URLs: []string{ns.URL()}, NodeID: "bench", LeaseTTL: o.LeaseTTL})
	if err != nil {
		return res, err
	}
	defer watch.Close(context.WithoutCancel(ctx))

	api, hc := rtc.NewClientAPI(), fleet.NewHTTP()
	patients := make([]*fleet.Patient, len(creds))
	for i, c := range creds {
		patients[i] = fleet.NewPatient(fleet.PatientConfig{BaseURL: bal.URL(), SessionID: c.ID, Token: c.Token, API: api, HTTP: hc,
			Seed: o.Seed + uint64(i) + 1, Reconnect: true, KeepAcked: true})
	}
	defer func() {
		for _, p := range patients {
			p.Close()
		}
	}()
	if err := fleet.Parallel(ctx, len(patients), 16, nil, func(ctx context.Context, i int) error {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		return patients[i].Connect(cctx)
	}); err != nil {
		return res, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for _, p := range patients {
		wg.Add(1)
		go func() { defer wg.Done(); p.Run(runCtx) }()
	}
	owners := func() map[string][]int {
		out := map[string][]int{}
		for i, c := range creds {
			if h, ok, err := watch.Lookup(ctx, "live."+c.ID); err == nil && ok {
				out[h.Node] = append(out[h.Node], i)
			}
		}
		return out
	}
	spread := owners()
	for _, n := range nodes {
		res.SessionsPerNode = append(res.SessionsPerNode, len(spread[n.id]))
	}
	fmt.Fprintf(o.Progress, "cluster: %d nodes up, sessions per node %v\n", o.Nodes, res.SessionsPerNode)

	var failover bench.Recorder
	gap := o.Duration / time.Duration(o.Kills+1)
	for k := 1; k <= o.Kills; k++ {
		if err := sleep(ctx, gap); err != nil {
			return res, err
		}
		by := owners()
		var victim *clusterNode
		for _, n := range nodes {
			if victim == nil || len(by[n.id]) > len(by[victim.id]) {
				victim = n
			}
		}
		moved := by[victim.id]
		before := make([]int64, len(moved))
		for j, i := range moved {
			before[j] = patients[i].C.BatchesAcked.Load()
		}
		killed := time.Now()
		victim.kill()
		res.Kills++
		res.SessionsMoved += len(moved)
		fmt.Fprintf(o.Progress, "cluster: kill %d/%d: %s owned %d sessions\n", k, o.Kills, victim.id, len(moved))
		// Each moved patient's next acknowledged batch, served elsewhere.
		pending := map[int]int64{}
		for j, i := range moved {
			pending[i] = before[j]
		}
		deadline := killed.Add(60 * time.Second)
		for len(pending) > 0 && time.Now().Before(deadline) {
			for i, b := range pending {
				if patients[i].C.BatchesAcked.Load() > b {
					failover.Add(time.Since(killed))
					res.SessionsResumed++
					delete(pending, i)
				}
			}
			if err := sleep(ctx, 20*time.Millisecond); err != nil {
				return res, err
			}
		}
		fmt.Fprintf(o.Progress, "cluster: kill %d: %d of %d sessions acknowledged again elsewhere\n", k, len(moved)-len(pending), len(moved))
		if err := startNode(victim); err != nil {
			return res, err
		}
	}
	if err := sleep(ctx, gap); err != nil {
		return res, err
	}
	cancel()
	wg.Wait()
	drainPatients(ctx, patients, 30*time.Second)
	acked := map[string][]fleet.Batch{}
	for _, p := range patients {
		acked[p.SessionID()] = p.Acked()
		res.NeverAcked += int64(p.UnackedSamples())
		res.Reconnects += p.C.Reconnects.Load()
	}
	for _, n := range nodes {
		n.stop()
	}
	st, err := store.Open(ctx, store.Options{DSN: dsn})
	if err != nil {
		return res, err
	}
	defer st.Close()
	db, err := st.DB.DB()
	if err != nil {
		return res, err
	}
	var cr CrashResult
	if err := verifyDB(ctx, db, acked, &cr); err != nil {
		return res, err
	}
	res.SamplesAcked, res.SamplesPersisted, res.SamplesLost, res.SamplesDuplicated = cr.Acked, cr.PersistedOfAcked, cr.Lost, cr.Duplicates
	f := failover.Summary()
	res.FailoverP50ms, res.FailoverP99ms, res.FailoverMaxms = bench.Round(f.P50/1e3, 1), bench.Round(f.P99/1e3, 1), bench.Round(f.Max/1e3, 1)
	res.DurationS = bench.Round(time.Since(start).Seconds(), 1)
	return res, nil
}

// seedCluster creates the sessions through an in-process server on the
// shared PostgreSQL database, then stops it.
func seedCluster(ctx context.Context, dir, dsn string, n int) ([]sessionCreds, error) {
	srv, err := startInProcessDB(ctx, filepath.Join(dir, "seed"), dsn)
	if err != nil {
		return nil, err
	}
	_, creds, err := createSessions(ctx, srv, n, 16, nil)
	if cerr := srv.Close(); err == nil {
		err = cerr
	}
	return creds, err
}

// start launches the node and waits for /readyz.
func (n *clusterNode) start(ctx context.Context, o ClusterOptions, dsn, natsURL string) error {
	n.runs++
	if err := os.MkdirAll(n.dir, 0o700); err != nil {
		return err
	}
	cmd := o.Command([]string{"--addr", "127.0.0.1:" + strconv.Itoa(n.port), "--data", n.dir, "--db", dsn, "--nats", natsURL,
		"--node-id", n.id, "--lease-ttl", o.LeaseTTL.String(), "--loopback-only", "--log-level", "warn"})
	h := &harness{o: CrashOptions{Command: func([]string) *exec.Cmd { return cmd }}, dir: n.dir, port: n.port, runs: n.runs - 1}
	if err := h.start(ctx); err != nil {
		return err
	}
	n.cur = h.cur
	return nil
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

// startInProcessDB is startInProcess on a PostgreSQL database.
func startInProcessDB(ctx context.Context, dataDir, dsn string) (*inProcess, error) {
	cfg := config.Config{DataDir: dataDir, DSN: dsn, Synchronous: "NORMAL"}
	return inproc.Start(ctx, cfg, slog.New(slog.DiscardHandler), func(a *app.App) { a.Live.SetSignalLimit(1e6, 1e6) })
}
