package protocols

import (
	"slices"
	"strings"
	"testing"
)

// CLINICAL.md §2 (habituation): SUDS every N minutes (default 5,
// configurable), at step entry and exit, and on every parameter change.
func TestSUDSPromptCadence(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		interval int
		after    int64
		want     int
	}{
		{"default 5 min, at 4:59 only entry prompt", 0, 5*minute - 1, 1},
		{"default 5 min, at 5:00 second prompt", 0, 5 * minute, 2},
		{"2 min interval, 6 min → 4 prompts", 2, 6 * minute, 4},
		{"15 min interval", 15, 14 * minute, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t, proto(t, "heights_ladder", "", Settings{SUDSIntervalMin: c.interval, SUDSAnswerS: 600}), Patient{})
			out := s.toStep1()
			for ms := int64(0); ms < c.after; {
				step := min(int64(30_000), c.after-ms)
				out = append(out, s.in(tick(step), suds(50))...)
				ms += step
			}
			if got := len(find(out, "suds.prompt")); got != c.want {
				t.Fatalf("prompts = %d, want %d", got, c.want)
			}
		})
	}
	t.Run("entry, param change and exit", func(t *testing.T) {
		t.Parallel()
		s := newSession(t, proto(t, "heights_ladder", "", Settings{}), Patient{})
		out := s.toStep1()
		out = append(out, s.in(suds(40), Event{Type: EvTherapist, Command: TSetParams, Params: map[string]any{"wind": 0.5}}, suds(45), cmd(TAdvance))...)
		var reasons []string
		for _, c := range find(out, "suds.prompt") {
			reasons = append(reasons, c.Body.(SUDSPrompt).Reason)
		}
		want := []string{"step_entry", "param_change", "step_exit", "step_entry"}
		if !slices.Equal(reasons, want) {
			t.Fatalf("prompt reasons %v, want %v", reasons, want)
		}
		if !has(out, "scene.set") {
			t.Fatal("no scene.set for the parameter change")
		}
	})
}

// §2: advance suggested only when SUDS ≤ 50 % of the step's peak AND dwell ≥
// min dwell (default 5 min); both are configurable.
func TestHabituationAdvanceRule(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		s          Settings
		peak, last int
		dwell      int64
		want       string
	}{
		{"halved after 5 min", Settings{}, 80, 40, 5 * minute, "advance/suds_halved"},
		{"halved but dwell short", Settings{}, 80, 40, 4 * minute, "stay/dwell_short"},
		{"41 of 80 is not halved", Settings{}, 80, 41, 10 * minute, "stay/suds_not_halved"},
		{"min dwell 2 min", Settings{MinDwellMin: 2}, 60, 30, 2 * minute, "advance/suds_halved"},
		{"ratio 0.3", Settings{AdvanceRatio: 0.3}, 80, 30, 6 * minute, "stay/suds_not_halved"},
		{"ratio 0.3 met", Settings{AdvanceRatio: 0.3}, 80, 24, 6 * minute, "advance/suds_halved"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.s.SUDSAnswerS = 600
			c.s.SUDSIntervalMin = 15
			c.s.FirstExposureMin = 60 // the §2 rule alone, not the cybersickness budget
			s := newSession(t, proto(t, "heights_ladder", "", c.s), Patient{})
			s.toStep1()
			out := s.in(suds(c.peak), tick(c.dwell), suds(c.last))
			got := suggestions(out)
			if len(got) == 0 || got[len(got)-1] != c.want {
				t.Fatalf("suggestions %v, want last %s", got, c.want)
			}
			if has(out, "step.enter") {
				t.Fatal("the engine escalated by itself")
			}
		})
	}
}

// §2: at max dwell (default 30 min, configurable) the therapist decides.
func TestMaxDwellDecision(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		max   float64
		at    int64
		fired bool
	}{{0, 29 * minute, false}, {0, 30 * minute, true}, {45, 44 * minute, false}, {45, 45 * minute, true}} {
		s := newSession(t, proto(t, "heights_ladder", "", Settings{MaxDwellMin: c.max, SUDSAnswerS: 600, SUDSIntervalMin: 15}), Patient{})
		out := s.toStep1()
		out = append(out, s.in(suds(70))...)
		for ms := int64(0); ms < c.at; ms += minute {
			out = append(out, s.in(tick(minute), suds(70))...)
		}
		if got := has(out, "decision.required", "reason", "max_dwell"); got != c.fired {
			t.Errorf("max %v at %d ms: decision %v, want %v", c.max, c.at, got, c.fired)
		}
	}
}

