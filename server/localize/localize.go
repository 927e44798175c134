// Package localize is the server edge of localization: it negotiates each
// request's locale (explicit choice, Accept-Language, clinic default,
// English), serves message sets to the browser clients, and lets clinic
// admins override any message (stored, audited, layered over the bundle).
package localize

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/havenvr/haven/i18n"
	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/auth"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/web"
)

// LangCookie holds a user's explicit language choice.
const LangCookie = "haven_lang"

// Service localizes requests and manages clinic overrides.
type Service struct {
	Bundle *i18n.Bundle
	store  *store.Store
	auth   *auth.Service
}

// New loads every clinic's overrides into the bundle.
func New(ctx context.Context, b *i18n.Bundle, st *store.Store) (*Service, error) {
	s := &Service{Bundle: b, store: st}
	var rows []store.MessageOverride
	if err := st.DB.WithContext(ctx).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("localize: loading overrides: %w", err)
	}
	byClinic := map[string][]i18n.Override{}
	for _, r := range rows {
		var t i18n.Text
		if err := json.Unmarshal([]byte(r.Text), &t); err != nil {
			return nil, fmt.Errorf("localize: override %s/%s/%s: %w", r.ClinicID, r.Locale, r.MessageID, err)
		}
		byClinic[r.ClinicID] = append(byClinic[r.ClinicID], i18n.Override{ClinicID: r.ClinicID, Locale: r.Locale, ID: r.MessageID, Text: t})
	}
	for clinic, list := range byClinic {
		if err := b.Overrides().Replace(clinic, list); err != nil {
			return nil, fmt.Errorf("localize: overrides of clinic %s: %w", clinic, err)
		}
	}
	return s, nil
}

// SetAuth gives the service the account service (for admin routes and clinic defaults).
func (s *Service) SetAuth(a *auth.Service) { s.auth = a }

// For returns the localizer of a request.
func (s *Service) For(c echo.Context) *i18n.Localizer {
	if l, ok := c.Get("haven.localizer").(*i18n.Localizer); ok {
		return l
	}
	clinicID, clinicDefault := "", ""
	if p := auth.From(c); p != nil {
		clinicID = p.User.ClinicID
		clinicDefault = s.clinicDefault(c.Request().Context(), clinicID)
	}
	explicit := c.QueryParam("lang")
	if explicit == "" {
		if ck, err := c.Cookie(LangCookie); err == nil {
			explicit = ck.Value
		}
	}
	l := s.Bundle.Localizer(clinicID, explicit, c.Request().Header.Get("Accept-Language"), clinicDefault)
	c.Set("haven.localizer", l)
	return l
}

func (s *Service) clinicDefault(ctx context.Context, clinicID string) string {
	var clinic store.Clinic
	// Not cancellable: an error response is localized after the request's
	// own deadline may have cancelled its context, and must still speak the
	// clinic's language.
	if err := s.store.DB.WithContext(context.WithoutCancel(ctx)).Select("default_locale").Take(&clinic, "id = ?", clinicID).Error; err != nil {
		return ""
	}
	return clinic.DefaultLocale
}

// Localize implements web.Translator.
func (s *Service) Localize(c echo.Context, id string, data map[string]any) string {
	return s.For(c).T(id, data)
}

