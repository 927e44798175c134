package alertrules

import (
	"reflect"
	"slices"
	"testing"

	"github.com/havenvr/haven/environments"
	"github.com/havenvr/haven/protocols"
	"github.com/havenvr/haven/server/biosignal"
)

const minute = 60_000

func fp(v float64) *float64 { return &v }
func ip(v int) *int         { return &v }

func tick(ms int64) protocols.Event { return protocols.Event{Type: protocols.EvTick, ElapsedMs: ms} }
func hr(v float64) protocols.Event {
	return protocols.Event{Type: protocols.EvMetrics, Metrics: &protocols.Metrics{HR: fp(v)}}
}

func find(cmds []protocols.Command, typ string) []protocols.Command {
	var out []protocols.Command
	for _, c := range cmds {
		if c.Type == typ {
			out = append(out, c)
		}
	}
	return out
}

func config(t *testing.T, pat protocols.Patient) protocols.Config {
	t.Helper()
	cat, err := environments.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	lib, err := protocols.BuiltinLibrary(cat)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := lib.Get("heights_ladder")
	return protocols.Config{Protocol: p, Catalog: cat, Patient: pat}
}

// TestRulesFollowTheCeiling: the evaluator watches the ceiling the engine
// would pause on — a share of 220 − age, an absolute bpm, or nothing when
// off (CLINICAL.md §5).
func TestRulesFollowTheCeiling(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name     string
		protocol protocols.Settings
		patient  protocols.Settings
		kind     biosignal.AlertKind
		share    float64
		bpm      float64
		off      bool
	}{
		{"default share", protocols.Settings{}, protocols.Settings{}, biosignal.AlertHRMax, 0.85, 0, false},
		{"patient bpm", protocols.Settings{HRCeilingShare: 0.9}, protocols.Settings{HRCeilingBPM: 110, HRCeilingReason: "beta-blockers"}, biosignal.AlertHRAbove, 0, 110, false},
		{"patient off", protocols.Settings{}, protocols.Settings{HRCeilingOff: true, HRCeilingReason: "pacemaker"}, biosignal.AlertHRMax, 0.85, 0, true},
		{"protocol off stays off", protocols.Settings{HRCeilingOff: true}, protocols.Settings{HRCeilingShare: 0.8}, biosignal.AlertHRMax, 0.8, 0, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rules := Rules(c.protocol.Merge(c.patient).Defaults())
			i := slices.IndexFunc(rules, func(r biosignal.AlertRule) bool { return r.Code == protocols.AlertHRCeiling })
			if i < 0 {
				t.Fatal("no hr_ceiling rule")
			}
			r := rules[i]
			if r.Kind != c.kind || r.Share != c.share || r.BPM != c.bpm || r.Off != c.off || r.ForS != 20 {
				t.Fatalf("rule %+v", r)
			}
			if _, err := biosignal.NewEvaluator(rules, 40); err != nil {
				t.Fatalf("rules rejected: %v", err)
			}
		})
	}
}

// Replaying raw HR: a log that carries the alert rules' inputs gives the
// same HR-ceiling decision as the live rule — 85 % × (220 − 40) = 153 bpm
// held 20 s (CLINICAL.md §5) — and follows the patient's own ceiling. As
// live, the rules are evaluated once a second, so an input counts from the
// next whole second after it arrives.
func TestSimulateReplaysHRCeiling(t *testing.T) {
	t.Parallel()
	log := []protocols.Event{{Type: protocols.EvStart}, tick(3 * minute), {Type: protocols.EvTherapist, Command: protocols.TAdvance}, {Type: protocols.EvSUDS, SUDS: ip(40)}, hr(150), tick(10_000), hr(160), tick(19_000)}
	cases := []struct {
		name    string
		patient protocols.Settings
		pauseAt int64 // 0: no pause
	}{
		{"default ceiling 153: 160 bpm held 19 s, no pause yet", protocols.Settings{}, 0},
		{"patient bpm 140 (beta-blockers): 150 bpm from the start, 20 s", protocols.Settings{HRCeilingBPM: 140, HRCeilingReason: "beta-blockers"}, 3*minute + 1000 + 20_000},
		{"patient off (pacemaker)", protocols.Settings{HRCeilingOff: true, HRCeilingReason: "pacemaker"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg := config(t, protocols.Patient{Age: 40, Settings: c.patient})
			out, err := Simulate(cfg, log)
			if err != nil {
				t.Fatal(err)
			}
			p := find(out, "session.paused")
			if c.pauseAt == 0 {
				if len(p) != 0 {
					t.Fatalf("paused: %v", p)
				}
				return
			}
			if len(p) != 1 || p[0].Body.(protocols.SessionPaused).Reason != "hr_ceiling" || p[0].AtMs != c.pauseAt {
				t.Fatalf("pause %v, want hr_ceiling at %d", p, c.pauseAt)
			}
			a := find(out, "timeline.alert")
			if len(a) != 1 {
				t.Fatalf("alerts %v", a)
			}
			if e := a[0].Body.(protocols.AlertEntry); e.CeilingBPM == nil || *e.CeilingBPM != 140 || e.Ceiling != "bpm" || e.Value == nil || *e.Value != 160 ||
				e.Threshold == nil || *e.Threshold != 140 || e.CeilingReason != "beta-blockers" {
				t.Fatalf("alert %v", a)
			}
		})
	}
	// Two more seconds at 160 bpm cross the default ceiling's 20 s.
	cfg := config(t, protocols.Patient{Age: 40})
	out, _ := Simulate(cfg, append(slices.Clone(log), tick(2000)))
	if p := find(out, "session.paused"); len(p) != 1 || p[0].AtMs != 3*minute+10_000+1000+20_000 {
		t.Fatalf("default ceiling: %v", p)
	}
	// A log without alert inputs replays as Replay does.
	plain := []protocols.Event{{Type: protocols.EvStart}, tick(3 * minute), {Type: protocols.EvTherapist, Command: protocols.TAdvance}, {Type: protocols.EvSUDS, SUDS: ip(40)}, tick(7 * minute), {Type: protocols.EvSUDS, SUDS: ip(20)}}
	a, _ := Simulate(cfg, plain)
	b, _ := protocols.Replay(cfg, plain)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("Simulate differs from Replay on a log without alert inputs")
	}
}
