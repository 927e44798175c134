package simpeer

import (
	"math"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/havenvr/haven/server/biosignal"
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

// TestBreathesWithThePacer: the simulated patient follows breathing.start
// (its respiration rate becomes the pacer's) until breathing.stop.
func TestBreathesWithThePacer(t *testing.T) {
	t.Parallel()
	p := NewPatient(PatientOptions{Seed: 3, NoSignals: true})
	resp := func(from time.Time) float64 {
		p.mu.Lock()
		defer p.mu.Unlock()
		last := 0.0
		for _, b := range p.sim.Advance(from.Add(40 * time.Second).UnixMilli()) {
			if b.Stream == biosignal.Resp {
				last = b.Values[len(b.Values)-1]
			}
		}
		return last
	}
	start := time.Now()
	p.react(wire.Message{Envelope: wire.Envelope{Type: "breathing.start"},
		Body: &wire.BreathingStart{Phases: []wire.BreathPhase{{Phase: "inhale", S: 4}, {Phase: "exhale", S: 6}}}})
	if r := resp(start); math.Abs(r-6) > 0.5 {
		t.Fatalf("respiration %.1f/min with a 10 s pacer, want 6", r)
	}
	p.react(wire.Message{Envelope: wire.Envelope{Type: "breathing.stop"}, Body: &wire.Empty{}})
	// spontaneous breathing: about 14/min, irregular (±25 %), not the pacer's 6
	if r := resp(start.Add(40 * time.Second)); math.Abs(r-6) < 1.5 {
		t.Fatalf("respiration %.1f/min after the pacer stopped, want spontaneous", r)
	}
}

// TestRepeatedServerMessageIgnored: a server message whose seq is not new on
// its connection and channel (a repeat, or one behind the last) is counted
// and not acted on; the next new seq is handled.
func TestRepeatedServerMessageIgnored(t *testing.T) {
	t.Parallel()
	p := NewPatient(PatientOptions{Seed: 1, NoSignals: true})
	in := wire.NewReceiver(wire.Signals)
	prompt := func(seq uint64) webrtc.DataChannelMessage {
		return webrtc.DataChannelMessage{Data: wire.Encode("suds.prompt", seq, 0, time.Now().UnixMilli(), 0, wire.SUDSPrompt{PromptID: "p1"})}
	}
	for _, seq := range []uint64{1, 2, 2, 1, 3} {
		p.onMessage(in, wire.Control, prompt(seq))
	}
	if got := len(p.All()); got != 3 {
		t.Fatalf("%d messages handled, want 3 (seqs 1, 2, 3)", got)
	}
	if got := p.Stats().Repeats; got != 2 {
		t.Fatalf("repeats %d, want 2", got)
	}
}
