package i18n

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// mustLoad loads the embedded bundle once per test.
func mustLoad(t *testing.T) *Bundle {
	t.Helper()
	b, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return b
}

// TestBuiltinCoverageComplete fails when any shipped locale (or the pseudo
// locale) lacks a message, has an invalid one, or has ids English lacks. It
// sees every area's files, so it enforces everyone's completeness.
func TestBuiltinCoverageComplete(t *testing.T) {
	t.Parallel()
	b := mustLoad(t)
	if len(b.IDs()) == 0 {
		t.Fatal("no messages loaded")
	}
	for _, c := range b.Coverage() {
		if c.Translated != c.Total || len(c.Missing) > 0 || len(c.Invalid) > 0 || len(c.Extra) > 0 {
			t.Errorf("%s: %d/%d missing=%v invalid=%v extra=%v", c.Locale, c.Translated, c.Total, c.Missing, c.Invalid, c.Extra)
		}
	}
}

// TestEveryMessageDescribed: translators need context for every message.
func TestEveryMessageDescribed(t *testing.T) {
	t.Parallel()
	b := mustLoad(t)
	for _, id := range b.IDs() {
		if strings.TrimSpace(b.Description(id)) == "" {
			t.Errorf("%s has no description", id)
		}
		if i := strings.IndexByte(id, '.'); i <= 0 {
			t.Errorf("%s has no area prefix", id)
		}
	}
}

// TestTranslationsKeepPlaceholders: a translation that drops a placeholder
// loses information (the crisis number, the seconds to wait).
func TestTranslationsKeepPlaceholders(t *testing.T) {
	t.Parallel()
	b := mustLoad(t)
	for _, loc := range Shipped {
		for _, id := range b.IDs() {
			tr, ok := b.chainText(Chain(loc), id)
			if !ok {
				continue // reported by the coverage test
			}
			want := b.msgs[English][id].Text.placeholders()
			got := tr.placeholders()
			for _, p := range want {
				if !slices.Contains(got, p) && !(p == "Count" && tr.IsPlural()) {
					t.Errorf("%s %s: placeholder %s dropped", loc, id, p)
				}
			}
		}
	}
}

func TestLoadFSErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		files fstest.MapFS
		want  error
	}{
		{"bad json", fstest.MapFS{"a.en.json": {Data: []byte(`{`)}}, nil},
		{"bad template", fstest.MapFS{"a.en.json": {Data: []byte(`{"a.x":{"description":"d","other":"{{.X"}}`)}}, ErrBadTemplate},
		{"unsupported locale", fstest.MapFS{"a.ja.json": {Data: []byte(`{"a.x":"y"}`)}}, ErrUnsupportedLocale},
		{"malformed locale", fstest.MapFS{"a.e_n!.json": {Data: []byte(`{"a.x":"y"}`)}}, ErrMalformedLocale},
		{"duplicate id", fstest.MapFS{"a.en.json": {Data: []byte(`{"a.x":"y"}`)}, "b.en.json": {Data: []byte(`{"a.x":"z"}`)}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := LoadFS(tt.files)
			if err == nil {
				t.Fatal("want error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestLoadFSNestedAndParent(t *testing.T) {
	t.Parallel()
	b, err := LoadFS(fstest.MapFS{
		"a.en.json":    {Data: []byte(`{"a":{"hello":{"description":"greeting","other":"Hello"},"bye":{"description":"farewell","other":"Bye"}}}`)},
		"a.pt.json":    {Data: []byte(`{"a.bye":{"description":"farewell","other":"Tchau"}}`)},
		"a.pt-BR.json": {Data: []byte(`{"a.hello":{"description":"greeting","other":"Olá"}}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	l := b.ForLocale("", "pt-BR")
	if got := l.T("a.hello", nil) + " " + l.T("a.bye", nil); got != "Olá Tchau" {
		t.Fatalf("got %q", got)
	}
	if c := b.LocaleCoverage("pt-BR"); c.Translated != 2 {
		t.Fatalf("coverage through parent: %+v", c)
	}
	if m := l.Missing(); len(m) != 0 {
		t.Fatalf("missing %v", m)
	}
}

func TestPluralFormsFromCLDR(t *testing.T) {
	t.Parallel()
	b := mustLoad(t)
	tests := map[string][]string{
		"en": {"one", "other"}, "de": {"one", "other"}, "zh-Hans": {"other"},
		"ar": {"zero", "one", "two", "few", "many", "other"}, "fr": {"one", "many", "other"},
	}
	for loc, want := range tests {
		got, err := b.PluralForms(loc)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: got %v %v, want %v", loc, got, err, want)
		}
	}
}
