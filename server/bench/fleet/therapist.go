package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/havenvr/haven/server/rtc"
	"github.com/havenvr/haven/server/wire"
)

// TherapistConfig describes one simulated therapist console.
type TherapistConfig struct {
	BaseURL   string
	SessionID string
	// HTTP carries the signed-in therapist's cookie jar; Header its CSRF token.
	HTTP   *http.Client
	Header http.Header
	API    *webrtc.API
	Relay  *Relay
	// Every is the command interval (default 1 s).
	Every time.Duration
	// Poses opens the pose channel: the headset's frames are counted.
	Poses bool
}

// TherapistCounters are a therapist's running totals.
type TherapistCounters struct {
	Commands     atomic.Int64 // cmd.intensity sent
	Refused      atomic.Int64 // engine command.refused
	Received     atomic.Int64 // every server message
	Metrics      atomic.Int64 // live metrics messages
	ServerErrors atomic.Int64
	LinkLost     atomic.Int64 // link_lost alerts (the patient looked silent to the server)
	Resumes      atomic.Int64 // cmd.resume sent after the patient came back
	Poses        atomic.Int64 // pose frames relayed to this console
}

// Therapist is a simulated console: it moves the scene's intensity up and
// down once per interval (cmd.intensity, relayed to the patient as scene.set).
type Therapist struct {
	cfg TherapistConfig
	C   TherapistCounters
	mu  sync.Mutex
	cp  *rtc.ClientPeer
	seq uint64
}

// NewTherapist prepares a therapist; Connect dials it.
func NewTherapist(cfg TherapistConfig) *Therapist {
	if cfg.Every <= 0 {
		cfg.Every = time.Second
	}
	return &Therapist{cfg: cfg}
}

// Connect dials the console WHIP endpoint.
func (t *Therapist) Connect(ctx context.Context) error {
	cp, err := rtc.Dial(ctx, t.cfg.API, rtc.DialOptions{
		URL:        t.cfg.BaseURL + "/api/sessions/" + t.cfg.SessionID + "/console/whip",
		Header:     t.cfg.Header,
		HTTP:       t.cfg.HTTP,
		Channels:   []string{wire.Control, wire.Signals},
		Unreliable: poseChannel(map[bool]int{true: 1}[t.cfg.Poses]),
		OnMessage: func(label string, m webrtc.DataChannelMessage) {
			if label == wire.Pose {
				t.C.Poses.Add(1)
				return
			}
			t.receive(m.Data)
		},
	})
	if err != nil {
		return fmt.Errorf("fleet: therapist %s: %w", t.cfg.SessionID, err)
	}
	t.mu.Lock()
	t.cp = cp
	t.mu.Unlock()
	return nil
}

// Peer is the console's connection (nil before Connect).
func (t *Therapist) Peer() *rtc.ClientPeer {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cp
}

// Signal carries what a renegotiation (PATCH) of the console's connection needs.
func (t *Therapist) Signal() rtc.DialOptions {
	return rtc.DialOptions{Header: t.cfg.Header, HTTP: t.cfg.HTTP}
}

func (t *Therapist) receive(data []byte) {
	t.C.Received.Add(1)
	if peekType(data) == "heartbeat" {
		return
	}
	var m inbound
	if json.Unmarshal(data, &m) != nil {
		return
	}
	switch m.Type {
	case "metrics":
		t.C.Metrics.Add(1)
	case "error":
		t.C.ServerErrors.Add(1)
	case "alert":
		var b wire.Alert
		if json.Unmarshal(m.Body, &b) == nil && b.Code == "link_lost" {
			t.C.LinkLost.Add(1)
		}
	case "session.state":
		// As a therapist does: once the patient is back after a link-loss
		// pause, resume (the server never resumes on its own, DESIGN.md §3).
		var b wire.SessionState
		if json.Unmarshal(m.Body, &b) == nil && b.State == "paused" && b.Reason == "link_lost" && b.Patient {
			t.resume()
		}
	case "engine":
		var b struct {
			Kind string `json:"kind"`
		}
		if json.Unmarshal(m.Body, &b) == nil && b.Kind == "command.refused" {
			t.C.Refused.Add(1)
		}
	}
}

// Run sends one command per interval until ctx ends. The first waits a
// random share of the interval (phase) so N therapists don't fire in lockstep.
func (t *Therapist) Run(ctx context.Context, phase time.Duration) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(phase):
	}
	tick := time.NewTicker(t.cfg.Every)
	defer tick.Stop()
	for i := 0; ; i++ {
		t.command(10 + (i%9)*10)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (t *Therapist) command(intensity int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cp == nil {
		return
	}
	t.seq++
	now := time.Now()
	if t.cfg.Relay != nil {
		t.cfg.Relay.sent(t.seq, now)
	}
	if t.cp.Channels[wire.Control].Send(wire.Encode("cmd.intensity", t.seq, 0, now.UnixMilli(), 0, wire.CmdIntensity{Intensity: intensity})) == nil {
		t.C.Commands.Add(1)
	}
}

func (t *Therapist) resume() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cp == nil {
		return
	}
	t.seq++
	if t.cp.Channels[wire.Control].Send(wire.Encode("cmd.resume", t.seq, 0, time.Now().UnixMilli(), 0, wire.Empty{})) == nil {
		t.C.Resumes.Add(1)
	}
}

// Close ends the peer connection.
func (t *Therapist) Close() {
	t.mu.Lock()
	cp := t.cp
	t.cp = nil
	t.mu.Unlock()
	if cp != nil {
		_ = cp.Close()
	}
}
