package live_test

import (
	"math"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	waitfor "github.com/havenvr/haven/server/apptest/wait"
	"github.com/havenvr/haven/server/avoidance"
	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

// poseConsole is a console (or observer) that opens the pose channel.
func (f *fixture) poseConsole(id, query string) *simpeer.Therapist {
	f.t.Helper()
	h := http.Header{}
	h.Set("X-CSRF-Token", f.th.CSRF)
	c, err := simpeer.DialTherapist(ctxT(f.t, 15*time.Second), simpeer.TherapistOptions{
		URL: f.srv.URL + "/api/sessions/" + id + "/console/whip" + query, Header: h, HTTP: f.th.HTTP, Poses: true})
	if err != nil {
		f.t.Fatalf("console: %v", err)
	}
	f.t.Cleanup(func() { _ = c.Close() })
	return c
}

func avoidanceFor(template string) func(simpeer.Received) bool {
	return func(r simpeer.Received) bool {
		a, ok := r.Body.(*wire.Avoidance)
		return r.Type == "avoidance" && ok && a.Template == template && len(a.Anchors) > 0
	}
}

// TestPoseRelayAndAvoidance: a headset's poses reach the therapist and an
// observer byte for byte on their pose channels (a console without one
// gets none), drive the live avoidance measures the consoles are sent, a
// malformed frame is refused with a code, and the step's measures are
// written to the timeline when the step ends.
func TestPoseRelayAndAvoidance(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]any{"protocol_id": "spiders_ladder"})
	con := f.poseConsole(f.session, "")
	obs := f.poseConsole(f.session, "?role=observer")
	plain := f.console(f.session, "")
	var head atomic.Pointer[wire.Xf]
	head.Store(&wire.Xf{Pos: [3]float64{0, 1.2, 0}, Rot: [4]float64{0, 0, 0, 1}})
	pat := f.patient(f.session, simpeer.PatientOptions{Seed: 3, PoseHz: 25,
		Pose: func(time.Duration) wire.PoseFrame { return wire.PoseFrame{Head: *head.Load()} }})
	wait(t, con, 5*time.Second, "live", state(store.LiveLive))
	wait(t, con, 10*time.Second, "advance suggestion", engineKind("suggest", 0))
	adv := con.Send("cmd.advance", wire.CmdAdvance{})
	wait(t, pat, 5*time.Second, "spiders scene", typeSrc("scene.load", adv))
	got := wait(t, con, 5*time.Second, "avoidance with the spiders' anchors", avoidanceFor("spiders"))
	wait(t, plain, 5*time.Second, "avoidance on a console without a pose channel", avoidanceFor("spiders"))
	a := got.Body.(*wire.Avoidance).Anchors[0]
	if a.ID != "spiders" || !a.Approach || a.From[2] >= 0 {
		t.Fatalf("anchor %+v: want the spiders ahead on the table", a)
	}

	// Look at the spiders: the head turned and pitched towards the anchor.
	d := avoidance.Vec3{X: a.From[0], Y: a.From[1] - 1.2, Z: a.From[2]}
	q := avoidance.YawPitch(math.Atan2(-d.X, -d.Z), math.Atan2(d.Y, math.Hypot(d.X, d.Z)))
	head.Store(&wire.Xf{Pos: [3]float64{0, 1.2, 0}, Rot: [4]float64{q.X, q.Y, q.Z, q.W}})
	looking := wait(t, con, 10*time.Second, "time on the spiders", func(r simpeer.Received) bool {
		b, ok := r.Body.(*wire.Avoidance)
		return ok && b.Measures.OnStimulusMs >= 1500 && !b.Away
	})
	if m := looking.Body.(*wire.Avoidance).Measures; m.ClosestM == nil || math.Abs(*m.ClosestM-math.Hypot(d.X, d.Z)) > 0.02 {
		t.Errorf("closest approach %v, want the head's %.2f m from the anchor", m.ClosestM, math.Hypot(d.X, d.Z))
	}
	// Turn round (yaw 180°): out of view; after 3 s a looking-away episode.
	back := avoidance.Yaw(math.Pi)
	head.Store(&wire.Xf{Pos: [3]float64{0, 1.2, 0}, Rot: [4]float64{back.X, back.Y, back.Z, back.W}})
	away := wait(t, con, 10*time.Second, "a looking-away episode", func(r simpeer.Received) bool {
		b, ok := r.Body.(*wire.Avoidance)
		return ok && b.Away && b.Measures.AwayEpisodes == 1
	})
	if m := away.Body.(*wire.Avoidance).Measures; m.Share >= 1 || m.OnStimulusMs < 1500 {
		t.Errorf("after looking away: %+v", m)
	}

	// Both pose consoles got frames; the last decodes to the head sent.
	for name, c := range map[string]*simpeer.Therapist{"therapist": con, "observer": obs} {
		waitfor.Until(t, 5*time.Second, name+" receiving the turned head", func() bool {
			_, last := c.PoseFrames()
			fr, err := wire.DecodePose(last)
			return err == nil && math.Abs(fr.Head.Rot[1]-back.Y) < 1e-3
		})
	}
	if n, _ := plain.PoseFrames(); n != 0 {
		t.Errorf("a console without a pose channel got %d frames", n)
	}

	// A malformed frame is refused with a code; the stream goes on.
	if err := pat.SendRaw(wire.Pose, []byte{1, 0, 0}); err != nil {
		t.Fatal(err)
	}
	wait(t, pat, 5*time.Second, "refusal of a short frame", errCode("validation"))

	con.Send("cmd.end", wire.Empty{})
	waitfor.Until(t, 10*time.Second, "the step's avoidance in the timeline", func() bool {
		return f.count("timeline_events", "kind = ?", "avoidance") == 1
	})

	if n := f.count("timeline_events", "kind = ?", "pose"); n != 0 {
		t.Errorf("%d head poses stored while the clinic does not record them", n)
	}

	// The step's measures reach the report and every export.
	var rep struct {
		Avoidance []struct {
			StepID   string            `json:"step_id"`
			Template string            `json:"template"`
			Measures avoidance.Summary `json:"measures"`
		} `json:"avoidance"`
	}
	if st := f.th.Do(http.MethodGet, "/api/sessions/"+f.session+"/report", nil, &rep); st != http.StatusOK || len(rep.Avoidance) != 1 {
		t.Fatalf("report: %d %+v", st, rep)
	}
	if a := rep.Avoidance[0]; a.StepID == "" || a.Template != "spiders" || a.Measures.OnStimulusMs < 1500 || a.Measures.AwayEpisodes != 1 {
		t.Errorf("report avoidance %+v", a)
	}
	st, csv := f.th.Raw(http.MethodGet, "/api/sessions/"+f.session+"/export/csv?stream=avoidance", nil)
	if lines := strings.Split(strings.TrimSpace(string(csv)), "\n"); st != http.StatusOK || len(lines) != 2 || !strings.Contains(lines[1], ","+rep.Avoidance[0].StepID+",spiders,") {
		t.Errorf("avoidance CSV: %d %q", st, csv)
	}
	for _, format := range []string{"fhir", "omh"} {
		st, body := f.th.Raw(http.MethodGet, "/api/sessions/"+f.session+"/export/"+format, nil)
		want := map[string]string{"fhir": `"code": "gaze-on-stimulus"`, "omh": `"name": "avoidance"`}[format]
		if st != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("%s export: %d, no %s", format, st, want)
		}
	}
}

