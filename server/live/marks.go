package live

import (
	"context"
	"fmt"

	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

// marks tracks, per sender and channel, which durable seqs are settled
// (committed, or permanently rejected and recorded).
//
// On signals every message is a durable batch, so the marks are contiguous:
// the acknowledgement is the highest seq below which everything is settled,
// and a cumulative ack never covers a batch that was refused for now
// (throttled, store busy) and will be resent.
//
// On control, durable messages (ratings, notes, break requests) share the
// seq space with heartbeats and commands that leave no record, so a gap says
// nothing: the marks are the exact set of settled seqs, and each connection
// computes its own acknowledgement (peer.controlAck).
type marks struct {
	contiguous bool
	high       uint64              // contiguous: every seq ≤ high is settled; control: the highest settled
	above      map[uint64]struct{} // contiguous: settled seqs > high+1; control: every settled seq
}

// settled reports whether seq needs no more handling.
func (m *marks) settled(seq uint64) bool {
	if m.contiguous && seq <= m.high {
		return true
	}
	_, ok := m.above[seq]
	return ok
}

// settle records seq and returns the new high-water mark.
func (m *marks) settle(seq uint64) uint64 {
	switch {
	case m.contiguous && seq <= m.high:
	case m.contiguous && seq == m.high+1:
		m.high = seq
		for {
			if _, ok := m.above[m.high+1]; !ok {
				break
			}
			delete(m.above, m.high+1)
			m.high++
		}
	default:
		if m.above == nil {
			m.above = map[uint64]struct{}{}
		}
		m.above[seq] = struct{}{}
		if !m.contiguous {
			m.high = max(m.high, seq)
		}
	}
	return m.high
}

// restore rebuilds marks from the seqs a previous run stored.
func restore(seqs []uint64, contiguous bool) *marks {
	m := &marks{contiguous: contiguous}
	for _, s := range seqs {
		m.settle(s)
	}
	return m
}

// rejectedSignals is the timeline kind that records a permanently refused
// batch with its seq, so that it counts as settled after a restart too.
const rejectedSignals = "signals.rejected"

// loadMarks restores the durable marks after a restart from what is stored:
// timeline events carrying a sender's control seq, sample chunks and
// recorded rejections for the patient's signals.
func (r *room) loadMarks(ctx context.Context) error {
	db := r.svc.opts.Store.DB.WithContext(ctx)
	for _, role := range []string{rolePatient, roleTherapist} {
		var seqs []uint64
		if err := db.Model(&store.TimelineEvent{}).Where("session_id = ? AND peer = ? AND kind <> ?", r.id, role, rejectedSignals).
			Distinct().Pluck("seq", &seqs).Error; err != nil {
			return fmt.Errorf("live: loading marks: %w", err)
		}
		r.marks[role+"/"+wire.Control] = restore(seqs, false)
	}
	var seqs, rejected []uint64
	if err := db.Table("sample_chunks").Where("session_id = ?", r.id).Distinct().Pluck("seq", &seqs).Error; err != nil {
		return fmt.Errorf("live: loading sample marks: %w", err)
	}
	if err := db.Model(&store.TimelineEvent{}).Where("session_id = ? AND kind = ?", r.id, rejectedSignals).
		Pluck("seq", &rejected).Error; err != nil {
		return fmt.Errorf("live: loading rejection marks: %w", err)
	}
	r.marks[rolePatient+"/"+wire.Signals] = restore(append(seqs, rejected...), true)
	return nil
}

// mark returns the marks of a key, creating them.
func (r *room) mark(key string) *marks {
	m := r.marks[key]
	if m == nil {
		m = &marks{contiguous: key == rolePatient+"/"+wire.Signals}
		r.marks[key] = m
	}
	return m
}

// next is the seq a reloaded client should continue from: above every seq
// already settled, so none is reused.
func (m *marks) next() uint64 {
	top := m.high
	for s := range m.above {
		top = max(top, s)
	}
	return top + 1
}
