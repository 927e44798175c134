package biosignal

import "math"

// HRV holds time-domain heart-rate-variability metrics as defined by the Task
// Force of the ESC and NASPE (1996), "Heart rate variability: standards of
// measurement…", Circulation 93:1043–1065. RR in ms.
type HRV struct {
	N      int     `json:"n"`
	MeanNN float64 `json:"mean_nn_ms"`
	SDNN   float64 `json:"sdnn_ms"`  // sample SD (N−1)
	RMSSD  float64 `json:"rmssd_ms"` // √(Σd²/(N−1)), d successive differences
	NN50   int     `json:"nn50"`     // |d| > 50 ms, strict
	PNN50  float64 `json:"pnn50"`    // 100·NN50/N
	MeanHR float64 `json:"mean_hr_bpm"`
	MinNN  float64 `json:"min_nn_ms"`
	MaxNN  float64 `json:"max_nn_ms"`
}

// TimeDomain computes HRV over rr (ms). It needs at least two intervals.
func TimeDomain(rr []float64) (HRV, error) {
	n := len(rr)
	if n < 2 {
		return HRV{N: n}, errf(CodeEmpty, -1, "HRV needs at least 2 RR intervals, have %d", n)
	}
	h := HRV{N: n, MinNN: rr[0], MaxNN: rr[0]}
	var sum, sumHR float64
	for _, v := range rr {
		sum += v
		sumHR += 60000 / v
		h.MinNN = math.Min(h.MinNN, v)
		h.MaxNN = math.Max(h.MaxNN, v)
	}
	h.MeanNN = sum / float64(n)
	h.MeanHR = sumHR / float64(n)
	var ss, sd float64
	for i, v := range rr {
		ss += (v - h.MeanNN) * (v - h.MeanNN)
		if i > 0 {
			d := v - rr[i-1]
			sd += d * d
			if math.Abs(d) > 50 {
				h.NN50++
			}
		}
	}
	h.SDNN = math.Sqrt(ss / float64(n-1))
	h.RMSSD = math.Sqrt(sd / float64(n-1))
	h.PNN50 = 100 * float64(h.NN50) / float64(n)
	return h, nil
}

// Window returns the intervals of rr whose end time — the cumulative sum of
// RR from the first interval's start, in seconds — lies in (a, b].
func Window(rr []float64, a, b float64) []float64 {
	var out []float64
	t := 0.0
	for _, v := range rr {
		t += v
		// Compare in ms: the sums are exact integers there.
		if t > a*1000 && t <= b*1000 {
			out = append(out, v)
		} else if t > b*1000 {
			break
		}
	}
	return out
}
