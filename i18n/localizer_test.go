package i18n

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

func TestArabicErrors(t *testing.T) {
	t.Parallel()
	b := mustLoad(t)
	l := b.Localizer("c1", "", "ar")
	if l.Locale() != "ar" || l.Dir() != "rtl" || l.Lang().String() != "ar" {
		t.Fatalf("locale %s dir %s", l.Locale(), l.Dir())
	}
	got := l.Error("not_found", nil)
	if got != b.msgs["ar"]["error.not_found"].Text.Other || got == b.msgs["en"]["error.not_found"].Text.Other {
		t.Fatalf("not Arabic: %q", got)
	}
	if m := l.Missing(); len(m) != 0 {
		t.Fatalf("missing %v", m)
	}
}

func TestPluralRendering(t *testing.T) {
	t.Parallel()
	b := mustLoad(t)
	tests := []struct {
		loc   string
		count int
		want  string
	}{
		{"en", 1, "1 second "},
		{"en", 5, "5 seconds"},
		{"de", 1, "1 Sekunde "},
		{"ar", 1, "ثانية واحدة"},
		{"ar", 2, "ثانيتين"},
		{"ar", 3, "3 ثوانٍ"},
		{"ar", 11, "11 ثانية"},
		{"zh-Hans", 1, "1 秒"},
		{"fr", 2, "2 secondes"},
	}
	for _, tt := range tests {
		t.Run(tt.loc, func(t *testing.T) {
			t.Parallel()
			l := b.ForLocale("", tt.loc)
			got := l.Plural("error.rate_limited", tt.count, nil)
			if !strings.Contains(got, tt.want) {
				t.Fatalf("%s %d: %q lacks %q", tt.loc, tt.count, got, tt.want)
			}
		})
	}
}

// TestNeverMixedPage: a message missing from a locale is detectable: Lookup
// errors, T records it, and the English text is served only as a last
// resort, never silently.
func TestNeverMixedPage(t *testing.T) {
	t.Parallel()
	b, err := LoadFS(fstest.MapFS{
		"a.en.json": {Data: []byte(`{"a.one":{"description":"d","other":"One"},"a.two":{"description":"d","other":"Two"}}`)},
		"a.de.json": {Data: []byte(`{"a.one":{"description":"d","other":"Eins"}}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	l := b.ForLocale("", "de")
	if _, err := l.Lookup("a.two", nil); !errors.Is(err, ErrMissing) {
		t.Fatalf("Lookup of a gap: %v", err)
	}
	if _, err := l.Lookup("a.nope", nil); !errors.Is(err, ErrUnknownMessage) {
		t.Fatalf("Lookup of unknown id: %v", err)
	}
	if got := l.T("a.two", nil); got != "Two" {
		t.Fatalf("fallback %q", got)
	}
	if got := l.T("a.nope", nil); got != "a.nope" {
		t.Fatalf("unknown %q", got)
	}
	if m := l.Missing(); len(m) != 2 {
		t.Fatalf("missing %v", m)
	}
	if c := b.LocaleCoverage("de"); c.Translated != 1 || len(c.Missing) != 1 || c.Missing[0] != "a.two" || c.Percent != 50 {
		t.Fatalf("coverage %+v", c)
	}
}

func TestErrorUnknownCodeFallsBackToInternal(t *testing.T) {
	t.Parallel()
	b := mustLoad(t)
	l := b.ForLocale("", "fr")
	if got, want := l.Error("no_such_code", nil), l.T("error.internal", nil); got != want {
		t.Fatalf("got %q want %q", got, want)
	}
	if m := l.Missing(); len(m) != 1 || m[0] != "error.no_such_code" {
		t.Fatalf("missing %v", m)
	}
}

func TestTemplateData(t *testing.T) {
	t.Parallel()
	b := mustLoad(t)
	got := b.ForLocale("", "es").T("error.unknown_field", map[string]any{"Field": "edad"})
	if got != "Campo desconocido: edad." {
		t.Fatalf("got %q", got)
	}
}

func TestMessagesForClient(t *testing.T) {
	t.Parallel()
	b := mustLoad(t)
	l := b.ForLocale("", "pt-BR")
	m := l.Messages("error.")
	if len(m) != len(b.idsWithPrefix("error.")) || len(m) == 0 {
		t.Fatalf("got %d messages", len(m))
	}
	for id := range m {
		if !strings.HasPrefix(id, "error.") {
			t.Fatalf("id %s outside prefix", id)
		}
	}
	if m["error.unknown_field"] != "Campo desconhecido: {{.Field}}." {
		t.Fatalf("raw template not kept: %q", m["error.unknown_field"])
	}
	if tx := l.Texts("error.rate_limited")["error.rate_limited"]; tx.One == "" || tx.Many == "" {
		t.Fatalf("plural forms lost: %+v", tx)
	}
}

// TestPseudoLocaleCatchesUnlocalized: every pseudo string is bracketed and
// carries no plain ASCII letter outside placeholders.
func TestPseudoLocaleCatchesUnlocalized(t *testing.T) {
	t.Parallel()
	b := mustLoad(t)
	l := b.Localizer("", "en-XA")
	for id, s := range l.Messages("") {
		if !strings.HasPrefix(s, "[") || !strings.HasSuffix(s, "]") {
			t.Errorf("%s not bracketed: %q", id, s)
		}
		if stripped := placeholderBlock.ReplaceAllString(s, ""); strings.ContainsAny(stripped, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
			t.Errorf("%s keeps ASCII letters: %q", id, s)
		}
	}
	if got := l.Plural("error.rate_limited", 3, nil); !strings.Contains(got, "3") || !strings.HasPrefix(got, "[") {
		t.Fatalf("pseudo plural %q", got)
	}
}

func TestErrorWithCountPluralizes(t *testing.T) {
	t.Parallel()
	b := mustLoad(t)
	l := b.ForLocale("", "ar")
	data := map[string]any{"Count": 2}
	if got := l.Error("rate_limited", data); !strings.Contains(got, "ثانيتين") {
		t.Fatalf("got %q", got)
	}
	if len(data) != 1 {
		t.Fatalf("caller's map mutated: %v", data)
	}
}

func TestMissingPlaceholderRendersEmpty(t *testing.T) {
	t.Parallel()
	b := mustLoad(t)
	got := b.ForLocale("", "en").T("error.unknown_field", nil)
	if strings.Contains(got, "no value") || got != "Unknown field: ." {
		t.Fatalf("got %q", got)
	}
}

func BenchmarkNegotiateAndT(b *testing.B) {
	bn, err := Load()
	if err != nil {
		b.Fatal(err)
	}
	data := map[string]any{"Number": "112"}
	b.ReportAllocs()
	for b.Loop() {
		l := bn.Localizer("c1", "", "pt-PT,pt;q=0.9,en;q=0.5", "en")
		_ = l.T("client.lost.crisis", data)
	}
}

func BenchmarkPlural(b *testing.B) {
	bn, err := Load()
	if err != nil {
		b.Fatal(err)
	}
	l := bn.ForLocale("c1", "ar")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_ = l.Plural("error.rate_limited", i%200, nil)
	}
}
