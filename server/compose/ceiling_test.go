package compose_test

import (
	"net/http"
	"testing"
)

// TestPatientHRCeilingModes: a therapist can switch one patient's heart-rate
// ceiling off or set it in bpm, always with a reason (CLINICAL.md §5:
// "A per-patient HR ceiling can be switched off or set in bpm by the
// therapist, with a reason (beta-blockers, pacemakers)"); without a reason
// the change is refused and nothing is stored.
func TestPatientHRCeilingModes(t *testing.T) {
	t.Parallel()
	e := setup(t)
	path := "/api/patients/" + e.patA
	type view struct {
		Mode   string `json:"hr_ceiling_mode"`
		Pct    int    `json:"hr_ceiling_pct"`
		BPM    int    `json:"hr_ceiling_bpm"`
		Reason string `json:"hr_ceiling_reason"`
	}
	var v view
	if st := e.a.Do(http.MethodGet, path, nil, &v); st != http.StatusOK || v.Mode != "pct" || v.Pct != 85 {
		t.Fatalf("default: %d %+v", st, v)
	}
	before := e.counts(t)
	for _, c := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"off without a reason", map[string]any{"hr_ceiling_off": true}, "hr_ceiling_reason"},
		{"bpm without a reason", map[string]any{"hr_ceiling_bpm": 110}, "hr_ceiling_reason"},
		{"bpm out of range", map[string]any{"hr_ceiling_bpm": 300, "hr_ceiling_reason": "x"}, "hr_ceiling_bpm"},
	} {
		t.Run(c.name, func(t *testing.T) {
			expectError(t, e.a, http.MethodPatch, path, c.body, 422, "validation", c.field)
		})
	}
	sameCounts(t, before, e.counts(t))
	if st := e.a.Do(http.MethodPatch, path, map[string]any{"hr_ceiling_bpm": 110, "hr_ceiling_reason": "beta-blockers"}, &v); st != http.StatusOK ||
		v.Mode != "bpm" || v.BPM != 110 || v.Reason != "beta-blockers" {
		t.Fatalf("bpm: %d %+v", st, v)
	}
	// Clearing the reason while the bpm ceiling stands is refused too.
	expectError(t, e.a, http.MethodPatch, path, map[string]any{"hr_ceiling_reason": ""}, 422, "validation", "hr_ceiling_reason")
	if st := e.a.Do(http.MethodPatch, path, map[string]any{"hr_ceiling_off": true, "hr_ceiling_reason": "pacemaker"}, &v); st != http.StatusOK ||
		v.Mode != "off" || v.Reason != "pacemaker" {
		t.Fatalf("off: %d %+v", st, v)
	}
	if st := e.a.Do(http.MethodPatch, path, map[string]any{"hr_ceiling_off": false, "hr_ceiling_bpm": 0, "hr_ceiling_pct": 80}, &v); st != http.StatusOK ||
		v.Mode != "pct" || v.Pct != 80 {
		t.Fatalf("back to a share: %d %+v", st, v)
	}
}
