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

// BenchCrash implements `haven bench crash --sessions N --kills K [--json]`:
// the server runs as a child process on one data directory and is SIGKILLed
// K times while N patients stream biosignals; the result compares what the
// patients had acknowledged with what the store holds (issue 9).
func BenchCrash(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return benchCrash(ctx, args, stdout, stderr, nil)
}

// benchCrash lets tests supply the child process (a re-executed test binary).
func benchCrash(ctx context.Context, args []string, stdout, stderr io.Writer, opts *scenario.CrashOptions) int {
	fs := flag.NewFlagSet("haven bench crash", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o scenario.CrashOptions
	if opts != nil {
		o = *opts
	}
	o.Progress = stderr
	fs.IntVar(&o.Sessions, "sessions", 100, "simulated patients streaming biosignals")
	fs.IntVar(&o.Kills, "kills", 5, "SIGKILLs of the server child at random moments")
	fs.DurationVar(&o.MinGap, "min-gap", 1500*time.Millisecond, "shortest streaming time between a restart and the next kill")
	fs.DurationVar(&o.MaxGap, "max-gap", 4*time.Second, "longest streaming time between a restart and the next kill")
	fs.DurationVar(&o.Tail, "tail", 3*time.Second, "streaming after the last reconnect, before the graceful stop")
	fs.StringVar(&o.Sync, "sync", "NORMAL", "SQLite synchronous setting of the server: NORMAL or FULL")
	fs.StringVar(&o.Dir, "data", "", "data directory (default: a temp dir removed afterwards)")
	fs.Uint64Var(&o.Seed, "seed", uint64(time.Now().UnixNano()), "seed for kill timing and simulated signals")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := fs.Parse(args); err != nil {
		return helpExit(err)
	}
	if o.Sessions <= 0 || o.Kills < 0 || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "haven bench crash: --sessions must be > 0, --kills ≥ 0; no positional arguments")
		return 2
	}
	fmt.Fprintf(stderr, "bench crash: %d sessions, %d kills, seed %d, load average %.2f\n", o.Sessions, o.Kills, o.Seed, bench.LoadAvg())
	r, err := scenario.Crash(ctx, o)
	if err != nil {
		fmt.Fprintf(stderr, "haven bench crash: %v\n", err)
		return 1
	}
	if err := bench.WriteResult(stdout, r, *asJSON); err != nil {
		fmt.Fprintf(stderr, "haven bench crash: %v\n", err)
		return 1
	}
	if r.Lost > 0 || r.Duplicates > 0 {
		fmt.Fprintf(stderr, "haven bench crash: FAILED: %d acknowledged samples lost, %d duplicated\n", r.Lost, r.Duplicates)
		return 1
	}
	return 0
}