// §2: step back one item at SUDS ≥ 90 (default threshold) or a break request.
func TestStepBackRule(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		s    Settings
		ev   Event
		want string
	}{
		{"SUDS 90", Settings{}, suds(90), "step_back/suds_high"},
		{"SUDS 89 stays", Settings{}, suds(89), "stay/dwell_short"},
		{"threshold 80", Settings{StepBackSUDS: 80}, suds(80), "step_back/suds_high"},
		{"break request", Settings{}, Event{Type: EvBreak}, "step_back/break_requested"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t, proto(t, "heights_ladder", "", c.s), Patient{})
			s.toStep1()
			s.in(suds(50), cmd(TAdvance))
			out := s.in(c.ev)
			if got := suggestions(out); !slices.Contains(got, c.want) {
				t.Fatalf("suggestions %v, want %s", got, c.want)
			}
		})
	}
	t.Run("therapist step back enters the lower step", func(t *testing.T) {
		t.Parallel()
		s := newSession(t, proto(t, "heights_ladder", "", Settings{}), Patient{})
		s.toStep1()
		s.in(cmd(TAdvance))
		out := s.in(cmd(TStepBack))
		if !has(out, "step.enter", "step_id", "step_01") {
			t.Fatalf("step back did not enter step_01: %v", out)
		}
	})
}

// Only a therapist command escalates exposure: in habituation the engine
// suggests, and out-of-order jumps are refused.
func TestOnlyTherapistEscalates(t *testing.T) {
	t.Parallel()
	s := newSession(t, proto(t, "heights_ladder", "", Settings{MinDwellMin: 1}), Patient{})
	out := s.in(start(), tick(3*minute))
	if !has(out, "suggest", "action", TAdvance, "reason", "baseline_done") || has(out, "step.enter") {
		t.Fatalf("baseline end must suggest, not enter: %v", out)
	}
	out = s.in(cmd(TAdvance), suds(80))
	for i := 0; i < 120; i++ {
		out = append(out, s.in(tick(30_000), suds(10))...)
	}
	if n := len(find(out, "step.enter")); n != 1 {
		t.Fatalf("%d step entries with one therapist advance", n)
	}
	if !has(out, "suggest", "action", TAdvance, "reason", "suds_halved") {
		t.Fatal("no advance suggestion")
	}
	out = s.in(Event{Type: EvTherapist, Command: TAdvance, StepID: "step_05"})
	if !has(out, "command.refused", "reason", "out_of_order_habituation") {
		t.Fatalf("habituation allowed an out-of-order jump: %v", out)
	}
}

