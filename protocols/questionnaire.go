package protocols

import (
	"fmt"
	"math"
)

// SSQ holds Simulator Sickness Questionnaire scores (Kennedy et al. 1993).
type SSQ struct {
	Nausea         float64 `json:"nausea"`
	Oculomotor     float64 `json:"oculomotor"`
	Disorientation float64 `json:"disorientation"`
	Total          float64 `json:"total"`
}

// SSQ item membership, 1-based as published (CLINICAL.md §5).
var (
	ssqNausea         = []int{1, 6, 7, 8, 9, 15, 16}
	ssqOculomotor     = []int{1, 2, 3, 4, 5, 9, 11}
	ssqDisorientation = []int{5, 8, 10, 11, 12, 13, 14}
)

// ScoreSSQ scores 16 symptoms rated 0–3: N = raw×9.54, O = raw×7.58,
// D = raw×13.92, Total = (rawN+rawO+rawD)×3.74.
func ScoreSSQ(items []int) (SSQ, error) {
	if len(items) != 16 {
		return SSQ{}, fmt.Errorf("protocols: scoring SSQ: %d items, want 16", len(items))
	}
	for i, v := range items {
		if v < 0 || v > 3 {
			return SSQ{}, fmt.Errorf("protocols: scoring SSQ: item %d is %d, want 0–3", i+1, v)
		}
	}
	sum := func(idx []int) float64 {
		s := 0
		for _, i := range idx {
			s += items[i-1]
		}
		return float64(s)
	}
	n, o, d := sum(ssqNausea), sum(ssqOculomotor), sum(ssqDisorientation)
	r := func(x float64) float64 { return math.Round(x*100) / 100 }
	return SSQ{Nausea: r(n * 9.54), Oculomotor: r(o * 7.58), Disorientation: r(d * 13.92), Total: r((n + o + d) * 3.74)}, nil
}

// ScorePCL5 totals the PCL-5 (public domain; 20 items 0–4, total 0–80).
func ScorePCL5(items []int) (int, error) {
	if len(items) != 20 {
		return 0, fmt.Errorf("protocols: scoring PCL-5: %d items, want 20", len(items))
	}
	t := 0
	for i, v := range items {
		if v < 0 || v > 4 {
			return 0, fmt.Errorf("protocols: scoring PCL-5: item %d is %d, want 0–4", i+1, v)
		}
		t += v
	}
	return t, nil
}

// EnteredScoreRange is the valid total of questionnaires a therapist enters
// as a score (item text not bundled until licences are checked, CLINICAL.md
// §8). Questionnaires not listed accept any non-negative total.
var EnteredScoreRange = map[string][2]float64{"gad7": {0, 21}, "phq9": {0, 27}, "pcl5": {0, 80}}
