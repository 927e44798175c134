package biosignal

import (
	"strings"
	"testing"
)

// TestPipelineAlerts drives simulator → Live → Evaluator as a session does:
// calm baseline, then a strong exposure for a 60-year-old (ceiling 0.85·160 =
// 136 bpm) hovering near the ceiling, a slipping strap and a 20 s link drop:
// every alert fires exactly once per episode and clears.
func TestPipelineAlerts(t *testing.T) {
	t.Parallel()
	sim := NewSimulator(SimConfig{Seed: 11, Start: t0, BLE: true, RestHR: 90})
	live := NewLive(LiveConfig{})
	live.MarkBaseline(t0+60_000, t0+240_000)
	ev, err := NewEvaluator(DefaultAlertRules(), 60)
	if err != nil {
		t.Fatal(err)
	}
	var log []string
	for s := int64(1); s <= 600; s++ {
		switch s {
		case 240:
			sim.SetIntensity(100) // HR → ~140 bpm
		case 420:
			sim.SetContact(false)
		case 440:
			sim.SetContact(true)
			sim.SetIntensity(0)
		}
		nowMs := t0 + s*1000
		batches := sim.Advance(nowMs)
		if s >= 500 && s < 520 {
			batches = nil // the sensor's link drops for 20 s
		}
		for _, b := range batches {
			if _, err := live.AddBatch(&b); err != nil {
				t.Fatal(err)
			}
		}
		for _, e := range ev.Evaluate(nowMs, live.Snapshot(nowMs)) {
			state := "cleared"
			if e.Fired {
				state = "fired"
			}
			log = append(log, e.Code+":"+state)
		}
	}
	got := strings.Join(log, " ")
	t.Log(got)
	for _, want := range []string{"hr_ceiling:fired", "hr_high:fired", "contact_lost:fired", "contact_lost:cleared",
		"hr_ceiling:cleared", "no_data:fired", "no_data:cleared"} {
		if strings.Count(got, want) != 1 {
			t.Errorf("%s: want exactly once in %q", want, got)
		}
	}
}
