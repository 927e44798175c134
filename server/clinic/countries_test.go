package clinic

import (
	"testing"

	"golang.org/x/text/language"
)

func TestCountriesAreAssignedISOCodes(t *testing.T) {
	t.Parallel()
	list := Countries()
	if len(list) != 249 {
		t.Fatalf("%d codes, ISO 3166-1 assigns 249", len(list))
	}
	for i, c := range list {
		if i > 0 && list[i-1] >= c {
			t.Fatalf("not sorted at %s", c)
		}
		// CLDR knows every assigned code as a country with an alpha-3 twin.
		r, err := language.ParseRegion(c)
		if err != nil || !r.IsCountry() || r.String() != c || r.ISO3() == "ZZZ" {
			t.Errorf("%s: x/text says %v %v country=%v iso3=%s", c, r, err, r.IsCountry(), r.ISO3())
		}
	}
}

func TestParseCountry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"upper", "DE", "DE", true},
		{"lower is upper-cased", "br", "BR", true},
		{"space trimmed", " us ", "US", true},
		{"exceptionally reserved UK", "UK", "UK", false},
		{"withdrawn SU", "SU", "SU", false},
		{"group EU", "EU", "EU", false},
		{"unknown ZZ", "ZZ", "ZZ", false},
		{"user-assigned XK", "XK", "XK", false},
		{"alpha-3", "DEU", "DEU", false},
		{"numeric", "276", "276", false},
		{"one letter", "D", "D", false},
		{"empty", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := ParseCountry(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("ParseCountry(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}
