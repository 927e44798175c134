package auth

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/mail"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/ratelimit"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/web"
)

// Register adds the account routes to the server.
func (s *Service) Register(w *web.Server) {
	tag := "accounts"
	w.Handle(web.Route{Method: http.MethodPost, Path: "/api/auth/login", Summary: "Sign in with e-mail and password.",
		Access: web.Public, Tag: tag, Handler: s.login, RequestBody: "{email, password}", Response: "{user, clinic, csrf_token}"})
	w.Handle(web.Route{Method: http.MethodPost, Path: "/api/auth/logout", Summary: "Sign out and revoke this session.",
		Access: web.Staff, Tag: tag, Handler: s.logout, Middleware: []echo.MiddlewareFunc{s.Require(web.Staff)}})
	w.Handle(web.Route{Method: http.MethodGet, Path: "/api/me", Summary: "The signed-in account, its clinic and CSRF token.",
		Access: web.Staff, Tag: tag, Handler: s.me, Middleware: []echo.MiddlewareFunc{s.Require(web.Staff)}})
	w.Handle(web.Route{Method: http.MethodGet, Path: "/api/invites/:token", Summary: "What a one-time invite link is for.",
		Access: web.Public, Tag: tag, Handler: s.inviteInfo})
	w.Handle(web.Route{Method: http.MethodPost, Path: "/api/invites/:token/accept", Summary: "Accept an invite: set name and password, sign in.",
		Access: web.Public, Tag: tag, Handler: s.acceptInvite, RequestBody: "{name, password}"})
	w.Handle(web.Route{Method: http.MethodPost, Path: "/api/invites", Summary: "Invite a therapist, moderator or admin (one-time link).",
		Access: web.Admin, Tag: tag, Handler: s.createInvite, Middleware: []echo.MiddlewareFunc{s.Require(web.Admin)},
		RequestBody: "{email, role}", Response: "{link, expires_at}"})
	w.Handle(web.Route{Method: http.MethodGet, Path: "/api/users", Summary: "The clinic's accounts.",
		Access: web.Admin, Tag: tag, Handler: s.listUsers, Middleware: []echo.MiddlewareFunc{s.Require(web.Admin)}})
	w.Handle(web.Route{Method: http.MethodDelete, Path: "/api/users/:id", Summary: "Disable an account and revoke its sessions.",
		Access: web.Admin, Tag: tag, Handler: s.disableUser, Middleware: []echo.MiddlewareFunc{s.Require(web.Admin)}})
	s.registerAccounts(w)
	w.Handle(web.Route{Method: http.MethodGet, Path: "/api/audit", Summary: "The clinic's audit log, newest first (?before=id).",
		Access: web.Admin, Tag: tag, Handler: s.listAudit, Middleware: []echo.MiddlewareFunc{s.Require(web.Admin)}})
}

type userView struct {
	ID       string     `json:"id"`
	Email    string     `json:"email"`
	Name     string     `json:"name"`
	Role     store.Role `json:"role"`
	Locale   string     `json:"locale,omitempty"`
	Disabled bool       `json:"disabled"`
}

func viewUser(u store.User) userView {
	return userView{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, Locale: u.Locale, Disabled: u.DisabledAt != nil}
}

type meResponse struct {
	User      userView     `json:"user"`
	Clinic    store.Clinic `json:"clinic"`
	CSRFToken string       `json:"csrf_token"`
}

func (s *Service) meFor(c echo.Context, u store.User, sess store.AuthSession) error {
	var clinic store.Clinic
	if err := s.store.DB.WithContext(c.Request().Context()).Take(&clinic, "id = ?", u.ClinicID).Error; err != nil {
		return apierr.Errorf("auth: loading clinic: %w", err)
	}
	return c.JSON(http.StatusOK, meResponse{User: viewUser(u), Clinic: clinic, CSRFToken: sess.CSRFToken})
}

