package live

import (
	"encoding/json"
	"fmt"

	"github.com/havenvr/haven/environments"
	"github.com/havenvr/haven/protocols"
	"github.com/havenvr/haven/server/clinic"
	"github.com/havenvr/haven/server/store"
)

// buildDriver makes the engine of a session: the protocols engine for a
// protocol id, or compositionDriver for a single composition.
func (s *Service) buildDriver(sess store.LiveSession, pat clinic.PatientView, age int) (driver, error) {
	if sess.ProtocolID == "" {
		var comp environments.Composition
		if err := json.Unmarshal([]byte(sess.Composition), &comp); err != nil {
			return nil, fmt.Errorf("live: session %s composition: %w", sess.ID, err)
		}
		return &compositionDriver{cat: s.catalog, comp: comp}, nil
	}
	p, ok := s.library.Get(sess.ProtocolID)
	if !ok {
		return nil, fmt.Errorf("live: session %s: unknown protocol %q", sess.ID, sess.ProtocolID)
	}
	ep := protocols.Patient{Age: age, Flags: pat.Flagged,
		Settings: protocols.Settings{HRCeilingShare: float64(pat.HRCeilingPct) / 100}}
	if pat.ScreeningAcked {
		ep.Acknowledged = pat.Flagged
	}
	e, err := protocols.NewEngine(protocols.Config{Protocol: p, Catalog: s.catalog, Patient: ep})
	if err != nil {
		return nil, fmt.Errorf("live: engine for %s: %w", sess.ID, err)
	}
	return e, nil
}

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

func (d *compositionDriver) emit(typ string, body map[string]any) {
	d.out = append(d.out, protocols.Command{AtMs: d.now, Type: typ, Body: body})
}

// Handle implements driver.
func (d *compositionDriver) Handle(ev protocols.Event) []protocols.Command {
	d.out = nil
	if d.ended {
		if ev.Type == protocols.EvTherapist {
			d.emit("command.refused", map[string]any{"command": ev.Command, "reason": "session_ended"})
		}
		return d.out
	}
	switch ev.Type {
	case protocols.EvStart:
		d.emit("scene.load", map[string]any{"template": d.comp.Template, "params": d.comp.Params, "layers": d.comp.Layers})
	case protocols.EvTick:
		d.now += ev.ElapsedMs
	case protocols.EvSUDS:
		d.emit("timeline.suds", map[string]any{"suds": *ev.SUDS})
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
		d.emit("calm.now", map[string]any{"reason": reason, "template": protocols.CalmTemplate})
	}
	d.emit("alert", map[string]any{"reason": reason})
	if !d.paused {
		d.paused = true
		d.emit("session.paused", map[string]any{"reason": reason})
	}
}

func (d *compositionDriver) therapist(ev protocols.Event) {
	c := ev.Command
	if d.paused && (c == protocols.TSetParams || c == protocols.TFireEvent) {
		d.emit("command.refused", map[string]any{"command": c, "reason": "paused"})
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
			d.emit("command.refused", map[string]any{"command": c, "reason": "invalid_params", "detail": err.Error()})
			return
		}
		d.comp = valid
		changed := environments.Params{}
		for k := range ev.Params {
			changed[k] = valid.Params[k]
		}
		d.emit("scene.set", map[string]any{"params": changed})
	case protocols.TFireEvent:
		if t, ok := d.cat.Get(d.comp.Template); !ok || !t.HasEvent(ev.EventID) {
			d.emit("command.refused", map[string]any{"command": c, "reason": "unknown_scene_event"})
			return
		}
		d.emit("scene.event", map[string]any{"event": ev.EventID})
	case protocols.TCalmNow:
		d.pause("therapist_calm", true)
	case protocols.TPause:
		d.pause("therapist_pause", false)
	case protocols.TResume:
		if !d.paused {
			d.emit("command.refused", map[string]any{"command": c, "reason": "not_paused"})
			return
		}
		d.paused = false
		d.emit("session.resumed", nil)
		d.emit("scene.load", map[string]any{"template": d.comp.Template, "params": d.comp.Params, "layers": d.comp.Layers})
	case protocols.TStop:
		d.ended = true
		d.emit("hard.stop", map[string]any{"reason": "therapist_stop"})
		d.emit("incident", map[string]any{"reason": "therapist_stop"})
		d.emit("session.end", map[string]any{"reason": "hard_stop"})
	case protocols.TEnd:
		d.ended = true
		d.emit("session.end", map[string]any{"reason": "therapist_end"})
	default:
		d.emit("command.refused", map[string]any{"command": c, "reason": "not_in_protocol"})
	}
}
