package i18n

import (
	"regexp"
	"testing"
	"unicode/utf8"
)

var placeholderBlock = regexp.MustCompile(`\{\{[^}]*\}\}`)

func TestPseudoText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src, want string
	}{
		{"plain", "Calm", "[Çáļɱ ·]"},
		{"placeholder kept", "Call {{.Number}} now", "[Çáļļ {{.Number}} ñöŵ ······]"},
		{"unclosed action", "a {{b", "[á {{ƀ ·]"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := PseudoText(tt.src); got != tt.want {
				t.Fatalf("got %q want %q", got, tt.want)
			}
		})
	}
}

func TestPseudoGrowth(t *testing.T) {
	t.Parallel()
	src := "Connection lost. You are safe. Take a slow breath."
	n, m := utf8.RuneCountInString(src), utf8.RuneCountInString(PseudoText(src))
	if ratio := float64(m) / float64(n); ratio < 1.33 || ratio > 1.45 {
		t.Fatalf("growth %.2f", ratio)
	}
}