func (s *Service) login(c echo.Context) error {
	var req struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := web.BindJSON(c, &req); err != nil {
		return err
	}
	email := strings.ToLower(strings.TrimSpace(req.Email))
	bucket := ratelimit.AddressKey(c.RealIP())
	if err := s.limitLogin(email, bucket); err != nil {
		s.log.LogAttrs(c.Request().Context(), slog.LevelWarn, "sign-in refused", slog.String("reason", "rate_limited"),
			slog.String("account", accountRef(email)), slog.String("address", bucket))
		return err
	}
	// One address may hold an account in several clinics: the password
	// says which one signs in.
	var users []store.User
	if err := s.store.DB.WithContext(c.Request().Context()).Where("email = ?", email).Order("created_at").Find(&users).Error; err != nil {
		return apierr.Errorf("auth: loading user: %w", err)
	}
	u, reason := matchLogin(users, req.Password)
	if reason != "" {
		if len(users) == 0 {
			s.auditFailedLogin(c, store.User{}, email, bucket, reason)
		}
		for _, cand := range users {
			s.auditFailedLogin(c, cand, email, bucket, reason)
		}
		return apierr.New(apierr.LoginFailed)
	}
	s.perAccount.Reset(email)
	sess, err := s.startSession(c, s.store.DB, u)
	if err != nil {
		return apierr.Wrap(apierr.Internal, err)
	}
	_ = s.audit(c.Request().Context(), s.store.DB, store.AuditEvent{ClinicID: u.ClinicID, ActorID: u.ID, Action: "auth.login", Target: "user", TargetID: u.ID})
	return s.meFor(c, u, sess)
}

var dummyHash = HashPassword("haven-timing-equaliser")

// matchLogin finds the account among users (all with the typed address)
// whose password matches, or names why none signs in. Every candidate is
// checked, and at least two hashes always are, so the time taken does not
// tell whether the address has an account in one clinic or two.
func matchLogin(users []store.User, password string) (store.User, string) {
	var found store.User
	matched := false
	for i := 0; i < max(len(users), 2); i++ {
		hash := dummyHash
		if i < len(users) {
			hash = users[i].PasswordHash
		}
		ok, err := VerifyPassword(hash, password)
		if !ok || err != nil || i >= len(users) {
			continue
		}
		if !matched || (found.DisabledAt != nil && users[i].DisabledAt == nil) {
			found, matched = users[i], true
		}
	}
	switch {
	case len(users) == 0:
		return found, "unknown_account"
	case !matched:
		return found, "wrong_password"
	case found.DisabledAt != nil:
		return found, "disabled"
	}
	return found, ""
}

// auditFailedLogin records a failed sign-in: the account (its clinic's log
// when it exists), the address bucket and the reason — never the password.
// An unknown account is recorded server-wide (no clinic) under a digest of
// what was typed: people type passwords into the e-mail field.
func (s *Service) auditFailedLogin(c echo.Context, u store.User, email, bucket, reason string) {
	ev := store.AuditEvent{ClinicID: u.ClinicID, Action: "auth.login_failed", Target: "user", TargetID: u.ID,
		Detail: "reason=" + reason + " address=" + bucket}
	if u.ID == "" {
		ev.Detail += " account=" + accountRef(email)
	}
	s.log.LogAttrs(c.Request().Context(), slog.LevelWarn, "sign-in failed", slog.String("reason", reason),
		slog.String("account", cmp.Or(u.ID, accountRef(email))), slog.String("address", bucket))
	if err := s.audit(c.Request().Context(), s.store.DB, ev); err != nil {
		s.log.Error("auditing a failed sign-in", slog.Any("err", err))
	}
}

// accountRef is a short digest of a typed account name: equal attempts
// correlate, the text itself is not kept.
func accountRef(email string) string {
	sum := sha256.Sum256([]byte(email))
	return "sha256:" + hex.EncodeToString(sum[:8])
}

