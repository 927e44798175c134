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

func TestDecodeJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    string
		code  apierr.Code
		field string
	}{
		{"valid", `{"code":"P-1","birth_year":1990}`, "", ""},
		{"unknown field", `{"code":"P-1","name":"Jo"}`, apierr.UnknownField, "name"},
		{"wrong type", `{"birth_year":"1990"}`, apierr.Validation, "birth_year"},
		{"truncated", `{"code":`, apierr.InvalidJSON, ""},
		{"trailing data", `{"code":"a"} {"code":"b"}`, apierr.InvalidJSON, ""},
		{"empty", ``, apierr.InvalidJSON, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var v sample
			err := DecodeJSON(strings.NewReader(tc.in), &v)
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
