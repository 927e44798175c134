package live_test

import (
	"net/http"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/havenvr/haven/server/apptest"
	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

// TestCompositionSession runs a session on one composition, no ladder.
func TestCompositionSession(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]any{"composition": map[string]any{"template": "heights", "params": map[string]any{"floor": 3}}})
	con := f.console(f.session, "")
	pat := f.patient(f.session, simpeer.PatientOptions{Seed: 6, NoSignals: true})
	load := wait(t, pat, 5*time.Second, "scene.load", simpeer.Type("scene.load"))
	if b := load.Body.(*wire.SceneLoad); b.Template != "heights" || b.Params["floor"] != float64(3) {
		t.Fatalf("scene.load %+v", b)
	}
	bad := con.Send("cmd.scene.set", wire.CmdParams{Params: map[string]any{"floor": 999}})
	wait(t, con, 3*time.Second, "refused out of range", engineKind("command.refused", bad))
	good := con.Send("cmd.scene.set", wire.CmdParams{Params: map[string]any{"floor": 8}})
	set := wait(t, pat, 3*time.Second, "scene.set", typeSrc("scene.set", good))
	if set.Body.(*wire.SceneSet).Params["floor"] != float64(8) {
		t.Fatalf("scene.set %+v", set.Body)
	}
	ready := wait(t, con, 3*time.Second, "applied params", func(r simpeer.Received) bool {
		b, ok := r.Body.(*wire.Forwarded)
		return ok && r.Type == "scene.ready" && b.Params["floor"] == float64(8)
	})
	_ = ready
	ev := con.Send("cmd.event", wire.CmdEvent{Event: "gust"})
	wait(t, pat, 3*time.Second, "scene.event", typeSrc("scene.event", ev))
	br := con.Send("cmd.breathing", wire.CmdBreathing{BreathsPerMin: 6, Cycles: 3})
	b := wait(t, pat, 3*time.Second, "breathing", typeSrc("breathing.start", br)).Body.(*wire.BreathingStart)
	if len(b.Phases) != 2 || b.Phases[0].S+b.Phases[1].S != 10 || b.DurationS != 30 {
		t.Fatalf("breathing %+v", b)
	}
	pat.Send("break.request", wire.Empty{}, true)
	wait(t, pat, 3*time.Second, "calm after break", simpeer.Type("calm.now"))
	wait(t, con, 3*time.Second, "break alert", func(r simpeer.Received) bool {
		a, ok := r.Body.(*wire.Alert)
		return ok && a.Code == "break_requested"
	})
	stop := con.Send("cmd.stop", wire.Empty{})
	wait(t, pat, 3*time.Second, "hard stop", typeSrc("hard.stop", stop))
	wait(t, pat, 3*time.Second, "end", simpeer.Type("session.end"))
}

// TestScreeningBlocksExposure: an unacknowledged flagged screening item
// refuses an exposure session but not a calming one.
func TestScreeningBlocksExposure(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	var p struct{ ID string }
	f.th.Do(http.MethodPost, "/api/patients", map[string]any{"code": "SCR-1", "birth_year": 1980, "screening": map[string]bool{"epilepsy": true}}, &p)
	var e struct{ Error struct{ Code, Field string } }
	st := f.th.Do(http.MethodPost, "/api/sessions", map[string]any{"patient_id": p.ID, "protocol_id": "spiders_ladder"}, &e)
	if st != http.StatusUnprocessableEntity || e.Error.Code != "validation" {
		t.Fatalf("exposure for flagged patient: %d %+v", st, e)
	}
	if st := f.th.Do(http.MethodPost, "/api/sessions", map[string]any{"patient_id": p.ID, "protocol_id": "box_breathing"}, nil); st != http.StatusCreated {
		t.Fatalf("calming for flagged patient: %d", st)
	}
	if st := f.th.Do(http.MethodPost, "/api/sessions", map[string]any{"patient_id": p.ID, "protocol_id": "no_such"}, &e); st != http.StatusUnprocessableEntity {
		t.Fatalf("unknown protocol: %d", st)
	}
	// Another clinic sees nothing.
	other := f.srv.SignIn(t, f.srv.NewClinic(t, "Other").ID, store.RoleTherapist)
	if st := other.Do(http.MethodGet, "/api/sessions/"+f.session, nil, nil); st != http.StatusNotFound {
		t.Fatalf("cross-tenant read: %d", st)
	}
}

