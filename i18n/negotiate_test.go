package i18n

import (
	"errors"
	"slices"
	"testing"
)

func TestNegotiate(t *testing.T) {
	t.Parallel()
	b := mustLoad(t)
	tests := []struct {
		name string
		p    Prefs
		want string
	}{
		{"arabic header", Prefs{AcceptLanguage: "ar"}, "ar"},
		{"arabic regional", Prefs{AcceptLanguage: "ar-EG,ar;q=0.9,en;q=0.5"}, "ar"},
		{"pt-PT via pt-BR chain", Prefs{AcceptLanguage: "pt-PT"}, "pt-BR"},
		{"bare pt", Prefs{AcceptLanguage: "pt"}, "pt-BR"},
		{"pt-AO", Prefs{AcceptLanguage: "pt-AO"}, "pt-BR"},
		{"zh-SG is Simplified", Prefs{AcceptLanguage: "zh-SG"}, "zh-Hans"},
		{"zh-Hant-TW then en", Prefs{AcceptLanguage: "zh-Hant-TW, en;q=0.1", ClinicDefault: "zh-Hans"}, "en"},
		{"zh-Hant never zh-Hans", Prefs{AcceptLanguage: "zh-Hant"}, "en"},
		{"zh-TW never zh-Hans", Prefs{AcceptLanguage: "zh-TW", ClinicDefault: "de"}, "de"},
		{"zh-HK skipped for next", Prefs{AcceptLanguage: "zh-HK, fr;q=0.3"}, "fr"},
		{"zh-CN is Simplified", Prefs{AcceptLanguage: "zh-CN"}, "zh-Hans"},
		{"es-MX", Prefs{AcceptLanguage: "es-MX"}, "es"},
		{"q ordering", Prefs{AcceptLanguage: "de;q=0.5, fr;q=0.9"}, "fr"},
		{"q zero excluded", Prefs{AcceptLanguage: "fr;q=0, de"}, "de"},
		{"bad entry does not spoil header", Prefs{AcceptLanguage: "zz-!!, es;q=0.8"}, "es"},
		{"clinic default", Prefs{AcceptLanguage: "ja", ClinicDefault: "es"}, "es"},
		{"garbage header", Prefs{AcceptLanguage: ";;;,,q=,\x00"}, "en"},
		{"garbage header and clinic", Prefs{AcceptLanguage: "!!!", ClinicDefault: "fr"}, "fr"},
		{"bad clinic default", Prefs{ClinicDefault: "not a tag"}, "en"},
		{"explicit beats header", Prefs{Explicit: "de", AcceptLanguage: "ar"}, "de"},
		{"en-GB is English not pseudo", Prefs{AcceptLanguage: "en-GB"}, "en"},
		{"pseudo by name", Prefs{Explicit: "en-XA"}, "en-XA"},
		{"nothing", Prefs{}, "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := b.Negotiate(tt.p)
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestNegotiateExplicitErrors(t *testing.T) {
	t.Parallel()
	b := mustLoad(t)
	tests := []struct {
		tag  string
		want error
	}{
		{"e_n!", ErrMalformedLocale},
		{"ja", ErrUnsupportedLocale},
		{"zh-Hant", ErrUnsupportedLocale},
		{"   ", ErrMalformedLocale},
	}
	for _, tt := range tests {
		t.Run(tt.tag, func(t *testing.T) {
			t.Parallel()
			_, err := b.Negotiate(Prefs{Explicit: tt.tag, AcceptLanguage: "en"})
			var le *LocaleError
			if !errors.As(err, &le) || !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want LocaleError %v", err, tt.want)
			}
		})
	}
}

func TestParseAcceptLanguage(t *testing.T) {
	t.Parallel()
	got := ParseAcceptLanguage("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5, zz;q=0, x;q=abc")
	var s []string
	for _, tg := range got {
		s = append(s, tg.String())
	}
	if want := []string{"fr-CH", "fr", "en", "de"}; !slices.Equal(s, want) {
		t.Fatalf("got %v, want %v", s, want)
	}
}

func TestChainAndDir(t *testing.T) {
	t.Parallel()
	if got := Chain("pt-BR"); !slices.Equal(got, []string{"pt-BR", "pt"}) {
		t.Errorf("pt-BR chain %v", got)
	}
	if got := Chain("zh-Hans"); !slices.Equal(got, []string{"zh-Hans"}) {
		t.Errorf("zh-Hans chain %v", got)
	}
	for loc, want := range map[string]string{"ar": "rtl", "he": "rtl", "fa": "rtl", "en": "ltr", "zh-Hans": "ltr", "en-XA": "ltr", "bad!": "ltr"} {
		if got := Dir(loc); got != want {
			t.Errorf("Dir(%s)=%s want %s", loc, got, want)
		}
	}
}

func TestAvailable(t *testing.T) {
	t.Parallel()
	got := Available()
	if len(got) != len(Shipped) {
		t.Fatalf("got %d", len(got))
	}
	for _, li := range got {
		if li.Name == "" || (li.Tag == "ar") != (li.Dir == "rtl") {
			t.Errorf("%+v", li)
		}
	}
}
