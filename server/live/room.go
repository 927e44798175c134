package live

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/havenvr/haven/protocols"
	"github.com/havenvr/haven/server/biosignal"
	"github.com/havenvr/haven/server/clinic"
	"github.com/havenvr/haven/server/notify"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

// driver is what a room needs from the protocol engine (protocols.Engine, or
// compositionDriver for a single composition).
type driver interface {
	Handle(protocols.Event) []protocols.Command
}

// room is the in-memory hub of one session: its peers, its engine and its
// live biosignal state, owned by one goroutine (owner.go). Fields above the
// line are immutable after newRoom; the rest belong to the owner.
type room struct {
	svc      *Service
	id       string
	clinicID string
	locale   string
	crisis   wire.Crisis
	pose     *poses // the headset's poses and the avoidance measures (own lock)

	in       chan input
	tickC    chan time.Time
	wake     chan struct{}
	quit     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
	postMu   sync.Mutex // guards posted only: commit results awaiting the owner
	posted   []input

	// Owned by the room's goroutine.
	sess     store.LiveSession
	drv      driver
	proto    *protocols.Protocol // nil for a single composition
	patient  *peer
	consoles map[string]*peer
	byID     map[string]*peer // every connection, for PATCH/DELETE
	started  bool
	linkLost bool
	resuming int // replayed inputs of a session resumed from the store, until resumed records it
	lastTick time.Time
	elapsed  int64
	tickMs   int64 // engine time not yet recorded (ticks that changed nothing)
	nextMet  time.Time
	adaptive bool // the protocol asks for adaptive (CLINICAL.md §6) suggestions
	// priorExposureMs is the patient's exposure time in their last session:
	// the engine's cybersickness budget grows from it (given with the start,
	// so a replay gets the same budget)
	priorExposureMs int64
	lastZ           int64 // ms when the arousal z-scores last reached the engine
	client          *wire.ClientState
	scene           *wire.SceneLoad
	ready           *wire.SceneReady // the scene the headset last reported ready
	prompt          int
	voice           voiceRouting // voice.go

	res      resonanceState
	bio      *biosignal.Live
	eval     *biosignal.Evaluator
	check    biosignal.Checker
	spans    spans
	baseFrom int64
	// source is the provenance kind of the last accepted batch: the live
	// metrics and alerts are labelled with it (simulated data never reads
	// as the patient's body).
	source string

	// receivers settle durable seqs per sender role and channel
	// ("role/channel"): the receiving half of reliable delivery.
	receivers map[string]*wire.Receiver
}

// newShell is a room with its channels and maps and no session behind it
// yet; newRoom fills it, start runs its owner.
func newShell(s *Service, sess store.LiveSession) *room {
	return &room{svc: s, id: sess.ID, clinicID: sess.ClinicID, sess: sess,
		in: make(chan input, inboxLen), tickC: make(chan time.Time, 1), wake: make(chan struct{}, 1),
		quit: make(chan struct{}), done: make(chan struct{}),
		consoles: map[string]*peer{}, byID: map[string]*peer{}, spans: spans{}, pose: newPoses(),
		receivers: map[string]*wire.Receiver{}}
}

