package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"sync"
	"time"
)

// WriteResult prints the result: one indented JSON object with asJSON,
// otherwise one "key: value" line per JSON field, in declaration order.
func WriteResult(w io.Writer, v any, asJSON bool) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("bench: encoding result: %w", err)
	}
	if asJSON {
		_, err = fmt.Fprintf(w, "%s\n", data)
		return err
	}
	rv := reflect.Indirect(reflect.ValueOf(v))
	rt := rv.Type()
	for i := range rt.NumField() {
		name := rt.Field(i).Tag.Get("json")
		if j := indexByte(name, ','); j >= 0 {
			name = name[:j]
		}
		if name == "" || name == "-" {
			continue
		}
		f := rv.Field(i)
		if f.Kind() == reflect.Slice {
			fmt.Fprintf(w, "%-22s %d points (use --json)\n", name+":", f.Len())
			continue
		}
		fmt.Fprintf(w, "%-22s %v\n", name+":", f.Interface())
	}
	return nil
}

func indexByte(s string, c byte) int {
	for i := range len(s) {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// Progress prints line() to w every interval until the returned stop is
// called; stop waits for the printer to exit.
func Progress(ctx context.Context, w io.Writer, every time.Duration, line func() string) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	start := time.Now()
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				fmt.Fprintf(w, "[%5.1fs] %s\n", now.Sub(start).Seconds(), line())
			}
		}
	}()
	return func() { cancel(); wg.Wait() }
}

// Point is one sample of a soak series.
type Point struct {
	AtS        float64 `json:"at_s"`
	RSSMB      float64 `json:"rss_mb"`
	HeapMB     float64 `json:"heap_mb"` // live heap after a forced GC
	Goroutines int     `json:"goroutines"`
	CPUPct     float64 `json:"cpu_pct"` // share of one core since the previous point
}

// Sampler records this process's RSS, heap and goroutines at a fixed
// interval, to show that nothing grows during a soak run.
type Sampler struct {
	mu     sync.Mutex
	points []Point
	stop   func()
}

// StartSampler samples every interval until Stop; every ≤ 0 samples nothing.
func StartSampler(ctx context.Context, every time.Duration) *Sampler {
	s := &Sampler{}
	if every <= 0 {
		s.stop = func() {}
		return s
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	start, lastCPU, lastT := time.Now(), SelfCPU(), time.Now()
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				// A forced collection makes heap_mb the live heap, so a
				// leak shows as a trend rather than hiding in GC sawtooth.
				me := ReadSelf(true)
				p := Point{AtS: Round(now.Sub(start).Seconds(), 1), RSSMB: MB(me.RSSBytes), HeapMB: MB(int64(me.HeapInuse)),
					Goroutines: me.Goroutines, CPUPct: Round(100*(me.CPUSeconds-lastCPU)/now.Sub(lastT).Seconds(), 1)}
				lastCPU, lastT = me.CPUSeconds, now
				s.mu.Lock()
				s.points = append(s.points, p)
				s.mu.Unlock()
			}
		}
	}()
	s.stop = func() { cancel(); <-done }
	return s
}

// Len is the number of points sampled so far.
func (s *Sampler) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.points)
}

// Stop ends sampling and returns the series.
func (s *Sampler) Stop() []Point {
	s.stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.points
}
