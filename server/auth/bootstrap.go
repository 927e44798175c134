package auth

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/havenvr/haven/server/store"
)

// Bootstrap prepares an empty database: it creates the first clinic and a
// one-time admin invite and returns the invite's link path. Haven never ships
// a default password; on a database that has accounts it returns "".
func (s *Service) Bootstrap(ctx context.Context, clinicName string) (string, error) {
	var users int64
	if err := s.store.DB.WithContext(ctx).Model(&store.User{}).Count(&users).Error; err != nil {
		return "", fmt.Errorf("auth: counting users: %w", err)
	}
	if users > 0 {
		return "", nil
	}
	var clinic store.Clinic
	err := s.store.DB.WithContext(ctx).Order("created_at").Take(&clinic).Error
	if err == gorm.ErrRecordNotFound {
		clinic = store.Clinic{ID: store.NewID(), Name: clinicName, DefaultLocale: "en", CreatedAt: s.now().UTC()}
		if err := s.store.DB.WithContext(ctx).Create(&clinic).Error; err != nil {
			return "", fmt.Errorf("auth: creating first clinic: %w", err)
		}
	} else if err != nil {
		return "", fmt.Errorf("auth: loading clinic: %w", err)
	}
	// Only the newest first-start link works: one printed by an earlier
	// start (and perhaps kept in an old log) must not create a second admin.
	if err := s.store.DB.WithContext(ctx).Model(&store.Invite{}).
		Where("clinic_id = ? AND created_by = '' AND email LIKE ? AND used_at IS NULL", clinic.ID, "%.invalid").
		Update("used_at", s.now().UTC()).Error; err != nil {
		return "", fmt.Errorf("auth: revoking earlier first-start links: %w", err)
	}
	link, _, err := s.CreateInvite(ctx, clinic.ID, "", "admin@"+clinic.ID+".invalid", store.RoleAdmin)
	if err != nil {
		return "", err
	}
	return link, nil
}

// SetPassword creates or updates an account with a password (demo seeding and
// the admin CLI use it; the web flow uses invites).
func (s *Service) SetPassword(ctx context.Context, clinicID, email, name string, role store.Role, password string) (store.User, error) {
	var u store.User
	err := s.store.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Where("clinic_id = ? AND email = ?", clinicID, email).Take(&u).Error
		if err == gorm.ErrRecordNotFound {
			u = store.User{ID: store.NewID(), ClinicID: clinicID, Email: email, Name: name, Role: role, CreatedAt: s.now().UTC()}
		} else if err != nil {
			return err
		}
		u.PasswordHash = HashPassword(password)
		u.DisabledAt = nil
		return tx.Save(&u).Error
	})
	if err != nil {
		return u, fmt.Errorf("auth: setting password for %s: %w", email, err)
	}
	return u, nil
}
