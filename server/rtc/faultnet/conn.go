package faultnet

import (
	"container/heap"
	"errors"
	"net"
	"os"
	"sync"
	"time"

	"github.com/pion/transport/v4"
	"github.com/pion/transport/v4/deadline"
)

// inboxLen bounds the datagrams read from the socket and not yet taken by
// the application; beyond it the reader waits and the kernel's buffer drops,
// as it would without the fault.
const inboxLen = 256

// maxDatagram is the largest UDP payload.
const maxDatagram = 1<<16 - 1

type datagram struct {
	data []byte
	addr *net.UDPAddr
}

// udpConn is a real UDP socket behind the fault. Outbound datagrams are
// decided in Write*: dropped, written now, or handed to a delay line that
// writes them later. Inbound datagrams are read by a pump goroutine and
// decided there, so a delay holds back one datagram, not the ones behind it.
//
// Every Read and Write method goes through the fault: no method of the
// *net.UDPConn is promoted, so none bypasses it (pion's ICE takes an
// allocation-free path only for a bare *net.UDPConn).
type udpConn struct {
	c   *net.UDPConn
	n   *Net
	out *delayLine

	in       chan datagram
	inDelay  *delayLine
	readDL   *deadline.Deadline
	closed   chan struct{}
	once     sync.Once
	wg       sync.WaitGroup
	errMu    sync.Mutex
	readErr  error // the socket's read error once the pump stopped
	pumpDone chan struct{}
}

var _ transport.UDPConn = (*udpConn)(nil)

func (n *Net) wrap(c *net.UDPConn) *udpConn {
	u := &udpConn{c: c, n: n, in: make(chan datagram, inboxLen), readDL: deadline.New(),
		closed: make(chan struct{}), pumpDone: make(chan struct{})}
	u.out = newDelayLine(u.closed, &u.wg)
	u.inDelay = newDelayLine(u.closed, &u.wg)
	u.wg.Add(1)
	go u.pump()
	return u
}

// pump reads the socket until it closes and passes each datagram on
// through the inbound fault.
func (u *udpConn) pump() {
	defer u.wg.Done()
	defer close(u.pumpDone)
	buf := make([]byte, maxDatagram)
	for {
		n, addr, err := u.c.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			u.errMu.Lock()
			u.readErr = err
			u.errMu.Unlock()
			return
		}
		drop, delay := u.n.decide(Inbound)
		if drop {
			continue
		}
		d := datagram{data: append([]byte(nil), buf[:n]...), addr: addr}
		if delay == 0 {
			u.deliver(d)
			continue
		}
		u.inDelay.add(delay, func() { u.deliver(d) })
	}
}

func (u *udpConn) deliver(d datagram) {
	select {
	case u.in <- d:
	case <-u.closed:
	}
}

// ReadFromUDP returns the next datagram that passed the inbound fault.
func (u *udpConn) ReadFromUDP(b []byte) (int, *net.UDPAddr, error) {
	select {
	case <-u.closed:
		return 0, nil, u.opErr("read", net.ErrClosed)
	default:
	}
	select {
	case d := <-u.in:
		return copy(b, d.data), d.addr, nil
	case <-u.closed:
		return 0, nil, u.opErr("read", net.ErrClosed)
	case <-u.readDL.Done():
		return 0, nil, u.opErr("read", os.ErrDeadlineExceeded)
	case <-u.pumpDone:
		// The socket failed under the pump: report its error once the
		// datagrams already passed are read.
		select {
		case d := <-u.in:
			return copy(b, d.data), d.addr, nil
		default:
		}
		u.errMu.Lock()
		err := u.readErr
		u.errMu.Unlock()
		if err == nil {
			err = u.opErr("read", net.ErrClosed)
		}
		return 0, nil, err
	}
}

func (u *udpConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, addr, err := u.ReadFromUDP(b)
	if addr == nil {
		return n, nil, err // not a typed nil in the interface
	}
	return n, addr, err
}

func (u *udpConn) Read(b []byte) (int, error) {
	n, _, err := u.ReadFromUDP(b)
	return n, err
}

// ReadMsgUDP reads a datagram; out-of-band data is not carried through the
// fault (oobn is 0).
func (u *udpConn) ReadMsgUDP(b, _ []byte) (n, oobn, flags int, addr *net.UDPAddr, err error) {
	n, addr, err = u.ReadFromUDP(b)
	return n, 0, 0, addr, err
}