// TestPoseRecording: a clinic that records poses (Clinic settings,
// record_poses, audited) keeps one head pose a second in the session's
// timeline, and the report lists them.
func TestPoseRecording(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]any{"protocol_id": "spiders_ladder"})
	var sess store.LiveSession
	if err := f.srv.App.Store.DB.Take(&sess, "id = ?", f.session).Error; err != nil {
		t.Fatal(err)
	}
	admin := f.srv.SignIn(t, sess.ClinicID, store.RoleAdmin)
	var set struct {
		RecordPoses bool `json:"record_poses"`
	}
	if st := admin.Do(http.MethodPatch, "/api/clinic", map[string]any{"record_poses": true}, &set); st != http.StatusOK || !set.RecordPoses {
		t.Fatalf("record_poses: %d %+v", st, set)
	}
	con := f.console(f.session, "")
	f.patient(f.session, simpeer.PatientOptions{Seed: 4, PoseHz: 20})
	wait(t, con, 5*time.Second, "live", state(store.LiveLive))
	waitfor.Until(t, 15*time.Second, "three recorded head poses", func() bool {
		return f.count("timeline_events", "kind = ?", "pose") >= 3
	})
	var rep struct {
		Poses []struct {
			Pos  [3]float64 `json:"pos"`
			Quat [4]float64 `json:"quat"`
		} `json:"poses"`
	}
	if st := f.th.Do(http.MethodGet, "/api/sessions/"+f.session+"/report", nil, &rep); st != http.StatusOK || len(rep.Poses) < 3 {
		t.Fatalf("report poses: %d %d", st, len(rep.Poses))
	}
	// wire.SimulatedHead: seated at 1.2 m, turning about the vertical only
	if p := rep.Poses[0]; p.Pos[1] != 1.2 || p.Quat[0] != 0 || p.Quat[2] != 0 {
		t.Errorf("recorded pose %+v, want the simulated seated head", p)
	}
}
