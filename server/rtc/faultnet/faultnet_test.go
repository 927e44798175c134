package faultnet_test

import (
	"encoding/binary"
	"errors"
	"math"
	"net"
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/transport/v4"

	"github.com/havenvr/haven/server/rtc/faultnet"
)

var loopback = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}

// link is a faulted socket and a plain one on loopback; the fault's
// Outbound is faulted → plain, its Inbound plain → faulted.
type link struct {
	fn      *faultnet.Net
	faulted transport.UDPConn
	plain   *net.UDPConn
}

func newLink(t *testing.T, seed uint64) *link {
	t.Helper()
	fn, err := faultnet.New(seed)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := fn.ListenUDP("udp4", loopback)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenUDP("udp4", loopback)
	if err != nil {
		t.Fatal(err)
	}
	_ = fc.SetReadBuffer(4 << 20)
	_ = pc.SetReadBuffer(4 << 20)
	t.Cleanup(func() { _ = fc.Close(); _ = pc.Close() })
	return &link{fn: fn, faulted: fc, plain: pc}
}

// arrival is one numbered datagram as received.
type arrival struct {
	id      uint64
	latency time.Duration
}

// collector reads numbered datagrams until its socket closes.
type collector struct {
	mu   sync.Mutex
	got  []arrival
	done chan struct{}
}

func collect(r interface {
	ReadFrom([]byte) (int, net.Addr, error)
}) *collector {
	c := &collector{done: make(chan struct{})}
	go func() {
		defer close(c.done)
		buf := make([]byte, 64)
		for {
			n, _, err := r.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 16 {
				continue
			}
			sent := time.Unix(0, int64(binary.BigEndian.Uint64(buf[8:16])))
			c.mu.Lock()
			c.got = append(c.got, arrival{id: binary.BigEndian.Uint64(buf[:8]), latency: time.Since(sent)})
			c.mu.Unlock()
		}
	}()
	return c
}

func (c *collector) arrivals() []arrival {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.got)
}

// waitFor waits until want datagrams arrived, then a little longer to see
// that no more come.
func (c *collector) waitFor(t *testing.T, want int) []arrival {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(c.arrivals()) < want && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	return c.arrivals()
}

func datagram(id uint64) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b, id)
	binary.BigEndian.PutUint64(b[8:], uint64(time.Now().UnixNano()))
	return b
}

// sendN sends n numbered datagrams, paced so loopback's buffers never
// overflow: every loss counted is the fault's.
func sendN(t *testing.T, n int, every time.Duration, write func([]byte) error) {
	t.Helper()
	for i := range n {
		if err := write(datagram(uint64(i))); err != nil {
			t.Errorf("write %d: %v", i, err) // not Fatal: senders may be other goroutines
			return
		}
		if every > 0 {
			time.Sleep(every)
		} else if i%25 == 24 {
			time.Sleep(time.Millisecond)
		}
	}
}

// ends returns the writer and the reader of one direction of the link.
func (l *link) ends(dir faultnet.Direction) (write func([]byte) error, read interface {
	ReadFrom([]byte) (int, net.Addr, error)
}) {
	if dir == faultnet.Outbound {
		to := l.plain.LocalAddr()
		return func(b []byte) error { _, err := l.faulted.WriteTo(b, to); return err }, l.plain
	}
	to := l.faulted.LocalAddr().(*net.UDPAddr)
	return func(b []byte) error { _, err := l.plain.WriteToUDP(b, to); return err }, l.faulted
}

func counters(s faultnet.Stats, dir faultnet.Direction) faultnet.Counters {
	if dir == faultnet.Inbound {
		return s.Inbound
	}
	return s.Outbound
}

