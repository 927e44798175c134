package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/havenvr/haven/server/bench"
	"github.com/havenvr/haven/server/bench/scenario"
	"github.com/havenvr/haven/server/store/pgtest"
)

// TestBenchLiveTiny runs the real live benchmark with 2 sessions for 2 s and
// checks the result's fields and the consistency of its counters (not timing).
func TestBenchLiveTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server and 4 pion peers")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code := BenchLive(ctx, []string{"--sessions", "2", "--duration", "2s", "--sample-every", "500ms", "--progress-every", "1s", "--json"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", code, errb.String())
	}
	t.Logf("result: %s", out.String())
	var r map[string]any
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out.String())
	}
	for _, k := range []string{"sessions", "peers", "commands", "relay_p50_us", "relay_p99_us", "echo_p50_us", "echo_p99_us",
		"bare_relay_p50_us", "bare_relay_p99_us", "relay_over_bare_p50", "samples_sent", "samples_acked", "samples_persisted", "samples_lost", "acked_not_persisted", "unacked_at_end", "rss_mb", "heap_per_session_kb", "goroutines", "cpu_s", "series"} {
		if _, ok := r[k]; !ok {
			t.Errorf("field %q missing from %s", k, out.String())
		}
	}
	num := func(k string) float64 { f, _ := r[k].(float64); return f }
	if num("sessions") != 2 || num("peers") != 4 {
		t.Errorf("sessions %v peers %v, want 2 and 4", r["sessions"], r["peers"])
	}
	if num("commands") < 2 || num("commands_relayed") < 1 || num("commands_relayed") > num("commands") {
		t.Errorf("commands %v relayed %v: want ≥ 2 sent and 1..sent relayed", r["commands"], r["commands_relayed"])
	}
	if num("echo_count") < 1 || num("relay_p99_us") <= 0 || num("echo_p99_us") <= 0 {
		t.Errorf("no latency measured: echo_count %v relay_p99 %v echo_p99 %v", r["echo_count"], r["relay_p99_us"], r["echo_p99_us"])
	}
	sent, acked, persisted := num("samples_sent"), num("samples_acked"), num("samples_persisted")
	if sent <= 0 || acked > sent || persisted < acked {
		t.Errorf("samples sent %v acked %v persisted %v: want 0 < acked ≤ sent and persisted ≥ acked", sent, acked, persisted)
	}
	if num("acked_not_persisted") != 0 {
		t.Errorf("%v acknowledged samples are missing from the store", r["acked_not_persisted"])
	}
	if num("samples_lost") != sent-acked {
		t.Errorf("samples_lost %v, want sent-acked = %v when every acked sample is persisted", num("samples_lost"), sent-acked)
	}
	if !bytes.Contains(errb.Bytes(), []byte("set-up")) && !bytes.Contains(errb.Bytes(), []byte("commands")) {
		t.Errorf("no progress on stderr:\n%s", errb.String())
	}
}

const fleetChildEnv = "HAVEN_TEST_FLEET_CHILD"

// TestFleetChild is not a test: re-executed by TestBenchLiveFleetProcess
// with fleetChildEnv set, it becomes the `haven bench fleet` child.
func TestFleetChild(t *testing.T) {
	if os.Getenv(fleetChildEnv) != "1" {
		t.Skip("helper process for TestBenchLiveFleetProcess")
	}
	os.Exit(benchFleet(context.Background(), childArgs(), os.Stdin, os.Stdout, os.Stderr))
}

