package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/havenvr/haven/server/biosignal"
	"github.com/havenvr/haven/server/rtc"
	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/wire"
)

// PatientConfig describes one simulated patient.
type PatientConfig struct {
	BaseURL   string // e.g. http://127.0.0.1:8080
	SessionID string
	Token     string // the bearer the join endpoint issued
	API       *webrtc.API
	HTTP      *http.Client
	Relay     *Relay // nil: relay latency is not measured
	Seed      uint64
	// Reconnect redials after Silence without any server message (the
	// patient client's own rule, DESIGN.md §3) and resends unacked batches.
	Reconnect bool
	Silence   time.Duration // default 2 s
	// KeepAcked keeps a record of every acknowledged batch (crash harness).
	KeepAcked bool
	// OnReconnect reports how long each reconnect took (silence detected → hello).
	OnReconnect func(time.Duration)
	// PoseHz, when positive, opens the pose channel and sends a head pose
	// (wire.SimulatedHead) that many times a second.
	PoseHz int
}

// Batch identifies one signals batch the patient sent.
type Batch struct {
	Seq    uint64
	Stream string
	T0     int64
	N      int
}

// Counters are a patient's running totals.
type Counters struct {
	BatchesSent, SamplesSent   atomic.Int64 // first sends (resends not counted)
	BatchesAcked, SamplesAcked atomic.Int64
	Resent                     atomic.Int64
	Reconnects                 atomic.Int64
	RelayMsgs                  atomic.Int64 // scene.set/load received that carried a command's src_seq
	ServerErrors               atomic.Int64 // `error` messages from the server
	PosesSent, PoseBytes       atomic.Int64 // pose frames and their bytes
}

// Patient is a simulated headset: heartbeats, biosignal batches at the
// simulator's rates (HR 1 Hz, RR per beat, EDA 32 Hz in 250 ms batches,
// respiration every 5 s), scene.ready for every scene change, SUDS ratings
// when prompted; unacknowledged batches are kept and resent after a reconnect.
type Patient struct {
	cfg PatientConfig
	C   Counters
	sim *biosignal.Simulator

	mu        sync.Mutex // guards everything below and serialises sends (seq order)
	cp        *rtc.ClientPeer
	ctrl, sig wire.Sender // seqs and, on signals, the batches awaiting their ack (Meta: Batch)
	lastCtrl  uint64
	acked     []Batch
	hello     chan map[string]uint64
	errCodes  map[string]int
	lastHeard atomic.Int64
	lastOut   time.Time     // last message on control (guarded by mu)
	cadence   time.Duration // batch interval from the hello (0: wire.MinBatch)
	lastBatch time.Time
}

