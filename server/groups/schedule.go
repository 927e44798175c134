package groups

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/havenvr/haven/server/store"
)

// systemActor is the audit actor of what the service does on its own.
const systemActor = "system"

// endBatch bounds the rooms one sweep ends; the next sweep takes the rest.
const endBatch = 100

// endDue ends every room whose scheduled close has passed, exactly as a
// moderator's "end" does: its member records and (per retain_days) its
// review items go, everyone inside is told and disconnected, and the end is
// audited, by the system. Without it a room that only closes on schedule
// would keep held and reported messages for ever.
func (s *Service) endDue(ctx context.Context) error {
	now := s.now().UTC()
	var due []store.GroupRoom
	if err := s.store.DB.WithContext(ctx).Where("ended_at IS NULL AND closes_at IS NOT NULL AND closes_at <= ?", now).
		Order("closes_at").Limit(endBatch).Find(&due).Error; err != nil {
		return fmt.Errorf("groups: listing rooms past their close: %w", err)
	}
	var errs []error
	for _, row := range due {
		if err := s.endOnSchedule(ctx, row, now); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *Service) endOnSchedule(ctx context.Context, row store.GroupRoom, now time.Time) error {
	ev := store.AuditEvent{ClinicID: row.ClinicID, ActorID: systemActor, Action: "group." + ActEnd, Target: "group_room",
		TargetID: row.ID, Detail: detail(map[string]any{"reason": "scheduled close", "closes_at": row.ClosesAt})}
	err := s.store.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.prepareEnd(row, now)(tx); err != nil {
			return err
		}
		return store.Audit(ctx, tx, ev)
	})
	switch {
	case errors.Is(err, errAlreadyEnded):
		return nil // a moderator ended it in the meantime
	case err != nil:
		return fmt.Errorf("groups: ending room %s on schedule: %w", row.ID, err)
	}
	if r := s.loaded(row.ID); r != nil {
		s.closeEnded(row.ID, r)
	}
	s.log.Info("room ended on schedule", slog.String("room_id", row.ID))
	return nil
}
