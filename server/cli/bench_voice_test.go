package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"
)

type relayed struct {
	Relayed int     `json:"commands_relayed"`
	P99     float64 `json:"relay_p99_us"`
}

// TestBenchVoiceTiny runs the real voice benchmark with 2 pairs for 2 s
// (twice: without and with voice) and checks its fields and the
// consistency of its counters: 20 ms frames from 4 sides for ~2 s is about
// 4 × 50 × 2 = 400 packets, every one heard on loopback.
func TestBenchVoiceTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two servers and 8 pion peers")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	code := BenchVoice(ctx, []string{"--pairs", "2", "--duration", "2s", "--progress-every", "1s", "--json"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", code, errb.String())
	}
	t.Logf("result: %s", out.String())
	var r struct {
		Pairs        int
		PacketsSent  int64   `json:"packets_sent"`
		PacketsHeard int64   `json:"packets_heard"`
		PacketsLost  int64   `json:"packets_lost"`
		Forwarded    int     `json:"forwarded"`
		P50          float64 `json:"forward_p50_us"`
		P99          float64 `json:"forward_p99_us"`
		OneWay99     float64 `json:"one_way_p99_us"`
		CPUCores     float64 `json:"cpu_cores"`
		RSSMB        float64 `json:"rss_mb"`
		DataChannels struct {
			WithoutVoice relayed `json:"without_voice"`
			WithVoice    relayed `json:"with_voice"`
		} `json:"data_channels"`
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out.String())
	}
	if r.Pairs != 2 || r.PacketsSent < 200 || r.PacketsLost != r.PacketsSent-r.PacketsHeard {
		t.Errorf("pairs %d sent %d heard %d lost %d", r.Pairs, r.PacketsSent, r.PacketsHeard, r.PacketsLost)
	}
	// Each packet is forwarded once (to the other side of its pair).
	if int64(r.Forwarded) < r.PacketsHeard || r.P50 <= 0 || r.P99 < r.P50 || r.OneWay99 <= 0 {
		t.Errorf("forwarded %d for %d heard, p50 %v p99 %v one-way p99 %v", r.Forwarded, r.PacketsHeard, r.P50, r.P99, r.OneWay99)
	}
	if r.RSSMB <= 0 || r.DataChannels.WithoutVoice.Relayed < 1 || r.DataChannels.WithVoice.Relayed < 1 || r.DataChannels.WithVoice.P99 <= 0 {
		t.Errorf("missing figures: rss %v, relayed without/with voice %d/%d", r.RSSMB, r.DataChannels.WithoutVoice.Relayed, r.DataChannels.WithVoice.Relayed)
	}
}
