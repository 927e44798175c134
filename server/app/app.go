// Package app wires Haven's parts into one running service: store, HTTP
// edge, accounts, patients, localization, live sessions and support groups.
package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/havenvr/haven/clients"
	"github.com/havenvr/haven/i18n"
	"github.com/havenvr/haven/server/auth"
	"github.com/havenvr/haven/server/clinic"
	"github.com/havenvr/haven/server/cluster"
	"github.com/havenvr/haven/server/compose"
	"github.com/havenvr/haven/server/config"
	"github.com/havenvr/haven/server/groups"
	"github.com/havenvr/haven/server/ingest"
	"github.com/havenvr/haven/server/live"
	"github.com/havenvr/haven/server/localize"
	"github.com/havenvr/haven/server/metrics"
	"github.com/havenvr/haven/server/notify"
	"github.com/havenvr/haven/server/owner"
	"github.com/havenvr/haven/server/ratelimit"
	"github.com/havenvr/haven/server/rtc"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/tlsutil"
	"github.com/havenvr/haven/server/web"
	"github.com/havenvr/haven/server/wire"
)

// Version is the build's version, set by the linker.
var Version = "dev"

// App is a configured, not yet listening, Haven service.
type App struct {
	Config   config.Config
	Log      *slog.Logger
	Store    *store.Store
	Metrics  *metrics.Metrics
	Web      *web.Server
	Auth     *auth.Service
	Clinic   *clinic.Service
	Localize *localize.Service
	// RTC is the one WebRTC engine (one UDP port) shared by every peer kind.
	RTC    *rtc.Engine
	Groups *groups.Service
	// Compose serves templates, compositions and protocols, and resolves the
	// exact revisions live sessions run (ResolveProtocol, ResolveComposition).
	Compose *compose.Service
	// Ingest stores biosignal batches; Live runs live sessions on it.
	Ingest *ingest.Writer
	Live   *live.Service

	// Cluster is this node's membership of a cluster (with --nats); nil on
	// a single node.
	Cluster *cluster.Node
	// Notify carries notifications to staff pages (GET /api/events): in
	// this process, and over NATS subjects in a cluster.
	Notify *notify.Hub

	// MetricsAddr is the metrics listener's address (with --metrics-addr).
	MetricsAddr string

	tlsConfig   *tls.Config
	Fingerprint string
	closers     []func(context.Context) error
	// publicURL is --public-url, or the listener's address once Listen ran.
	publicURL atomic.Pointer[string]
}

// New opens the store and builds every service.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	a := &App{Config: cfg, Log: log, Metrics: metrics.New()}
	st, err := store.Open(ctx, store.Options{DataDir: cfg.DataDir, DSN: cfg.DSN, Synchronous: cfg.Synchronous, Logger: log})
	if err != nil {
		return nil, err
	}
	a.Store = st
	a.closers = append(a.closers, func(context.Context) error { return st.Close() })
	if err := a.loadTLS(); err != nil {
		_ = st.Close()
		return nil, err
	}
	bundle, err := i18n.Load()
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	a.Localize, err = localize.New(ctx, bundle, st)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	a.Web = web.New(web.Options{Logger: log, Store: st, Metrics: a.Metrics, TLS: cfg.TLS(), Version: Version, Translator: a.Localize,
		TrustedProxies: cfg.TrustedProxies, MetricsToken: cfg.MetricsToken})
	a.Auth = auth.New(st, log, cfg.TLS())
	a.Auth.Register(a.Web)
	if err := a.joinCluster(ctx); err != nil {
		_ = st.Close()
		return nil, err
	}
	if err := a.wireNotify(log); err != nil {
		_ = st.Close()
		return nil, err
	}
	a.Localize.SetAuth(a.Auth)
	a.Localize.Register(a.Web)
	a.Clinic = clinic.New(st, a.Auth, bundle)
	a.Clinic.Register(a.Web)
	if err := a.wireRTC(cfg, log); err != nil {
		_ = st.Close()
		return nil, err
	}
	a.wireGroups(log, bundle)
	if a.Compose, err = compose.New(st, a.Auth, a.Clinic, log); err != nil {
		_ = st.Close()
		return nil, err
	}
	a.Compose.Register(a.Web)
	if err := a.wireLive(log, bundle); err != nil {
		_ = st.Close()
		return nil, err
	}
	a.serveClients()
	return a, nil
}