// §2 inhibitory learning (Craske et al. 2014): SUDS never gates; the tested
// expectancy ends the trial and its prediction error is stored; the next item
// may be out of order and the context swapped.
func TestInhibitoryMode(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		sudsSeq []int
	}{{"SUDS stays at 100", []int{100, 100, 100}}, {"SUDS rises", []int{30, 60, 95}}, {"SUDS falls", []int{80, 40, 10}}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t, proto(t, "public_speaking_ladder", "", Settings{}), Patient{})
			out := s.toStep1()
			if !has(out, "expectancy.prompt", "phase", "before") {
				t.Fatal("no expectancy prompt at step entry")
			}
			out = s.in(expect("before", 80))
			for _, v := range c.sudsSeq {
				out = append(out, s.in(suds(v), tick(2*minute))...)
			}
			// SUDS never gates progression here; the only suggestion a
			// rating can bring is the safety rule of both models (SUDS ≥ 90
			// → calm on the lowest step; CLINICAL.md §5 "apply in both
			// progression models"), and never a reason to stay.
			for _, g := range suggestions(out) {
				if g != "calm_now/suds_high_lowest_step" {
					t.Fatalf("SUDS produced %s in inhibitory mode", g)
				}
			}
			if hi := slices.Max(c.sudsSeq) >= 90; hi != slices.Contains(suggestions(out), "calm_now/suds_high_lowest_step") {
				t.Fatalf("SUDS %v: safety suggestion %v", c.sudsSeq, suggestions(out))
			}
			out = s.in(expect("after", 20))
			if !has(out, "timeline.expectancy", "phase", "after", "prediction_error", 60) {
				t.Fatalf("prediction error not recorded: %v", out)
			}
			if !slices.Contains(suggestions(out), "advance/expectancy_tested") {
				t.Fatalf("no advance after the tested expectancy: %v", suggestions(out))
			}
		})
	}
	t.Run("out of order with context swap", func(t *testing.T) {
		t.Parallel()
		s := newSession(t, proto(t, "public_speaking_ladder", "", Settings{}), Patient{})
		s.toStep1()
		out := s.in(Event{Type: EvTherapist, Command: TAdvance, StepID: "step_06", Params: map[string]any{"lighting": "dim"}})
		if !has(out, "step.enter", "step_id", "step_06") {
			t.Fatalf("out-of-order step refused: %v", out)
		}
		load := find(out, "scene.load")
		if len(load) != 1 || load[0].Body.(SceneLoad).Params["lighting"] != "dim" {
			t.Fatalf("context not swapped: %v", load)
		}
	})
}

// §5: a flagged screening item blocks exposure until acknowledged.
func TestScreeningBlocksExposure(t *testing.T) {
	t.Parallel()
	s := newSession(t, proto(t, "heights_ladder", "", Settings{}), Patient{Flags: []string{"epilepsy", "pregnancy"}, Acknowledged: []string{"pregnancy"}})
	out := s.in(start(), tick(3*minute))
	if !has(out, "exposure.blocked") || has(out, "suggest") {
		t.Fatalf("exposure not blocked: %v", out)
	}
	if out = s.in(cmd(TAdvance)); !has(out, "command.refused", "reason", "screening_unacknowledged") {
		t.Fatalf("advance allowed while blocked: %v", out)
	}
	s.in(cmd(TAckScreen))
	if out = s.in(cmd(TAdvance)); !has(out, "step.enter") {
		t.Fatalf("advance refused after acknowledgement: %v", out)
	}
	if !has(s.in(cmd(TAckScreen)), "command.refused", "reason", "nothing_to_acknowledge") {
		t.Fatal("second acknowledgement not refused")
	}
}

// §5: HR ≥ 85 % of (220 − age) sustained ≥ 20 s → soft pause; configurable
// and off for interoceptive exposure.
func TestHRCeiling(t *testing.T) {
	t.Parallel()
	if got := HRCeilingBPM(40, 0.85); got != 153 {
		t.Fatalf("ceiling for 40 y = %v, want 153", got)
	}
	cases := []struct {
		name      string
		s         Settings
		sustained int64
		pause     bool
	}{
		{"19.9 s", Settings{}, 19_900, false},
		{"20 s", Settings{}, 20_000, true},
		{"custom 30 s, 25 s", Settings{HRCeilingSustainS: 30}, 25_000, false},
		{"interoceptive off", Settings{HRCeilingOff: true}, 60_000, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t, proto(t, "heights_ladder", "", Settings{}), Patient{Age: 40, Settings: c.s})
			s.toStep1()
			out := s.in(Event{Type: EvAlert, Alert: AlertHRCeiling, SustainedMs: c.sustained})
			if got := has(out, "calm.now", "reason", "hr_ceiling"); got != c.pause {
				t.Fatalf("pause %v, want %v: %v", got, c.pause, out)
			}
			want := []any{"ceiling_bpm", 153.0, "ceiling", "share"}
			if c.s.HRCeilingOff {
				want = []any{"ceiling", "off"} // no ceiling in force, none reported
			}
			if !has(out, "timeline.alert", want...) {
				t.Fatalf("alert not on the timeline with the ceiling: %v", out)
			}
		})
	}
}