func newRoom(ctx context.Context, s *Service, sess store.LiveSession) (*room, error) {
	pat, err := store.InClinic[store.Patient](ctx, s.opts.Store.DB, "the session's patient", sess.ClinicID, sess.PatientID)
	if err != nil {
		return nil, fmt.Errorf("live: loading patient: %w", err)
	}
	r := newShell(s, sess)
	r.locale, r.bio = pat.Locale, biosignal.NewLive(biosignal.LiveConfig{})
	if r.locale == "" {
		r.locale = "en"
	}
	if s.opts.Crisis != nil {
		r.crisis = s.opts.Crisis(ctx, sess.ClinicID)
	}
	if err := r.pose.loadRecording(ctx, s.opts.Store, sess.ClinicID); err != nil {
		return nil, err
	}
	view, err := clinic.View(pat)
	if err != nil {
		return nil, err
	}
	age := time.Now().Year() - pat.BirthYear
	run, err := s.buildRunner(ctx, sess, view, pat.HRCeilingPct, age)
	if err != nil {
		return nil, err
	}
	r.drv, r.proto, r.adaptive = run.drv, run.proto, run.set.Adaptive
	if r.proto != nil && r.proto.Kind == protocols.KindExposure {
		if r.priorExposureMs, err = s.priorExposure(ctx, sess); err != nil {
			return nil, err
		}
	}
	// The evaluator always runs: a rule it cannot use is left out and
	// logged, and an implausible age only moves the HR ceiling's reference.
	ev, err := biosignal.NewEvaluator(alertRules(run.set), age)
	if err != nil {
		s.log.Warn("live: alert rules left out", slog.String("session", sess.ID), slog.Any("err", err))
	}
	if a, clamped := ev.HRMaxAge(); clamped {
		s.log.Warn("live: implausible age for the HR ceiling; clamped", slog.String("session", sess.ID), slog.Int("age", age), slog.Int("used", a))
	}
	r.eval = ev
	if err := r.loadMarks(ctx); err != nil {
		return nil, err
	}
	return r, r.resume(ctx)
}

func (r *room) titleKey() string {
	if r.proto == nil {
		return ""
	}
	return r.proto.TitleKey
}

// peerReady runs once both channels of a peer are open.
func (r *room) peerReady(p *peer) {
	// Silence counts from the open link, not from the offer: on a busy
	// machine ICE and DTLS can take longer than the link-loss window, and a
	// patient who has not yet had the chance to speak is not silent.
	p.lastSeen.Store(time.Now().UnixNano())
	if r.sess.State == store.LiveEnded {
		p.send(wire.Control, "session.end", 0, wire.Reason{Reason: r.sess.StateReason})
		return
	}
	r.svc.opts.Metrics.LivePeers.WithLabelValues(p.role).Inc()
	if p.role != rolePatient {
		r.hello(p)
		r.consoles[p.id] = p
		r.broadcastState()
		return
	}
	if !r.started {
		// The first patient connection starts the session: its hello says
		// so, ahead of the engine's first scene.
		r.started, r.lastTick = true, time.Now()
		now := time.Now().UTC()
		r.sess.StartedAt = &now
		r.eval.Start(now.UnixMilli()) // no_data counts from here even if no sample ever arrives
		r.setState(store.LiveLive, "")
		r.hello(p)
		r.patient = p
		r.apply(r.feed(protocols.Event{Type: protocols.EvStart, PriorExposureMs: r.priorExposureMs}), 0)
		r.broadcastState()
		return
	}
	r.hello(p)
	old := r.patient
	r.patient = p
	if old != nil && old != p {
		go old.close()
		if r.started && r.sess.State == store.LiveLive {
			// A new headset connection while the old one still looked alive (a
			// page reload, a network switch): the client comes back calm and
			// waits for resume, so the session pauses as on any lost link.
			r.connLost("replaced")
		}
	}
	r.restored(p)
	r.broadcastState()
}

// restored handles a patient heard again after a lost link: the session
// stays paused until the therapist resumes.
func (r *room) restored(p *peer) {
	if !r.linkLost {
		return
	}
	r.linkLost = false
	r.apply(r.feed(protocols.Event{Type: protocols.EvConnRestored}), 0)
	r.alert("link_restored", "")
	if r.sess.State == store.LivePaused {
		// The client stays in calm until the therapist resumes (DESIGN.md §3).
		p.send(wire.Control, "calm.now", 0, wire.CalmNow{Reason: r.sess.StateReason})
	} else if r.scene != nil {
		p.send(wire.Control, "scene.load", 0, *r.scene)
	}
	r.broadcastState()
}

