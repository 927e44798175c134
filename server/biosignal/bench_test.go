package biosignal

import "testing"

// BenchmarkLiveSecond measures one session-second of live work: ~7 batches
// (32 EDA samples, HR, RR, resp) through AddBatch plus one Snapshot.
func BenchmarkLiveSecond(b *testing.B) {
	sim := NewSimulator(SimConfig{Seed: 1, Start: t0})
	var batches [][]Batch
	for s := int64(1); s <= 600; s++ {
		batches = append(batches, sim.Advance(t0+s*1000))
	}
	live := NewLive(LiveConfig{})
	live.MarkBaseline(t0, t0+120_000)
	// Warm up so windows and the baseline are full, as in a running session.
	for i := range 300 {
		for j := range batches[i] {
			live.AddBatch(&batches[i][j])
		}
		live.Snapshot(t0 + int64(i+1)*1000)
	}
	i := 300
	for b.Loop() {
		for j := range batches[i] {
			live.AddBatch(&batches[i][j])
		}
		live.Snapshot(t0 + int64(i+1)*1000)
		if i++; i == len(batches) { // keep time moving forward: rebuild
			b.StopTimer()
			sim = NewSimulator(SimConfig{Seed: 1, Start: t0 + 600_000})
			for k := range batches {
				batches[k] = sim.Advance(t0 + 600_000 + int64(k+1)*1000)
			}
			live, i = NewLive(LiveConfig{}), 0
			b.StartTimer()
		}
	}
}

func BenchmarkDecodeBatchEDA(b *testing.B) {
	data := []byte(`{"stream":"eda","unit":"uS","rate_hz":32,"t0":1732239999000,"seq":2,"values":[2.101,2.102,2.103,2.104,2.105,2.106,2.107,2.108]}`)
	for b.Loop() {
		if _, err := DecodeBatch(data, DefaultLimits, now, 0); err != nil {
			b.Fatal(err)
		}
	}
}
