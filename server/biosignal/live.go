package biosignal

import "math"

// LiveConfig configures a per-session live metrics calculator.
type LiveConfig struct {
	HRVWindowMs     int64   // sliding HRV window (default 60 s)
	HRWindowMs      int64   // HR averaging window (default 5 s)
	Rule            Rule    // ectopic correction (default DefaultRule)
	SCRMinAmplitude float64 // µS (default 0.01)
	RetainMs        int64   // history kept for baselines (default 10 min)
	// Floors under the baseline's spread, so that a very steady rest does
	// not turn ordinary fluctuation into large z-scores (see Baseline).
	MinRMSSDSDShare float64 // of the baseline RMSSD (default 0.10)
	MinSCRRateSD    float64 // SCRs a minute (default 1: 1–3 non-specific SCRs a minute are usual at rest)
	MinEDASlopeSD   float64 // µS a minute (default 0.05)
	// MinHRSD floors the spread of heart rate (default 5/3 bpm): ANSI/AAMI
	// EC13 lets a heart-rate meter read within ±5 bpm (or ±10 %), so a z of
	// 3 — the hr_high rule — then needs a rise beyond what the meter itself
	// may be off by, however steady the rest was.
	MinHRSD float64
	// MinEDASD floors the spread of the tonic EDA level (default 0.05 µS,
	// the largest minimum SCR amplitude in use, 0.01–0.05 µS: a z of 3 then
	// needs a level change of at least three such responses).
	MinEDASD float64
}

func (c *LiveConfig) defaults() {
	if c.HRVWindowMs <= 0 {
		c.HRVWindowMs = 60_000
	}
	if c.HRWindowMs <= 0 {
		c.HRWindowMs = 5_000
	}
	if c.Rule == "" {
		c.Rule = DefaultRule
	}
	if c.SCRMinAmplitude <= 0 {
		c.SCRMinAmplitude = DefaultSCRMinAmpl
	}
	c.RetainMs = max(c.RetainMs, 10*60_000, c.HRVWindowMs)
	if c.MinRMSSDSDShare <= 0 {
		c.MinRMSSDSDShare = 0.10
	}
	if c.MinSCRRateSD <= 0 {
		c.MinSCRRateSD = 1
	}
	if c.MinEDASlopeSD <= 0 {
		c.MinEDASlopeSD = 0.05
	}
	if c.MinHRSD <= 0 {
		c.MinHRSD = 5.0 / 3
	}
	if c.MinEDASD <= 0 {
		c.MinEDASD = 0.05
	}
}

// Live computes a session's metrics incrementally: Add is O(1) per sample
// (EDA filtering and SCR detection run as samples arrive); Snapshot, called
// about once a second, does the window work. Not safe for concurrent use.
type Live struct {
	cfg       LiveConfig
	check     Checker
	hr, rr    []Sample
	resp      []Sample
	tonic     []Sample // 1 Hz decimated EDA tonic level
	scrs      []Sample // SCR peak times, V = amplitude
	eda       *edaState
	lastT     int64
	firstEDA  int64
	contact   Contact
	hasHR     bool // an hr stream exists (else HR comes from RR)
	artifacts int
	base      baselineWin
	coh       *CoherenceResult
	cohT      int64
}

type edaState struct {
	fs       float64
	lp, hp   *Filter
	det      SCRDetector
	lastGood float64
	nextKeep int64
}

// NewLive returns a calculator; zero config fields take defaults.
func NewLive(cfg LiveConfig) *Live {
	cfg.defaults()
	return &Live{cfg: cfg}
}

// AddBatch expands, flags and feeds a validated batch; it returns the number
// of artifacts flagged. EDA needs RateHz (the filter is designed for it).
func (l *Live) AddBatch(b *Batch) (int, error) {
	s, err := b.Expand()
	if err != nil {
		return 0, err
	}
	if b.Stream == BLEHRS {
		l.contact = ContactUnsupported
		if m, err := DecodeHRS(b.Raw[len(b.Raw)-1]); err == nil {
			l.contact = m.Contact
		}
	}
	if b.Stream == EDA {
		if err := l.edaRate(edaRateOf(b, l.eda)); err != nil {
			return 0, err
		}
	}
	n := l.check.Flag(s)
	l.artifacts += n
	for _, x := range s {
		l.add(x)
	}
	return n, nil
}

// edaRateOf is the batch's rate_hz, else the rate estimated from its
// timestamps, else the rate already in use.
func edaRateOf(b *Batch, cur *edaState) float64 {
	if b.RateHz > 0 {
		return b.RateHz
	}
	if n := b.Len(); n >= 2 {
		if span := b.TimeOf(n-1) - b.TimeOf(0); span > 0 {
			return float64(n-1) * 1000 / float64(span)
		}
	}
	if cur != nil {
		return cur.fs
	}
	return 0
}

func (l *Live) edaRate(fs float64) error {
	if l.eda != nil && l.eda.fs == fs {
		return nil
	}
	lp, err := Butterworth2(EDACutoffHz, fs, false)
	if err != nil {
		return err
	}
	hp, _ := Butterworth2(EDACutoffHz, fs, true)
	l.eda = &edaState{fs: fs, lp: NewFilter(lp), hp: NewFilter(hp), det: SCRDetector{MinAmplitude: l.cfg.SCRMinAmplitude}}
	return nil
}

func (l *Live) add(s Sample) {
	l.lastT = max(l.lastT, s.T)
	switch s.Stream {
	case HR:
		l.hr, l.hasHR = append(l.hr, s), true
	case RR:
		l.rr = append(l.rr, s)
	case Resp:
		l.resp = append(l.resp, s)
	case EDA:
		l.addEDA(s)
	}
}

// addEDA filters causally; artifacts are bridged by holding the last good
// value so a motion spike cannot fake an SCR.
func (l *Live) addEDA(s Sample) {
	e := l.eda
	if e == nil {
		return
	}
	v := s.V
	if s.Artifact() {
		v = e.lastGood
	} else {
		e.lastGood = v
	}
	if l.firstEDA == 0 {
		l.firstEDA = s.T
	}
	tonic := e.lp.Step(v)
	if scr, ok := e.det.Step(e.hp.Step(v)); ok {
		l.scrs = append(l.scrs, Sample{Stream: EDA, T: s.T, V: scr.Amplitude})
	}
	if s.T >= e.nextKeep {
		l.tonic = append(l.tonic, Sample{Stream: EDA, T: s.T, V: tonic})
		e.nextKeep = s.T + 1000
	}
}

// since returns the samples with T in (from, to].
func since(s []Sample, from, to int64) []Sample {
	i := 0
	for i < len(s) && s[i].T <= from {
		i++
	}
	j := i
	for j < len(s) && s[j].T <= to {
		j++
	}
	return s[i:j]
}

// trim drops samples older than the retention horizon.
func trim(s []Sample, before int64) []Sample {
	i := 0
	for i < len(s) && s[i].T < before {
		i++
	}
	if i > len(s)/2 {
		return append(s[:0:0], s[i:]...)
	}
	return s[i:]
}

func goodValues(s []Sample) []float64 {
	out := make([]float64, 0, len(s))
	for _, x := range s {
		if !x.Artifact() && x.Flags&FlagNoContact == 0 {
			out = append(out, x.V)
		}
	}
	return out
}

func ptr(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}
