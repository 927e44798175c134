package scenario

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"time"

	"github.com/havenvr/haven/server/bench"
	"github.com/havenvr/haven/server/bench/fleet"
	"github.com/havenvr/haven/server/bench/lb"
	"github.com/havenvr/haven/server/rtc"
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

// Cluster runs the failover benchmark: PostgreSQL (a throwaway cluster) and
// an embedded NATS server, N `haven serve` children on loopback behind a
// failover-aware balancer, a fleet of headsets spread over them; the owner
// of the most live sessions is SIGKILLed K times (and restarted), and what
// the headsets had acknowledged is compared with what PostgreSQL holds.
func Cluster(ctx context.Context, o ClusterOptions) (ClusterResult, error) {
	o.defaults()
	res := ClusterResult{Nodes: o.Nodes, Sessions: o.Sessions, LeaseTTLS: o.LeaseTTL.Seconds(), LoadAvg: bench.LoadAvg()}
	start := time.Now()
	env, err := startClusterEnv(ctx, clusterEnvOptions{Nodes: o.Nodes, Sessions: o.Sessions, LeaseTTL: o.LeaseTTL,
		Command: o.Command, Progress: o.Progress})
	if err != nil {
		return res, err
	}
	defer env.close()
	nodes, creds := env.nodes, env.creds
	bal := lb.Start(env.bases(), true)
	defer bal.Close()

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
	res.SessionsPerNode = env.spread(ctx)
	fmt.Fprintf(o.Progress, "cluster: %d nodes up, sessions per node %v\n", o.Nodes, res.SessionsPerNode)

	var failover bench.Recorder
	gap := o.Duration / time.Duration(o.Kills+1)
	for k := 1; k <= o.Kills; k++ {
		if err := sleep(ctx, gap); err != nil {
			return res, err
		}
		by := env.owners(ctx)
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
		if err := env.start(ctx, victim); err != nil {
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
	db, closeDB, err := env.stopAndOpen(ctx)
	if err != nil {
		return res, err
	}
	defer closeDB()
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
