package protocols

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// Replay: a recorded session's event log reproduces the recorded commands
// byte for byte (regenerate with go test -run TestReplay -update after an
// intended behaviour change, and review the diff).
func TestReplayGolden(t *testing.T) {
	t.Parallel()
	cfg, events := heightsSession(t)
	var got bytes.Buffer
	for i := 0; i < 2; i++ { // twice: no hidden state between engines
		cmds, err := Replay(cfg, events)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := WriteCommands(&buf, cmds); err != nil {
			t.Fatal(err)
		}
		if i == 1 && !bytes.Equal(buf.Bytes(), got.Bytes()) {
			t.Fatal("two replays of one log differ")
		}
		got = buf
	}
	const golden = "testdata/heights_session.commands.jsonl"
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("replay differs from %s:\n%s", golden, got.String())
	}
	for _, must := range []string{`"type":"calm.now"`, `"reason":"hr_ceiling"`, `"reason":"suds_halved"`, `"type":"step.pending"`,
		`"reason":"paused"`, `"type":"cooldown.start"`, `"reason":"completed"`, `"total":7.48`, `"nausea":9.54,"oculomotor":0,"total":3.74`} {
		if !strings.Contains(got.String(), must) {
			t.Errorf("recorded session lacks %s", must)
		}
	}
}

// heightsSession is the recorded heights session: its engine's
// configuration and its event log.
func heightsSession(t *testing.T) (Config, []Event) {
	t.Helper()
	f, err := os.Open("testdata/heights_session.events.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	events, err := ReadEvents(f)
	if err != nil {
		t.Fatal(err)
	}
	return Config{Protocol: proto(t, "heights_ladder", "", Settings{}), Catalog: catalog(t), Patient: Patient{Age: 40}}, events
}

func TestReadEventsRejects(t *testing.T) {
	t.Parallel()
	for name, log := range map[string]string{
		"unknown field":    `{"type":"tick","elapsed":5}`,
		"negative elapsed": `{"type":"tick","elapsed_ms":-5}`,
		"not json":         `tick 5`,
		"oversized line":   `{"type":"` + strings.Repeat("a", MaxEventLine) + `"}`,
	} {
		if _, err := ReadEvents(strings.NewReader(log)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzEngineEvents(f *testing.F) {
	data, err := os.ReadFile("testdata/heights_session.events.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte("{\"type\":\"session.start\"}\n{\"type\":\"therapist\",\"command\":\"advance\",\"step_id\":\"zz\"}\n{\"type\":\"patient.next\"}"))
	f.Add([]byte("{\"type\":\"tick\",\"elapsed_ms\":9223372036854775807}\n{\"type\":\"expectancy.rating\",\"phase\":\"after\",\"likelihood\":-3}"))
	cat := catalog(f)
	_, lib := library(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		events, err := ReadEvents(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, id := range []string{"heights_ladder", "public_speaking_ladder", "grounding_54321"} {
			p, _ := lib.Get(id)
			cfg := Config{Protocol: p, Catalog: cat, Patient: Patient{Age: 30}}
			a, err1 := Replay(cfg, events)
			b, err2 := Replay(cfg, events)
			var ba, bb bytes.Buffer
			if err1 != nil || err2 != nil || WriteCommands(&ba, a) != nil || WriteCommands(&bb, b) != nil || !bytes.Equal(ba.Bytes(), bb.Bytes()) {
				t.Fatalf("replay not deterministic: %v %v", err1, err2)
			}
			for _, c := range a {
				if c.Type == "step.enter" && !therapistLed(events) {
					t.Fatal("step entered without a therapist command")
				}
			}
		}
	})
}

func therapistLed(events []Event) bool {
	for _, ev := range events {
		if ev.Type == EvTherapist && (ev.Command == TAdvance || ev.Command == TStepBack) {
			return true
		}
	}
	return false
}