// send applies the outbound fault to one datagram: write reports it sent
// when it is dropped or delayed, as a real network would.
func (u *udpConn) send(b []byte, write func([]byte) (int, error)) (int, error) {
	select {
	case <-u.closed:
		return 0, u.opErr("write", net.ErrClosed)
	default:
	}
	drop, delay := u.n.decide(Outbound)
	switch {
	case drop:
		return len(b), nil
	case delay == 0:
		return write(b)
	}
	p := append([]byte(nil), b...)
	u.out.add(delay, func() { _, _ = write(p) })
	return len(b), nil
}

func (u *udpConn) WriteToUDP(b []byte, addr *net.UDPAddr) (int, error) {
	return u.send(b, func(p []byte) (int, error) { return u.c.WriteToUDP(p, addr) })
}

func (u *udpConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	return u.send(b, func(p []byte) (int, error) { return u.c.WriteTo(p, addr) })
}

func (u *udpConn) Write(b []byte) (int, error) {
	return u.send(b, u.c.Write)
}

func (u *udpConn) WriteMsgUDP(b, oob []byte, addr *net.UDPAddr) (n, oobn int, err error) {
	oob = append([]byte(nil), oob...)
	n, err = u.send(b, func(p []byte) (int, error) {
		n, _, err := u.c.WriteMsgUDP(p, oob, addr)
		return n, err
	})
	if err == nil {
		oobn = len(oob)
	}
	return n, oobn, err
}

func (u *udpConn) LocalAddr() net.Addr  { return u.c.LocalAddr() }
func (u *udpConn) RemoteAddr() net.Addr { return u.c.RemoteAddr() }

func (u *udpConn) SetDeadline(t time.Time) error {
	u.readDL.Set(t)
	return u.c.SetWriteDeadline(t)
}

// SetReadDeadline bounds ReadFrom; the pump underneath reads without one.
func (u *udpConn) SetReadDeadline(t time.Time) error {
	u.readDL.Set(t)
	return nil
}

// SetWriteDeadline applies to immediate writes; a delayed datagram is
// written when its time comes, whatever the deadline.
func (u *udpConn) SetWriteDeadline(t time.Time) error { return u.c.SetWriteDeadline(t) }
func (u *udpConn) SetReadBuffer(bytes int) error      { return u.c.SetReadBuffer(bytes) }
func (u *udpConn) SetWriteBuffer(bytes int) error     { return u.c.SetWriteBuffer(bytes) }

// Close closes the socket, discards datagrams still delayed and waits for
// the conn's goroutines.
func (u *udpConn) Close() error {
	err := net.ErrClosed
	u.once.Do(func() {
		close(u.closed)
		err = u.c.Close()
		u.wg.Wait()
	})
	if err != nil {
		return u.opErr("close", err)
	}
	return nil
}

func (u *udpConn) opErr(op string, err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) {
		return err
	}
	return &net.OpError{Op: op, Net: "udp", Source: u.c.LocalAddr(), Err: err}
}

// delayLine runs functions at their due time, earliest first (in arrival
// order when due together), on one goroutine.
type delayLine struct {
	mu    sync.Mutex
	items dueHeap
	next  uint64
	wake  chan struct{}
	done  <-chan struct{}
}

func newDelayLine(done <-chan struct{}, wg *sync.WaitGroup) *delayLine {
	l := &delayLine{wake: make(chan struct{}, 1), done: done}
	wg.Add(1)
	go func() {
		defer wg.Done()
		l.run()
	}()
	return l
}

func (l *delayLine) add(after time.Duration, fn func()) {
	l.mu.Lock()
	l.next++
	heap.Push(&l.items, dueItem{at: time.Now().Add(after), order: l.next, fn: fn})
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *delayLine) run() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		l.mu.Lock()
		var fn func()
		wait := time.Hour
		if len(l.items) > 0 {
			if d := time.Until(l.items[0].at); d <= 0 {
				fn = heap.Pop(&l.items).(dueItem).fn
			} else {
				wait = d
			}
		}
		l.mu.Unlock()
		if fn != nil {
			fn()
			continue
		}
		timer.Reset(wait)
		select {
		case <-l.done:
			return
		case <-l.wake:
		case <-timer.C:
		}
	}
}

type dueItem struct {
	at    time.Time
	order uint64
	fn    func()
}

type dueHeap []dueItem

func (h dueHeap) Len() int { return len(h) }
func (h dueHeap) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].order < h[j].order
	}
	return h[i].at.Before(h[j].at)
}
func (h dueHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)   { *h = append(*h, x.(dueItem)) }
func (h *dueHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}
