package environments

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// schemaCheck validates v against the subset of JSON Schema 2020-12 the
// template schema uses: type, enum, required, properties,
// additionalProperties:false, items, pattern, minimum/maximum,
// minItems/maxItems, minLength and local $ref into $defs.
func schemaCheck(root, s map[string]any, v any, at string) []string {
	if ref, ok := s["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/$defs/")
		return schemaCheck(root, root["$defs"].(map[string]any)[name].(map[string]any), v, at)
	}
	var errs []string
	bad := func(f string, a ...any) { errs = append(errs, at+": "+fmt.Sprintf(f, a...)) }
	if t, ok := s["type"]; ok {
		types := []any{t}
		if list, ok := t.([]any); ok {
			types = list
		}
		if !slices.ContainsFunc(types, func(t any) bool { return jsonType(v, t.(string)) }) {
			bad("type is not %v", t)
			return errs
		}
	}
	if enum, ok := s["enum"].([]any); ok && !slices.Contains(enum, v) {
		bad("%v not in enum %v", v, enum)
	}
	switch x := v.(type) {
	case map[string]any:
		for _, r := range asList(s["required"]) {
			if _, ok := x[r.(string)]; !ok {
				bad("missing required %q", r)
			}
		}
		props, _ := s["properties"].(map[string]any)
		for k, child := range x {
			ps, ok := props[k].(map[string]any)
			if !ok {
				if s["additionalProperties"] == false {
					bad("unexpected property %q", k)
				}
				continue
			}
			errs = append(errs, schemaCheck(root, ps, child, at+"."+k)...)
		}
	case []any:
		if n, ok := s["minItems"].(float64); ok && float64(len(x)) < n {
			bad("fewer than %v items", n)
		}
		if n, ok := s["maxItems"].(float64); ok && float64(len(x)) > n {
			bad("more than %v items", n)
		}
		if is, ok := s["items"].(map[string]any); ok {
			for i, item := range x {
				errs = append(errs, schemaCheck(root, is, item, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	case string:
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(x) {
			bad("%q does not match %s", x, p)
		}
		if n, ok := s["minLength"].(float64); ok && float64(len(x)) < n {
			bad("shorter than %v", n)
		}
	case float64:
		if n, ok := s["minimum"].(float64); ok && x < n {
			bad("%v below minimum %v", x, n)
		}
		if n, ok := s["maximum"].(float64); ok && x > n {
			bad("%v above maximum %v", x, n)
		}
	}
	return errs
}

func asList(v any) []any { l, _ := v.([]any); return l }

func jsonType(v any, t string) bool {
	switch t {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == float64(int64(f))
	}
	return false
}

func loadJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

func TestTemplatesMatchSchema(t *testing.T) {
	t.Parallel()
	schema := loadJSON(t, "templates/template.schema.json")
	if schema["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Fatalf("schema dialect = %v", schema["$schema"])
	}
	// The schema and the Go decoder must agree on the required top-level fields.
	var req []string
	for _, r := range asList(schema["required"]) {
		req = append(req, r.(string))
	}
	sort.Strings(req)
	var goReq []string
	for _, f := range []string{"id", "kind", "purpose", "label_key", "help_key", "params", "events", "ambient"} {
		goReq = append(goReq, f)
	}
	sort.Strings(goReq)
	if !slices.Equal(req, goReq) {
		t.Fatalf("schema required %v, Go template has %v", req, goReq)
	}
	files, _ := filepath.Glob("templates/*.json")
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".schema.json") {
			continue
		}
		n++
		if errs := schemaCheck(schema, schema, loadJSON(t, f), "$"); len(errs) > 0 {
			t.Errorf("%s: %v", f, errs)
		}
	}
	if n != 10 {
		t.Fatalf("found %d templates, want 10", n)
	}
}

func TestSchemaCheckRejects(t *testing.T) {
	t.Parallel()
	schema := loadJSON(t, "templates/template.schema.json")
	good := loadJSON(t, "templates/heights.json")
	cases := map[string]func(m map[string]any){
		"unknown field": func(m map[string]any) { m["colour"] = "red" },
		"bad kind":      func(m map[string]any) { m["kind"] = "scary" },
		"missing id":    func(m map[string]any) { delete(m, "id") },
		"no params":     func(m map[string]any) { m["params"] = []any{} },
		"bad volume": func(m map[string]any) {
			m["ambient"].([]any)[0].(map[string]any)["volume"] = 2.0
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			raw, _ := json.Marshal(good)
			var m map[string]any
			_ = json.Unmarshal(raw, &m)
			mutate(m)
			if errs := schemaCheck(schema, schema, m, "$"); len(errs) == 0 {
				t.Fatal("schema accepted a broken template")
			}
		})
	}
}