// Register adds the localization routes.
func (s *Service) Register(w *web.Server) {
	w.Handle(web.Route{Method: http.MethodGet, Path: "/api/i18n/locales", Summary: "Shipped locales with their direction.",
		Access: web.Public, Tag: "i18n", Handler: s.locales})
	w.Handle(web.Route{Method: http.MethodGet, Path: "/api/i18n/messages", Summary: "Messages for a client (?prefix=client.&locale=ar&clinic=ID).",
		Access: web.Public, Tag: "i18n", Handler: s.messages, Response: "{locale, dir, messages}"})
	admin := []echo.MiddlewareFunc{s.auth.Require(web.Admin)}
	w.Handle(web.Route{Method: http.MethodGet, Path: "/api/i18n/coverage", Summary: "Per-locale translated/total and missing keys.",
		Access: web.Admin, Tag: "i18n", Handler: s.coverage, Middleware: admin})
	w.Handle(web.Route{Method: http.MethodGet, Path: "/api/i18n/overrides", Summary: "The clinic's message overrides.",
		Access: web.Admin, Tag: "i18n", Handler: s.listOverrides, Middleware: admin})
	w.Handle(web.Route{Method: http.MethodPut, Path: "/api/i18n/overrides", Summary: "Override one message for this clinic (validated; served at once).",
		Access: web.Admin, Tag: "i18n", Handler: s.putOverride, Middleware: admin, RequestBody: "{locale, id, text:{other, one, …}}"})
	w.Handle(web.Route{Method: http.MethodDelete, Path: "/api/i18n/overrides/:locale/:id", Summary: "Reset a message to the built-in text.",
		Access: web.Admin, Tag: "i18n", Handler: s.resetOverride, Middleware: admin})
}

func (s *Service) locales(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"locales": i18n.Available(), "current": s.For(c).Locale()})
}

// publicPrefixes are the message areas browsers may fetch without signing in.
var publicPrefixes = []string{"client.", "console.", "group.", "env.", "proto.", "bio.", "live.", "core.", "error."}

func (s *Service) messages(c echo.Context) error {
	prefix := c.QueryParam("prefix")
	ok := false
	for _, p := range publicPrefixes {
		if strings.HasPrefix(prefix, p) {
			ok = true
		}
	}
	if !ok {
		return apierr.Invalid("prefix", "must start with one of "+strings.Join(publicPrefixes, ", "))
	}
	clinicID, err := s.clinicOf(c, prefix)
	if err != nil {
		return err
	}
	explicit := c.QueryParam("locale")
	var loc string
	if explicit != "" {
		l, err := s.Bundle.ParseLocale(explicit)
		if err != nil {
			return apierr.Invalid("locale", err.Error())
		}
		loc = l
	} else {
		loc = s.For(c).Locale()
	}
	l := s.Bundle.ForLocale(clinicID, loc)
	c.Response().Header().Set("Content-Language", l.Locale())
	// Counted messages also come with every CLDR form the locale uses, so
	// the browser picks the right one with Intl.PluralRules ("10 عينات",
	// not the "other" form for every count).
	texts := l.Texts(prefix)
	messages, plurals := make(map[string]string, len(texts)), map[string]i18n.Text{}
	for id, t := range texts {
		messages[id] = t.Other
		if t.Zero != "" || t.One != "" || t.Two != "" || t.Few != "" || t.Many != "" {
			plurals[id] = t
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"locale": l.Locale(), "dir": l.Dir(), "messages": messages, "plurals": plurals})
}

// clinicOf is whose overrides a message request sees: a signed-in user's
// clinic; for a headset, the clinic of the live session whose patient token
// it sends (Authorization: Bearer); for the support-room page (group.*
// texts), the clinic of the room whose code it holds (?room=CODE). An
// anonymous ?clinic=ID is ignored: it let anyone read any clinic's texts.
func (s *Service) clinicOf(c echo.Context, prefix string) (string, error) {
	if p := s.auth.Identify(c); p != nil {
		return p.User.ClinicID, nil
	}
	if !strings.HasPrefix(prefix, "group.") {
		return s.patientClinic(c)
	}
	code := strings.ToUpper(strings.TrimSpace(c.QueryParam("room")))
	if code == "" || len(code) > 16 {
		return "", nil
	}
	var ids []string
	if err := s.store.DB.WithContext(c.Request().Context()).Model(&store.GroupRoom{}).Where("code = ?", code).Limit(1).
		Pluck("clinic_id", &ids).Error; err != nil {
		return "", apierr.Errorf("localize: finding the room's clinic: %w", err)
	}
	if len(ids) == 0 {
		return "", nil
	}
	return ids[0], nil
}

