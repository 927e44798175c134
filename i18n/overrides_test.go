package i18n

import (
	"errors"
	"sync"
	"testing"
)

func TestOverrideServedToThatClinicOnly(t *testing.T) {
	t.Parallel()
	b := mustLoad(t)
	before := b.ForLocale("c2", "en").T("error.not_found", nil)
	err := b.Overrides().Set(Override{ClinicID: "c1", Locale: "EN", ID: "error.not_found", Text: Text{Other: "Nothing here, sorry."}})
	if err != nil {
		t.Fatal(err)
	}
	if got := b.ForLocale("c1", "en").T("error.not_found", nil); got != "Nothing here, sorry." {
		t.Fatalf("c1 got %q", got)
	}
	if got := b.ForLocale("c2", "en").T("error.not_found", nil); got != before {
		t.Fatalf("c2 got %q", got)
	}
	if got := b.ForLocale("", "en").T("error.not_found", nil); got != before {
		t.Fatalf("no clinic got %q", got)
	}
	if !b.Overrides().Reset("c1", "en", "error.not_found") {
		t.Fatal("reset found nothing")
	}
	if got := b.ForLocale("c1", "en").T("error.not_found", nil); got != before {
		t.Fatalf("after reset %q", got)
	}
}

func TestOverrideThroughParentChain(t *testing.T) {
	t.Parallel()
	b := mustLoad(t)
	if err := b.Overrides().Set(Override{ClinicID: "c1", Locale: "pt-BR", ID: "error.internal", Text: Text{Other: "Ops."}}); err != nil {
		t.Fatal(err)
	}
	if got := b.Localizer("c1", "pt-PT").T("error.internal", nil); got != "Ops." {
		t.Fatalf("got %q", got)
	}
}

func TestOverrideValidation(t *testing.T) {
	t.Parallel()
	b := mustLoad(t)
	tests := []struct {
		name string
		ov   Override
		want error
	}{
		{"malformed locale", Override{ClinicID: "c", Locale: "e_n!", ID: "error.internal", Text: Text{Other: "x"}}, ErrMalformedLocale},
		{"unsupported locale", Override{ClinicID: "c", Locale: "ja", ID: "error.internal", Text: Text{Other: "x"}}, ErrUnsupportedLocale},
		{"pseudo locale", Override{ClinicID: "c", Locale: "en-XA", ID: "error.internal", Text: Text{Other: "x"}}, ErrUnsupportedLocale},
		{"unknown id", Override{ClinicID: "c", Locale: "en", ID: "error.nope", Text: Text{Other: "x"}}, ErrUnknownMessage},
		{"template", Override{ClinicID: "c", Locale: "en", ID: "error.internal", Text: Text{Other: "{{.X"}}, ErrBadTemplate},
		{"unknown placeholder", Override{ClinicID: "c", Locale: "en", ID: "error.unknown_field", Text: Text{Other: "{{.Feld}}"}}, ErrBadTemplate},
		{"empty", Override{ClinicID: "c", Locale: "en", ID: "error.internal"}, ErrPluralForms},
		{"arabic plural incomplete", Override{ClinicID: "c", Locale: "ar", ID: "error.rate_limited", Text: Text{One: "a", Other: "b"}}, ErrPluralForms},
		{"no clinic", Override{Locale: "en", ID: "error.internal", Text: Text{Other: "x"}}, ErrBadOverride},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			before := b.ForLocale("c", tt.ov.Locale).T(tt.ov.ID, nil)
			if err := b.Overrides().Set(tt.ov); !errors.Is(err, tt.want) {
				t.Fatalf("got %v want %v", err, tt.want)
			}
			if got := b.ForLocale("c", tt.ov.Locale).T(tt.ov.ID, nil); got != before {
				t.Fatalf("old text not kept: %q", got)
			}
		})
	}
	var me *MessageError
	err := b.Overrides().Set(Override{ClinicID: "c", Locale: "ar", ID: "error.rate_limited", Text: Text{One: "a", Other: "b"}})
	if !errors.As(err, &me) || len(me.Forms) != 4 {
		t.Fatalf("want 4 missing forms named, got %v", err)
	}
}

func TestOverridePluralComplete(t *testing.T) {
	t.Parallel()
	b := mustLoad(t)
	ar := Text{Zero: "الآن", One: "ثانية", Two: "ثانيتان", Few: "{{.Count}} ثوان", Many: "{{.Count}} ثانية", Other: "{{.Count}} ثانية"}
	if err := b.Overrides().Set(Override{ClinicID: "c3", Locale: "ar", ID: "error.rate_limited", Text: ar}); err != nil {
		t.Fatal(err)
	}
	if got := b.ForLocale("c3", "ar").Plural("error.rate_limited", 2, nil); got != "ثانيتان" {
		t.Fatalf("got %q", got)
	}
}

func TestReplaceIsAtomic(t *testing.T) {
	t.Parallel()
	b := mustLoad(t)
	o := b.Overrides()
	good := Override{ClinicID: "c4", Locale: "fr", ID: "error.internal", Text: Text{Other: "Oups."}}
	if err := o.Replace("c4", []Override{good}); err != nil {
		t.Fatal(err)
	}
	bad := Override{ClinicID: "c4", Locale: "fr", ID: "error.nope", Text: Text{Other: "x"}}
	other := Override{ClinicID: "c4", Locale: "fr", ID: "error.conflict", Text: Text{Other: "y"}}
	if err := o.Replace("c4", []Override{other, bad}); !errors.Is(err, ErrUnknownMessage) {
		t.Fatalf("got %v", err)
	}
	if got := o.List("c4"); len(got) != 1 || got[0] != good {
		t.Fatalf("list %+v", got)
	}
	if err := o.Replace("c4", []Override{{ClinicID: "c5", Locale: "fr", ID: "error.internal", Text: Text{Other: "z"}}}); !errors.Is(err, ErrBadOverride) {
		t.Fatalf("cross-clinic set: %v", err)
	}
}

func TestOverridesConcurrent(t *testing.T) {
	t.Parallel()
	b := mustLoad(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				if i%2 == 0 {
					_ = b.Overrides().Set(Override{ClinicID: "c", Locale: "de", ID: "error.internal", Text: Text{Other: "Hoppla."}})
				} else {
					_ = b.ForLocale("c", "de").T("error.internal", nil)
				}
			}
		}()
	}
	wg.Wait()
	if got := b.ForLocale("c", "de").T("error.internal", nil); got != "Hoppla." {
		t.Fatalf("got %q", got)
	}
}
