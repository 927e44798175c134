package live_test

import (
	"math"
	"net/http"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/havenvr/haven/server/apptest"
	waitfor "github.com/havenvr/haven/server/apptest/wait"
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
		b, ok := r.Body.(*wire.ForwardedScene)
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

// TestUnreadableScreeningFailsClosed: a patient whose stored screening
// checklist does not decode is not a clear screening. Before the checklist's
// decode error was surfaced it read as empty, and an exposure session for
// the patient was scheduled (201); now the request fails (500) and nothing
// is created, and the patient API says why instead of showing "clear".
func TestUnreadableScreeningFailsClosed(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	var p struct{ ID string }
	if st := f.th.Do(http.MethodPost, "/api/patients", map[string]any{"code": "SCR-2", "birth_year": 1980, "screening": map[string]bool{}}, &p); st != http.StatusCreated {
		t.Fatalf("create patient: %d", st)
	}
	db := f.srv.App.Store.DB
	if err := db.Model(&store.Patient{}).Where("id = ?", p.ID).Update("screening", `{"epilepsy":tru`).Error; err != nil {
		t.Fatal(err)
	}
	var before, after int64
	db.Model(&store.LiveSession{}).Where("patient_id = ?", p.ID).Count(&before)
	if st := f.th.Do(http.MethodPost, "/api/sessions", map[string]any{"patient_id": p.ID, "protocol_id": "spiders_ladder"}, nil); st != http.StatusInternalServerError {
		t.Fatalf("exposure for a patient with an unreadable screening: %d, want 500", st)
	}
	db.Model(&store.LiveSession{}).Where("patient_id = ?", p.ID).Count(&after)
	if after != before {
		t.Fatalf("%d sessions created for the patient", after-before)
	}
	if st := f.th.Do(http.MethodGet, "/api/patients/"+p.ID, nil, nil); st != http.StatusInternalServerError {
		t.Fatalf("patient with an unreadable screening read as %d, want 500", st)
	}
}

// TestSimulatedPatient: a trainee practises a session with a simulated
// patient from the console; the practice runs as a copy of the session for
// the clinic's training patient.
func TestSimulatedPatient(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	var practice struct{ ID string }
	if st := f.th.Do(http.MethodPost, "/api/sessions/"+f.session+"/simulate", nil, &practice); st != http.StatusAccepted || practice.ID == "" {
		t.Fatalf("simulate: %d", st)
	}
	con := f.console(practice.ID, "")
	wait(t, con, 5*time.Second, "live", state(store.LiveLive))
	// The headset joined first: the console still learns its scene.
	wait(t, con, 5*time.Second, "scene.ready from the simulated headset", simpeer.Type("scene.ready"))
	wait(t, con, 5*time.Second, "metrics", simpeer.Type("metrics"))
	seq := con.Send("cmd.suds_prompt", wire.Empty{})
	_ = seq
	wait(t, con, 5*time.Second, "rating", simpeer.Type("suds.rating"))
}

// TestFloodIsolation: a peer flooding its session at fifteen times its
// allowance is throttled (peer_throttled), and ANOTHER session's commands
// all keep reaching its headset meanwhile (each within the relay wait's
// deadline) without that session being throttled. How much the flood costs
// the other session's relay latency is a figure, not a pass/fail on a
// shared machine: BenchmarkFloodIsolation measures it (BENCHMARKS.md).
func TestFloodIsolation(t *testing.T) {
	r := measureFlood(t, 1)
	t.Logf("relay p99 calm %v, while another session floods %v (p50 %v / %v; %d samples a phase); flooder sent %d, throttled %d",
		p99(r.calm), p99(r.flooded), p50(r.calm), p50(r.flooded), len(r.calm), r.sent, r.throttled)
	if r.sent < 500 || r.throttled == 0 {
		t.Fatalf("flooder sent %d and got %d peer_throttled errors: not a flood that was throttled", r.sent, r.throttled)
	}
	if r.otherThrottled != 0 {
		t.Fatalf("the calm session was throttled %d times while another flooded", r.otherThrottled)
	}
}

// BenchmarkFloodIsolation measures DESIGN.md's isolation target: a peer
// flooding its session must not raise ANOTHER session's command relay p99
// beyond 2×. Run it on a quiet machine:
//
//	go test -run '^$' -bench FloodIsolation -benchtime 1x ./server/live/
//
// It reports both p99s and their ratio (flood_over_calm_p99).
func BenchmarkFloodIsolation(b *testing.B) {
	var calm, flooded []time.Duration
	for range b.N {
		r := measureFlood(b, 3)
		calm, flooded = append(calm, r.calm...), append(flooded, r.flooded...)
	}
	b.ReportMetric(float64(p99(calm).Microseconds()), "calm_p99_us")
	b.ReportMetric(float64(p99(flooded).Microseconds()), "flood_p99_us")
	b.ReportMetric(float64(p99(flooded))/float64(max(p99(calm), 1)), "flood_over_calm_p99")
}

// floodResult is one flood-isolation measurement: the calm session's relay
// times without and with the flood beside it, and what the flooder met.
type floodResult struct {
	calm, flooded             []time.Duration
	sent                      int64
	throttled, otherThrottled int
}

// measureFlood runs two sessions; session A's headset floods its control
// channel in alternating blocks while session B's console relays commands
// to B's headset. Calm and flood samples are taken in alternating blocks
// of the same run, so both see the same background load.
func measureFlood(t testing.TB, rounds int) floodResult {
	f := newFixture(t, nil)
	other := f.schedule(nil)
	conA := f.console(f.session, "")
	patA := f.patient(f.session, simpeer.PatientOptions{Seed: 7})
	conB := f.console(other, "")
	patB := f.patient(other, simpeer.PatientOptions{Seed: 8})
	wait(t, conA, 5*time.Second, "A live", state(store.LiveLive))
	wait(t, conB, 5*time.Second, "B live", state(store.LiveLive))
	// The console's own allowance (1,200/min: 20/s, burst 200) must hold
	// every command of up to three rounds (~1,250), or one is throttled and
	// its relay never comes: one per 45 ms (22/s) drains the bucket by 2/s,
	// ~125 over the longest run, so it never runs dry however long a busy
	// machine stretches the rounds. (One per 32 ms ran dry in round 2.)
	const period = 45 * time.Millisecond
	relay := func() time.Duration {
		start := time.Now()
		seq := conB.Send("cmd.suds_prompt", wire.Empty{})
		r := wait(t, patB, 3*time.Second, "relay", typeSrc("suds.prompt", seq))
		at, _ := conB.SentAt(seq)
		time.Sleep(period - time.Since(start))
		return r.At.Sub(at)
	}
	var flooding atomic.Bool
	var sent atomic.Int64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for i := 1_000_000; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if !flooding.Load() {
				time.Sleep(time.Millisecond)
				continue
			}
			// ~300 messages/s: fifteen times the peer's allowance (1,200/min,
			// 20/s). Not more: this flood generator (a pion client in the same
			// process) competes for the same two cores, and under -race at
			// ~2,000/s it starved both sessions' goroutines, which measures
			// the harness rather than the server (without -race, 2,000/s
			// passed with flood p99 ≈ calm p99).
			if patA.SendRaw(wire.Control, []byte(`{"v":1,"type":"heartbeat","seq":`+itoa(i)+`}`)) != nil {
				return
			}
			sent.Add(1)
			time.Sleep(2500 * time.Microsecond)
		}
	}()
	for range 10 { // warm-up: connections, caches, the engine's first steps
		relay()
	}
	// A round is 4 calm and 4 flood blocks of 52 relays: 208 samples a phase.
	const blocks, perBlock = 4, 52
	var res floodResult
	for range rounds {
		for b := range 2 * blocks {
			on := b%2 == 1
			flooding.Store(on)
			// a flood block starts once the flood is under way
			if on {
				base := sent.Load()
				waitfor.Until(t, 10*time.Second, "the flood under way", func() bool { return sent.Load() >= base+10 })
			}
			for range perBlock {
				if d := relay(); on {
					res.flooded = append(res.flooded, d)
				} else {
					res.calm = append(res.calm, d)
				}
			}
		}
	}
	close(stop)
	<-done
	for _, r := range patA.All() {
		if e, ok := r.Body.(*wire.Error); ok && r.Type == "error" && e.Code == "peer_throttled" {
			res.throttled++
		}
	}
	for _, r := range patB.All() {
		if e, ok := r.Body.(*wire.Error); ok && r.Type == "error" && e.Code == "peer_throttled" {
			res.otherThrottled++
		}
	}
	res.sent = sent.Load()
	return res
}

// p99 and p50 are nearest-rank percentiles.
func p99(d []time.Duration) time.Duration { return percentile(d, 0.99) }
func p50(d []time.Duration) time.Duration { return percentile(d, 0.50) }

func percentile(d []time.Duration, q float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(i, 0)]
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
