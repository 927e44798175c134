// Package cluster joins a Haven node to others through NATS (DESIGN.md §10):
// one owning node per live session and support room, held as a lease in a
// JetStream key-value bucket whose TTL expires it when the owner stops
// renewing (it died, or lost NATS); node membership in a second bucket;
// token buckets for rate limits shared by every node in a third; and plain
// subjects for notifications between nodes. No consensus or bus of its own:
// NATS's JetStream (Raft in a NATS cluster) decides every race.
//
// A lease's holder renews it every TTL/5 with a compare-and-set on the
// revision it wrote last. It treats the lease as lost, and calls the room's
// lost function, as soon as a renewal finds another value, or when
// TTL − TTL/5 has passed since the send time of its last successful
// renewal: before the key can expire and another node take it.
package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Bucket names in JetStream.
const (
	leaseBucket  = "haven_leases"
	nodeBucket   = "haven_nodes"
	limitsBucket = "haven_limits"
)

// DefaultLeaseTTL outlasts a JetStream stream-leader election in a
// three-node NATS cluster (Raft election timeout 4–9 s) plus one renewal
// interval, so a NATS node's crash does not hand a room to another Haven
// node. A single NATS server has no elections and can use less.
const DefaultLeaseTTL = 15 * time.Second

// Options configure a node.
type Options struct {
	// URLs are the NATS servers (nats://host:port), any of a cluster.
	URLs []string
	// NodeID names this node; default: a random one per process.
	NodeID string
	// URL is the address other nodes forward this node's rooms' requests
	// to (its own origin, not a load balancer's); called when a lease is
	// written, so it may be known only once the listener is open.
	URL func() string
	// LeaseTTL is the lease lifetime without renewal (default 15 s).
	LeaseTTL time.Duration
	// Replicas is each bucket's replica count: 1 for one NATS server, 3 in
	// a NATS cluster (default: 3 when several URLs are given, else 1).
	Replicas int
	Logger   *slog.Logger
}

// Node is this process's membership of the cluster.
type Node struct {
	opts   Options
	id     string
	token  string
	log    *slog.Logger
	nc     *nats.Conn
	js     jetstream.JetStream
	leases jetstream.KeyValue
	nodes  jetstream.KeyValue
	limits jetstream.KeyValue

	mu     sync.Mutex
	held   map[string]*lease
	closed bool
	stop   chan struct{}
	wg     sync.WaitGroup
}

// lease is one key this node holds.
type lease struct {
	rev    uint64
	okSent time.Time // send time of the last successful write
	lost   func()
}

// Holder is a lease's value: who holds it and where to reach them.
type Holder struct {
	Node  string `json:"node"`
	URL   string `json:"url"`
	Token string `json:"token"`
}

// ErrClosed is returned after Close.
var ErrClosed = errors.New("cluster: node closed")

