// Package config parses `haven serve` flags; every flag can also be set with
// a HAVEN_* environment variable (flag wins over environment).
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/havenvr/haven/server/gctune"
	"github.com/havenvr/haven/server/wire"
)

// Config is everything `haven serve` needs.
type Config struct {
	Addr          string
	DataDir       string
	DSN           string
	Synchronous   string
	TLSCert       string
	TLSKey        string
	TLSSelfSigned bool
	PublicIP      string
	UDPPort       int
	ICEServers    []ICEServer
	LoopbackOnly  bool
	Demo          bool
	LogFormat     string
	LogLevel      string
	// PublicURL is the origin users reach the server at (scheme://host[:port]),
	// used for every link the server builds; empty: the listen address.
	PublicURL string
	// TrustedProxies are the peers whose X-Forwarded-For and
	// X-Forwarded-Proto headers are believed; from anyone else they are ignored.
	TrustedProxies []*net.IPNet
	// MetricsToken, when set, is the bearer token /metrics requires.
	MetricsToken string
	// MetricsAddr, when set, serves /metrics on its own listener instead of
	// the public one.
	MetricsAddr string
	// GC is the garbage collector's policy (package gctune); GOGC and
	// GOMEMLIMIT in the environment still win.
	GC gctune.Policy
	// NATS lists the NATS servers a cluster's nodes coordinate through
	// (DESIGN.md §10); empty: a single node.
	NATS []string
	// NodeID names this node in the cluster (default: random per start).
	NodeID string
	// NodeURL is where the other nodes reach this node to forward requests
	// for the rooms it owns (default: --public-url, else the listen address).
	NodeURL string
	// LeaseTTL is how long a room stays with a node that stopped renewing.
	LeaseTTL time.Duration
	// SignalsBatch is how often a patient headset sends its biosignal
	// batches (hello.batch_ms, docs/protocol.md): 250 ms to 1 s.
	SignalsBatch time.Duration
	// CommitTimeout bounds one biosignal commit, waiting on a busy database
	// included (0: ingest's default, 30 s); fault tests shorten it.
	CommitTimeout time.Duration
}

// Parse reads flags from args and HAVEN_* variables from env.
func Parse(args []string, env func(string) string, stderr io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("haven serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var ice, memLimit, proxies, natsURLs string
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "HTTP(S) listen address")
	fs.StringVar(&c.DataDir, "data", "./data", "data directory (SQLite at DIR/haven.db, TLS certificate)")
	fs.StringVar(&c.DSN, "db", "", "SQLite database file instead of DIR/haven.db, or postgres://user:password@host/db: one PostgreSQL database shared by several nodes")
	fs.StringVar(&natsURLs, "nats", "", "comma-separated NATS URLs (nats://host:4222): join a cluster of nodes sharing a PostgreSQL --db (docs/deploy-cluster.md)")
	fs.StringVar(&c.NodeID, "node-id", "", "this node's name in the cluster (default: random)")
	fs.StringVar(&c.NodeURL, "node-url", "", "origin the other nodes reach this node at, to forward requests for rooms it owns (default: --public-url, else the listen address)")
	fs.DurationVar(&c.LeaseTTL, "lease-ttl", 15*time.Second, "how long a room stays with a node that stopped renewing its lease (≥ 15 s with a NATS cluster: a NATS leader election takes up to 9 s)")
	fs.DurationVar(&c.SignalsBatch, "signals-batch", 250*time.Millisecond, "how often a patient headset sends its biosignal batches, 250ms to 1s (docs/protocol.md): longer sends fewer messages, and the console's per-second metrics and the biosignal alerts learn of a sample up to that much later")
	fs.StringVar(&c.Synchronous, "sync", "NORMAL", "SQLite durability: NORMAL (survives a crash) or FULL (survives power loss)")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "TLS certificate file (PEM)")
	fs.StringVar(&c.TLSKey, "tls-key", "", "TLS private key file (PEM)")
	fs.BoolVar(&c.TLSSelfSigned, "tls-self-signed", false, "generate and keep a self-signed certificate in the data directory (LAN use)")
	fs.StringVar(&c.PublicIP, "public-ip", "", "public IP announced for WebRTC behind 1:1 NAT")
	fs.IntVar(&c.UDPPort, "udp-port", 0, "one UDP port for all WebRTC traffic (0: any free port)")
	fs.StringVar(&ice, "ice-server", "", "comma-separated STUN/TURN servers handed to clients; a TURN server's credential in its query: turn:host:3478?transport=udp&username=NAME&credential=SECRET")
	fs.BoolVar(&c.LoopbackOnly, "loopback-only", false, "offer only loopback ICE candidates (tests, single-machine demos)")
	fs.BoolVar(&c.Demo, "demo", false, "seed a demo clinic, therapist, patient and group")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&c.PublicURL, "public-url", "", "origin users reach this server at, for links and QR codes (e.g. https://haven.example.org); default: the listen address")
	fs.StringVar(&proxies, "trusted-proxy", "", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For/-Proto headers are trusted (e.g. 10.0.0.5/32)")
	fs.StringVar(&c.MetricsToken, "metrics-token", "", "bearer token required by /metrics on the public listener")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", "", "serve /metrics on this address only (e.g. 127.0.0.1:9090), not on the public listener")
	fs.IntVar(&c.GC.Percent, "gc-percent", gctune.DefaultPercent, "garbage collection target (GOGC): higher collects less often, for shorter latency tails and a larger heap")
	fs.StringVar(&memLimit, "memory-limit", "auto", "soft memory limit the collector keeps under: auto (a quarter of RAM, at least 1 GiB), off, or a size like 2GiB")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: haven serve [flags]\n\nEvery flag can also be set as HAVEN_<FLAG> (e.g. HAVEN_ADDR, HAVEN_TLS_SELF_SIGNED=true).\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\nExamples:\n  haven serve --demo --data ./data\n  haven serve --addr 0.0.0.0:8443 --tls-self-signed --udp-port 50000\n  haven serve --addr :443 --tls-cert cert.pem --tls-key key.pem --public-ip 203.0.113.7\n")
	}
	if err := applyEnv(fs, env); err != nil {
		return c, err
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("config: unexpected argument %q", fs.Arg(0))
	}
	lim, err := gctune.ParseLimit(memLimit)
	if err != nil {
		return c, fmt.Errorf("config: --memory-limit: %w", err)
	}
	c.GC.LimitBytes = lim
	if c.SignalsBatch < wire.MinBatch || c.SignalsBatch > wire.MaxBatch {
		return c, fmt.Errorf("config: --signals-batch %s: want %s to %s", c.SignalsBatch, wire.MinBatch, wire.MaxBatch)
	}
	if ice != "" {
		for _, s := range strings.Split(ice, ",") {
			if s = strings.TrimSpace(s); s != "" {
				srv, err := ParseICEServer(s)
				if err != nil {
					return c, err
				}
				c.ICEServers = append(c.ICEServers, srv)
			}
		}
	}
	if c.TrustedProxies, err = parseCIDRs(proxies); err != nil {
		return c, err
	}
	for _, u := range strings.Split(natsURLs, ",") {
		if u = strings.TrimSpace(u); u != "" {
			c.NATS = append(c.NATS, u)
		}
	}
	c.NodeURL = strings.TrimSuffix(c.NodeURL, "/")
	c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	return c, c.validate()
}

