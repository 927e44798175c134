package compose_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestTemplates(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var list struct {
		Templates []struct {
			ID, Kind, LabelKey, Label string
			Params                    []struct{ Name, Label string }
		} `json:"templates"`
	}
	if st := e.a.Do(http.MethodGet, "/api/templates", nil, &list); st != http.StatusOK {
		t.Fatalf("list: %d", st)
	}
	kinds := map[string]int{}
	for _, tp := range list.Templates {
		kinds[tp.Kind]++
		if tp.Label == "" || len(tp.Params) == 0 || tp.Params[0].Label == "" {
			t.Errorf("template %s lacks a label or parameters", tp.ID)
		}
	}
	if kinds["exposure"] < 6 || kinds["calming"] < 4 {
		t.Fatalf("want ≥ 6 exposure and ≥ 4 calming templates, got %v", kinds)
	}
	var one struct{ ID string }
	if st := e.a.Do(http.MethodGet, "/api/templates/heights", nil, &one); st != http.StatusOK || one.ID != "heights" {
		t.Fatalf("get heights: %d %q", st, one.ID)
	}
	expectError(t, e.a, http.MethodGet, "/api/templates/volcano", nil, http.StatusNotFound, "not_found", "")
	var easy, hard struct {
		Intensity int            `json:"intensity"`
		Params    map[string]any `json:"params"`
	}
	if st := e.a.Do(http.MethodGet, "/api/templates/heights/params?intensity=0", nil, &easy); st != http.StatusOK {
		t.Fatalf("params at 0: %d", st)
	}
	if st := e.a.Do(http.MethodGet, "/api/templates/heights/params?intensity=100", nil, &hard); st != http.StatusOK {
		t.Fatalf("params at 100: %d", st)
	}
	if easy.Params["floor"] != 1.0 || hard.Params["floor"] != 30.0 || hard.Intensity != 100 {
		t.Fatalf("floor at 0 → %v, at 100 → %v; want 1 and 30", easy.Params["floor"], hard.Params["floor"])
	}
	for name, q := range map[string]string{"missing": "", "not a number": "?intensity=high", "negative": "?intensity=-1", "above 100": "?intensity=101"} {
		t.Run(name, func(t *testing.T) {
			expectError(t, e.a, http.MethodGet, "/api/templates/heights/params"+q, nil, http.StatusUnprocessableEntity, "validation", "intensity")
		})
	}
}

func TestCompositionRevisionsAreImmutable(t *testing.T) {
	t.Parallel()
	e := setup(t)
	doc := map[string]any{"name": "Balcony", "template": "heights", "params": map[string]any{"floor": 5},
		"layers": map[string]any{"time_of_day": "sunset", "comfort": map[string]any{"seated": true}}}
	var r1 compositionRev
	if st := e.a.Do(http.MethodPost, "/api/compositions", doc, &r1); st != http.StatusCreated || r1.Revision != 1 || !strings.HasPrefix(r1.Hash, "sha256:") {
		t.Fatalf("create: %d %+v", st, r1)
	}
	var stored map[string]any
	if err := json.Unmarshal(r1.Composition, &stored); err != nil {
		t.Fatal(err)
	}
	// Missing parameters are completed from the template defaults.
	if params := stored["params"].(map[string]any); params["floor"] != 5.0 || params["railing"] != true {
		t.Fatalf("stored params %v", params)
	}
	doc["params"] = map[string]any{"floor": 12}
	var r2 compositionRev
	if st := e.a.Do(http.MethodPut, "/api/compositions/"+r1.ID, doc, &r2); st != http.StatusOK || r2.Revision != 2 || r2.Hash == r1.Hash {
		t.Fatalf("update: %d %+v", st, r2)
	}
	var again compositionRev
	if st := e.a.Do(http.MethodGet, "/api/compositions/"+r1.ID+"/revisions/1", nil, &again); st != http.StatusOK {
		t.Fatalf("get rev 1: %d", st)
	}
	if again.Hash != r1.Hash || !bytes.Equal(again.Composition, r1.Composition) || again.Latest != 2 {
		t.Fatalf("revision 1 changed: %+v vs %+v", again, r1)
	}
	var latest compositionRev
	if st := e.a.Do(http.MethodGet, "/api/compositions/"+r1.ID, nil, &latest); st != http.StatusOK || latest.Revision != 2 || latest.Hash != r2.Hash {
		t.Fatalf("latest: %d %+v", st, latest)
	}
	before := e.counts(t)
	var same compositionRev
	if st := e.a.Do(http.MethodPut, "/api/compositions/"+r1.ID, doc, &same); st != http.StatusOK || !same.Unchanged || same.Revision != 2 {
		t.Fatalf("identical save: %d %+v", st, same)
	}
	if after := e.counts(t); after["composition_revisions"] != before["composition_revisions"] {
		t.Fatal("identical content created a revision")
	}
	var revs struct{ Revisions []compositionRev }
	if st := e.a.Do(http.MethodGet, "/api/compositions/"+r1.ID+"/revisions", nil, &revs); st != http.StatusOK || len(revs.Revisions) != 2 {
		t.Fatalf("revisions: %d %d", st, len(revs.Revisions))
	}
	var list struct{ Compositions []compositionRev }
	if st := e.a.Do(http.MethodGet, "/api/compositions", nil, &list); st != http.StatusOK || len(list.Compositions) != 1 || list.Compositions[0].Revision != 2 {
		t.Fatalf("list: %d %+v", st, list)
	}
	expectError(t, e.a, http.MethodGet, "/api/compositions/"+r1.ID+"/revisions/3", nil, http.StatusNotFound, "not_found", "")
	expectError(t, e.a, http.MethodGet, "/api/compositions/"+r1.ID+"/revisions/zero", nil, http.StatusUnprocessableEntity, "validation", "rev")
	other := map[string]any{"template": "spiders"}
	expectError(t, e.a, http.MethodPut, "/api/compositions/"+r1.ID, other, http.StatusUnprocessableEntity, "validation", "template")
}