// wireNotify starts the notification hub, on the cluster's NATS
// connection when there is one. Its closer runs after the services that
// publish (closers run in reverse).
func (a *App) wireNotify(log *slog.Logger) error {
	opts := notify.Options{Node: a.Config.NodeID, Logger: log}
	if a.Cluster != nil {
		opts.Conn, opts.Node = a.Cluster.Conn(), a.Cluster.ID()
	}
	h, err := notify.New(opts)
	if err != nil {
		return err
	}
	a.Notify = h
	h.Register(a.Web, a.Auth)
	a.closers = append(a.closers, h.Close)
	return nil
}

// wireRTC creates the one WebRTC engine (one UDP port) every peer kind shares.
func (a *App) wireRTC(cfg config.Config, log *slog.Logger) error {
	ice := make([]rtc.ICEServer, 0, len(cfg.ICEServers))
	for _, s := range cfg.ICEServers {
		ice = append(ice, rtc.ICEServer{URLs: []string{s.URL}, Username: s.Username, Credential: s.Credential})
	}
	e, err := rtc.NewEngine(rtc.Options{LoopbackOnly: cfg.LoopbackOnly, UDPPort: cfg.UDPPort, PublicIP: cfg.PublicIP,
		ICEServers: ice, Logger: log})
	if err != nil {
		return err
	}
	a.RTC = e
	a.closers = append(a.closers, func(context.Context) error { return e.Close() })
	return nil
}

// wireGroups starts the support-group service.
func (a *App) wireGroups(log *slog.Logger, bundle *i18n.Bundle) {
	a.Groups = groups.New(groups.Options{Store: a.Store, Auth: a.Auth, Engine: a.RTC, Bundle: bundle, Metrics: a.Metrics, Logger: log,
		SharedLimits: a.sharedLimits(), Notify: a.Notify, Owner: a.ownership()})
	a.Groups.Register(a.Web)
	a.closers = append(a.closers, a.Groups.Close)
}

// wireLive starts the biosignal writer and the live-session service. Closers
// run in reverse: live peers are told and stop sending first, then the
// writer commits and acknowledges what is queued.
func (a *App) wireLive(log *slog.Logger, bundle *i18n.Bundle) error {
	w, err := ingest.NewWriter(a.Store, ingest.Options{Logger: log, CommitTimeout: a.Config.CommitTimeout})
	if err != nil {
		return err
	}
	a.Ingest = w
	a.closers = append(a.closers, w.Close)
	a.Live, err = live.New(live.Options{Store: a.Store, Auth: a.Auth, Clinic: a.Clinic, RTC: a.RTC, Sink: w, Resolve: a.Compose, Metrics: a.Metrics,
		Logger: log, Crisis: a.crisisLine, PublicURL: a.PublicURL, Owner: a.ownership(), SharedLimits: a.sharedLimits(), Notify: a.Notify,
		SignalsBatch: a.Config.SignalsBatch,
		Translate: func(clinicID, loc, id string, data map[string]any) string {
			s, err := bundle.Localizer(clinicID, loc).Lookup(id, data)
			if err != nil {
				return id
			}
			return s
		}})
	if err != nil {
		return err
	}
	a.Live.Register(a.Web)
	a.closers = append(a.closers, a.Live.Close)
	return nil
}

// joinCluster connects to NATS with --nats (DESIGN.md §10). Its closer is
// added before the live service's, so it runs after: live peers are told
// first, then the leases are released for the other nodes to take over.
func (a *App) joinCluster(ctx context.Context) error {
	if len(a.Config.NATS) == 0 {
		return nil
	}
	n, err := cluster.Join(ctx, cluster.Options{URLs: a.Config.NATS, NodeID: a.Config.NodeID, URL: a.NodeURL,
		LeaseTTL: a.Config.LeaseTTL, Logger: a.Log})
	if err != nil {
		return err
	}
	a.Cluster = n
	a.Auth.ShareLimits(n)
	a.closers = append(a.closers, n.Close)
	return nil
}

// ownership is the owner election of live sessions' and support rooms'
// rooms: the cluster's leases, or none on a single node (nil interface,
// not a nil pointer in one).
func (a *App) ownership() owner.Ownership {
	if a.Cluster == nil {
		return nil
	}
	return cluster.Rooms{Node: a.Cluster}
}

