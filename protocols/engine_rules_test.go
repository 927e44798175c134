package protocols

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/havenvr/haven/i18n"
)

// A pause during the baseline holds everything (CLINICAL.md §5 soft pause:
// "resume only on the therapist's word"): the baseline timer stops, no
// block scene or cue reaches the paused headset, and after resuming the
// rest of the baseline and then box breathing's 15 s intro cue
// (library/box_breathing.json: baseline 180 s, intro 15 000 ms) run their
// scripted lengths — the pause counted once.
func TestPauseDuringBaselineHoldsEverything(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		pause Event
	}{{"therapist pause", cmd(TPause)}, {"calm now", cmd(TCalmNow)}, {"break", Event{Type: EvBreak}}, {"connection lost", Event{Type: EvConnLost}}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t, proto(t, "box_breathing", "", Settings{}), Patient{})
			s.in(start(), tick(60_000), c.pause)
			held := s.in(tick(10*minute), tick(5*minute))
			for _, typ := range []string{"baseline.end", "cue", "breathing.start"} {
				if has(held, typ) {
					t.Fatalf("%s while paused: %v", typ, held)
				}
			}
			if sl := find(held, "scene.load"); len(sl) != 0 {
				t.Fatalf("scene loaded while paused: %v", sl)
			}
			out := s.in(cmd(TResume))
			if !has(out, "session.resumed", "paused_ms", int64(15*minute)) || !has(out, "scene.load", "reason", "baseline") {
				t.Fatalf("resume: %v", out)
			}
			// 60 s of baseline ran before the pause: 120 s remain.
			out = s.in(tick(119_999))
			if has(out, "baseline.end") {
				t.Fatal("baseline ended early")
			}
			out = s.in(tick(1))
			end := find(out, "baseline.end")
			if len(end) != 1 || end[0].AtMs != 180_000+15*minute {
				t.Fatalf("baseline.end %v, want at %d ms (180 s of baseline + 15 min paused)", end, 180_000+15*minute)
			}
			cue := find(out, "cue")
			if len(cue) != 1 || cue[0].Body.(Cue).SegmentID != "intro" {
				t.Fatalf("first cue %v", cue)
			}
			out = s.in(tick(15_000))
			if next := find(out, "cue"); len(next) != 1 || next[0].Body.(Cue).SegmentID != "pace" || next[0].AtMs != end[0].AtMs+15_000 {
				t.Fatalf("intro did not last its 15 s: %v", next)
			}
		})
	}
}

// SUDS ≥ 90 is a safety rule of both progression models (CLINICAL.md §2
// "step back one item when SUDS ≥ 90"; §5 "Safety rules (SUDS ≥ 90, max
// dwell, breaks, HR ceiling) apply in both progression models"). On the
// lowest item there is nothing to step back to: calm (§2 "'overwhelming'
// anxiety → a less stressful level").
func TestHighSUDSSuggestion(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		mode  string
		steps int // therapist advances after step 1
		suds  int
		want  string
	}{
		{ModeHabituation, 0, 95, "calm_now/suds_high_lowest_step"},
		{ModeHabituation, 1, 95, "step_back/suds_high"},
		{ModeHabituation, 0, 90, "calm_now/suds_high_lowest_step"},
		{ModeInhibitory, 0, 95, "calm_now/suds_high_lowest_step"},
		{ModeInhibitory, 1, 90, "step_back/suds_high"},
		{ModeInhibitory, 1, 89, ""},
		{ModeHabituation, 0, 89, "stay/dwell_short"},
	} {
		t.Run(fmt.Sprintf("%s step %d SUDS %d", c.mode, c.steps+1, c.suds), func(t *testing.T) {
			t.Parallel()
			s := newSession(t, proto(t, "heights_ladder", c.mode, Settings{}), Patient{})
			s.toStep1()
			for range c.steps {
				s.in(cmd(TAdvance))
			}
			got := suggestions(s.in(suds(c.suds)))
			if c.want == "" && len(got) != 0 || c.want != "" && !slices.Equal(got, []string{c.want}) {
				t.Fatalf("suggestions %v, want %q", got, c.want)
			}
		})
	}
}

// The max-dwell cap (CLINICAL.md §2: 30–45 min in the sources, default 30;
// "at the cap the therapist decides") holds in both models and without any
// rating; inhibitory mode never gives SUDS as a reason to stay.
func TestMaxDwellBothModes(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{ModeHabituation, ModeInhibitory} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			s := newSession(t, proto(t, "heights_ladder", mode, Settings{SUDSAnswerS: 600, UnansweredLimit: 10, FirstExposureMin: 120}), Patient{})
			s.toStep1()
			out := s.in(tick(30*minute - 1))
			if has(out, "decision.required") {
				t.Fatal("cap flagged early")
			}
			out = s.in(tick(1))
			if d := find(out, "decision.required"); len(d) != 1 || d[0].Body.(DecisionRequired).Reason != "max_dwell" || d[0].Body.(DecisionRequired).DwellMs != int64(30*minute) {
				t.Fatalf("no max_dwell decision at 30 min: %v", out)
			}
			out = s.in(suds(60), tick(minute), suds(20))
			if mode == ModeInhibitory {
				for _, g := range suggestions(out) {
					t.Errorf("inhibitory mode suggested %s from SUDS", g)
				}
			}
		})
	}
}

