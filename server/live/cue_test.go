package live_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/havenvr/haven/environments"
	"github.com/havenvr/haven/protocols"
	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

// TestCalmingCuesReachHeadset runs whole calming scripts over real pion
// peers: the headset gets every cue of the library script, once, in order,
// with its text key, timing, self-pacing and PMR tense flag, before the
// session ends; the timeline records each one (CLINICAL.md §7).
func TestCalmingCuesReachHeadset(t *testing.T) {
	t.Parallel()
	cat, err := environments.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	lib, err := protocols.BuiltinLibrary(cat)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, nil)
	for _, tc := range []struct {
		protocol   string
		pacedAfter time.Duration // the simulated patient's "I'm ready" delay
		selfPaced  int           // cues that wait for patient.next
		tense      int           // PMR tension cues
	}{
		{"grounding_54321", 30 * time.Millisecond, 5, 0},
		{"pmr", 0, 0, 16},
		{"body_scan_10", 0, 0, 0},
		{"box_breathing", 0, 0, 0},
	} {
		t.Run(tc.protocol, func(t *testing.T) {
			t.Parallel()
			p, ok := lib.Get(tc.protocol)
			if !ok || len(p.Script) < 2 {
				t.Fatalf("library protocol %s: %v, %d segments", tc.protocol, ok, len(p.Script))
			}
			id := f.schedule(map[string]any{"protocol_id": tc.protocol})
			con := f.console(id, "")
			pat := f.patient(id, simpeer.PatientOptions{Seed: 11, NoSignals: true, PacedAfter: tc.pacedAfter})
			wait(t, con, 5*time.Second, "live", state(store.LiveLive))
			wait(t, pat, 30*time.Second, "session.end", simpeer.Type("session.end"))

			var got []wire.Cue
			for _, r := range pat.All() {
				if r.Type == "session.end" {
					break
				}
				if c, ok := r.Body.(*wire.Cue); ok {
					if r.Type != "cue" {
						t.Fatalf("cue body under type %q", r.Type)
					}
					got = append(got, *c)
				}
			}
			if len(got) != len(p.Script) {
				t.Fatalf("headset got %d cues before session.end, script has %d: %+v", len(got), len(p.Script), got)
			}
			paced, tense := 0, 0
			for i, s := range p.Script {
				want := wire.Cue{SegmentID: s.ID, Index: i, TextKey: s.TextKey, DurationMs: s.Ms(), PatientPaced: s.PatientPaced, Tense: s.Tense}
				if got[i] != want {
					t.Errorf("cue %d: got %+v, want %+v", i, got[i], want)
				}
				if got[i].TextKey == "" {
					t.Errorf("cue %d has no text key", i)
				}
				if got[i].PatientPaced {
					paced++
				}
				if got[i].Tense {
					tense++
				}
			}
			if paced != tc.selfPaced || tense != tc.tense {
				t.Errorf("%d self-paced and %d tense cues, want %d and %d", paced, tense, tc.selfPaced, tc.tense)
			}

			// Every cue is an engine command in the timeline, in the same order.
			var keys []string
			deadline := time.Now().Add(5 * time.Second)
			for {
				var tl []struct {
					Kind string
					Body struct {
						TextKey string `json:"text_key"`
					}
				}
				if st := f.th.Do(http.MethodGet, "/api/sessions/"+id+"/timeline", nil, &tl); st != http.StatusOK {
					t.Fatalf("timeline: %d", st)
				}
				keys = keys[:0]
				for _, ev := range tl {
					if ev.Kind == "engine.cue" {
						keys = append(keys, ev.Body.TextKey)
					}
				}
				if len(keys) >= len(p.Script) || time.Now().After(deadline) {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if len(keys) != len(p.Script) {
				t.Fatalf("timeline has %d engine.cue events, want %d", len(keys), len(p.Script))
			}
			for i, s := range p.Script {
				if keys[i] != s.TextKey {
					t.Errorf("timeline cue %d: %s, want %s", i, keys[i], s.TextKey)
				}
			}
		})
	}
}
