package media_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/havenvr/haven/server/apptest/wait"
	"github.com/havenvr/haven/server/media"
)

// loopAPI is a pion stack on loopback only, with Opus and nothing else.
func loopAPI(t *testing.T) *webrtc.API {
	t.Helper()
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	se.SetInterfaceFilter(func(n string) bool { return n == "lo" })
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	m := &webrtc.MediaEngine{}
	if err := media.RegisterOpus(m); err != nil {
		t.Fatal(err)
	}
	return webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(&interceptor.Registry{}))
}

func newPC(t *testing.T, api *webrtc.API) *webrtc.PeerConnection {
	t.Helper()
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.GracefulClose() })
	return pc
}

// connect runs a non-trickle offer/answer between two peers; prepare runs
// on the answerer after the offer is applied (where a server adds tracks).
func connect(t *testing.T, offerer, answerer *webrtc.PeerConnection, prepare func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	up := make(chan struct{})
	var once sync.Once
	offerer.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(up) })
		}
	})
	offer, err := offerer.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	g := webrtc.GatheringCompletePromise(offerer)
	if err := offerer.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-g
	if err := answerer.SetRemoteDescription(*offerer.LocalDescription()); err != nil {
		t.Fatal(err)
	}
	if prepare != nil {
		prepare()
	}
	answer, err := answerer.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	g = webrtc.GatheringCompletePromise(answerer)
	if err := answerer.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	<-g
	if err := offerer.SetRemoteDescription(*answerer.LocalDescription()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-up:
	case <-ctx.Done():
		t.Fatal("peers did not connect")
	}
}

// sender is a client peer publishing one Opus track to a server peer whose
// incoming track is forwarded to fan.
type sender struct {
	track *webrtc.TrackLocalStaticRTP
}

func newSender(t *testing.T, api *webrtc.API, fan *media.Fanout, opts media.Options) *sender {
	t.Helper()
	client, server := newPC(t, api), newPC(t, api)
	tr, err := webrtc.NewTrackLocalStaticRTP(media.Opus.RTPCodecCapability, "mic", "client")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.AddTransceiverFromTrack(tr, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	server.OnTrack(func(in *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		defer close(done)
		_ = media.Forward(ctx, media.Track(in), fan, opts)
	})
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
	})
	connect(t, client, server, nil)
	return &sender{track: tr}
}

// receiver is a client peer hearing one Out of the server.
type receiver struct {
	mu   sync.Mutex
	pkts []rtp.Packet
}

func newReceiver(t *testing.T, api *webrtc.API, out *media.Out) *receiver {
	t.Helper()
	client, server := newPC(t, api), newPC(t, api)
	if _, err := client.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	r := &receiver{}
	client.OnTrack(func(in *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			p, _, err := in.ReadRTP()
			if err != nil {
				return
			}
			r.mu.Lock()
			r.pkts = append(r.pkts, *p)
			r.mu.Unlock()
		}
	})
	connect(t, client, server, func() {
		if _, err := server.AddTrack(out.Track()); err != nil {
			t.Fatal(err)
		}
	})
	return r
}

func (r *receiver) got() []rtp.Packet {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]rtp.Packet(nil), r.pkts...)
}

// payload tags a packet with its sender and index, so the receiver can say
// exactly which packet it got.
func payload(tag byte, i int) []byte {
	b := make([]byte, 40) // a typical 20 ms Opus voice frame is 30–80 bytes
	b[0] = tag
	binary.BigEndian.PutUint32(b[1:], uint32(i))
	return b
}

// send writes n 20 ms packets with the sender's own sequence and timestamp
// origin, paced at the real-time rate so nothing is dropped for burstiness.
func (s *sender) send(t *testing.T, tag byte, n int, seq0 uint16, ts0 uint32) {
	t.Helper()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for i := range n {
		<-tick.C
		p := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq0 + uint16(i), Timestamp: ts0 + uint32(i)*960, Marker: i == 0},
			Payload: payload(tag, i)}
		if err := s.track.WriteRTP(p); err != nil {
			t.Fatal(err)
		}
	}
}

