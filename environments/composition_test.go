package environments

import (
	"errors"
	"strings"
	"testing"
)

func TestCompositionValidate(t *testing.T) {
	t.Parallel()
	cat := mustCatalog(t)
	cases := []struct {
		name, doc string
		field     string // "" means valid
		rule      string
		msg       string
	}{
		{"valid", `{"template":"heights","params":{"floor":12,"railing":false},"layers":{"ambient":[{"id":"city_wind","volume":0.5}],"narration":["env.narration.breathe"],"time_of_day":"sunset","events":["gust"],"comfort":{"seated":true,"vignette":true}}}`, "", "", ""},
		{"above max", `{"template":"heights","params":{"floor":42},"layers":{}}`, "params.floor", "above_max", "params.floor: 42 is above the maximum 30"},
		{"below min", `{"template":"spiders","params":{"size_cm":0.5},"layers":{}}`, "params.size_cm", "below_min", "0.5 is below the minimum 1"},
		{"wrong type", `{"template":"heights","params":{"railing":"yes"},"layers":{}}`, "params.railing", "type", `"yes" is not a bool`},
		{"int not integral", `{"template":"heights","params":{"floor":2.5},"layers":{}}`, "params.floor", "type", "not an int"},
		{"bad enum", `{"template":"spiders","params":{"container":"jar"},"layers":{}}`, "params.container", "choice", `"jar" is not one of`},
		{"unknown param", `{"template":"heights","params":{"lava":1},"layers":{}}`, "params.lava", "unknown_param", "no parameter"},
		{"unknown template", `{"template":"volcano","layers":{}}`, "template", "unknown_template", `unknown template "volcano"`},
		{"unknown event", `{"template":"heights","layers":{"events":["spider_drops"]}}`, "layers.events[0]", "unknown_event", "no event"},
		{"unknown ambient", `{"template":"beach","layers":{"ambient":[{"id":"jet","volume":0.1}]}}`, "layers.ambient[0].id", "unknown_ambient", "no ambient"},
		{"loud ambient", `{"template":"beach","layers":{"ambient":[{"id":"surf","volume":3}]}}`, "layers.ambient[0].volume", "above_max", "outside"},
		{"bad time of day", `{"template":"beach","layers":{"time_of_day":"noonish"}}`, "layers.time_of_day", "choice", "noonish"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			comp, err := DecodeComposition([]byte(c.doc))
			if err != nil {
				t.Fatal(err)
			}
			out, err := comp.Validate(cat)
			if c.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				if out.Params["floor"] != 12 || out.Params["edge_distance_m"] != 4.0 {
					t.Fatalf("params not completed from defaults: %v", out.Params)
				}
				return
			}
			var verrs ValidationErrors
			if !errors.As(err, &verrs) || len(verrs) == 0 {
				t.Fatalf("err = %v, want ValidationErrors", err)
			}
			e := verrs[0]
			if e.Field != c.field || e.Rule != c.rule || e.MessageID != "env.error."+c.rule || !strings.Contains(e.Error(), c.msg) {
				t.Fatalf("got %+v (%v), want %s/%s containing %q", e, e, c.field, c.rule, c.msg)
			}
		})
	}
}

func TestDecodeCompositionStrict(t *testing.T) {
	t.Parallel()
	for name, doc := range map[string]string{
		"unknown field": `{"template":"heights","colour":"red"}`,
		"oversized":     `{"template":"` + strings.Repeat("a", MaxCompositionBytes) + `"}`,
		"not json":      `{"template":`,
	} {
		if _, err := DecodeComposition([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestRevisions(t *testing.T) {
	t.Parallel()
	cat := mustCatalog(t)
	c := Composition{Template: "heights", Params: Params{"floor": 5}}
	r1, err := NewRevision(cat, nil, c)
	if err != nil {
		t.Fatal(err)
	}
	c.Params["floor"] = 6
	r2, err := NewRevision(cat, &r1, c)
	if err != nil {
		t.Fatal(err)
	}
	if r1.Number != 1 || r2.Number != 2 || r1.SameContent(r2) || !strings.HasPrefix(r1.Hash, "sha256:") {
		t.Fatalf("revisions %+v %+v", r1, r2)
	}
	got, err := r1.Composition()
	if err != nil || got.Params["floor"] != 5 {
		t.Fatalf("revision 1 changed after the source was mutated: %v %v", got.Params, err)
	}
	got.Params["floor"] = 29
	again, _ := r1.Composition()
	if again.Params["floor"] != 5 {
		t.Fatal("revision content is mutable through its copy")
	}
	same, _ := NewRevision(cat, &r2, Composition{Template: "heights", Params: Params{"floor": 5.0}})
	if !same.SameContent(r1) {
		t.Fatal("identical content produced a different hash")
	}
	if _, err := NewRevision(cat, nil, Composition{Template: "heights", Params: Params{"floor": 99}}); err == nil {
		t.Fatal("invalid composition became a revision")
	}
}

func FuzzDecodeComposition(f *testing.F) {
	f.Add([]byte(`{"template":"heights","params":{"floor":12},"layers":{"comfort":{"seated":true}}}`))
	f.Add([]byte(`{"template":"spiders","params":{"container":"free","count":1e300},"layers":{"events":["x"]}}`))
	f.Add([]byte(`{"template":"beach","layers":{"ambient":[{"id":"surf","volume":-1}],"narration":[""]}}`))
	cat := mustCatalog(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeComposition(data)
		if err != nil {
			return
		}
		out, err := c.Validate(cat)
		if err != nil {
			return
		}
		// A valid composition stays valid and hashes stably.
		if _, err := out.Validate(cat); err != nil {
			t.Fatalf("revalidation failed: %v", err)
		}
		r1, err1 := NewRevision(cat, nil, out)
		r2, err2 := NewRevision(cat, nil, out)
		if err1 != nil || err2 != nil || r1.Hash != r2.Hash {
			t.Fatalf("unstable revision: %v %v", err1, err2)
		}
	})
}