func (r *room) hello(p *peer) {
	role := p.role
	if role == roleObserver {
		role = roleTherapist
	}
	mc, ms := r.recvFor(role, wire.Control), r.recvFor(role, wire.Signals)
	next := map[string]uint64{wire.Control: mc.Next(), wire.Signals: ms.Next()}
	sigAck := ms.High()
	// The control acknowledgement starts at 0 on every connection: the
	// client's resent durable messages are settled (or recognised) one by
	// one, so a message refused on the previous connection is never
	// acknowledged before it is handled.
	p.mu.Lock()
	p.ack[wire.Signals] = sigAck
	p.mu.Unlock()
	h := wire.Hello{SessionID: r.id, Role: p.role, State: r.sess.State, Locale: r.locale,
		Crisis: r.crisis, NextSeq: next, Practice: r.sess.Practice}
	if p.role == rolePatient {
		h.BatchMs = r.svc.opts.SignalsBatch.Milliseconds()
	}
	p.send(wire.Control, "hello", 0, h)
	if p.role == rolePatient && sigAck > 0 {
		p.send(wire.Signals, "signals.ack", 0, wire.Empty{})
	}
	// A console that joins after the headset (a practice session opened
	// with its simulated patient already in, a reload) learns the scene the
	// headset last reported ready, as one that was there saw it.
	if p.role != rolePatient && r.ready != nil {
		p.send(wire.Control, "scene.ready", 0, wire.ForwardedScene{Template: r.ready.Template, Params: r.ready.Params})
	}
}

// leave removes a peer; a patient leaving a live session is a lost link.
// The caller closes p (off the owner: closing waits for pion's goroutines).
func (r *room) leave(p *peer, reason string) {
	delete(r.byID, p.id)
	for _, rc := range r.receivers {
		rc.Forget(p.id)
	}
	if r.patient == p {
		r.patient = nil
		if r.started && r.sess.State == store.LiveLive {
			r.connLost(reason)
		}
	}
	if _, ok := r.consoles[p.id]; ok {
		delete(r.consoles, p.id)
		r.broadcastState()
	}
}

// connLost pauses the session and alerts the therapist (DESIGN.md §3: within
// 2 s of the patient's silence).
func (r *room) connLost(reason string) {
	if r.linkLost {
		return
	}
	r.linkLost = true
	r.svc.tl.add(event(r.id, "link.lost", "server", reasonEvent{Reason: reason}), nil)
	r.apply(r.feed(protocols.Event{Type: protocols.EvConnLost}), 0)
	if r.sess.State != store.LivePaused && r.sess.State != store.LiveEnded {
		r.setState(store.LivePaused, "link_lost")
	}
	r.alert("link_lost", reason)
	r.broadcastState()
}

// tick runs from the service clock.
func (r *room) tick(now time.Time) {
	if r.sess.State == store.LiveEnded {
		return
	}
	r.each(func(p *peer) { r.beat(p, now) })
	if !r.started {
		return
	}
	d := int64(float64(now.Sub(r.lastTick).Milliseconds()) * r.svc.engineSpeed())
	if d > 0 {
		r.lastTick = now
		r.elapsed += d
		r.apply(r.feed(protocols.Event{Type: protocols.EvTick, ElapsedMs: d}), 0)
	}
	if r.sess.State == store.LiveLive && !r.linkLost {
		if r.patient == nil || now.Sub(time.Unix(0, r.patient.lastSeen.Load())) > r.svc.opts.LinkLoss {
			r.connLost("silent")
		}
	}
	if now.After(r.nextMet) {
		r.nextMet = now.Add(time.Second)
		r.metrics(now)
		r.poseTick()
	}
}

// beat sends p a heartbeat when nothing else went out on its control
// channel for three quarters of the heartbeat interval. The clock ticks every
// half interval, so a silent channel hears a heartbeat every interval (500 ms),
// as before, and a busy one hears none: any control message is proof of life
// to every client watchdog (docs/protocol.md). The longest gap on a healthy
// link is three quarters of the interval plus one tick (625 ms), far inside
// the headset's 2 s.
func (r *room) beat(p *peer, now time.Time) {
	hb := r.svc.opts.Heartbeat
	if now.Sub(time.Unix(0, p.lastCtl.Load())) >= hb-hb/4 {
		p.send(wire.Control, "heartbeat", 0, wire.Empty{})
		// Counted from the tick, not from when the busy owner got to it, so
		// a late tick never pushes the next heartbeat a whole tick later.
		p.lastCtl.Store(now.UnixNano())
	}
}

