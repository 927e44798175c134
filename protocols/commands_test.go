package protocols

import (
	"reflect"
	"testing"

	"github.com/havenvr/haven/environments"
)

// TestTypedRoundTrip: every typed command's record reads back as the same
// value, so a room acting on Typed() acts on exactly what was recorded.
func TestTypedRoundTrip(t *testing.T) {
	t.Parallel()
	for _, c := range []Cmd{
		SceneLoad{Template: "heights", Params: environments.Params{"height_m": 12.0}, Layers: []string{"wind"}},
		SceneSet{Params: environments.Params{"height_m": 20.0}},
		SceneEvent{Event: "gust"},
		StepEnter{Index: 2, StepID: "balcony"},
		SUDSPrompt{},
		Cue{SegmentID: "s1", Index: 1, TextKey: "proto.x", DurationMs: 4000, PatientPaced: true, Tense: true},
		ExpectancyPrompt{Phase: "before", StepID: "balcony", FearedOutcomeKey: "proto.fall"},
		BreathingStart{Phases: []PacerPhase{{Name: "in", Ms: 4000}, {Name: "out", Ms: 6000}}, Cycles: 6},
		BreathingStop{},
		CalmNow{Reason: "hr_ceiling", Template: CalmTemplate},
		HardStop{Reason: "therapist_stop"},
		SessionPaused{Reason: "break_requested"},
		SessionResumed{},
		BaselineStart{}, BaselineEnd{}, CooldownStart{},
		HRVWindow{State: "start", BreathsPerMin: 5.5},
		SessionEnd{Reason: "completed"},
		Alert{Reason: "suds_halved"},
		Refused{Command: "set_params", Reason: "invalid_params", Detail: "height_m: out of range"},
		Incident{Reason: "therapist_stop"},
		SUDSEntry{SUDS: 40},
	} {
		cmd := NewCommand(1000, c)
		if cmd.Type != c.Kind() || cmd.AtMs != 1000 {
			t.Errorf("%T: command %+v", c, cmd)
		}
		if got := cmd.Typed(); !reflect.DeepEqual(got, c) {
			t.Errorf("%s: read back %#v, want %#v", c.Kind(), got, c)
		}
	}
}

// TestEngineCommandsTyped: in the recorded heights session (the replay
// golden), every command a room acts on reads as its typed value with the
// recorded fields, and kinds only recorded and shown have none.
func TestEngineCommandsTyped(t *testing.T) {
	t.Parallel()
	cmds, err := Replay(heightsSession(t))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range cmds {
		typed := c.Typed()
		switch v := typed.(type) {
		case nil:
			if c.Type == "scene.load" || c.Type == "session.end" || c.Type == "step.enter" {
				t.Fatalf("%s has no typed form", c.Type)
			}
			continue
		case SceneLoad:
			if v.Template != c.Body["template"] || !reflect.DeepEqual(v.Params, c.Body["params"]) {
				t.Fatalf("scene.load %+v from %v", v, c.Body)
			}
		case StepEnter:
			if v.StepID != c.Body["step_id"] || v.Index != c.Body["index"] {
				t.Fatalf("step.enter %+v from %v", v, c.Body)
			}
		case SessionEnd:
			if v.Reason == "" || v.Reason != c.Body["reason"] {
				t.Fatalf("session.end %+v from %v", v, c.Body)
			}
		}
		if typed.Kind() != c.Type {
			t.Fatalf("%s read as %s", c.Type, typed.Kind())
		}
		seen[c.Type] = true
	}
	for _, k := range []string{"scene.load", "scene.set", "step.enter", "suds.prompt", "calm.now", "session.paused", "session.resumed", "baseline.start", "baseline.end", "cooldown.start", "session.end", "alert"} {
		if !seen[k] {
			t.Errorf("the recorded session has no typed %s", k)
		}
	}
}