// §5: soft pause on two unanswered SUDS prompts in a row and on dizziness;
// while paused escalation is refused; resume only on the therapist's word.
func TestSoftPause(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		evs   []Event
		pause bool
	}{
		{"two unanswered", []Event{tick(5 * minute), tick(5 * minute)}, true},
		{"one unanswered then answered", []Event{tick(5 * minute), suds(40), tick(5 * minute)}, false},
		{"dizziness", []Event{{Type: EvDizziness}}, true},
		{"therapist calm now", []Event{cmd(TCalmNow)}, true},
		{"connection lost", []Event{{Type: EvConnLost}, {Type: EvConnRestored}}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t, proto(t, "heights_ladder", "", Settings{}), Patient{})
			s.toStep1()
			out := s.in(c.evs...)
			if got := has(out, "session.paused"); got != c.pause {
				t.Fatalf("paused %v, want %v: %v", got, c.pause, out)
			}
			if !c.pause {
				return
			}
			for _, esc := range []Event{cmd(TAdvance), {Type: EvTherapist, Command: TSetParams, Params: map[string]any{"wind": 1.0}},
				{Type: EvTherapist, Command: TFireEvent, EventID: "gust"}} {
				if out := s.in(esc); !has(out, "command.refused", "reason", "paused") {
					t.Fatalf("%s allowed while paused: %v", esc.Command, out)
				}
			}
			if out := s.in(tick(10 * minute)); has(out, "suds.prompt") || has(out, "session.resumed") {
				t.Fatalf("engine resumed or prompted by itself: %v", out)
			}
			out = s.in(cmd(TResume))
			if !has(out, "session.resumed") || !has(out, "scene.load", "reason", "resume") {
				t.Fatalf("resume did not restore the scene: %v", out)
			}
		})
	}
}

// §5: hard stop by patient, therapist or seizure signs: fade to neutral,
// remove-headset instructions, incident, session end.
func TestHardStop(t *testing.T) {
	t.Parallel()
	for name, ev := range map[string]Event{"patient": {Type: EvPatientStop}, "therapist": cmd(TStop), "seizure": {Type: EvSeizure}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t, proto(t, "spiders_ladder", "", Settings{}), Patient{})
			s.toStep1()
			out := s.in(ev)
			if !has(out, "hard.stop", "template", CalmTemplate, "text_key", "proto.hard_stop.remove_headset") ||
				!has(out, "incident") || !has(out, "session.end", "reason", "hard_stop") {
				t.Fatalf("incomplete hard stop: %v", out)
			}
			if out := s.in(cmd(TAdvance)); !has(out, "command.refused", "reason", "session_ended") {
				t.Fatalf("commands accepted after a hard stop: %v", out)
			}
		})
	}
}

// §6 Bălan et al. 2020: fear level from SUDS 0–10, combined with physiology;
// a level must hold 30 s before a (suggest-only) move appears.
func TestAdaptiveFearLevel(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ suds, level int }{{0, 0}, {4, 0}, {10, 1}, {30, 1}, {40, 2}, {70, 2}, {80, 3}, {100, 3}} {
		if got := SUDSFearLevel(c.suds); got != c.level {
			t.Errorf("SUDS %d → level %d, want %d", c.suds, got, c.level)
		}
	}
	if l, ok := PhysioFearLevel(Metrics{HRZ: fp(3), RMSSDZ: fp(-2)}); !ok || l != 3 {
		t.Errorf("physio level %d %v, want 3", l, ok)
	}
	if got := FearLevel(20, Metrics{HRZ: fp(3)}); got != 2 {
		t.Errorf("SUDS low + HR high = %d, want 2", got)
	}
	cases := []struct {
		name string
		suds int
		hold int64
		want string
	}{
		{"low held 30 s → up", 20, 30_000, "advance/adaptive_fear_level"},
		{"low held 29 s → nothing", 20, 29_000, ""},
		{"medium → stay", 50, 30_000, "stay/adaptive_fear_level"},
		// Bălan et al. 2020: level 3 → one step down; on the lowest step
		// that is calm (the engine never suggests what it would refuse).
		{"high → down (calm on the lowest step)", 85, 30_000, "calm_now/adaptive_fear_level"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t, proto(t, "spiders_ladder", ModeInhibitory, Settings{Adaptive: true}), Patient{})
			s.toStep1()
			out := s.in(suds(c.suds), tick(c.hold))
			got := suggestions(out)
			if c.want == "" && len(got) != 0 || c.want != "" && !slices.Contains(got, c.want) {
				t.Fatalf("suggestions %v, want %q", got, c.want)
			}
			if has(out, "step.enter") {
				t.Fatal("adaptive mode escalated by itself")
			}
		})
	}
	t.Run("level change restarts the hold", func(t *testing.T) {
		t.Parallel()
		s := newSession(t, proto(t, "spiders_ladder", ModeInhibitory, Settings{Adaptive: true}), Patient{})
		s.toStep1()
		out := s.in(suds(20), tick(20_000), suds(50), tick(20_000))
		if len(suggestions(out)) != 0 {
			t.Fatalf("suggested before any level held 30 s: %v", suggestions(out))
		}
	})
}

