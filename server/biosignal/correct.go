package biosignal

import (
	"math"
	"slices"
)

// Rule names an ectopic/artifact correction rule for RR series.
type Rule string

// Correction rules. Every rule first applies the 300–2000 ms range gate.
const (
	// RuleNone: no correction at all (the raw Task Force definitions).
	RuleNone Rule = "none"
	// RuleMalik: reject a beat differing by more than 20 % from the last
	// accepted beat. Malik M. et al. (1989), "Heart rate variability in
	// relation to prognosis after myocardial infarction: selection of optimal
	// processing techniques", Eur Heart J 10:1060–1074. This is the live rule.
	RuleMalik Rule = "malik"
	// RuleMedian: Kubios-style threshold filter: reject a beat deviating from
	// the median of its 11-beat neighbourhood by more than 0.25 s at 60 bpm
	// ("medium"), scaled with the local mean interval. Tarvainen M.P. et al.
	// (2014), "Kubios HRV – Heart rate variability analysis software", Comput
	// Methods Programs Biomed 113:210–220.
	RuleMedian Rule = "median"
	// RuleKarlsson: reject a beat differing by more than 20 % from the mean of
	// its two neighbours. Karlsson M. et al. (2012), "Automatic filtering of
	// outliers in RR intervals before analysis of heart rate variability in
	// Holter recordings", Biomed Eng Online 11:2.
	RuleKarlsson Rule = "karlsson"
)

// Rules lists the supported rules.
var Rules = []Rule{RuleNone, RuleMalik, RuleMedian, RuleKarlsson}

// Physiological RR gate (ms) applied before any rule.
const (
	MinRR = 300
	MaxRR = 2000
)

// Corrected is the result of a correction: RR with rejected beats replaced by
// linear interpolation between the nearest accepted neighbours (series length
// unchanged), which beats were replaced and their share (0–1).
type Corrected struct {
	Rule     Rule      `json:"rule"`
	RR       []float64 `json:"-"`
	Rejected []bool    `json:"-"`
	Count    int       `json:"corrected"`
	Share    float64   `json:"share_corrected"`
}

// Correct applies the range gate and rule to rr. An unknown rule is CodeBadRule.
func Correct(rr []float64, rule Rule) (Corrected, error) {
	c := Corrected{Rule: rule, RR: slices.Clone(rr), Rejected: make([]bool, len(rr))}
	if rule == RuleNone {
		return c, nil
	}
	for i, v := range rr {
		c.Rejected[i] = v < MinRR || v > MaxRR || math.IsNaN(v)
	}
	switch rule {
	case RuleMalik:
		malik(rr, c.Rejected)
	case RuleMedian:
		medianThreshold(rr, c.Rejected)
	case RuleKarlsson:
		karlsson(rr, c.Rejected)
	default:
		return c, errf(CodeBadRule, -1, "unknown correction rule %q", rule)
	}
	c.Count = interpolate(c.RR, c.Rejected)
	if len(rr) > 0 {
		c.Share = float64(c.Count) / float64(len(rr))
	}
	return c, nil
}

// malik compares with the last accepted beat. After maxRun consecutive
// rejections the reference resets to the current beat, so a genuine, sudden
// change of rate (exercise onset) cannot reject the rest of the recording.
func malik(rr []float64, rej []bool) {
	const maxRun = 5
	ref, run := -1.0, 0
	for i, v := range rr {
		if rej[i] {
			continue
		}
		if ref < 0 || math.Abs(v-ref) <= 0.2*ref || run >= maxRun {
			ref, run = v, 0
			continue
		}
		rej[i] = true
		run++
	}
}

func medianThreshold(rr []float64, rej []bool) {
	const half = 5
	buf := make([]float64, 0, 2*half+1)
	gated := slices.Clone(rej)
	for i, v := range rr {
		if gated[i] {
			continue
		}
		buf = buf[:0]
		for j := max(0, i-half); j <= min(len(rr)-1, i+half); j++ {
			if !gated[j] {
				buf = append(buf, rr[j])
			}
		}
		slices.Sort(buf)
		med := buf[len(buf)/2]
		if len(buf)%2 == 0 {
			med = (buf[len(buf)/2-1] + buf[len(buf)/2]) / 2
		}
		// 250 ms at 60 bpm (1000 ms), scaled with the local interval.
		if math.Abs(v-med) > 0.25*med {
			rej[i] = true
		}
	}
}

func karlsson(rr []float64, rej []bool) {
	gated := slices.Clone(rej)
	for i := 1; i < len(rr)-1; i++ {
		if gated[i] || gated[i-1] || gated[i+1] {
			continue
		}
		m := (rr[i-1] + rr[i+1]) / 2
		if math.Abs(rr[i]-m) > 0.2*m {
			rej[i] = true
		}
	}
}

// interpolate replaces rejected values linearly by index between accepted
// neighbours; leading/trailing runs take the nearest accepted value. If
// nothing is accepted the series is left as is. It returns the count replaced.
func interpolate(rr []float64, rej []bool) int {
	n, prev := 0, -1
	for i := 0; i <= len(rr); i++ {
		if i < len(rr) && rej[i] {
			n++
			continue
		}
		if i-prev > 1 {
			fillGap(rr, prev, i)
		}
		prev = i
	}
	return n
}

func fillGap(rr []float64, lo, hi int) {
	switch {
	case lo < 0 && hi >= len(rr):
		return
	case lo < 0:
		for k := 0; k < hi; k++ {
			rr[k] = rr[hi]
		}
	case hi >= len(rr):
		for k := lo + 1; k < len(rr); k++ {
			rr[k] = rr[lo]
		}
	default:
		for k := lo + 1; k < hi; k++ {
			f := float64(k-lo) / float64(hi-lo)
			rr[k] = rr[lo] + f*(rr[hi]-rr[lo])
		}
	}
}
