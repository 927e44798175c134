package biosignal_test

// An external test: protocols imports this package (the alert rules), so a
// test of both lives outside it.

import (
	"math"
	"testing"

	"github.com/havenvr/haven/protocols"
	"github.com/havenvr/haven/server/biosignal"
)

// assess runs CLINICAL.md §7's resonance assessment on a simulated patient:
// at each rate 2 min of practice, then 2 recorded minutes whose LF peak is
// taken; it returns the peaks by rate.
func assess(t *testing.T, resonance float64, rates []float64) map[float64]biosignal.LFPeak {
	t.Helper()
	const start = int64(1_732_240_000_000)
	sim := biosignal.NewSimulator(biosignal.SimConfig{Seed: 11, Start: start, ResonanceBPM: resonance})
	live := biosignal.NewLive(biosignal.LiveConfig{})
	now := start
	feed := func(ms int64) {
		for end := now + ms; now < end; {
			now += 1000
			for _, b := range sim.Advance(now) {
				if _, err := live.AddBatch(&b); err != nil {
					t.Fatal(err)
				}
			}
			live.Snapshot(now)
		}
	}
	out := map[float64]biosignal.LFPeak{}
	for _, r := range rates {
		sim.SetPacedBreathing(r)
		feed(120_000)
		from := now
		feed(120_000)
		p, err := live.LowFrequencyPeak(from, now)
		if err != nil {
			t.Fatalf("rate %.1f: %v", r, err)
		}
		out[r] = p
	}
	return out
}

func TestResonanceAssessmentPicksThePatientsRate(t *testing.T) {
	t.Parallel()
	rates := []float64{6.0, 5.5, 5.0, 4.5, 4.0}
	for _, res := range []float64{6.0, 5.0, 4.5} {
		peaks := assess(t, res, rates)
		power := map[float64]float64{}
		for r, p := range peaks {
			power[r] = p.PowerMs2
			if p.Segments != 3 {
				t.Errorf("rate %.1f: %d Welch segments in 2 min, want 3", r, p.Segments)
			}
			// the peak sits at the breathing rate, within one 1/64 Hz bin
			if math.Abs(p.PeakHz-r/60) > 1.0/64+1e-9 {
				t.Errorf("rate %.1f: LF peak at %.4f Hz, want %.4f", r, p.PeakHz, r/60)
			}
		}
		if got, ok := protocols.PickResonanceRate(power); !ok || got != res {
			t.Errorf("patient resonating at %.1f/min: picked %.1f from %v", res, got, power)
		}
	}
}
