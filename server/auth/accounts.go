package auth

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/web"
)

// maxEmail is the longest address SMTP carries (RFC 5321 §4.5.3.1.3: a
// 256-octet path, less the angle brackets).
const maxEmail = 254

// registerAccounts adds the password and account-state routes.
func (s *Service) registerAccounts(w *web.Server) {
	tag := "accounts"
	admin := []echo.MiddlewareFunc{s.Require(web.Admin)}
	w.Handle(web.Route{Method: http.MethodPost, Path: "/api/me/password", Summary: "Change your own password (signs out your other sessions).",
		Access: web.Staff, Tag: tag, Handler: s.changePassword, Middleware: []echo.MiddlewareFunc{s.Require(web.Staff)},
		RequestBody: "{current_password, new_password}"})
	w.Handle(web.Route{Method: http.MethodPost, Path: "/api/users/:id/password-reset", Summary: "Issue a one-time link that sets a new password for an account (and enables it).",
		Access: web.Admin, Tag: tag, Handler: s.resetPassword, Middleware: admin, Response: "{link, expires_at}"})
	w.Handle(web.Route{Method: http.MethodPost, Path: "/api/users/:id/enable", Summary: "Enable a disabled account again.",
		Access: web.Admin, Tag: tag, Handler: s.enableUser, Middleware: admin})
}

// checkPassword applies the password rule: 12 to 256 characters.
func checkPassword(field, pw string) error {
	if n := len([]rune(pw)); n < 12 || n > 256 {
		return apierr.Invalid(field, "must be 12 to 256 characters")
	}
	return nil
}

func (s *Service) changePassword(c echo.Context) error {
	p := From(c)
	var req struct {
		Current string `json:"current_password"`
		New     string `json:"new_password"`
	}
	if err := web.BindJSON(c, &req); err != nil {
		return err
	}
	if err := checkPassword("new_password", req.New); err != nil {
		return err
	}
	// The current password is a guessable secret: the sign-in limit applies.
	if ok, wait := s.perAccount.Allow(p.User.Email, s.now()); !ok {
		return apierr.Limited(wait)
	}
	if ok, err := VerifyPassword(p.User.PasswordHash, req.Current); err != nil || !ok {
		return apierr.Invalid("current_password", "does not match")
	}
	hash := HashPassword(req.New)
	err := s.store.DB.WithContext(c.Request().Context()).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&store.User{}).Where("id = ?", p.User.ID).Update("password_hash", hash).Error; err != nil {
			return err
		}
		// Whoever knew the old password is signed out everywhere else.
		if err := tx.Model(&store.AuthSession{}).Where("user_id = ? AND token_hash <> ? AND revoked_at IS NULL", p.User.ID, p.Session.TokenHash).
			Update("revoked_at", s.now().UTC()).Error; err != nil {
			return err
		}
		return s.audit(c.Request().Context(), tx, store.AuditEvent{ClinicID: p.User.ClinicID, ActorID: p.User.ID,
			Action: "user.password_change", Target: "user", TargetID: p.User.ID})
	})
	if err != nil {
		return apierr.Errorf("auth: changing password: %w", err)
	}
	s.perAccount.Reset(p.User.Email)
	return c.NoContent(http.StatusNoContent)
}

// clinicUser loads an account of the admin's own clinic (404 otherwise).
func (s *Service) clinicUser(c echo.Context) (store.User, error) {
	return store.InClinic[store.User](c.Request().Context(), s.store.DB, "user", From(c).User.ClinicID, c.Param("id"))
}

// resetPassword issues a one-time link for an account: accepting it (the
// invite page) sets a new password, enables the account and signs it out
// everywhere. The admin never learns or chooses the password.
func (s *Service) resetPassword(c echo.Context) error {
	u, err := s.clinicUser(c)
	if err != nil {
		return err
	}
	link, inv, err := s.CreateInvite(c.Request().Context(), u.ClinicID, From(c).User.ID, u.Email, u.Role)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"link": link, "expires_at": inv.ExpiresAt})
}

func (s *Service) enableUser(c echo.Context) error {
	p := From(c)
	u, err := s.clinicUser(c)
	if err != nil {
		return err
	}
	if u.DisabledAt == nil {
		return c.NoContent(http.StatusNoContent)
	}
	err = s.store.DB.WithContext(c.Request().Context()).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&store.User{}).Where("id = ?", u.ID).Update("disabled_at", nil).Error; err != nil {
			return err
		}
		return s.audit(c.Request().Context(), tx, store.AuditEvent{ClinicID: p.User.ClinicID, ActorID: p.User.ID,
			Action: "user.enable", Target: "user", TargetID: u.ID})
	})
	if err != nil {
		return apierr.Errorf("auth: enabling user: %w", err)
	}
	return c.NoContent(http.StatusNoContent)
}

// claimAccount turns an accepted invite into an account of its clinic: a
// new one, or the clinic's existing account with that address, which gets
// the new password and the invite's role, is enabled, and loses its sessions.
func (s *Service) claimAccount(ctx context.Context, tx *gorm.DB, inv store.Invite, name, hash string) (store.User, error) {
	var u store.User
	err := tx.Take(&u, "clinic_id = ? AND email = ?", inv.ClinicID, inv.Email).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		u = store.User{ID: store.NewID(), ClinicID: inv.ClinicID, Email: inv.Email, Name: name,
			Role: inv.Role, PasswordHash: hash, CreatedAt: s.now().UTC()}
		if err := tx.Create(&u).Error; err != nil {
			return u, err
		}
		return u, s.audit(ctx, tx, store.AuditEvent{ClinicID: inv.ClinicID, ActorID: u.ID,
			Action: "user.create", Target: "user", TargetID: u.ID, Detail: string(inv.Role)})
	}
	if err != nil {
		return u, err
	}
	upd := map[string]any{"password_hash": hash, "role": inv.Role, "disabled_at": nil}
	if name != "" {
		upd["name"] = name
	}
	if err := tx.Model(&store.User{}).Where("id = ?", u.ID).Updates(upd).Error; err != nil {
		return u, err
	}
	if err := tx.Model(&store.AuthSession{}).Where("user_id = ? AND revoked_at IS NULL", u.ID).Update("revoked_at", s.now().UTC()).Error; err != nil {
		return u, err
	}
	if err := tx.Take(&u, "id = ?", u.ID).Error; err != nil {
		return u, err
	}
	return u, s.audit(ctx, tx, store.AuditEvent{ClinicID: inv.ClinicID, ActorID: u.ID,
		Action: "user.password_set", Target: "user", TargetID: u.ID, Detail: string(inv.Role)})
}
