package store

import "time"

// Live-session states (DESIGN.md §3): scheduled → waiting → live ⇄ paused → ended.
const (
	LiveScheduled = "scheduled"
	LiveWaiting   = "waiting"
	LiveLive      = "live"
	LivePaused    = "paused"
	LiveEnded     = "ended"
)

// LiveSession is one scheduled or held therapy session. The join code and the
// patient's bearer token are kept only as SHA-256 hashes.
type LiveSession struct {
	ID           string `gorm:"primaryKey;size:32"`
	ClinicID     string `gorm:"size:32;not null;index"`
	Clinic       Clinic `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	PatientID    string `gorm:"size:32;not null;index"`
	TherapistID  string `gorm:"size:32;not null"`
	ProtocolID   string `gorm:"size:64"`
	ProtocolHash string `gorm:"size:80"`
	// ProtocolRev and Protocol are the exact revision the session runs and
	// its document: a later edit of the clinic's protocol never changes a
	// scheduled or finished session.
	ProtocolRev int
	Protocol    string `gorm:"type:text"`
	// Composition is a single composition's JSON when no protocol is used;
	// CompositionID and CompositionRev name the clinic revision it came from.
	Composition    string `gorm:"type:text"`
	CompositionID  string `gorm:"size:32"`
	CompositionRev int
	Kind           string `gorm:"size:16;not null"`
	State          string `gorm:"size:16;not null;index"`
	StateReason    string `gorm:"size:64"`
	JoinCodeHash   string `gorm:"size:64;index"`
	JoinExpires    *time.Time
	JoinUsedAt     *time.Time
	TokenHash      string `gorm:"size:64;index"`
	Simulated      bool
	// Practice marks a training session: it runs against the clinic's
	// training patient, and the headset runs its labelled simulated sensor.
	Practice bool `gorm:"not null;default:false"`
	// ScheduledFor is when the session is planned to start (nil: now).
	ScheduledFor *time.Time `gorm:"index"`
	// ScreeningOverride is the therapist's reason for starting an exposure
	// session without a screening (CLINICAL.md §5); empty when screened.
	ScreeningOverride string `gorm:"type:text"`
	CreatedAt         time.Time
	StartedAt         *time.Time
	EndedAt           *time.Time
}

// TimelineEvent is one append-only line of a session's history: transitions,
// commands, ratings, alerts, notes and engine outputs. Peer and Seq identify
// a durable peer message (SUDS rating, note) so a resend is recognised after a
// reconnect or a server restart.
type TimelineEvent struct {
	ID        uint64    `gorm:"primaryKey;autoIncrement"`
	SessionID string    `gorm:"size:32;not null;index:idx_timeline_session,priority:1"`
	At        time.Time `gorm:"not null"`
	Kind      string    `gorm:"size:48;not null"`
	// Actor is a role or the acting user's ID (32 characters).
	Actor string `gorm:"size:32"`
	Peer  string `gorm:"size:16;index:idx_timeline_session,priority:2"`
	Seq   uint64 `gorm:"index:idx_timeline_session,priority:3"`
	Body  string `gorm:"type:text"`
}
