package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Audit appends one audit event; db may be a transaction so the event commits
// with the change it records.
func Audit(ctx context.Context, db *gorm.DB, ev AuditEvent) error {
	if ev.CreatedAt.IsZero() {
		ev.CreatedAt = time.Now().UTC()
	}
	if err := db.WithContext(ctx).Create(&ev).Error; err != nil {
		return fmt.Errorf("store: writing audit event %s: %w", ev.Action, err)
	}
	return nil
}

// ListAudit returns a clinic's audit events, newest first.
func (s *Store) ListAudit(ctx context.Context, clinicID string, before uint64, limit int) ([]AuditEvent, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	q := s.DB.WithContext(ctx).Where("clinic_id = ?", clinicID)
	if before > 0 {
		q = q.Where("id < ?", before)
	}
	var out []AuditEvent
	if err := q.Order("id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: listing audit events: %w", err)
	}
	return out, nil
}
