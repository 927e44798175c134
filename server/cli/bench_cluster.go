package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/havenvr/haven/server/bench"
	"github.com/havenvr/haven/server/bench/scenario"
)

// BenchCluster implements `haven bench cluster --nodes 3 --sessions N
// --kills K --duration D [--json]`: PostgreSQL and NATS on this machine,
// N `haven serve` nodes on loopback, the owner of the most live sessions
// SIGKILLed K times; reports acknowledged, stored, lost and duplicated
// samples and the failover time (docs/deploy-cluster.md).
func BenchCluster(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return benchCluster(ctx, args, stdout, stderr, nil)
}

// benchCluster lets tests supply the node processes (a re-executed test binary).
func benchCluster(ctx context.Context, args []string, stdout, stderr io.Writer, opts *scenario.ClusterOptions) int {
	fs := flag.NewFlagSet("haven bench cluster", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o scenario.ClusterOptions
	if opts != nil {
		o = *opts
	}
	o.Progress = stderr
	fs.IntVar(&o.Nodes, "nodes", 3, "haven serve processes sharing one PostgreSQL database and one NATS server")
	fs.IntVar(&o.Sessions, "sessions", 100, "simulated patients streaming biosignals, spread over the nodes")
	fs.IntVar(&o.Kills, "kills", 3, "SIGKILLs of the node that owns the most live sessions")
	fs.DurationVar(&o.Duration, "duration", 60*time.Second, "streaming time, kills spread evenly over it")
	fs.DurationVar(&o.LeaseTTL, "lease-ttl", 3*time.Second, "the nodes' --lease-ttl (one NATS server: no elections to outlast)")
	fs.Uint64Var(&o.Seed, "seed", uint64(time.Now().UnixNano()), "seed for the simulated signals")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := fs.Parse(args); err != nil {
		return helpExit(err)
	}
	if o.Nodes < 2 || o.Sessions <= 0 || o.Kills < 0 || o.Duration <= 0 || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "haven bench cluster: --nodes ≥ 2, --sessions > 0, --kills ≥ 0, --duration > 0; no positional arguments")
		return 2
	}
	fmt.Fprintf(stderr, "bench cluster: %d nodes, %d sessions, %d kills over %s, load average %.2f\n", o.Nodes, o.Sessions, o.Kills, o.Duration, bench.LoadAvg())
	r, err := scenario.Cluster(ctx, o)
	if err != nil {
		fmt.Fprintf(stderr, "haven bench cluster: %v\n", err)
		return 1
	}
	if err := bench.WriteResult(stdout, r, *asJSON); err != nil {
		fmt.Fprintf(stderr, "haven bench cluster: %v\n", err)
		return 1
	}
	if r.SamplesLost > 0 || r.SamplesDuplicated > 0 {
		fmt.Fprintf(stderr, "haven bench cluster: FAILED: %d acknowledged samples lost, %d duplicated\n", r.SamplesLost, r.SamplesDuplicated)
		return 1
	}
	return 0
}