// NewPatient prepares a patient; Connect dials it.
func NewPatient(cfg PatientConfig) *Patient {
	if cfg.Silence <= 0 {
		cfg.Silence = 2 * time.Second
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	return &Patient{cfg: cfg, errCodes: map[string]int{},
		sim: biosignal.NewSimulator(biosignal.SimConfig{Seed: cfg.Seed, Start: time.Now().UnixMilli()})}
}

// Connect dials the server and waits for its hello.
func (p *Patient) Connect(ctx context.Context) error {
	hello := make(chan map[string]uint64, 1)
	p.mu.Lock()
	p.hello = hello
	p.mu.Unlock()
	cp, err := rtc.Dial(ctx, p.cfg.API, rtc.DialOptions{
		URL:        p.cfg.BaseURL + "/api/sessions/" + p.cfg.SessionID + "/whip",
		Header:     http.Header{"Authorization": {"Bearer " + p.cfg.Token}},
		HTTP:       p.cfg.HTTP,
		Channels:   []string{wire.Control, wire.Signals},
		Unreliable: poseChannel(p.cfg.PoseHz),
		OnMessage: func(label string, m webrtc.DataChannelMessage) {
			p.receive(label, m.Data)
		},
	})
	if err != nil {
		return fmt.Errorf("fleet: patient %s: %w", p.cfg.SessionID, err)
	}
	p.mu.Lock()
	p.cp = cp
	p.mu.Unlock()
	select {
	case next := <-hello:
		p.mu.Lock()
		// Continue above the server's durable high-water marks.
		p.ctrl.Continue(next[wire.Control])
		p.sig.Continue(next[wire.Signals])
		p.mu.Unlock()
		p.lastHeard.Store(time.Now().UnixNano())
		return nil
	case <-ctx.Done():
		_ = cp.PC.Close()
		return fmt.Errorf("fleet: patient %s: no hello: %w", p.cfg.SessionID, ctx.Err())
	}
}

// receive handles one server message (on pion's goroutine).
func (p *Patient) receive(label string, data []byte) {
	now := time.Now()
	p.lastHeard.Store(now.UnixNano())
	if peekType(data) == "heartbeat" {
		return
	}
	var m inbound
	if json.Unmarshal(data, &m) != nil {
		return
	}
	switch m.Type {
	case "signals.ack":
		p.markAcked(m.Ack)
	case "hello":
		var h helloBody
		_ = json.Unmarshal(m.Body, &h)
		p.mu.Lock()
		p.cadence = simpeer.Cadence(h.BatchMs)
		if p.hello != nil {
			p.hello <- h.NextSeq
			p.hello = nil
		}
		p.mu.Unlock()
	case "scene.load", "scene.set":
		if m.SrcSeq != 0 && p.cfg.Relay != nil && p.cfg.Relay.received(m.SrcSeq, now) {
			p.C.RelayMsgs.Add(1)
		}
		var b wire.SceneReady
		_ = json.Unmarshal(m.Body, &b)
		p.send(wire.Control, "scene.ready", wire.SceneReady{Template: b.Template, Params: b.Params})
	case "suds.prompt":
		var b wire.SUDSPrompt
		_ = json.Unmarshal(m.Body, &b)
		p.send(wire.Control, "suds.rating", wire.SUDSRating{PromptID: b.PromptID, Value: 30})
	case "error":
		var b errorBody
		_ = json.Unmarshal(m.Body, &b)
		p.C.ServerErrors.Add(1)
		p.mu.Lock()
		p.errCodes[b.Code]++
		p.mu.Unlock()
	}
	if label == wire.Control {
		p.mu.Lock()
		p.lastCtrl = max(p.lastCtrl, m.Seq)
		p.mu.Unlock()
	}
}

// send encodes and sends a control message under the lock, so seqs reach
// the wire in order.
func (p *Patient) send(label, typ string, body any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cp == nil {
		return
	}
	now := time.Now()
	if p.cp.Channels[label].Send(wire.Encode(typ, p.ctrl.Next(), p.lastCtrl, now.UnixMilli(), 0, body)) == nil && label == wire.Control {
		p.lastOut = now
	}
}

// quiet reports whether nothing went out on control for the heartbeat's
// quiet time, the headset's rule (wire.HeartbeatQuiet).
func (p *Patient) quiet(now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return now.Sub(p.lastOut) >= wire.HeartbeatQuiet
}

func (p *Patient) markAcked(ack uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pb := range p.sig.Ack(ack) {
		b := pb.Meta.(Batch)
		p.C.BatchesAcked.Add(1)
		p.C.SamplesAcked.Add(int64(b.N))
		if p.cfg.KeepAcked {
			p.acked = append(p.acked, b)
		}
	}
}

// Run streams until ctx ends: the simulator's batches every 250 ms, a
// heartbeat only when nothing else went out on control for
// wire.HeartbeatQuiet (as the headset does); with Reconnect, a silent
// server is redialled.
func (p *Patient) Run(ctx context.Context) {
	t := time.NewTicker(wire.HeartbeatCheck) // also the batches' 250 ms
	defer t.Stop()
	var poses <-chan time.Time
	if p.cfg.PoseHz > 0 {
		pt := time.NewTicker(time.Second / time.Duration(p.cfg.PoseHz))
		defer pt.Stop()
		poses = pt.C
	}
	start := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-poses:
			p.sendPose(now.Sub(start))
		case now := <-t.C:
			if p.cfg.Reconnect && now.Sub(time.Unix(0, p.lastHeard.Load())) > p.cfg.Silence {
				p.reconnect(ctx, now)
				continue
			}
			if p.quiet(now) {
				p.send(wire.Control, "heartbeat", wire.Empty{})
			}
			p.stream(now)
		}
	}
}

