package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"testing"
	"time"

	"github.com/havenvr/haven/server/bench/scenario"
	"github.com/havenvr/haven/server/store/pgtest"
)

// TestBenchClusterTiny runs `haven bench cluster` with two nodes (the test
// binary re-executed as `haven serve`), 4 sessions and one kill: the dead
// owner's sessions are acknowledged again on the other node, and every
// acknowledged sample is in PostgreSQL exactly once.
func TestBenchClusterTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and kills server processes")
	}
	if _, err := pgtest.Binaries(); err != nil {
		t.Skip(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	child := func(args []string) *exec.Cmd { return serveChild(args...) }
	var out, errb bytes.Buffer
	code := benchCluster(ctx, []string{"--nodes", "2", "--sessions", "4", "--kills", "1", "--duration", "6s", "--lease-ttl", "2s", "--seed", "3", "--json"},
		&out, &errb, &scenario.ClusterOptions{Command: child})
	t.Logf("stderr:\n%s\nresult: %s", errb.String(), out.String())
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var r scenario.ClusterResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("output is not one JSON object: %v", err)
	}
	if r.Kills != 1 || r.SessionsMoved == 0 || r.SessionsResumed != r.SessionsMoved {
		t.Errorf("kills %d, sessions moved %d, resumed %d", r.Kills, r.SessionsMoved, r.SessionsResumed)
	}
	if r.SamplesAcked <= 0 || r.SamplesPersisted != r.SamplesAcked || r.SamplesLost != 0 || r.SamplesDuplicated != 0 {
		t.Errorf("acked %d persisted %d lost %d duplicated %d", r.SamplesAcked, r.SamplesPersisted, r.SamplesLost, r.SamplesDuplicated)
	}
	// A moved session is served again only once the dead node's lease
	// (2 s) has expired.
	if r.FailoverP50ms < 1000 || r.FailoverP99ms > 15000 {
		t.Errorf("failover p50 %v ms, p99 %v ms with a 2 s lease", r.FailoverP50ms, r.FailoverP99ms)
	}
}
