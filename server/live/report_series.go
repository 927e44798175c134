package live

import (
	"math"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/biosignal"
	"github.com/havenvr/haven/server/ingest"
)

// seriesMaxPoints bounds the points of a physiology series: a long session
// is sampled more coarsely (whole seconds) rather than sent at 1 Hz.
const seriesMaxPoints = 1200

// ReportSeries is a session's physiology on a regular time grid, for the
// report's charts: the stored samples replayed through the live calculator
// (biosignal.Live, the numbers the console showed during the session),
// snapshotted every StepMs. T is unix ms, ascending; every value array has
// one entry per T, null where there was not enough data (a gap, no sensor).
type ReportSeries struct {
	StepMs   int64      `json:"step_ms"`
	T        []int64    `json:"t"`
	HR       []*float64 `json:"hr_bpm"`
	RMSSD    []*float64 `json:"rmssd_ms"`
	EDATonic []*float64 `json:"eda_tonic_us"`
}

// reportSeries is GET /api/sessions/:id/report/series (read-only; the
// session is looked up within the caller's clinic, like the report).
func (s *Service) reportSeries(c echo.Context) error {
	sess, err := s.loadSession(c)
	if err != nil {
		return err
	}
	// ble_hrs chunks hold the strap's hr and rr samples, expanded.
	samples, err := ingest.ReadSession(c.Request().Context(), s.opts.Store.DB, sess.ID,
		biosignal.HR, biosignal.RR, biosignal.EDA, biosignal.BLEHRS)
	if err != nil {
		return apierr.Errorf("live: reading samples for the report series: %w", err)
	}
	if err := s.auditRead(c, sess.ID, "report.series"); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, physiologySeries(samples))
}

// physiologySeries replays samples (time order) through biosignal.Live and
// takes a snapshot at every multiple of the step from the first sample to
// the last. Each sample goes in as a one-sample batch, so the calculator
// flags artifacts exactly as it did live; EDA is filtered at the recording's
// own rate, estimated from the stored timestamps.
func physiologySeries(samples []biosignal.Sample) ReportSeries {
	out := ReportSeries{StepMs: 1000, T: []int64{}, HR: []*float64{}, RMSSD: []*float64{}, EDATonic: []*float64{}}
	var use []biosignal.Sample
	for _, x := range samples {
		switch x.Stream {
		case biosignal.HR, biosignal.RR, biosignal.EDA:
			if x.Flags&biosignal.FlagNoContact == 0 { // live metrics skip these too
				use = append(use, x)
			}
		}
	}
	if len(use) == 0 {
		return out
	}
	first, last := use[0].T, use[len(use)-1].T
	step := int64(1000)
	if span := last - first; span > step*seriesMaxPoints {
		step = (span/seriesMaxPoints/1000 + 1) * 1000
	}
	out.StepMs = step
	live := biosignal.NewLive(biosignal.LiveConfig{HRWindowMs: max(5000, step)})
	fs := sampleRate(use, biosignal.EDA)
	units := map[biosignal.Stream]string{}
	for _, st := range []biosignal.Stream{biosignal.HR, biosignal.RR, biosignal.EDA} {
		sp, _ := biosignal.SpecOf(st)
		units[st] = sp.Unit
	}
	val, off := make([]float64, 1), []int64{0}
	i := 0
	for tick := (first/step + 1) * step; ; tick += step {
		for ; i < len(use) && use[i].T <= tick; i++ {
			x := use[i]
			val[0] = x.V
			b := biosignal.Batch{Stream: x.Stream, Unit: units[x.Stream], T0: x.T, Values: val, Offsets: off}
			if x.Stream == biosignal.EDA {
				if fs == 0 {
					continue
				}
				b.RateHz, b.Offsets = fs, nil
			}
			_, _ = live.AddBatch(&b) // as live: what the calculator cannot use is skipped
		}
		m := live.Snapshot(tick)
		out.T = append(out.T, tick)
		out.HR = append(out.HR, rounded(m.HR, 10))
		var rmssd *float64
		if m.HRV != nil {
			rmssd = rounded(&m.HRV.RMSSD, 10)
		}
		out.RMSSD = append(out.RMSSD, rmssd)
		out.EDATonic = append(out.EDATonic, rounded(m.EDATonic, 1000))
		if tick >= last {
			return out
		}
	}
}

// sampleRate estimates a regular stream's rate (Hz) from its timestamps:
// the mean interval leaving out gaps (over twice the median), rounded to
// 0.1 Hz; 0 when the stream has fewer than two samples.
func sampleRate(samples []biosignal.Sample, st biosignal.Stream) float64 {
	var dts []int64
	prev := int64(-1)
	for _, x := range samples {
		if x.Stream != st {
			continue
		}
		if prev >= 0 && x.T > prev {
			dts = append(dts, x.T-prev)
		}
		prev = x.T
	}
	if len(dts) == 0 {
		return 0
	}
	sorted := slices.Clone(dts)
	slices.Sort(sorted)
	med := sorted[len(sorted)/2]
	var sum, n int64
	for _, d := range dts {
		if d <= 2*med {
			sum, n = sum+d, n+1
		}
	}
	return math.Round(float64(n)*10000/float64(sum)) / 10
}

// rounded returns v rounded to 1/scale (nil stays nil).
func rounded(v *float64, scale float64) *float64 {
	if v == nil || math.IsNaN(*v) || math.IsInf(*v, 0) {
		return nil
	}
	r := math.Round(*v*scale) / scale
	return &r
}
