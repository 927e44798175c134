package live_test

import (
	"testing"
	"time"

	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/wire"
)

// Heartbeat figures of docs/protocol.md ("Safety"; DESIGN.md §3): a silent
// control channel hears a heartbeat every 500 ms; one is sent only after
// 375 ms without any other message on it.
const (
	heartbeatEvery = 500 * time.Millisecond
	heartbeatQuiet = 375 * time.Millisecond
)

// controlSince is what in received on control from the server after since,
// in arrival order.
func controlSince(all []simpeer.Received, since time.Time) []simpeer.Received {
	var out []simpeer.Received
	for _, r := range all {
		if r.Spec.Channel == wire.Control && r.At.After(since) {
			out = append(out, r)
		}
	}
	return out
}

// TestHeartbeatsOnlyOnSilentChannel: a console whose control channel is
// silent (its session has not started: no patient, no engine, no metrics)
// hears a heartbeat every 500 ms; once the patient's client.state arrives
// every 100 ms, the console hears session.state that often and no
// heartbeat at all, unless the server's own clock shows the channel silent
// for 375 ms (judged by the envelopes' server time, so a stall of this
// busy machine is told apart from a heartbeat the rule forbids).
func TestHeartbeatsOnlyOnSilentChannel(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	con := f.console(f.session, "")

	// Silent: six heartbeat periods and nothing but heartbeats.
	first := heartbeats(t, con, time.Time{}, 1, 10*time.Second)
	heartbeats(t, con, first, 6, 10*time.Second)
	silent := controlSince(con.All(), first.Add(-time.Millisecond))
	var beats []simpeer.Received
	for _, r := range silent {
		if r.Type == "heartbeat" {
			beats = append(beats, r)
		}
	}
	if len(beats) < 7 {
		t.Fatalf("%d heartbeats on the silent channel, want 7", len(beats))
	}
	n := len(beats) - 1
	mean := time.Duration(beats[n].T-beats[0].T) * time.Millisecond / time.Duration(n)
	var worst time.Duration
	for i := 1; i < len(beats); i++ {
		worst = max(worst, time.Duration(beats[i].T-beats[i-1].T)*time.Millisecond)
	}
	// Each heartbeat is due 500 ms after the last; a tick the busy machine
	// delays by up to one tick (250 ms) moves one, never the mean by much.
	if mean < heartbeatEvery-50*time.Millisecond || mean > heartbeatEvery+150*time.Millisecond || worst > 2*heartbeatEvery {
		t.Fatalf("silent channel: heartbeats every %v on average (worst %v), want every %v", mean, worst, heartbeatEvery)
	}
	t.Logf("silent channel: %d heartbeats, every %v on average, worst gap %v", len(beats), mean, worst)

	// Busy: a steady stream of other messages on the console's control.
	pat := f.patient(f.session, simpeer.PatientOptions{Seed: 5, NoSignals: true})
	wait(t, con, 10*time.Second, "the session live", state("live"))
	start := time.Now()
	const states = 30
	tick := time.NewTicker(100 * time.Millisecond)
	for i := range states {
		pat.Send("client.state", wire.ClientState{XR: true, FPS: float64(60 + i%2), Comfort: "ok", Sensor: "simulated"}, false)
		<-tick.C
	}
	tick.Stop()
	end := time.Now()
	busy := controlSince(con.All(), start)
	var others, forbidden, allowed int
	var prevT int64
	for i, r := range busy {
		if r.At.After(end) {
			break
		}
		if r.Type != "heartbeat" {
			others++
		} else if i > 0 {
			if quiet := time.Duration(r.T-prevT) * time.Millisecond; quiet < heartbeatQuiet-2*time.Millisecond {
				forbidden++
				t.Errorf("heartbeat %v after the last control message (server time), inside the %v quiet time", quiet, heartbeatQuiet)
			} else {
				allowed++
			}
		}
		prevT = r.T
	}
	if others < states/2 {
		t.Fatalf("only %d other control messages reached the console in %v: no steady stream to judge by", others, end.Sub(start))
	}
	// On a machine that ran the stream on time there were no heartbeats
	// at all; one after a real 375 ms stall of the server is the rule working.
	t.Logf("busy channel: %d other messages, %d heartbeats after a stall of the server, %d inside the quiet time, in %v",
		others, allowed, forbidden, end.Sub(start))
}
