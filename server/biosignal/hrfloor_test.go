package biosignal

import (
	"math"
	"testing"
)

// TestHRZFloorsASteadyRest: a rest at 70.0/70.5 bpm alternating has a
// spread of 0.25 bpm, so 4 bpm above it would be z = 16 and fire hr_high
// (z > 3). With the spread floored at 5/3 bpm (the ±5 bpm a heart-rate
// meter may read off under ANSI/AAMI EC13, divided by the rule's z of 3)
// the same 4 bpm is z = 4 / (5/3) = 2.4, and only a rise beyond 5 bpm
// passes 3: 6 bpm is z = 6 / (5/3) = 3.6.
func TestHRZFloorsASteadyRest(t *testing.T) {
	for _, c := range []struct {
		name  string
		above float64
		wantZ float64
	}{
		{"4 bpm above a steady rest", 4, 2.4},
		{"6 bpm above a steady rest", 6, 3.6},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := NewLive(LiveConfig{})
			for s := int64(1); s <= 180; s++ { // 3 min rest, 1 Hz (the window starts after its from)
				l.add(Sample{Stream: HR, T: s * 1000, V: 70 + 0.5*float64(s%2)})
			}
			l.MarkBaseline(0, 180_000)
			for s := int64(181); s <= 240; s++ {
				l.add(Sample{Stream: HR, T: s * 1000, V: 70.25 + c.above})
			}
			m := l.Snapshot(240_000)
			if m.HRZ == nil || m.Baseline == nil || m.Baseline.HRSD == nil {
				t.Fatalf("no z-score: %+v", m)
			}
			if got := *m.Baseline.HRSD; math.Abs(got-5.0/3) > 1e-9 {
				t.Errorf("baseline HR spread %.4f, want the floor 5/3", got)
			}
			if math.Abs(*m.HRZ-c.wantZ) > 1e-6 {
				t.Errorf("HR z %.4f, want %.1f", *m.HRZ, c.wantZ)
			}
		})
	}
}
