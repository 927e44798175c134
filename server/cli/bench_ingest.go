package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/havenvr/haven/server/bench/ingestbench"
)

// BenchIngest implements `haven bench ingest --samples N [--sessions S]
// [--json] [--data DIR]`: durable sample ingest through the group-committing
// writer versus the same rows through a bare batched insert, in one run.
func BenchIngest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("haven bench ingest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	samples := fs.Int("samples", 1_000_000, "samples to ingest (at least)")
	sessions := fs.Int("sessions", 100, "concurrent simulated sessions")
	asJSON := fs.Bool("json", false, "print one JSON object")
	dir := fs.String("data", "", "directory for the benchmark databases (default: a removed temp dir)")
	sync := fs.String("sync", "NORMAL", "SQLite durability for both paths: NORMAL or FULL")
	if err := fs.Parse(args); err != nil {
		return helpExit(err)
	}
	if *samples <= 0 || *sessions <= 0 || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "haven bench ingest: --samples and --sessions must be > 0; no positional arguments")
		return 2
	}
	r, err := ingestbench.Run(ctx, ingestbench.Options{Samples: *samples, Sessions: *sessions, Dir: *dir, Synchronous: *sync, Progress: stderr})
	if err != nil {
		fmt.Fprintf(stderr, "haven bench ingest: %v\n", err)
		return 1
	}
	if *asJSON {
		if err := json.NewEncoder(stdout).Encode(r); err != nil {
			fmt.Fprintf(stderr, "haven bench ingest: encoding JSON: %v\n", err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(stdout, "ingest: %d samples in %d batches from %d sessions\n", r.Samples, r.Batches, r.Sessions)
	fmt.Fprintf(stdout, "writer       %10.0f samples/s (%.2f s, %d transactions)\n", r.SamplesPerS, r.Seconds, r.Transactions)
	fmt.Fprintf(stdout, "bare insert  %10.0f samples/s (%.2f s)\nratio        %10.2f (target ≥ 0.67)\n", r.RawSamplesPerS, r.RawSeconds, r.Ratio)
	return 0
}
