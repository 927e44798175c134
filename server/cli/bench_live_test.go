package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"
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
		"samples_sent", "samples_acked", "samples_persisted", "samples_lost", "acked_not_persisted", "unacked_at_end", "rss_mb", "heap_per_session_kb", "goroutines", "cpu_s", "series"} {
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
