// Package lb is a small HTTP load balancer for benchmarks and tests of a
// Haven cluster on loopback: it stands where HAProxy stands in production
// (docs/deploy-cluster.md), sending each request to a node and, when that
// node refuses the connection (it died), to the next one at once, as
// HAProxy's retries with redispatch do.
package lb

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"time"
)

// maxBody bounds a buffered request body (an SDP offer is a few KB).
const maxBody = 1 << 20

// LB is a running balancer.
type LB struct {
	srv      *httptest.Server
	backends []string
	// roundRobin: each request starts at the next node; otherwise every
	// request tries the nodes in their given order (the first one up wins).
	roundRobin bool
	next       atomic.Uint64
	hc         *http.Client
}

// Start listens on a loopback port in front of backends (http://host:port).
func Start(backends []string, roundRobin bool) *LB {
	l := &LB{backends: backends, roundRobin: roundRobin,
		hc: &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	l.srv = httptest.NewServer(http.HandlerFunc(l.serve))
	return l
}

// URL is the balancer's origin.
func (l *LB) URL() string { return l.srv.URL }

// Close stops the balancer.
func (l *LB) Close() { l.srv.Close() }

func (l *LB) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	start := 0
	if l.roundRobin {
		start = int(l.next.Add(1) % uint64(len(l.backends)))
	}
	for i := range l.backends {
		n := l.backends[(start+i)%len(l.backends)]
		u, err := url.Parse(n)
		if err != nil {
			continue
		}
		out, err := http.NewRequestWithContext(r.Context(), r.Method, n+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			continue
		}
		out.Header = r.Header.Clone()
		out.Host = u.Host
		resp, err := l.hc.Do(out)
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			continue // down: the next node
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
		resp.Body.Close()
		return
	}
	http.Error(w, "no node up", http.StatusBadGateway)
}
