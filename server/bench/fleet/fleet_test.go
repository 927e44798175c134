package fleet

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/havenvr/haven/server/wire"
)

func TestParallel(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		n, workers int
		failAt     int // -1: never
	}{
		{"all succeed", 50, 8, -1},
		{"more workers than items", 3, 16, -1},
		{"zero items", 0, 4, -1},
		{"first error stops the rest", 1000, 4, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var done, calls, busy, peak atomic.Int64
			boom := errors.New("boom")
			err := Parallel(context.Background(), tc.n, tc.workers, &done, func(_ context.Context, i int) error {
				calls.Add(1)
				b := busy.Add(1)
				defer busy.Add(-1)
				for p := peak.Load(); b > p && !peak.CompareAndSwap(p, b); p = peak.Load() {
				}
				time.Sleep(time.Millisecond)
				if i == tc.failAt {
					return boom
				}
				return nil
			})
			if peak.Load() > int64(tc.workers) {
				t.Errorf("%d calls at once, limit %d", peak.Load(), tc.workers)
			}
			if tc.failAt < 0 {
				if err != nil || done.Load() != int64(tc.n) {
					t.Errorf("err %v, done %d of %d", err, done.Load(), tc.n)
				}
				return
			}
			if !errors.Is(err, boom) || calls.Load() >= int64(tc.n) {
				t.Errorf("err %v after %d of %d calls: want boom and an early stop", err, calls.Load(), tc.n)
			}
		})
	}
}

type durations struct {
	mu sync.Mutex
	d  []time.Duration
}

func (r *durations) Add(d time.Duration) { r.mu.Lock(); r.d = append(r.d, d); r.mu.Unlock() }

func TestRelayMatchesFirstMessageOnly(t *testing.T) {
	t.Parallel()
	rec := &durations{}
	r := NewRelay(rec)
	t0 := time.Now()
	r.sent(1, t0)
	r.sent(2, t0)
	if !r.received(1, t0.Add(300*time.Microsecond)) {
		t.Fatal("command 1 not matched")
	}
	if r.received(1, t0.Add(time.Millisecond)) {
		t.Error("a second message for command 1 was counted")
	}
	if r.received(99, t0) {
		t.Error("an unknown src_seq was matched")
	}
	if len(rec.d) != 1 || rec.d[0] != 300*time.Microsecond {
		t.Errorf("recorded %v, want [300µs]", rec.d)
	}
	for s := uint64(3); s < 200; s++ {
		r.sent(s, t0) // refused commands never arrive: the map must stay bounded
	}
	if n := len(r.pending); n > 130 {
		t.Errorf("%d pending commands kept", n)
	}
}

// TestPatientAcksAndReceive drives a patient's receive path without a
// server: acks retire batches (cumulatively), hello sets the seq floor,
// errors are counted by code.
func TestPatientAcksAndReceive(t *testing.T) {
	t.Parallel()
	p := NewPatient(PatientConfig{SessionID: "s1", KeepAcked: true, Relay: NewRelay(&durations{})})
	p.stream(time.Now().Add(2 * time.Second)) // no peer yet: batches are kept unacked
	n := p.Unacked()
	if n < 8 || p.C.SamplesSent.Load() < 64 {
		t.Fatalf("after 2 s: %d batches, %d samples", n, p.C.SamplesSent.Load())
	}
	p.receive(wire.Signals, wire.Encode("signals.ack", 1, 3, 0, 0, wire.Empty{}))
	if p.Unacked() != n-3 || len(p.Acked()) != 3 || p.C.BatchesAcked.Load() != 3 {
		t.Errorf("after ack 3: %d unacked of %d, %d acked", p.Unacked(), n, len(p.Acked()))
	}
	p.receive(wire.Control, wire.Encode("error", 2, 0, 0, 0, wire.Error{Code: "peer_throttled"}))
	p.receive(wire.Control, []byte(`{"v":1,"type":`)) // garbage is ignored
	if p.ErrorCodes()["peer_throttled"] != 1 || p.C.ServerErrors.Load() != 1 {
		t.Errorf("error codes %v", p.ErrorCodes())
	}
	p.receive(wire.Signals, wire.Encode("signals.ack", 3, uint64(n), 0, 0, wire.Empty{}))
	if p.Unacked() != 0 || p.UnackedSamples() != 0 || p.C.SamplesAcked.Load() != p.C.SamplesSent.Load() {
		t.Errorf("after acking all: %d unacked, acked %d of %d samples", p.Unacked(), p.C.SamplesAcked.Load(), p.C.SamplesSent.Load())
	}
}

// FuzzPatientReceive feeds arbitrary server messages to a patient: nothing
// the server (or a corrupted channel) sends may crash the load generator.
func FuzzPatientReceive(f *testing.F) {
	for _, seed := range [][]byte{
		wire.Encode("hello", 1, 0, 0, 0, wire.Hello{NextSeq: map[string]uint64{"control": 5, "signals": 9}}),
		wire.Encode("scene.set", 2, 0, 0, 7, wire.SceneSet{Params: map[string]any{"floor": 3}}),
		wire.Encode("suds.prompt", 3, 0, 0, 0, wire.SUDSPrompt{PromptID: "p1"}),
		wire.Encode("signals.ack", 1, 4, 0, 0, wire.Empty{}),
		[]byte(`{"type":"scene.load","src_seq":1,"body":null}`), []byte(`{"type":"error","body":[]}`), []byte("\x00"),
	} {
		f.Add(seed, false)
	}
	f.Fuzz(func(t *testing.T, data []byte, signals bool) {
		p := NewPatient(PatientConfig{SessionID: "s", Relay: NewRelay(&durations{})})
		p.stream(time.Now().Add(time.Second))
		label := wire.Control
		if signals {
			label = wire.Signals
		}
		p.receive(label, data)
		if p.Unacked() < 0 || p.C.SamplesAcked.Load() > p.C.SamplesSent.Load() {
			t.Fatalf("counters inconsistent: acked %d > sent %d", p.C.SamplesAcked.Load(), p.C.SamplesSent.Load())
		}
	})
}

func TestPeekType(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"encoded heartbeat", wire.Encode("heartbeat", 9, 0, 1, 0, wire.Empty{}), "heartbeat"},
		{"encoded ack", wire.Encode("signals.ack", 1, 4, 1, 0, wire.Empty{}), "signals.ack"},
		{"no type", []byte(`{"v":1}`), ""},
		{"unterminated", []byte(`{"type":"heart`), ""},
		{"absurdly long", []byte(`{"type":"` + string(make([]byte, 100)) + `"}`), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := peekType(tc.in); got != tc.want {
				t.Errorf("peekType(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
