package protocols

import "math"

// Segment is one timed cue of a calming script. Its length is Cycles pacer
// cycles when both are set, else DurationMs; a PatientPaced segment waits for
// the patient (5-4-3-2-1 grounding is paced by the patient, CLINICAL.md §7).
type Segment struct {
	ID           string `json:"id"`
	TextKey      string `json:"text_key"`
	DurationMs   int64  `json:"duration_ms,omitempty"`
	Cycles       int    `json:"cycles,omitempty"`
	Pacer        *Pacer `json:"pacer,omitempty"`
	PatientPaced bool   `json:"patient_paced,omitempty"`
	// Record marks a resonance-assessment window whose RR intervals are kept
	// for the low-frequency HRV peak (Lehrer & Gevirtz; Shaffer & Meehan 2020).
	Record bool `json:"record,omitempty"`
	// Tense marks a PMR tension cue (5–7 s; release cues are 30–40 s).
	Tense bool `json:"tense,omitempty"`
}

// Pacer is one breathing cycle, in milliseconds per phase.
type Pacer struct {
	BreathsPerMin float64 `json:"breaths_per_min,omitempty"`
	InhaleMs      int64   `json:"inhale_ms"`
	TopUpMs       int64   `json:"top_up_ms,omitempty"`
	HoldInMs      int64   `json:"hold_in_ms,omitempty"`
	ExhaleMs      int64   `json:"exhale_ms"`
	HoldOutMs     int64   `json:"hold_out_ms,omitempty"`
}

// PacerPhase is one phase the client animates.
type PacerPhase struct {
	Name string `json:"name"`
	Ms   int64  `json:"ms"`
}

// CycleMs is the length of one breath.
func (p Pacer) CycleMs() int64 { return p.InhaleMs + p.TopUpMs + p.HoldInMs + p.ExhaleMs + p.HoldOutMs }

// Phases lists the non-zero phases in breathing order.
func (p Pacer) Phases() []PacerPhase {
	all := []PacerPhase{{"inhale", p.InhaleMs}, {"top_up", p.TopUpMs}, {"hold_in", p.HoldInMs},
		{"exhale", p.ExhaleMs}, {"hold_out", p.HoldOutMs}}
	out := all[:0:0]
	for _, ph := range all {
		if ph.Ms > 0 {
			out = append(out, ph)
		}
	}
	return out
}

// PacerForRate builds a resonance pacer at bpm breaths per minute with the
// inhale taking inhaleShare of the cycle: 0.5 gives 1:1, 0.4 gives 4:6
// (CLINICAL.md §7; 6/min at 4:6 is inhale 4 s, exhale 6 s).
func PacerForRate(bpm, inhaleShare float64) Pacer {
	cycle := int64(math.Round(60000 / bpm))
	in := int64(math.Round(float64(cycle) * inhaleShare))
	return Pacer{BreathsPerMin: bpm, InhaleMs: in, ExhaleMs: cycle - in}
}

// Ms is the segment's scripted length (0 when patient-paced).
func (s Segment) Ms() int64 {
	if s.PatientPaced {
		return 0
	}
	if s.Pacer != nil && s.Cycles > 0 {
		return int64(s.Cycles) * s.Pacer.CycleMs()
	}
	return s.DurationMs
}

// ScriptMs is the total scripted length of a calming protocol.
func (p *Protocol) ScriptMs() int64 {
	var total int64
	for _, s := range p.Script {
		total += s.Ms()
	}
	return total
}

// PickResonanceRate returns the assessed rate with the largest low-frequency
// HRV peak (power near 0.1 Hz), as the resonance assessment prescribes; ties
// go to the faster rate, the order the assessment runs in.
func PickResonanceRate(lfPeak map[float64]float64) (rate float64, ok bool) {
	best := math.Inf(-1)
	for r, p := range lfPeak {
		if p > best || (p == best && r > rate) {
			rate, best, ok = r, p, true
		}
	}
	return rate, ok
}
