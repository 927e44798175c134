package biosignal

import (
	"math"
	"math/rand/v2"
)

// SimConfig configures the simulated sensor. Zero fields take defaults.
type SimConfig struct {
	Seed        uint64
	Start       int64   // unix ms of the first sample
	RestHR      float64 // bpm (default 70)
	BaseEDA     float64 // µS tonic level at rest (default 2)
	EDARateHz   float64 // default 32
	EDABatchMs  int64   // default 250
	EctopicRate float64 // share of beats that are premature (default 0.005)
	BLE         bool    // emit ble_hrs payloads (1 Hz) instead of hr and rr
	// ResonanceBPM is the breathing rate at which paced breathing enlarges
	// RSA the most (default 6; adults lie within 4.5–6.5, CLINICAL.md §7).
	ResonanceBPM float64
}

// Simulator produces physiologically plausible, reproducible streams: HR with
// respiratory sinus arrhythmia (RSA), RR per beat with occasional premature
// beats and compensatory pauses, EDA with SCRs (Bateman-shaped, rise ~1 s)
// arriving as a Poisson process, and respiration rate. Exposure intensity
// raises HR, EDA level and SCR rate and damps RSA; paced breathing slows
// respiration, enlarges RSA and makes it regular, which raises coherence.
type Simulator struct {
	cfg       SimConfig
	rng       *rand.Rand
	t         float64 // ms
	intensity float64
	paced     float64 // breaths/min, 0 = spontaneous
	hrLevel   float64
	hrNoise   float64 // slow Ornstein–Uhlenbeck wander of HR (bpm)
	rateNoise float64 // breath-to-breath variability of spontaneous breathing
	phase     float64 // breathing cycles
	nextBeat  float64
	lastBeat  float64
	compens   float64 // pending compensatory pause factor
	tonic     float64
	scrs      []simSCR
	nextSCR   float64
	nextHR    float64
	nextResp  float64
	eda       []float64
	edaT0     float64
	bleRR     []uint16
	noContact bool
	seq       uint64
	out       []Batch
}

type simSCR struct{ t0, amp float64 }

// NewSimulator returns a seeded simulator; equal configs give equal streams.
func NewSimulator(cfg SimConfig) *Simulator {
	if cfg.RestHR == 0 {
		cfg.RestHR = 70
	}
	if cfg.BaseEDA == 0 {
		cfg.BaseEDA = 2
	}
	if cfg.EDARateHz == 0 {
		cfg.EDARateHz = 32
	}
	if cfg.EDABatchMs == 0 {
		cfg.EDABatchMs = 250
	}
	if cfg.EctopicRate == 0 {
		cfg.EctopicRate = 0.005
	}
	if cfg.ResonanceBPM == 0 {
		cfg.ResonanceBPM = 6
	}
	s := &Simulator{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))}
	s.t = float64(cfg.Start)
	s.hrLevel, s.tonic = cfg.RestHR, cfg.BaseEDA
	s.nextBeat, s.lastBeat = s.t+60000/cfg.RestHR, s.t
	s.nextHR, s.nextResp, s.edaT0 = s.t+1000, s.t+5000, s.t
	s.nextSCR = s.t + s.scrGap()
	return s
}

// SetIntensity sets the exposure intensity 0–100.
func (s *Simulator) SetIntensity(v float64) { s.intensity = math.Max(0, math.Min(100, v)) }

// SetContact simulates the chest strap slipping (false) or sitting well
// (true); in BLE mode the strap then reports "no contact" and HR 0.
func (s *Simulator) SetContact(ok bool) { s.noContact = !ok }

// SetPacedBreathing sets a paced rate in breaths/min (0: spontaneous breathing).
func (s *Simulator) SetPacedBreathing(perMin float64) { s.paced = math.Max(0, perMin) }

func (s *Simulator) breathRate() float64 {
	if s.paced > 0 {
		return s.paced
	}
	// Spontaneous breathing is irregular: ±~25 % breath to breath.
	return (14 + 0.08*s.intensity) * math.Exp(s.rateNoise)
}

// ou advances an Ornstein–Uhlenbeck process x with time constant tau (ms)
// and stationary SD sd over dt ms.
func (s *Simulator) ou(x, dt, tau, sd float64) float64 {
	return x - x*dt/tau + sd*math.Sqrt(2*dt/tau)*s.rng.NormFloat64()
}

func (s *Simulator) scrGap() float64 {
	perMin := 1.5 + 0.1*s.intensity // ~1–3/min at rest, up to ~12/min
	if s.paced > 0 {
		perMin /= 2
	}
	return s.rng.ExpFloat64() / perMin * 60000
}

// Advance runs the simulation up to untilMs and returns the batches completed.
func (s *Simulator) Advance(untilMs int64) []Batch {
	dt := 1000 / s.cfg.EDARateHz
	for s.t+dt <= float64(untilMs) {
		s.t += dt
		s.step(dt)
	}
	out := s.out
	s.out = nil
	return out
}

