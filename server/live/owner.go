package live

import (
	"context"
	"fmt"
	"time"

	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/biosignal"
	"github.com/havenvr/haven/server/ingest"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

// A room's mutable state belongs to one goroutine, its owner (own). Everyone
// else — pion's channel and connection callbacks, the service clock, the
// store's commit callbacks, REST handlers — hands it a typed input and, when
// it needs an answer, waits for the reply under a deadline. No lock guards
// the room: what is not the owner's is immutable after newRoom (id, locale,
// clinic, crisis line) or the peer's own (its send state, under peer.mu).

// input is one thing a room's owner handles, on the owner's goroutine.
type input interface{ run(r *room) }

// inboxLen bounds a room's inbox. A full inbox makes a peer's channel
// goroutine wait (flow control back to the client); ticks and commit
// results never wait (see tickC and post).
const inboxLen = 256

// askWait bounds how long a REST handler waits for its room's answer when
// its request carries no earlier deadline.
const askWait = 5 * time.Second

// own runs the room until stop: inputs in arrival order, one at a time.
func (r *room) own() {
	defer close(r.done)
	for {
		select {
		case in := <-r.in:
			in.run(r)
		case now := <-r.tickC:
			r.tick(now)
		case <-r.wake:
			r.runPosted()
		case <-r.quit:
			return
		}
	}
}

// stop ends the owner; inputs sent after it are refused (unavailable).
func (r *room) stop() { r.stopOnce.Do(func() { close(r.quit) }) }

// submit hands in to the owner, waiting while the inbox is full; false once
// the room has stopped.
func (r *room) submit(in input) bool {
	select {
	case r.in <- in:
		return true
	case <-r.done:
		return false
	}
}

// tickNow offers the clock's tick; a room still busy with the last one skips
// this one (engine time is measured, not counted, so none is lost).
func (r *room) tickNow(now time.Time) {
	select {
	case r.tickC <- now:
	default:
	}
}

// post queues a commit result for the owner without waiting: the store's
// goroutines never wait for a room (a room waiting on a full timeline queue
// while the timeline writer waited on that room would stop both).
func (r *room) post(in input) {
	r.postMu.Lock()
	r.posted = append(r.posted, in)
	r.postMu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *room) runPosted() {
	r.postMu.Lock()
	batch := r.posted
	r.posted = nil
	r.postMu.Unlock()
	for _, in := range batch {
		in.run(r)
	}
}

// askREST is ask for a request handler: it waits at most askWait.
func askREST[T any](ctx context.Context, r *room, q query[T]) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, askWait)
	defer cancel()
	return ask(ctx, r, q)
}

// ask hands q to the owner and waits for its answer until ctx ends or the
// room stops. The room's own peers ask without a deadline: what they ask
// (a batch taken, a peer made the room's) must not be abandoned half done.
func ask[T any](ctx context.Context, r *room, q query[T]) (T, error) {
	var zero T
	select {
	case r.in <- q:
	case <-r.done:
		return zero, errUnavailable
	case <-ctx.Done():
		return zero, apierr.Wrap(apierr.Unavailable, fmt.Errorf("live: room %s busy: %w", r.id, ctx.Err()))
	}
	select {
	case v := <-q.reply:
		return v, nil
	case <-r.done:
		return zero, errUnavailable
	case <-ctx.Done():
		return zero, apierr.Wrap(apierr.Unavailable, fmt.Errorf("live: room %s did not answer: %w", r.id, ctx.Err()))
	}
}

// query is a request that answers with a T: its op names what is asked.
type query[T any] struct {
	op    interface{ answer(r *room) T }
	reply chan T
}

func newQuery[T any](op interface{ answer(r *room) T }) query[T] {
	return query[T]{op: op, reply: make(chan T, 1)}
}

func (q query[T]) run(r *room) { q.reply <- q.op.answer(r) }

// Peer inputs.

// msgIn is a decoded message from a peer.
type msgIn struct {
	p *peer
	m wire.Message
}

func (in msgIn) run(r *room) { r.handle(in.p, in.m) }

// batchIn is a patient's biosignal batch: the owner validates it and
// answers with the chunk to submit (ok false: settled or refused already).
type batchIn struct {
	p *peer
	m wire.Message
}

// batchTaken is batchIn's answer.
type batchTaken struct {
	ok    bool
	chunk ingest.Chunk
	done  batchDone // what to post once the chunk's commit is known
}

func (in batchIn) answer(r *room) batchTaken { return r.onBatch(in.p, in.m) }

// refusedIn is a durable message refused before decoding: throttled (err
// nil, held for its resend) or undecodable (err: settled for good).
type refusedIn struct {
	p       *peer
	channel string
	seq     uint64
	err     error
}