func TestLoss(t *testing.T) {
	t.Parallel()
	const n = 1000
	tests := []struct {
		name  string
		fault faultnet.Fault
		want  float64 // expected fraction dropped
	}{
		{"no fault", faultnet.Fault{}, 0},
		{"a tenth", faultnet.Fault{Loss: 0.1}, 0.1},
		{"a fifth", faultnet.Fault{Loss: 0.2}, 0.2},
		{"half", faultnet.Fault{Loss: 0.5}, 0.5},
		{"all", faultnet.Fault{Loss: 1}, 1},
		{"blackout", faultnet.Fault{Blackout: true}, 1},
		{"out of range is clamped", faultnet.Fault{Loss: 7}, 1},
	}
	for _, dir := range []faultnet.Direction{faultnet.Outbound, faultnet.Inbound} {
		for _, tc := range tests {
			t.Run(dir.String()+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				l := newLink(t, 1)
				l.fn.SetFault(dir, tc.fault)
				write, read := l.ends(dir)
				c := collect(read)
				sendN(t, n, 0, write)
				st := counters(l.fn.Stats(), dir)
				got := c.waitFor(t, n-int(st.Dropped))
				if st.Packets != n || len(got) != n-int(st.Dropped) {
					t.Fatalf("%d sent, %+v counted, %d arrived: every datagram not dropped must arrive", n, st, len(got))
				}
				// Binomial: 5 points is over 4 standard deviations at n = 1000.
				if frac := float64(st.Dropped) / n; math.Abs(frac-tc.want) > 0.05 {
					t.Fatalf("dropped %.3f, want %.2f ± 0.05", frac, tc.want)
				}
				if other := counters(l.fn.Stats(), faultnet.Both&^dir); other.Dropped != 0 {
					t.Fatalf("the other direction dropped %d", other.Dropped)
				}
			})
		}
	}
}

func TestSeedReproducible(t *testing.T) {
	t.Parallel()
	run := func(seed uint64) []uint64 {
		l := newLink(t, seed)
		l.fn.SetFault(faultnet.Outbound, faultnet.Fault{Loss: 0.3})
		write, read := l.ends(faultnet.Outbound)
		c := collect(read)
		sendN(t, 300, 0, write)
		var ids []uint64
		for _, a := range c.waitFor(t, 300-int(l.fn.Stats().Outbound.Dropped)) {
			ids = append(ids, a.id)
		}
		slices.Sort(ids)
		return ids
	}
	a, b, other := run(42), run(42), run(43)
	if !slices.Equal(a, b) {
		t.Fatalf("same seed, different fates: %d vs %d delivered", len(a), len(b))
	}
	if slices.Equal(a, other) {
		t.Fatal("another seed gave the same fates")
	}
}

func TestDelay(t *testing.T) {
	t.Parallel()
	// Upper slack is generous: timers and the race detector on a loaded
	// machine; the lower bound is strict.
	const slack = 250 * time.Millisecond
	tests := []struct {
		name          string
		delay, jitter time.Duration
	}{
		{"fixed", 60 * time.Millisecond, 0},
		{"jittered", 60 * time.Millisecond, 25 * time.Millisecond},
		{"jitter larger than delay", 10 * time.Millisecond, 30 * time.Millisecond},
	}
	for _, dir := range []faultnet.Direction{faultnet.Outbound, faultnet.Inbound} {
		for _, tc := range tests {
			t.Run(dir.String()+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				const n = 40
				l := newLink(t, 7)
				l.fn.SetFault(dir, faultnet.Fault{Delay: tc.delay, Jitter: tc.jitter})
				write, read := l.ends(dir)
				c := collect(read)
				sendN(t, n, 2*time.Millisecond, write)
				got := c.waitFor(t, n)
				st := counters(l.fn.Stats(), dir)
				if len(got) != n || st.Packets != n || st.Dropped != 0 {
					t.Fatalf("%d arrived, %+v", len(got), st)
				}
				lo, hi := max(tc.delay-tc.jitter, 0), tc.delay+tc.jitter+slack
				for _, a := range got {
					if a.latency < lo || a.latency > hi {
						t.Fatalf("datagram %d after %v, want [%v, %v]", a.id, a.latency, lo, hi)
					}
				}
				if tc.jitter == 0 {
					if st.Delayed != n {
						t.Fatalf("delayed %d of %d", st.Delayed, n)
					}
					if !slices.IsSortedFunc(got, func(a, b arrival) int { return int(a.id) - int(b.id) }) {
						t.Fatal("a fixed delay reordered datagrams")
					}
				}
			})
		}
	}
}