// TestSimulatedPatient: a trainee attaches a simulated patient from the console.
func TestSimulatedPatient(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	con := f.console(f.session, "")
	if st := f.th.Do(http.MethodPost, "/api/sessions/"+f.session+"/simulate", nil, nil); st != http.StatusAccepted {
		t.Fatalf("simulate: %d", st)
	}
	wait(t, con, 5*time.Second, "live", state(store.LiveLive))
	wait(t, con, 5*time.Second, "scene.ready from the simulated headset", simpeer.Type("scene.ready"))
	wait(t, con, 5*time.Second, "metrics", simpeer.Type("metrics"))
	seq := con.Send("cmd.suds_prompt", wire.Empty{})
	_ = seq
	wait(t, con, 5*time.Second, "rating", simpeer.Type("suds.rating"))
}

// TestFloodIsolation: one patient flooding its session does not break
// another session's relay (asserted loosely; precise numbers are the bench's).
func TestFloodIsolation(t *testing.T) {
	f := newFixture(t, nil)
	other := f.schedule(nil)
	conA := f.console(f.session, "")
	patA := f.patient(f.session, simpeer.PatientOptions{Seed: 7})
	conB := f.console(other, "")
	patB := f.patient(other, simpeer.PatientOptions{Seed: 8})
	wait(t, conA, 5*time.Second, "A live", state(store.LiveLive))
	wait(t, conB, 5*time.Second, "B live", state(store.LiveLive))
	measure := func(n int) time.Duration {
		var d []time.Duration
		for range n {
			seq := conB.Send("cmd.suds_prompt", wire.Empty{})
			r := wait(t, patB, 3*time.Second, "relay", typeSrc("suds.prompt", seq))
			at, _ := conB.SentAt(seq)
			d = append(d, r.At.Sub(at))
			time.Sleep(10 * time.Millisecond)
		}
		slices.Sort(d)
		return d[len(d)/2]
	}
	calm := measure(30)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 1_000_000; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			// ~2,000 messages/s: ten times the peer's allowance.
			if patA.SendRaw(wire.Control, []byte(`{"v":1,"type":"heartbeat","seq":`+itoa(i)+`}`)) != nil {
				return
			}
			time.Sleep(500 * time.Microsecond)
		}
	}()
	flooded := measure(30)
	close(stop)
	<-done
	wait(t, patA, 3*time.Second, "flooder throttled", errCode("peer_throttled"))
	if flooded > max(2*calm, 25*time.Millisecond) {
		t.Fatalf("relay p50 under flood %v (calm %v)", flooded, calm)
	}
	t.Logf("relay p50 calm %v, while another session floods %v", calm, flooded)
}

// TestNoGoroutineLeak runs a session and closes everything: goroutines
// return to where they were (with a tolerance and a settle loop).
func TestNoGoroutineLeak(t *testing.T) {
	runtime.GC()
	before := runtime.NumGoroutine()
	func() {
		f := newFixture(t, nil)
		con := f.console(f.session, "")
		pat := f.patient(f.session, simpeer.PatientOptions{Seed: 9})
		wait(t, con, 5*time.Second, "live", state(store.LiveLive))
		wait(t, con, 5*time.Second, "metrics", simpeer.Type("metrics"))
		pat.Close()
		_ = con.Close()
		f.srv.Close()
	}()
	deadline := time.Now().Add(15 * time.Second)
	var now int
	for {
		runtime.GC()
		now = runtime.NumGoroutine()
		if now <= before+5 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if now > before+5 {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		t.Fatalf("goroutines: %d before, %d after\n%s", before, now, buf[:n])
	}
}

var _ = apptest.Start