func (s *Service) logout(c echo.Context) error {
	p := From(c)
	now := s.now().UTC()
	if err := s.store.DB.WithContext(c.Request().Context()).Model(&store.AuthSession{}).
		Where("token_hash = ?", p.Session.TokenHash).Update("revoked_at", now).Error; err != nil {
		return apierr.Errorf("auth: revoking session: %w", err)
	}
	c.SetCookie(&http.Cookie{Name: s.CookieName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.tls, SameSite: http.SameSiteStrictMode})
	_ = s.audit(c.Request().Context(), s.store.DB, store.AuditEvent{ClinicID: p.User.ClinicID, ActorID: p.User.ID, Action: "auth.logout", Target: "user", TargetID: p.User.ID})
	return c.NoContent(http.StatusNoContent)
}

func (s *Service) me(c echo.Context) error {
	p := From(c)
	return s.meFor(c, p.User, p.Session)
}

func (s *Service) createInvite(c echo.Context) error {
	p := From(c)
	var req struct {
		Email string     `json:"email"`
		Role  store.Role `json:"role"`
	}
	if err := web.BindJSON(c, &req); err != nil {
		return err
	}
	if len(req.Email) > maxEmail {
		return apierr.Invalid("email", "at most 254 characters")
	}
	addr, err := mail.ParseAddress(req.Email)
	if err != nil || addr.Address != strings.TrimSpace(req.Email) {
		return apierr.Invalid("email", "not an e-mail address")
	}
	if !req.Role.Valid() {
		return apierr.Invalid("role", "must be admin, therapist or moderator")
	}
	link, inv, err := s.CreateInvite(c.Request().Context(), p.User.ClinicID, p.User.ID, strings.ToLower(addr.Address), req.Role)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"link": link, "expires_at": inv.ExpiresAt})
}

func (s *Service) findInvite(c echo.Context) (store.Invite, error) {
	var inv store.Invite
	err := s.store.DB.WithContext(c.Request().Context()).Take(&inv, "token_hash = ?", store.HashToken(c.Param("token"))).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return inv, apierr.New(apierr.InviteInvalid)
	}
	if err != nil {
		return inv, apierr.Errorf("auth: loading invite: %w", err)
	}
	if inv.UsedAt != nil {
		return inv, apierr.New(apierr.InviteUsed)
	}
	if s.now().After(inv.ExpiresAt) {
		return inv, apierr.New(apierr.InviteExpired)
	}
	return inv, nil
}

func (s *Service) inviteInfo(c echo.Context) error {
	inv, err := s.findInvite(c)
	if err != nil {
		return err
	}
	var clinic store.Clinic
	if err := s.store.DB.WithContext(c.Request().Context()).Take(&clinic, "id = ?", inv.ClinicID).Error; err != nil {
		return apierr.Errorf("auth: loading clinic: %w", err)
	}
	return c.JSON(http.StatusOK, map[string]any{"email": inv.Email, "role": inv.Role, "clinic": clinic.Name, "expires_at": inv.ExpiresAt})
}

func (s *Service) acceptInvite(c echo.Context) error {
	var req struct {
		Name     string `json:"name"`
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := web.BindJSON(c, &req); err != nil {
		return err
	}
	if err := checkPassword("password", req.Password); err != nil {
		return err
	}
	if len(req.Name) > 200 {
		return apierr.Invalid("name", "at most 200 characters")
	}
	if ok, wait := s.perAddress.Allow("invite:"+ratelimit.AddressKey(c.RealIP()), s.now()); !ok {
		return apierr.Limited(wait)
	}
	inv, err := s.findInvite(c)
	if err != nil {
		return err
	}
	// The first admin's invite has no address yet: its holder chooses one.
	if strings.HasSuffix(inv.Email, ".invalid") {
		if len(req.Email) > maxEmail {
			return apierr.Invalid("email", "at most 254 characters")
		}
		addr, err := mail.ParseAddress(req.Email)
		if err != nil || addr.Address != strings.TrimSpace(req.Email) {
			return apierr.Invalid("email", "not an e-mail address")
		}
		inv.Email = strings.ToLower(addr.Address)
	}
	hash := HashPassword(req.Password)
	var user store.User
	var sess store.AuthSession
	err = s.store.DB.WithContext(c.Request().Context()).Transaction(func(tx *gorm.DB) error {
		// Claim the invite first: a concurrent second accept updates no row.
		res := tx.Model(&store.Invite{}).Where("token_hash = ? AND used_at IS NULL", inv.TokenHash).Update("used_at", s.now().UTC())
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return apierr.New(apierr.InviteUsed)
		}
		// E-mail addresses are unique per clinic, so an account in another
		// clinic is neither a conflict nor visible here. An account of this
		// clinic with the address (disabled, or its password forgotten) is
		// taken over by the invite: new password, the invite's role, enabled.
		var err error
		user, err = s.claimAccount(c.Request().Context(), tx, inv, strings.TrimSpace(req.Name), hash)
		if err != nil {
			return err
		}
		sess, err = s.startSession(c, tx, user)
		return err
	})
	if err != nil {
		if e := (*apierr.Error)(nil); errors.As(err, &e) {
			return e
		}
		return apierr.Errorf("auth: accepting invite: %w", err)
	}
	return s.meFor(c, user, sess)
}

