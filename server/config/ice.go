package config

import (
	"fmt"
	"net/url"
	"strings"
)

// ICEServer is one STUN or TURN server (--ice-server): handed to the
// browsers and used by the server's own peers. Username and Credential are
// a TURN server's long-term credential (RFC 8489 §9.2); a STUN server has
// none.
type ICEServer struct {
	URL        string // stun:, stuns:, turn: or turns: URI without the credential
	Username   string
	Credential string
}

// String names the server without its credential (for logs and errors).
func (s ICEServer) String() string {
	if s.Username == "" {
		return s.URL
	}
	return s.URL + " (user " + s.Username + ")"
}

// ParseICEServer reads one --ice-server entry: a STUN or TURN URI (RFC 7064,
// RFC 7065) whose query may carry, besides transport=udp|tcp, the TURN
// credential as username= and credential= (percent-encoded), e.g.
// turn:turn.example.org:3478?transport=udp&username=haven&credential=s3cret.
// The credential is taken out of the URI, which browsers accept only with
// transport in its query. A TURN server needs both (a browser refuses one
// without), a STUN server takes neither. Errors never repeat the credential.
func ParseICEServer(s string) (ICEServer, error) {
	base, query, _ := strings.Cut(strings.TrimSpace(s), "?")
	scheme, host, ok := strings.Cut(base, ":")
	scheme = strings.ToLower(scheme)
	if !ok || host == "" || strings.HasPrefix(host, "/") || strings.ContainsAny(host, "@ ") {
		if i := strings.LastIndex(base, "@"); i >= 0 {
			base = "…" + base[i:] // user:password@host: never into a log
		}
		return ICEServer{}, fmt.Errorf("config: --ice-server %q: want stun:host[:port] or turn:host[:port][?transport=udp|tcp&username=…&credential=…]", base)
	}
	turn := scheme == "turn" || scheme == "turns"
	if !turn && scheme != "stun" && scheme != "stuns" {
		return ICEServer{}, fmt.Errorf("config: --ice-server %q: the scheme must be stun, stuns, turn or turns", base)
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return ICEServer{}, fmt.Errorf("config: --ice-server %q: its query does not parse (percent-encode a credential's %%, & and , characters)", base)
	}
	out := ICEServer{URL: scheme + ":" + host}
	for k, v := range q {
		if len(v) != 1 {
			return ICEServer{}, fmt.Errorf("config: --ice-server %q: %s given %d times", base, k, len(v))
		}
		switch k {
		case "transport":
			if !turn || (v[0] != "udp" && v[0] != "tcp") {
				return ICEServer{}, fmt.Errorf("config: --ice-server %q: transport is udp or tcp, and only for turn", base)
			}
			out.URL += "?transport=" + v[0]
		case "username":
			out.Username = v[0]
		case "credential":
			out.Credential = v[0]
		default:
			return ICEServer{}, fmt.Errorf("config: --ice-server %q: unknown parameter %q (transport, username, credential)", base, k)
		}
	}
	switch {
	case turn && (out.Username == "" || out.Credential == ""):
		return ICEServer{}, fmt.Errorf("config: --ice-server %q: a TURN server needs username= and credential=", base)
	case !turn && (out.Username != "" || out.Credential != ""):
		return ICEServer{}, fmt.Errorf("config: --ice-server %q: a STUN server takes no username or credential", base)
	}
	return out, nil
}
