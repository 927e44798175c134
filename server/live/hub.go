package live

import (
	"encoding/json"
	"fmt"

	"github.com/havenvr/haven/environments"
	"github.com/havenvr/haven/protocols"
	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

// transitionMs is how long the client blends between scene states.
const transitionMs = 1000

// apply turns engine outputs into timeline events and messages. src is the
// seq of the therapist command that caused them (0: none).
func (r *room) apply(cmds []protocols.Command, src uint64) {
	for _, c := range cmds {
		rec, err := c.Record()
		if err != nil {
			// Only a NaN in a biosignal value can do this; the command still acts.
			r.svc.log.Warn("live: engine record", "session", r.id, "err", err)
		}
		r.svc.tl.add(event(r.id, "engine."+c.Type, "engine", rec), nil)
		r.direct(c, rec, src)
	}
}

// direct acts on a command and, unless the consoles heard of it otherwise,
// shows it to them as an engine message with its record.
func (r *room) direct(c protocols.Command, rec json.RawMessage, src uint64) {
	if !r.act(c.Body, src) {
		r.toConsoles(wire.Control, "engine", src, wire.Engine{Kind: c.Type, Body: rec})
	}
}

// issue acts on a typed command the room issues itself (a therapist's
// prompt, a refusal), shown to the consoles like the engine's.
func (r *room) issue(c protocols.Cmd, src uint64) {
	cmd := protocols.NewCommand(0, c)
	rec, _ := cmd.Record() // the room's own commands carry no floats
	r.direct(cmd, rec, src)
}

// act applies a typed engine command to the room and the headset. It
// reports true when the consoles were told in their own terms (an alert,
// the end) rather than by the engine message.
func (r *room) act(cmd protocols.Cmd, src uint64) bool {
	switch c := cmd.(type) {
	case protocols.SceneLoad:
		sl := wireScene(c)
		r.scene = &sl
		r.sceneAnchors()
		r.toPatient("scene.load", src, sl)
	case protocols.SceneSet:
		r.mergeScene(c.Params)
		r.toPatient("scene.set", src, wire.SceneSet{Params: c.Params, TransitionMs: transitionMs})
	case protocols.SceneEvent:
		r.toPatient("scene.event", src, wire.SceneEvent{Event: c.Event})
	case protocols.StepEnter:
		r.poseStep(c.StepID)
		r.toPatient("step.enter", src, wire.StepEnter{Index: c.Index, StepID: c.StepID, LabelKey: r.titleKey()})
	case protocols.SUDSPrompt:
		r.prompt++
		r.toPatient("suds.prompt", src, wire.SUDSPrompt{PromptID: fmt.Sprintf("p%d", r.prompt)})
	case protocols.Cue:
		r.toPatient("cue", src, wire.Cue{SegmentID: c.SegmentID, Index: c.Index, TextKey: c.TextKey, DurationMs: c.DurationMs,
			PatientPaced: c.PatientPaced, Tense: c.Tense})
	case protocols.ExpectancyPrompt:
		r.toPatient("expectancy.prompt", src, wire.ExpectancyPrompt{Phase: c.Phase, StepID: c.StepID, FearedOutcomeKey: c.FearedOutcomeKey})
	case protocols.BreathingStart:
		r.toPatient("breathing.start", src, wireBreathing(c))
	case protocols.BreathingStop:
		r.toPatient("breathing.stop", src, wire.Empty{})
	case protocols.CalmNow:
		r.calmAnchors()
		r.toPatient("calm.now", src, wire.CalmNow{Reason: c.Reason})
	case protocols.HardStop:
		r.calmAnchors()
		r.toPatient("hard.stop", src, wire.Reason{Reason: c.Reason})
	case protocols.SessionPaused:
		reason := c.Reason
		if r.linkLost {
			reason = "link_lost"
		}
		r.setState(store.LivePaused, reason)
		r.broadcastState()
	case protocols.SessionResumed:
		r.setState(store.LiveLive, "")
		r.sceneAnchors()
		r.toPatient("resume", src, wire.Empty{})
		r.broadcastState()
	case protocols.BaselineStart:
		r.baseFrom = nowMs()
		r.broadcastState() // the console counts the baseline down from the state's phase
	case protocols.BaselineEnd:
		r.bio.MarkBaseline(r.baseFrom, nowMs())
		r.broadcastState()
	case protocols.CooldownStart:
		r.broadcastState()
	case protocols.HRVWindow:
		r.resonanceWindow(c.State, c.BreathsPerMin, src)
	case protocols.SessionEnd:
		r.end(c.Reason)
		return true
	case protocols.Alert:
		if c.Reason == "connection_lost" {
			return true // the room alerted link_lost already: one alert per loss
		}
		r.raise(src, wire.Alert{Code: "session_paused", Reason: c.Reason, Fired: true,
			MessageID: "live.alert.session_paused"})
		return true
	}
	return false
}

// mergeScene applies a scene.set's parameters to the scene the patient has.
func (r *room) mergeScene(params environments.Params) {
	if r.scene == nil {
		return
	}
	merged := map[string]any{}
	for k, v := range r.scene.Params {
		merged[k] = v
	}
	for k, v := range params {
		merged[k] = v
	}
	r.scene.Params = merged
	r.sceneAnchors()
}

// wireScene is a scene load as the headset's scene.load.
func wireScene(c protocols.SceneLoad) wire.SceneLoad {
	sl := wire.SceneLoad{Template: c.Template, Params: c.Params, TransitionMs: transitionMs}
	if c.Layers != nil {
		sl.Layers = *c.Layers
	}
	return sl
}

// wireBreathing is the pacer as the headset's breathing.start.
func wireBreathing(c protocols.BreathingStart) wire.BreathingStart {
	out := wire.BreathingStart{Cycles: c.Cycles}
	for _, p := range c.Phases {
		out.Phases = append(out.Phases, wire.BreathPhase{Phase: p.Name, S: float64(p.Ms) / 1000})
	}
	return out
}

// handle routes one decoded message from a peer (batches come as batchIn).
func (r *room) handle(p *peer, m wire.Message) {
	if p.role == roleObserver && m.Type != "heartbeat" {
		p.sendError(apierr.New(apierr.Forbidden), m.Seq)
		return
	}
	if m.Spec.Durable && r.duplicate(p, m.Spec.Channel, m.Seq) {
		return
	}
	refuse := func(e *apierr.Error) {
		if m.Spec.Durable {
			// Not handled: held out of the ack so the client's resend gets through later.
			r.committed(p, m.Spec.Channel, m.Seq, errUnavailable)
		}
		switch {
		case e == nil:
		case m.Spec.Durable:
			p.tell(e, m.Seq)
		default:
			p.sendError(e, m.Seq)
		}
	}
	switch {
	case r.sess.State == store.LiveEnded && m.Type == "heartbeat":
		// A client's heartbeats may cross session.end on the wire: not an error.
	case r.sess.State == store.LiveEnded:
		refuse(apierr.New(apierr.SessionState).With("State", r.sess.State))
	case p.role == rolePatient && p != r.patient:
		refuse(nil) // a replaced connection's last words
	case p.role == rolePatient:
		r.restored(p)
		r.fromPatient(p, m)
	default:
		r.fromTherapist(p, m)
	}
}

// duplicate recognises a resent durable message (already settled, or
// taken and awaiting its commit) and acknowledges it again; otherwise it
// takes seq, which committed then settles or releases.
func (r *room) duplicate(p *peer, channel string, seq uint64) bool {
	rc := r.recv(p, channel)
	switch rc.Take(seq) {
	case wire.Settled:
		p.setAck(channel, rc.Settle(p.id, seq), true)
		return true
	case wire.InFlight:
		return true
	}
	return false
}

// committed settles a message taken by duplicate: after a commit it advances
// the acknowledgement; after a failure it forgets the seq so the client's
// resend is handled, and holds this connection's ack below it.
func (r *room) committed(p *peer, channel string, seq uint64, err error) {
	r.settle(p, channel, seq, err, true)
}

// settle is committed; announce false advances the mark without telling
// the peer, for a commit whose group has another of the peer's messages
// still to settle (that one's acknowledgement covers both).
func (r *room) settle(p *peer, channel string, seq uint64, err error, announce bool) {
	rc := r.recv(p, channel)
	if err != nil {
		rc.Release(p.id, seq)
		return
	}
	high := rc.Settle(p.id, seq)
	if announce {
		p.setAck(channel, high, false)
	}
}

func markRole(role string) string {
	if role == roleObserver {
		return roleTherapist
	}
	return role
}

// durableEvent records a durable message with its sender's seq. Once the
// record commits, stored (if set) applies it to the room, on its owner, and
// the message is acknowledged; after a failure the room is as if it never
// came, and the client is told (ref_seq) to keep it and resend it.
func (r *room) durableEvent(p *peer, m wire.Message, kind string, body any, stored func()) {
	ev := event(r.id, kind, p.role, body)
	ev.Peer, ev.Seq = markRole(p.role), m.Seq
	r.svc.tl.add(ev, func(err error) {
		r.post(eventDone{p: p, channel: m.Spec.Channel, seq: m.Seq, err: err, stored: stored})
	})
}

func (r *room) fromPatient(p *peer, m wire.Message) {
	switch body := m.Body.(type) {
	case *wire.SceneReady:
		r.ready = body
		r.svc.tl.add(event(r.id, "scene.ready", rolePatient, body), nil)
		r.toConsoles(wire.Control, "scene.ready", 0, wire.ForwardedScene{Template: body.Template, Params: body.Params})
	case *wire.SUDSRating:
		// Ratings are clinical data: the console and the engine hear of one
		// only once it is stored.
		v := body.Value
		r.durableEvent(p, m, "suds.rating", body, func() {
			r.toConsoles(wire.Control, "suds.rating", 0, wire.ForwardedSUDS{PromptID: body.PromptID, Value: v})
			r.apply(r.feed(protocols.Event{Type: protocols.EvSUDS, SUDS: &v}), 0)
		})
	case *wire.ExpectancyRating:
		l := body.Likelihood
		r.durableEvent(p, m, "expectancy.rating", body, func() {
			r.apply(r.feed(protocols.Event{Type: protocols.EvExpectancy, Phase: body.Phase, Likelihood: &l}), 0)
		})
	case *wire.ClientState:
		r.client = body
		r.broadcastState()
	case *wire.VoiceMic:
		r.voiceState(rolePatient, body.Mic)
	case *wire.Empty:
		r.patientSignal(p, m)
	}
}

// patientSignals are the patient's body-less requests: the alert the
// therapist sees (empty: none) and the engine event.
var patientSignals = map[string]struct{ alert, event string }{
	"break.request":    {"break_requested", protocols.EvBreak},
	"patient.stop":     {"patient_stop", protocols.EvPatientStop},
	"dizziness.report": {"dizziness", protocols.EvDizziness},
	"patient.next":     {"", protocols.EvPatientNext},
}

func (r *room) patientSignal(p *peer, m wire.Message) {
	sig, ok := patientSignals[m.Type]
	if !ok {
		return // heartbeat
	}
	// Safety requests act at once, before their record commits: a patient
	// asking to stop must never wait on a busy disk. A resend after a failed
	// commit repeats a stop or pause, which changes nothing the second time.
	if m.Spec.Durable {
		r.durableEvent(p, m, m.Type, nil, nil)
	}
	if sig.alert != "" {
		r.alert(sig.alert, "")
	}
	r.apply(r.feed(protocols.Event{Type: sig.event}), 0)
}

// therapistCommands maps console commands to engine commands.
var therapistCommands = map[string]string{
	"cmd.scene.set": protocols.TSetParams, "cmd.intensity": protocols.TSetParams, "cmd.event": protocols.TFireEvent,
	"cmd.advance": protocols.TAdvance, "cmd.step_back": protocols.TStepBack, "cmd.stay": protocols.TStay,
	"cmd.calm_now": protocols.TCalmNow, "cmd.pause": protocols.TPause, "cmd.resume": protocols.TResume,
	"cmd.stop": protocols.TStop, "cmd.end": protocols.TEnd,
}

func (r *room) fromTherapist(p *peer, m wire.Message) {
	switch body := m.Body.(type) {
	case *wire.Note:
		r.durableEvent(p, m, "note", body, nil)
		return
	case *wire.VoiceMic:
		r.voiceState(roleTherapist, body.Mic)
		return
	case *wire.Empty:
		if m.Type == "heartbeat" {
			return
		}
	}
	r.svc.tl.add(event(r.id, "command", p.role, commandEvent{Type: m.Type, Seq: m.Seq, Body: m.Body}), nil)
	if !r.started {
		r.issue(protocols.Refused{Command: m.Type, Reason: "patient_not_connected"}, m.Seq)
		return
	}
	if m.Type == "cmd.resume" && r.linkLost {
		// Resuming into a lost link would leave a live session with no headset.
		r.issue(protocols.Refused{Command: m.Type, Reason: "link_lost"}, m.Seq)
		return
	}
	switch m.Type {
	case "cmd.suds_prompt":
		r.issue(protocols.SUDSPrompt{}, m.Seq)
		return
	case "cmd.expectancy_prompt":
		r.issue(protocols.ExpectancyPrompt{Phase: m.Body.(*wire.CmdExpectancyPrompt).Phase}, m.Seq)
		return
	case "cmd.report":
		ev := protocols.EvDizziness
		if m.Body.(*wire.CmdReport).Kind == "seizure" {
			ev = protocols.EvSeizure
		}
		r.apply(r.feed(protocols.Event{Type: ev}), m.Seq)
		return
	case "cmd.breathing":
		r.breathing(m)
		return
	}
	ev := protocols.Event{Type: protocols.EvTherapist, Command: therapistCommands[m.Type]}
	switch body := m.Body.(type) {
	case *wire.CmdParams:
		ev.Params = environments.Params(body.Params)
	case *wire.CmdIntensity:
		ev.Params = r.paramsAt(body.Intensity)
	case *wire.CmdEvent:
		ev.EventID = body.Event
	case *wire.CmdAdvance:
		ev.StepID = body.StepID
	}
	r.apply(r.feed(ev), m.Seq)
}

func (r *room) paramsAt(intensity int) environments.Params {
	tpl := ""
	if r.proto != nil {
		tpl = r.proto.Template
	} else if r.scene != nil {
		tpl = r.scene.Template
	}
	if t, ok := r.svc.catalog.Get(tpl); ok {
		return t.ParamsAt(intensity)
	}
	return nil
}

func (r *room) breathing(m wire.Message) {
	b := m.Body.(*wire.CmdBreathing)
	if b.BreathsPerMin == 0 {
		r.issue(protocols.BreathingStop{}, m.Seq)
		return
	}
	// 4:6 s inhale:exhale at 6/min is the CLINICAL.md §7 default shape.
	pc := protocols.PacerForRate(b.BreathsPerMin, 0.4)
	body := wireBreathing(protocols.BreathingStart{Phases: pc.Phases(), Cycles: b.Cycles})
	body.DurationS = float64(pc.CycleMs()) / 1000 * float64(b.Cycles)
	r.toPatient("breathing.start", m.Seq, body)
	rec, _ := json.Marshal(body) // plain numbers: cannot fail
	r.toConsoles(wire.Control, "engine", m.Seq, wire.Engine{Kind: protocols.CmdBreathingStart, Body: rec})
}
