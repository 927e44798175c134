package web

import (
	"errors"
	"strings"
	"testing"

	"github.com/havenvr/haven/server/apierr"
)

type sample struct {
	Code      string `json:"code"`
	BirthYear int    `json:"birth_year"`
}

// The decoding rules themselves are tested in package strictjson; this
// fuzz target keeps the REST entry point honest: every refusal is coded.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"code":"P-1","birth_year":1990}`, `{"x":1}`, `[`, `{"code":"\u0000"}`, `null`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var v sample
		err := DecodeJSON(strings.NewReader(in), &v)
		var e *apierr.Error
		if err != nil && !errors.As(err, &e) {
			t.Fatalf("uncoded error %v", err)
		}
	})
}
