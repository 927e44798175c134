package simpeer

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/havenvr/haven/server/biosignal"
	"github.com/havenvr/haven/server/rtc"
	"github.com/havenvr/haven/server/wire"
)

// Join redeems a join code like the headset does and returns the session id
// and the patient's bearer token.
func Join(ctx context.Context, hc *http.Client, baseURL, code string) (sessionID, token string, err error) {
	body, _ := json.Marshal(map[string]string{"code": code})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/api/join", bytes.NewReader(body))
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return "", "", fmt.Errorf("simpeer: join: %w", err)
	}
	defer resp.Body.Close()
	var out struct {
		SessionID string `json:"session_id"`
		Token     string `json:"token"`
	}
	if resp.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("simpeer: join: status %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return "", "", fmt.Errorf("simpeer: join: %w", err)
	}
	return out.SessionID, out.Token, nil
}

// PatientOptions configure a simulated patient.
type PatientOptions struct {
	BaseURL   string
	SessionID string
	Token     string
	API       *webrtc.API // nil: rtc.NewClientAPI()
	HTTP      *http.Client
	Seed      uint64
	// NoSignals turns the biosensor off (control traffic only).
	NoSignals bool
	// PoseHz, when positive, opens the pose channel and sends a head pose
	// that many times a second; Pose chooses each frame (nil:
	// wire.SimulatedHead).
	PoseHz int
	Pose   func(elapsed time.Duration) wire.PoseFrame
	// OnReceive, when set, sees every server message on arrival (relay
	// latency: compare At with the therapist's send time of SrcSeq).
	OnReceive func(Received)
	// Keep bounds the inbox (0: keep everything).
	Keep int
	// PacedAfter, when positive, answers a self-paced calming cue with
	// patient.next after this long, as a patient doing the exercise would
	// (training sessions); 0 leaves pacing to the caller.
	PacedAfter time.Duration
}

// PatientStats are the patient's counters.
type PatientStats struct {
	SamplesSent, SamplesAcked, BatchesSent, BatchesResent int64
	RatingsSent, RatingsAcked, Commands, Errors           int64
	PosesSent, PoseBytes                                  int64
	Unacked                                               int
	// Repeats counts server messages whose seq was not new on their
	// connection and channel (never acted on twice).
	Repeats int64
}

type pending struct {
	ch      string
	seq     uint64
	typ     string
	body    any
	samples int
}

// Patient is a simulated patient headset with a chest strap and EDA sensor.
type Patient struct {
	*inbox
	opts PatientOptions

	mu        sync.Mutex
	cp        *rtc.ClientPeer
	out       [2]wire.Sender // control, signals: seqs and durable messages awaiting their ack (Meta: pending)
	sim       *biosignal.Simulator
	rng       *rand.Rand
	exposure  float64
	stepStart time.Time
	template  string
	params    map[string]any

	stats        PatientStats
	samplesSent  atomic.Int64
	samplesAcked atomic.Int64
	started      time.Time
	stop         chan struct{}
	wg           sync.WaitGroup
	connected    atomic.Bool
	connecting   bool      // Dial in progress (guarded by mu)
	early        []pending // replies made during Dial
	muted        atomic.Bool
	streamOff    atomic.Bool
	// lastOut is when a message last went out on control (unix ns): a
	// heartbeat is sent only after wire.HeartbeatQuiet without one
	// (docs/protocol.md).
	lastOut atomic.Int64
	// cadence is the batch interval the server's hello asked for
	// (time.Duration; 0 before the hello: wire.MinBatch).
	cadence atomic.Int64
}

// Mute makes the headset silent without closing the link (a frozen app or
// a dead network path): nothing is sent meanwhile. Unmuting resends what is
// unacknowledged, in order, before anything new.
func (p *Patient) Mute(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.muted.Store(on)
	if !on {
		p.resendLocked()
	}
}

// flushLocked sends, per channel in seq order, what is unacknowledged plus
// the replies made while dialling.
func (p *Patient) flushLocked() {
	for ci, ch := range []string{wire.Control, wire.Signals} {
		var all []pending
		for _, u := range p.out[ci].Unacked() {
			all = append(all, u.Meta.(pending))
		}
		for _, e := range p.early {
			if e.ch == ch && !slices.ContainsFunc(all, func(u pending) bool { return u.seq == e.seq }) {
				all = append(all, e)
			}
		}
		slices.SortFunc(all, func(a, b pending) int { return cmp.Compare(a.seq, b.seq) })
		for _, u := range all {
			p.sendLocked(ch, u.typ, u.seq, u.body)
			if ch == wire.Signals {
				p.stats.BatchesResent++
			}
		}
	}
	p.early = nil
}

