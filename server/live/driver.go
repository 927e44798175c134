package live

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/havenvr/haven/environments"
	"github.com/havenvr/haven/protocols"
	"github.com/havenvr/haven/server/alertrules"
	"github.com/havenvr/haven/server/biosignal"
	"github.com/havenvr/haven/server/clinic"
	"github.com/havenvr/haven/server/store"
)

// runner is what a room runs: its driver, the protocol (nil for a single
// composition) and the effective safety settings.
type runner struct {
	drv   driver
	proto *protocols.Protocol
	set   protocols.Settings
}

// buildRunner makes the engine of a session — the protocols engine for its
// protocol, or compositionDriver for a single composition. ceilingPct is the
// patient's own heart-rate ceiling (0: none, so the protocol's or the
// default applies).
func (s *Service) buildRunner(ctx context.Context, sess store.LiveSession, pat clinic.PatientView, ceilingPct, age int) (runner, error) {
	patient := clinic.CeilingSettings(pat, ceilingPct)
	if sess.ProtocolID == "" {
		var comp environments.Composition
		if err := json.Unmarshal([]byte(sess.Composition), &comp); err != nil {
			return runner{}, fmt.Errorf("live: session %s composition: %w", sess.ID, err)
		}
		return runner{drv: &compositionDriver{cat: s.catalog, comp: comp}, set: protocols.Settings{}.Merge(patient).Defaults()}, nil
	}
	p, err := s.sessionProtocol(ctx, sess)
	if err != nil {
		return runner{}, err
	}
	ep := protocols.Patient{Age: age, Flags: pat.Flagged, Settings: patient}
	if pat.ScreeningAcked {
		ep.Acknowledged = pat.Flagged
	}
	e, err := protocols.NewEngine(protocols.Config{Protocol: p, Catalog: s.catalog, Patient: ep})
	if err != nil {
		return runner{}, fmt.Errorf("live: engine for %s: %w", sess.ID, err)
	}
	return runner{drv: e, proto: p, set: e.Settings()}, nil
}

// sessionProtocol is the protocol document the session was scheduled with.
// Sessions stored before documents were kept (schema step 9) name a library
// protocol, whose only revision never changes.
func (s *Service) sessionProtocol(ctx context.Context, sess store.LiveSession) (*protocols.Protocol, error) {
	if sess.Protocol == "" {
		res, err := s.opts.Resolve.ResolveProtocol(ctx, sess.ClinicID, sess.ProtocolID, 0)
		if err != nil {
			return nil, fmt.Errorf("live: session %s: protocol %q: %w", sess.ID, sess.ProtocolID, err)
		}
		return res.Protocol, nil
	}
	p, err := protocols.Decode([]byte(sess.Protocol))
	if err != nil {
		return nil, fmt.Errorf("live: session %s protocol: %w", sess.ID, err)
	}
	return p, nil
}

// alertRules are a session's biosignal alert rules: the defaults, with the
// heart-rate ceiling taken from the engine's effective settings, so that the
// evaluator fires exactly when the engine's soft-pause rule holds (share,
// sustain and off switch of the protocol, then the patient).
func alertRules(set protocols.Settings) []biosignal.AlertRule { return alertrules.Rules(set) }

// compositionDriver runs a session on one composition without a ladder: the
// therapist changes parameters and fires events directly; pauses, calm and
// stops behave as in a protocol (escalation refused while paused).
type compositionDriver struct {
	cat    *environments.Catalog
	comp   environments.Composition
	paused bool
	ended  bool
	now    int64
	out    []protocols.Command
}

func (d *compositionDriver) emit(c protocols.Cmd) {
	d.out = append(d.out, protocols.NewCommand(d.now, c))
}

// load is the composition's scene as it now stands.
func (d *compositionDriver) load() protocols.SceneLoad {
	layers := d.comp.Layers // a copy: a later parameter change replaces d.comp
	return protocols.SceneLoad{Template: d.comp.Template, Params: d.comp.Params, Layers: &layers}
}

// Handle implements driver.
func (d *compositionDriver) Handle(ev protocols.Event) []protocols.Command {
	d.out = nil
	if d.ended {
		if ev.Type == protocols.EvTherapist {
			d.emit(protocols.Refused{Command: ev.Command, Reason: "session_ended"})
		}
		return d.out
	}
	switch ev.Type {
	case protocols.EvStart:
		d.emit(d.load())
	case protocols.EvTick:
		d.now += ev.ElapsedMs
	case protocols.EvSUDS:
		d.emit(protocols.SUDSEntry{SUDS: *ev.SUDS})
	case protocols.EvBreak:
		d.pause("break_requested", true)
	case protocols.EvConnLost:
		d.pause("connection_lost", false)
	case protocols.EvAlert:
		if ev.Alert == protocols.AlertHRCeiling {
			d.pause("hr_ceiling", true)
		}
	case protocols.EvTherapist:
		d.therapist(ev)
	}
	return d.out
}

