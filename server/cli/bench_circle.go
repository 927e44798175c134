package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/havenvr/haven/server/bench"
	"github.com/havenvr/haven/server/bench/circlebench"
)

// BenchCircle implements `haven bench circle --members M --speakers S
// --duration D [--json] [--data DIR]`: M real pion members in one support
// circle of an in-process server on loopback, S of them speaking at once
// (20 ms Opus-sized packets), every member's pose at 20 Hz; the server's
// voice forwarding delay, voices per listener, packets lost, CPU and bytes
// per member.
func BenchCircle(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("haven bench circle", flag.ContinueOnError)
	fs.SetOutput(stderr)
	members := fs.Int("members", 24, "members in the circle (each a pion peer with voice)")
	speakers := fs.Int("speakers", 3, "members speaking at the same time")
	duration := fs.Duration("duration", 20*time.Second, "how long to speak")
	asJSON := fs.Bool("json", false, "print one JSON object")
	dir := fs.String("data", "", "directory for the benchmark database (default: a removed temp dir)")
	if err := fs.Parse(args); err != nil {
		return helpExit(err)
	}
	if *members < 2 || *speakers < 1 || *speakers > *members || *duration <= 0 || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "haven bench circle: --members ≥ 2, 1 ≤ --speakers ≤ --members, --duration > 0; no positional arguments")
		return 2
	}
	res, err := circlebench.Run(ctx, circlebench.Options{Members: *members, Speakers: *speakers, Duration: *duration, Progress: stderr, DataDir: *dir})
	if err != nil {
		fmt.Fprintf(stderr, "haven bench circle: %v\n", err)
		return 1
	}
	if err := bench.WriteResult(stdout, res, *asJSON); err != nil {
		fmt.Fprintf(stderr, "haven bench circle: %v\n", err)
		return 1
	}
	return 0
}
