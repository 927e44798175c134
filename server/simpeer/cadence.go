package simpeer

import (
	"math"
	"time"

	"github.com/havenvr/haven/server/biosignal"
	"github.com/havenvr/haven/server/wire"
)

// Cadence returns the biosignal batch interval a hello asks for
// (hello.batch_ms, docs/protocol.md), or wire.MinBatch when it names none
// or one out of bounds.
func Cadence(batchMs int64) time.Duration {
	d := time.Duration(batchMs) * time.Millisecond
	if d < wire.MinBatch || d > wire.MaxBatch {
		return wire.MinBatch
	}
	return d
}

// Coalesce joins each stream's consecutive batches into one, as a headset
// batching at a longer cadence sends them: samples at a fixed rate that
// continue the previous batch without a gap, and irregular samples (rate 0,
// per-sample offsets) by shifting their offsets onto the first batch's t0.
// Raw payloads and anything else are left as they are. The order of the
// streams' first batches is kept.
func Coalesce(in []biosignal.Batch) []biosignal.Batch {
	var out []biosignal.Batch
	last := map[biosignal.Stream]int{} // index in out of each stream's open batch
	for _, b := range in {
		i, ok := last[b.Stream]
		if ok && join(&out[i], b) {
			continue
		}
		b.Values = append([]float64(nil), b.Values...)
		b.Offsets = append([]int64(nil), b.Offsets...)
		if len(b.Offsets) == 0 {
			b.Offsets = nil
		}
		last[b.Stream] = len(out)
		out = append(out, b)
	}
	return out
}

// join appends b to a when b continues it; it reports whether it did.
func join(a *biosignal.Batch, b biosignal.Batch) bool {
	if a.Unit != b.Unit || a.RateHz != b.RateHz || a.Source != b.Source || len(a.Raw) > 0 || len(b.Raw) > 0 || b.T0 < a.T0 {
		return false
	}
	switch {
	case a.RateHz > 0 && len(a.Offsets) == 0 && len(b.Offsets) == 0:
		// the next sample of a is due at t0 + n·1000/rate; t0 is whole ms
		due := float64(a.T0) + float64(len(a.Values))*1000/a.RateHz
		if math.Abs(float64(b.T0)-due) > 1 {
			return false
		}
		a.Values = append(a.Values, b.Values...)
	case a.RateHz == 0 && len(a.Offsets) == len(a.Values) && len(b.Offsets) == len(b.Values):
		shift := b.T0 - a.T0
		for j, off := range b.Offsets {
			a.Offsets = append(a.Offsets, off+shift)
			a.Values = append(a.Values, b.Values[j])
		}
	default:
		return false
	}
	return true
}