// A break asks for one step back (CLINICAL.md §2) — but not from the lowest
// step, where the engine would refuse it (no_lower_step).
func TestBreakSuggestsOnlyExecutableStepBack(t *testing.T) {
	t.Parallel()
	s := newSession(t, proto(t, "heights_ladder", "", Settings{}), Patient{})
	s.toStep1()
	out := s.in(Event{Type: EvBreak})
	if !has(out, "session.paused", "reason", "break_requested") || len(suggestions(out)) != 0 {
		t.Fatalf("break on step 1: %v", out)
	}
	s.in(cmd(TResume), cmd(TAdvance))
	out = s.in(Event{Type: EvBreak})
	if !slices.Equal(suggestions(out), []string{"step_back/break_requested"}) {
		t.Fatalf("break on step 2: %v", suggestions(out))
	}
	if out := s.in(cmd(TStepBack)); has(out, "command.refused") {
		t.Fatalf("suggested step back refused: %v", out)
	}
}

// The budget's cool-down suggestion is suggest-only; once the therapist
// dismisses it (the console's "Dismiss" sends stay), SUDS-based suggestions
// continue: a patient whose SUDS halves at minute 15 gets "advance".
func TestBudgetDismissedSuggestionsContinue(t *testing.T) {
	t.Parallel()
	s := newSession(t, proto(t, "heights_ladder", "", Settings{SUDSAnswerS: 600, SUDSIntervalMin: 15}), Patient{})
	s.toStep1()
	out := s.in(suds(60), tick(10*minute))
	if !slices.Contains(suggestions(out), "end/exposure_budget") {
		t.Fatalf("no budget suggestion at 10 min: %v", suggestions(out))
	}
	// While it stands, SUDS suggestions are held back.
	if got := suggestions(s.in(suds(40))); len(got) != 0 {
		t.Fatalf("suggestions while the budget's stands: %v", got)
	}
	s.in(cmd(TStay), tick(5*minute))
	if got := suggestions(s.in(suds(30))); !slices.Equal(got, []string{"advance/suds_halved"}) {
		t.Fatalf("after dismissal, SUDS 30 of peak 60 at minute 15: %v, want advance/suds_halved", got)
	}
}

// genLog builds a random but plausible session: ratings, therapist
// commands, breaks, alerts, metrics and ticks of random length.
func genLog(r *rand.Rand, n int) []Event {
	evs := []Event{start()}
	cmds := []string{TAdvance, TAdvance, TStepBack, TStay, TPause, TResume, TResume, TCalmNow, TAckScreen, TSetParams, TFireEvent, TEnd, TNote}
	for range n {
		switch k := r.IntN(20); {
		case k < 7:
			evs = append(evs, tick(int64(r.IntN(4*minute))))
		case k < 11:
			evs = append(evs, suds(r.IntN(101)))
		case k < 15:
			c := cmds[r.IntN(len(cmds))]
			ev := cmd(c)
			if c == TSetParams {
				ev.Params = map[string]any{"wind": 0.3}
			}
			if c == TFireEvent {
				ev.EventID = "gust"
			}
			evs = append(evs, ev)
		case k == 15:
			evs = append(evs, Event{Type: EvBreak})
		case k == 16:
			evs = append(evs, Event{Type: EvMetrics, Metrics: &Metrics{HRZ: fp(r.Float64()*4 - 1)}})
		case k == 17:
			evs = append(evs, Event{Type: EvAlert, Alert: AlertHRCeiling, SustainedMs: 21_000})
		case k == 18:
			evs = append(evs, expect([]string{"before", "after"}[r.IntN(2)], r.IntN(101)))
		case r.IntN(2) == 0:
			evs = append(evs, Event{Type: EvPatientNext})
		default:
			evs = append(evs, Event{Type: EvDizziness})
		}
	}
	return evs
}

func randomSettings(r *rand.Rand, mode string) (*Settings, Patient) {
	s := &Settings{SUDSIntervalMin: 1 + r.IntN(5), MinDwellMin: float64(1 + r.IntN(5)), MaxDwellMin: float64(6 + r.IntN(20)),
		FirstExposureMin: float64(2 + r.IntN(10)), SUDSAnswerS: 30 + r.IntN(120), Adaptive: r.IntN(2) == 0}
	pat := Patient{}
	if r.IntN(4) == 0 {
		pat.Flags = []string{"epilepsy"}
	}
	return s, pat
}

