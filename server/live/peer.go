package live

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/rtc"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

// Peer roles.
const (
	rolePatient   = "patient"
	roleTherapist = "therapist"
	roleObserver  = "observer"
)

var errUnavailable = apierr.New(apierr.Unavailable)

// peer is one WebRTC connection of a room. Its mutex guards only its own
// send state (seq counters, outboxes, the ack it carries), which the room's
// owner and the peer's own goroutines (refusals before decoding, drop) share.
type peer struct {
	id     string
	role   string
	userID string
	room   *room
	pc     *webrtc.PeerConnection
	dir    wire.Dir // direction of messages it sends to the server
	voice  *peerVoice

	mu       sync.Mutex
	out      map[string]*rtc.Outbox
	dcs      map[string]*webrtc.DataChannel
	seq      map[string]uint64
	ack      map[string]uint64
	closed   bool
	dropping bool  // a drop for being too slow is under way
	errSec   int64 // error replies in the current second (rate-limited)
	errN     int

	lastIn [2]uint64 // highest seq seen on this connection: control, signals (one handler goroutine each)

	lastSeen atomic.Int64 // unix ns of the last inbound message
	// lastCtl is when the server last queued a message on this peer's
	// control channel (unix ns): a heartbeat goes only to a channel silent
	// since (room.tick).
	lastCtl  atomic.Int64
	opened   chan struct{}
	ready    chan struct{} // closed once peerReady has made this the room's peer
	openOnce sync.Once
}

// readyWait bounds how long a message waits for its connection to become the
// room's (see receive).
const readyWait = 5 * time.Second

func newPeer(r *room, role, userID string) *peer {
	p := &peer{id: store.RandomToken(10), role: role, userID: userID, room: r,
		out: map[string]*rtc.Outbox{}, dcs: map[string]*webrtc.DataChannel{}, seq: map[string]uint64{},
		ack: map[string]uint64{}, opened: make(chan struct{}), ready: make(chan struct{})}
	p.dir = wire.FromConsole
	if role == rolePatient {
		p.dir = wire.FromPatient
	}
	p.lastSeen.Store(time.Now().UnixNano())
	return p
}

// attach is called for each data channel the client opens.
func (p *peer) attach(dc *webrtc.DataChannel) {
	label := dc.Label()
	if label == wire.Pose {
		p.attachPose(dc)
		return
	}
	if label != wire.Control && label != wire.Signals {
		_ = dc.Close()
		return
	}
	dc.OnOpen(func() {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return
		}
		p.out[label] = rtc.NewOutbox(dc, p.room.svc.opts.QueueLen)
		p.dcs[label] = dc
		both := p.out[wire.Control] != nil && p.out[wire.Signals] != nil
		p.mu.Unlock()
		if both {
			p.openOnce.Do(func() {
				close(p.opened)
				_, _ = ask(context.Background(), p.room, newQuery[struct{}](readyIn{p}))
				p.room.submit(voiceHelloIn{p}) // after its hello: the microphones it hears
				close(p.ready)
			})
		}
	})
	dc.OnMessage(func(m webrtc.DataChannelMessage) { p.receive(label, m.Data) })
}

// send queues a message; a full queue means the peer is too far behind: it
// is told (bypassing the queue) and dropped, and never slows anyone else.
func (p *peer) send(channel, typ string, srcSeq uint64, body any) {
	p.mu.Lock()
	ob := p.out[channel]
	if p.closed || ob == nil {
		p.mu.Unlock()
		return
	}
	p.seq[channel]++
	now := time.Now()
	msg := wire.Encode(typ, p.seq[channel], p.ack[channel], now.UnixMilli(), srcSeq, body)
	err := ob.Send(msg)
	if channel == wire.Control && err == nil {
		p.lastCtl.Store(now.UnixNano())
	}
	first := errors.Is(err, rtc.ErrTooSlow) && !p.dropping
	if first {
		p.dropping = true
	}
	p.mu.Unlock()
	p.room.svc.opts.Metrics.Messages.WithLabelValues(channel, "out").Inc()
	if first {
		go p.drop(apierr.PeerTooSlow)
	}
}

// setAck records the highest durable seq handled and tells the peer when
// it moved, or always when again (a resent duplicate is answered). Commits
// behind a held seq leave the ack where it is: no message for them, so a
// burst of commits is not a burst of identical acks.
func (p *peer) setAck(channel string, seq uint64, again bool) {
	p.mu.Lock()
	moved := seq > p.ack[channel]
	if moved {
		p.ack[channel] = seq
	}
	p.mu.Unlock()
	if !moved && !again {
		return
	}
	typ := "ack"
	if channel == wire.Signals {
		typ = "signals.ack"
	}
	if channel == wire.Signals && p.role != rolePatient {
		return
	}
	p.send(channel, typ, 0, wire.Empty{})
}

// sendError reports a refused message, at most wire.ErrorsPerSecond a second: a
// flooding peer must not turn the server into an amplifier of its own flood.
func (p *peer) sendError(e *apierr.Error, ref uint64) {
	now := time.Now().Unix()
	p.mu.Lock()
	if p.errSec != now {
		p.errSec, p.errN = now, 0
	}
	p.errN++
	n := p.errN
	p.mu.Unlock()
	if n > wire.ErrorsPerSecond {
		return
	}
	p.tell(e, ref)
}

