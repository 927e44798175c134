package live

import (
	"testing"

	"github.com/havenvr/haven/protocols"
)

// TestAlertRulesFollowTheEngineSettings: the heart-rate ceiling the
// biosignal evaluator watches is the engine's (protocol, then patient, then
// CLINICAL.md §5 default), so a protocol that asks for 30 s of sustained HR
// is paused after 30 s, not alerted at 20 s and then never paused.
func TestAlertRulesFollowTheEngineSettings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		protocol protocols.Settings
		patient  int // the patient's own ceiling, % (0: none)
		share    float64
		forS     float64
		off      bool
	}{
		{"defaults", protocols.Settings{}, 0, 0.85, 20, false},
		{"protocol share and sustain", protocols.Settings{HRCeilingShare: 0.8, HRCeilingSustainS: 30}, 0, 0.8, 30, false},
		{"patient ceiling wins over the protocol's", protocols.Settings{HRCeilingShare: 0.8}, 90, 0.9, 20, false},
		{"ceiling off for interoceptive exposure", protocols.Settings{HRCeilingOff: true}, 0, 0.85, 20, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set := tc.protocol.Merge(protocols.Settings{HRCeilingShare: float64(tc.patient) / 100}).Defaults()
			found := false
			for _, r := range alertRules(set) {
				if r.Code != protocols.AlertHRCeiling {
					continue
				}
				found = true
				if r.Share != tc.share || r.ForS != tc.forS || r.Off != tc.off {
					t.Fatalf("hr_ceiling rule = share %v for %v s off %v, want %v / %v / %v", r.Share, r.ForS, r.Off, tc.share, tc.forS, tc.off)
				}
			}
			if !found {
				t.Fatal("no hr_ceiling rule")
			}
		})
	}
}