// TestRunTimeChanges switches faults while traffic flows: a blackout one
// way leaves the other alone, and lifting it lets datagrams through again.
func TestRunTimeChanges(t *testing.T) {
	t.Parallel()
	l := newLink(t, 3)
	wOut, rOut := l.ends(faultnet.Outbound)
	wIn, rIn := l.ends(faultnet.Inbound)
	cOut, cIn := collect(rOut), collect(rIn)
	steps := []struct {
		name            string
		set             func()
		wantOut, wantIn bool
	}{
		{"clear", func() {}, true, true},
		{"outbound blackout", func() { l.fn.SetBlackout(faultnet.Outbound, true) }, false, true},
		{"inbound too", func() { l.fn.SetBlackout(faultnet.Inbound, true) }, false, false},
		{"lifted, delay kept", func() {
			l.fn.SetFault(faultnet.Both, faultnet.Fault{Delay: 20 * time.Millisecond, Blackout: true})
			l.fn.SetBlackout(faultnet.Both, false)
		}, true, true},
	}
	for i, s := range steps {
		s.set()
		id := uint64(i)
		_ = wOut(datagram(id))
		_ = wIn(datagram(id))
		has := func(c *collector) bool {
			return slices.ContainsFunc(c.arrivals(), func(a arrival) bool { return a.id == id })
		}
		// each datagram's fate is drawn as it meets the fault (outbound as it
		// is written, inbound as the socket is read): once both have met it
		// and the wanted ones have arrived, the others never will
		settled := func() bool {
			st := l.fn.Stats()
			return st.Outbound.Packets > uint64(i) && st.Inbound.Packets > uint64(i) &&
				(!s.wantOut || has(cOut)) && (!s.wantIn || has(cIn))
		}
		for deadline := time.Now().Add(5 * time.Second); !settled() && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		if has(cOut) != s.wantOut || has(cIn) != s.wantIn {
			t.Fatalf("%s: outbound arrived %v, inbound %v; want %v, %v", s.name, has(cOut), has(cIn), s.wantOut, s.wantIn)
		}
	}
	if f := l.fn.Fault(faultnet.Inbound); f.Blackout || f.Delay != 20*time.Millisecond {
		t.Fatalf("inbound fault %+v", f)
	}
}

// TestConcurrent sends from several goroutines while another changes the
// fault (run with -race); every datagram is counted once.
func TestConcurrent(t *testing.T) {
	t.Parallel()
	l := newLink(t, 5)
	write, read := l.ends(faultnet.Outbound)
	c := collect(read)
	const senders, each = 4, 200
	var wg sync.WaitGroup
	stop := make(chan struct{})
	go func() {
		faults := []faultnet.Fault{{Loss: 0.2}, {Delay: 5 * time.Millisecond, Jitter: 3 * time.Millisecond}, {Blackout: true}, {}}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			l.fn.SetFault(faultnet.Outbound, faults[i%len(faults)])
			_ = l.fn.Stats()
			time.Sleep(time.Millisecond)
		}
	}()
	for range senders {
		wg.Go(func() { sendN(t, each, 0, write) })
	}
	wg.Wait()
	close(stop)
	st := l.fn.Stats().Outbound
	got := c.waitFor(t, senders*each-int(st.Dropped))
	if st.Packets != senders*each || len(got) != senders*each-int(st.Dropped) {
		t.Fatalf("%d sent, %+v, %d arrived", senders*each, st, len(got))
	}
}

