package bench

import (
	"context"
	"testing"
	"time"

	"github.com/havenvr/haven/server/rtc"
)

// TestBareRelayForwards relays numbered messages through a real server
// peer between two real client peers and checks that every one arrives on
// the other side and is timed.
func TestBareRelayForwards(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	eng, err := rtc.NewEngine(rtc.Options{LoopbackOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	relay, err := StartBareRelay(eng)
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	rec := &Recorder{}
	c, err := DialBareRelay(ctx, rtc.NewClientAPI(), relay.URL(), "p1", rec)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Run(runCtx, 200, 100) }()
	for rec.Count() < 20 && ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Millisecond):
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	s := rec.Summary()
	if s.Count < 20 || s.P50 <= 0 {
		t.Fatalf("relayed %d messages (p50 %v µs), want ≥ 20 timed", s.Count, s.P50)
	}
}
