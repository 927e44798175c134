// Package demo seeds a demo clinic so a newcomer sees a working system at
// once: a therapist, a moderator and an admin (fresh passwords printed at
// every start), pseudonymous patients and a moderated support room.
package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/havenvr/haven/server/auth"
	"github.com/havenvr/haven/server/store"
)

// ClinicID is the demo clinic's fixed id.
const ClinicID = "democlinic"

// RoomCode is the demo support room's join code (members open /room/ and type it).
const RoomCode = "DEMOROOM"

// Credentials are the demo accounts' sign-in details.
type Credentials struct {
	Therapist, Moderator, Admin Account
}

// Account is an e-mail and password.
type Account struct{ Email, Password string }

// Seed creates (or refreshes) the demo clinic and returns fresh credentials.
func Seed(ctx context.Context, st *store.Store, a *auth.Service) (Credentials, error) {
	var clinic store.Clinic
	err := st.DB.WithContext(ctx).Take(&clinic, "id = ?", ClinicID).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		clinic = store.Clinic{ID: ClinicID, Name: "Demo Clinic", DefaultLocale: "en", Country: "US", CreatedAt: time.Now().UTC()}
		if err := st.DB.WithContext(ctx).Create(&clinic).Error; err != nil {
			return Credentials{}, fmt.Errorf("demo: creating clinic: %w", err)
		}
	} else if err != nil {
		return Credentials{}, fmt.Errorf("demo: loading clinic: %w", err)
	} else if clinic.Country == "" {
		// A demo database from before the clinic had a country: without one
		// its crisis panels list every country's lines with none first.
		if err := st.DB.WithContext(ctx).Model(&clinic).Update("country", "US").Error; err != nil {
			return Credentials{}, fmt.Errorf("demo: setting the clinic's country: %w", err)
		}
	}
	creds := Credentials{
		Therapist: Account{"therapist@demo.haven", store.RandomToken(10)},
		Moderator: Account{"moderator@demo.haven", store.RandomToken(10)},
		Admin:     Account{"admin@demo.haven", store.RandomToken(10)},
	}
	for _, acc := range []struct {
		Account
		name string
		role store.Role
	}{
		{creds.Therapist, "Dr. Demo Therapist", store.RoleTherapist},
		{creds.Moderator, "Demo Moderator", store.RoleModerator},
		{creds.Admin, "Demo Admin", store.RoleAdmin},
	} {
		if _, err := a.SetPassword(ctx, ClinicID, acc.Email, acc.name, acc.role, acc.Password); err != nil {
			return Credentials{}, err
		}
	}
	patients := []store.Patient{
		{ID: "demopatient1", Code: "P-001", BirthYear: 1990, Locale: "en", Screening: "{}", Notes: "Fear of heights (acrophobia)."},
		{ID: "demopatient2", Code: "P-002", BirthYear: 1978, Locale: "es", Screening: `{"heart_condition":true}`, Notes: "Fear of flying; screening flag to acknowledge."},
	}
	for _, p := range patients {
		now := time.Now().UTC()
		p.ClinicID, p.CreatedAt, p.UpdatedAt = ClinicID, now, now
		p.ScreenedAt = &now // both were screened at intake (P-002 has a flag to acknowledge)
		if err := st.DB.WithContext(ctx).Where("id = ?", p.ID).FirstOrCreate(&p).Error; err != nil {
			return Credentials{}, fmt.Errorf("demo: creating patient %s: %w", p.Code, err)
		}
	}
	room := store.GroupRoom{ID: "demoroom", ClinicID: ClinicID, Code: RoomCode, Topic: "Fear of flying and heights — evening circle",
		Locale: "en", Capacity: 30, RequireModerator: true, Lobby: true, CreatedAt: time.Now().UTC()}
	if err := st.DB.WithContext(ctx).Where("id = ?", room.ID).FirstOrCreate(&room).Error; err != nil {
		return Credentials{}, fmt.Errorf("demo: creating support room: %w", err)
	}
	return creds, nil
}
