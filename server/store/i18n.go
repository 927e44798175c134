package store

import "time"

// MessageOverride is a clinic's own wording of one message in one locale,
// layered over the built-in bundle.
type MessageOverride struct {
	ClinicID  string `gorm:"primaryKey;size:32"`
	Locale    string `gorm:"primaryKey;size:35"`
	MessageID string `gorm:"primaryKey;size:128"`
	// Text is the message's plural forms as JSON (go-i18n field names).
	Text      string `gorm:"type:text;not null"`
	UpdatedBy string `gorm:"size:32"`
	UpdatedAt time.Time
}