func TestCompositionBadInputStoresNothing(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var valid compositionRev
	if st := e.a.Do(http.MethodPost, "/api/compositions", map[string]any{"template": "beach"}, &valid); st != http.StatusCreated {
		t.Fatalf("create: %d", st)
	}
	cases := []struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}{
		{"unknown template", map[string]any{"template": "volcano"}, 422, "validation", "template"},
		{"param above maximum", map[string]any{"template": "heights", "params": map[string]any{"floor": 42}}, 422, "validation", "params.floor"},
		{"param wrong type", map[string]any{"template": "heights", "params": map[string]any{"floor": "high"}}, 422, "validation", "params.floor"},
		{"int param given a fraction", map[string]any{"template": "heights", "params": map[string]any{"floor": 2.5}}, 422, "validation", "params.floor"},
		{"unknown param", map[string]any{"template": "heights", "params": map[string]any{"lava": 1}}, 422, "validation", "params.lava"},
		{"bad time of day", map[string]any{"template": "heights", "layers": map[string]any{"time_of_day": "noonish"}}, 422, "validation", "layers.time_of_day"},
		{"unknown event", map[string]any{"template": "heights", "layers": map[string]any{"events": []string{"volcano"}}}, 422, "validation", "layers.events[0]"},
		{"comfort wrong JSON type", map[string]any{"template": "heights", "layers": map[string]any{"comfort": map[string]any{"seated": "yes"}}}, 422, "validation", "layers.comfort.seated"},
		{"unknown field", map[string]any{"template": "heights", "colour": "red"}, 400, "unknown_field", "colour"},
		{"name too long", map[string]any{"template": "heights", "name": strings.Repeat("n", 201)}, 422, "validation", "name"},
		{"oversized", []byte(`{"template":"heights","name":"` + strings.Repeat("x", 40<<10) + `"}`), 413, "body_too_large", "$"},
		{"not JSON", []byte(`{"template":`), 400, "invalid_json", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, target := range []struct{ method, path string }{{http.MethodPost, "/api/compositions"}, {http.MethodPut, "/api/compositions/" + valid.ID}} {
				before := e.counts(t)
				expectError(t, e.a, target.method, target.path, c.body, c.status, c.code, c.field)
				sameCounts(t, before, e.counts(t))
			}
		})
	}
}

// TestLocalizedLabelsAndErrors checks the request's locale reaches template
// labels and the detail of validation errors, with no message id leaking.
func TestLocalizedLabelsAndErrors(t *testing.T) {
	t.Parallel()
	e := setup(t)
	type labelled struct {
		LabelKey string `json:"label_key"`
		Label    string `json:"label"`
		HelpKey  string `json:"help_key"`
		Help     string `json:"help"`
	}
	labels := func(lang string) []labelled {
		var list struct {
			Templates []struct {
				labelled
				Params []labelled
				Events []labelled
			}
		}
		if st := e.a.Do(http.MethodGet, "/api/templates?lang="+lang, nil, &list); st != http.StatusOK {
			t.Fatalf("templates in %s: %d", lang, st)
		}
		var out []labelled
		for _, tp := range list.Templates {
			out = append(append(append(out, tp.labelled), tp.Params...), tp.Events...)
		}
		return out
	}
	en, de := labels("en"), labels("de")
	differ := 0
	for i, l := range en {
		if l.Label == "" || l.Label == l.LabelKey || (l.HelpKey != "" && l.Help == l.HelpKey) {
			t.Errorf("%s is not localized: %q", l.LabelKey, l.Label)
		}
		if de[i].Label != l.Label {
			differ++
		}
	}
	if differ < len(en)/2 {
		t.Errorf("only %d of %d labels differ between en and de", differ, len(en))
	}
	bad := map[string]any{"template": "heights", "params": map[string]any{"floor": 42}}
	var enErr, deErr apiError
	e.a.Do(http.MethodPost, "/api/compositions?lang=en", bad, &enErr)
	e.a.Do(http.MethodPost, "/api/compositions?lang=de", bad, &deErr)
	for _, m := range []string{enErr.Error.Message, deErr.Error.Message} {
		if !strings.Contains(m, "params.floor") || !strings.Contains(m, "42") || strings.Contains(m, "env.error") {
			t.Errorf("validation message %q should name the field and value, without message ids", m)
		}
	}
	if enErr.Error.Message == deErr.Error.Message {
		t.Errorf("validation message is not localized: %q", deErr.Error.Message)
	}
}