func (p *Patient) resendLocked() {
	for ci, ch := range []string{wire.Control, wire.Signals} {
		for _, pu := range p.out[ci].Unacked() {
			u := pu.Meta.(pending)
			p.sendLocked(ch, u.typ, u.seq, u.body)
			if ch == wire.Signals {
				p.stats.BatchesResent++
			}
		}
	}
}

// StopStreaming stops the sensors (heartbeats and replies continue).
func (p *Patient) StopStreaming() { p.streamOff.Store(true) }

// NewPatient prepares a patient; Connect dials, Start streams.
func NewPatient(opts PatientOptions) *Patient {
	if opts.API == nil {
		opts.API = rtc.NewClientAPI()
	}
	if opts.HTTP == nil {
		opts.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	now := time.Now()
	return &Patient{inbox: newInbox(opts.Keep), opts: opts, started: now, stepStart: now,
		sim: biosignal.NewSimulator(biosignal.SimConfig{Seed: opts.Seed + 1, Start: now.UnixMilli()}),
		rng: rand.New(rand.NewPCG(opts.Seed, 7)), params: map[string]any{}, stop: make(chan struct{})}
}

// Connect dials the session's WHIP endpoint and resends every batch and
// rating not yet acknowledged (same seq: the server drops what it has).
func (p *Patient) Connect(ctx context.Context) error {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+p.opts.Token)
	p.mu.Lock()
	p.connecting = true
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.connecting, p.early = false, nil
		p.mu.Unlock()
	}()
	// What the server sends is settled per connection and channel, by the
	// same rules the server applies to what this headset sends; each
	// receiver is used by its channel's one pion goroutine.
	in := [2]*wire.Receiver{wire.NewReceiver(wire.Signals), wire.NewReceiver(wire.Signals)}
	onMessage := func(label string, msg webrtc.DataChannelMessage) { p.onMessage(in[idx(label)], label, msg) }
	cp, err := rtc.Dial(ctx, p.opts.API, rtc.DialOptions{URL: p.opts.BaseURL + "/api/sessions/" + p.opts.SessionID + "/whip",
		Header: h, HTTP: p.opts.HTTP, Channels: []string{wire.Control, wire.Signals}, Unreliable: p.poseChannels(), OnMessage: onMessage})
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.cp = cp
	p.connected.Store(true)
	p.flushLocked()
	p.mu.Unlock()
	return nil
}

// Start runs heartbeats (on a control channel silent for
// wire.HeartbeatQuiet) and, unless disabled, the sensors.
func (p *Patient) Start() {
	p.wg.Add(1)
	go p.run()
}

func (p *Patient) run() {
	defer p.wg.Done()
	beat := time.NewTicker(wire.HeartbeatCheck)
	defer beat.Stop()
	sensor := time.NewTicker(wire.MinBatch)
	defer sensor.Stop()
	var lastBatch time.Time
	var poseC <-chan time.Time
	if p.opts.PoseHz > 0 {
		pt := time.NewTicker(time.Second / time.Duration(p.opts.PoseHz))
		defer pt.Stop()
		poseC = pt.C
	}
	for {
		select {
		case <-p.stop:
			return
		case now := <-poseC:
			p.sendPose(now)
		case now := <-beat.C:
			if now.Sub(time.Unix(0, p.lastOut.Load())) >= wire.HeartbeatQuiet {
				p.send(wire.Control, "heartbeat", wire.Empty{}, false, 0)
				p.lastOut.Store(now.UnixNano()) // from the tick: a late one delays no later beat
			}
		case now := <-sensor.C:
			// batches leave at the hello's cadence (a whole number of
			// sensor ticks), each stream's samples joined into one
			if due := max(time.Duration(p.cadence.Load()), wire.MinBatch); now.Sub(lastBatch) < due-wire.MinBatch/2 {
				continue
			}
			lastBatch = now
			if !p.opts.NoSignals && !p.streamOff.Load() {
				p.stream(now)
			}
		}
	}
}

// simSourceName names the generator in every simulated batch's provenance:
// generated samples, never a patient's body.
const simSourceName = "Haven simulated patient"

