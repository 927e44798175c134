package biosignal

import (
	"math"
	"math/cmplx"
)

// LFPeak is the low-frequency HRV peak of one resonance-assessment window
// (CLINICAL.md §7: the rate with the largest LF peak near 0.1 Hz is the
// patient's resonance rate; Lehrer & Gevirtz 2014, Shaffer & Meehan 2020).
type LFPeak struct {
	PowerMs2 float64 `json:"power_ms2"` // power of the peak bin and its two neighbours
	PeakHz   float64 `json:"peak_hz"`
	Segments int     `json:"segments"` // Welch segments averaged
}

// LF band (Task Force 1996) and the Welch segments: 64 s Hann windows at
// 4 Hz, at least half overlapping, the same resolution as Coherence.
const (
	lfLowHz  = 0.04
	lfHighHz = 0.15
	lfSegMs  = CoherenceWindowS * 1000
	lfHopMs  = lfSegMs / 2
)

// LowFrequencyPeak estimates the tachogram's power spectrum over the beats
// in [from, to] (unix ms; RR in ms at beat times beatT, increasing) by
// Welch's method and returns the largest peak in the LF band. It needs at
// least 64 s of beats; a 2-minute recorded window averages three segments.
// The peak's power is ms² (the PSD integrated over the peak's three bins).
func LowFrequencyPeak(rr []float64, beatT []int64, from, to int64) (LFPeak, error) {
	if len(rr) != len(beatT) || len(rr) < 8 {
		return LFPeak{}, errf(CodeEmpty, -1, "the LF peak needs ≥ 8 beats, have %d", len(rr))
	}
	start, end := max(from, beatT[0]), min(to, beatT[len(beatT)-1])
	if end-start < lfSegMs {
		return LFPeak{}, errf(CodeEmpty, -1, "the LF peak needs %d s of beats, have %d ms", CoherenceWindowS, max(0, end-start))
	}
	const n = int(CoherenceWindowS * coherenceFs)
	df := coherenceFs / float64(n)
	var wss float64 // Σw², for the periodogram's scale
	win := make([]float64, n)
	for i := range win {
		win[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n-1))
		wss += win[i] * win[i]
	}
	// Segments spread evenly over the window, at most half a segment apart.
	segs, hop := 1, int64(0)
	if span := end - start - lfSegMs; span > 0 {
		segs = 1 + int((span+lfHopMs-1)/lfHopMs)
		hop = span / int64(segs-1)
	}
	psd := make([]float64, n/2)
	x := make([]complex128, n)
	for i := range segs {
		s := start + int64(i)*hop
		sig := resample(rr, beatT, float64(s), n)
		detrend(sig)
		for i, v := range sig {
			x[i] = complex(v*win[i], 0)
		}
		fft(x)
		for k := 1; k < n/2; k++ {
			a := cmplx.Abs(x[k])
			psd[k] += 2 * a * a / (coherenceFs * wss) // one-sided, ms²/Hz
		}
	}
	lo, hi := int(math.Ceil(lfLowHz/df)), int(math.Floor(lfHighHz/df))
	peak := lo
	for k := lo; k <= hi; k++ {
		if psd[k] > psd[peak] {
			peak = k
		}
	}
	power := (psd[peak-1] + psd[peak] + psd[peak+1]) / float64(segs) * df
	return LFPeak{PowerMs2: power, PeakHz: float64(peak) * df, Segments: segs}, nil
}

// LowFrequencyPeak is the LF peak of the good beats in [from, to].
func (l *Live) LowFrequencyPeak(from, to int64) (LFPeak, error) {
	win := since(l.rr, from, to)
	rr, ts := make([]float64, 0, len(win)), make([]int64, 0, len(win))
	for _, s := range win {
		if !s.Artifact() {
			rr, ts = append(rr, s.V), append(ts, s.T)
		}
	}
	return LowFrequencyPeak(rr, ts, from, to)
}