// patientClinic is the clinic of the live session a patient's bearer token
// belongs to, or "" without a valid one.
func (s *Service) patientClinic(c echo.Context) (string, error) {
	h := c.Request().Header.Get("Authorization")
	if len(h) <= 7 || !strings.EqualFold(h[:7], "bearer ") || len(h) > 7+128 {
		return "", nil
	}
	var ids []string
	if err := s.store.DB.WithContext(c.Request().Context()).Model(&store.LiveSession{}).
		Where("token_hash = ?", store.HashToken(strings.TrimSpace(h[7:]))).Limit(1).Pluck("clinic_id", &ids).Error; err != nil {
		return "", apierr.Errorf("localize: finding the session's clinic: %w", err)
	}
	if len(ids) == 0 {
		return "", nil
	}
	return ids[0], nil
}

func (s *Service) coverage(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"coverage": s.Bundle.Coverage()})
}

func (s *Service) listOverrides(c echo.Context) error {
	p := auth.From(c)
	var rows []store.MessageOverride
	if err := s.store.DB.WithContext(c.Request().Context()).Where("clinic_id = ?", p.User.ClinicID).
		Order("locale, message_id").Find(&rows).Error; err != nil {
		return apierr.Errorf("localize: listing overrides: %w", err)
	}
	return c.JSON(http.StatusOK, map[string]any{"overrides": rows})
}

func (s *Service) putOverride(c echo.Context) error {
	p := auth.From(c)
	var req struct {
		Locale string    `json:"locale"`
		ID     string    `json:"id"`
		Text   i18n.Text `json:"text"`
	}
	if err := web.BindJSON(c, &req); err != nil {
		return err
	}
	ov := i18n.Override{ClinicID: p.User.ClinicID, Locale: req.Locale, ID: req.ID, Text: req.Text}
	loc, err := s.Bundle.ValidateOverride(ov)
	if err != nil {
		return overrideError(err)
	}
	text, _ := json.Marshal(req.Text)
	row := store.MessageOverride{ClinicID: p.User.ClinicID, Locale: loc, MessageID: req.ID, Text: string(text), UpdatedBy: p.User.ID, UpdatedAt: time.Now().UTC()}
	err = s.store.DB.WithContext(c.Request().Context()).Transaction(func(tx *gorm.DB) error {
		if err := tx.Save(&row).Error; err != nil {
			return err
		}
		return store.Audit(c.Request().Context(), tx, store.AuditEvent{ClinicID: p.User.ClinicID, ActorID: p.User.ID,
			Action: "i18n.override", Target: "message", TargetID: loc + "/" + req.ID, Detail: string(text)})
	})
	if err != nil {
		return apierr.Errorf("localize: saving override: %w", err)
	}
	// Stored first, then served: a failed commit never changes what users see.
	ov.Locale = loc
	if err := s.Bundle.Overrides().Set(ov); err != nil {
		return overrideError(err)
	}
	return c.JSON(http.StatusOK, row)
}

func (s *Service) resetOverride(c echo.Context) error {
	p := auth.From(c)
	loc, id := c.Param("locale"), c.Param("id")
	var res *gorm.DB
	err := s.store.DB.WithContext(c.Request().Context()).Transaction(func(tx *gorm.DB) error {
		res = tx.Where("clinic_id = ? AND locale = ? AND message_id = ?", p.User.ClinicID, loc, id).Delete(&store.MessageOverride{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apierr.New(apierr.NotFound)
		}
		return store.Audit(c.Request().Context(), tx, store.AuditEvent{ClinicID: p.User.ClinicID, ActorID: p.User.ID,
			Action: "i18n.reset", Target: "message", TargetID: loc + "/" + id})
	})
	if err != nil {
		return apierr.From(err)
	}
	s.Bundle.Overrides().Reset(p.User.ClinicID, loc, id)
	return c.NoContent(http.StatusNoContent)
}

func overrideError(err error) error {
	var le *i18n.LocaleError
	if errors.As(err, &le) {
		return apierr.Invalid("locale", err.Error())
	}
	var me *i18n.MessageError
	if errors.As(err, &me) {
		return apierr.Invalid("text", err.Error())
	}
	return apierr.Invalid("id", err.Error())
}