func (p *Patient) stream(now time.Time) {
	p.mu.Lock()
	p.sim.SetIntensity(p.exposure)
	batches := p.sim.Advance(now.UnixMilli())
	p.mu.Unlock()
	if time.Duration(p.cadence.Load()) > wire.MinBatch {
		batches = Coalesce(batches)
	}
	for _, b := range batches {
		wb := wire.SignalsBatch{Stream: string(b.Stream), Unit: b.Unit, RateHz: b.RateHz, T0: b.T0, Ts: b.Offsets, Values: b.Values, Raw: b.Raw,
			Source: &wire.Source{Kind: "simulator", Name: simSourceName}}
		p.send(wire.Signals, "signals.batch", wb, true, b.Len())
	}
}

// send numbers a message; durable ones are kept until acknowledged.
func (p *Patient) send(ch, typ string, body any, durable bool, samples int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ci := idx(ch)
	seq := p.out[ci].Next()
	if durable {
		p.out[ci].Keep(seq, nil, pending{seq: seq, typ: typ, body: body, samples: samples})
		if ch == wire.Signals {
			p.stats.BatchesSent++
			p.samplesSent.Add(int64(samples))
		} else if typ == "suds.rating" {
			p.stats.RatingsSent++
		}
	}
	p.sendLocked(ch, typ, seq, body)
}

func (p *Patient) sendLocked(ch, typ string, seq uint64, body any) {
	if p.connecting && p.cp == nil {
		// A reply to a message that arrived while Dial was still waiting
		// for the channels: sent as soon as the peer is ours.
		p.early = append(p.early, pending{ch: ch, seq: seq, typ: typ, body: body})
		return
	}
	if p.cp == nil || !p.connected.Load() || p.muted.Load() {
		return
	}
	dc := p.cp.Channels[ch]
	if dc == nil || dc.ReadyState() != webrtc.DataChannelStateOpen {
		return
	}
	now := time.Now()
	if dc.Send(wire.Encode(typ, seq, 0, now.UnixMilli(), 0, body)) == nil && ch == wire.Control {
		p.lastOut.Store(now.UnixNano())
	}
}

func idx(ch string) int {
	if ch == wire.Signals {
		return 1
	}
	return 0
}

func (p *Patient) onMessage(in *wire.Receiver, label string, msg webrtc.DataChannelMessage) {
	at := time.Now()
	m, err := wire.Decode(msg.Data, label, wire.ToPatient)
	if err != nil {
		return
	}
	if in.Take(m.Seq) != wire.Fresh {
		p.mu.Lock()
		p.stats.Repeats++
		p.mu.Unlock()
		return
	}
	in.Settle("", m.Seq)
	r := Received{Message: m, At: at}
	if p.opts.OnReceive != nil {
		p.opts.OnReceive(r)
	}
	p.acked(label, m.Ack)
	if h, ok := m.Body.(*wire.Hello); ok {
		p.mu.Lock()
		p.out[0].Continue(h.NextSeq[wire.Control]) // as a reloaded headset does
		p.out[1].Continue(h.NextSeq[wire.Signals])
		p.mu.Unlock()
		p.cadence.Store(int64(Cadence(h.BatchMs)))
	}
	p.react(m)
	p.inbox.add(r)
}

// acked drops acknowledged messages from the resend lists.
func (p *Patient) acked(ch string, ack uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ci := idx(ch)
	for _, pu := range p.out[ci].Ack(ack) {
		u := pu.Meta.(pending)
		if ch == wire.Signals {
			p.samplesAcked.Add(int64(u.samples))
		} else if u.typ == "suds.rating" {
			p.stats.RatingsAcked++
		}
	}
}

// calmTemplates are scenes at rest (the baseline, calm and cool-down rooms).
var calmTemplates = map[string]bool{"neutral_room": true, "beach": true, "forest": true, "night_sky": true}

