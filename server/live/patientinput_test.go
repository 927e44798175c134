package live_test

import (
	"strings"
	"testing"
	"time"

	waitfor "github.com/havenvr/haven/server/apptest/wait"
	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

func cue(segment string) func(simpeer.Received) bool {
	return func(r simpeer.Received) bool {
		e, ok := r.Body.(*wire.Engine)
		return ok && e.Kind == "cue" && engineBody(r)["segment_id"] == segment
	}
}

// TestGroundingIsPatientPaced: 5-4-3-2-1 grounding waits on each sense until
// the patient says they are ready, and patient.next moves it on.
func TestGroundingIsPatientPaced(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]any{"protocol_id": "grounding_54321"})
	con := f.console(f.session, "")
	pat := f.patient(f.session, simpeer.PatientOptions{Seed: 3})
	wait(t, con, 5*time.Second, "live", state(store.LiveLive))
	wait(t, con, 10*time.Second, "first sense", cue("sense_5"))
	// The headset gets the same cue to show, marked as waiting for the patient.
	got := wait(t, pat, 5*time.Second, "cue on the headset", func(r simpeer.Received) bool {
		c, ok := r.Body.(*wire.Cue)
		return ok && c.SegmentID == "sense_5"
	}).Body.(*wire.Cue)
	if got.TextKey != "proto.grounding.see" || !got.PatientPaced || got.DurationMs != 0 {
		t.Fatalf("headset cue %+v", got)
	}
	// Self-paced: the room runs on for a heartbeat period — over a minute of
	// engine time at speed 200, against the 10 s a timed segment would last —
	// and nothing moves.
	heartbeats(t, pat, time.Now(), 2, 10*time.Second)
	if _, err := con.Wait(ctxT(t, 10*time.Millisecond), cue("sense_4")); err == nil {
		t.Fatal("a patient-paced segment moved on by itself")
	}
	pat.Send("patient.next", wire.Empty{}, false)
	wait(t, con, 5*time.Second, "second sense after patient.next", cue("sense_4"))
}

// TestPatientAndTherapistSafetyReports: the patient's stop and dizziness and
// the therapist's seizure report reach the engine (CLINICAL.md §5): hard
// stop, soft pause, hard stop; each alert is on the therapist's screen and
// each patient report in the timeline.
func TestPatientAndTherapistSafetyReports(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	for _, tc := range []struct {
		name, alert, patientGets string
		send                     func(pat *simpeer.Patient, con *simpeer.Therapist)
	}{
		{"patient says stop", "patient_stop", "hard.stop", func(p *simpeer.Patient, _ *simpeer.Therapist) { p.Send("patient.stop", wire.Empty{}, true) }},
		{"patient feels dizzy", "dizziness", "calm.now", func(p *simpeer.Patient, _ *simpeer.Therapist) { p.Send("dizziness.report", wire.Empty{}, true) }},
		{"therapist sees seizure signs", "", "hard.stop", func(_ *simpeer.Patient, c *simpeer.Therapist) {
			c.Send("cmd.report", wire.CmdReport{Kind: "seizure"})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := f.schedule(nil)
			con := f.console(id, "")
			pat := f.patient(id, simpeer.PatientOptions{Seed: 4})
			wait(t, con, 5*time.Second, "live", state(store.LiveLive))
			wait(t, con, 10*time.Second, "advance suggestion", engineKind("suggest", 0))
			adv := con.Send("cmd.advance", wire.CmdAdvance{})
			wait(t, pat, 5*time.Second, "step.enter", typeSrc("step.enter", adv))
			tc.send(pat, con)
			wait(t, pat, 5*time.Second, tc.patientGets, simpeer.Type(tc.patientGets))
			if tc.alert != "" {
				wait(t, con, 5*time.Second, "alert", func(r simpeer.Received) bool {
					a, ok := r.Body.(*wire.Alert)
					return ok && a.Code == tc.alert && a.MessageID == "live.alert."+tc.alert
				})
			}
		})
	}
}