// tell reports a refusal the client must act on, past the error rate limit:
// a durable message throttled or refused (its ref_seq is how the client
// knows which one it keeps or drops). The message is the code's localized
// text with its placeholders filled from the error's data.
func (p *peer) tell(e *apierr.Error, ref uint64) {
	msg := string(e.Code)
	if tr := p.room.svc.opts.Translate; tr != nil {
		msg = tr(p.room.clinicID, p.room.locale, e.MessageID(), e.Data)
	}
	p.send(wire.Control, "error", 0, wire.Error{Code: string(e.Code), Message: msg, RefSeq: ref})
}

// drop tells the peer why (directly on the channel, ahead of its full
// queue) and closes it.
func (p *peer) drop(code apierr.Code) {
	p.mu.Lock()
	dc := p.dcs[wire.Control]
	if p.closed || dc == nil {
		p.mu.Unlock()
		return
	}
	p.seq[wire.Control]++
	msg := wire.Encode("error", p.seq[wire.Control], p.ack[wire.Control], time.Now().UnixMilli(), 0,
		wire.Error{Code: string(code), Message: string(code)})
	p.mu.Unlock()
	_ = dc.Send(msg)
	// Let the goodbye reach the wire before the connection closes.
	for end := time.Now().Add(300 * time.Millisecond); dc.BufferedAmount() > 0 && time.Now().Before(end); {
		time.Sleep(5 * time.Millisecond)
	}
	p.room.svc.opts.Metrics.Dropped.WithLabelValues(string(code)).Inc()
	p.leave(string(code))
}

// leave removes the peer from its room and closes it.
func (p *peer) leave(reason string) {
	p.room.submit(leaveIn{p, reason})
	p.close()
}

// close stops the outboxes and the peer connection; safe to call twice.
func (p *peer) close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	obs := p.out
	p.mu.Unlock()
	p.room.pose.removeSink(p)
	select {
	case <-p.opened:
		p.room.svc.opts.Metrics.LivePeers.WithLabelValues(p.role).Dec()
	default:
	}
	for _, ob := range obs {
		ob.Close()
	}
	p.voice.stop()
	if p.pc != nil {
		_ = p.pc.GracefulClose()
	}
}

// awaitReady holds an inbound message until its connection is the room's.
// pion reads a channel from the moment it opens, on its own goroutine,
// while the other channel may still be opening: a reconnecting headset's
// resent batches reached the room before peerReady, were refused as coming
// from no patient, and their acknowledgement never came (seen as a rare
// failure of TestReconnectNothingLost and TestLinkFaultBlackout).
func (p *peer) awaitReady() {
	select {
	case <-p.ready:
		return
	default:
	}
	t := time.NewTimer(readyWait)
	defer t.Stop()
	select {
	case <-p.ready:
	case <-t.C:
	}
}

// receive decodes one inbound message and hands it to the room.
func (p *peer) receive(channel string, data []byte) {
	svc := p.room.svc
	svc.opts.Metrics.Messages.WithLabelValues(channel, "in").Inc()
	p.lastSeen.Store(time.Now().UnixNano())
	p.awaitReady()
	lim := svc.controlLimit
	if channel == wire.Signals {
		lim = svc.signalsLimit
	}
	if ok, _ := lim.Allow(p.id, time.Now()); !ok {
		// Throttled: refused with a code, the peer stays connected; other
		// peers are untouched because each has its own bucket and queue. A
		// durable message refused here must not be covered by a later
		// acknowledgement: it is held (signals' contiguous marks hold it by
		// themselves), reported with its seq, and resent by the client.
		// A throttled message that is not durable (a heartbeat, a command)
		// is gone; its refusal counts against the error rate limit, so a
		// flood is never echoed back message for message.
		seq, durable := wire.Peek(data, channel, p.dir)
		if durable {
			p.room.submit(refusedIn{p: p, channel: channel, seq: seq})
		} else {
			p.sendError(apierr.New(apierr.PeerThrottled), seq)
		}
		return
	}
	m, err := wire.Decode(data, channel, p.dir)
	if err != nil {
		if p.durable(channel, m) {
			p.room.submit(refusedIn{p: p, channel: channel, seq: m.Seq, err: err})
		} else {
			p.sendError(apierr.From(err), m.Seq)
		}
		return
	}
	ci := chanIndex(channel)
	if m.Seq <= p.lastIn[ci] {
		p.sendError(apierr.Invalid("seq", "went backwards on this connection"), m.Seq)
		return
	}
	p.lastIn[ci] = m.Seq
	if m.Type != "signals.batch" {
		p.room.submit(msgIn{p, m})
		return
	}
	// The room validates the batch and takes its seq; this goroutine
	// submits it, so a slow store holds back this channel's reads (and so
	// the client), never the room.
	t, err := ask(context.Background(), p.room, newQuery[batchTaken](batchIn{p, m}))
	if err == nil && t.ok {
		p.room.submitBatch(t)
	}
}

// durable reports whether a message that failed to decode must still be
// settled by its seq: anything with a seq a patient sends on signals (the
// channel carries only durable batches), and the catalogue's durable types
// on control. Observers send nothing durable.
func (p *peer) durable(channel string, m wire.Message) bool {
	if m.Seq == 0 || p.role == roleObserver {
		return false
	}
	if channel == wire.Signals {
		return p.role == rolePatient
	}
	spec, ok := wire.Lookup(p.dir, m.Type)
	return ok && spec.Durable && spec.Channel == channel
}

func chanIndex(channel string) int {
	if channel == wire.Signals {
		return 1
	}
	return 0
}
