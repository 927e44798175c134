package live

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/havenvr/haven/server/rtc"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

// pair connects two in-process pion peers with a "control" channel opened by a.
func pair(t *testing.T, onB func(*webrtc.DataChannel)) (*webrtc.PeerConnection, *webrtc.DataChannel, *webrtc.PeerConnection) {
	t.Helper()
	api := rtc.NewClientAPI()
	a, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	b.OnDataChannel(onB)
	dc, err := a.CreateDataChannel(wire.Control, nil)
	if err != nil {
		t.Fatal(err)
	}
	open := make(chan struct{})
	dc.OnOpen(func() { close(open) })
	exchange := func(from, to *webrtc.PeerConnection, offer bool) {
		var sd webrtc.SessionDescription
		if offer {
			sd, err = from.CreateOffer(nil)
		} else {
			sd, err = from.CreateAnswer(nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		g := webrtc.GatheringCompletePromise(from)
		if err := from.SetLocalDescription(sd); err != nil {
			t.Fatal(err)
		}
		<-g
		if err := to.SetRemoteDescription(*from.LocalDescription()); err != nil {
			t.Fatal(err)
		}
	}
	exchange(a, b, true)
	exchange(b, a, false)
	select {
	case <-open:
	case <-time.After(10 * time.Second):
		t.Fatal("channel did not open")
	}
	return a, dc, b
}

// TestSlowPeerDropped: a peer whose send queue overflows is told
// (peer_too_slow, ahead of the queue) and disconnected; sending never blocks.
func TestSlowPeerDropped(t *testing.T) {
	t.Parallel()
	told := make(chan struct{}, 1)
	a, dc, b := pair(t, func(d *webrtc.DataChannel) {
		d.OnMessage(func(m webrtc.DataChannelMessage) {
			if bytes.Contains(m.Data, []byte(`"code":"peer_too_slow"`)) {
				select {
				case told <- struct{}{}:
				default:
				}
			}
		})
	})
	t.Cleanup(func() { _ = b.GracefulClose() })
	svc := &Service{opts: Options{QueueLen: 1}}
	svc.opts.defaults()
	r := newShell(svc, store.LiveSession{ID: "slow"})
	go r.own()
	t.Cleanup(r.stop)
	p := newPeer(r, roleTherapist, "")
	p.pc = a
	p.out[wire.Control], p.dcs[wire.Control] = rtc.NewOutbox(dc, 1), dc
	r.consoles[p.id] = p // before anything reaches the owner
	start := time.Now()
	for range 2000 {
		p.send(wire.Control, "heartbeat", 0, wire.Empty{})
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("2,000 sends took %v: sending must not block", d)
	}
	select {
	case <-told:
	case <-time.After(5 * time.Second):
		t.Fatal("the slow peer was not told")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		still, err := ask(context.Background(), r, newQuery[bool](attachedQ{p.id}))
		if err != nil {
			t.Fatal(err)
		}
		p.mu.Lock()
		closed := p.closed
		p.mu.Unlock()
		if !still && closed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slow peer still attached (%v) or open (%v)", still, !closed)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// attachedQ asks whether a console is still one of the room's.
type attachedQ struct{ id string }

func (q attachedQ) answer(r *room) bool { _, ok := r.consoles[q.id]; return ok }
