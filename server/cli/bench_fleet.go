package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/havenvr/haven/server/bench/scenario"
)

// BenchFleet implements `haven bench fleet [--cpu N]`: the simulated
// therapist consoles and patient headsets of `haven bench live
// --fleet-process`, in a process of their own. It reads a JSON spec (the
// server's address, the therapist's cookie, the sessions and their patient
// tokens) as the first line of stdin and writes its phase events and
// result as JSON lines on stdout; `bench live` is what starts it.
func BenchFleet(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return benchFleet(ctx, args, os.Stdin, stdout, stderr)
}

func benchFleet(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("haven bench fleet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cpu := fs.Int("cpu", -1, "pin this process to this CPU (-1: no pinning)")
	if err := fs.Parse(args); err != nil {
		return helpExit(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "haven bench fleet: no positional arguments; the spec is read from stdin")
		return 2
	}
	if err := scenario.RunFleetProcess(ctx, *cpu, stdin, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "haven bench fleet: %v\n", err)
		return 1
	}
	return 0
}
