package biosignal

import (
	"math"
	"slices"
)

// Rule names an ectopic/artifact correction rule for RR series.
type Rule string

// Correction rules, each as its paper defines it. Every rule first applies the
// 300–2000 ms range gate; gated beats are linearly interpolated before the
// rule looks at the series, so one dropped beat is not compared with. The
// reference values in the tests come from server/biosignal/testdata/
// rr_reference.py (docs/biosignals.md says which sources it reproduces).
const (
	// RuleNone: no correction at all (the raw Task Force definitions).
	RuleNone Rule = "none"
	// RuleMalik: reject RR[i] when it differs from the previous interval, as
	// recorded, by more than 20 % of that interval. Malik M. et al. (1989),
	// "Heart rate variability in relation to prognosis after myocardial
	// infarction: selection of optimal processing techniques", Eur Heart J
	// 10:1060–1074.
	RuleMalik Rule = "malik"
	// RuleKamath: reject RR[i] when it is more than 32.5 % longer or more than
	// 24.5 % shorter than RR[i−1]. Kamath M.V., Fallen E.L. (1995),
	// "Correction of the heart rate variability signal for ectopics and
	// missing beats", in Malik & Camm (eds), Heart Rate Variability, 75–85.
	RuleKamath Rule = "kamath"
	// RuleKarlsson: reject RR[i] when it differs by more than 20 % from the
	// mean of its two neighbours. Karlsson M. et al. (2012), "Automatic
	// filtering of outliers in RR intervals before analysis of heart rate
	// variability in Holter recordings", Biomed Eng Online 11:2. The live
	// default (chosen on the real recordings, docs/biosignals.md).
	RuleKarlsson Rule = "karlsson"
	// RuleAcar: reject RR[i] when it differs by more than 20 % from the mean
	// of the accepted intervals among the previous nine. Acar B. et al.
	// (2000), "Automatic ectopic beat elimination in short-term heart rate
	// variability measurement", Comput Methods Programs Biomed 63:123–131.
	RuleAcar Rule = "acar"
	// RuleQuotient: reject RR[i] when RR[i]/RR[i−1] or RR[i−1]/RR[i] lies
	// outside 0.8–1.2. Piskorski J., Guzik P. (2005), "Filtering Poincaré
	// plots", Comput Methods Sci Technol 11:39–48.
	RuleQuotient Rule = "quotient"
	// RuleMedian: Kubios-style threshold filter: reject a beat deviating from
	// the median of its 11-beat neighbourhood by more than 0.25 s at 60 bpm
	// ("medium"), scaled with the local mean interval. Tarvainen M.P. et al.
	// (2014), "Kubios HRV – Heart rate variability analysis software", Comput
	// Methods Programs Biomed 113:210–220.
	RuleMedian Rule = "median"
)

// DefaultRule is the rule the live pipeline and the exports use.
const DefaultRule = RuleKarlsson

// Rules lists the supported rules.
var Rules = []Rule{RuleNone, RuleMalik, RuleKamath, RuleKarlsson, RuleAcar, RuleQuotient, RuleMedian}

// Citation names the paper that defines the rule (short form, for notes in
// exports and the CLI); "" for RuleNone and unknown rules.
func (r Rule) Citation() string {
	return map[Rule]string{
		RuleMalik:    "Malik et al. 1989, Eur Heart J 10:1060",
		RuleKamath:   "Kamath & Fallen 1995, in Heart Rate Variability (Malik & Camm eds) 75–85",
		RuleKarlsson: "Karlsson et al. 2012, Biomed Eng Online 11:2",
		RuleAcar:     "Acar et al. 2000, Comput Methods Programs Biomed 63:123",
		RuleQuotient: "Piskorski & Guzik 2005, Comput Methods Sci Technol 11:39",
		RuleMedian:   "Tarvainen et al. 2014, Comput Methods Programs Biomed 113:210",
	}[r]
}

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
	Source   string    `json:"source,omitempty"` // the paper defining Rule
	RR       []float64 `json:"-"`
	Rejected []bool    `json:"-"`
	Count    int       `json:"corrected"`
	Share    float64   `json:"share_corrected"`
}

// Correct applies the range gate and rule to rr. An unknown rule is CodeBadRule.
func Correct(rr []float64, rule Rule) (Corrected, error) {
	c := Corrected{Rule: rule, Source: rule.Citation(), RR: slices.Clone(rr), Rejected: make([]bool, len(rr))}
	if rule == RuleNone {
		return c, nil
	}
	for i, v := range rr {
		c.Rejected[i] = v < MinRR || v > MaxRR || math.IsNaN(v)
	}
	// The rule sees the gated series with gated beats interpolated.
	x := slices.Clone(rr)
	interpolate(x, c.Rejected)
	var mark func([]float64, []bool)
	switch rule {
	case RuleMalik:
		mark = malik
	case RuleKamath:
		mark = kamath
	case RuleKarlsson:
		mark = karlsson
	case RuleAcar:
		mark = acar
	case RuleQuotient:
		mark = quotient
	case RuleMedian:
		mark = medianThreshold
	default:
		return c, errf(CodeBadRule, -1, "unknown correction rule %q", rule)
	}
	mark(x, c.Rejected)
	c.Count = interpolate(c.RR, c.Rejected)
	if len(rr) > 0 {
		c.Share = float64(c.Count) / float64(len(rr))
	}
	return c, nil
}

// malik compares each interval with the previous one as recorded, not with
// the last accepted one: comparing with the last accepted beat rejects the
// normal beats after one long interval in runs.
func malik(x []float64, rej []bool) {
	for i := 1; i < len(x); i++ {
		if math.Abs(x[i]-x[i-1]) > 0.2*x[i-1] {
			rej[i] = true
		}
	}
}

func kamath(x []float64, rej []bool) {
	for i := 1; i < len(x); i++ {
		d := x[i] - x[i-1]
		if d > 0.325*x[i-1] || -d > 0.245*x[i-1] {
			rej[i] = true
		}
	}
}

// karlsson cannot judge the first and last beat (one neighbour only); they
// are kept. Live, the newest beat is judged once its successor arrives.
func karlsson(x []float64, rej []bool) {
	for i := 1; i < len(x)-1; i++ {
		m := (x[i-1] + x[i+1]) / 2
		if math.Abs(x[i]-m) > 0.2*m {
			rej[i] = true
		}
	}
}

// acar takes the first nine beats as they are (no history to compare with).
func acar(x []float64, rej []bool) {
	const win = 9
	for i := win; i < len(x); i++ {
		sum, n := 0.0, 0
		for j := i - win; j < i; j++ {
			if !rej[j] {
				sum, n = sum+x[j], n+1
			}
		}
		if n == 0 {
			continue
		}
		m := sum / float64(n)
		if math.Abs(x[i]-m) > 0.2*m {
			rej[i] = true
		}
	}
}

func quotient(x []float64, rej []bool) {
	for i := 1; i < len(x); i++ {
		q := x[i] / x[i-1]
		if q < 0.8 || q > 1.2 || 1/q < 0.8 || 1/q > 1.2 {
			rej[i] = true
		}
	}
}

func medianThreshold(x []float64, rej []bool) {
	const half = 5
	buf := make([]float64, 0, 2*half+1)
	gated := slices.Clone(rej)
	for i, v := range x {
		if gated[i] {
			continue
		}
		buf = buf[:0]
		for j := max(0, i-half); j <= min(len(x)-1, i+half); j++ {
			if !gated[j] {
				buf = append(buf, x[j])
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
