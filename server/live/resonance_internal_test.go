package live

import (
	"testing"

	"github.com/havenvr/haven/server/biosignal"
)

// TestResonanceWindows runs the assessment's recorded windows over a
// simulated patient whose RSA peaks at 5 breaths a minute: each stop gives
// the window's LF peak and the best rate so far; a window too short for a
// spectrum is reported and left out of the choice.
func TestResonanceWindows(t *testing.T) {
	t.Parallel()
	const t0 = int64(1_732_240_000_000)
	sim := biosignal.NewSimulator(biosignal.SimConfig{Seed: 2, Start: t0, ResonanceBPM: 5})
	bio := biosignal.NewLive(biosignal.LiveConfig{})
	now := t0
	run := func(ms int64) {
		for end := now + ms; now < end; {
			now += 1000
			for _, b := range sim.Advance(now) {
				if _, err := bio.AddBatch(&b); err != nil {
					t.Fatal(err)
				}
			}
			bio.Snapshot(now)
		}
	}
	var st resonanceState
	var last resonanceResult
	for _, rate := range []float64{6, 5.5, 5, 4.5} {
		sim.SetPacedBreathing(rate)
		run(120_000)
		if _, done := st.window(bio, "start", rate, now); done {
			t.Fatal("a start gave a result")
		}
		run(120_000)
		body, done := st.window(bio, "stop", rate, now)
		if !done || body.Error != "" || body.LFPeakMs2 == nil || *body.LFPeakMs2 <= 0 {
			t.Fatalf("rate %.1f: %v", rate, body)
		}
		last = body
	}
	if last.BestBreathsPerMin != 5.0 {
		t.Fatalf("best rate %v, want 5", last.BestBreathsPerMin)
	}
	// 30 s: too short, reported, and the choice stands.
	st.window(bio, "start", 4, now)
	run(30_000)
	body, done := st.window(bio, "stop", 4, now)
	if !done || body.Error != "too_short" || body.BestBreathsPerMin != 5.0 {
		t.Fatalf("short window: %v", body)
	}
	if _, done := st.window(bio, "stop", 4, now); done {
		t.Fatal("a stop without a start gave a result")
	}
}
