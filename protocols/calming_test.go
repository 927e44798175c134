package protocols

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// runCalming plays a calming protocol to the end with 1 s ticks, answering
// patient-paced segments, and returns every command.
func runCalming(t *testing.T, id string) []Command {
	t.Helper()
	s := newSession(t, proto(t, id, "", Settings{}), Patient{})
	out := s.in(start())
	for i := 0; i < 4*3600 && !has(out, "session.end"); i++ {
		out = append(out, s.in(tick(1000))...)
		if c := find(out, "cue"); len(c) > 0 && c[len(c)-1].Body.(Cue).PatientPaced {
			out = append(out, s.in(tick(20_000), Event{Type: EvPatientNext})...)
		}
	}
	if !has(out, "session.end", "reason", "completed") {
		t.Fatalf("%s did not complete", id)
	}
	return out
}

func phases(c Command) []int64 {
	var ms []int64
	for _, p := range c.Body.(BreathingStart).Phases {
		ms = append(ms, p.Ms)
	}
	return ms
}

// CLINICAL.md §7 breathing timings, checked on the commands the engine emits.
func TestBreathingTimings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		id     string
		phases []int64
		names  string
		bpm    float64
	}{
		{"box_breathing", []int64{4000, 4000, 4000, 4000}, "inhale,hold_in,exhale,hold_out", 0},
		{"breathing_4_7_8", []int64{4000, 7000, 8000}, "inhale,hold_in,exhale", 0},
		{"resonance_breathing", []int64{5000, 5000}, "inhale,exhale", 6},
		{"resonance_breathing_4_6", []int64{4000, 6000}, "inhale,exhale", 6},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			t.Parallel()
			starts := find(runCalming(t, c.id), "breathing.start")
			if len(starts) != 1 || !slices.Equal(phases(starts[0]), c.phases) {
				t.Fatalf("breathing.start %v, want phases %v", starts, c.phases)
			}
			var names []string
			for _, p := range starts[0].Body.(BreathingStart).Phases {
				names = append(names, p.Name)
			}
			if strings.Join(names, ",") != c.names {
				t.Fatalf("phase order %v, want %s", names, c.names)
			}
			if rate := starts[0].Body.(BreathingStart).BreathsPerMin; c.bpm != 0 && rate != c.bpm {
				t.Fatalf("rate %v, want %v", rate, c.bpm)
			}
		})
	}
	if p := PacerForRate(6, 0.4); p.InhaleMs != 4000 || p.ExhaleMs != 6000 {
		t.Fatalf("PacerForRate(6, 4:6) = %+v", p)
	}
}

// Cyclic sighing (Balban et al. 2023): inhale, short top-up, long exhale of
// about twice the inhale, for exactly 5 min.
func TestCyclicSighing(t *testing.T) {
	t.Parallel()
	out := runCalming(t, "cyclic_sighing")
	st := find(out, "breathing.start")
	stop := find(out, "breathing.stop")
	if len(st) != 1 || len(stop) != 1 || stop[0].AtMs-st[0].AtMs != 5*minute {
		t.Fatalf("pacer ran %v → %v", st, stop)
	}
	ph := phases(st[0])
	if len(ph) != 3 || ph[1] >= ph[0] || float64(ph[2]) < 1.5*float64(ph[0]+ph[1]) || float64(ph[2]) > 2.5*float64(ph[0]+ph[1]) {
		t.Fatalf("phases %v are not inhale, short top-up, ~2× exhale", ph)
	}
}

