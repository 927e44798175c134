package scenario

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/havenvr/haven/server/bench"
	"github.com/havenvr/haven/server/cluster"
)

// liveNodes is Live against a cluster (`haven bench live --nodes N`): the
// set-up of `haven bench cluster` (PostgreSQL, NATS, N `haven serve`
// processes on loopback, sessions seeded through the API), session i's
// headset and console on node i mod N, which takes its lease; no kills.
// It reports the sessions each node owned during the load, each node's CPU
// and memory, and the same loss and latency figures as one node, the loss
// counted in PostgreSQL after every node stopped gracefully.
func liveNodes(ctx context.Context, o LiveOptions) (LiveResult, error) {
	res := LiveResult{Sessions: o.Sessions, Peers: 2 * o.Sessions, PoseHz: o.PoseHz, Nodes: o.Nodes}
	if o.FleetProcess || o.Voice != nil || o.CPUProfile != nil {
		return res, errors.New("scenario: with several nodes the fleet runs in this process, apart from the servers, without voice or a profile")
	}
	if o.NodeCommand == nil {
		o.NodeCommand = serveCommand
	}
	env, err := startClusterEnv(ctx, clusterEnvOptions{Nodes: o.Nodes, Sessions: o.Sessions, LeaseTTL: cluster.DefaultLeaseTTL,
		Command: o.NodeCommand, Progress: o.Progress})
	if err != nil {
		return res, err
	}
	defer env.close()
	spec, closeRelay, err := fleetSpec(o, env.nodes[0].base(), env.client, env.creds)
	if err != nil {
		return res, err
	}
	defer closeRelay()
	spec.Nodes = env.bases()

	cpu0 := make([]float64, len(env.nodes))
	var t0, t1 time.Time
	hooks := fleetHooks{
		connected: func(context.Context) error { return nil },
		loadStart: func() {
			res.LoadAvg1Start = bench.Round(bench.LoadAvg(), 2)
			for i, n := range env.nodes {
				cpu0[i] = n.proc().CPUSeconds
			}
			// Every pair is connected and streaming: the leases say who serves it.
			res.SessionsPerNode = env.spread(ctx)
			t0 = time.Now()
		},
		loadEnd: func() {
			t1 = time.Now()
			window := t1.Sub(t0).Seconds()
			var cpu float64
			for i, n := range env.nodes {
				p := n.proc()
				c := p.CPUSeconds - cpu0[i]
				cpu += c
				res.NodeCPUCores = append(res.NodeCPUCores, bench.Round(c/window, 2))
				res.NodeRSSMB = append(res.NodeRSSMB, bench.MB(p.RSSBytes))
			}
			res.ServerCPUs, res.ServerCPUCores = bench.Round(cpu, 2), bench.Round(cpu/window, 2)
			res.SessionsPerNodeEnd = env.spread(ctx)
		},
	}
	fr, err := runFleet(ctx, spec, o.Progress, hooks)
	if err != nil {
		return res, err
	}
	fmt.Fprintf(o.Progress, "bench live: sessions per node %v at the start of the load, %v at its end\n", res.SessionsPerNode, res.SessionsPerNodeEnd)
	window := t1.Sub(t0).Seconds()
	res.SetupS, res.DurationS = fr.SetupS, fr.LoadDurationS
	res.FleetCPUCores, res.FleetRSSMB = bench.Round(fr.CPUs/window, 2), bench.MB(fr.RSSBytes)
	res.CPUs = bench.Round(res.ServerCPUs+fr.CPUs, 2)
	res.CPUCores = bench.Round(res.CPUs/window, 2)
	var rss float64
	for _, mb := range res.NodeRSSMB {
		rss += mb
	}
	res.RSSMB, res.Goroutines = bench.Round(rss+res.FleetRSSMB, 1), fr.Goroutines
	res.LoadAvg1 = bench.LoadAvg()
	fillLive(&res, fr)

	db, closeDB, err := env.stopAndOpen(ctx)
	if err != nil {
		return res, err
	}
	defer closeDB()
	for _, n := range env.nodes {
		res.LeasesLost = append(res.LeasesLost, n.logged("cluster: lease lost"))
	}
	perSession, err := persistedIn(ctx, db)
	if err != nil {
		res.Errors = append(res.Errors, err.Error())
	}
	fillLoss(&res, fr, perSession)
	return res, nil
}
