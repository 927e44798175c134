package live

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/havenvr/haven/protocols"
	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/biosignal"
	"github.com/havenvr/haven/server/ingest"
	"github.com/havenvr/haven/server/wire"
)

func nowMs() int64 { return time.Now().UnixMilli() }

// onBatch validates a biosignal batch and answers with the chunk the
// receiving goroutine submits to the durable sink (outside the owner, so a
// busy store slows that channel, not the room). Nothing in the room moves
// before the commit: the stream's time order, the live metrics and the
// acknowledgement follow it (batchCommitted), so a batch whose commit fails
// (store busy, store error) leaves the room as if it never arrived, and its
// resend is taken as new. A repeated seq is acknowledged again without a
// second row.
func (r *room) onBatch(p *peer, m wire.Message) batchTaken {
	if r.duplicate(p, wire.Signals, m.Seq) {
		return batchTaken{}
	}
	wb := m.Body.(*wire.SignalsBatch)
	b := &biosignal.Batch{Stream: biosignal.Stream(wb.Stream), Unit: wb.Unit, RateHz: wb.RateHz, T0: wb.T0,
		Offsets: wb.Ts, Values: wb.Values, Raw: wb.Raw, Seq: m.Seq}
	if wb.Source != nil {
		b.Source = biosignal.Source{Kind: wb.Source.Kind, Name: wb.Source.Name, ID: wb.Source.ID}
	}
	if p != r.patient || r.svc.opts.Sink == nil || r.svc.draining.Load() {
		r.committed(p, wire.Signals, m.Seq, errUnavailable)
		p.tell(errUnavailable, m.Seq)
		return batchTaken{}
	}
	r.restored(p)
	err := b.Validate(biosignal.DefaultLimits, nowMs(), r.spans.after(b.Stream, m.Seq))
	var chunk ingest.Chunk
	if err == nil {
		chunk, err = ingest.FromBatch(r.id, b, &r.check)
	}
	if err != nil {
		code := apierr.Validation
		var be *biosignal.Error
		if errors.As(err, &be) && be.Code == biosignal.CodeTooLarge {
			code = apierr.MessageTooLarge
		}
		r.reject(p, wire.Signals, m.Seq, apierr.Wrap(code, err), err)
		return batchTaken{}
	}
	r.spans.take(b.Stream, m.Seq, b)
	return batchTaken{ok: true, chunk: chunk, done: batchDone{p: p, b: b, n: len(chunk.Samples)}}
}

// trySink is a Sink that can queue without waiting (ingest.Writer).
type trySink interface {
	TrySubmit(c ingest.Chunk, done func(ingest.Ack)) (bool, error)
}

