package cli

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
)

type io2 = io.Writer

func envCmd(ctx context.Context, a []string, o, e io.Writer) int   { return Environments(ctx, a, o, e) }
func protoCmd(ctx context.Context, a []string, o, e io.Writer) int { return Protocols(ctx, a, o, e) }

func TestProtocolsValidate(t *testing.T) {
	t.Parallel()
	ladder, err := os.ReadFile("../../protocols/library/heights_ladder.json")
	if err != nil {
		t.Fatal(err)
	}
	pmr, _ := os.ReadFile("../../protocols/library/pmr.json")
	s := string(ladder)
	cases := []struct {
		name, doc string
		code      int
		want      string
	}{
		{"library ladder", s, 0, "ok"},
		{"gap warning", strings.Replace(s, `"expected_suds": 46`, `"expected_suds": 60`, 1), 0, "steps[1].expected_suds: suds_gap"},
		{"duplicate id", strings.Replace(s, `"id": "step_02"`, `"id": "step_01"`, 1), 1, "steps[1].id:"},
		{"cycle", strings.Replace(s, `"id": "step_01",`, `"id": "step_01", "requires": ["step_02"],`, 1), 1, "steps[0].requires: step \"step_01\" is part of a requirement cycle"},
		{"negative duration", strings.Replace(string(pmr), `"duration_ms": 6000`, `"duration_ms": -6000`, 1), 1, "script[1].duration_ms: durations and cycles cannot be negative"},
		{"unknown template", strings.Replace(s, `"template": "heights"`, `"template": "volcano"`, 1), 1, `template: unknown template "volcano"`},
		{"not json", "{", 1, "decoding protocol"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := writeTemp(t, "p.json", c.doc)
			code, out, stderr := runDomain(t, protoCmd, "validate", f)
			if code != c.code || !strings.Contains(out+stderr, c.want) {
				t.Fatalf("code %d (want %d)\nstdout %s\nstderr %s\nwant %q", code, c.code, out, stderr, c.want)
			}
		})
	}
}

// simulate prints exactly what the engine's golden replay recorded.
func TestProtocolsSimulateMatchesGolden(t *testing.T) {
	t.Parallel()
	code, out, stderr := runDomain(t, protoCmd, "simulate", "heights_ladder",
		"--events", "../../protocols/testdata/heights_session.events.jsonl", "--age", "40")
	if code != 0 {
		t.Fatalf("code %d: %s", code, stderr)
	}
	want, err := os.ReadFile("../../protocols/testdata/heights_session.commands.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Fatalf("simulate output differs from the golden replay:\n%s", out)
	}
}

func TestProtocolsSimulateErrors(t *testing.T) {
	t.Parallel()
	events := writeTemp(t, "e.jsonl", `{"type":"session.start"}`+"\n"+`{"type":"tick","elapsed_ms":180000}`+"\n")
	badEvents := writeTemp(t, "b.jsonl", `{"type":"tick","elapsed":1}`)
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"flagged patient", []string{"simulate", "spiders_ladder", "--events", events, "--flags", "epilepsy"}, 0, `"exposure.blocked"`},
		{"acknowledged", []string{"simulate", "spiders_ladder", "--events", events, "--flags", "epilepsy", "--ack", "epilepsy"}, 0, `"baseline_done"`},
		{"bad event log", []string{"simulate", "box_breathing", "--events", badEvents}, 1, "line 1"},
		{"unknown protocol", []string{"simulate", "nope", "--events", events}, 1, "neither a built-in"},
		{"missing --events", []string{"simulate", "box_breathing"}, 2, "Usage"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			code, out, stderr := runDomain(t, protoCmd, c.args...)
			if code != c.code || !strings.Contains(out+stderr, c.want) {
				t.Fatalf("code %d (want %d), out %s, stderr %s", code, c.code, out, stderr)
			}
		})
	}
	if code, out, _ := runDomain(t, protoCmd, "list"); code != 0 || strings.Count(out, "\n") != 17 {
		t.Fatalf("list: %d\n%s", code, out)
	}
}

// TestProtocolsSimulatePatient: `simulate --patient` replays a per-patient
// heart-rate ceiling from raw HR in the log. 120 bpm for 30 s is under the
// default ceiling of a 40-year-old (0.85 × (220 − 40) = 153 bpm, CLINICAL.md
// §5) but over a therapist's 110 bpm (beta-blockers), held ≥ 20 s → pause.
func TestProtocolsSimulatePatient(t *testing.T) {
	t.Parallel()
	events := writeTemp(t, "hr.jsonl", strings.Join([]string{
		`{"type":"session.start"}`, `{"type":"tick","elapsed_ms":180000}`, `{"type":"therapist","command":"advance"}`,
		`{"type":"biosignal.metrics","metrics":{"hr_bpm":120}}`, `{"type":"tick","elapsed_ms":30000}`}, "\n")+"\n")
	bpm := writeTemp(t, "p.json", `{"age":40,"settings":{"hr_ceiling_bpm":110,"hr_ceiling_reason":"beta-blockers"}}`)
	noReason := writeTemp(t, "q.json", `{"age":40,"settings":{"hr_ceiling_off":true}}`)
	unknown := writeTemp(t, "r.json", `{"age":40,"ceiling":1}`)
	cases := []struct {
		name   string
		args   []string
		code   int
		want   string
		absent string
	}{
		{"default ceiling 153", []string{"--age", "40"}, 0, `"step.enter"`, `"hr_ceiling"`},
		{"patient 110 bpm", []string{"--patient", bpm}, 0, `"ceiling":"bpm","ceiling_bpm":110,"ceiling_reason":"beta-blockers"`, ""},
		{"off without a reason", []string{"--patient", noReason}, 1, "settings.hr_ceiling_reason", ""},
		{"unknown field", []string{"--patient", unknown}, 1, "unknown field", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			code, out, stderr := runDomain(t, protoCmd, append([]string{"simulate", "heights_ladder", "--events", events}, c.args...)...)
			if code != c.code || !strings.Contains(out+stderr, c.want) || c.absent != "" && strings.Contains(out, c.absent) {
				t.Fatalf("code %d (want %d), out %s, stderr %s", code, c.code, out, stderr)
			}
			if c.name == "patient 110 bpm" && !strings.Contains(out, `"type":"session.paused","body":{"reason":"hr_ceiling"}`) {
				t.Fatalf("no hr_ceiling pause: %s", out)
			}
		})
	}
}
