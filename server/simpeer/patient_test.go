package simpeer

import (
	"testing"
	"time"

	"github.com/havenvr/haven/server/wire"
)

// TestSUDSModel: ratings rise with exposure and fall as the patient habituates.
func TestSUDSModel(t *testing.T) {
	t.Parallel()
	p := NewPatient(PatientOptions{Seed: 1, NoSignals: true})
	mean := func() float64 {
		s := 0
		for range 200 {
			s += p.SUDS()
		}
		return float64(s) / 200
	}
	rest := mean()
	p.react(wire.Message{Envelope: wire.Envelope{Type: "step.enter"}, Body: &wire.StepEnter{Index: 3}})
	high := mean()
	p.mu.Lock()
	p.stepStart = time.Now().Add(-6 * time.Minute) // 3 time constants later
	p.mu.Unlock()
	habituated := mean()
	if !(high > rest+40 && habituated < high/2 && habituated > rest-5) {
		t.Fatalf("SUDS rest %.1f, on entering step 4 %.1f, after 6 min %.1f", rest, high, habituated)
	}
	p.react(wire.Message{Envelope: wire.Envelope{Type: "calm.now"}, Body: &wire.CalmNow{}})
	if calm := mean(); calm > rest+5 {
		t.Fatalf("SUDS in calm %.1f, rest %.1f", calm, rest)
	}
}

// TestAckedDropsResends: an ack removes acknowledged messages from the resend
// list and counts their samples.
func TestAckedDropsResends(t *testing.T) {
	t.Parallel()
	p := NewPatient(PatientOptions{Seed: 2, NoSignals: true})
	for i := range 3 {
		p.send(wire.Signals, "signals.batch", wire.SignalsBatch{}, true, 10+i)
	}
	p.acked(wire.Signals, 2)
	st := p.Stats()
	if st.SamplesSent != 33 || st.SamplesAcked != 21 || st.Unacked != 1 {
		t.Fatalf("stats %+v", st)
	}
}
