package live

import (
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

// window handles the engine's hrv.window start and stop at now (unix ms);
// a stop gives the window's result. A window too short for a spectrum (less
// than 64 s of beats: a sensor without RR, a dropout, a drill run faster
// than real time) is reported as such and left out of the choice.
func (st *resonanceState) window(bio *biosignal.Live, state string, rate float64, now int64) (map[string]any, bool) {
	if state == "start" {
		st.from = now
		return nil, false
	}
	if state != "stop" || st.from == 0 {
		return nil, false
	}
	body := map[string]any{"breaths_per_min": rate, "from": st.from, "to": now}
	pk, err := bio.LowFrequencyPeak(st.from, now)
	st.from = 0
	if err != nil {
		body["error"] = "too_short"
	} else {
		if st.power == nil {
			st.power = map[float64]float64{}
		}
		st.power[rate] = pk.PowerMs2
		body["lf_peak_ms2"], body["peak_hz"] = pk.PowerMs2, pk.PeakHz
	}
	if best, ok := protocols.PickResonanceRate(st.power); ok {
		body["best_breaths_per_min"] = best
	}
	return body, true
}

// resonanceWindow records a finished window on the timeline and shows it to
// the therapist.
func (r *room) resonanceWindow(state string, rate float64, src uint64) {
	body, done := r.res.window(r.bio, state, rate, nowMs())
	if !done {
		return
	}
	r.svc.tl.add(event(r.id, resonanceKind, "biosignal", body), nil)
	r.toConsoles(wire.Control, "engine", src, wire.Engine{Kind: resonanceKind, Body: body})
}