// TestExpectancyRatingIsDurable: an inhibitory-learning expectancy rating is
// acknowledged after commit and stored in the timeline; an invalid one is
// refused with a code.
func TestExpectancyRatingIsDurable(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	con := f.console(f.session, "")
	pat := f.patient(f.session, simpeer.PatientOptions{Seed: 6})
	wait(t, con, 5*time.Second, "live", state(store.LiveLive))
	if err := pat.SendRaw(wire.Control, []byte(`{"v":1,"type":"expectancy.rating","seq":100000,"body":{"phase":"during","likelihood":70}}`)); err != nil {
		t.Fatal(err)
	}
	wait(t, pat, 5*time.Second, "refused phase", errCode("validation"))
	pat.Send("expectancy.rating", wire.ExpectancyRating{Phase: "before", Likelihood: 70}, true)
	waitfor.Until(t, 5*time.Second, "one expectancy rating stored", func() bool { return f.count("timeline_events", "kind = ?", "expectancy.rating") == 1 })
}

// TestInhibitoryExpectancyLoop: in inhibitory mode the headset is asked for
// the feared outcome's likelihood at step entry; the therapist asks again
// after the trial; the patient's "after" rating makes the engine suggest
// moving on because the expectancy was tested (CLINICAL.md §2).
func TestInhibitoryExpectancyLoop(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]any{"protocol_id": "public_speaking_ladder"})
	con := f.console(f.session, "")
	pat := f.patient(f.session, simpeer.PatientOptions{Seed: 9})
	wait(t, con, 5*time.Second, "live", state(store.LiveLive))
	wait(t, con, 10*time.Second, "advance suggestion", engineKind("suggest", 0))
	adv := con.Send("cmd.advance", wire.CmdAdvance{})
	phase := func(want string) func(simpeer.Received) bool {
		return func(r simpeer.Received) bool {
			p, ok := r.Body.(*wire.ExpectancyPrompt)
			return ok && p.Phase == want
		}
	}
	before := wait(t, pat, 5*time.Second, "expectancy before the trial", phase("before")).Body.(*wire.ExpectancyPrompt)
	if before.StepID == "" {
		t.Fatalf("before prompt without step: %+v", before)
	}
	wait(t, pat, 5*time.Second, "step.enter", typeSrc("step.enter", adv))
	// The simulated patient answers each prompt (simpeer: high before, lower after).
	ask := con.Send("cmd.expectancy_prompt", wire.CmdExpectancyPrompt{Phase: "after"})
	wait(t, pat, 5*time.Second, "expectancy after the trial", func(r simpeer.Received) bool { return phase("after")(r) && r.SrcSeq == ask })
	s := wait(t, con, 5*time.Second, "suggestion after the tested expectancy", func(r simpeer.Received) bool {
		e, ok := r.Body.(*wire.Engine)
		return ok && e.Kind == "suggest" && engineBody(r)["reason"] == "expectancy_tested"
	})
	if engineBody(s)["action"] != "advance" {
		t.Fatalf("suggestion %+v", s.Body)
	}
	// The timeline is committed by its own writer, after the console heard
	// of the suggestion: read it once both rows are there (or 5 s passed).
	var pe []struct{ Body string }
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		pe = pe[:0]
		if err := f.srv.App.Store.DB.Table("timeline_events").Select("body").Where("session_id = ? AND kind = ?", f.session, "engine.timeline.expectancy").Order("id").Find(&pe).Error; err != nil {
			t.Fatal(err)
		}
		if len(pe) >= 2 || time.Now().After(deadline) {
			break
		}
	}
	if len(pe) != 2 || !strings.Contains(pe[1].Body, `"prediction_error"`) {
		t.Fatalf("expectancy timeline %+v, want before and after with the prediction error", pe)
	}
}