// TestSuggestionsAreExecutable (CLINICAL.md §5: "the engine never suggests
// an action it would refuse"): over random event logs in both models, each
// suggestion's action, sent by the therapist right then, is carried out.
func TestSuggestionsAreExecutable(t *testing.T) {
	t.Parallel()
	cat := catalog(t)
	checked := 0
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 16))
		mode := []string{ModeHabituation, ModeInhibitory}[seed%2]
		set, pat := randomSettings(r, mode)
		p := proto(t, []string{"heights_ladder", "spiders_ladder", "public_speaking_ladder"}[seed%3], mode, *set)
		log := genLog(r, 80)
		e, err := NewEngine(Config{Protocol: p, Catalog: cat, Patient: pat})
		if err != nil {
			t.Fatal(err)
		}
		for i, ev := range log {
			for _, c := range e.Handle(ev) {
				if c.Type != "suggest" {
					continue
				}
				checked++
				// Replay the prefix into a fresh engine and accept.
				f, _ := NewEngine(Config{Protocol: p, Catalog: cat, Patient: pat})
				for _, pe := range log[:i+1] {
					f.Handle(pe)
				}
				got := f.Handle(cmd(c.Body.(Suggest).Action))
				if rf := find(got, "command.refused"); len(rf) > 0 {
					t.Fatalf("seed %d event %d: suggested %v, then refused: %v", seed, i, c.Body, rf[0].Body)
				}
			}
		}
	}
	if checked < 200 {
		t.Fatalf("only %d suggestions checked; the generator is too weak", checked)
	}
	t.Logf("%d suggestions accepted right away, none refused", checked)
}

// TestTickSlicing (docs/domain.md §4): the same events with the time cut
// into ticks differently give the same commands at the same times.
func TestTickSlicing(t *testing.T) {
	t.Parallel()
	cat := catalog(t)
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 7))
		mode := []string{ModeHabituation, ModeInhibitory}[seed%2]
		set, pat := randomSettings(r, mode)
		id := []string{"heights_ladder", "spiders_ladder", "box_breathing", "resonance_breathing", "pmr"}[seed%5]
		if !strings.HasSuffix(id, "_ladder") {
			mode = "" // calming: no progression model
		}
		p := proto(t, id, mode, *set)
		log := genLog(r, 60)
		want, err := Replay(Config{Protocol: p, Catalog: cat, Patient: pat}, log)
		if err != nil {
			t.Fatal(err)
		}
		var sliced []Event
		for _, ev := range log {
			if ev.Type != EvTick || ev.ElapsedMs == 0 {
				sliced = append(sliced, ev)
				continue
			}
			for left := ev.ElapsedMs; left > 0; {
				d := min(left, 1+r.Int64N(ev.ElapsedMs))
				if r.IntN(3) == 0 {
					d = min(left, 1+r.Int64N(1000)) // sub-second slices too
				}
				sliced = append(sliced, tick(d))
				left -= d
			}
		}
		got, _ := Replay(Config{Protocol: p, Catalog: cat, Patient: pat}, sliced)
		if !reflect.DeepEqual(got, want) {
			for i := range min(len(got), len(want)) {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Fatalf("seed %d (%s, %s): command %d differs:\n got %v\nwant %v", seed, id, mode, i, got[i], want[i])
				}
			}
			t.Fatalf("seed %d: %d commands vs %d", seed, len(got), len(want))
		}
	}
}

// The unanswered-prompt pause (CLINICAL.md §5: "SUDS is not answered twice
// in a row", default 2, configurable) carries the count, and its text is the
// configured number, pluralized by go-i18n (CLDR plural rules) in every
// shipped locale.
func TestUnansweredTextFollowsLimit(t *testing.T) {
	t.Parallel()
	b, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int{1, 2, 3, 5} {
		s := newSession(t, proto(t, "heights_ladder", "", Settings{UnansweredLimit: limit, SUDSAnswerS: 60, SUDSIntervalMin: 1}), Patient{})
		s.toStep1()
		out := s.in(tick(int64(limit) * minute))
		p := find(out, "session.paused")
		if len(p) != 1 || p[0].Body.(SessionPaused).Reason != "suds_unanswered" || p[0].Body.(SessionPaused).Count != limit {
			t.Fatalf("limit %d: pause %v", limit, p)
		}
		for _, loc := range i18n.Shipped {
			txt, err := b.ForLocale("", loc).LookupPlural("proto.reason.suds_unanswered", limit, nil)
			if err != nil {
				t.Fatal(err)
			}
			if limit > 2 && !strings.Contains(txt, strconv.Itoa(limit)) {
				t.Errorf("%s, limit %d: %q does not say %d", loc, limit, txt, limit)
			}
			if strings.Contains(txt, "Two") || strings.Contains(txt, "Zwei") || strings.Contains(txt, "Deux") {
				if limit != 2 {
					t.Errorf("%s, limit %d: %q", loc, limit, txt)
				}
			}
		}
	}
	// English forms, straight from CLDR's rules for "en" (one: n = 1).
	en := b.ForLocale("", "en")
	for n, want := range map[int]string{1: "One distress rating went unanswered.", 3: "3 distress ratings in a row went unanswered."} {
		if got, _ := en.LookupPlural("proto.reason.suds_unanswered", n, nil); got != want {
			t.Errorf("en %d: %q, want %q", n, got, want)
		}
	}
}

