package live_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/havenvr/haven/environments"
	"github.com/havenvr/haven/protocols"
	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

// TestLiveSessionReplays: a live protocol session — baseline, advance,
// ratings from the simulated patient, an intensity change, a pause with a
// refused escalation, resume, several minutes of engine time, end — leaves
// an event log (GET /api/sessions/:id/events) that protocols.Replay, the
// engine behind `haven protocols simulate`, turns into exactly the commands
// the live engine produced, recorded in the timeline as engine.* events.
func TestLiveSessionReplays(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	con := f.console(f.session, "")
	f.patient(f.session, simpeer.PatientOptions{Seed: 3})
	wait(t, con, 5*time.Second, "live", state(store.LiveLive))
	wait(t, con, 5*time.Second, "advance suggestion", engineKind("suggest", 0))
	adv := con.Send("cmd.advance", wire.CmdAdvance{})
	wait(t, con, 5*time.Second, "step entered", engineKind("step.enter", adv))
	wait(t, con, 5*time.Second, "a rating", simpeer.Type("suds.rating"))
	set := con.Send("cmd.intensity", wire.CmdIntensity{Intensity: 70})
	wait(t, con, 5*time.Second, "intensity applied", engineKind("scene.set", set))
	con.Send("cmd.pause", wire.Empty{})
	wait(t, con, 5*time.Second, "paused", state(store.LivePaused))
	refused := con.Send("cmd.advance", wire.CmdAdvance{})
	wait(t, con, 5*time.Second, "refusal", engineKind("command.refused", refused))
	con.Send("cmd.resume", wire.Empty{})
	resumed := wait(t, con, 5*time.Second, "resumed", state(store.LiveLive)).At
	// Minutes of engine time (speed 200) on the step: an interval prompt,
	// the patient's rating of it and the engine's suggestions on it.
	prompt := wait(t, con, 30*time.Second, "an interval prompt after the resume", after(resumed, func(r simpeer.Received) bool {
		return engineKind("suds.prompt", 0)(r) && engineBody(r)["reason"] == "interval"
	})).At
	wait(t, con, 10*time.Second, "a rating of it", after(prompt, simpeer.Type("suds.rating")))
	wait(t, con, 30*time.Second, "a suggestion after the resume", after(resumed, engineKind("suggest", 0)))
	con.Send("cmd.end", wire.Empty{})
	wait(t, con, 10*time.Second, "ended", state(store.LiveEnded))

	// The timeline writer commits asynchronously: read once it holds the end.
	var rows []struct {
		Kind string
		Body json.RawMessage
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		rows = rows[:0]
		if st := f.th.Do(http.MethodGet, "/api/sessions/"+f.session+"/timeline", nil, &rows); st != http.StatusOK {
			t.Fatalf("timeline: %d", st)
		}
		if len(rows) > 0 && rows[len(rows)-1].Kind == "engine.session.end" || time.Now().After(deadline) {
			break
		}
	}
	var recorded []string
	inputs := 0
	for _, r := range rows {
		switch {
		case r.Kind == "engine.input":
			inputs++
		case strings.HasPrefix(r.Kind, "engine."):
			var compact bytes.Buffer
			if err := json.Compact(&compact, r.Body); err != nil {
				t.Fatal(err)
			}
			recorded = append(recorded, strings.TrimPrefix(r.Kind, "engine.")+" "+compact.String())
		}
	}

	st, raw := f.th.Raw(http.MethodGet, "/api/sessions/"+f.session+"/events", nil)
	if st != http.StatusOK {
		t.Fatalf("event log: %d %.200s", st, raw)
	}
	events, err := protocols.ReadEvents(bytes.NewReader(raw))
	if err != nil || len(events) != inputs {
		t.Fatalf("event log: %d events (%v), the timeline has %d inputs", len(events), err, inputs)
	}
	cat, err := environments.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	lib, err := protocols.BuiltinLibrary(cat)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := lib.Get("heights_ladder")
	cmds, err := protocols.Replay(protocols.Config{Protocol: p, Catalog: cat,
		Patient: protocols.Patient{Age: time.Now().Year() - 1990}}, events)
	if err != nil {
		t.Fatal(err)
	}
	var replayed []string
	for _, c := range cmds {
		b, err := c.Record()
		if err != nil {
			t.Fatal(err)
		}
		if b == nil {
			b = json.RawMessage("null") // stored as such
		}
		replayed = append(replayed, c.Type+" "+string(b))
	}
	if len(recorded) < 10 {
		t.Fatalf("only %d engine commands recorded: the session proves nothing", len(recorded))
	}
	for i := range max(len(recorded), len(replayed)) {
		var a, b string
		if i < len(recorded) {
			a = recorded[i]
		}
		if i < len(replayed) {
			b = replayed[i]
		}
		if a != b {
			t.Fatalf("command %d of %d recorded / %d replayed differs:\nlive:   %.300s\nreplay: %.300s", i, len(recorded), len(replayed), a, b)
		}
	}
	t.Logf("%d inputs replay to the %d recorded commands", len(events), len(recorded))
}
