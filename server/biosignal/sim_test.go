package biosignal

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
)

const t0 = int64(1_732_240_000_000)

// runSim feeds a simulator into a Live calculator: baseline at rest for
// restS seconds, then the given intensity/paced breathing for moreS seconds,
// snapshotting every second. It returns the last snapshot and all of them.
func runSim(t testing.TB, cfg SimConfig, restS, moreS int, intensity, paced float64) (Metrics, []Metrics) {
	t.Helper()
	cfg.Start = t0
	sim := NewSimulator(cfg)
	live := NewLive(LiveConfig{})
	live.MarkBaseline(t0+60_000, t0+int64(restS)*1000) // skip the first minute of settling
	var all []Metrics
	for s := 1; s <= restS+moreS; s++ {
		if s == restS {
			sim.SetIntensity(intensity)
			sim.SetPacedBreathing(paced)
		}
		nowMs := t0 + int64(s)*1000
		for _, b := range sim.Advance(nowMs) {
			if err := b.Validate(DefaultLimits, nowMs, 0); err != nil {
				t.Fatalf("simulator made an invalid batch %+v: %v", b, err)
			}
			if _, err := live.AddBatch(&b); err != nil {
				t.Fatal(err)
			}
		}
		all = append(all, live.Snapshot(nowMs))
	}
	return all[len(all)-1], all
}

func TestSimulatorReproducible(t *testing.T) {
	t.Parallel()
	a := NewSimulator(SimConfig{Seed: 7, Start: t0}).Advance(t0 + 30_000)
	b := NewSimulator(SimConfig{Seed: 7, Start: t0}).Advance(t0 + 30_000)
	c := NewSimulator(SimConfig{Seed: 8, Start: t0}).Advance(t0 + 30_000)
	if !reflect.DeepEqual(a, b) {
		t.Error("same seed, different streams")
	}
	if reflect.DeepEqual(a, c) {
		t.Error("different seeds, same streams")
	}
}

func TestSimulatorPlausible(t *testing.T) {
	t.Parallel()
	sim := NewSimulator(SimConfig{Seed: 1, Start: t0, EctopicRate: 0.02})
	counts := map[Stream]int{}
	var rr []float64
	var edaBatches int
	for _, b := range sim.Advance(t0 + 600_000) {
		counts[b.Stream] += b.Len()
		if b.Stream == RR {
			rr = append(rr, b.Values...)
		}
		if b.Stream == EDA {
			edaBatches++
			if b.Len() != 8 || b.RateHz != 32 {
				t.Fatalf("EDA batch of %d at %v Hz, want 8 at 32 (250 ms)", b.Len(), b.RateHz)
			}
		}
	}
	if counts[HR] != 600 || counts[EDA] != 600*32 || counts[Resp] != 120 {
		t.Errorf("sample counts %v", counts)
	}
	h, _ := TimeDomain(rr)
	if h.MeanHR < 62 || h.MeanHR > 78 || h.RMSSD < 10 || h.RMSSD > 120 {
		t.Errorf("resting HRV implausible: %+v", h)
	}
	c, _ := Correct(rr, RuleMalik)
	if c.Share < 0.01 || c.Share > 0.08 {
		t.Errorf("2 %% ectopic rate gave %.3f corrected", c.Share)
	}
}

func TestLiveRespondsToExposure(t *testing.T) {
	t.Parallel()
	rest, _ := runSim(t, SimConfig{Seed: 3}, 240, 120, 0, 0)
	hot, _ := runSim(t, SimConfig{Seed: 3}, 240, 120, 90, 0)
	if rest.HRZ == nil || hot.HRZ == nil || hot.EDAZ == nil || rest.HRV == nil || hot.SCRPerMin == nil {
		t.Fatalf("missing metrics: rest %+v hot %+v", rest, hot)
	}
	if math.Abs(*rest.HRZ) > 3 || *hot.HRZ < 3 || *hot.EDAZ < 3 {
		t.Errorf("z-scores: rest HR %.2f, exposure HR %.2f EDA %.2f", *rest.HRZ, *hot.HRZ, *hot.EDAZ)
	}
	if *hot.HR < *rest.HR+30 || *hot.SCRPerMin <= *hot.Baseline.SCRPerMin {
		t.Errorf("exposure: HR %.1f vs %.1f, SCR %.1f vs baseline %.1f/min", *hot.HR, *rest.HR, *hot.SCRPerMin, *hot.Baseline.SCRPerMin)
	}
	if hot.RMSSDRatio == nil || *hot.RMSSDRatio >= 1 {
		t.Errorf("RSA should shrink under exposure: ratio %v", hot.RMSSDRatio)
	}
	if _, err := json.Marshal(hot); err != nil {
		t.Errorf("metrics not JSON-encodable: %v", err)
	}
}

