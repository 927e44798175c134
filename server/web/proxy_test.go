package web

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
)

// Forwarded headers steer c.Scheme() and c.RealIP() only when the direct
// peer is a configured proxy; Echo's own c.Scheme() believes
// X-Forwarded-Proto from anyone (issue 17, finding 1).
func TestForwardedHeadersOnlyFromTrustedProxies(t *testing.T) {
	t.Parallel()
	_, proxy, _ := net.ParseCIDR("10.0.0.0/30")
	forged := map[string]string{"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https",
		"X-Forwarded-Ssl": "on", "X-Url-Scheme": "https", "X-Real-Ip": "198.51.100.8"}
	tests := []struct {
		name    string
		trusted []*net.IPNet
		peer    string
		scheme  string
		ip      string
	}{
		{"no proxies configured", nil, "10.0.0.1:5000", "http", "10.0.0.1"},
		{"loopback is not trusted by default", nil, "127.0.0.1:5000", "http", "127.0.0.1"},
		{"peer outside the trusted range", []*net.IPNet{proxy}, "10.0.0.9:5000", "http", "10.0.0.9"},
		{"trusted proxy", []*net.IPNet{proxy}, "10.0.0.2:5000", "https", "198.51.100.7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := New(Options{TrustedProxies: tc.trusted})
			var scheme, ip string
			s.Echo.GET("/probe", func(c echo.Context) error {
				scheme, ip = c.Scheme(), c.RealIP()
				return c.NoContent(http.StatusNoContent)
			})
			req := httptest.NewRequest(http.MethodGet, "/probe", nil)
			req.RemoteAddr = tc.peer
			for k, v := range forged {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			s.Echo.ServeHTTP(rec, req)
			if rec.Code != http.StatusNoContent || scheme != tc.scheme || ip != tc.ip {
				t.Fatalf("status %d, scheme %q ip %q; want %q %q", rec.Code, scheme, ip, tc.scheme, tc.ip)
			}
		})
	}
}
