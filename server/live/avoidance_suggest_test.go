package live_test

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/havenvr/haven/protocols"
	"github.com/havenvr/haven/server/avoidance"
	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

// TestAvoidanceSuggestsStaying: in an adaptive spiders ladder, a headset
// (a pion peer) that looks at the spiders for a minute gets no avoidance
// suggestion; once it has turned away long enough that the spiders were
// within 30° of its gaze for less than 25 % of the step, the therapist's
// console is suggested to stay, with the reason "avoiding" — the rule in
// docs/domain.md §5 ("after at least a minute of head pose in a step, time
// on stimulus below avoid_share_pct (default 25 %) … suggest stay with the
// reason avoiding") from CLINICAL.md §9. Suggest-only: the step is not
// changed. The measures follow the headset's own clock (a pose frame's t),
// so the headset here sends half a second of head pose every 20 ms: five
// minutes of looking in about 12 s.
func TestAvoidanceSuggestsStaying(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id := f.schedule(map[string]any{"protocol_id": f.adaptiveCopy("spiders_ladder", nil)})
	con := f.console(id, "")
	const eye = 1.2 // the simulated head's height
	var head atomic.Pointer[wire.Xf]
	head.Store(&wire.Xf{Pos: [3]float64{0, eye, 0}, Rot: [4]float64{0, 0, 0, 1}})
	pat := f.patient(id, simpeer.PatientOptions{Seed: 11, PoseHz: 1,
		Pose: func(time.Duration) wire.PoseFrame { return wire.PoseFrame{Head: *head.Load()} }})
	wait(t, con, 5*time.Second, "live", state(store.LiveLive))
	wait(t, con, 10*time.Second, "the baseline over: advance suggested", engineKind("suggest", 0))
	// From here the engine runs in real time: sped up, the exposure-time
	// budget's cool-down suggestion would come within seconds and stand in
	// for every later stay or advance suggestion.
	f.srv.App.Live.SetEngineSpeed(1)
	adv := con.Send("cmd.advance", wire.CmdAdvance{})
	step := wait(t, con, 5*time.Second, "the first step", engineKind("step.enter", adv))
	got := wait(t, con, 10*time.Second, "avoidance with the spiders' anchors", avoidanceFor("spiders"))
	a := got.Body.(*wire.Avoidance).Anchors[0]
	d := avoidance.Vec3{X: a.From[0], Y: a.From[1] - eye, Z: a.From[2]}
	toward := avoidance.YawPitch(math.Atan2(-d.X, -d.Z), math.Atan2(d.Y, math.Hypot(d.X, d.Z)))
	away := avoidance.Yaw(math.Pi)

	// The headset's clock, far ahead of the 1 Hz frames' own: those arrive
	// late from now on and are dropped, as any late frame.
	clock := uint32(1 << 30)
	// look sends frames with the head turned by q until done (checked every
	// half second): a frame every 20 ms of the machine's time (the server
	// takes at most one per 10 ms), each 500 ms on the headset's clock (a
	// pose holds up to 1 s, so one lost frame leaves no gap in the measures).
	look := func(q avoidance.Quat, what string, done func() bool) {
		t.Helper()
		xf := wire.Xf{Pos: [3]float64{0, eye, 0}, Rot: [4]float64{q.X, q.Y, q.Z, q.W}}
		head.Store(&xf)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for deadline, n := time.Now().Add(90*time.Second), 1; n%25 != 0 || !done(); n++ {
			if time.Now().After(deadline) {
				t.Fatalf("headset looking %s: still waiting after 90 s", what)
			}
			<-tick.C
			clock += 500
			pat.SendPose(wire.PoseFrame{T: clock, Head: xf})
		}
	}
	avoiding := func(r simpeer.Received) bool {
		e, ok := r.Body.(*wire.Engine)
		return ok && e.Kind == "suggest" && engineBody(r)["reason"] == "avoiding"
	}

	// A minute and more on the spiders: the engine hears it, suggests nothing.
	look(toward, "at the spiders", func() bool {
		for _, ev := range f.events(id) {
			if ev.Type == protocols.EvAvoidance && ev.Avoidance.ObservedMs >= 60_000 && ev.Avoidance.Share > 0.9 {
				return true
			}
		}
		return false
	})
	// Turned round until the share falls under a quarter and the engine
	// says so.
	look(away, "away", func() bool {
		for _, r := range con.All() {
			if avoiding(r) {
				return true
			}
		}
		return false
	})
	sug := wait(t, con, time.Second, "the suggestion to stay (avoiding)", avoiding)
	if act := engineBody(sug)["action"]; act != protocols.TStay {
		t.Fatalf("avoidance suggestion %v, want action stay", engineBody(sug))
	}
	// It came on measures under 25 % after a minute, the first of its kind
	// (none while the patient looked): the console is sent the measures
	// each second just before the engine hears them (one ordered channel),
	// so the last before the suggestion are its grounds.
	var last *wire.Avoidance
	for _, r := range con.All() {
		if r.Type == sug.Type && r.Seq == sug.Seq { // arrival order, the control channel's
			break
		}
		if b, ok := r.Body.(*wire.Avoidance); ok && b.Template == "spiders" {
			last = b
		}
	}
	if last == nil || last.Measures.ObservedMs < 60_000 || last.Measures.Share >= 0.25 {
		t.Fatalf("the suggestion followed the measures %+v, want a minute observed and a share under 25 %%", last)
	}
	t.Logf("stay suggested after %.0f s observed, %.0f %% on the spiders, %d looking-away episodes",
		float64(last.Measures.ObservedMs)/1000, last.Measures.Share*100, last.Measures.AwayEpisodes)
	if s := engineBody(sug)["step_id"]; s == nil || s != engineBody(step)["step_id"] {
		t.Errorf("the suggestion names step %v, want the step entered (%v)", s, engineBody(step)["step_id"])
	}
	// Suggest-only: no step was entered after the first.
	for _, r := range con.All() {
		if e, ok := r.Body.(*wire.Engine); ok && e.Kind == "step.enter" && r.Seq > step.Seq {
			t.Fatalf("a step entered after the avoidance suggestion: %s", string(e.Body))
		}
	}
}

