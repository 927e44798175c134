package protocols

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/havenvr/haven/environments"
)

// allCmds is one value of every typed output, every field set.
func allCmds() []Cmd {
	s, n, i, f := "s", int64(1), 1, 1.5
	return []Cmd{
		SessionStarted{ExposureBudgetMs: 1, ProtocolKind: "k", Mode: "m", Protocol: "p", ProtocolHash: "h"},
		SceneLoad{Layers: &environments.Layers{TimeOfDay: "dusk"}, Params: environments.Params{"a": 1}, Reason: "r", StepID: "s", Template: "t"},
		SceneSet{Params: environments.Params{"a": 1}, StepID: "s"},
		SceneEvent{Event: "e", StepID: "s"},
		StepEnter{ExpectedSUDS: 1, Index: 1, Intensity: 1, SafetyBehaviours: []string{"x"}, StepID: "s"},
		StepExit{DwellMs: 1, LastSUDS: 1, PeakSUDS: 1, StepID: "s"},
		StepPending{Reason: "r", StepID: "s"},
		SUDSPrompt{Reason: "r", StepID: "s"},
		Cue{DurationMs: 1, Index: 1, PatientPaced: true, SegmentID: "s", Tense: true, TextKey: "k"},
		ExpectancyPrompt{ExpectedLikelihood: &i, FearedOutcomeKey: "k", Phase: "p", StepID: "s"},
		BreathingStart{BreathsPerMin: 1, CycleMs: 1, Cycles: 1, Phases: []PacerPhase{{Name: "in", Ms: 1}}, SegmentID: "s"},
		BreathingStop{Reason: "r", SegmentID: "s"},
		CalmNow{Params: environments.Params{"a": 1}, Reason: "r", Template: "t"},
		HardStop{FadeMs: 1, Reason: "r", Template: "t", TextKey: "k"},
		Incident{Phase: "p", Reason: "r", Step: &s},
		SessionPaused{Count: 1, Reason: "r"},
		SessionResumed{PausedMs: &n},
		BaselineStart{DurationMs: 1},
		BaselineEnd{},
		CooldownStart{DurationMs: 1, Reason: "r"},
		HRVWindow{BreathsPerMin: 1, SegmentID: "s", State: "start"},
		SessionEnd{Reason: "r"},
		Alert{Count: 1, Reason: "r"},
		Refused{Command: "c", Detail: "d", Reason: "r"},
		Rejected{Reason: "r", Type: "t"},
		Suggest{Action: "a", Level: &i, Reason: "r", StepID: "s"},
		DecisionRequired{DwellMs: 1, Reason: "r", StepID: "s"},
		ExposureBlocked{Flags: []string{"f"}, Reason: "r"},
		SUDSEntry{Phase: "p", StepID: &s, SUDS: 1},
		NoteEntry{Note: "n", StepID: &s},
		DecisionEntry{Action: "a", StepID: "s"},
		ConnectionEntry{State: "lost"},
		ExposureEntry{ExposedMs: 1},
		BudgetEntry{BudgetMs: 1, ExposedMs: 1},
		ScreeningAck{Flags: []string{"f"}},
		UnansweredEntry{Count: 1, Limit: 1, StepID: "s"},
		FearLevelEntry{Level: 1, StepID: "s"},
		AlertEntry{Alert: "a", Ceiling: "share", CeilingBPM: &f, CeilingReason: "r", CeilingShare: &f, SustainedMs: 1, Threshold: &f, Value: &f},
		QuestionnaireEntry{Entered: true, Questionnaire: "q", Scores: Scores{Disorientation: &f, Nausea: &f, Oculomotor: &f, Total: 1}},
		ExpectancyEntry{Likelihood: 1, Phase: "p", PredictionError: &i, StepID: "s"},
	}
}

// TestRecordKeysSorted: every typed output writes its fields, and those of
// its nested objects, in sorted key order — the order of the maps the
// records were written from before the engine's output was typed — so
// stored sessions and the replay golden keep their bytes. Every field is
// written once all are set, and every kind is distinct.
func TestRecordKeysSorted(t *testing.T) {
	t.Parallel()
	kinds := map[string]bool{}
	for _, c := range allCmds() {
		if kinds[c.Kind()] {
			t.Errorf("kind %s twice", c.Kind())
		}
		kinds[c.Kind()] = true
		cmd := NewCommand(7, c)
		rec, err := cmd.Record()
		if err != nil {
			t.Fatal(err)
		}
		if _, empty := c.(BaselineEnd); empty != (rec == nil) {
			t.Errorf("%s: record %s", c.Kind(), rec)
		}
		if rec != nil {
			checkSorted(t, c.Kind(), rec)
		}
		if n := reflect.TypeOf(c).NumField(); rec != nil && n != len(record(cmd)) {
			t.Errorf("%s: %d fields, %d written: %s", c.Kind(), n, len(record(cmd)), rec)
		}
	}
}

// checkSorted fails on a JSON object whose keys are not in sorted order,
// and looks into the nested objects that were maps too (a questionnaire's
// scores); values of other Go types (layers, pacer phases) were encoded as
// themselves before as now.
func checkSorted(t *testing.T, kind string, raw json.RawMessage) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	var keys []string
	dec.Token() // {
	for dec.More() {
		k, _ := dec.Token()
		keys = append(keys, k.(string))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		if k == "scores" {
			checkSorted(t, kind+".scores", v)
		}
	}
	if !slices.IsSorted(keys) {
		t.Errorf("%s: keys %v not sorted", kind, keys)
	}
}

// TestCommandLine: a command is written as at_ms, type and body, and one
// that carries nothing has no body — as the event log format documents
// (docs/domain.md §4).
func TestCommandLine(t *testing.T) {
	t.Parallel()
	for c, want := range map[Cmd]string{
		SessionEnd{Reason: "completed"}: `{"at_ms":5,"type":"session.end","body":{"reason":"completed"}}`,
		BaselineEnd{}:                   `{"at_ms":5,"type":"baseline.end"}`,
		SUDSPrompt{}:                    `{"at_ms":5,"type":"suds.prompt"}`,
		SessionResumed{}:                `{"at_ms":5,"type":"session.resumed"}`,
	} {
		b, err := json.Marshal(NewCommand(5, c))
		if err != nil || string(b) != want {
			t.Errorf("%s: %s (%v), want %s", c.Kind(), b, err, want)
		}
	}
	zero := int64(0)
	if b, _ := json.Marshal(NewCommand(5, SessionResumed{PausedMs: &zero})); string(b) != `{"at_ms":5,"type":"session.resumed","body":{"paused_ms":0}}` {
		t.Errorf("a pause of 0 ms is not written: %s", b)
	}
}

// TestEngineCommandsTyped: in the recorded heights session (the replay
// golden), every command carries the typed value of its kind.
func TestEngineCommandsTyped(t *testing.T) {
	t.Parallel()
	cmds, err := Replay(heightsSession(t))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range cmds {
		if c.Body == nil || c.Body.Kind() != c.Type {
			t.Fatalf("%s carries %#v", c.Type, c.Body)
		}
		seen[c.Type] = true
	}
	for _, k := range []string{"scene.load", "scene.set", "step.enter", "suds.prompt", "calm.now", "session.paused", "session.resumed", "baseline.start", "baseline.end", "cooldown.start", "session.end", "alert"} {
		if !seen[k] {
			t.Errorf("the recorded session has no %s", k)
		}
	}
}