// §5 SSQ (Kennedy et al. 1993) and PCL-5 scoring, exact.
func TestQuestionnaires(t *testing.T) {
	t.Parallel()
	ones := slices.Repeat([]int{1}, 16)
	only1 := make([]int, 16)
	only1[0] = 2 // item 1 counts in nausea and oculomotor
	cases := []struct {
		name  string
		items []int
		want  SSQ
	}{
		{"all zero", make([]int, 16), SSQ{}},
		{"all one", ones, SSQ{Nausea: 66.78, Oculomotor: 53.06, Disorientation: 97.44, Total: 78.54}},
		{"all three", slices.Repeat([]int{3}, 16), SSQ{Nausea: 200.34, Oculomotor: 159.18, Disorientation: 292.32, Total: 235.62}},
		{"item 1 only", only1, SSQ{Nausea: 19.08, Oculomotor: 15.16, Total: 14.96}},
	}
	for _, c := range cases {
		got, err := ScoreSSQ(c.items)
		if err != nil || got != c.want {
			t.Errorf("%s: %+v %v, want %+v", c.name, got, err, c.want)
		}
	}
	for _, bad := range [][]int{make([]int, 15), append(make([]int, 15), 4)} {
		if _, err := ScoreSSQ(bad); err == nil {
			t.Errorf("SSQ accepted %v", bad)
		}
	}
	if got, err := ScorePCL5(slices.Repeat([]int{4}, 20)); err != nil || got != 80 {
		t.Errorf("PCL-5 max = %d %v", got, err)
	}
	s := newSession(t, proto(t, "heights_ladder", "", Settings{}), Patient{})
	out := s.in(start(), Event{Type: EvQuestionnaire, Questionnaire: "ssq", Items: ones},
		Event{Type: EvQuestionnaire, Questionnaire: "gad7", Score: fp(30)}, Event{Type: EvQuestionnaire, Questionnaire: "gad7", Score: fp(12)})
	if !has(out, "event.rejected", "reason", "questionnaire_invalid") || len(find(out, "timeline.questionnaire")) != 2 {
		t.Fatalf("questionnaire handling: %v", out)
	}
}

func TestTickRange(t *testing.T) {
	t.Parallel()
	s := newSession(t, proto(t, "box_breathing", "", Settings{}), Patient{})
	for _, ms := range []int64{-1, MaxTickMs + 1, 1 << 62} {
		if out := s.in(start(), tick(ms)); !has(out, "event.rejected", "reason", "tick_range") {
			t.Fatalf("tick %d accepted: %v", ms, out)
		}
	}
	if out := s.in(tick(MaxTickMs)); !has(out, "session.end", "reason", "completed") {
		t.Fatalf("a day-long tick did not finish the session: %v", out)
	}
}

