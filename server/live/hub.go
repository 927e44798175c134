package live

import (
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
		r.svc.tl.add(event(r.id, "engine."+c.Type, "engine", c.Body), nil)
		r.applyOne(c, src)
	}
}

func (r *room) applyOne(c protocols.Command, src uint64) {
	b := c.Body
	str := func(k string) string { s, _ := b[k].(string); return s }
	switch c.Type {
	case "scene.load":
		params, _ := b["params"].(environments.Params)
		sl := wire.SceneLoad{Template: str("template"), Params: params, Layers: b["layers"], TransitionMs: transitionMs}
		r.scene = &sl
		r.sceneAnchors()
		r.toPatient("scene.load", src, sl)
	case "scene.set":
		params, _ := b["params"].(environments.Params)
		r.mergeScene(params)
		r.toPatient("scene.set", src, wire.SceneSet{Params: params, TransitionMs: transitionMs})
	case "scene.event":
		r.toPatient("scene.event", src, wire.SceneEvent{Event: str("event")})
	case "step.enter":
		idx, _ := b["index"].(int)
		r.poseStep(str("step_id"))
		r.toPatient("step.enter", src, wire.StepEnter{Index: idx, StepID: str("step_id"), LabelKey: r.titleKey()})
	case "suds.prompt":
		r.prompt++
		r.toPatient("suds.prompt", src, wire.SUDSPrompt{PromptID: fmt.Sprintf("p%d", r.prompt)})
	case "cue":
		r.toPatient("cue", src, cueBody(b))
	case "expectancy.prompt":
		r.toPatient("expectancy.prompt", src, wire.ExpectancyPrompt{Phase: str("phase"), StepID: str("step_id"), FearedOutcomeKey: str("feared_outcome_key")})
	case "breathing.start":
		r.toPatient("breathing.start", src, breathingBody(b))
	case "breathing.stop":
		r.toPatient("breathing.stop", src, wire.Empty{})
	case "calm.now":
		r.calmAnchors()
		r.toPatient("calm.now", src, wire.CalmNow{Reason: str("reason")})
	case "hard.stop":
		r.calmAnchors()
		r.toPatient("hard.stop", src, wire.Reason{Reason: str("reason")})
	case "session.paused":
		reason := str("reason")
		if r.linkLost {
			reason = "link_lost"
		}
		r.setState(store.LivePaused, reason)
		r.broadcastState()
	case "session.resumed":
		r.setState(store.LiveLive, "")
		r.sceneAnchors()
		r.toPatient("resume", src, wire.Empty{})
		r.broadcastState()
	case "baseline.start":
		r.baseFrom = nowMs()
		r.broadcastState() // the console counts the baseline down from the state's phase
	case "baseline.end":
		r.bio.MarkBaseline(r.baseFrom, nowMs())
		r.broadcastState()
	case "cooldown.start":
		r.broadcastState()
	case "hrv.window":
		rate, _ := b["breaths_per_min"].(float64)
		r.resonanceWindow(str("state"), rate, src)
	case "session.end":
		r.end(str("reason"))
		return
	case "alert":
		if str("reason") == "connection_lost" {
			return // the room alerted link_lost already: one alert per loss
		}
		r.toConsoles(wire.Control, "alert", src, wire.Alert{Code: "session_paused", Reason: str("reason"), Fired: true,
			MessageID: "live.alert.session_paused"})
		return
	}
	r.toConsoles(wire.Control, "engine", src, wire.Engine{Kind: c.Type, Body: b})
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

func cueBody(b map[string]any) wire.Cue {
	c := wire.Cue{}
	c.SegmentID, _ = b["segment_id"].(string)
	c.Index, _ = b["index"].(int)
	c.TextKey, _ = b["text_key"].(string)
	c.DurationMs, _ = b["duration_ms"].(int64)
	c.PatientPaced, _ = b["patient_paced"].(bool)
	c.Tense, _ = b["tense"].(bool)
	return c
}

func breathingBody(b map[string]any) wire.BreathingStart {
	out := wire.BreathingStart{}
	if ph, ok := b["phases"].([]protocols.PacerPhase); ok {
		for _, p := range ph {
			out.Phases = append(out.Phases, wire.BreathPhase{Phase: p.Name, S: float64(p.Ms) / 1000})
		}
	}
	if n, ok := b["cycles"].(int); ok {
		out.Cycles = n
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
	r.svc.tl.add(event(r.id, "command", p.role, map[string]any{"type": m.Type, "seq": m.Seq, "body": m.Body}), nil)
	if !r.started {
		r.toConsoles(wire.Control, "engine", m.Seq, wire.Engine{Kind: "command.refused",
			Body: map[string]any{"command": m.Type, "reason": "patient_not_connected"}})
		return
	}
	if m.Type == "cmd.resume" && r.linkLost {
		// Resuming into a lost link would leave a live session with no headset.
		r.toConsoles(wire.Control, "engine", m.Seq, wire.Engine{Kind: "command.refused",
			Body: map[string]any{"command": m.Type, "reason": "link_lost"}})
		return
	}
	switch m.Type {
	case "cmd.suds_prompt":
		r.applyOne(protocols.Command{Type: "suds.prompt"}, m.Seq)
		return
	case "cmd.expectancy_prompt":
		r.applyOne(protocols.Command{Type: "expectancy.prompt", Body: map[string]any{"phase": m.Body.(*wire.CmdExpectancyPrompt).Phase}}, m.Seq)
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
		r.applyOne(protocols.Command{Type: "breathing.stop"}, m.Seq)
		return
	}
	// 4:6 s inhale:exhale at 6/min is the CLINICAL.md §7 default shape.
	pc := protocols.PacerForRate(b.BreathsPerMin, 0.4)
	body := breathingBody(map[string]any{"phases": pc.Phases(), "cycles": b.Cycles})
	body.DurationS = float64(pc.CycleMs()) / 1000 * float64(b.Cycles)
	r.toPatient("breathing.start", m.Seq, body)
	r.toConsoles(wire.Control, "engine", m.Seq, wire.Engine{Kind: "breathing.start", Body: toMap(body)})
}
