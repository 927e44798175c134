package ratelimit

import "testing"

// Addresses share a bucket per IPv4 address and per IPv6 /64 (RFC 6177:
// an end site is usually given a /56 or /48, so a /64 is one subscriber).
// Examples use the documentation prefixes of RFC 5737 and RFC 3849.
func TestAddressKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"192.0.2.1", "192.0.2.1"},
		{"::ffff:192.0.2.1", "192.0.2.1"}, // IPv4-mapped (RFC 4291 §2.5.5.2)
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2::ffff", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"::1", "::/64"},
		{"not-an-address", "not-an-address"},
	} {
		if got := AddressKey(tc.in); got != tc.want {
			t.Errorf("AddressKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
