package environments

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

func mustCatalog(t testing.TB) *Catalog {
	t.Helper()
	c, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Property: for every template, intensity → params is monotone (a higher
// intensity is never easier on any mapped parameter) and always valid.
func TestIntensityMonotoneAndValid(t *testing.T) {
	t.Parallel()
	cat := mustCatalog(t)
	for _, tpl := range cat.List() {
		t.Run(tpl.ID, func(t *testing.T) {
			t.Parallel()
			prev := map[string]float64{}
			for i := -5; i <= 105; i++ {
				p := tpl.ParamsAt(i)
				if _, err := (Composition{Template: tpl.ID, Params: p}).Validate(cat); err != nil {
					t.Fatalf("intensity %d: %v", i, err)
				}
				for _, pr := range tpl.Params {
					h, ok := pr.Hardness(p[pr.Name])
					if !ok {
						continue
					}
					if h < prev[pr.Name]-1e-9 {
						t.Fatalf("intensity %d: %s got easier (%v < %v)", i, pr.Name, h, prev[pr.Name])
					}
					prev[pr.Name] = h
				}
			}
			if tpl.Kind == KindExposure {
				for _, pr := range tpl.Params {
					if pr.Intensity != nil && prev[pr.Name] != 1 {
						t.Errorf("%s never reaches its hard end at 100 (%v)", pr.Name, prev[pr.Name])
					}
				}
			}
		})
	}
}

func TestContractParamsAt(t *testing.T) {
	t.Parallel()
	cat := mustCatalog(t)
	cases := []struct {
		tpl, param string
		at         int
		want       any
	}{
		{"heights", "floor", 0, 1}, {"heights", "floor", 100, 30}, {"heights", "railing", 0, true},
		{"heights", "railing", 100, false}, {"heights", "edge_distance_m", 50, 2.0},
		{"spiders", "container", 0, "closed_bowl"}, {"spiders", "container", 50, "open_bowl"},
		{"spiders", "container", 100, "free"}, {"spiders", "distance_m", 100, 0.2},
		{"flying", "phase", 100, "turbulence"}, {"public_speaking", "attitude", 100, "hostile"},
		{"enclosed_space", "variant", 100, "small_room"}, {"enclosed_space", "light_level", 100, 0.2},
		{"crowds", "exit_distance_m", 100, 40.0}, {"crowds", "scene", 100, "street"},
	}
	for _, c := range cases {
		tpl, ok := cat.Get(c.tpl)
		if !ok {
			t.Fatalf("missing template %s", c.tpl)
		}
		if got := tpl.ParamsAt(c.at)[c.param]; got != c.want {
			t.Errorf("%s.%s at %d = %#v, want %#v", c.tpl, c.param, c.at, got, c.want)
		}
	}
	for _, id := range []string{"beach", "forest", "night_sky", "neutral_room"} {
		if tpl, ok := cat.Get(id); !ok || tpl.Kind != KindCalming {
			t.Errorf("calming template %s missing", id)
		}
	}
}

func TestDecodeTemplateRejects(t *testing.T) {
	t.Parallel()
	good, err := os.ReadFile("templates/heights.json")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct{ doc, want string }{
		"unknown field": {strings.Replace(string(good), `"kind"`, `"colour": 1, "kind"`, 1), "unknown field"},
		"default out of range": {strings.Replace(string(good), `"default": 1,`, `"default": 99,`, 1),
			"params[0].default: 99 is above the maximum 30"},
		"bad type":  {strings.Replace(string(good), `"type": "int"`, `"type": "decimal"`, 1), "params[0].type"},
		"oversized": {string(good) + strings.Repeat(" ", MaxTemplateBytes), "above the limit"},
		"trailing":  {string(good) + "{}", "trailing"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := DecodeTemplate([]byte(c.doc))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}

// Every message id a template references exists in the English env bundle.
func TestTemplateKeysInBundle(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../i18n/locales/env.en.json")
	if err != nil {
		t.Fatal(err)
	}
	var bundle map[string]json.RawMessage
	if err := json.Unmarshal(data, &bundle); err != nil {
		t.Fatal(err)
	}
	keys := regexp.MustCompile(`"(env\.[a-z0-9_.]+)"`)
	for _, tpl := range mustCatalog(t).List() {
		raw, _ := json.Marshal(tpl)
		for _, m := range keys.FindAllStringSubmatch(string(raw), -1) {
			if _, ok := bundle[m[1]]; !ok {
				t.Errorf("%s references %s, missing from env.en.json", tpl.ID, m[1])
			}
		}
	}
	for _, rule := range []string{"too_large", "type", "choice", "below_min", "above_max", "unknown_template",
		"unknown_param", "unknown_ambient", "unknown_event", "key", "too_many"} {
		if _, ok := bundle["env.error."+rule]; !ok {
			t.Errorf("env.error.%s missing from env.en.json", rule)
		}
	}
}

func FuzzDecodeTemplate(f *testing.F) {
	for _, n := range []string{"heights", "spiders", "neutral_room"} {
		data, err := os.ReadFile("templates/" + n + ".json")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"id":"x","kind":"calming","params":[{"name":"a","type":"enum","choices":["a"],"intensity":{"order":[]}}]}`))
	f.Add([]byte(`{"params":[{"type":"bool","intensity":{"easy":1,"hard":"x","at":0}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tpl, err := DecodeTemplate(data)
		if err != nil {
			return
		}
		// A template that decodes must map every intensity to valid params.
		cat := &Catalog{byID: map[string]*Template{tpl.ID: tpl}, ids: []string{tpl.ID}}
		for _, i := range []int{0, 33, 50, 100} {
			if _, err := (Composition{Template: tpl.ID, Params: tpl.ParamsAt(i)}).Validate(cat); err != nil {
				t.Fatalf("intensity %d invalid: %v", i, err)
			}
		}
	})
}
