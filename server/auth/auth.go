// Package auth signs clinic staff in and out (argon2id passwords, server-side
// sessions, CSRF tokens, login rate limits), issues one-time invite links, and
// guards routes by role and tenant.
package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/ratelimit"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/web"
)

// SessionTTL is how long a sign-in lasts without activity limits.
const SessionTTL = 12 * time.Hour

// InviteTTL is how long an invite link stays valid.
const InviteTTL = 72 * time.Hour

// Service is the account and session service.
type Service struct {
	store *store.Store
	log   *slog.Logger
	tls   bool
	now   func() time.Time

	perAccount *ratelimit.Limiter
	perAddress *ratelimit.Limiter
}

// New returns the service; tls selects __Host- cookies with the Secure flag.
func New(st *store.Store, log *slog.Logger, tls bool) *Service {
	return &Service{
		store: st, log: log, tls: tls, now: time.Now,
		perAccount: ratelimit.New(5, 5),   // 5 tries, then one a 12 s
		perAddress: ratelimit.New(30, 20), // an office behind one NAT can still sign in
	}
}

// CookieName is the session cookie's name; "__Host-" binds it to this origin over TLS.
func (s *Service) CookieName() string {
	if s.tls {
		return "__Host-haven_session"
	}
	return "haven_session"
}

type ctxKey struct{}

// Principal is the signed-in account of a request.
type Principal struct {
	User    store.User
	Session store.AuthSession
}

// From returns the request's principal; nil for anonymous requests.
func From(c echo.Context) *Principal {
	p, _ := c.Get("haven.principal").(*Principal)
	return p
}

// Require returns middleware admitting only signed-in accounts whose role
// fits access, and enforcing CSRF on state-changing methods.
func (s *Service) Require(access web.Access) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p, err := s.principal(c)
			if err != nil {
				return err
			}
			if !Allows(access, p.User.Role) {
				return apierr.New(apierr.Forbidden)
			}
			if !safeMethod(c.Request().Method) {
				tok := c.Request().Header.Get("X-CSRF-Token")
				if tok == "" {
					return apierr.New(apierr.CSRFMissing)
				}
				if subtle.ConstantTimeCompare([]byte(tok), []byte(p.Session.CSRFToken)) != 1 {
					return apierr.New(apierr.CSRFInvalid)
				}
			}
			c.Set("haven.principal", p)
			return next(c)
		}
	}
}

// Allows reports whether role may use a route of the given access level.
func Allows(access web.Access, role store.Role) bool {
	switch access {
	case web.Public, web.Staff:
		return true
	case web.Admin:
		return role == store.RoleAdmin
	case web.Therapist:
		return role == store.RoleTherapist || role == store.RoleAdmin
	case web.Moderator:
		return role == store.RoleModerator || role == store.RoleTherapist || role == store.RoleAdmin
	default:
		return false
	}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func (s *Service) principal(c echo.Context) (*Principal, error) {
	ck, err := c.Cookie(s.CookieName())
	if err != nil || ck.Value == "" {
		return nil, apierr.New(apierr.Unauthorized)
	}
	var sess store.AuthSession
	err = s.store.DB.WithContext(c.Request().Context()).Preload("User").
		Where("token_hash = ? AND revoked_at IS NULL AND expires_at > ?", store.HashToken(ck.Value), s.now().UTC()).
		Take(&sess).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apierr.New(apierr.Unauthorized)
	}
	if err != nil {
		return nil, apierr.Wrap(apierr.Internal, fmt.Errorf("auth: loading session: %w", err))
	}
	if sess.User.DisabledAt != nil {
		return nil, apierr.New(apierr.Unauthorized)
	}
	return &Principal{User: sess.User, Session: sess}, nil
}

// startSession creates a session row and sets the cookie.
func (s *Service) startSession(c echo.Context, db *gorm.DB, user store.User) (store.AuthSession, error) {
	token := store.RandomToken(32) // 256 bits
	sess := store.AuthSession{
		TokenHash: store.HashToken(token), UserID: user.ID, CSRFToken: store.RandomToken(24),
		CreatedAt: s.now().UTC(), ExpiresAt: s.now().UTC().Add(SessionTTL),
	}
	if err := db.WithContext(c.Request().Context()).Create(&sess).Error; err != nil {
		return sess, fmt.Errorf("auth: creating session: %w", err)
	}
	c.SetCookie(&http.Cookie{
		Name: s.CookieName(), Value: token, Path: "/", HttpOnly: true, Secure: s.tls,
		SameSite: http.SameSiteStrictMode, MaxAge: int(SessionTTL.Seconds()),
	})
	return sess, nil
}

// ShareLimits makes the login limits hold across every node of a cluster.
func (s *Service) ShareLimits(sh ratelimit.Shared) {
	s.perAccount.Share(sh, "login-account")
	s.perAddress.Share(sh, "login-address")
}

// limitLogin applies the per-account and per-address login limits.
func (s *Service) limitLogin(email, addr string) error {
	now := s.now()
	if ok, wait := s.perAddress.Allow(addr, now); !ok {
		return apierr.Limited(wait)
	}
	if ok, wait := s.perAccount.Allow(email, now); !ok {
		return apierr.Limited(wait)
	}
	return nil
}

// audit records an account action; failures are logged, never hidden.
func (s *Service) audit(ctx context.Context, db *gorm.DB, ev store.AuditEvent) error {
	return store.Audit(ctx, db, ev)
}

// Identify returns the signed-in principal of a request on a public route,
// or nil: public pages (messages, locales) adapt to a clinic when they can.
func (s *Service) Identify(c echo.Context) *Principal {
	if p := From(c); p != nil {
		return p
	}
	p, err := s.principal(c)
	if err != nil {
		return nil
	}
	return p
}
