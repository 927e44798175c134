package store

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"
)

// A migration is one numbered, append-only step of the schema. Applied IDs are
// recorded in schema_migrations; a step never changes once released.
type migration struct {
	ID   int
	Name string
	Up   func(tx *gorm.DB) error
}

// migrations lists every schema step in order. Append new steps at the end
// with a higher ID; TestMigrationIDs guards against two changes picking one ID.
var migrations = []migration{
	{1, "accounts and patients", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&Clinic{}, &User{}, &AuthSession{}, &Invite{}, &Patient{}, &AuditEvent{})
	}},
	{2, "clinic message overrides", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&MessageOverride{})
	}},
	{3, "biosignal sample chunks", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&SampleChunk{})
	}},
	{4, "live sessions and timelines", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&LiveSession{}, &TimelineEvent{})
	}},
	{7, "support groups", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&GroupRoom{}, &GroupMember{}, &GroupQueueItem{}, &GroupPhraseList{}, &GroupCrisisResource{})
	}},
	{8, "compositions, protocols, ladder assignments, questionnaires", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&Composition{}, &CompositionRevision{}, &ClinicProtocol{}, &ProtocolRevision{}, &LadderAssignment{}, &QuestionnaireScore{})
	}},
	{9, "live sessions keep the exact protocol and composition revisions", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&LiveSession{})
	}},
	{10, "compositions and protocols can be archived (delete keeps every revision)", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&Composition{}, &ClinicProtocol{})
	}},
	{11, "a patient's heart-rate ceiling can be off or in bpm, with a reason", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&Patient{})
	}},
	{12, "account e-mail addresses unique per clinic, not across clinics", func(tx *gorm.DB) error {
		m := tx.Migrator()
		if m.HasIndex(&User{}, "idx_users_email") {
			if err := m.DropIndex(&User{}, "idx_users_email"); err != nil {
				return err
			}
		}
		if m.HasIndex(&User{}, "idx_users_clinic_email") {
			return nil
		}
		return m.CreateIndex(&User{}, "idx_users_clinic_email")
	}},
	{13, "a clinic's re-check period for crisis lines, and whether stale ones are hidden", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&Clinic{})
	}},
	{14, "sample provenance, screening state, training patients, practice and scheduled sessions", func(tx *gorm.DB) error {
		if err := tx.AutoMigrate(&SampleChunk{}, &Patient{}, &LiveSession{}); err != nil {
			return err
		}
		// A checklist with any answer was filled in by someone: screened
		// (when is unknown; the last change is the best bound). An empty
		// one stays not screened.
		return tx.Model(&Patient{}).Where("screening <> ? AND screening <> ?", "{}", "").
			Update("screened_at", gorm.Expr("updated_at")).Error
	}},
	{15, "a clinic's largest intensity jump sent without confirmation", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&Clinic{})
	}},
	{16, "a timeline event's actor holds a whole user ID (PostgreSQL enforces lengths SQLite ignores)", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&TimelineEvent{})
	}},
	{17, "a support room can open as a 3D circle in a calming scene", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&GroupRoom{})
	}},
	{18, "a clinic may keep its patients' head poses once a second for the report", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&Clinic{})
	}},
}

type schemaMigration struct {
	ID        int `gorm:"primaryKey;autoIncrement:false"`
	Name      string
	AppliedAt time.Time
}

// migrationLock is the PostgreSQL advisory-lock key that serialises
// migrations between nodes starting at once (an arbitrary constant: "haven").
const migrationLock = 0x686176656e

func (s *Store) migrate(ctx context.Context) error {
	db := s.DB.WithContext(ctx)
	if !s.postgres {
		return s.applyMigrations(db)
	}
	// PostgreSQL runs DDL in transactions: every pending step commits
	// together, and a second node waits on the lock, then finds nothing to do.
	return db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", migrationLock).Error; err != nil {
			return fmt.Errorf("store: taking the migration lock: %w", err)
		}
		return s.applyMigrations(tx)
	})
}

func (s *Store) applyMigrations(db *gorm.DB) error {
	if err := db.AutoMigrate(&schemaMigration{}); err != nil {
		return fmt.Errorf("store: creating schema_migrations: %w", err)
	}
	var applied []int
	if err := db.Model(&schemaMigration{}).Pluck("id", &applied).Error; err != nil {
		return fmt.Errorf("store: reading schema_migrations: %w", err)
	}
	done := make(map[int]bool, len(applied))
	for _, id := range applied {
		done[id] = true
	}
	for _, m := range migrations {
		if done[m.ID] {
			continue
		}
		err := db.Transaction(func(tx *gorm.DB) error {
			if err := m.Up(tx); err != nil {
				return err
			}
			return tx.Create(&schemaMigration{ID: m.ID, Name: m.Name, AppliedAt: time.Now().UTC()}).Error
		})
		if err != nil {
			return fmt.Errorf("store: migration %d (%s): %w", m.ID, m.Name, err)
		}
		s.logger.Info("migration applied", slog.Int("id", m.ID), slog.String("name", m.Name))
	}
	return nil
}

// Migrated reports whether every known migration has been applied.
func (s *Store) Migrated(ctx context.Context) (bool, error) {
	var n int64
	if err := s.DB.WithContext(ctx).Model(&schemaMigration{}).Count(&n).Error; err != nil {
		return false, err
	}
	return int(n) >= len(migrations), nil
}
