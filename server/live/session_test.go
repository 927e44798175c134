package live_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	waitfor "github.com/havenvr/haven/server/apptest/wait"
	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

// TestFullSession runs schedule → join → live → commands → SUDS → end → report
// with real pion peers on loopback.
func TestFullSession(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	con := f.console(f.session, "")
	obs := f.console(f.session, "?role=observer")
	obs2 := f.console(f.session, "?role=observer") // a second supervisor: fan-out is not one-to-one
	pat := f.patient(f.session, simpeer.PatientOptions{Seed: 1})
	wait(t, con, 5*time.Second, "live state", state(store.LiveLive))
	wait(t, pat, 5*time.Second, "hello", simpeer.Type("hello"))
	wait(t, pat, 5*time.Second, "baseline scene", simpeer.Type("scene.load"))
	wait(t, con, 5*time.Second, "scene.ready forwarded", simpeer.Type("scene.ready"))
	wait(t, con, 5*time.Second, "advance suggestion", engineKind("suggest", 0))
	checkHeartbeats(t, pat)

	adv := con.Send("cmd.advance", wire.CmdAdvance{})
	step := wait(t, pat, 5*time.Second, "step.enter", typeSrc("step.enter", adv))
	if b := step.Body.(*wire.StepEnter); b.Index != 0 || b.StepID == "" {
		t.Fatalf("step.enter %+v", b)
	}
	wait(t, pat, 5*time.Second, "suds prompt", typeSrc("suds.prompt", adv))
	rating := wait(t, con, 5*time.Second, "rating forwarded", simpeer.Type("suds.rating"))
	if v := rating.Body.(*wire.ForwardedSUDS).Value; v < 0 || v > 100 {
		t.Fatalf("rating %+v", rating.Body)
	}
	wait(t, obs, 5*time.Second, "observer sees rating", simpeer.Type("suds.rating"))
	wait(t, obs2, 5*time.Second, "second observer sees rating", simpeer.Type("suds.rating"))

	set := con.Send("cmd.intensity", wire.CmdIntensity{Intensity: 60})
	wait(t, pat, 5*time.Second, "scene.set", typeSrc("scene.set", set))

	note := con.Send("note", wire.Note{Text: "patient breathing steadily"})
	wait(t, con, 5*time.Second, "note ack", func(r simpeer.Received) bool { return r.Type == "ack" && r.Ack >= note })

	// The engine refuses escalation while paused.
	con.Send("cmd.pause", wire.Empty{})
	wait(t, con, 5*time.Second, "paused", state(store.LivePaused))
	refused := con.Send("cmd.advance", wire.CmdAdvance{})
	r := wait(t, con, 5*time.Second, "refusal", engineKind("command.refused", refused))
	if engineBody(r)["reason"] != "paused" {
		t.Fatalf("refusal %+v", r.Body)
	}
	// An observer cannot command.
	obs.Send("cmd.resume", wire.Empty{})
	wait(t, obs, 5*time.Second, "observer forbidden", errCode("forbidden"))
	resume := con.Send("cmd.resume", wire.Empty{})
	wait(t, pat, 5*time.Second, "resume", typeSrc("resume", resume))

	con.Send("cmd.end", wire.Empty{})
	wait(t, pat, 10*time.Second, "session.end", simpeer.Type("session.end"))
	wait(t, con, 5*time.Second, "ended", state(store.LiveEnded))
	for i, o := range []interface {
		Wait(context.Context, func(simpeer.Received) bool) (simpeer.Received, error)
	}{obs, obs2} {
		wait(t, o, 5*time.Second, fmt.Sprintf("observer %d sees metrics", i+1), simpeer.Type("metrics"))
		wait(t, o, 5*time.Second, fmt.Sprintf("observer %d sees the end", i+1), state(store.LiveEnded))
	}

	var rep struct {
		SUDS    []struct{ Value int }
		Notes   []string
		Steps   []string
		Samples map[string]int64
		Session struct{ State string }
	}
	// Batches the headset sent just before the end may still be committing:
	// read the report once the stored counts have settled.
	pat.StopStreaming()
	deadline := time.Now().Add(5 * time.Second)
	last := int64(-1)
	for {
		if st := f.th.Do(http.MethodGet, "/api/sessions/"+f.session+"/report", nil, &rep); st != http.StatusOK {
			t.Fatalf("report: %d", st)
		}
		if rep.Session.State == store.LiveEnded && rep.Samples["eda"] == last || time.Now().After(deadline) {
			break
		}
		last = rep.Samples["eda"]
		time.Sleep(200 * time.Millisecond)
	}
	if rep.Session.State != store.LiveEnded || len(rep.SUDS) == 0 || len(rep.Notes) != 1 || len(rep.Steps) != 1 {
		t.Fatalf("report %+v", rep)
	}
	if rep.Samples["eda"] == 0 {
		t.Fatalf("no EDA samples stored: %+v", rep.Samples)
	}
	var tl []map[string]any
	if st := f.th.Do(http.MethodGet, "/api/sessions/"+f.session+"/timeline", nil, &tl); st != http.StatusOK || len(tl) < 10 {
		t.Fatalf("timeline: %d, %d events", st, len(tl))
	}
	checkExports(t, f, rep.Samples["eda"])
}