// §5 cybersickness: short first exposures, lengthened a few minutes a
// session. The budget counts exposure-step time only (not baseline, not
// pauses) and is suggest-only; past it only a step back is still suggested.
func TestCybersicknessBudget(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		s       Settings
		priorMs int64
		budget  int64
	}{
		{"first session: 10 min", Settings{}, 0, 10 * minute},
		{"after 12 min: 3 min longer", Settings{}, 12 * minute, 15 * minute},
		{"clinic's own first and step", Settings{FirstExposureMin: 5, ExposureStepMin: 2}, 8 * minute, 10 * minute},
		{"clinic's own first, no prior", Settings{FirstExposureMin: 5, ExposureStepMin: 2}, 0, 5 * minute},
		{"implausible prior counts as none", Settings{}, -5, 10 * minute},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.s.SUDSAnswerS, c.s.SUDSIntervalMin = 600, 15
			s := newSession(t, proto(t, "heights_ladder", "", c.s), Patient{})
			out := s.in(Event{Type: EvStart, PriorExposureMs: c.priorMs}, tick(3*minute), cmd(TAdvance))
			if b := find(out, "session.started"); len(b) != 1 || b[0].Body.(SessionStarted).ExposureBudgetMs != c.budget {
				t.Fatalf("session.started %v, want budget %d ms", b, c.budget)
			}
			// A pause (the time is not exposure) in the middle of the step.
			out = s.in(suds(50), tick(c.budget/2), cmd(TPause), tick(20*minute), cmd(TResume), suds(50), tick(c.budget/2-minute))
			if slices.Contains(suggestions(out), "end/exposure_budget") {
				t.Fatalf("budget suggested a minute early: %v", suggestions(out))
			}
			out = s.in(tick(minute))
			if !slices.Contains(suggestions(out), "end/exposure_budget") || !has(out, "timeline.exposure_budget") {
				t.Fatalf("no budget suggestion at %d ms of exposure: %v", c.budget, suggestions(out))
			}
			if has(out, "step.enter") || has(out, "cooldown.start") {
				t.Fatal("the budget acted by itself")
			}
			// Past the budget: no advance, but high SUDS is still answered
			// (on step 1, the lowest step: calm).
			out = s.in(tick(6*minute), suds(20), suds(95))
			for _, g := range suggestions(out) {
				if (strings.HasPrefix(g, "advance/") || strings.HasPrefix(g, "stay/")) && !strings.Contains(g, "/suds_high") {
					t.Fatalf("%s suggested past the budget", g)
				}
			}
			if !slices.Contains(suggestions(out), "calm_now/suds_high_lowest_step") {
				t.Errorf("high SUDS unanswered past the budget: %v", suggestions(out))
			}
			out = s.in(cmd(TEnd), tick(3*minute))
			if e := find(out, "timeline.exposure"); len(e) != 1 || e[0].Body.(ExposureEntry).ExposedMs != c.budget+6*minute {
				t.Fatalf("recorded exposure %v, want %d ms", e, c.budget+6*minute)
			}
		})
	}
}

// §9 avoidance as an adaptive input (suggest-only): a minute or more of head
// pose with the stimulus looked at under 25 % of the time (the default), or
// three looking-away episodes, suggests staying; less pose, or a patient who
// looks, suggests nothing; without Adaptive the measures are only shown.
func TestAvoidanceSuggestsStaying(t *testing.T) {
	t.Parallel()
	av := func(share float64, away int, observedMs int64) Event {
		return Event{Type: EvAvoidance, Avoidance: &Avoidance{Share: share, AwayEpisodes: away, ObservedMs: observedMs}}
	}
	cases := []struct {
		name     string
		adaptive bool
		ev       Event
		want     bool
	}{
		{"looked at 10 % of 90 s → stay", true, av(0.10, 0, 90_000), true},
		{"three looking-away episodes → stay", true, av(0.60, 3, 90_000), true},
		{"looked at 40 % → nothing", true, av(0.40, 1, 90_000), false},
		{"under a minute of pose → nothing", true, av(0.05, 0, 59_000), false},
		{"adaptive off → nothing", false, av(0.05, 5, 90_000), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t, proto(t, "spiders_ladder", ModeHabituation, Settings{Adaptive: c.adaptive}), Patient{})
			s.toStep1()
			got := slices.Contains(suggestions(s.in(c.ev)), "stay/avoiding")
			if got != c.want {
				t.Fatalf("stay/avoiding suggested %v, want %v", got, c.want)
			}
		})
	}
	s := newSession(t, proto(t, "spiders_ladder", ModeHabituation, Settings{Adaptive: true}), Patient{})
	s.toStep1()
	if out := s.in(av(1.5, 0, 90_000)); !has(out, "event.rejected") {
		t.Fatal("a share above 1 was not rejected")
	}
}
