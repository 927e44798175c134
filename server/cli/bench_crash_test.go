package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/havenvr/haven/server/bench/scenario"
)

const crashChildEnv = "HAVEN_TEST_CRASH_CHILD"

// TestCrashChildServe is not a test: re-executed (serveChild) with
// crashChildEnv set, it becomes the `haven serve` child that
// TestBenchCrashTiny kills and TestServeContract signals.
func TestCrashChildServe(t *testing.T) {
	if os.Getenv(crashChildEnv) != "1" {
		t.Skip("helper process for TestBenchCrashTiny")
	}
	os.Exit(Serve(context.Background(), childArgs(), os.Stdout, os.Stderr))
}

// childArgs are a re-executed test binary's arguments after "--".
func childArgs() []string {
	args := os.Args
	for i, a := range args {
		if a == "--" {
			return args[i+1:]
		}
	}
	return nil
}

// TestBenchCrashTiny runs the crash harness with 3 sessions and 2 kills and
// checks the result: every acknowledged sample persisted, none duplicated,
// every patient reconnected after every kill.
func TestBenchCrashTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills server processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	child := func(args []string) *exec.Cmd { return serveChild(args...) }
	var out, errb bytes.Buffer
	code := benchCrash(ctx, []string{"--sessions", "3", "--kills", "2", "--min-gap", "700ms", "--max-gap", "1200ms",
		"--tail", "1s", "--seed", "7", "--json"}, &out, &errb, &scenario.CrashOptions{Command: child})
	t.Logf("stderr:\n%s\nresult: %s", errb.String(), out.String())
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var r scenario.CrashResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("output is not one JSON object: %v", err)
	}
	var fields map[string]any
	_ = json.Unmarshal(out.Bytes(), &fields)
	for _, k := range []string{"acked", "persisted_of_acked", "lost", "duplicates", "kills", "reconnect_p99_ms"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("field %q missing", k)
		}
	}
	if r.Kills != 2 || r.Reconnects != 3*2 {
		t.Errorf("kills %d reconnects %d, want 2 and 6", r.Kills, r.Reconnects)
	}
	if r.Acked <= 0 || r.PersistedOfAcked != r.Acked || r.Lost != 0 || r.Duplicates != 0 {
		t.Errorf("acked %d persisted_of_acked %d lost %d duplicates %d", r.Acked, r.PersistedOfAcked, r.Lost, r.Duplicates)
	}
	if r.Persisted < r.Acked || r.ReconnectP99ms <= 0 {
		t.Errorf("persisted %d < acked %d, or no reconnect time (%v ms)", r.Persisted, r.Acked, r.ReconnectP99ms)
	}
}