// Join connects to NATS, creates the buckets if needed and starts renewing.
func Join(ctx context.Context, opts Options) (*Node, error) {
	if len(opts.URLs) == 0 {
		return nil, errors.New("cluster: at least one NATS URL is required")
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = DefaultLeaseTTL
	}
	if opts.LeaseTTL < time.Second {
		return nil, fmt.Errorf("cluster: lease TTL %s is below JetStream's 1 s resolution", opts.LeaseTTL)
	}
	if opts.Replicas <= 0 {
		opts.Replicas = 1
		if len(opts.URLs) > 1 {
			opts.Replicas = 3
		}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.URL == nil {
		opts.URL = func() string { return "" }
	}
	tok := make([]byte, 12)
	_, _ = rand.Read(tok)
	n := &Node{opts: opts, id: opts.NodeID, token: hex.EncodeToString(tok), log: opts.Logger,
		held: map[string]*lease{}, stop: make(chan struct{})}
	if n.id == "" {
		n.id = "node-" + n.token[:8]
	}
	nc, err := nats.Connect(strings.Join(opts.URLs, ","), nats.Name("haven "+n.id),
		nats.MaxReconnects(-1), nats.ReconnectWait(250*time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			n.log.Warn("cluster: NATS disconnected", slog.Any("err", err))
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			n.log.Info("cluster: NATS reconnected", slog.String("server", c.ConnectedUrlRedacted()))
		}))
	if err != nil {
		return nil, fmt.Errorf("cluster: connecting to NATS %s: %w", strings.Join(opts.URLs, ","), err)
	}
	n.nc = nc
	if err := n.buckets(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	if err := n.announce(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	n.wg.Add(1)
	go n.renewLoop()
	n.log.Info("cluster: joined", slog.String("node", n.id), slog.Duration("lease_ttl", opts.LeaseTTL), slog.Int("replicas", opts.Replicas))
	return n, nil
}

func (n *Node) buckets(ctx context.Context) error {
	js, err := jetstream.New(n.nc)
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	n.js = js
	mk := func(name string, ttl time.Duration, history uint8) (jetstream.KeyValue, error) {
		// A bucket's TTL is its stream's MaxAge: every write restarts a
		// key's clock, so a key unwritten for TTL disappears.
		cfg := jetstream.KeyValueConfig{Bucket: name, TTL: ttl, History: history, Replicas: n.opts.Replicas, Storage: jetstream.FileStorage}
		var kv jetstream.KeyValue
		var err error
		// A new R3 bucket may answer "no responders" until interest spreads.
		for try := 0; try < 20; try++ {
			if kv, err = js.CreateOrUpdateKeyValue(ctx, cfg); err == nil {
				return kv, nil
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(250 * time.Millisecond):
			}
		}
		return nil, fmt.Errorf("cluster: creating bucket %s: %w", name, err)
	}
	if n.leases, err = mk(leaseBucket, n.opts.LeaseTTL, 1); err != nil {
		return err
	}
	if n.nodes, err = mk(nodeBucket, n.opts.LeaseTTL, 1); err != nil {
		return err
	}
	n.limits, err = mk(limitsBucket, time.Hour, 1)
	return err
}

// ID is this node's name.
func (n *Node) ID() string { return n.id }

// LeaseTTL is the lease lifetime in force.
func (n *Node) LeaseTTL() time.Duration { return n.opts.LeaseTTL }

// Conn is the NATS connection (for subjects).
func (n *Node) Conn() *nats.Conn { return n.nc }

func (n *Node) self() Holder { return Holder{Node: n.id, URL: n.opts.URL(), Token: n.token} }

// announce writes this node into the membership bucket.
func (n *Node) announce(ctx context.Context) error {
	b, _ := json.Marshal(n.self())
	if _, err := n.nodes.Put(ctx, n.id, b); err != nil {
		return fmt.Errorf("cluster: announcing node: %w", err)
	}
	return nil
}

// Members lists the nodes that announced themselves within the lease TTL.
func (n *Node) Members(ctx context.Context) ([]Holder, error) {
	lister, err := n.nodes.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("cluster: listing nodes: %w", err)
	}
	var out []Holder
	for k := range lister.Keys() {
		e, err := n.nodes.Get(ctx, k)
		if err != nil {
			continue
		}
		var h Holder
		if json.Unmarshal(e.Value(), &h) == nil {
			out = append(out, h)
		}
	}
	return out, nil
}

// Claim makes this node the holder of key if nobody holds it, and returns
// the holder: this node (Holder.Token is ours, see Mine) or another.
// lost runs once, on its own goroutine, if this node later loses the key.
func (n *Node) Claim(ctx context.Context, key string, lost func()) (Holder, error) {
	me := n.self()
	val, _ := json.Marshal(me)
	for try := 0; try < 3; try++ {
		n.mu.Lock()
		if n.closed {
			n.mu.Unlock()
			return Holder{}, ErrClosed
		}
		if _, ok := n.held[key]; ok {
			n.mu.Unlock()
			return me, nil
		}
		n.mu.Unlock()
		sent := time.Now()
		rev, err := n.leases.Create(ctx, key, val)
		if err == nil {
			n.mu.Lock()
			n.held[key] = &lease{rev: rev, okSent: sent, lost: lost}
			n.mu.Unlock()
			return me, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return Holder{}, fmt.Errorf("cluster: claiming %s: %w", key, err)
		}
		e, err := n.leases.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // expired between the two calls
		}
		if err != nil {
			return Holder{}, fmt.Errorf("cluster: reading %s: %w", key, err)
		}
		var h Holder
		if err := json.Unmarshal(e.Value(), &h); err != nil {
			return Holder{}, fmt.Errorf("cluster: lease %s holds %q: %w", key, e.Value(), err)
		}
		if h.Token == n.token {
			// Our own write whose answer was lost (a timeout during a NATS
			// leader election can still commit): adopt it.
			n.mu.Lock()
			n.held[key] = &lease{rev: e.Revision(), okSent: sent, lost: lost}
			n.mu.Unlock()
			return me, nil
		}
		return h, nil
	}
	return Holder{}, fmt.Errorf("cluster: claiming %s: the lease kept changing", key)
}

// Lookup returns the current holder of key without claiming it; ok is
// false when nobody holds it.
func (n *Node) Lookup(ctx context.Context, key string) (h Holder, ok bool, err error) {
	n.mu.Lock()
	_, mine := n.held[key]
	n.mu.Unlock()
	if mine {
		return n.self(), true, nil
	}
	e, err := n.leases.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Holder{}, false, nil
	}
	if err != nil {
		return Holder{}, false, fmt.Errorf("cluster: reading %s: %w", key, err)
	}
	if err := json.Unmarshal(e.Value(), &h); err != nil {
		return Holder{}, false, fmt.Errorf("cluster: lease %s: %w", key, err)
	}
	return h, true, nil
}

