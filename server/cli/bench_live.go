package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/havenvr/haven/server/bench"
	"github.com/havenvr/haven/server/bench/scenario"
)

// BenchLive implements `haven bench live --sessions N --duration D [--json]
// [--sample-every 30s] [--fleet-process] [--nodes N]`: N therapist/patient
// pairs against the real server in this process over loopback (DESIGN.md
// §9), the pairs in this process too or in a `haven bench fleet` child; or,
// with --nodes, against that many `haven serve` processes sharing
// PostgreSQL and NATS (docs/deploy-cluster.md). Progress goes to stderr.
func BenchLive(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return benchLive(ctx, args, stdout, stderr, nil, nil)
}

// benchLive lets tests supply the fleet child and the nodes (a re-executed
// test binary).
func benchLive(ctx context.Context, args []string, stdout, stderr io.Writer, fleetCmd, nodeCmd func([]string) *exec.Cmd) int {
	fs := flag.NewFlagSet("haven bench live", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := scenario.LiveOptions{Progress: stderr, FleetCommand: fleetCmd, NodeCommand: nodeCmd}
	fs.BoolVar(&o.FleetProcess, "fleet-process", false, "run the simulated consoles and headsets in a child process (`haven bench fleet`), each process pinned to its own CPU where two are allowed, and report the server process's own figures")
	fs.BoolVar(&o.NoPin, "no-pin", false, "with --fleet-process: do not pin the two processes to CPUs")
	fs.BoolVar(&o.NoBareRelay, "no-bare-relay", false, "leave out the bare pion relay floor")
	fs.IntVar(&o.Sessions, "sessions", 50, "concurrent therapist/patient pairs")
	fs.IntVar(&o.PoseHz, "pose-hz", 30, "head poses a second each headset sends on the pose channel, relayed to its console (0: none)")
	fs.DurationVar(&o.SignalsBatch, "signals-batch", 250*time.Millisecond, "the server's --signals-batch: how often each headset sends its biosignal batches (250ms to 1s)")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "how long the load runs after set-up")
	fs.DurationVar(&o.CommandEvery, "command-every", time.Second, "interval between one therapist's commands")
	fs.DurationVar(&o.SampleEvery, "sample-every", 0, "record RSS, heap and goroutines at this interval (soak runs; 0: off)")
	fs.DurationVar(&o.ProgressEvery, "progress-every", 5*time.Second, "interval of progress lines on stderr")
	fs.IntVar(&o.Parallel, "parallel", 32, "pairs connecting at once during set-up")
	fs.IntVar(&o.Nodes, "nodes", 1, "haven serve processes sharing one PostgreSQL database and one NATS server (started here), the pairs spread over them; 1: one server in this process on SQLite")
	fs.StringVar(&o.Sync, "sync", "NORMAL", "SQLite synchronous setting of the server: NORMAL or FULL")
	asJSON := fs.Bool("json", false, "print one JSON object")
	verbose := fs.Bool("v", false, "server warnings to stderr")
	profile := fs.String("cpuprofile", "", "write a pprof CPU profile of the load phase to this file")
	if err := fs.Parse(args); err != nil {
		return helpExit(err)
	}
	if o.Sessions <= 0 || o.Duration <= 0 || o.PoseHz < 0 || o.PoseHz > 90 || o.Nodes < 1 || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "haven bench live: --sessions and --duration must be > 0, --pose-hz 0–90, --nodes ≥ 1; no positional arguments")
		return 2
	}
	if o.Nodes > 1 && (o.FleetProcess || *profile != "") {
		fmt.Fprintln(stderr, "haven bench live: --nodes runs the servers in processes of their own; --fleet-process and --cpuprofile are for one node")
		return 2
	}
	if *verbose {
		o.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			fmt.Fprintf(stderr, "haven bench live: %v\n", err)
			return 1
		}
		defer f.Close()
		o.CPUProfile = f
	}
	fmt.Fprintf(stderr, "bench live: %d sessions (%d peers) for %s, %d node(s), fleet process %t, load average %.2f\n", o.Sessions, 2*o.Sessions, o.Duration, o.Nodes, o.FleetProcess, bench.LoadAvg())
	r, err := scenario.Live(ctx, o)
	if err != nil {
		fmt.Fprintf(stderr, "haven bench live: %v\n", err)
		return 1
	}
	if err := bench.WriteResult(stdout, r, *asJSON); err != nil {
		fmt.Fprintf(stderr, "haven bench live: %v\n", err)
		return 1
	}
	if len(r.Errors) > 0 {
		fmt.Fprintf(stderr, "haven bench live: %s\n", strings.Join(r.Errors, "; "))
		return 1
	}
	return 0
}