// Resonance assessment (Lehrer & Gevirtz; Shaffer & Meehan 2020): 6.0 → 4.0
// breaths/min, at each 2 min practice + 2 min recorded.
func TestResonanceAssessment(t *testing.T) {
	t.Parallel()
	out := runCalming(t, "resonance_assessment")
	var rates []float64
	win := find(out, "hrv.window")
	for i := 0; i+1 < len(win); i += 2 {
		a, b := win[i], win[i+1]
		if a.Body.(HRVWindow).State != "start" || b.Body.(HRVWindow).State != "stop" || b.AtMs-a.AtMs != 2*minute {
			t.Fatalf("recording window %v %v", a, b)
		}
		rates = append(rates, a.Body.(HRVWindow).BreathsPerMin)
	}
	if !slices.Equal(rates, []float64{6.0, 5.5, 5.0, 4.5, 4.0}) {
		t.Fatalf("rates %v", rates)
	}
	starts := find(out, "breathing.start")
	if len(starts) != 5 {
		t.Fatalf("%d pacer starts, want one per rate", len(starts))
	}
	for i, st := range starts {
		if win[2*i].AtMs-st.AtMs != 2*minute {
			t.Fatalf("practice at rate %v lasted %d ms", rates[i], win[2*i].AtMs-st.AtMs)
		}
	}
	if r, ok := PickResonanceRate(map[float64]float64{6: 10, 5.5: 31, 5: 30, 4.5: 12}); !ok || r != 5.5 {
		t.Fatalf("picked %v", r)
	}
}

// PMR: 16 muscle groups in the published order, tense 5–7 s, release 30–40 s.
func TestPMR(t *testing.T) {
	t.Parallel()
	want := []string{"dominant_hand", "dominant_biceps", "nondominant_hand", "nondominant_biceps", "forehead", "eyes_nose",
		"cheeks_jaw", "neck_throat", "chest_shoulders_back", "abdomen", "dominant_thigh", "dominant_calf", "dominant_foot",
		"nondominant_thigh", "nondominant_calf", "nondominant_foot"}
	cues := find(runCalming(t, "pmr"), "cue")
	var groups []string
	for i, c := range cues {
		if !c.Body.(Cue).Tense {
			continue
		}
		groups = append(groups, strings.TrimPrefix(c.Body.(Cue).TextKey, "proto.pmr.tense."))
		next := cues[i+1]
		tense, release := next.AtMs-c.AtMs, cues[i+2].AtMs-next.AtMs
		if tense < 5000 || tense > 7000 || release < 30000 || release > 40000 || next.Body.(Cue).TextKey != "proto.pmr.release" {
			t.Fatalf("group %s: tense %d ms, release %d ms", groups[len(groups)-1], tense, release)
		}
	}
	if !slices.Equal(groups, want) {
		t.Fatalf("groups %v", groups)
	}
}

// 5-4-3-2-1 grounding is paced by the patient: it waits however long it takes.
func TestGroundingPatientPaced(t *testing.T) {
	t.Parallel()
	s := newSession(t, proto(t, "grounding_54321", "", Settings{}), Patient{})
	s.in(start(), tick(3*minute+10_000))
	var senses []string
	for i := 0; i < 5; i++ {
		out := s.in(tick(30 * minute))
		if len(find(out, "cue")) != 0 {
			t.Fatalf("patient-paced segment advanced on time: %v", out)
		}
		out = s.in(Event{Type: EvPatientNext})
		for _, c := range find(out, "cue") {
			senses = append(senses, c.Body.(Cue).SegmentID)
		}
	}
	if !slices.Equal(senses, []string{"sense_4", "sense_3", "sense_2", "sense_1", "closing"}) {
		t.Fatalf("order %v", senses)
	}
}

// Body scan variants last exactly 10, 20 and 45 min.
func TestBodyScanLengths(t *testing.T) {
	t.Parallel()
	_, l := library(t)
	for _, m := range []int64{10, 20, 45} {
		p, ok := l.Get("body_scan_" + strconv.FormatInt(m, 10))
		if !ok || p.ScriptMs() != m*minute {
			t.Errorf("body scan %d min: %v", m, p)
		}
	}
}

// Session structure: a 3–5 min baseline in a calm scene precedes the block
// and a cool-down follows it.
func TestSessionStructure(t *testing.T) {
	t.Parallel()
	out := runCalming(t, "box_breathing")
	var order []string
	for _, c := range out {
		switch c.Type {
		case "baseline.start", "baseline.end", "breathing.start", "cooldown.start", "session.end":
			order = append(order, c.Type)
		}
	}
	want := []string{"baseline.start", "baseline.end", "breathing.start", "cooldown.start", "session.end"}
	if !slices.Equal(order, want) {
		t.Fatalf("order %v", order)
	}
	if e := find(out, "baseline.end"); e[0].AtMs != 3*minute {
		t.Fatalf("baseline ended at %d", e[0].AtMs)
	}
}
