package biosignal

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
)

// AvoidanceStep is one exposure step's avoidance measures (server/avoidance,
// docs/domain.md) carried into the exports: T is when the step ended (unix
// ms); the measures are from the headset's head pose against the template's
// stimulus anchors. Src indexes ExportMeta.Sources when a generator moved
// the head (a simulated patient), else SelfReported (the patient's own).
type AvoidanceStep struct {
	StepID        string
	Template      string
	T             int64
	ObservedMs    int64
	OnStimulusMs  int64
	Share         float64
	AwayEpisodes  int
	AwayMs        int64
	LongestAwayMs int64
	ClosestM      *float64
	Src           int
}

// Avoidance measures have no LOINC term: local codes of LocalCodeSystem,
// category therapy (observations made during a treatment). UCUM units: %
// for the share, {episodes} (an annotated count) and m.
var (
	obsGazeShare = obsKind{fhirCoding{LocalCodeSystem, "gaze-on-stimulus", "Share of time the feared stimulus was within 30 degrees of the gaze"}, "%", "therapy"}
	obsAway      = obsKind{fhirCoding{LocalCodeSystem, "looking-away-episodes", "Looking-away episodes (feared stimulus out of view for more than 3 s)"}, "{episodes}", "therapy"}
	obsClosest   = obsKind{fhirCoding{LocalCodeSystem, "closest-approach", "Closest approach of the head to the feared stimulus"}, "m", "therapy"}
)

// avoidanceObservations are each step's measures as Observations, the
// step and template named in a note.
func (m ExportMeta) avoidanceObservations() []fhirObs {
	var out []fhirObs
	for _, a := range m.Avoidance {
		key := a.StepID + "/" + strconv.FormatInt(a.T, 10)
		note := []map[string]string{{"text": fmt.Sprintf("Exposure step %q (%s), %d ms observed.", a.StepID, a.Template, a.ObservedMs)}}
		add := func(k obsKind, v float64) {
			o := m.obs(k, a.Src, key, v)
			o.Effective, o.Note = isoMs(a.T), note
			out = append(out, o)
		}
		add(obsGazeShare, a.Share*100)
		add(obsAway, float64(a.AwayEpisodes))
		if a.ClosestM != nil {
			add(obsClosest, *a.ClosestM)
		}
	}
	return out
}

// omhBody is one step's measures as an Open mHealth data point body
// (schema haven:avoidance:1.0).
func (a AvoidanceStep) omhBody() map[string]any {
	b := map[string]any{
		"step_id": a.StepID, "template": a.Template,
		"observed_duration":     map[string]any{"value": a.ObservedMs, "unit": "ms"},
		"gaze_on_stimulus":      map[string]any{"value": a.Share * 100, "unit": "%"},
		"looking_away_episodes": a.AwayEpisodes,
		"longest_looking_away":  map[string]any{"value": a.LongestAwayMs, "unit": "ms"},
		"effective_time_frame":  map[string]string{"date_time": isoMs(a.T)},
		"on_stimulus_duration":  map[string]any{"value": a.OnStimulusMs, "unit": "ms"},
	}
	if a.ClosestM != nil {
		b["closest_approach"] = map[string]any{"value": *a.ClosestM, "unit": "m"}
	}
	return b
}

// ExportAvoidanceCSV writes each step's avoidance measures as CSV, one step
// a row in time order.
func ExportAvoidanceCSV(w io.Writer, meta ExportMeta) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"t_unix_ms", "time_utc", "step_id", "template", "observed_ms", "on_stimulus_ms", "on_stimulus_share",
		"away_episodes", "away_ms", "longest_away_ms", "closest_m", "source_kind", "source_name"}); err != nil {
		return fmt.Errorf("biosignal: writing avoidance CSV header: %w", err)
	}
	for _, a := range meta.Avoidance {
		kind, name := meta.sourceColumns(a.Src, "headset")
		closest := ""
		if a.ClosestM != nil {
			closest = strconv.FormatFloat(*a.ClosestM, 'g', -1, 64)
		}
		i := func(v int64) string { return strconv.FormatInt(v, 10) }
		rec := []string{i(a.T), isoMs(a.T), a.StepID, a.Template, i(a.ObservedMs), i(a.OnStimulusMs), strconv.FormatFloat(a.Share, 'f', 4, 64),
			strconv.Itoa(a.AwayEpisodes), i(a.AwayMs), i(a.LongestAwayMs), closest, kind, name}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("biosignal: writing avoidance CSV row: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("biosignal: flushing avoidance CSV: %w", err)
	}
	return nil
}