// Mine reports whether h is this node.
func (n *Node) Mine(h Holder) bool { return h.Token == n.token }

// Release gives key up at once (a room that ended, a node shutting down),
// so the next connection anywhere takes it without waiting for the TTL.
func (n *Node) Release(ctx context.Context, key string) {
	n.mu.Lock()
	l, ok := n.held[key]
	delete(n.held, key)
	n.mu.Unlock()
	if !ok {
		return
	}
	if err := n.leases.Delete(ctx, key, jetstream.LastRevision(l.rev)); err != nil && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		n.log.Warn("cluster: releasing lease", slog.String("key", key), slog.Any("err", err))
	}
}

// Held lists the keys this node holds.
func (n *Node) Held() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]string, 0, len(n.held))
	for k := range n.held {
		out = append(out, k)
	}
	return out
}

// renewLoop renews every held lease and the membership entry every TTL/5.
func (n *Node) renewLoop() {
	defer n.wg.Done()
	every := n.opts.LeaseTTL / 5
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-n.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), every)
			n.renewAll(ctx)
			if err := n.announce(ctx); err != nil {
				n.log.Warn("cluster: renewing membership", slog.Any("err", err))
			}
			cancel()
		}
	}
}

// renewers bounds the renewals in flight at once. One at a time, a node
// holding a hundred rooms on a loaded machine took longer than the renewal
// interval and lost leases it still served (haven bench live --nodes 2
// --sessions 200, BENCHMARKS.md); JetStream answers concurrent writes to
// different keys independently.
const renewers = 32

func (n *Node) renewAll(ctx context.Context) {
	val, _ := json.Marshal(n.self())
	n.mu.Lock()
	keys := make(map[string]uint64, len(n.held))
	for k, l := range n.held {
		keys[k] = l.rev
	}
	n.mu.Unlock()
	sem := make(chan struct{}, renewers)
	var wg sync.WaitGroup
	for key, rev := range keys {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			n.renew(ctx, key, rev, val)
		}()
	}
	wg.Wait()
	n.dropLate()
}

// renew writes one held key again, if it is still this node's.
func (n *Node) renew(ctx context.Context, key string, rev uint64, val []byte) {
	sent := time.Now()
	nrev, err := n.leases.Update(ctx, key, val, rev)
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyNotFound) {
		// A renewal that timed out may have committed: ours still?
		if e, gerr := n.leases.Get(ctx, key); gerr == nil {
			var h Holder
			if json.Unmarshal(e.Value(), &h) == nil && h.Token == n.token {
				nrev, err = e.Revision(), nil
			}
		}
		if err != nil {
			n.lose(key, rev, "held by another node")
			return
		}
	}
	n.mu.Lock()
	l, ok := n.held[key]
	switch {
	case !ok || l.rev != rev:
		// Released or re-claimed meanwhile.
	case err == nil:
		l.rev, l.okSent = nrev, sent
	}
	n.mu.Unlock()
	if err != nil {
		n.log.Warn("cluster: renewing lease", slog.String("key", key), slog.Any("err", err))
	}
}

// dropLate stops serving every key past the safe margin without a
// successful renewal: the key may expire any moment and another node take
// it, so stop serving first.
func (n *Node) dropLate() {
	limit := n.opts.LeaseTTL - n.opts.LeaseTTL/5
	n.mu.Lock()
	var late []string
	for k, l := range n.held {
		if time.Since(l.okSent) > limit {
			late = append(late, k)
		}
	}
	n.mu.Unlock()
	for _, k := range late {
		n.lose(k, 0, "not renewed in time")
	}
}

// lose drops key (if still at rev; 0: any) and tells its room.
func (n *Node) lose(key string, rev uint64, why string) {
	n.mu.Lock()
	l, ok := n.held[key]
	if !ok || (rev != 0 && l.rev != rev) {
		n.mu.Unlock()
		return
	}
	delete(n.held, key)
	n.mu.Unlock()
	n.log.Warn("cluster: lease lost; the room stops here", slog.String("key", key), slog.String("why", why))
	if l.lost != nil {
		go l.lost()
	}
}

// Close releases every lease (other nodes take the rooms at once), leaves
// the membership and disconnects.
func (n *Node) Close(ctx context.Context) error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	keys := make([]string, 0, len(n.held))
	for k := range n.held {
		keys = append(keys, k)
	}
	n.mu.Unlock()
	close(n.stop)
	n.wg.Wait()
	for _, k := range keys {
		n.Release(ctx, k)
	}
	_ = n.nodes.Delete(ctx, n.id)
	return n.nc.Drain()
}
