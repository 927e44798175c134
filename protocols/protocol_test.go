package protocols

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/havenvr/haven/environments"
)

func fieldErrs(t *testing.T, err error) environments.ValidationErrors {
	t.Helper()
	var v environments.ValidationErrors
	if !errors.As(err, &v) {
		t.Fatalf("err = %v, want ValidationErrors", err)
	}
	return v
}

func hasField(v environments.ValidationErrors, field, rule string) bool {
	for _, e := range v {
		if e.Field == field && e.Rule == rule && e.MessageID == "proto.error."+rule {
			return true
		}
	}
	return false
}

func TestLibraryLoads(t *testing.T) {
	t.Parallel()
	_, l := library(t)
	for _, tpl := range []string{"heights", "spiders", "flying", "public_speaking", "enclosed_space", "crowds"} {
		p, ok := l.Get(tpl + "_ladder")
		if !ok || len(p.Steps) < MinSteps || len(p.Steps) > MaxSteps || len(p.Warnings()) != 0 {
			t.Errorf("ladder for %s: %v", tpl, p)
		}
	}
	for _, id := range []string{"resonance_breathing", "resonance_assessment", "box_breathing", "breathing_4_7_8",
		"cyclic_sighing", "pmr", "grounding_54321", "body_scan_10", "body_scan_20", "body_scan_45"} {
		if _, ok := l.Get(id); !ok {
			t.Errorf("calming protocol %s missing", id)
		}
	}
}

