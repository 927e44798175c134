package simpeer

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/havenvr/haven/server/media"
	"github.com/havenvr/haven/server/rtc"
)

// VoiceOptions say what a simulated peer's voice does.
type VoiceOptions struct {
	// Signal carries the headers (and client) the PATCH needs: the
	// patient's bearer token, or the console's cookie and CSRF token.
	Signal rtc.DialOptions
	// Mic adds a microphone (a sendrecv audio section); Listen adds that many
	// receive-only sections besides (an observer hears two voices).
	Mic    bool
	Listen int
	// Keep bounds the packets kept per incoming voice (0: 10,000).
	Keep int
	// OnPacket, when set, sees each packet heard, on pion's goroutine.
	OnPacket func(stream string, p *rtp.Packet, at time.Time)
}

// Voice is a simulated peer's microphone and what it hears, added to its
// connection by renegotiation as the browser clients do.
type Voice struct {
	cp   *rtc.ClientPeer
	opts VoiceOptions
	mic  *webrtc.TrackLocalStaticRTP
	seq  uint16
	ts   uint32

	mu    sync.Mutex
	heard map[string][]rtp.Packet // by stream id: the role whose voice it is
	count map[string]int
}

// AddVoice renegotiates cp to carry voice as opts say and returns once the
// server's answer is applied.
func AddVoice(ctx context.Context, cp *rtc.ClientPeer, opts VoiceOptions) (*Voice, error) {
	if opts.Keep <= 0 {
		opts.Keep = 10_000
	}
	v := &Voice{cp: cp, opts: opts, heard: map[string][]rtp.Packet{}, count: map[string]int{}, seq: 1, ts: 960}
	cp.PC.OnTrack(v.onTrack)
	if opts.Mic {
		t, err := webrtc.NewTrackLocalStaticRTP(media.Opus.RTPCodecCapability, "mic", "mic")
		if err != nil {
			return nil, fmt.Errorf("simpeer: microphone: %w", err)
		}
		if _, err := cp.PC.AddTransceiverFromTrack(t, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv}); err != nil {
			return nil, fmt.Errorf("simpeer: microphone: %w", err)
		}
		v.mic = t
	}
	for range opts.Listen {
		if _, err := cp.PC.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			return nil, fmt.Errorf("simpeer: listening: %w", err)
		}
	}
	if err := cp.Renegotiate(ctx, opts.Signal, false); err != nil {
		return nil, err
	}
	return v, nil
}

func (v *Voice) onTrack(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	stream := tr.StreamID()
	for {
		p, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		at := time.Now()
		if v.opts.OnPacket != nil {
			v.opts.OnPacket(stream, p, at)
		}
		v.mu.Lock()
		v.count[stream]++
		h := append(v.heard[stream], *p)
		if len(h) > v.opts.Keep {
			h = h[len(h)-v.opts.Keep:]
		}
		v.heard[stream] = h
		v.mu.Unlock()
	}
}

// Say sends one 20 ms packet with payload (an Opus frame's size is 20–120
// bytes of speech); only the caller's goroutine may call it.
func (v *Voice) Say(payload []byte) error {
	if v.mic == nil {
		return fmt.Errorf("simpeer: no microphone")
	}
	p := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: v.seq, Timestamp: v.ts}, Payload: payload}
	v.seq++
	v.ts += 960
	return v.mic.WriteRTP(p)
}

// Heard returns the packets kept of stream's voice ("patient", "therapist").
func (v *Voice) Heard(stream string) []rtp.Packet {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]rtp.Packet(nil), v.heard[stream]...)
}

// Count is how many packets of stream's voice arrived.
func (v *Voice) Count(stream string) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.count[stream]
}
