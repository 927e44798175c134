package biosignal

import (
	"errors"
	"testing"
)

func TestLowFrequencyPeakNeedsAMinuteOfBeats(t *testing.T) {
	t.Parallel()
	rr, ts := make([]float64, 60), make([]int64, 60)
	for i := range rr {
		rr[i], ts[i] = 1000, int64(i)*1000
	}
	for _, c := range []struct {
		name     string
		from, to int64
	}{
		{"59 s of beats", 0, 59_000},
		{"window before the beats", -120_000, -1000},
	} {
		if _, err := LowFrequencyPeak(rr, ts, c.from, c.to); !errors.Is(err, &Error{Code: CodeEmpty}) {
			t.Errorf("%s: err = %v, want code empty", c.name, err)
		}
	}
	if _, err := LowFrequencyPeak(rr[:5], ts[:5], 0, 60_000); err == nil {
		t.Error("5 beats gave a peak")
	}
}
