package biosignal

import (
	"errors"
	"math"
	"testing"

	"github.com/havenvr/haven/protocols"
)

// assess runs CLINICAL.md §7's resonance assessment on a simulated patient:
// at each rate 2 min of practice, then 2 recorded minutes whose LF peak is
// taken; it returns the peaks by rate.
func assess(t *testing.T, resonance float64, rates []float64) map[float64]LFPeak {
	t.Helper()
	sim := NewSimulator(SimConfig{Seed: 11, Start: t0, ResonanceBPM: resonance})
	live := NewLive(LiveConfig{})
	now := t0
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
	out := map[float64]LFPeak{}
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

func TestLowFrequencyPeakNeedsAMinuteOfBeats(t *testing.T) {
	t.Parallel()
	rr, ts := make([]float64, 60), make([]int64, 60)
	for i := range rr {
		rr[i], ts[i] = 1000, int64(i)*1000
	}
	for _, c := range []struct {
		name     string
		from, to int64
	}{
		{"59 s of beats", 0, 59_000},
		{"window before the beats", -120_000, -1000},
	} {
		if _, err := LowFrequencyPeak(rr, ts, c.from, c.to); !errors.Is(err, &Error{Code: CodeEmpty}) {
			t.Errorf("%s: err = %v, want code empty", c.name, err)
		}
	}
	if _, err := LowFrequencyPeak(rr[:5], ts[:5], 0, 60_000); err == nil {
		t.Error("5 beats gave a peak")
	}
}
