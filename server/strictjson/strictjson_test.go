package strictjson

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/havenvr/haven/server/apierr"
)

type inner struct {
	Min int `json:"min"`
}

type Base struct {
	ID string `json:"id"`
}

type doc struct {
	Base
	Code   string            `json:"code"`
	Year   int               `json:"birth_year,omitempty"`
	Range  *inner            `json:"range"`
	Steps  []inner           `json:"steps"`
	Params map[string]any    `json:"params"`
	Raw    json.RawMessage   `json:"raw"`
	Tags   map[string]string `json:"tags"`
	Plain  string
	Hidden string `json:"-"`
}

// Each row is a rule of RFC 8259 or a case encoding/json lets through.
func TestUnmarshal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		code     apierr.Code
		field    string
	}{
		{"valid", `{"id":"x","code":"P-1","birth_year":1990,"range":{"min":1},"steps":[{"min":2}],"params":{"a":{"b":1}},"raw":{"k":1},"Plain":"p"}`, "", ""},
		{"case folded key", `{"Code":"P-1"}`, apierr.UnknownField, "Code"},
		{"case folded nested key", `{"range":{"MIN":1}}`, apierr.UnknownField, "range.MIN"},
		{"case folded key in a list", `{"steps":[{"min":1},{"Min":2}]}`, apierr.UnknownField, "steps[1].Min"},
		{"case folded promoted key", `{"ID":"x"}`, apierr.UnknownField, "ID"},
		{"untagged field needs its exact name", `{"plain":"p"}`, apierr.UnknownField, "plain"},
		{"duplicate key", `{"code":"a","code":"b"}`, apierr.DuplicateField, "code"},
		{"duplicate key differing in case", `{"code":"a","CODE":"b"}`, apierr.UnknownField, "CODE"},
		{"duplicate nested key", `{"range":{"min":1,"min":2}}`, apierr.DuplicateField, "range.min"},
		{"duplicate key in a free-form map", `{"params":{"a":1,"a":2}}`, apierr.DuplicateField, "params.a"},
		{"duplicate key deep in free-form data", `{"params":{"a":[{"x":1,"x":1}]}}`, apierr.DuplicateField, "params.a[0].x"},
		{"duplicate key in raw JSON", `{"raw":{"k":1,"k":2}}`, apierr.DuplicateField, "raw.k"},
		{"escaped duplicate", `{"code":"a","\u0063ode":"b"}`, apierr.DuplicateField, "code"},
		{"invalid UTF-8 in a value", "{\"code\":\"a\xffb\"}", apierr.InvalidJSON, ""},
		{"invalid UTF-8 in a key", "{\"c\xc3\":1}", apierr.InvalidJSON, ""},
		{"unknown field", `{"name":"Jo"}`, apierr.UnknownField, "name"},
		{"ignored field", `{"Hidden":"x"}`, apierr.UnknownField, "Hidden"},
		{"wrong type", `{"birth_year":"1990"}`, apierr.Validation, "birth_year"},
		{"trailing value", `{"code":"a"} {"code":"b"}`, apierr.InvalidJSON, ""},
		{"trailing garbage", `{"code":"a"}x`, apierr.InvalidJSON, ""},
		{"truncated", `{"code":`, apierr.InvalidJSON, ""},
		{"empty", ``, apierr.InvalidJSON, ""},
		{"valid UTF-8 beyond ASCII", `{"code":"مرحبا 你好 😀"}`, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var v doc
			err := Unmarshal([]byte(tc.in), &v)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var e *apierr.Error
			if !errors.As(err, &e) || e.Code != tc.code || e.Field != tc.field {
				t.Fatalf("got %v, want code %s field %q", err, tc.code, tc.field)
			}
		})
	}
}

// Whatever it accepts, encoding/json decodes to the same value, and the
// text is valid UTF-8 without a repeated key; whatever it refuses, it
// refuses with a coded error.
func FuzzUnmarshal(f *testing.F) {
	for _, s := range []string{`{"code":"P-1","birth_year":1990}`, `{"Code":1}`, `{"code":"a","code":"b"}`, "{\"code\":\"\xff\"}",
		`{"params":{"a":[1,{"b":null}]}}`, `{"steps":[{"min":1}]}`, `[`, `null`, `{"raw":[1,2]}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var v doc
		err := Unmarshal([]byte(in), &v)
		if err != nil {
			var e *apierr.Error
			if !errors.As(err, &e) {
				t.Fatalf("uncoded error %v", err)
			}
			return
		}
		if !utf8.ValidString(in) {
			t.Fatalf("accepted invalid UTF-8 %q", in)
		}
		var std doc
		if err := json.Unmarshal([]byte(in), &std); err != nil || !reflect.DeepEqual(normal(v), normal(std)) {
			t.Fatalf("encoding/json disagrees on %q: %v\n%+v\n%+v", in, err, v, std)
		}
		if dup := repeatedKey(in); dup != "" {
			t.Fatalf("accepted %q with key %q twice", in, dup)
		}
	})
}

// normal makes RawMessage spacing irrelevant to the comparison.
func normal(d doc) doc {
	d.Raw = json.RawMessage(strings.TrimSpace(string(d.Raw)))
	return d
}

// repeatedKey finds a key repeated in one object by a plain recursive
// descent over encoding/json's tokens (independent of walk's type logic).
func repeatedKey(in string) string {
	dec := json.NewDecoder(strings.NewReader(in))
	var stack []map[string]bool
	expectKey := []bool{}
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		switch tok {
		case json.Delim('{'):
			stack, expectKey = append(stack, map[string]bool{}), append(expectKey, true)
			continue
		case json.Delim('['):
			stack, expectKey = append(stack, nil), append(expectKey, false)
			continue
		case json.Delim('}'), json.Delim(']'):
			stack, expectKey = stack[:len(stack)-1], expectKey[:len(expectKey)-1]
		default:
			n := len(stack)
			if n > 0 && stack[n-1] != nil && expectKey[n-1] {
				k := tok.(string)
				if stack[n-1][k] {
					return k
				}
				stack[n-1][k] = true
				expectKey[n-1] = false
				continue
			}
		}
		if n := len(stack); n > 0 && stack[n-1] != nil {
			expectKey[n-1] = true
		}
	}
}
