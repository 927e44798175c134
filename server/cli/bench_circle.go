package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/havenvr/haven/server/bench"
	"github.com/havenvr/haven/server/bench/circlebench"
)

// BenchCircle implements `haven bench circle --members M --speakers S
// --duration D [--members-process] [--json] [--data DIR]`: M real pion
// members in one support circle of an in-process server on loopback, S of
// them speaking at once (20 ms Opus-sized packets), every member's pose at
// 20 Hz; the server's voice forwarding delay, voices per listener, packets
// lost, CPU and bytes per member. With --members-process the members run
// in a `haven bench circle-members` child, and cpu_cores is the server's.
func BenchCircle(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return benchCircle(ctx, args, stdout, stderr, circlebench.MembersCommand)
}

// benchCircle lets tests supply the members' process (a re-executed test binary).
func benchCircle(ctx context.Context, args []string, stdout, stderr io.Writer, membersCmd func() *exec.Cmd) int {
	fs := flag.NewFlagSet("haven bench circle", flag.ContinueOnError)
	fs.SetOutput(stderr)
	members := fs.Int("members", 24, "members in the circle (each a pion peer with voice)")
	speakers := fs.Int("speakers", 3, "members speaking at the same time")
	duration := fs.Duration("duration", 20*time.Second, "how long to speak")
	asJSON := fs.Bool("json", false, "print one JSON object")
	dir := fs.String("data", "", "directory for the benchmark database (default: a removed temp dir)")
	split := fs.Bool("members-process", false, "run the members in a process of their own (cpu_cores is then the server's alone)")
	if err := fs.Parse(args); err != nil {
		return helpExit(err)
	}
	if *members < 2 || *speakers < 1 || *speakers > *members || *duration <= 0 || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "haven bench circle: --members ≥ 2, 1 ≤ --speakers ≤ --members, --duration > 0; no positional arguments")
		return 2
	}
	opts := circlebench.Options{Members: *members, Speakers: *speakers, Duration: *duration, Progress: stderr, DataDir: *dir}
	if *split {
		opts.MembersCommand = membersCmd
	}
	res, err := circlebench.Run(ctx, opts)
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

// BenchCircleMembers implements `haven bench circle-members`: the members
// of `haven bench circle --members-process`, in a process of their own. It
// reads a JSON spec (the server's address, the circle's code, members,
// speakers, duration) as the first line of stdin and writes its phase
// events and result as JSON lines on stdout; `bench circle` starts it.
func BenchCircleMembers(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return benchCircleMembers(ctx, args, os.Stdin, stdout, stderr)
}

func benchCircleMembers(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintln(stderr, "haven bench circle-members: no arguments; the spec is read from stdin")
		return 2
	}
	if err := circlebench.RunMembersProcess(ctx, stdin, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "haven bench circle-members: %v\n", err)
		return 1
	}
	return 0
}
