package groups

import (
	"strings"
	"testing"
)

// BenchmarkRedact measures the redactor on a chat message at the size limit:
// prose with no contact detail (every pattern has to look), a run of emoji
// (skipped before normalizing) and prose hiding an e-mail address.
func BenchmarkRedact(b *testing.B) {
	for _, c := range []struct{ name, text string }{
		{"prose", strings.Repeat("the quick brown fox. ", 190)},
		{"emoji", strings.Repeat("🌱", 990)},
		{"email", strings.Repeat("the quick brown fox. ", 180) + "write to jane at gmail dot com"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Redact(c.text, "[removed]")
			}
		})
	}
}
