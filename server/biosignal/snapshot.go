package biosignal

import "math"

// Metrics is what the therapist sees every second. Optional values are nil
// when there is not enough data (JSON cannot carry NaN).
type Metrics struct {
	T              int64            `json:"t"`
	HR             *float64         `json:"hr_bpm,omitempty"`
	HRV            *HRV             `json:"hrv,omitempty"`
	Rule           Rule             `json:"rule"`
	ShareCorrected *float64         `json:"share_corrected,omitempty"`
	EDATonic       *float64         `json:"eda_tonic_us,omitempty"`
	SCRCount       int              `json:"scr_count"`
	SCRPerMin      *float64         `json:"scr_per_min,omitempty"`
	Resp           *float64         `json:"resp_per_min,omitempty"`
	Coherence      *CoherenceResult `json:"coherence,omitempty"`
	Contact        Contact          `json:"contact"`
	LastSampleT    int64            `json:"last_sample_t"`
	Artifacts      int              `json:"artifacts"`
	Baseline       *Baseline        `json:"baseline,omitempty"`
	HRZ            *float64         `json:"hr_z,omitempty"`
	EDAZ           *float64         `json:"eda_z,omitempty"`
	RMSSDRatio     *float64         `json:"rmssd_ratio,omitempty"` // RMSSD / baseline RMSSD
	SCRRateDelta   *float64         `json:"scr_rate_delta,omitempty"`
	// EDASlope is the tonic level's trend over the last 30 s, µS a minute.
	EDASlope *float64 `json:"eda_slope_us_min,omitempty"`
	// Baseline z-scores of CLINICAL.md §6's arousal measures (RMSSD falls
	// with arousal: its z goes negative).
	RMSSDZ    *float64 `json:"rmssd_z,omitempty"`
	SCRRateZ  *float64 `json:"scr_rate_z,omitempty"`
	EDASlopeZ *float64 `json:"eda_slope_z,omitempty"`
}

// Sub-windows over which the baseline's spread is taken: as long as the
// live measure they are compared with, stepped through the baseline.
const (
	spreadStepMs     = 15_000
	edaSlopeWinMs    = 30_000
	edaSlopeStepMs   = 10_000
	minSpreadWindows = 3
)

// Baseline holds a session's reference statistics, taken over a window the
// caller marks (CLINICAL.md §5: 3–5 min in a neutral or calm scene).
type Baseline struct {
	From      int64    `json:"from"`
	To        int64    `json:"to"`
	HRMean    *float64 `json:"hr_mean,omitempty"`
	HRSD      *float64 `json:"hr_sd,omitempty"`
	RMSSD     *float64 `json:"rmssd_ms,omitempty"`
	EDAMean   *float64 `json:"eda_mean_us,omitempty"`
	EDASD     *float64 `json:"eda_sd_us,omitempty"`
	SCRPerMin *float64 `json:"scr_per_min,omitempty"`
	// Spread of the windowed measures: RMSSD over HRV-window-long and the
	// SCR rate over minute-long sub-windows, the EDA slope over 30 s ones,
	// each floored (LiveConfig) — a baseline has a few minutes, not hours.
	RMSSDSD    *float64 `json:"rmssd_sd_ms,omitempty"`
	SCRRateSD  *float64 `json:"scr_rate_sd,omitempty"`
	EDASlope   *float64 `json:"eda_slope_us_min,omitempty"`
	EDASlopeSD *float64 `json:"eda_slope_sd,omitempty"`
}

type baselineWin struct {
	from, to int64
	marked   bool
	done     *Baseline
}

// MarkBaseline sets the baseline window (unix ms). Statistics are taken at the
// first Snapshot at or after `to`, from history kept for RetainMs.
func (l *Live) MarkBaseline(from, to int64) {
	l.base = baselineWin{from: from, to: to, marked: true}
}