// TestLiveArousalZScores: CLINICAL.md §6's measures against the baseline's
// own spread: quiet at rest, all pointing up (RMSSD down) under exposure.
func TestLiveArousalZScores(t *testing.T) {
	t.Parallel()
	_, rest := runSim(t, SimConfig{Seed: 3}, 240, 120, 0, 0)
	_, hot := runSim(t, SimConfig{Seed: 3}, 240, 120, 90, 0)
	b := rest[len(rest)-1].Baseline
	if b == nil || b.RMSSDSD == nil || b.SCRRateSD == nil || b.EDASlope == nil || b.EDASlopeSD == nil {
		t.Fatalf("baseline without spread: %+v", b)
	}
	if *b.RMSSDSD < 0.1**b.RMSSD || *b.SCRRateSD < 1 || *b.EDASlopeSD < 0.05 {
		t.Errorf("spread below its floor: %+v", b)
	}
	val := func(p *float64) float64 {
		if p == nil {
			return math.NaN()
		}
		return *p
	}
	for _, m := range rest[240:] {
		for name, z := range map[string]*float64{"rmssd": m.RMSSDZ, "scr rate": m.SCRRateZ, "eda slope": m.EDASlopeZ} {
			if z == nil || math.Abs(*z) > 3 {
				t.Fatalf("at rest, t=%d: %s z = %v", (m.T-t0)/1000, name, val(z))
			}
		}
	}
	peakSlope := 0.0
	for _, m := range hot[240:300] { // the first minute of exposure: the tonic level climbs
		peakSlope = max(peakSlope, val(m.EDASlopeZ))
	}
	end := hot[len(hot)-1]
	if peakSlope < 3 || val(end.RMSSDZ) > -3 || val(end.SCRRateZ) < 2 {
		t.Errorf("exposure: EDA slope z peaked at %.2f, RMSSD z %.2f, SCR rate z %.2f at the end", peakSlope, val(end.RMSSDZ), val(end.SCRRateZ))
	}
}

func TestLivePacedBreathingRaisesCoherence(t *testing.T) {
	t.Parallel()
	spont, _ := runSim(t, SimConfig{Seed: 4}, 60, 120, 0, 0)
	paced, _ := runSim(t, SimConfig{Seed: 4}, 60, 120, 0, 6)
	if spont.Coherence == nil || paced.Coherence == nil {
		t.Fatal("no coherence after 3 min")
	}
	t.Logf("coherence spontaneous %.2f @%.3f Hz, paced %.2f @%.3f Hz", spont.Coherence.Score, spont.Coherence.PeakHz, paced.Coherence.Score, paced.Coherence.PeakHz)
	if paced.Coherence.Score < 0.5 || paced.Coherence.Score < 2*spont.Coherence.Score || math.Abs(paced.Coherence.PeakHz-0.1) > 0.016 {
		t.Errorf("paced 6/min: %+v vs spontaneous %+v", *paced.Coherence, *spont.Coherence)
	}
	if paced.Resp == nil || math.Abs(*paced.Resp-6) > 1.5 {
		t.Errorf("resp rate %v", paced.Resp)
	}
}

func TestLiveBLEPath(t *testing.T) {
	t.Parallel()
	m, _ := runSim(t, SimConfig{Seed: 5, BLE: true}, 120, 0, 0, 0)
	if m.HR == nil || m.HRV == nil || m.HRV.N < 50 || m.Contact != ContactOK {
		t.Errorf("BLE-fed metrics %+v", m)
	}
}

func TestLiveEDAWithoutRate(t *testing.T) {
	t.Parallel()
	live := NewLive(LiveConfig{})
	b := Batch{Stream: EDA, Unit: "uS", T0: t0, Offsets: []int64{0, 250, 500, 750}, Values: []float64{2, 2, 2, 2}}
	if _, err := live.AddBatch(&b); err != nil || live.eda == nil || live.eda.fs != 4 {
		t.Fatalf("rate from offsets: %v", err)
	}
	one := Batch{Stream: EDA, Unit: "uS", T0: t0 + 1000, Offsets: []int64{0}, Values: []float64{2}}
	if _, err := live.AddBatch(&one); err != nil || live.eda.fs != 4 {
		t.Fatalf("single sample keeps the rate: %v", err)
	}
	if m := live.Snapshot(t0 + 1000); m.EDATonic == nil || math.Abs(*m.EDATonic-2) > 1e-9 {
		t.Errorf("tonic %v", live.Snapshot(t0+1000).EDATonic)
	}
	fresh := NewLive(LiveConfig{})
	if _, err := fresh.AddBatch(&one); err == nil {
		t.Error("a lone EDA sample without a rate was accepted")
	}
}