func (d *compositionDriver) pause(reason string, calm bool) {
	if calm {
		d.emit(protocols.CalmNow{Reason: reason, Template: protocols.CalmTemplate})
	}
	d.emit(protocols.Alert{Reason: reason})
	if !d.paused {
		d.paused = true
		d.emit(protocols.SessionPaused{Reason: reason})
	}
}

func (d *compositionDriver) therapist(ev protocols.Event) {
	c := ev.Command
	if d.paused && (c == protocols.TSetParams || c == protocols.TFireEvent) {
		d.emit(protocols.Refused{Command: c, Reason: "paused"})
		return
	}
	switch c {
	case protocols.TSetParams:
		next := d.comp
		next.Params = environments.Params{}
		for k, v := range d.comp.Params {
			next.Params[k] = v
		}
		for k, v := range ev.Params {
			next.Params[k] = v
		}
		valid, err := next.Validate(d.cat)
		if err != nil {
			d.emit(protocols.Refused{Command: c, Reason: "invalid_params", Detail: err.Error()})
			return
		}
		d.comp = valid
		changed := environments.Params{}
		for k := range ev.Params {
			changed[k] = valid.Params[k]
		}
		d.emit(protocols.SceneSet{Params: changed})
	case protocols.TFireEvent:
		if t, ok := d.cat.Get(d.comp.Template); !ok || !t.HasEvent(ev.EventID) {
			d.emit(protocols.Refused{Command: c, Reason: "unknown_scene_event"})
			return
		}
		d.emit(protocols.SceneEvent{Event: ev.EventID})
	case protocols.TCalmNow:
		d.pause("therapist_calm", true)
	case protocols.TPause:
		d.pause("therapist_pause", false)
	case protocols.TResume:
		if !d.paused {
			d.emit(protocols.Refused{Command: c, Reason: "not_paused"})
			return
		}
		d.paused = false
		d.emit(protocols.SessionResumed{})
		d.emit(d.load())
	case protocols.TStop:
		d.ended = true
		d.emit(protocols.HardStop{Reason: "therapist_stop"})
		d.emit(protocols.Incident{Reason: "therapist_stop"})
		d.emit(protocols.SessionEnd{Reason: "hard_stop"})
	case protocols.TEnd:
		d.ended = true
		d.emit(protocols.SessionEnd{Reason: "therapist_end"})
	default:
		d.emit(protocols.Refused{Command: c, Reason: "not_in_protocol"})
	}
}

// inputKind is the timeline kind of an engine input. A session's inputs in
// timeline order are an event log (docs/domain.md §4) that
// protocols.Replay, or `haven protocols simulate`, turns back into exactly
// the commands recorded as engine.* events.
const inputKind = "engine.input"

// feed hands ev to the session's driver and records it. Ticks that change
// nothing are not recorded one by one (four a second per session would
// bloat the timeline): their time is carried into the next recorded input,
// which replays identically because the engine's state depends on elapsed
// time, not on how it was sliced. Composition sessions have no engine to
// replay and record no inputs.
func (r *room) feed(ev protocols.Event) []protocols.Command {
	if r.proto == nil {
		return r.drv.Handle(ev)
	}
	if ev.Type == protocols.EvTick {
		out := r.drv.Handle(ev)
		r.tickMs += ev.ElapsedMs
		if len(out) > 0 {
			r.record(protocols.Event{Type: protocols.EvTick, ElapsedMs: r.tickMs})
			r.tickMs = 0
		}
		return out
	}
	if r.tickMs > 0 {
		r.record(protocols.Event{Type: protocols.EvTick, ElapsedMs: r.tickMs})
		r.tickMs = 0
	}
	r.record(ev)
	return r.drv.Handle(ev)
}

func (r *room) record(ev protocols.Event) {
	r.svc.tl.add(event(r.id, inputKind, "engine", ev), nil)
}

// exposureKind is the timeline event in which the engine records a
// session's time in exposure steps when it ends.
const exposureKind = "engine.timeline.exposure"

// priorExposure is the patient's exposure time in their most recent other
// session that recorded one (0: none yet).
func (s *Service) priorExposure(ctx context.Context, sess store.LiveSession) (int64, error) {
	var rows []store.TimelineEvent
	err := s.opts.Store.DB.WithContext(ctx).Model(&store.TimelineEvent{}).
		Joins("JOIN live_sessions ON live_sessions.id = timeline_events.session_id").
		Where("live_sessions.patient_id = ? AND live_sessions.id <> ? AND timeline_events.kind = ?", sess.PatientID, sess.ID, exposureKind).
		Order("timeline_events.at DESC").Limit(1).Find(&rows).Error
	if err != nil {
		return 0, fmt.Errorf("live: reading the patient's last exposure: %w", err)
	}
	if len(rows) == 0 {
		return 0, nil
	}
	var b struct {
		ExposedMs int64 `json:"exposed_ms"`
	}
	if err := json.Unmarshal([]byte(rows[0].Body), &b); err != nil {
		return 0, fmt.Errorf("live: the patient's last exposure: %w", err)
	}
	return b.ExposedMs, nil
}