func (l *Live) computeBaseline() *Baseline {
	w := l.base
	b := &Baseline{From: w.from, To: w.to}
	m, sd := meanSD(goodValues(since(l.hr, w.from, w.to)))
	b.HRMean, b.HRSD = ptr(m), ptr(max(sd, l.cfg.MinHRSD))
	if h, _, err := l.hrv(w.from, w.to); err == nil {
		b.RMSSD = ptr(h.RMSSD)
	}
	if tonic := goodValues(since(l.tonic, w.from, w.to)); len(tonic) > 0 {
		m, sd = meanSD(tonic)
		b.EDAMean, b.EDASD = ptr(m), ptr(max(sd, l.cfg.MinEDASD))
	}
	if l.eda != nil {
		n := len(since(l.scrs, w.from, w.to))
		b.SCRPerMin = ptr(float64(n) / (float64(w.to-max(w.from, l.firstEDA)) / 60000))
	}
	l.baselineSpread(b)
	return b
}

// baselineSpread takes the windowed measures over sub-windows of the
// baseline as long as the live windows they will be compared with.
func (l *Live) baselineSpread(b *Baseline) {
	w, c := l.base, l.cfg
	var rmssd, rate, slope []float64
	for end := w.from + c.HRVWindowMs; end <= w.to; end += spreadStepMs {
		if h, _, err := l.hrv(end-c.HRVWindowMs, end); err == nil {
			rmssd = append(rmssd, h.RMSSD)
		}
	}
	if l.eda != nil {
		for end := max(w.from, l.firstEDA) + 60_000; end <= w.to; end += spreadStepMs {
			rate = append(rate, float64(len(since(l.scrs, end-60_000, end))))
		}
	}
	for end := w.from + edaSlopeWinMs; end <= w.to; end += edaSlopeStepMs {
		if v, ok := trendPerMin(since(l.tonic, end-edaSlopeWinMs, end)); ok {
			slope = append(slope, v)
		}
	}
	if sd, ok := spread(rmssd); ok && b.RMSSD != nil {
		b.RMSSDSD = ptr(max(sd, c.MinRMSSDSDShare**b.RMSSD))
	}
	if sd, ok := spread(rate); ok {
		b.SCRRateSD = ptr(max(sd, c.MinSCRRateSD))
	}
	if sd, ok := spread(slope); ok {
		m, _ := meanSD(slope)
		b.EDASlope, b.EDASlopeSD = ptr(m), ptr(max(sd, c.MinEDASlopeSD))
	}
}

// spread is the SD of enough sub-window values to mean something.
func spread(x []float64) (float64, bool) {
	if len(x) < minSpreadWindows {
		return 0, false
	}
	_, sd := meanSD(x)
	return sd, !math.IsNaN(sd)
}

// trendPerMin is the least-squares slope of the good samples, per minute;
// it needs two thirds of a 1 Hz window.
func trendPerMin(s []Sample) (float64, bool) {
	var n, st, sv, stt, stv float64
	for _, x := range s {
		if x.Artifact() {
			continue
		}
		t := float64(x.T-s[0].T) / 60000
		n, st, sv, stt, stv = n+1, st+t, sv+x.V, stt+t*t, stv+t*x.V
	}
	den := n*stt - st*st
	if n < float64(edaSlopeWinMs)/1000*2/3 || den == 0 {
		return 0, false
	}
	return (n*stv - st*sv) / den, true
}

func (l *Live) hrv(from, to int64) (HRV, Corrected, error) {
	win := since(l.rr, from, to)
	rr := make([]float64, len(win))
	for i, s := range win {
		rr[i] = s.V
	}
	c, err := Correct(rr, l.cfg.Rule)
	if err != nil {
		return HRV{}, c, err
	}
	h, err := TimeDomain(c.RR)
	return h, c, err
}

