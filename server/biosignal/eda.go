package biosignal

import (
	"bufio"
	"io"
	"math"
	"strconv"
	"strings"
)

// Biquad is a second-order IIR section, a[0] normalised to 1.
type Biquad struct {
	B [3]float64
	A [3]float64
}

// Butterworth2 designs a 2nd-order Butterworth low-pass (highPass=false) or
// high-pass at cutoff fc for sample rate fs (Hz) by the bilinear transform
// with frequency prewarping, K = tan(π·fc/fs) (Oppenheim & Schafer,
// Discrete-Time Signal Processing, §7.1). It matches scipy.signal.butter(2, …).
func Butterworth2(fc, fs float64, highPass bool) (Biquad, error) {
	if !(fs > 0) || !(fc > 0) || fc >= fs/2 {
		return Biquad{}, errf(CodeBadRule, -1, "cutoff %v Hz must lie in (0, fs/2) for fs %v Hz", fc, fs)
	}
	k := math.Tan(math.Pi * fc / fs)
	norm := 1 / (1 + math.Sqrt2*k + k*k)
	var q Biquad
	q.A = [3]float64{1, 2 * (k*k - 1) * norm, (1 - math.Sqrt2*k + k*k) * norm}
	if highPass {
		q.B = [3]float64{norm, -2 * norm, norm}
	} else {
		b0 := k * k * norm
		q.B = [3]float64{b0, 2 * b0, b0}
	}
	return q, nil
}

// Filter runs a Biquad causally (transposed direct form II), one sample at a
// time, so it serves live streams and whole recordings alike.
type Filter struct {
	q      Biquad
	z1, z2 float64
	primed bool
}

// NewFilter returns a filter whose state is set, on the first sample x0, to
// the steady state for a constant input x0 (scipy's lfilter_zi·x0): no
// start-up transient from the signal's offset.
func NewFilter(q Biquad) *Filter { return &Filter{q: q} }

// Step filters one sample.
func (f *Filter) Step(x float64) float64 {
	b, a := f.q.B, f.q.A
	if !f.primed {
		f.primed = true
		y := x * (b[0] + b[1] + b[2]) / (a[0] + a[1] + a[2])
		f.z2 = b[2]*x - a[2]*y
		f.z1 = y - b[0]*x
	}
	y := b[0]*x + f.z1
	f.z1 = b[1]*x - a[1]*y + f.z2
	f.z2 = b[2]*x - a[2]*y
	return y
}

// EDA decomposition defaults: tonic = low-pass at 0.05 Hz, phasic = matching
// high-pass (a common live decomposition; see docs/biosignals.md).
const (
	EDACutoffHz       = 0.05
	DefaultSCRMinAmpl = 0.01 // µS; the literature uses 0.01–0.05
)

// SCR is one skin conductance response found trough-to-peak.
type SCR struct {
	Onset     int     `json:"onset"` // sample index of the trough
	Peak      int     `json:"peak"`
	Amplitude float64 `json:"amplitude_us"`
}

// SCRDetector finds SCRs incrementally: onset = last trough before a peak,
// amplitude = peak − onset value, kept when ≥ MinAmplitude.
type SCRDetector struct {
	MinAmplitude float64
	i            int
	prev         float64
	rising       bool
	trough       float64
	troughAt     int
}

// Step feeds one (phasic) sample and returns a completed SCR, if the previous
// sample was a qualifying peak.
func (d *SCRDetector) Step(x float64) (SCR, bool) {
	defer func() { d.prev = x; d.i++ }()
	if d.i == 0 {
		d.trough, d.troughAt = x, 0
		return SCR{}, false
	}
	switch {
	case x > d.prev && !d.rising:
		d.rising = true
		d.trough, d.troughAt = d.prev, d.i-1
	case x < d.prev && d.rising:
		d.rising = false
		if a := d.prev - d.trough; a >= d.MinAmplitude {
			return SCR{Onset: d.troughAt, Peak: d.i - 1, Amplitude: a}, true
		}
	}
	return SCR{}, false
}

// EDAResult is the offline analysis of an EDA recording.
type EDAResult struct {
	N            int       `json:"n"`
	RateHz       float64   `json:"rate_hz"`
	Mean         float64   `json:"mean_us"`
	Median       float64   `json:"median_us"`
	Max          float64   `json:"max_us"`
	SD           float64   `json:"sd_us"`
	MinAmplitude float64   `json:"min_amplitude_us"`
	SCRs         []SCR     `json:"scrs"`
	SCRCount     int       `json:"scr_count"`
	SCRPerMin    float64   `json:"scr_per_min"`
	Tonic        []float64 `json:"-"`
	Phasic       []float64 `json:"-"`
}

// AnalyzeEDA decomposes x (µS at fs Hz) causally and detects SCRs on the phasic part.
func AnalyzeEDA(x []float64, fs, minAmpl float64) (EDAResult, error) {
	r := EDAResult{N: len(x), RateHz: fs, MinAmplitude: minAmpl}
	if len(x) < 2 {
		return r, errf(CodeEmpty, -1, "EDA needs at least 2 samples")
	}
	lp, err := Butterworth2(EDACutoffHz, fs, false)
	if err != nil {
		return r, err
	}
	hp, _ := Butterworth2(EDACutoffHz, fs, true)
	lf, hf := NewFilter(lp), NewFilter(hp)
	det := SCRDetector{MinAmplitude: minAmpl}
	r.Tonic, r.Phasic = make([]float64, len(x)), make([]float64, len(x))
	for i, v := range x {
		r.Tonic[i], r.Phasic[i] = lf.Step(v), hf.Step(v)
		if s, ok := det.Step(r.Phasic[i]); ok {
			r.SCRs = append(r.SCRs, s)
		}
	}
	if r.SCRs == nil {
		r.SCRs = []SCR{} // "scrs": [] in JSON, never null
	}
	r.SCRCount = len(r.SCRs)
	r.SCRPerMin = float64(r.SCRCount) / (float64(len(x)) / fs / 60)
	r.Mean, r.SD = meanSD(x)
	r.Median = median(x)
	r.Max = x[0]
	for _, v := range x {
		r.Max = math.Max(r.Max, v)
	}
	return r, nil
}

// ParseE4 reads an Empatica E4 CSV export: line 1 start time (unix s), line 2
// sample rate (Hz), then one value per line.
func ParseE4(r io.Reader) (start float64, fs float64, x []float64, err error) {
	sc := bufio.NewScanner(io.LimitReader(r, MaxRRFileBytes))
	for line := 0; sc.Scan(); line++ {
		f := strings.TrimSpace(strings.SplitN(sc.Text(), ",", 2)[0])
		if f == "" {
			continue
		}
		v, perr := strconv.ParseFloat(f, 64)
		if perr != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return 0, 0, nil, errf(CodeMalformed, line, "%q is not a number", f)
		}
		switch line {
		case 0:
			start = v
		case 1:
			fs = v
		default:
			x = append(x, v)
		}
	}
	if !(fs > 0) || len(x) == 0 {
		return 0, 0, nil, errf(CodeEmpty, -1, "E4 file needs a start time, a sample rate and samples")
	}
	return start, fs, x, nil
}
