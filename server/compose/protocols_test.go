package compose_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestProtocolLibrary(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var list struct{ Protocols []protocolRev }
	if st := e.a.Do(http.MethodGet, "/api/protocols/library", nil, &list); st != http.StatusOK || len(list.Protocols) < 10 {
		t.Fatalf("library: %d, %d protocols", st, len(list.Protocols))
	}
	for _, p := range list.Protocols {
		if p.Source != "library" || p.Revision != 1 || !strings.HasPrefix(p.Hash, "sha256:") {
			t.Errorf("%s: %+v", p.ID, p)
		}
	}
	if doc := library(t, e.a, "box_breathing"); doc["kind"] != "calming" {
		t.Fatalf("box_breathing kind %v", doc["kind"])
	}
	expectError(t, e.a, http.MethodGet, "/api/protocols/library/nope", nil, http.StatusNotFound, "not_found", "")
}

func TestProtocolRevisionsAndWarnings(t *testing.T) {
	t.Parallel()
	e := setup(t)
	doc := library(t, e.a, "heights_ladder")
	delete(doc, "id") // a document without an id takes the row id
	// A clinic names its ladder and describes its steps in its own words:
	// the name is the protocol's title wherever it is listed.
	doc["name"] = "Balcony ladder — Ana"
	doc["steps"].([]any)[0].(map[string]any)["description"] = "Stand at the window on the first floor"
	var r1 protocolRev
	if st := e.a.Do(http.MethodPost, "/api/protocols", doc, &r1); st != http.StatusCreated || r1.Revision != 1 || r1.Source != "clinic" ||
		r1.Title != "Balcony ladder — Ana" || r1.Template != "heights" || !bytes.Contains(r1.Protocol, []byte("Stand at the window on the first floor")) {
		t.Fatalf("create: %d %+v", st, r1)
	}
	if !bytes.Contains(r1.Protocol, []byte(`"id":"`+r1.ID+`"`)) {
		t.Fatalf("stored document does not carry the row id %s", r1.ID)
	}
	// A 30-SUDS jump between adjacent steps saves, with a warning naming the step.
	steps := doc["steps"].([]any)
	steps[3].(map[string]any)["expected_suds"] = steps[2].(map[string]any)["expected_suds"].(float64) + 30
	var r2 protocolRev
	if st := e.a.Do(http.MethodPut, "/api/protocols/"+r1.ID, doc, &r2); st != http.StatusOK || r2.Revision != 2 {
		t.Fatalf("update: %d %+v", st, r2)
	}
	found := false
	for _, w := range r2.Warnings {
		found = found || (w.Rule == "suds_gap" && w.Field == "steps[3].expected_suds" && w.Message != "")
	}
	if !found {
		t.Fatalf("no suds_gap warning on steps[3]: %+v", r2.Warnings)
	}
	var old protocolRev
	if st := e.a.Do(http.MethodGet, fmt.Sprintf("/api/protocols/%s/revisions/1", r1.ID), nil, &old); st != http.StatusOK {
		t.Fatalf("rev 1: %d", st)
	}
	if old.Hash != r1.Hash || !bytes.Equal(old.Protocol, r1.Protocol) || old.Latest != 2 {
		t.Fatal("revision 1 changed after an update")
	}
	var latest protocolRev
	if st := e.a.Do(http.MethodGet, "/api/protocols/"+r1.ID, nil, &latest); st != http.StatusOK || latest.Hash != r2.Hash {
		t.Fatalf("latest: %d", st)
	}
	before := e.counts(t)
	var same protocolRev
	if st := e.a.Do(http.MethodPut, "/api/protocols/"+r1.ID, doc, &same); st != http.StatusOK || !same.Unchanged || same.Revision != 2 {
		t.Fatalf("identical save: %d %+v", st, same)
	}
	sameCounts(t, before, e.counts(t))
	var revs struct{ Revisions []protocolRev }
	if st := e.a.Do(http.MethodGet, "/api/protocols/"+r1.ID+"/revisions", nil, &revs); st != http.StatusOK || len(revs.Revisions) != 2 {
		t.Fatalf("revisions: %d %d", st, len(revs.Revisions))
	}
	var list struct{ Protocols []protocolRev }
	if st := e.a.Do(http.MethodGet, "/api/protocols", nil, &list); st != http.StatusOK || len(list.Protocols) != 1 {
		t.Fatalf("list: %d %d", st, len(list.Protocols))
	}
	calm := library(t, e.a, "box_breathing")
	expectError(t, e.a, http.MethodPut, "/api/protocols/"+r1.ID, calm, http.StatusUnprocessableEntity, "validation", "kind")
}

// ladderWith returns the heights ladder with its steps replaced by n generated ones.
func ladderWith(t *testing.T, base map[string]any, n int) map[string]any {
	doc := clone(t, base)
	steps := []any{}
	for i := range n {
		steps = append(steps, map[string]any{"id": fmt.Sprintf("s%d", i), "intensity": min(i*7, 100), "expected_suds": min(40+i*5, 100)})
	}
	doc["steps"] = steps
	return doc
}