// Snapshot returns the metrics at now (unix ms) and drops history older than
// RetainMs. Call it about once a second.
func (l *Live) Snapshot(now int64) Metrics {
	m := Metrics{T: now, Rule: l.cfg.Rule, Contact: l.contact, LastSampleT: l.lastT, Artifacts: l.artifacts}
	hrs := goodValues(since(l.hr, now-l.cfg.HRWindowMs, now))
	if len(hrs) > 0 {
		hr, _ := meanSD(hrs)
		m.HR = ptr(hr)
	}
	if h, c, err := l.hrv(now-l.cfg.HRVWindowMs, now); err == nil {
		m.HRV, m.ShareCorrected = &h, ptr(c.Share)
		if m.HR == nil && !l.hasHR { // RR-only sensor: fall back to the beats' mean HR
			m.HR = ptr(h.MeanHR)
		}
	}
	if n := len(l.tonic); n > 0 && now-l.tonic[n-1].T < 5000 {
		m.EDATonic = ptr(l.tonic[n-1].V)
		if v, ok := trendPerMin(since(l.tonic, now-edaSlopeWinMs, now)); ok {
			m.EDASlope = ptr(v)
		}
	}
	if l.eda != nil && l.firstEDA > 0 {
		m.SCRCount = len(since(l.scrs, now-60_000, now))
		span := float64(min(60_000, now-l.firstEDA)) / 60000
		if span > 0 {
			m.SCRPerMin = ptr(float64(m.SCRCount) / span)
		}
	}
	if r := goodValues(since(l.resp, now-30_000, now)); len(r) > 0 {
		m.Resp = ptr(r[len(r)-1])
	}
	l.coherence(now, &m)
	l.relative(now, &m)
	l.forget(now - l.cfg.RetainMs)
	return m
}

func (l *Live) coherence(now int64, m *Metrics) {
	if now-l.cohT >= CoherenceUpdateMs {
		l.cohT, l.coh = now, nil
		win := since(l.rr, now-(CoherenceWindowS+5)*1000, now)
		rr, ts := make([]float64, 0, len(win)), make([]int64, 0, len(win))
		for _, s := range win {
			if !s.Artifact() {
				rr, ts = append(rr, s.V), append(ts, s.T)
			}
		}
		if c, err := Coherence(rr, ts); err == nil {
			l.coh = &c
		}
	}
	m.Coherence = l.coh
}

func (l *Live) relative(now int64, m *Metrics) {
	if !l.base.marked || now < l.base.to {
		return
	}
	if l.base.done == nil {
		l.base.done = l.computeBaseline()
	}
	b := l.base.done
	m.Baseline = b
	z := func(v, mean, sd *float64) *float64 {
		if v == nil || mean == nil || sd == nil || *sd == 0 {
			return nil
		}
		return ptr((*v - *mean) / *sd)
	}
	m.HRZ = z(m.HR, b.HRMean, b.HRSD)
	m.EDAZ = z(m.EDATonic, b.EDAMean, b.EDASD)
	if m.HRV != nil && b.RMSSD != nil && *b.RMSSD > 0 {
		m.RMSSDRatio = ptr(m.HRV.RMSSD / *b.RMSSD)
	}
	if m.SCRPerMin != nil && b.SCRPerMin != nil {
		m.SCRRateDelta = ptr(*m.SCRPerMin - *b.SCRPerMin)
	}
	if m.HRV != nil {
		m.RMSSDZ = z(&m.HRV.RMSSD, b.RMSSD, b.RMSSDSD)
	}
	m.SCRRateZ = z(m.SCRPerMin, b.SCRPerMin, b.SCRRateSD)
	m.EDASlopeZ = z(m.EDASlope, b.EDASlope, b.EDASlopeSD)
}

func (l *Live) forget(before int64) {
	l.hr, l.rr, l.resp = trim(l.hr, before), trim(l.rr, before), trim(l.resp, before)
	l.tonic, l.scrs = trim(l.tonic, before), trim(l.scrs, before)
}
