package bench

import (
	"math"
	"slices"
	"sync"
	"time"
)

// Recorder collects latencies from many goroutines. It keeps every value
// (a 10-minute soak at 200 commands/s is 120,000 int64s, ~1 MB), so
// percentiles are exact rather than bucketed.
type Recorder struct {
	mu   sync.Mutex
	vals []int64 // nanoseconds
}

// Add records one latency; negative values (clock misuse) are ignored.
func (r *Recorder) Add(d time.Duration) {
	if d < 0 {
		return
	}
	r.mu.Lock()
	r.vals = append(r.vals, int64(d))
	r.mu.Unlock()
}

// Count is the number of values recorded.
func (r *Recorder) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.vals)
}

// Summary is a latency distribution in microseconds.
type Summary struct {
	Count int
	P50   float64
	P90   float64
	P99   float64
	Max   float64
}

// Values returns a copy of everything recorded, in nanoseconds (to carry
// a distribution from one process to another).
func (r *Recorder) Values() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.vals)
}

// Summary computes nearest-rank percentiles over everything recorded.
func (r *Recorder) Summary() Summary { return Summarize(r.Values()) }

// Summarize computes nearest-rank percentiles of latencies in nanoseconds.
func Summarize(vals []int64) Summary {
	v := slices.Clone(vals)
	slices.Sort(v)
	us := func(ns int64) float64 { return Round(float64(ns)/1e3, 1) }
	s := Summary{Count: len(v)}
	if len(v) == 0 {
		return s
	}
	s.P50, s.P90, s.P99 = us(Percentile(v, 50)), us(Percentile(v, 90)), us(Percentile(v, 99))
	s.Max = us(v[len(v)-1])
	return s
}

// Percentile is the nearest-rank p-th percentile of sorted values
// (the smallest value with at least p % of the values at or below it).
func Percentile(sorted []int64, p float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}

// Round rounds v to n decimals (JSON figures stay readable).
func Round(v float64, n int) float64 {
	p := math.Pow(10, float64(n))
	return math.Round(v*p) / p
}

// Ratio is a/b rounded to 2 decimals, 0 when b is 0.
func Ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return Round(a/b, 2)
}