// TestForwardCarriesEveryPacketUnchanged: 200 packets through the server
// arrive all, in order, payload byte for byte, numbered consecutively.
func TestForwardCarriesEveryPacketUnchanged(t *testing.T) {
	api := loopAPI(t)
	out, err := media.NewOut("voice", "therapist", 0)
	if err != nil {
		t.Fatal(err)
	}
	var fan media.Fanout
	fan.Add(out)
	rx := newReceiver(t, api, out)
	var delays []time.Duration
	var mu sync.Mutex
	tx := newSender(t, api, &fan, media.Options{OnPacket: func(in, outAt time.Time, wrote int) {
		mu.Lock()
		delays = append(delays, outAt.Sub(in))
		mu.Unlock()
	}})
	const n = 200
	tx.send(t, 'a', n, 65500, 4_000_000_000) // both counters wrap during the run
	wait.Until(t, 10*time.Second, "200 packets", func() bool { return len(rx.got()) >= n })
	got := rx.got()
	for i, p := range got[:n] {
		if !bytes.Equal(p.Payload, payload('a', i)) {
			t.Fatalf("packet %d: payload %x, sent %x", i, p.Payload[:5], payload('a', i)[:5])
		}
		if i > 0 {
			if d := p.SequenceNumber - got[i-1].SequenceNumber; d != 1 {
				t.Fatalf("packet %d: sequence step %d", i, d)
			}
			if d := p.Timestamp - got[i-1].Timestamp; d != 960 {
				t.Fatalf("packet %d: timestamp step %d, want 960 (20 ms at 48 kHz)", i, d)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(delays) < n || out.Written() < n {
		t.Fatalf("forwarded %d packets (written %d), want %d", len(delays), out.Written(), n)
	}
}

// TestForwardSenderChangeKeepsStreamContinuous: a second sender (a reloaded
// page: new SSRC, its own random sequence and timestamp) continues the same
// outgoing stream, so the receiver's SRTP replay window accepts it.
func TestForwardSenderChangeKeepsStreamContinuous(t *testing.T) {
	api := loopAPI(t)
	out, err := media.NewOut("voice", "patient", 0)
	if err != nil {
		t.Fatal(err)
	}
	var fan media.Fanout
	fan.Add(out)
	rx := newReceiver(t, api, out)
	first := newSender(t, api, &fan, media.Options{})
	first.send(t, 'a', 50, 1000, 10_000)
	wait.Until(t, 10*time.Second, "first sender's packets", func() bool { return len(rx.got()) >= 50 })
	second := newSender(t, api, &fan, media.Options{})
	second.send(t, 'b', 50, 40_000, 3_000_000) // far behind the first's numbers
	wait.Until(t, 10*time.Second, "second sender's packets", func() bool { return len(rx.got()) >= 100 })
	got := rx.got()
	for i := 1; i < 100; i++ {
		if d := got[i].SequenceNumber - got[i-1].SequenceNumber; d != 1 {
			t.Fatalf("packet %d: sequence step %d across the change of sender", i, d)
		}
		if d := got[i].Timestamp - got[i-1].Timestamp; d < 960 || d > 48000*10 {
			t.Fatalf("packet %d: timestamp step %d", i, d)
		}
	}
	if got[50].Payload[0] != 'b' || !got[50].Marker {
		t.Fatalf("packet 50: tag %q marker %v, want the second sender's first packet with the marker", got[50].Payload[0], got[50].Marker)
	}
}

// TestForwardHoldKeepsOneVoicePerTrack: while one sender talks, another's
// packets on the same track are refused, never interleaved.
func TestForwardHoldKeepsOneVoicePerTrack(t *testing.T) {
	api := loopAPI(t)
	out, err := media.NewOut("voice", "therapist", 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	var fan media.Fanout
	fan.Add(out)
	rx := newReceiver(t, api, out)
	a, b := newSender(t, api, &fan, media.Options{}), newSender(t, api, &fan, media.Options{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); a.send(t, 'a', 100, 1, 1) }()
	wait.Until(t, 10*time.Second, "the first voice", func() bool { return len(rx.got()) >= 5 })
	b.send(t, 'b', 20, 500, 500)
	wg.Wait()
	wait.Until(t, 10*time.Second, "refusals", func() bool { return out.Refused() >= 20 })
	for i, p := range rx.got() {
		if p.Payload[0] != 'a' {
			t.Fatalf("packet %d came from the second sender while the first held the track", i)
		}
	}
}

// TestForwardStopsOnCancel: Forward returns ctx's error once cancelled,
// even while no packet arrives.
func TestForwardStopsOnCancel(t *testing.T) {
	api := loopAPI(t)
	client, server := newPC(t, api), newPC(t, api)
	tr, _ := webrtc.NewTrackLocalStaticRTP(media.Opus.RTPCodecCapability, "mic", "client")
	if _, err := client.AddTrack(tr); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	res := make(chan error, 1)
	server.OnTrack(func(in *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		res <- media.Forward(ctx, media.Track(in), &media.Fanout{}, media.Options{})
	})
	connect(t, client, server, nil)
	// OnTrack fires on the first packet.
	wait.Until(t, 5*time.Second, "the remote track", func() bool {
		_ = tr.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2}, Payload: []byte{1}})
		return len(server.GetReceivers()) > 0 && server.GetReceivers()[0].Track() != nil && server.GetReceivers()[0].Track().SSRC() != 0
	})
	cancel()
	select {
	case err := <-res:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Forward returned %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Forward did not return after cancel")
	}
}

// TestFanoutAddRemove: membership changes are seen by the next read.
func TestFanoutAddRemove(t *testing.T) {
	a, _ := media.NewOut("a", "s", 0)
	b, _ := media.NewOut("b", "s", 0)
	var f media.Fanout
	f.Add(a)
	f.Add(b)
	f.Add(a)
	if got := f.Outs(); len(got) != 2 || got[0] != a || got[1] != b {
		t.Fatalf("after adds: %v", got)
	}
	f.Remove(a)
	if got := f.Outs(); len(got) != 1 || got[0] != b {
		t.Fatalf("after remove: %v", got)
	}
}
