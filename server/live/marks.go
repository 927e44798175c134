package live

import (
	"context"
	"fmt"

	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

// rejectedSignals is the timeline kind that records a permanently refused
// batch with its seq, so that it counts as settled after a restart too.
const rejectedSignals = "signals.rejected"

// loadMarks restores the receivers' settled seqs after a restart from what
// is stored: timeline events carrying a sender's control seq, sample chunks
// and recorded rejections for the patient's signals.
func (r *room) loadMarks(ctx context.Context) error {
	db := r.svc.opts.Store.DB.WithContext(ctx)
	for _, role := range []string{rolePatient, roleTherapist} {
		var seqs []uint64
		if err := db.Model(&store.TimelineEvent{}).Where("session_id = ? AND peer = ? AND kind <> ?", r.id, role, rejectedSignals).
			Distinct().Pluck("seq", &seqs).Error; err != nil {
			return fmt.Errorf("live: loading marks: %w", err)
		}
		r.recvFor(role, wire.Control).Restore(seqs)
	}
	var seqs, rejected []uint64
	if err := db.Table("sample_chunks").Where("session_id = ?", r.id).Distinct().Pluck("seq", &seqs).Error; err != nil {
		return fmt.Errorf("live: loading sample marks: %w", err)
	}
	if err := db.Model(&store.TimelineEvent{}).Where("session_id = ? AND kind = ?", r.id, rejectedSignals).
		Pluck("seq", &rejected).Error; err != nil {
		return fmt.Errorf("live: loading rejection marks: %w", err)
	}
	r.recvFor(rolePatient, wire.Signals).Restore(append(seqs, rejected...))
	return nil
}
