package simpeer

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/havenvr/haven/server/rtc"
	"github.com/havenvr/haven/server/wire"
)

// TherapistOptions configure a simulated console.
type TherapistOptions struct {
	// URL is the console WHIP endpoint (…/console/whip, ?role=observer for a supervisor).
	URL string
	// Header carries the session cookie and X-CSRF-Token.
	Header    http.Header
	API       *webrtc.API
	HTTP      *http.Client
	OnReceive func(Received)
	Keep      int
	// Poses opens the pose channel: the headset's frames are counted
	// (PoseFrames) and passed to OnPose.
	Poses  bool
	OnPose func(frame []byte)
}

// Therapist is a simulated console peer.
type Therapist struct {
	*inbox
	opts   TherapistOptions
	cp     *rtc.ClientPeer
	mu     sync.Mutex
	seq    uint64
	sentAt map[uint64]time.Time

	poses    int64
	lastPose []byte
}

// DialTherapist connects a console peer.
func DialTherapist(ctx context.Context, opts TherapistOptions) (*Therapist, error) {
	if opts.API == nil {
		opts.API = rtc.NewClientAPI()
	}
	t := &Therapist{inbox: newInbox(opts.Keep), opts: opts, sentAt: map[uint64]time.Time{}}
	var unreliable []string
	if opts.Poses {
		unreliable = []string{wire.Pose}
	}
	cp, err := rtc.Dial(ctx, opts.API, rtc.DialOptions{URL: opts.URL, Header: opts.Header, HTTP: opts.HTTP,
		Channels: []string{wire.Control, wire.Signals}, Unreliable: unreliable, OnMessage: t.onMessage})
	if err != nil {
		return nil, err
	}
	t.cp = cp
	return t, nil
}

func (t *Therapist) onMessage(label string, msg webrtc.DataChannelMessage) {
	at := time.Now()
	if label == wire.Pose {
		t.mu.Lock()
		t.poses++
		t.lastPose = msg.Data
		t.mu.Unlock()
		if t.opts.OnPose != nil {
			t.opts.OnPose(msg.Data)
		}
		return
	}
	m, err := wire.Decode(msg.Data, label, wire.ToConsole)
	if err != nil {
		return
	}
	r := Received{Message: m, At: at}
	if t.opts.OnReceive != nil {
		t.opts.OnReceive(r)
	}
	t.inbox.add(r)
}

// Send sends a command or note and returns its seq; SentAt(seq) is when.
func (t *Therapist) Send(typ string, body any) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.seq++
	now := time.Now()
	t.sentAt[t.seq] = now
	if len(t.sentAt) > 4096 {
		for k := range t.sentAt {
			if k+2048 < t.seq {
				delete(t.sentAt, k)
			}
		}
	}
	_ = t.cp.Channels[wire.Control].Send(wire.Encode(typ, t.seq, 0, now.UnixMilli(), 0, body))
	return t.seq
}

// SendRaw puts bytes on a channel as they are (bad-input tests).
func (t *Therapist) SendRaw(channel string, data []byte) error {
	return t.cp.Channels[channel].Send(data)
}

// SendRawNext puts the bytes build makes for the next control seq on the
// wire as they are (fault tests: a refused message among real ones).
func (t *Therapist) SendRawNext(build func(seq uint64) []byte) (uint64, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.seq++
	return t.seq, t.cp.Channels[wire.Control].Send(build(t.seq))
}

// SentAt is the local send time of a command (relay-latency measurement).
func (t *Therapist) SentAt(seq uint64) (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	at, ok := t.sentAt[seq]
	return at, ok
}

// Peer is the console's connection (renegotiation, voice).
func (t *Therapist) Peer() *rtc.ClientPeer { return t.cp }

// Location is the peer's WHIP resource (DELETE it to leave).
func (t *Therapist) Location() string { return t.cp.Location }

// Close ends the console peer.
func (t *Therapist) Close() error { return t.cp.Close() }