// TestCloseAndDeadline: a read deadline times out like a socket's, Close
// wakes a blocked read with net.ErrClosed, discards delayed datagrams and
// leaves no goroutine behind.
func TestCloseAndDeadline(t *testing.T) {
	before := runtime.NumGoroutine()
	l := newLink(t, 9)
	fn, fc, pc := l.fn, l.faulted, l.plain
	buf := make([]byte, 64)
	_ = fc.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	_, _, err := fc.ReadFrom(buf)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past deadline: %v", err)
	}
	_ = fc.SetReadDeadline(time.Time{})
	// A datagram delayed past Close is never written.
	fn.SetFault(faultnet.Outbound, faultnet.Fault{Delay: 200 * time.Millisecond})
	if _, err := fc.WriteTo([]byte("late"), pc.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	readErr := make(chan error, 1)
	go func() {
		_, _, err := fc.ReadFrom(buf)
		readErr <- err
	}()
	time.Sleep(20 * time.Millisecond)
	if err := fc.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-readErr:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("blocked read after Close: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not wake a blocked read")
	}
	if err := fc.Close(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := fc.WriteTo([]byte("x"), pc.LocalAddr()); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write after Close: %v", err)
	}
	_ = pc.SetReadDeadline(time.Now().Add(400 * time.Millisecond))
	if n, _, err := pc.ReadFrom(buf); err == nil {
		t.Fatalf("a delayed datagram was written after Close: %q", buf[:n])
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after Close, %d before", n, before)
	}
}

// TestEveryUDPPathIsFaulted: sockets from ListenPacket, Dial and DialUDP go
// through the fault, as pion's ICE and TURN open them in different ways.
func TestEveryUDPPathIsFaulted(t *testing.T) {
	t.Parallel()
	fn, err := faultnet.New(11)
	if err != nil {
		t.Fatal(err)
	}
	fn.SetBlackout(faultnet.Outbound, true)
	pc, err := net.ListenUDP("udp4", loopback)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	to := pc.LocalAddr().(*net.UDPAddr)
	opens := []struct {
		name string
		open func() (func([]byte) error, func() error, error)
	}{
		{"ListenPacket", func() (func([]byte) error, func() error, error) {
			c, err := fn.ListenPacket("udp4", "127.0.0.1:0")
			if err != nil {
				return nil, nil, err
			}
			return func(b []byte) error { _, err := c.WriteTo(b, to); return err }, c.Close, nil
		}},
		{"Dial", func() (func([]byte) error, func() error, error) {
			c, err := fn.Dial("udp4", to.String())
			if err != nil {
				return nil, nil, err
			}
			return func(b []byte) error { _, err := c.Write(b); return err }, c.Close, nil
		}},
		{"DialUDP", func() (func([]byte) error, func() error, error) {
			c, err := fn.DialUDP("udp4", nil, to)
			if err != nil {
				return nil, nil, err
			}
			return func(b []byte) error { _, _, err := c.WriteMsgUDP(b, nil, nil); return err }, c.Close, nil
		}},
	}
	for _, o := range opens {
		write, closeFn, err := o.open()
		if err != nil {
			t.Fatalf("%s: %v", o.name, err)
		}
		if err := write([]byte(o.name)); err != nil {
			t.Fatalf("%s: write: %v", o.name, err)
		}
		_ = closeFn()
	}
	_ = pc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	buf := make([]byte, 64)
	if n, _, err := pc.ReadFrom(buf); err == nil {
		t.Fatalf("%q passed a blackout", buf[:n])
	}
	if st := fn.Stats().Outbound; st.Packets != uint64(len(opens)) || st.Dropped != st.Packets {
		t.Fatalf("stats %+v", st)
	}
	ifs, err := fn.Interfaces()
	if err != nil || !slices.ContainsFunc(ifs, func(i *transport.Interface) bool { return i.Flags&net.FlagLoopback != 0 }) {
		t.Fatalf("interfaces: %v %v", ifs, err)
	}
}
