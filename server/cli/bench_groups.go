package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/havenvr/haven/server/bench"
	"github.com/havenvr/haven/server/bench/groupbench"
)

// BenchGroups implements `haven bench groups --members N --rate R
// --duration D [--json] [--data DIR] [--udp-port P]`: N real pion members in one support
// room of an in-process server on loopback, R chat messages a second in
// total, fan-out latency from send to every member's receipt.
func BenchGroups(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("haven bench groups", flag.ContinueOnError)
	fs.SetOutput(stderr)
	members := fs.Int("members", 500, "members in the room (each a pion peer)")
	rate := fs.Float64("rate", 20, "chat messages per second, all members together")
	duration := fs.Duration("duration", 20*time.Second, "how long to send")
	asJSON := fs.Bool("json", false, "print one JSON object")
	dir := fs.String("data", "", "directory for the benchmark database (default: a removed temp dir)")
	profile := fs.String("cpuprofile", "", "write a pprof CPU profile of the sending phase to this file")
	udpPort := fs.Int("udp-port", 0, "carry every member on this one server UDP port (pion's UDP mux, as --udp-port in a deployment); 0: a port per peer")
	if err := fs.Parse(args); err != nil {
		return helpExit(err)
	}
	if *members < 2 || *rate <= 0 || *duration <= 0 || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "haven bench groups: --members ≥ 2, --rate > 0, --duration > 0; no positional arguments")
		return 2
	}
	opts := groupbench.Options{Members: *members, Rate: *rate, Duration: *duration, Progress: stderr, DataDir: *dir, UDPPort: *udpPort}
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			fmt.Fprintf(stderr, "haven bench groups: %v\n", err)
			return 1
		}
		defer f.Close()
		opts.CPUProfile = f
	}
	res, err := groupbench.Run(ctx, opts)
	if err != nil {
		fmt.Fprintf(stderr, "haven bench groups: %v\n", err)
		return 1
	}
	if err := bench.WriteResult(stdout, res, *asJSON); err != nil {
		fmt.Fprintf(stderr, "haven bench groups: %v\n", err)
		return 1
	}
	return 0
}