// adaptiveCopy saves the clinic's own copy of a library protocol with
// adaptive suggestions on (and the settings given) and returns its id.
func (f *fixture) adaptiveCopy(library string, more map[string]any) string {
	f.t.Helper()
	var doc map[string]any
	if st := f.th.Do(http.MethodGet, "/api/protocols/library/"+library, nil, &doc); st != http.StatusOK {
		f.t.Fatalf("library protocol: %d", st)
	}
	if p, ok := doc["protocol"].(map[string]any); ok {
		doc = p
	}
	settings, _ := doc["settings"].(map[string]any)
	if settings == nil {
		settings = map[string]any{}
	}
	settings["adaptive"] = true
	for k, v := range more {
		settings[k] = v
	}
	doc["settings"] = settings
	var created struct{ ID string }
	if st, raw := f.th.Raw(http.MethodPost, "/api/protocols", doc); st != http.StatusCreated {
		f.t.Fatalf("create adaptive protocol: %d %.300s", st, raw)
	} else if err := json.Unmarshal(raw, &created); err != nil || created.ID == "" {
		f.t.Fatalf("created protocol: %v %.200s", err, raw)
	}
	return created.ID
}

// events is a session's replayable input log.
func (f *fixture) events(id string) []protocols.Event {
	f.t.Helper()
	st, raw := f.th.Raw(http.MethodGet, "/api/sessions/"+id+"/events", nil)
	events, err := protocols.ReadEvents(bytes.NewReader(raw))
	if st != http.StatusOK || err != nil {
		f.t.Fatalf("event log: %d %v", st, err)
	}
	return events
}
