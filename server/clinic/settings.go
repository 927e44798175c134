package clinic

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/havenvr/haven/i18n"
	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/auth"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/web"
)

// maxClinicName bounds a clinic's name (the column is 200 wide).
const maxClinicName = 200

// The re-check period of crisis lines: from a month to three years.
const (
	minRecheckDays = 30
	maxRecheckDays = 1095
)

// The intensity-jump confirmation threshold, in percentage points: 5 is
// one slider notch (step 5), 100 never asks.
const (
	minIntensityJump = 5
	maxIntensityJump = 100
)

// Settings is the JSON shape of a clinic's own settings. DefaultLocale is
// the last choice before English in locale negotiation (DESIGN.md §7);
// Country picks the crisis line patients and support-room members see.
type Settings struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	DefaultLocale string `json:"default_locale"`
	Country       string `json:"country"`
	// CrisisRecheckDays: a crisis line not checked for longer is stale;
	// support rooms mark it, or leave it out when HideStaleCrisisLines.
	CrisisRecheckDays    int  `json:"crisis_recheck_days"`
	HideStaleCrisisLines bool `json:"hide_stale_crisis_lines"`
	// MaxIntensityJump: a larger change of the live intensity asks the
	// therapist to confirm first (percentage points).
	MaxIntensityJump int `json:"max_intensity_jump"`
	// RecordPoses keeps the headset's head pose once a second in each live
	// session's record for the report (off by default: relayed, not stored).
	RecordPoses bool `json:"record_poses"`
}

// settingsView is Settings with the values an admin may choose from.
type settingsView struct {
	Settings
	Locales   []i18n.LocaleInfo `json:"locales"`
	Countries []string          `json:"countries"`
}

// SettingsInput is a change of a clinic's settings; nil leaves a field as
// it is, and Country "" clears the country.
type SettingsInput struct {
	Name                 *string `json:"name"`
	DefaultLocale        *string `json:"default_locale"`
	Country              *string `json:"country"`
	CrisisRecheckDays    *int    `json:"crisis_recheck_days"`
	HideStaleCrisisLines *bool   `json:"hide_stale_crisis_lines"`
	MaxIntensityJump     *int    `json:"max_intensity_jump"`
	RecordPoses          *bool   `json:"record_poses"`
}

func (s *Service) registerSettings(w *web.Server) {
	w.Handle(web.Route{Method: http.MethodGet, Path: "/api/clinic", Summary: "The clinic's name, default language and country, with the choices for each.",
		Access: web.Staff, Tag: "clinic", Handler: s.getSettings, Middleware: []echo.MiddlewareFunc{s.auth.Require(web.Staff)},
		Response: "{id, name, default_locale, country, crisis_recheck_days, hide_stale_crisis_lines, max_intensity_jump, record_poses, locales, countries}"})
	w.Handle(web.Route{Method: http.MethodPatch, Path: "/api/clinic", Summary: "Change the clinic's name, default language or country (audited).",
		Access: web.Admin, Tag: "clinic", Handler: s.patchSettings, Middleware: []echo.MiddlewareFunc{s.auth.Require(web.Admin)},
		RequestBody: "{name?, default_locale?, country?, crisis_recheck_days?, hide_stale_crisis_lines?, max_intensity_jump?, record_poses?}",
		Response:    "{id, name, default_locale, country, crisis_recheck_days, hide_stale_crisis_lines, max_intensity_jump, record_poses, locales, countries}"})
}

func viewSettings(c store.Clinic) settingsView {
	return settingsView{Settings: Settings{ID: c.ID, Name: c.Name, DefaultLocale: c.DefaultLocale, Country: c.Country,
		CrisisRecheckDays: c.CrisisRecheckDays, HideStaleCrisisLines: c.HideStaleCrisisLines, MaxIntensityJump: c.MaxIntensityJump,
		RecordPoses: c.RecordPoses},
		Locales: i18n.Available(), Countries: Countries()}
}

func (s *Service) getSettings(c echo.Context) error {
	p := auth.From(c)
	var row store.Clinic
	if err := s.store.DB.WithContext(c.Request().Context()).Take(&row, "id = ?", p.User.ClinicID).Error; err != nil {
		return apierr.Errorf("clinic: loading clinic: %w", err)
	}
	return c.JSON(http.StatusOK, viewSettings(row))
}

func (s *Service) patchSettings(c echo.Context) error {
	p := auth.From(c)
	var in SettingsInput
	if err := web.BindJSON(c, &in); err != nil {
		return err
	}
	row, err := s.UpdateSettings(c.Request().Context(), p.User.ClinicID, p.User.ID, in)
	if err != nil {
		return s.coded(c, err)
	}
	return c.JSON(http.StatusOK, viewSettings(row))
}

