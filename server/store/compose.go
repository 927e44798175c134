package store

import "time"

// Composition is a clinic's named environment. Its content lives in
// immutable CompositionRevision rows; Latest is the newest revision number.
// Deleting is archiving: ArchivedAt hides the head from lists and new use,
// while every revision stays readable for the sessions that ran it.
type Composition struct {
	ID         string `gorm:"primaryKey;size:32"`
	ClinicID   string `gorm:"size:32;not null;index"`
	Clinic     Clinic `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	Name       string `gorm:"size:200"`
	Template   string `gorm:"size:64;not null"`
	Latest     int    `gorm:"not null"`
	CreatedBy  string `gorm:"size:32"`
	CreatedAt  time.Time
	UpdatedAt  time.Time
	ArchivedAt *time.Time // nil: in use
	ArchivedBy string     `gorm:"size:32"`
}

// CompositionRevision is one frozen revision: the canonical JSON of the
// validated composition and its content hash. Rows are only ever inserted.
type CompositionRevision struct {
	CompositionID string `gorm:"primaryKey;size:32"`
	Rev           int    `gorm:"primaryKey;autoIncrement:false"`
	ClinicID      string `gorm:"size:32;not null;index"`
	Body          string `gorm:"type:text;not null"`
	Hash          string `gorm:"size:80;not null"`
	CreatedBy     string `gorm:"size:32"`
	CreatedAt     time.Time
}

// ClinicProtocol is a clinic-authored exposure ladder or calming protocol;
// content lives in immutable ProtocolRevision rows. Archived like a
// Composition: hidden and unusable for new sessions and assignments, never
// removed.
type ClinicProtocol struct {
	ID         string `gorm:"primaryKey;size:32"`
	ClinicID   string `gorm:"size:32;not null;index"`
	Clinic     Clinic `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	Kind       string `gorm:"size:16;not null"`
	Template   string `gorm:"size:64;not null"`
	Latest     int    `gorm:"not null"`
	CreatedBy  string `gorm:"size:32"`
	CreatedAt  time.Time
	UpdatedAt  time.Time
	ArchivedAt *time.Time // nil: in use
	ArchivedBy string     `gorm:"size:32"`
}

// ProtocolRevision is one frozen protocol revision (canonical JSON + hash).
type ProtocolRevision struct {
	ProtocolID string `gorm:"primaryKey;size:32"`
	Rev        int    `gorm:"primaryKey;autoIncrement:false"`
	ClinicID   string `gorm:"size:32;not null;index"`
	Body       string `gorm:"type:text;not null"`
	Hash       string `gorm:"size:80;not null"`
	CreatedBy  string `gorm:"size:32"`
	CreatedAt  time.Time
}

// LadderAssignment records which exact protocol revision a patient climbs.
// Append-only: the newest row is the current assignment.
type LadderAssignment struct {
	ID         uint64  `gorm:"primaryKey;autoIncrement"`
	ClinicID   string  `gorm:"size:32;not null;index"`
	PatientID  string  `gorm:"size:32;not null;index"`
	Patient    Patient `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	ProtocolID string  `gorm:"size:64;not null"`
	Source     string  `gorm:"size:16;not null"` // "clinic" or "library"
	Rev        int     `gorm:"not null"`
	Hash       string  `gorm:"size:80;not null"`
	AssignedBy string  `gorm:"size:32"`
	CreatedAt  time.Time
}

// QuestionnaireScore is a therapist-entered questionnaire result (SSQ,
// PCL-5 or a score-only instrument, CLINICAL.md §5 and §8).
type QuestionnaireScore struct {
	ID        string    `gorm:"primaryKey;size:32"`
	ClinicID  string    `gorm:"size:32;not null;index"`
	PatientID string    `gorm:"size:32;not null;index"`
	Patient   Patient   `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	Kind      string    `gorm:"size:32;not null"`
	When      string    `gorm:"size:8;not null"`
	Items     string    `gorm:"type:text"` // JSON array of item ratings, empty when only a score was entered
	Score     float64   `gorm:"not null"`
	Subscales string    `gorm:"type:text"` // JSON object (SSQ subscales), empty otherwise
	EnteredBy string    `gorm:"size:32"`
	CreatedAt time.Time `gorm:"index"`
}