func (s *Service) listUsers(c echo.Context) error {
	p := From(c)
	var users []store.User
	if err := s.store.DB.WithContext(c.Request().Context()).Where("clinic_id = ?", p.User.ClinicID).Order("email").Find(&users).Error; err != nil {
		return apierr.Errorf("auth: listing users: %w", err)
	}
	out := make([]userView, len(users))
	for i, u := range users {
		out[i] = viewUser(u)
	}
	return c.JSON(http.StatusOK, map[string]any{"users": out})
}

func (s *Service) disableUser(c echo.Context) error {
	p := From(c)
	id := c.Param("id")
	if id == p.User.ID {
		return apierr.Invalid("id", "you cannot disable your own account")
	}
	err := s.store.DB.WithContext(c.Request().Context()).Transaction(func(tx *gorm.DB) error {
		now := s.now().UTC()
		res := tx.Model(&store.User{}).Where("id = ? AND clinic_id = ? AND disabled_at IS NULL", id, p.User.ClinicID).Update("disabled_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apierr.New(apierr.NotFound)
		}
		if err := tx.Model(&store.AuthSession{}).Where("user_id = ? AND revoked_at IS NULL", id).Update("revoked_at", now).Error; err != nil {
			return err
		}
		return s.audit(c.Request().Context(), tx, store.AuditEvent{ClinicID: p.User.ClinicID, ActorID: p.User.ID, Action: "user.disable", Target: "user", TargetID: id})
	})
	if err != nil {
		return apierr.From(err)
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Service) listAudit(c echo.Context) error {
	p := From(c)
	var before uint64
	if v := c.QueryParam("before"); v != "" {
		// Audit ids are SQL integers: anything outside 1…2⁶³−1 names no row.
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return apierr.Invalid("before", "must be an audit event id (a whole number from 1)")
		}
		before = uint64(n)
	}
	events, err := s.store.ListAudit(c.Request().Context(), p.User.ClinicID, before, 100)
	if err != nil {
		return apierr.Wrap(apierr.Internal, err)
	}
	return c.JSON(http.StatusOK, map[string]any{"events": events})
}

// CreateInvite stores a one-time invite and returns its link path (/#/invite/TOKEN).
func (s *Service) CreateInvite(ctx context.Context, clinicID, by, email string, role store.Role) (string, store.Invite, error) {
	token := store.RandomToken(24)
	inv := store.Invite{TokenHash: store.HashToken(token), ClinicID: clinicID, Email: email, Role: role, CreatedBy: by,
		CreatedAt: s.now().UTC(), ExpiresAt: s.now().UTC().Add(InviteTTL)}
	err := s.store.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&inv).Error; err != nil {
			return err
		}
		return s.audit(ctx, tx, store.AuditEvent{ClinicID: clinicID, ActorID: by, Action: "invite.create", Target: "invite", Detail: email + " " + string(role)})
	})
	if err != nil {
		return "", inv, apierr.Errorf("auth: creating invite: %w", err)
	}
	return "/#/invite/" + token, inv, nil
}
