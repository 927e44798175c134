package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/havenvr/haven/server/gctune"
)

// benchmarks are the `haven bench` subcommands; each drives the real server
// over loopback and prints one JSON object with --json (DESIGN.md §9).
func benchmarks() map[string]Command {
	return map[string]Command{
		"ingest":         {"durable biosignal ingest vs a bare batched insert", BenchIngest},
		"groups":         {"message fan-out in one support room", BenchGroups},
		"circle":         {"voice in one support circle: active-speaker forwarding, poses at 20 Hz", BenchCircle},
		"circle-members": {"the members of `bench circle --members-process` (spec on stdin)", BenchCircleMembers},
		"live":           {"therapist/patient pairs: relay latency vs a bare echo and a bare relay, samples lost", BenchLive},
		"fleet":          {"the simulated consoles and headsets of `bench live --fleet-process` (spec on stdin)", BenchFleet},
		"crash":          {"SIGKILL the server repeatedly; compare acknowledged with stored samples", BenchCrash},
		"voice":          {"two-way voice on live pairs: server forwarding time, packets lost, data channels beside it", BenchVoice},
		"cluster":        {"nodes on PostgreSQL and NATS; SIGKILL the owner of live sessions; samples lost, failover time", BenchCluster},
	}
}

// Bench dispatches `haven bench KIND`.
func Bench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	kinds := benchmarks()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		names := make([]string, 0, len(kinds))
		for n := range kinds {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintln(stderr, "Usage: haven bench KIND [flags] [--json]\n\nKinds:")
		for _, n := range names {
			fmt.Fprintf(stderr, "  %-15s %s\n", n, kinds[n].Summary)
		}
		fmt.Fprintln(stderr, "\nRun 'haven bench KIND -h' for its flags. Progress goes to stderr, the result to stdout.")
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	k, ok := kinds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "haven bench: unknown kind %q\n", args[0])
		return 2
	}
	// The in-process servers run with `haven serve`'s collector policy (set
	// GOGC / GOMEMLIMIT to measure another).
	fmt.Fprintf(stderr, "haven bench: garbage collector %s\n", gctune.Apply(gctune.Policy{Percent: gctune.DefaultPercent, LimitBytes: gctune.AutoLimit()}, os.Getenv))
	return k.Run(ctx, args[1:], stdout, stderr)
}