func (s *Simulator) step(dt float64) {
	target := s.cfg.RestHR + 0.5*s.intensity
	if s.paced > 0 {
		target -= 3
	}
	s.hrLevel += (target - s.hrLevel) * dt / 15000 // 15 s lag
	s.hrNoise = s.ou(s.hrNoise, dt, 8000, 2.5)
	s.rateNoise = s.ou(s.rateNoise, dt, 4000, 0.25)
	s.phase += dt * s.breathRate() / 60000
	s.tonic += (s.cfg.BaseEDA + 0.03*s.intensity - s.tonic) * dt / 30000
	if s.t >= s.nextBeat {
		s.beat()
	}
	if s.t >= s.nextSCR {
		amp := 0.05 + s.rng.ExpFloat64()*(0.1+0.004*s.intensity)
		s.scrs = append(s.scrs, simSCR{t0: s.t, amp: amp})
		s.nextSCR = s.t + s.scrGap()
	}
	s.edaSample()
	if s.t >= s.nextHR {
		s.nextHR += 1000
		s.emitHR()
	}
	if s.t >= s.nextResp {
		s.nextResp += 5000
		s.emit(Resp, "/min", s.breathRate()+s.rng.NormFloat64()*0.3)
	}
}

// instHR is the instantaneous rate: level plus RSA, whose amplitude grows
// with slow paced breathing — most at the patient's resonance rate, less a
// breath a minute either side (a baroreflex resonance curve) — and shrinks
// with arousal.
func (s *Simulator) instHR() float64 {
	rsa := 4 * (1 - 0.6*s.intensity/100)
	if s.paced > 0 {
		d := s.paced - s.cfg.ResonanceBPM
		rsa *= 1 + 1.5*math.Exp(-d*d)
	}
	return s.hrLevel + s.hrNoise + rsa*math.Sin(2*math.Pi*s.phase)
}

// beat emits the interval that ends at the scheduled (exact, sub-ms) beat
// time and schedules the next one.
func (s *Simulator) beat() {
	bt := s.nextBeat
	rr := bt - s.lastBeat
	s.lastBeat = bt
	if s.cfg.BLE {
		s.bleRR = append(s.bleRR, uint16(math.Round(rr*1.024)))
	} else {
		s.push(Batch{Stream: RR, Unit: "ms", T0: int64(math.Round(bt)), Offsets: []int64{0}, Values: []float64{rr}})
	}
	next := 60000/s.instHR() + s.rng.NormFloat64()*8
	switch {
	case s.compens > 0:
		next *= s.compens
		s.compens = 0
	case s.rng.Float64() < s.cfg.EctopicRate:
		next *= 0.7
		s.compens = 1.3
	}
	s.nextBeat = bt + next
}

func (s *Simulator) emitHR() {
	hr := math.Round(s.instHR())
	if !s.cfg.BLE {
		s.emit(HR, "bpm", hr)
		return
	}
	m := HRMeasurement{HR: uint16(hr), Contact: ContactOK, RRTicks: s.bleRR}
	if s.noContact {
		m = HRMeasurement{Contact: ContactLost}
	}
	s.bleRR = nil
	s.push(Batch{Stream: BLEHRS, Unit: "raw", T0: int64(s.t), Offsets: []int64{0}, Raw: [][]byte{EncodeHRS(m)}})
}

func (s *Simulator) edaSample() {
	v := s.tonic + s.rng.NormFloat64()*0.002
	keep := s.scrs[:0]
	for _, r := range s.scrs {
		age := (s.t - r.t0) / 1000
		if age < 20 {
			keep = append(keep, r)
		}
		// Bateman function, τ rise 0.75 s, τ decay 2 s; 0.4 normalises its peak to ≈1.
		v += r.amp * (math.Exp(-age/2) - math.Exp(-age/0.75)) / 0.4
	}
	s.scrs = keep
	if len(s.eda) == 0 {
		s.edaT0 = s.t
	}
	s.eda = append(s.eda, math.Max(0, v))
	if s.t-s.edaT0+1000/s.cfg.EDARateHz >= float64(s.cfg.EDABatchMs) {
		s.push(Batch{Stream: EDA, Unit: "uS", RateHz: s.cfg.EDARateHz, T0: int64(math.Round(s.edaT0)), Values: s.eda})
		s.eda = nil
	}
}

func (s *Simulator) emit(st Stream, unit string, v float64) {
	s.push(Batch{Stream: st, Unit: unit, T0: int64(s.t), Offsets: []int64{0}, Values: []float64{v}})
}

func (s *Simulator) push(b Batch) {
	s.seq++
	b.Seq = s.seq
	s.out = append(s.out, b)
}
