package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"testing"
	"time"
)

const circleMembersChildEnv = "HAVEN_TEST_CIRCLE_MEMBERS_CHILD"

// TestCircleMembersChild is not a test: re-executed by
// TestBenchCircleMembersProcess with circleMembersChildEnv set, it becomes
// the `haven bench circle-members` child.
func TestCircleMembersChild(t *testing.T) {
	if os.Getenv(circleMembersChildEnv) != "1" {
		t.Skip("helper process for TestBenchCircleMembersProcess")
	}
	os.Exit(benchCircleMembers(context.Background(), childArgs(), os.Stdin, os.Stdout, os.Stderr))
}

// TestBenchCircleMembersProcess runs `haven bench circle --members-process`
// with five members (two speaking) in a child process: the server's own
// CPU and the members' are reported apart, what the server forwarded
// arrives, and a listener gets the two voices — the bound of three is not
// reached.
func TestBenchCircleMembersProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server, a members process and 5 pion peers with voice")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	child := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCircleMembersChild$", "--")
		cmd.Env = append(os.Environ(), circleMembersChildEnv+"=1")
		return cmd
	}
	var out, errb bytes.Buffer
	code := benchCircle(ctx, []string{"--members", "5", "--speakers", "2", "--duration", "2s", "--members-process", "--json"}, &out, &errb, child)
	t.Logf("stderr:\n%s\nresult: %s", errb.String(), out.String())
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var r map[string]any
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("output is not one JSON object: %v", err)
	}
	num := func(k string) float64 { f, _ := r[k].(float64); return f }
	if r["members_process"] != true {
		t.Errorf("members_process = %v, want true", r["members_process"])
	}
	for _, k := range []string{"cpu_cores", "members_cpu_cores", "members_rss_mb", "forward_p50_us", "packets_sent", "bytes_per_member_per_s", "poses_per_member_per_s"} {
		if num(k) <= 0 {
			t.Errorf("%s = %v, want > 0", k, r[k])
		}
	}
	// two speakers, five members: each speaker's packets go to the four others
	if num("packets_in") < num("packets_sent")*9/10 || num("packets_forwarded") != 4*num("packets_in") {
		t.Errorf("sent %v, in %v, forwarded %v: want in ≈ sent and forwarded = 4 × in", r["packets_sent"], r["packets_in"], r["packets_forwarded"])
	}
	// loopback loses nothing on an idle machine (BENCHMARKS.md); a starved
	// receiver's socket buffer may overflow on a busy one: 1 % at most
	if f := num("packets_forwarded"); num("packets_received") < f*99/100 || num("packets_lost") > f/100 {
		t.Errorf("forwarded %v, received %v, lost %v", r["packets_forwarded"], r["packets_received"], r["packets_lost"])
	}
	if num("streams_per_listener") != 2 {
		t.Errorf("streams_per_listener = %v, want 2 (two speakers)", r["streams_per_listener"])
	}
}
