package protocols

import "github.com/havenvr/haven/server/biosignal"

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
// evaluates the session's alert rules (Settings.AlertRules with the
// patient's age — what the live server runs) on the latest inputs once a
// second of engine time and hands the engine each alert as it fires, as a
// biosignal.alert event with its value and threshold. A log without such
// inputs replays exactly as with Replay (ticks are only cut into
// second-long pieces, which the engine does not see: TestTickSlicing).
func Simulate(cfg Config, events []Event) ([]Command, error) {
	e, err := NewEngine(cfg)
	if err != nil {
		return nil, err
	}
	var rules []biosignal.AlertRule
	for _, r := range e.Settings().AlertRules() {
		if alertInputKinds[r.Kind] {
			rules = append(rules, r)
		}
	}
	// The rules are valid by construction (Settings are checked); an
	// evaluator error would only name a rule it left out.
	eval, _ := biosignal.NewEvaluator(rules, cfg.Patient.Age)
	var (
		out    []Command
		now    int64
		latest biosignal.Metrics
		inputs bool // a metrics event has carried alert inputs
	)
	step := func(ms int64) {
		out = append(out, e.Handle(Event{Type: EvTick, ElapsedMs: ms})...)
		now += ms
		if !inputs {
			return
		}
		for _, a := range eval.Evaluate(now, latest) {
			if !a.Fired {
				continue
			}
			v, th := a.Value, a.Threshold
			out = append(out, e.Handle(Event{Type: EvAlert, Alert: a.Code, SustainedMs: a.T - a.Since, Value: &v, Threshold: &th})...)
		}
	}
	for _, ev := range events {
		if ev.Type == EvTick && ev.ElapsedMs > 0 && ev.ElapsedMs <= MaxTickMs {
			for left := ev.ElapsedMs; left > 0; {
				d := min(left, EvalStepMs-now%EvalStepMs)
				step(d)
				left -= d
			}
			continue
		}
		// hr_bpm or eda_z mark a log written for replay: a live log carries
		// hr_z for the adaptive level only, with its alerts recorded as such.
		if m := ev.Metrics; ev.Type == EvMetrics && m != nil && (m.HR != nil || m.EDAZ != nil || inputs) {
			inputs = true
			latest = biosignal.Metrics{HR: m.HR, HRZ: m.HRZ, EDAZ: m.EDAZ}
		}
		out = append(out, e.Handle(ev)...)
	}
	return out, nil
}