// stream sends the batches the simulator completed up to now, at the
// hello's cadence (a whole number of 250 ms ticks), each stream's samples
// joined into one batch when it is longer than 250 ms.
func (p *Patient) stream(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	due := max(p.cadence, wire.MinBatch)
	if now.Sub(p.lastBatch) < due-wire.MinBatch/2 {
		return
	}
	p.lastBatch = now
	batches := p.sim.Advance(now.UnixMilli())
	if due > wire.MinBatch {
		batches = simpeer.Coalesce(batches)
	}
	for _, b := range batches {
		seq := p.sig.Next()
		body := wire.SignalsBatch{Stream: string(b.Stream), Unit: b.Unit, RateHz: b.RateHz, T0: b.T0, Ts: b.Offsets, Values: b.Values, Raw: b.Raw}
		msg := wire.Encode("signals.batch", seq, 0, now.UnixMilli(), 0, body)
		p.sig.Keep(seq, msg, Batch{Seq: seq, Stream: body.Stream, T0: b.T0, N: b.Len()})
		p.C.BatchesSent.Add(1)
		p.C.SamplesSent.Add(int64(b.Len()))
		if p.cp != nil {
			_ = p.cp.Channels[wire.Signals].Send(msg)
		}
	}
}

// reconnect drops the dead peer, redials until it gets a hello, then
// resends every unacknowledged batch in seq order.
func (p *Patient) reconnect(ctx context.Context, detected time.Time) {
	p.mu.Lock()
	old := p.cp
	p.cp = nil
	p.mu.Unlock()
	if old != nil {
		go func() { _ = old.PC.Close() }()
	}
	for ctx.Err() == nil {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := p.Connect(dctx)
		cancel()
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
	if ctx.Err() != nil {
		return
	}
	p.C.Reconnects.Add(1)
	if p.cfg.OnReconnect != nil {
		p.cfg.OnReconnect(time.Since(detected))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pb := range p.sig.Unacked() {
		_ = p.cp.Channels[wire.Signals].Send(pb.Data)
		p.C.Resent.Add(1)
	}
}

// Unacked is the number of batches sent and not yet acknowledged.
func (p *Patient) Unacked() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sig.Len()
}

// UnackedSamples is the number of samples in unacknowledged batches.
func (p *Patient) UnackedSamples() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, pb := range p.sig.Unacked() {
		n += pb.Meta.(Batch).N
	}
	return n
}

// Acked returns the acknowledged batches (KeepAcked only).
func (p *Patient) Acked() []Batch {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.acked)
}

// ErrorCodes counts the server's `error` messages by code.
func (p *Patient) ErrorCodes() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.errCodes)
}

// Peer is the patient's current connection (nil while disconnected).
func (p *Patient) Peer() *rtc.ClientPeer {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cp
}

// Signal carries what a renegotiation (PATCH) of the patient's connection needs.
func (p *Patient) Signal() rtc.DialOptions {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+p.cfg.Token)
	return rtc.DialOptions{Header: h, HTTP: p.cfg.HTTP}
}

// SessionID is the patient's session.
func (p *Patient) SessionID() string { return p.cfg.SessionID }

// Close ends the peer connection and waits for pion's goroutines.
func (p *Patient) Close() {
	p.mu.Lock()
	cp := p.cp
	p.cp = nil
	p.mu.Unlock()
	if cp != nil {
		_ = cp.Close()
	}
}
