package store

import "time"

// Role is what an account may do inside its clinic.
type Role string

// Roles of clinic accounts.
const (
	RoleAdmin     Role = "admin"
	RoleTherapist Role = "therapist"
	RoleModerator Role = "moderator"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	return r == RoleAdmin || r == RoleTherapist || r == RoleModerator
}

// Clinic is a tenant: nothing crosses between clinics.
type Clinic struct {
	ID            string `gorm:"primaryKey;size:32"`
	Name          string `gorm:"size:200;not null"`
	DefaultLocale string `gorm:"size:35;not null;default:en"`
	Country       string `gorm:"size:2"`
	// CrisisRecheckDays is how long a crisis line's last check stays
	// current; past it the support rooms mark the line, or hide it when
	// HideStaleCrisisLines is set (never leaving the panel empty).
	CrisisRecheckDays    int  `gorm:"not null;default:365"`
	HideStaleCrisisLines bool `gorm:"not null;default:false"`
	// MaxIntensityJump is the largest intensity change (percentage points)
	// the console sends without asking the therapist to confirm it. The
	// JSON name is what the console's live view reads from /api/me.
	MaxIntensityJump int `gorm:"not null;default:20" json:"max_intensity_jump"`
	// RecordPoses keeps the headset's head pose once a second in a live
	// session's timeline for its report (off: poses are relayed, never stored).
	RecordPoses bool `gorm:"not null;default:false" json:"record_poses"`
	CreatedAt   time.Time
}

// User is a clinic account (admin, therapist or moderator).
type User struct {
	ID       string `gorm:"primaryKey;size:32"`
	ClinicID string `gorm:"size:32;not null;index;uniqueIndex:idx_users_clinic_email,priority:1"`
	Clinic   Clinic `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	// Email is unique within a clinic; one address may have an account in
	// several clinics without any of them learning of the others.
	Email        string `gorm:"size:254;not null;uniqueIndex:idx_users_clinic_email,priority:2"`
	Name         string `gorm:"size:200"`
	Role         Role   `gorm:"size:16;not null"`
	PasswordHash string `gorm:"size:200" json:"-"`
	Locale       string `gorm:"size:35"`
	CreatedAt    time.Time
	DisabledAt   *time.Time
}

// AuthSession is a signed-in browser. Only the SHA-256 of the token is kept, so
// a database leak does not hand out live sessions.
type AuthSession struct {
	TokenHash string `gorm:"primaryKey;size:64"`
	UserID    string `gorm:"size:32;not null;index"`
	User      User   `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	CSRFToken string `gorm:"size:64;not null"`
	CreatedAt time.Time
	ExpiresAt time.Time `gorm:"index"`
	RevokedAt *time.Time
}

// Invite is a one-time link that lets someone set a password for a new account
// (or, for the first admin, the first sign-in).
type Invite struct {
	TokenHash string `gorm:"primaryKey;size:64"`
	ClinicID  string `gorm:"size:32;not null;index"`
	Clinic    Clinic `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	Email     string `gorm:"size:254;not null"`
	Role      Role   `gorm:"size:16;not null"`
	CreatedBy string `gorm:"size:32"`
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// Patient is a pseudonymous record: a clinic-chosen code, no name required.
type Patient struct {
	ID        string `gorm:"primaryKey;size:32"`
	ClinicID  string `gorm:"size:32;not null;uniqueIndex:idx_patient_code"`
	Clinic    Clinic `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	Code      string `gorm:"size:64;not null;uniqueIndex:idx_patient_code"`
	BirthYear int    `gorm:"not null"`
	Locale    string `gorm:"size:35"`
	// Screening holds the CLINICAL.md §5 checklist as JSON: item → flagged.
	Screening      string `gorm:"type:text;not null;default:'{}'"`
	ScreeningAckBy string `gorm:"size:32"`
	ScreeningAckAt *time.Time
	// ScreenedAt is when a therapist last recorded the checklist; nil means
	// the patient was never screened, which is not "nothing flagged".
	ScreenedAt *time.Time
	// Training marks the clinic's practice patient: simulated sessions run
	// against it, and it never appears among the clinic's real patients.
	Training bool `gorm:"not null;default:false"`
	// HRCeilingPct overrides the default 85 % of age-predicted maximum; 0 means default.
	HRCeilingPct int
	// HRCeilingOff switches the ceiling off for this patient, HRCeilingBPM
	// sets it in bpm (CLINICAL.md §5: beta-blockers, pacemakers); either
	// needs HRCeilingReason. Off wins over bpm, bpm over the percentage.
	HRCeilingOff    bool
	HRCeilingBPM    int
	HRCeilingReason string `gorm:"size:500"`
	Notes           string `gorm:"type:text"`
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// AuditEvent is one append-only line of who read or changed what.
type AuditEvent struct {
	ID        uint64    `gorm:"primaryKey;autoIncrement"`
	ClinicID  string    `gorm:"size:32;index"`
	ActorID   string    `gorm:"size:32"`
	Action    string    `gorm:"size:64;not null"`
	Target    string    `gorm:"size:64"`
	TargetID  string    `gorm:"size:64"`
	Detail    string    `gorm:"type:text"`
	CreatedAt time.Time `gorm:"index"`
}
