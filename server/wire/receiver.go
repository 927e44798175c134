package wire

// Receiver is the receiving half of reliable delivery for one sender's
// channel, as docs/protocol.md fixes it, beside Sender: which durable seqs
// are settled (stored, or refused for good and recorded), which are taken
// and await their commit, and the acknowledgement each connection of the
// sender is owed. The server keeps one per session, sender role and channel
// (server/live); the simulated patient keeps one per channel of each
// connection for what the server sends it (server/simpeer). Not safe for
// concurrent use: its owner (the room's goroutine) guards it.
//
// On signals every message is a durable batch, so the marks are contiguous:
// the acknowledgement is the highest seq below which everything is settled,
// and a cumulative ack never covers a batch refused for now (throttled,
// store busy) that will be resent.
//
// On control, durable messages (ratings, notes, break requests) share the
// seq space with heartbeats and commands that leave no record, so a gap says
// nothing: the marks are the exact set of settled seqs, and each connection
// has its own acknowledgement, starting at 0, kept below every seq it was
// refused for now until that seq settles.
type Receiver struct {
	contiguous bool
	high       uint64              // contiguous: every seq ≤ high is settled; control: the highest settled
	above      map[uint64]struct{} // contiguous: settled seqs > high+1; control: every settled seq
	inflight   map[uint64]struct{} // taken, not yet settled or released
	conns      map[string]*connAck // control: per connection
}

// connAck is one connection's control acknowledgement.
type connAck struct {
	done uint64              // the highest seq settled on this connection
	held map[uint64]struct{} // refused for now on this connection, not settled since
}

// Verdict is what Take found.
type Verdict int

// Take's verdicts.
const (
	Fresh    Verdict = iota // taken: handle it, then Settle or Release
	Settled                 // handled before: acknowledge again, handle nothing
	InFlight                // taken by an earlier copy still awaiting its commit
)

// NewReceiver returns an empty receiver for channel (Signals: contiguous
// marks; Control: the exact set).
func NewReceiver(channel string) *Receiver {
	return &Receiver{contiguous: channel == Signals, above: map[uint64]struct{}{},
		inflight: map[uint64]struct{}{}, conns: map[string]*connAck{}}
}

// Restore marks seqs settled: what a previous run stored.
func (r *Receiver) Restore(seqs []uint64) {
	for _, s := range seqs {
		r.settle(s)
	}
}

// IsSettled reports whether seq needs no more handling.
func (r *Receiver) IsSettled(seq uint64) bool {
	if r.contiguous && seq <= r.high {
		return true
	}
	_, ok := r.above[seq]
	return ok
}

// Take classifies a durable message's seq and, when Fresh, takes it until
// Settle or Release.
func (r *Receiver) Take(seq uint64) Verdict {
	if r.IsSettled(seq) {
		return Settled
	}
	if _, ok := r.inflight[seq]; ok {
		return InFlight
	}
	r.inflight[seq] = struct{}{}
	return Fresh
}

// Settle records seq as settled (committed, or refused for good and
// recorded) — also for a Settled resend seen on a new connection — and
// returns the acknowledgement conn is now owed.
func (r *Receiver) Settle(conn string, seq uint64) uint64 {
	delete(r.inflight, seq)
	r.settle(seq)
	if r.contiguous {
		return r.high
	}
	c := r.conn(conn)
	delete(c.held, seq)
	c.done = max(c.done, seq)
	return r.Ack(conn)
}

// Release forgets a taken seq whose commit failed (refused for now): the
// resend is handled as new, and conn's acknowledgement stays below it.
func (r *Receiver) Release(conn string, seq uint64) {
	delete(r.inflight, seq)
	r.Hold(conn, seq)
}

// Hold keeps seq, refused for now before it was taken (throttled), out of
// conn's acknowledgement until it settles. Signals' contiguous marks hold it
// by themselves.
func (r *Receiver) Hold(conn string, seq uint64) {
	if r.contiguous || r.IsSettled(seq) {
		return
	}
	c := r.conn(conn)
	if c.held == nil {
		c.held = map[uint64]struct{}{}
	}
	c.held[seq] = struct{}{}
}

// Ack is the acknowledgement conn is owed: on signals every seq up to it is
// settled; on control the highest seq settled on conn, kept below every seq
// conn was refused for now.
func (r *Receiver) Ack(conn string) uint64 {
	if r.contiguous {
		return r.high
	}
	c := r.conns[conn]
	if c == nil {
		return 0
	}
	ack := c.done
	for s := range c.held {
		ack = min(ack, s-1)
	}
	return ack
}

// Forget drops a closed connection's acknowledgement.
func (r *Receiver) Forget(conn string) { delete(r.conns, conn) }

// Next is the seq a reloaded sender continues from (hello.next_seq): above
// every seq already settled, so none is reused.
func (r *Receiver) Next() uint64 {
	top := r.high
	for s := range r.above {
		top = max(top, s)
	}
	return top + 1
}

// High is the contiguous mark on signals, the highest settled seq on control.
func (r *Receiver) High() uint64 { return r.high }

// Pending is how many taken seqs await Settle or Release.
func (r *Receiver) Pending() int { return len(r.inflight) }

func (r *Receiver) conn(id string) *connAck {
	c := r.conns[id]
	if c == nil {
		c = &connAck{}
		r.conns[id] = c
	}
	return c
}

func (r *Receiver) settle(seq uint64) {
	switch {
	case r.contiguous && seq <= r.high:
	case r.contiguous && seq == r.high+1:
		r.high = seq
		for {
			if _, ok := r.above[r.high+1]; !ok {
				break
			}
			delete(r.above, r.high+1)
			r.high++
		}
	default:
		r.above[seq] = struct{}{}
		if !r.contiguous {
			r.high = max(r.high, seq)
		}
	}
}