// submitBatch stores a validated batch and posts its commit to the room.
// While the sink's queue has room the batch is queued without a deadline,
// so no timer is made per batch; only a full queue is waited on, for 10 s.
func (r *room) submitBatch(t batchTaken) {
	done := t.done
	ack := func(a ingest.Ack) {
		done.ack = a
		r.post(done)
	}
	if ts, ok := r.svc.opts.Sink.(trySink); ok {
		queued, err := ts.TrySubmit(t.chunk, ack)
		if err != nil {
			ack(ingest.Ack{Err: err})
		}
		if queued || err != nil {
			return
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.svc.opts.Sink.Submit(ctx, t.chunk, ack); err != nil {
		ack(ingest.Ack{Err: err})
	}
}

// batchCommitted applies a batch to the room once its commit is known: the
// stream's times and the live metrics advance and the batch is
// acknowledged; after a failure the room forgets it and the client is told
// (ref_seq) that it keeps the batch and resends it.
func (r *room) batchCommitted(p *peer, b *biosignal.Batch, n int, a ingest.Ack) {
	if a.Err != nil {
		r.spans.forget(b.Stream, b.Seq)
		r.committed(p, wire.Signals, b.Seq, a.Err)
		p.tell(errUnavailable, b.Seq)
		return
	}
	if !a.Duplicate {
		r.svc.opts.Metrics.SamplesIngested.Add(float64(n))
		_, _ = r.bio.AddBatch(b) // the stored chunk is the record; metrics skip what they cannot use
		r.source = b.Source.Normal().Kind
	}
	// One signals.ack per commit group: the last batch of this session in
	// the transaction announces the mark that covers the others.
	r.settle(p, wire.Signals, b.Seq, nil, !a.More)
	r.spans.commit(b.Stream, b.Seq, r.recv(p, wire.Signals).High())
}

// rejectedControl is the timeline kind that records a durable control
// message refused for good, with its sender's seq (a control mark after a
// restart, like any event with a seq).
const rejectedControl = "control.rejected"

// reject settles a durable message that will never become valid by
// resending: it is recorded with its seq (so it stays settled across a
// restart), acknowledged once that record commits — a cumulative ack must
// move past it, or every later batch would wait behind it — and reported
// with its code and ref_seq, past the error rate limit. The caller has taken
// seq through duplicate.
func (r *room) reject(p *peer, channel string, seq uint64, code *apierr.Error, cause error) {
	kind := rejectedSignals
	if channel == wire.Control {
		kind = rejectedControl
	}
	ev := event(r.id, kind, p.role, rejectedEvent{Seq: seq, Error: cause.Error()})
	ev.Seq = seq
	if channel == wire.Control {
		ev.Peer = markRole(p.role)
	}
	r.svc.tl.add(ev, func(err error) {
		r.post(eventDone{p: p, channel: channel, seq: seq, err: err, refused: true})
	})
	p.tell(code, seq)
}

// rejectDurable settles a durable message that did not decode — too large,
// not JSON, a type the channel does not carry, a body with a null sample or
// a missing field — like any invalid one: recorded and acknowledged past.
func (r *room) rejectDurable(p *peer, channel string, seq uint64, err error) {
	if r.duplicate(p, channel, seq) {
		return
	}
	r.reject(p, channel, seq, apierr.From(err), err)
}

// metrics sends the live biosignal summary and evaluates alert rules; rule
// events go to the therapist and, as engine events, may pause the session.
func (r *room) metrics(now time.Time) {
	ms := now.UnixMilli()
	snap := r.bio.Snapshot(ms)
	if snap.LastSampleT != 0 && len(r.consoles) > 0 {
		if raw, err := json.Marshal(snap); err == nil {
			r.toConsoles(wire.Signals, "metrics", 0, wire.Metrics{Metrics: raw, Source: r.source})
		}
	}
	r.adaptiveMetrics(ms, snap)
	// Rules are evaluated even before the first sample: a headset whose
	// sensor never sends anything must still raise no_data.
	for _, a := range r.eval.Evaluate(ms, snap) {
		r.raise(0, wire.Alert{Code: a.Code, Value: a.Value, Threshold: a.Threshold,
			Fired: a.Fired, MessageID: a.MessageID, Source: r.source})
		r.svc.tl.add(event(r.id, "alert", "biosignal", sourcedAlert{a, r.source}), nil)
		if a.Fired {
			r.apply(r.feed(protocols.Event{Type: protocols.EvAlert, Alert: a.Code, SustainedMs: a.T - a.Since, Value: &a.Value, Threshold: &a.Threshold}), 0)
		}
	}
}

// sourcedAlert is an alert's timeline record: the alert and the provenance
// kind of the data that raised it.
type sourcedAlert struct {
	biosignal.AlertEvent
	Source string `json:"source,omitempty"`
}

// adaptiveEvery is how often baseline-normalised physiology reaches the
// engine for the adaptive fear level: well inside its hysteresis (30 s by
// default), and a few recorded inputs a minute rather than one a second.
const adaptiveEvery = 5000

// adaptiveMetrics hands the engine the baseline z-scores of CLINICAL.md
// §6's arousal measures (HR, RMSSD, SCR rate, EDA slope — each against the
// spread of its own kind of window in the baseline, see biosignal.Baseline)
// when the protocol asks for adaptive suggestions. A measure the sensor
// does not give stays out.
func (r *room) adaptiveMetrics(ms int64, snap biosignal.Metrics) {
	if !r.adaptive || ms-r.lastZ < adaptiveEvery {
		return
	}
	// Snapshot allocates its values afresh each time: nothing else holds them.
	m := protocols.Metrics{HRZ: snap.HRZ, RMSSDZ: snap.RMSSDZ, SCRRateZ: snap.SCRRateZ, EDASlopeZ: snap.EDASlopeZ}
	if m == (protocols.Metrics{}) {
		return
	}
	r.lastZ = ms
	r.apply(r.feed(protocols.Event{Type: protocols.EvMetrics, Metrics: &m}), 0)
}
