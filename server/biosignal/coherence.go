package biosignal

import (
	"math"
	"math/cmplx"
)

// Coherence parameters (CLINICAL.md §7): last 64 s of RR intervals, resampled
// evenly, spectral peak in 0.04–0.26 Hz relative to total power, updated
// every 5 s by the caller.
const (
	CoherenceWindowS  = 64
	CoherenceUpdateMs = 5000
	coherenceFs       = 4.0                    // Hz; 64 s × 4 Hz = 256 points, a power of two
	peakHalfWidthHz   = 1.0 / CoherenceWindowS // ±1 bin = ±0.0156 Hz
)

// CoherenceResult is a breathing-biofeedback coherence score.
type CoherenceResult struct {
	Score  float64 `json:"score"`   // peak power / total power, 0–1
	PeakHz float64 `json:"peak_hz"` // frequency of the peak in 0.04–0.26 Hz
}

// Coherence computes Haven's own coherence score from RR intervals (ms) and
// their beat times (ms, increasing) covering at least the last 64 s. The
// tachogram is linearly interpolated at 4 Hz over the last 64 s, detrended
// (least squares line), Hann-windowed and transformed; the score is the power
// in the highest bin within 0.04–0.26 Hz and its two neighbours (±1/64 Hz,
// the Hann main lobe) divided by the power in 0.0033–0.4 Hz. A slow, regular
// breathing rhythm concentrates HRV power in one peak near 0.1 Hz and scores
// near 1. The band and a ~0.03 Hz peak window follow McCraty et al. (2009),
// "The coherent heart", Integral Review 5(2); the ratio to total power is our
// choice (the commercial formula is proprietary).
func Coherence(rr []float64, beatT []int64) (CoherenceResult, error) {
	if len(rr) < 8 || len(rr) != len(beatT) {
		return CoherenceResult{}, errf(CodeEmpty, -1, "coherence needs ≥ 8 beats, have %d", len(rr))
	}
	end := float64(beatT[len(beatT)-1])
	start := end - CoherenceWindowS*1000
	if float64(beatT[0]) > start+2000 {
		return CoherenceResult{}, errf(CodeEmpty, -1, "coherence needs 64 s of beats")
	}
	const n = int(CoherenceWindowS * coherenceFs)
	sig := resample(rr, beatT, start, n)
	x := make([]complex128, n)
	detrend(sig)
	for i, v := range sig {
		w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n-1))
		x[i] = complex(v*w, 0)
	}
	fft(x)
	df := coherenceFs / float64(n)
	pow := func(k int) float64 { a := cmplx.Abs(x[k]); return a * a }
	peakK := -1
	for k := int(math.Ceil(0.04 / df)); float64(k)*df <= 0.26; k++ {
		if peakK < 0 || pow(k) > pow(peakK) {
			peakK = k
		}
	}
	var total, peak float64
	for k := 1; float64(k)*df <= 0.4; k++ {
		if float64(k)*df < 0.0033 {
			continue
		}
		p := pow(k)
		total += p
		if math.Abs(float64(k-peakK)*df) <= peakHalfWidthHz+1e-9 {
			peak += p
		}
	}
	if total == 0 {
		return CoherenceResult{PeakHz: float64(peakK) * df}, nil
	}
	return CoherenceResult{Score: peak / total, PeakHz: float64(peakK) * df}, nil
}

// resample linearly interpolates the tachogram (RR against beat time) at
// coherenceFs from start (ms), n points.
func resample(rr []float64, beatT []int64, start float64, n int) []float64 {
	sig := make([]float64, n)
	j := 0
	for i := range n {
		t := start + float64(i)*1000/coherenceFs
		for j < len(beatT)-2 && float64(beatT[j+1]) < t {
			j++
		}
		t0, t1 := float64(beatT[j]), float64(beatT[j+1])
		f := math.Max(0, math.Min(1, (t-t0)/math.Max(t1-t0, 1)))
		sig[i] = rr[j] + f*(rr[j+1]-rr[j])
	}
	return sig
}

// detrend removes the least-squares line from x in place.
func detrend(x []float64) {
	n := float64(len(x))
	var st, sx, stt, stx float64
	for i, v := range x {
		t := float64(i)
		st, sx, stt, stx = st+t, sx+v, stt+t*t, stx+t*v
	}
	slope := (n*stx - st*sx) / (n*stt - st*st)
	icept := (sx - slope*st) / n
	for i := range x {
		x[i] -= icept + slope*float64(i)
	}
}

// fft is an in-place iterative radix-2 Cooley–Tukey FFT; len(x) must be a power of two.
func fft(x []complex128) {
	n := len(x)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			x[i], x[j] = x[j], x[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		w := cmplx.Exp(complex(0, -2*math.Pi/float64(size)))
		for s := 0; s < n; s += size {
			wk := complex(1, 0)
			for k := range size / 2 {
				u, v := x[s+k], x[s+k+size/2]*wk
				x[s+k], x[s+k+size/2] = u+v, u-v
				wk *= w
			}
		}
	}
}
