package protocols

import (
	"fmt"
	"math"

	"github.com/havenvr/haven/environments"
)

// Ladder generation defaults: start around SUDS 40 (CLINICAL.md §1) and climb
// to 95 in even steps, so 10 steps keep adjacent gaps near 6 SUDS.
const (
	LadderStartSUDS = 40
	LadderTopSUDS   = 95
	DefaultLadder   = 10
)

// GenerateLadder builds a default ladder of n steps (8–15) from an exposure
// template: intensities evenly from 0 to 100, expected SUDS from 40 to 95,
// with the session frame in neutral_room. The therapist then edits it.
func GenerateLadder(t *environments.Template, mode string, n int) (*Protocol, error) {
	if t.Kind != environments.KindExposure {
		return nil, fmt.Errorf("protocols: generating ladder: %w",
			verr("template", "template_kind", fmt.Sprintf("%q is not an exposure template", t.ID), nil))
	}
	if n < MinSteps || n > MaxSteps {
		return nil, fmt.Errorf("protocols: generating ladder: %w",
			verr("steps", "step_count", fmt.Sprintf("has %d steps, needs %d–%d", n, MinSteps, MaxSteps), map[string]any{"Count": n, "Min": MinSteps, "Max": MaxSteps}))
	}
	if mode == "" {
		mode = ModeHabituation
	}
	p := &Protocol{
		ID: t.ID + "_ladder", Kind: KindExposure, TitleKey: "proto.ladder.title", Template: t.ID, Mode: mode,
		Session: Session{Baseline: Phase{Template: "neutral_room", DurationS: 180}, Cooldown: Phase{Template: "neutral_room", DurationS: 180}},
	}
	for i := range n {
		frac := float64(i) / float64(n-1)
		suds := int(math.Round(LadderStartSUDS + frac*(LadderTopSUDS-LadderStartSUDS)))
		likelihood := int(math.Round(30 + frac*50))
		p.Steps = append(p.Steps, Step{
			ID: fmt.Sprintf("step_%02d", i+1), Intensity: int(math.Round(frac * 100)), ExpectedSUDS: suds,
			FearedOutcomeKey: "proto.feared." + t.Purpose, Likelihood: &likelihood,
		})
	}
	return p, nil
}
