// Package faultnet is a pion transport.Net whose UDP sockets pass through a
// fault that tests change at run time — independent loss, one-way delay with
// jitter, a blackout — while real UDP sockets on loopback stay underneath.
//
// Give it to one peer's SettingEngine (rtc.NewClientAPI(rtc.WithNet(n))) and
// that peer's link is hurt in both directions as seen from the peer:
// Outbound is what it sends, Inbound what it receives. It is the real-socket
// counterpart of pion's vnet, for tests that need the real server's UDP
// stack on the other side.
package faultnet

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/pion/transport/v4"
	"github.com/pion/transport/v4/stdnet"
)

// Direction selects the datagrams a fault applies to, from the host's side.
type Direction uint8

const (
	// Outbound is what the host sends.
	Outbound Direction = 1 << iota
	// Inbound is what the host receives.
	Inbound
	// Both directions.
	Both = Outbound | Inbound
)

func (d Direction) String() string {
	switch d {
	case Outbound:
		return "outbound"
	case Inbound:
		return "inbound"
	case Both:
		return "both"
	}
	return fmt.Sprintf("Direction(%d)", uint8(d))
}

// Fault is what happens to each datagram in one direction. The zero value
// passes everything at once.
type Fault struct {
	// Loss is the probability, in [0, 1], that a datagram is dropped; each
	// datagram is decided independently (Bernoulli loss, no bursts).
	Loss float64
	// Delay is added to every datagram that passes.
	Delay time.Duration
	// Jitter spreads the delay uniformly over [Delay-Jitter, Delay+Jitter]
	// (never below zero); datagrams may then overtake each other, as on a
	// real path.
	Jitter time.Duration
	// Blackout drops everything (a dead path; the socket stays open).
	Blackout bool
}

// Counters count datagrams in one direction.
type Counters struct {
	// Packets met the fault (every datagram written or read).
	Packets uint64
	// Dropped were discarded (loss or blackout).
	Dropped uint64
	// Delayed passed with a delay above zero.
	Delayed uint64
}

// Stats are the counters of both directions.
type Stats struct {
	Outbound, Inbound Counters
}

// Net is a transport.Net over the host's real network whose UDP sockets
// apply the current faults. Interfaces, addresses and TCP are stdnet's,
// untouched. Safe for concurrent use.
type Net struct {
	*stdnet.Net

	mu     sync.Mutex
	faults [2]Fault    // outbound, inbound
	stats  [2]Counters // outbound, inbound
	rng    *rand.Rand  // guarded by mu
}

var _ transport.Net = (*Net)(nil)

// New returns a Net with no fault. The seed fixes the loss and jitter
// draws: the same sequence of datagrams meets the same fate on every run
// (with many sockets the sequence is their interleaving).
func New(seed uint64) (*Net, error) {
	sn, err := stdnet.NewNet()
	if err != nil {
		return nil, fmt.Errorf("faultnet: %w", err)
	}
	return &Net{Net: sn, rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))}, nil
}

// SetFault replaces the fault of the given directions; datagrams already
// delayed keep their delivery time.
func (n *Net) SetFault(dir Direction, f Fault) {
	f.Loss = min(max(f.Loss, 0), 1)
	f.Delay, f.Jitter = max(f.Delay, 0), max(f.Jitter, 0)
	n.mu.Lock()
	defer n.mu.Unlock()
	for i := range n.faults {
		if dir&(1<<i) != 0 {
			n.faults[i] = f
		}
	}
}

// SetBlackout turns the blackout of the given directions on or off and
// leaves their loss and delay as they are.
func (n *Net) SetBlackout(dir Direction, on bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for i := range n.faults {
		if dir&(1<<i) != 0 {
			n.faults[i].Blackout = on
		}
	}
}

// Fault returns the current fault of one direction (Outbound or Inbound).
func (n *Net) Fault(dir Direction) Fault {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.faults[dirIndex(dir)]
}

// Stats returns the counters so far.
func (n *Net) Stats() Stats {
	n.mu.Lock()
	defer n.mu.Unlock()
	return Stats{Outbound: n.stats[0], Inbound: n.stats[1]}
}

func dirIndex(dir Direction) int {
	if dir == Inbound {
		return 1
	}
	return 0
}

// decide draws one datagram's fate in a direction: dropped, or delivered
// after delay.
func (n *Net) decide(dir Direction) (drop bool, delay time.Duration) {
	i := dirIndex(dir)
	n.mu.Lock()
	defer n.mu.Unlock()
	f := n.faults[i]
	c := &n.stats[i]
	c.Packets++
	if f.Blackout || (f.Loss > 0 && n.rng.Float64() < f.Loss) {
		c.Dropped++
		return true, 0
	}
	delay = f.Delay
	if f.Jitter > 0 {
		delay += time.Duration(n.rng.Int64N(int64(2*f.Jitter)+1)) - f.Jitter
		delay = max(delay, 0)
	}
	if delay > 0 {
		c.Delayed++
	}
	return false, delay
}

func isUDP(network string) bool { return strings.HasPrefix(network, "udp") }

// ListenPacket opens a UDP socket through the fault; other networks pass.
func (n *Net) ListenPacket(network, address string) (net.PacketConn, error) {
	return n.CreateListenConfig(&net.ListenConfig{}).ListenPacket(context.Background(), network, address)
}

// ListenUDP opens a UDP socket through the fault.
func (n *Net) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := net.ListenUDP(network, laddr)
	if err != nil {
		return nil, err
	}
	return n.wrap(c), nil
}

// Dial connects; UDP goes through the fault, other networks pass.
func (n *Net) Dial(network, address string) (net.Conn, error) {
	return n.CreateDialer(&net.Dialer{}).Dial(network, address)
}

// DialUDP connects a UDP socket through the fault.
func (n *Net) DialUDP(network string, laddr, raddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := net.DialUDP(network, laddr, raddr)
	if err != nil {
		return nil, err
	}
	return n.wrap(c), nil
}

// CreateDialer returns a dialer whose UDP connections go through the fault.
func (n *Net) CreateDialer(d *net.Dialer) transport.Dialer { return dialer{d, n} }

// CreateListenConfig returns a listen config whose UDP sockets go through the fault.
func (n *Net) CreateListenConfig(lc *net.ListenConfig) transport.ListenConfig {
	return listenConfig{lc, n}
}

type dialer struct {
	*net.Dialer
	n *Net
}

func (d dialer) Dial(network, address string) (net.Conn, error) {
	c, err := d.Dialer.Dial(network, address)
	if err != nil || !isUDP(network) {
		return c, err
	}
	return d.n.wrap(c.(*net.UDPConn)), nil
}

type listenConfig struct {
	*net.ListenConfig
	n *Net
}

func (l listenConfig) ListenPacket(ctx context.Context, network, address string) (net.PacketConn, error) {
	c, err := l.ListenConfig.ListenPacket(ctx, network, address)
	if err != nil || !isUDP(network) {
		return c, err
	}
	return l.n.wrap(c.(*net.UDPConn)), nil
}