// TestBenchLiveFleetProcess runs the live benchmark with its load in a
// child process and checks that the server process's own figures, the
// fleet's and the bare relay's are reported and consistent: the whole is
// the sum of the two processes, and every acknowledged sample is stored.
func TestBenchLiveFleetProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server, a fleet process and 4 pion peers")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	child := func(args []string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestFleetChild$", "--"}, args...)...)
		cmd.Env = append(os.Environ(), fleetChildEnv+"=1")
		return cmd
	}
	var out, errb bytes.Buffer
	code := benchLive(ctx, []string{"--sessions", "2", "--duration", "2s", "--progress-every", "1s", "--fleet-process", "--json"}, &out, &errb, child, nil)
	t.Logf("stderr:\n%s\nresult: %s", errb.String(), out.String())
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var r map[string]any
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("output is not one JSON object: %v", err)
	}
	num := func(k string) float64 { f, _ := r[k].(float64); return f }
	if r["fleet_process"] != true {
		t.Errorf("fleet_process = %v, want true", r["fleet_process"])
	}
	for _, k := range []string{"server_cpu_cores", "server_rss_mb", "server_heap_per_session_kb", "fleet_rss_mb",
		"bare_relay_p50_us", "bare_relay_p99_us", "relay_over_bare_p50", "relay_p50_us", "echo_p50_us"} {
		if num(k) <= 0 {
			t.Errorf("%s = %v, want > 0", k, r[k])
		}
	}
	if got, want := num("rss_mb"), num("server_rss_mb")+num("fleet_rss_mb"); got < want-0.2 || got > want+0.2 {
		t.Errorf("rss_mb %v, want server + fleet = %v", got, want)
	}
	// The server's own RSS is a share of the whole, not all of it: the
	// fleet's peers are in the other process.
	if num("server_rss_mb") >= num("rss_mb") {
		t.Errorf("server_rss_mb %v not below the whole %v", r["server_rss_mb"], r["rss_mb"])
	}
	if num("commands_relayed") < 1 || num("acked_not_persisted") != 0 || num("samples_acked") <= 0 {
		t.Errorf("relayed %v, acked %v, acked_not_persisted %v", r["commands_relayed"], r["samples_acked"], r["acked_not_persisted"])
	}
	cpus, _ := bench.AllowedCPUs()
	if p, _ := r["pinning"].(string); len(cpus) >= 2 && !strings.HasPrefix(p, "server CPU") {
		t.Errorf("pinning %q with %d CPUs allowed, want both processes pinned", p, len(cpus))
	}
}

// TestBenchLiveNodes runs `haven bench live --nodes 2` (the test binary
// re-executed as two `haven serve` nodes on a throwaway PostgreSQL and an
// embedded NATS server) with 4 sessions: session i connects to node i mod 2
// first, so each node must own exactly 2 sessions; commands are relayed,
// and every acknowledged sample is in PostgreSQL.
func TestBenchLiveNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and two server processes")
	}
	if _, err := pgtest.Binaries(); err != nil {
		t.Skip(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	node := func(args []string) *exec.Cmd { return serveChild(args...) }
	var out, errb bytes.Buffer
	code := benchLive(ctx, []string{"--nodes", "2", "--sessions", "4", "--duration", "3s", "--progress-every", "1s", "--json"}, &out, &errb, nil, node)
	t.Logf("stderr:\n%s\nresult: %s", errb.String(), out.String())
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var r scenario.LiveResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("output is not one JSON object: %v", err)
	}
	if r.Nodes != 2 || len(r.SessionsPerNode) != 2 || r.SessionsPerNode[0] != 2 || r.SessionsPerNode[1] != 2 {
		t.Errorf("nodes %d, sessions per node %v, want 2 nodes with [2 2]", r.Nodes, r.SessionsPerNode)
	}
	if len(r.SessionsPerNodeEnd) != 2 || len(r.LeasesLost) != 2 {
		t.Errorf("sessions per node at the end %v, leases lost %v: want one count per node", r.SessionsPerNodeEnd, r.LeasesLost)
	}
	if len(r.NodeCPUCores) != 2 || r.NodeCPUCores[0] <= 0 || r.NodeCPUCores[1] <= 0 || r.NodeRSSMB[0] <= 0 {
		t.Errorf("node CPU %v, node RSS %v: want both measured", r.NodeCPUCores, r.NodeRSSMB)
	}
	if r.CommandsRelayed < 1 || r.RelayP50us <= 0 || r.EchoP50us <= 0 {
		t.Errorf("relayed %d, relay p50 %v µs, echo p50 %v µs", r.CommandsRelayed, r.RelayP50us, r.EchoP50us)
	}
	if r.SamplesAcked <= 0 || r.AckedNotPersisted != 0 || r.SamplesPersisted < r.SamplesAcked {
		t.Errorf("acked %d persisted %d acked_not_persisted %d", r.SamplesAcked, r.SamplesPersisted, r.AckedNotPersisted)
	}
}