// parseCIDRs reads a comma-separated list of CIDRs; a bare address means
// that one host (/32 or /128).
func parseCIDRs(list string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			ip := net.ParseIP(s)
			if ip == nil {
				return nil, fmt.Errorf("config: --trusted-proxy %q is not a CIDR or IP address", s)
			}
			bits := 128
			if ip.To4() != nil {
				ip, bits = ip.To4(), 32
			}
			out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			continue
		}
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return nil, fmt.Errorf("config: --trusted-proxy %q: %w", s, err)
		}
		out = append(out, n)
	}
	return out, nil
}

// applyEnv sets each flag from HAVEN_<NAME> before the command line is parsed.
func applyEnv(fs *flag.FlagSet, env func(string) string) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		name := "HAVEN_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := env(name); v != "" && err == nil {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("config: %s=%q: %w", name, v, e)
			}
		}
	})
	return err
}

func (c Config) validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("config: --addr %q: %w", c.Addr, err)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("config: --tls-cert and --tls-key go together")
	}
	if c.TLSSelfSigned && c.TLSCert != "" {
		return errors.New("config: choose --tls-self-signed or --tls-cert/--tls-key, not both")
	}
	if c.PublicIP != "" && net.ParseIP(c.PublicIP) == nil {
		return fmt.Errorf("config: --public-ip %q is not an IP address", c.PublicIP)
	}
	if c.UDPPort < 0 || c.UDPPort > 65535 {
		return fmt.Errorf("config: --udp-port %d out of range", c.UDPPort)
	}
	if s := strings.ToUpper(c.Synchronous); s != "NORMAL" && s != "FULL" {
		return fmt.Errorf("config: --sync must be NORMAL or FULL")
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("config: --public-url %q: want an origin like https://haven.example.org", c.PublicURL)
		}
	}
	if err := c.validateCluster(); err != nil {
		return err
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			return fmt.Errorf("config: --metrics-addr %q: %w", c.MetricsAddr, err)
		}
	}
	if c.GC.Percent < 25 || c.GC.Percent > 10000 {
		return fmt.Errorf("config: --gc-percent %d: want 25–10000", c.GC.Percent)
	}
	return nil
}

// TLS reports whether the server terminates TLS.
func (c Config) TLS() bool { return c.TLSCert != "" || c.TLSSelfSigned }

// validateCluster checks the multi-node flags: a cluster shares one
// PostgreSQL database (each node's own SQLite file would split the data).
func (c Config) validateCluster() error {
	if len(c.NATS) == 0 {
		if c.NodeURL != "" || c.NodeID != "" {
			return errors.New("config: --node-id and --node-url need --nats")
		}
		return nil
	}
	if !strings.HasPrefix(c.DSN, "postgres://") && !strings.HasPrefix(c.DSN, "postgresql://") {
		return errors.New("config: --nats needs --db postgres://…: the nodes of a cluster share one PostgreSQL database")
	}
	for _, u := range c.NATS {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "nats" && p.Scheme != "tls") || p.Host == "" {
			return fmt.Errorf("config: --nats %q: want nats://host:port", u)
		}
	}
	if c.NodeURL != "" {
		u, err := url.Parse(c.NodeURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return fmt.Errorf("config: --node-url %q: want an origin like http://10.0.0.11:8080", c.NodeURL)
		}
	}
	if c.LeaseTTL < 2*time.Second {
		return fmt.Errorf("config: --lease-ttl %s: want at least 2s", c.LeaseTTL)
	}
	return nil
}