// react follows commands like a headset: scenes are applied and confirmed,
// prompts answered.
func (p *Patient) react(m wire.Message) {
	p.mu.Lock()
	switch b := m.Body.(type) {
	case *wire.SceneLoad:
		p.template, p.params = b.Template, cloneMap(b.Params)
		p.exposure = 0
		if !calmTemplates[b.Template] {
			p.exposure = math.Max(p.exposure, 40)
		}
		p.stepStart = time.Now()
	case *wire.SceneSet:
		for k, v := range b.Params {
			p.params[k] = v
		}
		p.exposure = math.Min(100, p.exposure+10)
	case *wire.StepEnter:
		p.exposure = math.Min(100, 40+10*float64(b.Index))
		p.stepStart = time.Now()
	case *wire.CalmNow:
		p.exposure = 0
	case *wire.BreathingStart:
		// breathes with the pacer: slow paced breathing enlarges RSA (and
		// most at the simulated patient's resonance rate)
		var cycleS float64
		for _, ph := range b.Phases {
			cycleS += ph.S
		}
		if cycleS > 0 {
			p.sim.SetPacedBreathing(60 / cycleS)
		}
	case *wire.Error:
		p.stats.Errors++
	}
	if m.Type == "breathing.stop" {
		p.sim.SetPacedBreathing(0)
	}
	if m.Type != "heartbeat" && m.Type != "ack" && m.Type != "signals.ack" {
		p.stats.Commands++
	}
	tpl, params := p.template, cloneMap(p.params)
	p.mu.Unlock()
	switch b := m.Body.(type) {
	case *wire.SceneLoad, *wire.SceneSet:
		p.send(wire.Control, "scene.ready", wire.SceneReady{Template: tpl, Params: params}, false, 0)
	case *wire.SUDSPrompt:
		p.send(wire.Control, "suds.rating", wire.SUDSRating{PromptID: b.PromptID, Value: p.SUDS()}, true, 0)
	case *wire.ExpectancyPrompt:
		p.send(wire.Control, "expectancy.rating", wire.ExpectancyRating{Phase: b.Phase, Likelihood: p.expectancy(b.Phase)}, true, 0)
	case *wire.Cue:
		if b.PatientPaced && p.opts.PacedAfter > 0 {
			time.AfterFunc(p.opts.PacedAfter, func() { p.send(wire.Control, "patient.next", wire.Empty{}, false, 0) })
		}
	}
}

// expectancy is the simulated patient's belief that the feared outcome will
// happen: high before a trial, and lower after it, as a disconfirmed
// expectancy is (the prediction error inhibitory learning works with).
func (p *Patient) expectancy(phase string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	before := int(math.Min(95, 50+p.exposure/2))
	if phase == "after" {
		return max(5, before-35)
	}
	return before
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// SUDS is the patient's current distress: it rises with exposure and falls
// as the patient habituates within a step (time constant 2 min; the
// emotional-processing curve of Foa & Kozak 1986), plus a little noise.
func (p *Patient) SUDS() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := time.Since(p.stepStart).Seconds()
	v := 10 + 0.9*p.exposure*math.Exp(-t/120) + p.rng.NormFloat64()*3
	return int(math.Round(math.Max(0, math.Min(100, v))))
}

// Send sends a control message (e.g. break.request, client.state).
func (p *Patient) Send(typ string, body any, durable bool) {
	p.send(wire.Control, typ, body, durable, 0)
}

// Disconnect drops the link without telling the server (a vanished
// headset); unacknowledged messages are kept for the next Connect.
func (p *Patient) Disconnect() {
	p.mu.Lock()
	cp := p.cp
	p.cp = nil
	p.connected.Store(false)
	p.mu.Unlock()
	if cp != nil {
		_ = cp.Close()
	}
}

// Stats returns the counters.
func (p *Patient) Stats() PatientStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.SamplesSent, s.SamplesAcked = p.samplesSent.Load(), p.samplesAcked.Load()
	s.Unacked = p.out[0].Len() + p.out[1].Len()
	return s
}

// Close stops the patient and closes its peer.
func (p *Patient) Close() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	p.wg.Wait()
	p.Disconnect()
}

// SendRaw puts bytes on a channel as they are (bad-input and flood tests).
func (p *Patient) SendRaw(channel string, data []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cp == nil {
		return fmt.Errorf("simpeer: not connected")
	}
	return p.cp.Channels[channel].Send(data)
}

// SendRawNext puts the bytes build makes for the channel's next seq on the
// wire as they are, and keeps nothing for resending: a malformed or
// refused message in the middle of a real stream (fault tests).
func (p *Patient) SendRawNext(channel string, build func(seq uint64) []byte) (uint64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cp == nil {
		return 0, fmt.Errorf("simpeer: not connected")
	}
	ci := idx(channel)
	seq := p.out[ci].Next()
	return seq, p.cp.Channels[channel].Send(build(seq))
}

// Peer is the current client peer (nil while disconnected), for tests that
// drive signalling by hand (ICE restart, DELETE).
func (p *Patient) Peer() *rtc.ClientPeer {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cp
}