func (r *room) each(f func(*peer)) {
	if r.patient != nil {
		f(r.patient)
	}
	for _, c := range r.consoles {
		f(c)
	}
}

func (r *room) toConsoles(channel, typ string, src uint64, body any) {
	for _, c := range r.consoles {
		c.send(channel, typ, src, body)
	}
}

func (r *room) toPatient(typ string, src uint64, body any) {
	if r.patient != nil {
		r.patient.send(wire.Control, typ, src, body)
	}
}

func (r *room) alert(code, reason string) {
	r.raise(0, wire.Alert{Code: code, Reason: reason, Fired: true, MessageID: "live.alert." + code})
	r.svc.tl.add(event(r.id, "alert", "server", alertEvent{Code: code, Reason: reason}), nil)
}

// raise sends an alert to the session's consoles and, as a notification,
// to the clinic's staff pages on every node (a therapist's list page may
// be on another node than this room).
func (r *room) raise(src uint64, a wire.Alert) {
	r.toConsoles(wire.Control, "alert", src, a)
	r.svc.notify(notify.Event{Kind: notify.KindAlert, ClinicID: r.sess.ClinicID, SessionID: r.id, Code: a.Code,
		Reason: a.Reason, Fired: a.Fired})
}

func (r *room) broadcastState() {
	st := wire.SessionState{State: r.sess.State, Reason: r.sess.StateReason, Patient: r.patient != nil && !r.linkLost,
		Client: r.client, ElapsedMs: r.elapsed, ProtocolID: r.sess.ProtocolID}
	if ph, ok := r.drv.(interface{ Phase() (string, int64) }); ok && r.sess.State != store.LiveEnded {
		// engine time runs at the service's speed; the console counts wall time
		name, left := ph.Phase()
		st.Phase, st.PhaseLeftMs = name, int64(float64(left)/r.svc.engineSpeed())
	}
	for _, c := range r.consoles {
		if c.role == roleObserver {
			st.Observers++
		}
	}
	r.toConsoles(wire.Control, "session.state", 0, st)
}

// setState records a transition (timeline + session row, in commit order).
func (r *room) setState(state, reason string) {
	if r.sess.State == state && r.sess.StateReason == reason {
		return
	}
	from := r.sess.State
	r.sess.State, r.sess.StateReason = state, reason
	if state == store.LiveEnded {
		now := time.Now().UTC()
		r.sess.EndedAt = &now
	}
	r.svc.tl.add(event(r.id, "state", "server", stateEvent{From: from, To: state, Reason: reason}), nil)
	r.svc.tl.saveSession(r.sess)
	r.svc.notifyState(r.sess, "state")
}

// end finishes the session: peers are told and disconnected.
func (r *room) end(reason string) {
	if r.sess.State == store.LiveEnded {
		return
	}
	r.poseStep("")
	r.setState(store.LiveEnded, reason)
	r.toPatient("session.end", 0, wire.Reason{Reason: reason})
	r.broadcastState()
	r.svc.background(func() {
		// Let session.end reach the peers before their connections close.
		time.Sleep(200 * time.Millisecond)
		peers, _ := ask(context.Background(), r, newQuery[[]*peer](detachQ{}))
		for _, p := range peers {
			p.close()
		}
		r.svc.dropRoom(r)
	})
}

// recvFor is the receiver of a sender role's channel (observers count as the
// therapist: they send nothing durable).
func (r *room) recvFor(role, channel string) *wire.Receiver {
	key := markRole(role) + "/" + channel
	rc := r.receivers[key]
	if rc == nil {
		rc = wire.NewReceiver(channel)
		r.receivers[key] = rc
	}
	return rc
}

// recv is the receiver of p's channel.
func (r *room) recv(p *peer, channel string) *wire.Receiver { return r.recvFor(p.role, channel) }
