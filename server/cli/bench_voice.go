package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/havenvr/haven/server/bench"
	"github.com/havenvr/haven/server/bench/scenario"
)

// BenchVoice implements `haven bench voice --pairs N --duration D [--json]`:
// the live benchmark's N therapist/patient pairs against the real server in
// this process, run once with data channels only and once with two-way
// voice (a 20 ms Opus-sized packet each way every 20 ms), reporting the
// server's forwarding time, lost packets and the data channels' relay
// figures of both runs. Progress goes to stderr.
func BenchVoice(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("haven bench voice", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := scenario.VoiceOptions{Progress: stderr}
	fs.IntVar(&o.Pairs, "pairs", 50, "concurrent therapist/patient pairs talking both ways")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "how long each run's load lasts after set-up")
	fs.IntVar(&o.Parallel, "parallel", 16, "pairs connecting at once during set-up")
	fs.DurationVar(&o.ProgressEvery, "progress-every", 5*time.Second, "interval of progress lines on stderr")
	asJSON := fs.Bool("json", false, "print one JSON object")
	verbose := fs.Bool("v", false, "server warnings to stderr")
	if err := fs.Parse(args); err != nil {
		return helpExit(err)
	}
	if o.Pairs <= 0 || o.Duration <= 0 || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "haven bench voice: --pairs and --duration must be > 0; no positional arguments")
		return 2
	}
	if *verbose {
		o.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	fmt.Fprintf(stderr, "bench voice: %d pairs (%d peers) for %s, twice, load average %.2f\n", o.Pairs, 2*o.Pairs, o.Duration, bench.LoadAvg())
	r, err := scenario.Voice(ctx, o)
	if err != nil {
		fmt.Fprintf(stderr, "haven bench voice: %v\n", err)
		return 1
	}
	if err := bench.WriteResult(stdout, r, *asJSON); err != nil {
		fmt.Fprintf(stderr, "haven bench voice: %v\n", err)
		return 1
	}
	if len(r.Errors) > 0 {
		fmt.Fprintf(stderr, "haven bench voice: %s\n", strings.Join(r.Errors, "; "))
		return 1
	}
	return 0
}
