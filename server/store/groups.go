package store

import "time"

// Support-group models (DESIGN.md §6). Members are anonymous by design: a
// member row holds only the SHA-256 of a room-scoped random token and a
// generated pseudonym — never a name, e-mail, IP address or user agent.
// Ordinary chat messages are never written here; only the few a moderator
// must review (held crisis messages, reports, soft deletions) are, and they
// are purged by the room's retention policy.

// GroupRoom is a moderated support room of a clinic.
type GroupRoom struct {
	ID       string `gorm:"primaryKey;size:32"`
	ClinicID string `gorm:"size:32;not null;index"`
	Clinic   Clinic `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	// Code is the join code members type or follow as a link.
	Code     string `gorm:"size:16;not null;uniqueIndex"`
	Topic    string `gorm:"size:200;not null"`
	Locale   string `gorm:"size:35;not null"`
	Country  string `gorm:"size:2"` // crisis resources shown first; empty: the clinic's country
	Capacity int    `gorm:"not null"`
	// Rules is the clinic's own rules text; empty means the localized default.
	Rules    string `gorm:"type:text"`
	OpensAt  *time.Time
	ClosesAt *time.Time
	// RequireModerator keeps the room closed to chat until a moderator is connected.
	RequireModerator bool `gorm:"not null"`
	// Lobby holds new members until a moderator admits them.
	Lobby bool `gorm:"not null"`
	// RetainDays keeps review items (held, reported, deleted messages) this
	// many days after the room ends; 0 purges them when the room ends.
	RetainDays      int `gorm:"not null"`
	SlowModeSeconds int `gorm:"not null"`
	Locked          bool
	CreatedBy       string `gorm:"size:32"`
	CreatedAt       time.Time
	EndedAt         *time.Time
	// Space, when set, opens the room as a 3D circle in that calming scene
	// (a webxr template id: forest, beach, night_sky, neutral_room); empty
	// is a text room.
	Space string `gorm:"size:24;not null;default:''"`
}

// GroupMember is one anonymous participant of one room.
type GroupMember struct {
	ID              string    `gorm:"primaryKey;size:32"`
	RoomID          string    `gorm:"size:32;not null;index;uniqueIndex:idx_group_member_name"`
	Room            GroupRoom `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	TokenHash       string    `gorm:"size:64;not null;uniqueIndex"`
	Pseudonym       string    `gorm:"size:64;not null;uniqueIndex:idx_group_member_name"`
	RulesAcceptedAt time.Time
	AdmittedAt      *time.Time
	MutedUntil      *time.Time
	RemovedAt       *time.Time
	BannedAt        *time.Time
	CreatedAt       time.Time
}

// GroupQueueItem is a message awaiting a moderator: held for crisis language,
// reported by a member, or soft-deleted and kept for its review window.
type GroupQueueItem struct {
	ID         string    `gorm:"primaryKey;size:32"`
	RoomID     string    `gorm:"size:32;not null;index"`
	Room       GroupRoom `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	Kind       string    `gorm:"size:24;not null"` // crisis, report_worried, report_harmful, deleted
	MessageID  string    `gorm:"size:32;not null"`
	Pseudonym  string    `gorm:"size:64;not null"`
	Text       string    `gorm:"type:text;not null"`
	Reporter   string    `gorm:"size:64"`
	CreatedAt  time.Time
	ResolvedAt *time.Time
	ResolvedBy string     `gorm:"size:32"`
	Decision   string     `gorm:"size:16"`
	PurgeAt    *time.Time `gorm:"index"`
}

// GroupPhraseList is a clinic's word filter or crisis phrase list for one
// locale; it replaces the built-in list of that kind and locale.
type GroupPhraseList struct {
	ClinicID  string `gorm:"primaryKey;size:32"`
	Clinic    Clinic `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	Locale    string `gorm:"primaryKey;size:35"`
	Kind      string `gorm:"primaryKey;size:16"` // block or crisis
	Phrases   string `gorm:"type:text;not null"` // JSON array of strings
	UpdatedBy string `gorm:"size:32"`
	UpdatedAt time.Time
}

// GroupCrisisResource is a helpline curated by a clinic for one country.
type GroupCrisisResource struct {
	ID           string `gorm:"primaryKey;size:32"`
	ClinicID     string `gorm:"size:32;not null;index"`
	Clinic       Clinic `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	Country      string `gorm:"size:2;not null"`
	Name         string `gorm:"size:200;not null"`
	Phone        string `gorm:"size:40"`
	Text         string `gorm:"size:40"` // SMS / text line
	URL          string `gorm:"size:300"`
	Hours        string `gorm:"size:100"`
	LastVerified time.Time
	UpdatedBy    string `gorm:"size:32"`
}
