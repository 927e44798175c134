package i18n

import "testing"

// TestPluralTableMatchesGoI18n: the precomputed table agrees with asking
// go-i18n directly, and counts beyond it still follow CLDR.
func TestPluralTableMatchesGoI18n(t *testing.T) {
	t.Parallel()
	p := newPluralRules()
	for _, loc := range append(append([]string{}, Shipped...), Pseudo) {
		for _, n := range []int{0, 1, 2, 3, 10, 11, 99, 100, 101, 102, 1000, 1200} {
			if got, want := p.form(loc, n), p.ask(loc, n); got != want {
				t.Errorf("%s %d: table %s, go-i18n %s", loc, n, got, want)
			}
		}
	}
	tests := []struct {
		loc  string
		n    int
		want string
	}{
		{"fr", 1_000_000, "many"}, {"ar", 3, "few"}, {"ar", 11, "many"}, {"ar", 100, "other"},
		{"ar", 0, "zero"}, {"en", -1, "one"}, {"de", 1, "one"}, {"zh-Hans", 1, "other"},
	}
	for _, tt := range tests {
		if got := p.form(tt.loc, tt.n); got != tt.want {
			t.Errorf("%s %d: got %s want %s", tt.loc, tt.n, got, tt.want)
		}
	}
}
