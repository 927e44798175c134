package web

import (
	"net"
	"net/http"

	"github.com/labstack/echo/v4"
)

// forwardedHeaders are the request headers a reverse proxy sets to describe
// the original client; Echo's c.Scheme() and c.RealIP() read several of them.
var forwardedHeaders = []string{
	echo.HeaderXForwardedFor, echo.HeaderXForwardedProto, echo.HeaderXForwardedProtocol,
	echo.HeaderXForwardedSsl, echo.HeaderXUrlScheme, echo.HeaderXRealIP, "X-Forwarded-Host", "Forwarded",
}

// ipExtractor believes X-Forwarded-For only from trusted proxies. Echo's
// default trust list (loopback, private and link-local ranges) is switched
// off: on a LAN every client is on a private range.
func ipExtractor(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// stripForwarded removes forwarded headers a client that is not a trusted
// proxy sent, so nothing downstream (c.Scheme(), c.RealIP(), handlers) can
// be steered by them.
func (s *Server) stripForwarded(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if !s.fromTrustedProxy(r) {
			for _, h := range forwardedHeaders {
				r.Header.Del(h)
			}
		}
		return next(c)
	}
}

func (s *Server) fromTrustedProxy(r *http.Request) bool {
	if len(s.opts.TrustedProxies) == 0 {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	for _, n := range s.opts.TrustedProxies {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// headAsGet answers HEAD wherever GET works: the router looks the route up
// as GET (Echo routes on the request it was handed, so the method is changed
// in place), and headRestored turns it back into HEAD for the handler, so
// net/http sends GET's headers and discards the body.
func headAsGet(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if r := c.Request(); r.Method == http.MethodHead {
			r.Method = http.MethodGet
			c.Set(headKey, true)
		}
		return next(c)
	}
}

const headKey = "haven.head"

func headRestored(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if head, _ := c.Get(headKey).(bool); head {
			c.Request().Method = http.MethodHead
		}
		return next(c)
	}
}