// sharedLimits are the cluster's shared token buckets, or none.
func (a *App) sharedLimits() ratelimit.Shared {
	if a.Cluster == nil {
		return nil
	}
	return a.Cluster
}

// NodeURL is where the other nodes of a cluster reach this one: --node-url,
// else the public URL.
func (a *App) NodeURL() string {
	if a.Config.NodeURL != "" {
		return a.Config.NodeURL
	}
	return a.PublicURL()
}

// crisisLine is the clinic's helpline for the headset's safety panel.
func (a *App) crisisLine(ctx context.Context, clinicID string) wire.Crisis {
	r, ok := a.Groups.CrisisLine(ctx, clinicID)
	if !ok {
		return wire.Crisis{}
	}
	return wire.Crisis{Name: r.Name, Number: r.Phone, Text: r.Text, Hours: r.Hours, LastVerified: r.LastVerified.Format(time.DateOnly)}
}

func (a *App) loadTLS() error {
	var err error
	switch {
	case a.Config.TLSSelfSigned:
		a.tlsConfig, a.Fingerprint, err = tlsutil.SelfSigned(a.Config.DataDir+"/tls", time.Now())
	case a.Config.TLSCert != "":
		a.tlsConfig, err = tlsutil.Load(a.Config.TLSCert, a.Config.TLSKey)
	}
	return err
}

// Listen opens the HTTP listener (separate from Serve so callers learn the
// port) and, with --metrics-addr, the metrics listener.
func (a *App) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return nil, fmt.Errorf("app: listening on %s: %w", a.Config.Addr, err)
	}
	base := a.BaseURL(ln)
	if a.Config.PublicURL != "" {
		base = a.Config.PublicURL
	}
	a.publicURL.Store(&base)
	if a.Config.MetricsAddr != "" {
		if err := a.listenMetrics(); err != nil {
			_ = ln.Close()
			return nil, err
		}
	}
	return ln, nil
}

// PublicURL is the origin every link the server builds starts with:
// --public-url, else the listen address. Never a request's Host header.
func (a *App) PublicURL() string {
	if p := a.publicURL.Load(); p != nil {
		return *p
	}
	return a.Config.PublicURL
}

// listenMetrics serves /metrics alone on --metrics-addr (plain HTTP: keep it
// on loopback or a private network).
func (a *App) listenMetrics() error {
	ln, err := net.Listen("tcp", a.Config.MetricsAddr)
	if err != nil {
		return fmt.Errorf("app: listening on --metrics-addr %s: %w", a.Config.MetricsAddr, err)
	}
	a.MetricsAddr = ln.Addr().String()
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.Web.MetricsHandler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn)}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.Log.Error("metrics listener stopped", slog.Any("err", err))
		}
	}()
	a.closers = append(a.closers, srv.Shutdown)
	return nil
}

// Serve serves on ln until ctx ends, then shuts everything down in order:
// HTTP first, then live peers (told, flushed), then the store.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	err := a.Web.Serve(ctx, ln, a.tlsConfig)
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	for i := len(a.closers) - 1; i >= 0; i-- {
		if cerr := a.closers[i](shutdownCtx); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}
	return err
}

// BaseURL is the address users open, from the listener's address.
func (a *App) BaseURL(ln net.Listener) string {
	scheme := "http"
	if a.tlsConfig != nil {
		scheme = "https"
	}
	addr := ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "localhost"
	} else if addr.IP.To4() == nil {
		host = "[" + host + "]"
	}
	return fmt.Sprintf("%s://%s:%d", scheme, host, addr.Port)
}

// serveClients mounts the embedded browser apps: the console at /, the
// patient's WebXR client at /xr/ (join links /j/CODE), support rooms at /room/.
func (a *App) serveClients() {
	const notBuilt = "Haven's browser clients are not built into this binary. Run `make build` (or `make run`)."
	for _, app := range []struct{ prefix, name string }{{"/xr/", "webxr"}, {"/room/", "room"}, {"/", "console"}} {
		fsys, err := clients.App(app.name)
		if err != nil {
			continue
		}
		a.Web.ServeApp(app.prefix, fsys, notBuilt)
	}
	// The code travels in the fragment so it never reaches a server log.
	a.Web.Echo.GET("/j/:code", func(c echo.Context) error {
		return c.Redirect(http.StatusFound, "/xr/#code="+url.PathEscape(c.Param("code")))
	})
}