func TestProtocolBadInputStoresNothing(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ladder := library(t, e.a, "heights_ladder")
	calm := library(t, e.a, "box_breathing")
	var valid protocolRev
	if st := e.a.Do(http.MethodPost, "/api/protocols", ladder, &valid); st != http.StatusCreated {
		t.Fatalf("create: %d", st)
	}
	negative := clone(t, calm)
	negative["script"].([]any)[0].(map[string]any)["duration_ms"] = -1000
	dup := clone(t, ladder)
	dup["steps"].([]any)[1].(map[string]any)["id"] = dup["steps"].([]any)[0].(map[string]any)["id"]
	cycle := ladderWith(t, ladder, 8)
	cycle["steps"].([]any)[0].(map[string]any)["requires"] = []string{"s1"}
	cycle["steps"].([]any)[1].(map[string]any)["requires"] = []string{"s0"}
	unknownTpl := clone(t, ladder)
	unknownTpl["template"] = "volcano"
	badParam := clone(t, ladder)
	badParam["steps"].([]any)[0].(map[string]any)["params"] = map[string]any{"floor": 99}
	huge := clone(t, ladder)
	huge["title_key"] = strings.Repeat("a", 300<<10)
	longName := clone(t, ladder)
	longName["name"] = strings.Repeat("n", 121)
	twoLines := clone(t, ladder)
	twoLines["steps"].([]any)[2].(map[string]any)["description"] = "Look down\nfrom the railing"
	cases := []struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}{
		{"ladder with 0 steps", ladderWith(t, ladder, 0), 422, "validation", "steps"},
		{"ladder with 40 steps", ladderWith(t, ladder, 40), 422, "validation", "steps"},
		{"calming script with negative duration", negative, 422, "validation", "script[0].duration_ms"},
		{"duplicate step id", dup, 422, "validation", "steps[1].id"},
		{"requirement cycle", cycle, 422, "validation", "steps[0].requires"},
		{"unknown template", unknownTpl, 422, "validation", "template"},
		{"step param out of range", badParam, 422, "validation", "steps[0].params.floor"},
		{"name over 120 characters", longName, 422, "validation", "name"},
		{"step description on two lines", twoLines, 422, "validation", "steps[2].description"},
		{"oversized", huge, 413, "body_too_large", "$"},
		{"unknown field", map[string]any{"id": "x", "colour": "red"}, 400, "unknown_field", "colour"},
		{"wrong JSON type", map[string]any{"steps": "many"}, 422, "validation", "steps"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			targets := []struct{ method, path string }{{http.MethodPost, "/api/protocols"}, {http.MethodPut, "/api/protocols/" + valid.ID}}
			for _, target := range targets {
				before := e.counts(t)
				expectError(t, e.a, target.method, target.path, c.body, c.status, c.code, c.field)
				sameCounts(t, before, e.counts(t))
			}
		})
	}
}

func TestGenerateLadder(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, tpl := range []string{"heights", "spiders", "flying", "public_speaking", "enclosed_space", "crowds"} {
		var out struct {
			Protocol struct {
				Kind, Template string
				Steps          []struct {
					ExpectedSUDS int `json:"expected_suds"`
				}
			}
			Hash string
		}
		if st := e.a.Do(http.MethodPost, "/api/ladders/generate", map[string]any{"template": tpl}, &out); st != http.StatusOK {
			t.Fatalf("%s: status %d", tpl, st)
		}
		if out.Protocol.Template != tpl || len(out.Protocol.Steps) != 10 || out.Protocol.Steps[0].ExpectedSUDS != 40 {
			t.Errorf("%s: %+v", tpl, out.Protocol)
		}
	}
	var custom struct {
		Protocol map[string]any
	}
	if st := e.a.Do(http.MethodPost, "/api/ladders/generate", map[string]any{"template": "spiders", "steps": 8, "start_suds": 30, "mode": "inhibitory"}, &custom); st != http.StatusOK {
		t.Fatalf("custom: %d", st)
	}
	steps := custom.Protocol["steps"].([]any)
	if len(steps) != 8 || steps[0].(map[string]any)["expected_suds"] != 30.0 || custom.Protocol["mode"] != "inhibitory" {
		t.Fatalf("custom ladder: %v", custom.Protocol)
	}
	// The generated document saves as a clinic protocol unchanged.
	var saved protocolRev
	if st := e.a.Do(http.MethodPost, "/api/protocols", custom.Protocol, &saved); st != http.StatusCreated {
		t.Fatalf("saving generated ladder: %d", st)
	}
	before := e.counts(t)
	for _, c := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"unknown template", map[string]any{"template": "volcano"}, "template"},
		{"calming template", map[string]any{"template": "beach"}, "template"},
		{"40 steps", map[string]any{"template": "heights", "steps": 40}, "steps"},
		{"start SUDS too low", map[string]any{"template": "heights", "start_suds": 5}, "start_suds"},
		{"unknown mode", map[string]any{"template": "heights", "mode": "flooding"}, "mode"},
	} {
		t.Run(c.name, func(t *testing.T) {
			expectError(t, e.a, http.MethodPost, "/api/ladders/generate", c.body, http.StatusUnprocessableEntity, "validation", c.field)
		})
	}
	sameCounts(t, before, e.counts(t))
}