// checkExports downloads the stored biosignals in every export format.
func checkExports(t *testing.T, f *fixture, edaSamples int64) {
	t.Helper()
	base := "/api/sessions/" + f.session + "/export/"
	st, csv := f.th.Raw(http.MethodGet, base+"csv?stream=eda", nil)
	if lines := strings.Count(string(csv), "\n"); st != http.StatusOK || int64(lines) != edaSamples+1 {
		t.Fatalf("CSV export: %d, %d lines for %d samples", st, lines, edaSamples)
	}
	var bundle struct {
		ResourceType string
		Entry        []struct{ Resource struct{ ResourceType string } }
	}
	if st := f.th.Do(http.MethodGet, base+"fhir", nil, &bundle); st != http.StatusOK || bundle.ResourceType != "Bundle" || len(bundle.Entry) == 0 {
		t.Fatalf("FHIR export: %d %s, %d entries", st, bundle.ResourceType, len(bundle.Entry))
	}
	if st, body := f.th.Raw(http.MethodGet, base+"omh", nil); st != http.StatusOK || !strings.Contains(string(body), "heart-rate") {
		t.Fatalf("Open mHealth export: %d %.200s", st, body)
	}
	for _, bad := range []string{"csv?stream=nope", "xml"} {
		if st := f.th.Do(http.MethodGet, base+bad, nil, nil); st != http.StatusUnprocessableEntity {
			t.Errorf("export %s: status %d, want 422", bad, st)
		}
	}
}

// checkHeartbeats is the patient-side safety contract: the client fades to
// calm after 2 s of silence on control, so on a healthy link the channel
// must carry something (a heartbeat when nothing else went out) every
// 500 ms, with no gap anywhere near 2 s.
func checkHeartbeats(t *testing.T, pat *simpeer.Patient) {
	t.Helper()
	var heard []time.Time
	waitfor.Until(t, 15*time.Second, "1.5 s of control messages at the patient", func() bool {
		heard = heard[:0]
		for _, r := range pat.All() {
			if r.Spec.Channel == wire.Control {
				heard = append(heard, r.At)
			}
		}
		return len(heard) > 1 && heard[len(heard)-1].Sub(heard[0]) >= 1500*time.Millisecond
	})
	if len(heard) < 3 {
		t.Fatalf("%d control messages", len(heard))
	}
	var worst time.Duration
	for i := 1; i < len(heard); i++ {
		worst = max(worst, heard[i].Sub(heard[i-1]))
	}
	if n := len(heard) - 1; worst > time.Second || heard[n].Sub(heard[0])/time.Duration(n) > 650*time.Millisecond {
		t.Fatalf("control gaps: worst %v, mean %v", worst, heard[n].Sub(heard[0])/time.Duration(n))
	}
}
