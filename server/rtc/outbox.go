package rtc

import (
	"errors"
	"sync"

	"github.com/pion/webrtc/v4"
)

// ErrTooSlow means a peer's send queue is full: it has fallen too far behind
// and should be told and dropped, so that it never delays anyone else.
var ErrTooSlow = errors.New("rtc: peer is too slow, send queue full")

// ErrClosed means the outbox was closed.
var ErrClosed = errors.New("rtc: outbox closed")

// maxBuffered bounds what SCTP holds for one channel before the outbox waits
// for it to drain; the queue in front of it is what overflows on a slow peer.
const maxBuffered = 1 << 20

// Outbox is a bounded, non-blocking send queue for one data channel. Send
// never blocks the caller (fan-out loops call it for many peers); one
// goroutine per outbox moves messages into the channel as it drains.
type Outbox struct {
	dc    *webrtc.DataChannel
	batch int // see NewBatchingOutbox; 0 sends frames one by one
	queue chan []byte
	low   chan struct{}
	done  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup
}

// NewOutbox starts an outbox of the given capacity (messages) for dc.
func NewOutbox(dc *webrtc.DataChannel, capacity int) *Outbox {
	o := &Outbox{dc: dc, queue: make(chan []byte, capacity), low: make(chan struct{}, 1), done: make(chan struct{})}
	dc.SetBufferedAmountLowThreshold(maxBuffered / 2)
	dc.OnBufferedAmountLow(func() {
		select {
		case o.low <- struct{}{}:
		default:
		}
	})
	o.wg.Add(1)
	go o.run()
	return o
}

// NewBatchingOutbox is an outbox that, when frames have queued up behind
// the one being sent, joins them into one data-channel message of at most
// maxBytes, newline-separated (JSON text holds no raw newline). A peer that
// keeps up gets its frames one by one; a peer that falls behind in a burst
// (a room's fan-out) gets fewer, larger messages instead of a longer queue:
// the per-message cost of SCTP, DTLS and the socket is paid once per batch.
func NewBatchingOutbox(dc *webrtc.DataChannel, capacity, maxBytes int) *Outbox {
	o := NewOutbox(dc, capacity)
	o.batch = maxBytes
	return o
}

// Send queues msg; ErrTooSlow when the queue is full.
func (o *Outbox) Send(msg []byte) error {
	select {
	case <-o.done:
		return ErrClosed
	default:
	}
	select {
	case o.queue <- msg:
		return nil
	default:
		return ErrTooSlow
	}
}

// Len is the number of queued messages.
func (o *Outbox) Len() int { return len(o.queue) }

// Close stops the outbox; queued messages not yet sent are discarded.
func (o *Outbox) Close() {
	o.once.Do(func() { close(o.done) })
	o.wg.Wait()
}

func (o *Outbox) run() {
	defer o.wg.Done()
	var carry []byte // a frame taken from the queue that did not fit the last batch
	for {
		msg := carry
		carry = nil
		if msg == nil {
			select {
			case <-o.done:
				return
			case msg = <-o.queue:
			}
		}
		for o.dc.BufferedAmount() > maxBuffered {
			select {
			case <-o.low:
			case <-o.done:
				return
			}
		}
		if o.batch > 0 {
			msg, carry = o.gather(msg)
		}
		if err := o.dc.Send(msg); err != nil {
			// The channel is closing; the peer's owner notices through
			// its connection state and cleans up.
			return
		}
	}
}

// gather joins first with the frames already queued behind it, up to
// o.batch bytes; the first frame that does not fit is returned as carry.
// Frames are shared between many outboxes (one fan-out), so the batch is a
// new buffer, never an append to first.
func (o *Outbox) gather(first []byte) (frame, carry []byte) {
	frame = first
	joined := false
	for {
		var next []byte
		select {
		case next = <-o.queue:
		default:
			return frame, nil
		}
		if len(frame)+1+len(next) > o.batch {
			return frame, next
		}
		if !joined {
			frame = append(make([]byte, 0, 4*len(first)), first...)
			joined = true
		}
		frame = append(append(frame, '\n'), next...)
	}
}
