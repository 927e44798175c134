package cluster

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/havenvr/haven/server/apptest/wait"
	"github.com/havenvr/haven/server/cluster/natstest"
)

func startNATS(t *testing.T) string {
	t.Helper()
	s, err := natstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	return s.URL()
}

func join(t *testing.T, url, name string, ttl time.Duration) *Node {
	t.Helper()
	n, err := Join(context.Background(), Options{URLs: []string{url}, NodeID: name, LeaseTTL: ttl,
		URL: func() string { return "http://" + name + ".test" }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close(context.Background()) })
	return n
}

// Nodes racing for one room agree on a single owner, and everyone else
// learns where it is.
func TestClaimRaceHasOneOwner(t *testing.T) {
	url := startNATS(t)
	nodes := []*Node{join(t, url, "a", 5*time.Second), join(t, url, "b", 5*time.Second), join(t, url, "c", 5*time.Second)}
	for round := range 10 {
		key := "live.race" + string(rune('a'+round))
		got := make([]Holder, len(nodes))
		var wg sync.WaitGroup
		for i, n := range nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h, err := n.Claim(context.Background(), key, nil)
				if err != nil {
					t.Error(err)
				}
				got[i] = h
			}()
		}
		wg.Wait()
		owners := 0
		for i, n := range nodes {
			if n.Mine(got[i]) {
				owners++
			}
			if got[i].Token != got[0].Token {
				t.Fatalf("round %d: node %d sees holder %s, node 0 sees %s", round, i, got[i].Node, got[0].Node)
			}
		}
		if owners != 1 {
			t.Fatalf("round %d: %d nodes think they own %s", round, owners, key)
		}
		for _, n := range nodes {
			h, ok, err := n.Lookup(context.Background(), key)
			if err != nil || !ok || h.URL != "http://"+got[0].Node+".test" {
				t.Fatalf("round %d: lookup from %s = %+v %v %v", round, n.ID(), h, ok, err)
			}
		}
	}
}

// The owner renews: another node cannot take the room for several TTLs.
// When the owner is cut off from NATS (as when it dies), it stops serving
// (lost runs) before the lease expires, and only then does another node get it.
func TestLeaseRenewedThenLostBeforeTakeover(t *testing.T) {
	url := startNATS(t)
	const ttl = 2 * time.Second
	a, b := join(t, url, "a", ttl), join(t, url, "b", ttl)
	var lostAt atomic.Int64
	if h, err := a.Claim(context.Background(), "live.s1", func() { lostAt.Store(time.Now().UnixNano()) }); err != nil || !a.Mine(h) {
		t.Fatalf("a's claim: %+v %v", h, err)
	}
	until := time.Now().Add(3 * ttl)
	for time.Now().Before(until) {
		h, err := b.Claim(context.Background(), "live.s1", nil)
		if err != nil || b.Mine(h) {
			t.Fatalf("b took a renewed lease: %+v %v", h, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	cut := time.Now()
	a.nc.Close() // a can no longer renew, as if it died
	var tookAt time.Time
	wait.Until(t, 3*ttl, "b takes the room", func() bool {
		h, err := b.Claim(context.Background(), "live.s1", nil)
		if err == nil && b.Mine(h) {
			tookAt = time.Now()
			return true
		}
		return false
	})
	if lostAt.Load() == 0 || time.Unix(0, lostAt.Load()).After(tookAt) {
		t.Fatalf("a still served the room when b took it (lost at %v, taken at %v)", lostAt.Load(), tookAt)
	}
	if d := tookAt.Sub(cut); d > ttl+ttl/2 {
		t.Fatalf("takeover %s after the cut, want within TTL %s + a renewal", d, ttl)
	}
	t.Logf("a stopped %s and b took over %s after the cut (TTL %s)", time.Unix(0, lostAt.Load()).Sub(cut), tookAt.Sub(cut), ttl)
}

// A released room (session ended, node shutting down) is free at once.
func TestReleaseHandsOverAtOnce(t *testing.T) {
	url := startNATS(t)
	a, b := join(t, url, "a", 15*time.Second), join(t, url, "b", 15*time.Second)
	if h, _ := a.Claim(context.Background(), "live.s2", nil); !a.Mine(h) {
		t.Fatal("a did not get a free room")
	}
	a.Release(context.Background(), "live.s2")
	if h, err := b.Claim(context.Background(), "live.s2", nil); err != nil || !b.Mine(h) {
		t.Fatalf("b after a's release: %+v %v", h, err)
	}
	if err := b.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if h, err := a.Claim(context.Background(), "live.s2", nil); err != nil || !a.Mine(h) {
		t.Fatalf("a after b shut down: %+v %v", h, err)
	}
}

// A token bucket shared by two nodes: a guesser alternating between them
// gets the burst once, not once per node.
func TestSharedBucketHoldsAcrossNodes(t *testing.T) {
	url := startNATS(t)
	a, b := join(t, url, "a", 5*time.Second), join(t, url, "b", 5*time.Second)
	now := time.Now()
	const burst = 10
	allowed := 0
	for i := range 3 * burst {
		n := a
		if i%2 == 1 {
			n = b
		}
		ok, wait, err := n.Take(context.Background(), "join", "203.0.113.9", 20, burst, now)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			allowed++
		} else if wait <= 0 || wait > 3*time.Second {
			t.Fatalf("refused with wait %s; at 20/min the next token is at most 3 s away", wait)
		}
	}
	if allowed != burst {
		t.Fatalf("%d attempts allowed over two nodes, want the burst %d", allowed, burst)
	}
	// 20 a minute: one token every 3 s.
	if ok, _, _ := a.Take(context.Background(), "join", "203.0.113.9", 20, burst, now.Add(3*time.Second)); !ok {
		t.Fatal("no token after 3 s at 20/min")
	}
	if ok, _, _ := b.Take(context.Background(), "join", "198.51.100.1", 20, burst, now); !ok {
		t.Fatal("another address shares the guesser's bucket")
	}
}
