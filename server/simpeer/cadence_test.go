package simpeer

import (
	"testing"
	"time"

	"github.com/havenvr/haven/server/biosignal"
)

type sample struct {
	stream biosignal.Stream
	at     float64 // ms
	v      float64
}

func samples(bs []biosignal.Batch) []sample {
	var out []sample
	for _, b := range bs {
		for i, v := range b.Values {
			at := float64(b.T0)
			if b.RateHz > 0 {
				at += float64(i) * 1000 / b.RateHz
			} else {
				at += float64(b.Offsets[i])
			}
			out = append(out, sample{b.Stream, at, v})
		}
	}
	return out
}

// TestCoalesceAtOneSecond: a simulated headset batching every second sends
// the samples it would send every 250 ms, each at its own time, in one
// batch a stream a second; its EDA batches are exactly the ones the
// simulator itself makes with 1 s EDA batches (biosignal.SimConfig).
func TestCoalesceAtOneSecond(t *testing.T) {
	const start = int64(1_700_000_000_000)
	quarter := biosignal.NewSimulator(biosignal.SimConfig{Seed: 9, Start: start})
	whole := biosignal.NewSimulator(biosignal.SimConfig{Seed: 9, Start: start, EDABatchMs: 1000})
	var fine, joined, ref []biosignal.Batch
	for s := 1; s <= 20; s++ {
		var second []biosignal.Batch
		for q := 1; q <= 4; q++ {
			second = append(second, quarter.Advance(start+int64(s-1)*1000+int64(q)*250)...)
		}
		fine = append(fine, second...)
		joined = append(joined, Coalesce(second)...)
		ref = append(ref, whole.Advance(start+int64(s)*1000)...)
	}
	// each stream's samples in order (coalescing regroups streams, never
	// the samples of one)
	byStream := func(ss []sample) map[biosignal.Stream][]sample {
		m := map[biosignal.Stream][]sample{}
		for _, x := range ss {
			m[x.stream] = append(m[x.stream], x)
		}
		return m
	}
	got, want := byStream(samples(joined)), byStream(samples(fine))
	if len(want) < 3 {
		t.Fatalf("streams %d: the simulator made fewer than EDA, HR and RR", len(want))
	}
	for st, w := range want {
		g := got[st]
		if len(g) != len(w) {
			t.Fatalf("%s: %d samples after coalescing, %d before", st, len(g), len(w))
		}
		for i := range w {
			if d := g[i].at - w[i].at; g[i].v != w[i].v || d > 0.5 || d < -0.5 {
				t.Fatalf("%s sample %d: %+v after coalescing, %+v before", st, i, g[i], w[i])
			}
		}
	}
	per := map[biosignal.Stream]int{}
	for _, b := range joined {
		per[b.Stream]++
	}
	if per[biosignal.EDA] != 20 || per[biosignal.HR] != 20 || per[biosignal.RR] > 20 {
		t.Fatalf("batches a stream in 20 s: %v, want one a second", per)
	}
	var edaJoined, edaRef []biosignal.Batch
	for _, b := range joined {
		if b.Stream == biosignal.EDA {
			edaJoined = append(edaJoined, b)
		}
	}
	for _, b := range ref {
		if b.Stream == biosignal.EDA {
			edaRef = append(edaRef, b)
		}
	}
	for i := range edaRef {
		if edaJoined[i].T0 != edaRef[i].T0 || len(edaJoined[i].Values) != len(edaRef[i].Values) {
			t.Fatalf("EDA batch %d: t0 %d, %d values; the simulator's 1 s batch: t0 %d, %d values", i,
				edaJoined[i].T0, len(edaJoined[i].Values), edaRef[i].T0, len(edaRef[i].Values))
		}
	}
	if Cadence(1000) != time.Second || Cadence(0) != 250*time.Millisecond || Cadence(5000) != 250*time.Millisecond {
		t.Fatalf("Cadence: %v %v %v", Cadence(1000), Cadence(0), Cadence(5000))
	}
}
