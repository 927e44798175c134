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

// onBatch validates a biosignal batch, feeds the live metrics and submits it
// to the durable sink; the ack follows the commit (nothing lost), and a
// repeated seq is acknowledged again without a second row.
func (r *room) onBatch(p *peer, m wire.Message) {
	if r.duplicate(p, m) {
		return
	}
	wb := m.Body.(*wire.SignalsBatch)
	b := biosignal.Batch{Stream: biosignal.Stream(wb.Stream), Unit: wb.Unit, RateHz: wb.RateHz, T0: wb.T0,
		Offsets: wb.Ts, Values: wb.Values, Raw: wb.Raw, Seq: m.Seq}
	r.mu.Lock()
	if p != r.patient || r.svc.opts.Sink == nil || r.svc.draining.Load() {
		r.mu.Unlock()
		r.committed(p, wire.Signals, m.Seq, errUnavailable)
		return
	}
	r.restored(p)
	err := b.Validate(biosignal.DefaultLimits, nowMs(), r.lastT[b.Stream])
	var chunk ingest.Chunk
	if err == nil {
		chunk, err = ingest.FromBatch(r.id, &b, &r.check)
	}
	if err == nil {
		if n := b.Len(); n > 0 {
			r.lastT[b.Stream] = b.TimeOf(n - 1)
		}
		_, _ = r.bio.AddBatch(&b) // the stored chunk is the record; metrics skip what they cannot use
	}
	r.mu.Unlock()
	if err != nil {
		code := apierr.Validation
		var be *biosignal.Error
		if errors.As(err, &be) && be.Code == biosignal.CodeTooLarge {
			code = apierr.MessageTooLarge
		}
		r.reject(p, m.Seq, code, err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n := len(chunk.Samples)
	serr := r.svc.opts.Sink.Submit(ctx, chunk, func(a ingest.Ack) {
		if a.Err == nil && !a.Duplicate {
			r.svc.opts.Metrics.SamplesIngested.Add(float64(n))
		}
		r.committed(p, wire.Signals, m.Seq, a.Err)
	})
	if serr != nil {
		r.committed(p, wire.Signals, m.Seq, serr)
		p.sendError(apierr.Unavailable, m.Seq)
	}
}

// reject settles a batch that will never become valid by resending: it is
// recorded with its seq (so it stays settled across a restart), acknowledged
// once that record commits — a cumulative ack must move past it, or every
// later batch would wait behind it — and reported with a code. The caller
// has taken seq through duplicate.
func (r *room) reject(p *peer, seq uint64, code apierr.Code, cause error) {
	ev := event(r.id, rejectedSignals, rolePatient, map[string]any{"seq": seq, "error": cause.Error()})
	ev.Seq = seq
	r.svc.tl.add(ev, func(err error) { r.committed(p, wire.Signals, seq, err) })
	p.sendError(code, seq)
}

// rejectUndecodable settles a patient's signals.batch whose envelope parsed
// but whose body did not (a null sample, a wrong type): like an invalid
// batch, it is recorded and acknowledged rather than blocking the channel.
func (r *room) rejectUndecodable(p *peer, m wire.Message, err error) bool {
	if p.role != rolePatient || m.Type != "signals.batch" || m.Seq == 0 {
		return false
	}
	m.Spec = wire.Spec{Channel: wire.Signals}
	if r.duplicate(p, m) {
		return true
	}
	r.reject(p, m.Seq, apierr.From(err).Code, err)
	return true
}

// inflight reports whether submitted batches await their commit.
func (r *room) inflight() bool {
	key := rolePatient + "/" + wire.Signals
	r.seqMu.Lock()
	defer r.seqMu.Unlock()
	return len(r.pending[key]) > 0
}

// metrics sends the live biosignal summary and evaluates alert rules; rule
// events go to the therapist and, as engine events, may pause the session.
// Caller holds r.mu.
func (r *room) metrics(now time.Time) {
	ms := now.UnixMilli()
	snap := r.bio.Snapshot(ms)
	if snap.LastSampleT != 0 && len(r.consoles) > 0 {
		if raw, err := json.Marshal(snap); err == nil {
			r.toConsoles(wire.Signals, "metrics", 0, wire.Metrics{Metrics: raw})
		}
	}
	r.adaptiveMetrics(ms, snap)
	// Rules are evaluated even before the first sample: a headset whose
	// sensor never sends anything must still raise no_data.
	for _, a := range r.eval.Evaluate(ms, snap) {
		r.toConsoles(wire.Control, "alert", 0, wire.Alert{Code: a.Code, Value: a.Value, Threshold: a.Threshold,
			Fired: a.Fired, MessageID: a.MessageID})
		r.svc.tl.add(event(r.id, "alert", "biosignal", a), nil)
		if a.Fired {
			r.apply(r.feed(protocols.Event{Type: protocols.EvAlert, Alert: a.Code, SustainedMs: a.T - a.Since}), 0)
		}
	}
}

// adaptiveEvery is how often baseline-normalised physiology reaches the
// engine for the adaptive fear level: well inside its hysteresis (30 s by
// default), and a few recorded inputs a minute rather than one a second.
const adaptiveEvery = 5000

// adaptiveMetrics hands the engine the baseline z-scores of CLINICAL.md
// §6's arousal measures (HR, RMSSD, SCR rate, EDA slope — each against the
// spread of its own kind of window in the baseline, see biosignal.Baseline)
// when the protocol asks for adaptive suggestions. A measure the sensor
// does not give stays out. Caller holds r.mu.
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