// Bad input: each must be rejected with an error naming the field.
func TestValidateRejects(t *testing.T) {
	t.Parallel()
	cat := catalog(t)
	cases := []struct {
		name        string
		base        string
		mutate      func(p *Protocol)
		field, rule string
	}{
		{"0 steps", "heights_ladder", func(p *Protocol) { p.Steps = nil }, "steps", "step_count"},
		{"40 steps", "heights_ladder", func(p *Protocol) {
			for len(p.Steps) < 40 {
				s := p.Steps[0]
				s.ID = "x" + s.ID + string(rune('a'+len(p.Steps)%26)) + strings.Repeat("z", len(p.Steps)/26)
				s.Requires = nil
				p.Steps = append(p.Steps, s)
			}
		}, "steps", "step_count"},
		{"duplicate step id", "heights_ladder", func(p *Protocol) { p.Steps[3].ID = p.Steps[2].ID }, "steps[3].id", "duplicate_id"},
		{"cycle", "heights_ladder", func(p *Protocol) { p.Steps[0].Requires = []string{"step_03"} }, "steps[0].requires", "cycle"},
		{"unknown requirement", "heights_ladder", func(p *Protocol) { p.Steps[1].Requires = []string{"nope"} }, "steps[1].requires[0]", "unknown_step"},
		{"param out of range", "heights_ladder", func(p *Protocol) { p.Steps[2].Params = environments.Params{"floor": 42} }, "steps[2].params.floor", "above_max"},
		{"param wrong type", "heights_ladder", func(p *Protocol) { p.Steps[2].Params = environments.Params{"railing": 1.0} }, "steps[2].params.railing", "type"},
		{"unknown template", "heights_ladder", func(p *Protocol) { p.Template = "volcano" }, "template", "unknown_template"},
		{"calming template in ladder", "heights_ladder", func(p *Protocol) { p.Template = "beach" }, "template", "template_kind"},
		{"bad mode", "heights_ladder", func(p *Protocol) { p.Mode = "flooding" }, "mode", "choice"},
		{"suds out of range", "heights_ladder", func(p *Protocol) { p.Steps[0].ExpectedSUDS = 120 }, "steps[0].expected_suds", "range"},
		{"SUDS interval 16", "heights_ladder", func(p *Protocol) { p.Settings.SUDSIntervalMin = 16 }, "settings.suds_interval_min", "range"},
		{"baseline 2 min", "heights_ladder", func(p *Protocol) { p.Session.Baseline.DurationS = 120 }, "session.baseline.duration_s", "range"},
		{"baseline in exposure scene", "heights_ladder", func(p *Protocol) { p.Session.Baseline.Template = "spiders" }, "session.baseline.template", "template_kind"},
		{"negative duration", "pmr", func(p *Protocol) { p.Script[1].DurationMs = -6000 }, "script[1].duration_ms", "negative"},
		{"negative pacer phase", "box_breathing", func(p *Protocol) { p.Script[1].Pacer.HoldInMs = -1 }, "script[1].pacer.hold_in_ms", "negative"},
		{"rate mismatch", "resonance_breathing", func(p *Protocol) { p.Script[1].Pacer.InhaleMs = 4000 }, "script[1].pacer.breaths_per_min", "pacer_rate"},
		{"duplicate segment", "pmr", func(p *Protocol) { p.Script[2].ID = p.Script[1].ID }, "script[2].id", "duplicate_id"},
		{"empty script", "pmr", func(p *Protocol) { p.Script = nil }, "script", "segment_count"},
		{"too long", "body_scan_45", func(p *Protocol) { p.Script[0].DurationMs = 3 * 3600 * 1000 }, "script", "too_long"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := proto(t, c.base, "", Settings{})
			p.Steps = append([]Step(nil), p.Steps...)
			p.Script = append([]Segment(nil), p.Script...)
			for i := range p.Script {
				if p.Script[i].Pacer != nil {
					pc := *p.Script[i].Pacer
					p.Script[i].Pacer = &pc
				}
			}
			c.mutate(p)
			v := fieldErrs(t, p.Validate(cat))
			if !hasField(v, c.field, c.rule) {
				t.Fatalf("errors %v, want %s/%s", v, c.field, c.rule)
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	t.Parallel()
	good, err := os.ReadFile("library/box_breathing.json")
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string]string{
		"unknown field": strings.Replace(string(good), `"kind"`, `"colour": 1, "kind"`, 1),
		"oversized":     string(good) + strings.Repeat(" ", MaxProtocolBytes),
		"wrong type":    strings.Replace(string(good), `"cycles": 15`, `"cycles": "many"`, 1),
		"trailing":      string(good) + "{}",
	} {
		if _, err := Decode([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := Decode([]byte(strings.Repeat(" ", MaxProtocolBytes+1))); !strings.Contains(err.Error(), "above the limit") {
		t.Errorf("oversized error %v does not name the limit", err)
	}
}

// §1: generate a default ladder from any exposure template: 8–15 steps,
// starting near SUDS 40, adjacent gaps within 15 (else a warning).
func TestGenerateLadder(t *testing.T) {
	t.Parallel()
	cat := catalog(t)
	for _, tpl := range cat.List() {
		if tpl.Kind != environments.KindExposure {
			if _, err := GenerateLadder(tpl, "", 10); err == nil {
				t.Errorf("ladder generated from calming %s", tpl.ID)
			}
			continue
		}
		for _, n := range []int{MinSteps, DefaultLadder, MaxSteps} {
			p, err := GenerateLadder(tpl, ModeInhibitory, n)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Validate(cat); err != nil {
				t.Fatalf("%s/%d: %v", tpl.ID, n, err)
			}
			if len(p.Steps) != n || p.Steps[0].ExpectedSUDS != LadderStartSUDS || len(p.Warnings()) != 0 {
				t.Fatalf("%s/%d: steps %d, start %d, warnings %v", tpl.ID, n, len(p.Steps), p.Steps[0].ExpectedSUDS, p.Warnings())
			}
		}
	}
	heights, _ := cat.Get("heights")
	for _, n := range []int{0, 7, 16, 40} {
		if _, err := GenerateLadder(heights, "", n); err == nil {
			t.Errorf("ladder of %d steps generated", n)
		}
	}
	p, _ := GenerateLadder(heights, "", 10)
	p.Steps[4].ExpectedSUDS = p.Steps[3].ExpectedSUDS + 16
	w := p.Warnings()
	if len(w) == 0 || w[0].Field != "steps[4].expected_suds" || w[0].MessageID != "proto.warn.suds_gap" {
		t.Fatalf("warnings %v", w)
	}
}

// Every message id the library and the engine reference exists in proto.en.json.
func TestProtocolKeysInBundle(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../i18n/locales/proto.en.json")
	if err != nil {
		t.Fatal(err)
	}
	var bundle map[string]json.RawMessage
	if err := json.Unmarshal(data, &bundle); err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`"(proto\.[a-zA-Z0-9_.]+)"`)
	files, _ := filepath.Glob("library/*.json")
	srcs, _ := filepath.Glob("*.go")
	for _, f := range append(files, srcs...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		raw, _ := os.ReadFile(f)
		for _, m := range re.FindAllStringSubmatch(string(raw), -1) {
			if strings.HasSuffix(m[1], ".") {
				continue // a prefix built at run time, checked below
			}
			if _, ok := bundle[m[1]]; !ok {
				t.Errorf("%s references %s, missing from proto.en.json", f, m[1])
			}
		}
	}
	// Every reason code the engine emits (suggestions, pauses, refusals) is
	// localizable as proto.reason.<code>.
	reasons := regexp.MustCompile(`(?:suggest\(T[A-Za-z]+|[pP]ause|refuse\([^,]+|hardStop), ?"([a-z_]+)"|(?:hardStop|[pP]ause)\("([a-z_]+)"|finishBlock\("([a-z_]+)"|return "([a-z_]+)"`)
	found := 0
	for _, f := range srcs {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		raw, _ := os.ReadFile(f)
		for _, m := range reasons.FindAllStringSubmatch(string(raw), -1) {
			code := m[1] + m[2] + m[3] + m[4]
			found++
			if _, ok := bundle["proto.reason."+code]; !ok {
				t.Errorf("%s: reason %q has no proto.reason.%s", f, code, code)
			}
		}
	}
	if found < 30 {
		t.Fatalf("found only %d reason codes in the engine source; the pattern is stale", found)
	}
	for _, tpl := range catalog(t).List() {
		if tpl.Kind == environments.KindExposure {
			if _, ok := bundle["proto.feared."+tpl.Purpose]; !ok {
				t.Errorf("proto.feared.%s missing", tpl.Purpose)
			}
		}
	}
	for _, rule := range []string{"too_large", "pattern", "key", "range", "unknown_template", "template_kind", "choice",
		"step_count", "not_allowed", "duplicate_id", "unknown_step", "cycle", "segment_count", "negative", "required",
		"too_long", "pacer_rate", "type", "above_max", "below_min", "unknown_param", "unknown_ambient", "unknown_event"} {
		if _, ok := bundle["proto.error."+rule]; !ok {
			t.Errorf("proto.error.%s missing", rule)
		}
	}
}

func FuzzDecodeProtocol(f *testing.F) {
	for _, n := range []string{"heights_ladder", "box_breathing", "grounding_54321"} {
		data, err := os.ReadFile("library/" + n + ".json")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"id":"x","kind":"exposure","template":"heights","mode":"habituation","steps":[{"id":"a","requires":["a"]}]}`))
	f.Add([]byte(`{"id":"y","kind":"calming","template":"beach","script":[{"id":"s","text_key":"k","duration_ms":-1,"pacer":{"breaths_per_min":0.001}}]}`))
	cat := catalog(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Decode(data)
		if err != nil {
			return
		}
		if p.Validate(cat) != nil {
			return
		}
		// A valid protocol runs without panicking.
		e, err := NewEngine(Config{Protocol: p, Catalog: cat})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range []Event{start(), tick(10 * minute), cmd(TAdvance), suds(50), tick(minute), cmd(TEnd), tick(time20m)} {
			e.Handle(ev)
		}
	})
}

const time20m = 20 * minute

func FuzzDecodePatient(f *testing.F) {
	f.Add([]byte(`{"age":40,"flags":["epilepsy"],"settings":{"hr_ceiling_bpm":110,"hr_ceiling_reason":"beta-blockers"}}`))
	f.Add([]byte(`{"age":-1,"settings":{"hr_ceiling_off":true}}`))
	f.Add([]byte(`{"settings":{"hr_ceiling_share":0.8,"hr_ceiling_bpm":100}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := DecodePatient(data)
		if err != nil {
			return
		}
		// An accepted patient always has a usable ceiling: off, or a
		// positive bpm whenever the age or an absolute value gives one.
		set := Settings{}.Merge(p.Settings).Defaults()
		if bpm, ok := set.Ceiling(p.Age); ok && !(bpm > 0) || p.Settings.HRCeilingBPM > 0 && !ok {
			t.Fatalf("accepted patient %s: ceiling %v %v", data, bpm, ok)
		}
	})
}
