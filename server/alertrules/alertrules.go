// Package alertrules joins the protocol engine's settings and the biosignal
// alert evaluator: Rules are the alert rules a session runs (the heart-rate
// ceiling taken from the engine's effective settings, so the evaluator fires
// exactly when the engine's soft-pause rule holds), and Simulate replays an
// event log whose biosignal inputs run through those rules. The live server
// and `haven protocols simulate` both use it; the domain package protocols
// stays free of server/ imports.
package alertrules

import (
	"github.com/havenvr/haven/protocols"
	"github.com/havenvr/haven/server/biosignal"
)

// Rules are the biosignal alert rules of a session with these (effective)
// settings: the defaults, with the heart-rate ceiling from the settings —
// off, a share of 220 − age (hr_max_share) or an absolute bpm (hr_above).
func Rules(s protocols.Settings) []biosignal.AlertRule {
	rules := biosignal.DefaultAlertRules()
	for i := range rules {
		if rules[i].Code != protocols.AlertHRCeiling {
			continue
		}
		rules[i].Share, rules[i].ForS, rules[i].Off = s.HRCeilingShare, float64(s.HRCeilingSustainS), s.HRCeilingOff
		if s.HRCeilingBPM > 0 {
			rules[i].Kind, rules[i].Share, rules[i].BPM = biosignal.AlertHRAbove, 0, s.HRCeilingBPM
		}
	}
	return rules
}

// alertInputKinds are the alert rules an event log can replay: those whose
// inputs a biosignal.metrics event carries. contact_lost and no_data depend
// on sample times and sensor flags, which a log does not carry; a live log
// has their alerts recorded as biosignal.alert events instead.
var alertInputKinds = map[biosignal.AlertKind]bool{
	biosignal.AlertHRMax: true, biosignal.AlertHRAbove: true, biosignal.AlertHRZ: true, biosignal.AlertEDAZ: true,
}

// EvalStepMs is how often Simulate evaluates the alert rules: once a
// second, as the live server does.
const EvalStepMs = 1000

// Simulate is Replay for event logs that carry the biosignal inputs of the
// alert rules (biosignal.metrics events with hr_bpm or eda_z; from the
// first such event on, hr_z too). It
// evaluates the session's alert rules (Rules with the
// patient's age — what the live server runs) on the latest inputs once a
// second of engine time and hands the engine each alert as it fires, as a
// biosignal.alert event with its value and threshold. A log without such
// inputs replays exactly as with protocols.Replay (ticks are only cut into
// second-long pieces, which the engine does not see: TestTickSlicing).
func Simulate(cfg protocols.Config, events []protocols.Event) ([]protocols.Command, error) {
	e, err := protocols.NewEngine(cfg)
	if err != nil {
		return nil, err
	}
	var rules []biosignal.AlertRule
	for _, r := range Rules(e.Settings()) {
		if alertInputKinds[r.Kind] {
			rules = append(rules, r)
		}
	}
	// The rules are valid by construction (Settings are checked); an
	// evaluator error would only name a rule it left out.
	eval, _ := biosignal.NewEvaluator(rules, cfg.Patient.Age)
	var (
		out    []protocols.Command
		now    int64
		latest biosignal.Metrics
		inputs bool // a metrics event has carried alert inputs
	)
	step := func(ms int64) {
		out = append(out, e.Handle(protocols.Event{Type: protocols.EvTick, ElapsedMs: ms})...)
		now += ms
		if !inputs {
			return
		}
		for _, a := range eval.Evaluate(now, latest) {
			if !a.Fired {
				continue
			}
			v, th := a.Value, a.Threshold
			out = append(out, e.Handle(protocols.Event{Type: protocols.EvAlert, Alert: a.Code, SustainedMs: a.T - a.Since, Value: &v, Threshold: &th})...)
		}
	}
	for _, ev := range events {
		if ev.Type == protocols.EvTick && ev.ElapsedMs > 0 && ev.ElapsedMs <= protocols.MaxTickMs {
			for left := ev.ElapsedMs; left > 0; {
				d := min(left, EvalStepMs-now%EvalStepMs)
				step(d)
				left -= d
			}
			continue
		}
		// hr_bpm or eda_z mark a log written for replay: a live log carries
		// hr_z for the adaptive level only, with its alerts recorded as such.
		if m := ev.Metrics; ev.Type == protocols.EvMetrics && m != nil && (m.HR != nil || m.EDAZ != nil || inputs) {
			inputs = true
			latest = biosignal.Metrics{HR: m.HR, HRZ: m.HRZ, EDAZ: m.EDAZ}
		}
		out = append(out, e.Handle(ev)...)
	}
	return out, nil
}