// Each alert carries its own inputs: the HR ceiling its ceiling (and where
// it comes from), an EDA or z-score alert its value and threshold — never a
// heart-rate ceiling.
func TestAlertCarriesItsOwnInputs(t *testing.T) {
	t.Parallel()
	s := newSession(t, proto(t, "heights_ladder", "", Settings{}), Patient{Age: 40})
	s.toStep1()
	out := s.in(Event{Type: EvAlert, Alert: "eda_high", SustainedMs: 30_000, Value: fp(3.4), Threshold: fp(3)})
	a := find(out, "timeline.alert")
	if len(a) != 1 || !has(a, "timeline.alert", "value", 3.4, "threshold", 3.0) {
		t.Fatalf("eda alert %v", a)
	}
	for _, k := range []string{"ceiling_bpm", "ceiling", "ceiling_share"} {
		if _, ok := record(a[0])[k]; ok {
			t.Errorf("eda_high carries %s: %v", k, a[0].Body)
		}
	}
	if has(out, "calm.now") {
		t.Error("an EDA alert paused the session")
	}
}

// Per-patient heart-rate ceiling (CLINICAL.md §5: "switched off or set in
// bpm by the therapist, with a reason (beta-blockers, pacemakers)"). The
// expected bpm are 220 − age arithmetic (Fox et al. 1971's age-predicted
// maximum, as CLINICAL.md §5 states it).
func TestPatientHRCeiling(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name     string
		protocol Settings
		patient  Settings
		age      int
		bpm      float64 // 0: off
	}{
		{"default 85 % of 220 − 40", Settings{}, Settings{}, 40, 153},
		{"patient 80 % of 220 − 60", Settings{}, Settings{HRCeilingShare: 0.8}, 60, 128},
		{"patient bpm over the protocol's share", Settings{HRCeilingShare: 0.9}, Settings{HRCeilingBPM: 110, HRCeilingReason: "beta-blockers"}, 40, 110},
		{"patient off", Settings{}, Settings{HRCeilingOff: true, HRCeilingReason: "pacemaker"}, 40, 0},
		{"protocol off stays off", Settings{HRCeilingOff: true}, Settings{HRCeilingShare: 0.8}, 40, 0},
		{"patient share over the protocol's bpm", Settings{HRCeilingBPM: 150}, Settings{HRCeilingShare: 0.5}, 40, 90},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			set := c.protocol.Merge(c.patient).Defaults()
			bpm, on := set.Ceiling(c.age)
			if on != (c.bpm > 0) || math.Abs(bpm-c.bpm) > 1e-9 {
				t.Fatalf("ceiling %v %v, want %v", bpm, on, c.bpm)
			}
		})
	}
	for _, c := range []struct {
		name  string
		s     Settings
		field string
	}{
		{"off without a reason", Settings{HRCeilingOff: true}, "settings.hr_ceiling_reason"},
		{"bpm without a reason", Settings{HRCeilingBPM: 120}, "settings.hr_ceiling_reason"},
		{"bpm and share", Settings{HRCeilingBPM: 120, HRCeilingShare: 0.8, HRCeilingReason: "x"}, "settings.hr_ceiling_bpm"},
		{"bpm out of range", Settings{HRCeilingBPM: 40, HRCeilingReason: "x"}, "settings.hr_ceiling_bpm"},
		{"reason too long", Settings{HRCeilingOff: true, HRCeilingReason: strings.Repeat("x", MaxReasonLen+1)}, "settings.hr_ceiling_reason"},
	} {
		err := c.s.CheckPatient()
		if err == nil || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: %v, want an error on %s", c.name, err, c.field)
		}
	}
	if err := (Settings{HRCeilingBPM: 120, HRCeilingReason: "beta-blockers"}).CheckPatient(); err != nil {
		t.Errorf("valid bpm ceiling: %v", err)
	}
}