// UpdateSettings validates a change of a clinic's settings, then stores it
// and its audit entry in one transaction. Bad input changes nothing; a
// change that changes nothing is not recorded.
func (s *Service) UpdateSettings(ctx context.Context, clinicID, actorID string, in SettingsInput) (store.Clinic, error) {
	if err := s.validateSettings(&in); err != nil {
		return store.Clinic{}, err
	}
	var row store.Clinic
	err := s.store.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Take(&row, "id = ?", clinicID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return apierr.New(apierr.NotFound)
			}
			return err
		}
		changes := map[string][2]string{}
		set := func(name string, field *string, v *string) {
			if v != nil && *v != *field {
				changes[name] = [2]string{*field, *v}
				*field = *v
			}
		}
		set("name", &row.Name, in.Name)
		set("default_locale", &row.DefaultLocale, in.DefaultLocale)
		set("country", &row.Country, in.Country)
		if v := in.CrisisRecheckDays; v != nil && *v != row.CrisisRecheckDays {
			changes["crisis_recheck_days"] = [2]string{strconv.Itoa(row.CrisisRecheckDays), strconv.Itoa(*v)}
			row.CrisisRecheckDays = *v
		}
		if v := in.HideStaleCrisisLines; v != nil && *v != row.HideStaleCrisisLines {
			changes["hide_stale_crisis_lines"] = [2]string{strconv.FormatBool(row.HideStaleCrisisLines), strconv.FormatBool(*v)}
			row.HideStaleCrisisLines = *v
		}
		if v := in.MaxIntensityJump; v != nil && *v != row.MaxIntensityJump {
			changes["max_intensity_jump"] = [2]string{strconv.Itoa(row.MaxIntensityJump), strconv.Itoa(*v)}
			row.MaxIntensityJump = *v
		}
		if v := in.RecordPoses; v != nil && *v != row.RecordPoses {
			changes["record_poses"] = [2]string{strconv.FormatBool(row.RecordPoses), strconv.FormatBool(*v)}
			row.RecordPoses = *v
		}
		if len(changes) == 0 {
			return nil
		}
		if err := tx.Model(&store.Clinic{}).Where("id = ?", clinicID).
			Updates(map[string]any{"name": row.Name, "default_locale": row.DefaultLocale, "country": row.Country,
				"crisis_recheck_days": row.CrisisRecheckDays, "hide_stale_crisis_lines": row.HideStaleCrisisLines,
				"max_intensity_jump": row.MaxIntensityJump, "record_poses": row.RecordPoses}).Error; err != nil {
			return err
		}
		detail, _ := json.Marshal(changes) // {"country":["","DE"]}: before and after
		return store.Audit(ctx, tx, store.AuditEvent{ClinicID: clinicID, ActorID: actorID, Action: "clinic.update",
			Target: "clinic", TargetID: clinicID, Detail: string(detail)})
	})
	if err != nil {
		return store.Clinic{}, apierr.From(err)
	}
	return row, nil
}

// validateSettings checks every field before anything is stored, and
// canonicalizes in place: the name trimmed, the locale to the shipped one
// served for it, the country upper-case.
func (s *Service) validateSettings(in *SettingsInput) error {
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		if name == "" || utf8.RuneCountInString(name) > maxClinicName || strings.IndexFunc(name, unicode.IsControl) >= 0 {
			return &fieldError{Field: "name", Label: "console.clinic.name", Rule: "clinic_name", MessageID: "error.detail.clinic_name",
				Data: map[string]any{"Max": maxClinicName}, Msg: "1 to 200 characters on one line"}
		}
		*in.Name = name
	}
	if in.DefaultLocale != nil {
		loc, err := s.parseLocale("default_locale", "console.clinic.default_locale", *in.DefaultLocale)
		if err != nil {
			return err
		}
		*in.DefaultLocale = loc
	}
	if in.Country != nil && strings.TrimSpace(*in.Country) != "" {
		code, ok := ParseCountry(*in.Country)
		if !ok {
			return &fieldError{Field: "country", Label: "console.clinic.country", Rule: "country", MessageID: "error.detail.country",
				Data: map[string]any{"Value": echoValue(*in.Country)}, Msg: "not an ISO 3166-1 alpha-2 country code"}
		}
		*in.Country = code
	} else if in.Country != nil {
		*in.Country = ""
	}
	if v := in.CrisisRecheckDays; v != nil && (*v < minRecheckDays || *v > maxRecheckDays) {
		return &fieldError{Field: "crisis_recheck_days", Label: "console.clinic.recheck_days", Rule: "range", MessageID: "error.detail.recheck_days",
			Data: map[string]any{"Min": minRecheckDays, "Max": maxRecheckDays}, Msg: "30 to 1095 days"}
	}
	if v := in.MaxIntensityJump; v != nil && (*v < minIntensityJump || *v > maxIntensityJump) {
		return &fieldError{Field: "max_intensity_jump", Label: "console.clinic.max_jump", Rule: "range", MessageID: "error.detail.max_jump",
			Data: map[string]any{"Min": minIntensityJump, "Max": maxIntensityJump}, Msg: "5 to 100 percentage points"}
	}
	return nil
}
