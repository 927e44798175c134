package live

import (
	"encoding/json"

	"github.com/havenvr/haven/protocols"
	"github.com/havenvr/haven/server/biosignal"
	"github.com/havenvr/haven/server/wire"
)

// resonanceKind is the timeline event and console engine message of one
// recorded resonance-assessment window.
const resonanceKind = "resonance.window"

// resonanceState keeps a resonance assessment's recorded windows (CLINICAL.md
// §7): the engine marks each 2-minute recording at a breathing rate, the
// room takes the LF HRV peak of the beats in it, and the rate with the
// largest peak so far is the patient's resonance rate.
type resonanceState struct {
	from  int64               // unix ms the open window started; 0 when none
	power map[float64]float64 // LF peak power (ms²) by breaths a minute
}

// resonanceResult is one recorded window's result: the LF HRV peak at a
// breathing rate over from–to (unix ms), or Error "too_short", with the best
// rate so far (0: none yet). Fields in sorted key order, as the timeline has
// always stored it.
type resonanceResult struct {
	BestBreathsPerMin float64  `json:"best_breaths_per_min,omitempty"`
	BreathsPerMin     float64  `json:"breaths_per_min"`
	Error             string   `json:"error,omitempty"`
	From              int64    `json:"from"`
	LFPeakMs2         *float64 `json:"lf_peak_ms2,omitempty"`
	PeakHz            *float64 `json:"peak_hz,omitempty"`
	To                int64    `json:"to"`
}

// window handles the engine's hrv.window start and stop at now (unix ms);
// a stop gives the window's result. A window too short for a spectrum (less
// than 64 s of beats: a sensor without RR, a dropout, a drill run faster
// than real time) is reported as such and left out of the choice.
func (st *resonanceState) window(bio *biosignal.Live, state string, rate float64, now int64) (resonanceResult, bool) {
	if state == "start" {
		st.from = now
		return resonanceResult{}, false
	}
	if state != "stop" || st.from == 0 {
		return resonanceResult{}, false
	}
	res := resonanceResult{BreathsPerMin: rate, From: st.from, To: now}
	pk, err := bio.LowFrequencyPeak(st.from, now)
	st.from = 0
	if err != nil {
		res.Error = "too_short"
	} else {
		if st.power == nil {
			st.power = map[float64]float64{}
		}
		st.power[rate] = pk.PowerMs2
		res.LFPeakMs2, res.PeakHz = &pk.PowerMs2, &pk.PeakHz
	}
	if best, ok := protocols.PickResonanceRate(st.power); ok {
		res.BestBreathsPerMin = best
	}
	return res, true
}

// resonanceWindow records a finished window on the timeline and shows it to
// the therapist.
func (r *room) resonanceWindow(state string, rate float64, src uint64) {
	res, done := r.res.window(r.bio, state, rate, nowMs())
	if !done {
		return
	}
	rec, err := json.Marshal(res)
	if err != nil {
		r.svc.log.Warn("live: resonance window", "session", r.id, "err", err)
		return
	}
	r.svc.tl.add(event(r.id, resonanceKind, "biosignal", json.RawMessage(rec)), nil)
	r.toConsoles(wire.Control, "engine", src, wire.Engine{Kind: resonanceKind, Body: rec})
}
