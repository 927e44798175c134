package ratelimit

import "net"

// AddressKey is the bucket key for a client address: the IPv4 address
// itself, or the IPv6 /64 it lies in — one subscriber is routinely handed a
// whole /64 (RFC 6177), so rotating within it must not buy fresh tokens.
// Anything that does not parse is its own bucket.
func AddressKey(addr string) string {
	ip := net.ParseIP(addr)
	if ip == nil {
		return addr
	}
	if v4 := ip.To4(); v4 != nil {
		return v4.String()
	}
	return (&net.IPNet{IP: ip.Mask(net.CIDRMask(64, 128)), Mask: net.CIDRMask(64, 128)}).String()
}