func (in refusedIn) run(r *room) {
	if in.err != nil {
		r.rejectDurable(in.p, in.channel, in.seq, in.err)
		return
	}
	r.recv(in.p, in.channel).Hold(in.p.id, in.seq)
	in.p.tell(apierr.New(apierr.PeerThrottled), in.seq)
}

// readyIn says both of a peer's channels are open.
type readyIn struct{ p *peer }

func (in readyIn) answer(r *room) struct{} { r.peerReady(in.p); return struct{}{} }

// leaveIn removes a peer (closed, failed, too slow, or DELETE).
type leaveIn struct {
	p      *peer
	reason string
}

func (in leaveIn) run(r *room) { r.leave(in.p, in.reason) }

// linkDownIn is pion's report that a peer's link went quiet.
type linkDownIn struct {
	p      *peer
	reason string
}

func (in linkDownIn) run(r *room) {
	if r.patient == in.p && r.started && r.sess.State == store.LiveLive {
		r.connLost(in.reason)
	}
}

// Commit results (posted).

// eventDone is the commit of a durable message's timeline record.
type eventDone struct {
	p       *peer
	channel string
	seq     uint64
	err     error
	stored  func() // applies the message to the room once stored (nil: nothing)
	refused bool   // the record is of a refusal: nothing to tell on failure
}

func (in eventDone) run(r *room) {
	if in.err != nil {
		r.committed(in.p, in.channel, in.seq, in.err)
		if !in.refused {
			in.p.tell(errUnavailable, in.seq)
		}
		return
	}
	if in.stored != nil {
		in.stored()
	}
	r.committed(in.p, in.channel, in.seq, nil)
}

// batchDone is a biosignal batch's commit.
type batchDone struct {
	p   *peer
	b   *biosignal.Batch
	n   int // samples
	ack ingest.Ack
}

func (in batchDone) run(r *room) { r.batchCommitted(in.p, in.b, in.n, in.ack) }

// REST and service requests (answered).

// stateQ asks for the session's live state.
type stateQ struct{}

func (stateQ) answer(r *room) store.LiveSession { return r.sess }

// patientQ asks whether a headset is connected and, when busy is asked,
// whether it is alive and talking.
type patientQ struct{ linkLoss time.Duration }

// patientSeen is patientQ's answer.
type patientSeen struct{ connected, talking bool }

func (q patientQ) answer(r *room) patientSeen {
	cur := r.patient
	if cur == nil {
		return patientSeen{}
	}
	return patientSeen{connected: true,
		talking: !r.linkLost && time.Since(time.Unix(0, cur.lastSeen.Load())) < q.linkLoss}
}

// waitingQ records a redeemed join code or an issued token: a scheduled
// session now waits for its patient.
type waitingQ struct{}

func (waitingQ) answer(r *room) struct{} {
	if r.sess.State == store.LiveScheduled {
		r.sess.State = store.LiveWaiting
	}
	return struct{}{}
}

// endQ ends the session from outside the data channels (REST, a failed
// practice run) and answers with the resulting state.
type endQ struct {
	reason  string
	command bool // record a rest.end command first
}

func (q endQ) answer(r *room) string {
	if q.command {
		r.svc.tl.add(event(r.id, "command", roleTherapist, commandEvent{Type: "rest.end"}), nil)
	}
	r.end(q.reason)
	return r.sess.State
}

// registerQ remembers a peer by id for PATCH/DELETE before its channels open.
type registerQ struct{ p *peer }

func (q registerQ) answer(r *room) struct{} { r.byID[q.p.id] = q.p; return struct{}{} }

// lookupQ finds a peer by id.
type lookupQ struct{ id string }

func (q lookupQ) answer(r *room) *peer { return r.byID[q.id] }

// inflightQ asks whether submitted batches await their commit.
type inflightQ struct{}

func (inflightQ) answer(r *room) bool { return r.recvFor(rolePatient, wire.Signals).Pending() > 0 }

// detachQ detaches every peer (after session.end, or when the server goes
// away: farewell) and answers with them for the caller to close.
type detachQ struct{ farewell bool }

func (q detachQ) answer(r *room) []*peer {
	var peers []*peer
	r.each(func(p *peer) {
		if q.farewell {
			if r.sess.State == store.LiveEnded {
				p.send(wire.Control, "session.end", 0, wire.Reason{Reason: r.sess.StateReason})
			} else {
				p.tell(errUnavailable, 0)
			}
		}
		peers = append(peers, p)
	})
	r.patient, r.consoles = nil, map[string]*peer{}
	return peers
}
