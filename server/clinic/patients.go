// Package clinic serves a clinic's pseudonymous patient records: codes,
// birth year (for heart-rate limits), language, the CLINICAL.md §5 screening
// checklist and its acknowledgement; and the clinic's own settings (name,
// default language, country). Every read of a patient record and every
// change is audited.
package clinic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/havenvr/haven/i18n"
	"github.com/havenvr/haven/protocols"
	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/auth"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/web"
)

// ScreeningItems are the headset makers' warnings that block exposure until a
// therapist acknowledges them (CLINICAL.md §5).
var ScreeningItems = []string{"epilepsy", "heart_condition", "pregnancy", "implant", "binocular_vision", "dissociation", "suicidality"}

// Service serves patient records and the clinic's own settings.
type Service struct {
	store *store.Store
	auth  *auth.Service
	now   func() time.Time
	web   *web.Server // localizes validation details; nil until Register
	// bundle decides which languages Haven ships (its parser canonicalizes
	// pt-br to pt-BR).
	bundle *i18n.Bundle
}

// New returns the patient service; bundle is the server's message bundle.
func New(st *store.Store, a *auth.Service, bundle *i18n.Bundle) *Service {
	return &Service{store: st, auth: a, now: time.Now, bundle: bundle}
}

// Register adds the patient and clinic-settings routes.
func (s *Service) Register(w *web.Server) {
	s.web = w
	s.registerSettings(w)
	th := []echo.MiddlewareFunc{s.auth.Require(web.Therapist)}
	add := func(method, path, summary string, h echo.HandlerFunc, body string) {
		w.Handle(web.Route{Method: method, Path: path, Summary: summary, Access: web.Therapist, Tag: "patients",
			Handler: h, Middleware: th, RequestBody: body})
	}
	add(http.MethodGet, "/api/patients", "The clinic's patients.", s.list, "")
	add(http.MethodPost, "/api/patients", "Create a pseudonymous patient record.", s.create, "{code, birth_year, locale, screening, notes, hr_ceiling_pct, hr_ceiling_off, hr_ceiling_bpm, hr_ceiling_reason}")
	add(http.MethodGet, "/api/patients/:id", "One patient record (the read is audited).", s.get, "")
	add(http.MethodPatch, "/api/patients/:id", "Change a patient record.", s.update, "{birth_year?, locale?, screening?, notes?, hr_ceiling_pct?, hr_ceiling_off?, hr_ceiling_bpm?, hr_ceiling_reason?}")
	add(http.MethodPost, "/api/patients/:id/screening/ack", "Acknowledge flagged screening items (unblocks exposure).", s.ackScreening, "")
}

// Screening states of a patient (PatientView.ScreeningState).
const (
	// NotScreened: nobody has recorded the checklist. Not the same as
	// nothing flagged: exposure needs a screening or a recorded override.
	NotScreened = "not_screened"
	// ScreeningClear: screened, no item flagged.
	ScreeningClear = "clear"
	// ScreeningFlagged: an item is flagged and no therapist acknowledged it
	// (exposure is blocked).
	ScreeningFlagged = "flagged"
	// ScreeningAcknowledged: flagged items acknowledged by a therapist.
	ScreeningAcknowledged = "acknowledged"
)

// PatientView is the JSON shape of a patient.
type PatientView struct {
	ID        string          `json:"id"`
	Code      string          `json:"code"`
	BirthYear int             `json:"birth_year"`
	Locale    string          `json:"locale,omitempty"`
	Screening map[string]bool `json:"screening"`
	Flagged   []string        `json:"flagged"`
	// ScreeningState is not_screened, clear, flagged or acknowledged.
	ScreeningState string     `json:"screening_state"`
	ScreenedAt     *time.Time `json:"screened_at,omitempty"`
	// ScreeningAcked is true when exposure may start: screened, and nothing
	// flagged or every flag acknowledged.
	ScreeningAcked bool `json:"screening_acked"`
	// Training marks the clinic's practice patient (simulated sessions).
	Training     bool `json:"training,omitempty"`
	HRCeilingPct int  `json:"hr_ceiling_pct"`
	// The ceiling in force: "off", "bpm" or "pct" (of 220 − age), with the
	// therapist's reason when it is off or in bpm (CLINICAL.md §5).
	HRCeilingMode   string    `json:"hr_ceiling_mode"`
	HRCeilingBPM    int       `json:"hr_ceiling_bpm,omitempty"`
	HRCeilingReason string    `json:"hr_ceiling_reason,omitempty"`
	Notes           string    `json:"notes"`
	CreatedAt       time.Time `json:"created_at"`
}

// CeilingSettings are a patient's own heart-rate ceiling as engine
// settings: off or in bpm with the reason, else the stored percentage
// (pct, 0 when none: the protocol's or the default applies).
func CeilingSettings(v PatientView, pct int) protocols.Settings {
	switch v.HRCeilingMode {
	case "off":
		return protocols.Settings{HRCeilingOff: true, HRCeilingReason: v.HRCeilingReason}
	case "bpm":
		return protocols.Settings{HRCeilingBPM: float64(v.HRCeilingBPM), HRCeilingReason: v.HRCeilingReason}
	}
	return protocols.Settings{HRCeilingShare: float64(pct) / 100}
}

// View converts a stored patient. A screening checklist that does not
// decode is an error, never an empty (clear) one: the screening gate fails
// closed.
func View(p store.Patient) (PatientView, error) {
	sc := map[string]bool{}
	if err := store.DecodeJSON("patient "+p.ID+" screening", p.Screening, &sc); err != nil {
		return PatientView{}, apierr.Errorf("clinic: %w", err)
	}
	flagged := Flagged(sc)
	ceiling := p.HRCeilingPct
	if ceiling == 0 {
		ceiling = 85
	}
	state := NotScreened
	switch {
	case p.ScreenedAt == nil:
	case len(flagged) == 0:
		state = ScreeningClear
	case p.ScreeningAckAt != nil:
		state = ScreeningAcknowledged
	default:
		state = ScreeningFlagged
	}
	v := PatientView{ID: p.ID, Code: p.Code, BirthYear: p.BirthYear, Locale: p.Locale, Screening: sc, Flagged: flagged,
		ScreeningState: state, ScreenedAt: p.ScreenedAt, ScreeningAcked: state == ScreeningClear || state == ScreeningAcknowledged,
		Training: p.Training, HRCeilingPct: ceiling, HRCeilingMode: "pct", Notes: p.Notes, CreatedAt: p.CreatedAt}
	switch {
	case p.HRCeilingOff:
		v.HRCeilingMode, v.HRCeilingReason = "off", p.HRCeilingReason
	case p.HRCeilingBPM > 0:
		v.HRCeilingMode, v.HRCeilingBPM, v.HRCeilingReason = "bpm", p.HRCeilingBPM, p.HRCeilingReason
	}
	return v, nil
}

// respond sends a patient's view.
func respond(c echo.Context, status int, p store.Patient) error {
	v, err := View(p)
	if err != nil {
		return err
	}
	return c.JSON(status, v)
}

// Flagged lists the screening items marked true, in checklist order.
func Flagged(sc map[string]bool) []string {
	out := []string{}
	for _, item := range ScreeningItems {
		if sc[item] {
			out = append(out, item)
		}
	}
	return out
}

type patientInput struct {
	Code         *string         `json:"code"`
	BirthYear    *int            `json:"birth_year"`
	Locale       *string         `json:"locale"`
	Screening    map[string]bool `json:"screening"`
	Notes        *string         `json:"notes"`
	HRCeilingPct *int            `json:"hr_ceiling_pct"`
	// A patient's ceiling off or in bpm (0 clears it) needs a reason.
	HRCeilingOff    *bool   `json:"hr_ceiling_off"`
	HRCeilingBPM    *int    `json:"hr_ceiling_bpm"`
	HRCeilingReason *string `json:"hr_ceiling_reason"`
}

var codePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// validate checks a patient input and canonicalizes its locale in place
// (pt-br → pt-BR); "" clears the preferred language.
func (s *Service) validate(in *patientInput, creating bool) error {
	if creating && in.Code == nil {
		return apierr.Invalid("code", "required")
	}
	if in.Code != nil && !codePattern.MatchString(*in.Code) {
		return apierr.Invalid("code", "1–64 letters, digits, '.', '_' or '-'")
	}
	if creating && in.BirthYear == nil {
		return apierr.Invalid("birth_year", "required")
	}
	if y := in.BirthYear; y != nil && (*y < 1900 || *y > s.now().Year()) {
		return apierr.Invalid("birth_year", "must be between 1900 and this year")
	}
	if l := in.Locale; l != nil && strings.TrimSpace(*l) != "" {
		loc, err := s.parseLocale("locale", "console.patient.language", *l)
		if err != nil {
			return err
		}
		*l = loc
	} else if l != nil {
		*l = ""
	}
	for k := range in.Screening {
		if !contains(ScreeningItems, k) {
			return apierr.Invalid("screening."+k, "unknown checklist item")
		}
	}
	if n := in.Notes; n != nil && len(*n) > 20000 {
		return apierr.Invalid("notes", "at most 20000 characters")
	}
	if c := in.HRCeilingPct; c != nil && *c != 0 && (*c < 50 || *c > 100) {
		return apierr.Invalid("hr_ceiling_pct", "must be 50–100 (0 for the default 85)")
	}
	if b := in.HRCeilingBPM; b != nil && *b != 0 && (*b < 60 || *b > 220) {
		return apierr.Invalid("hr_ceiling_bpm", "must be 60–220 (0 for none)")
	}
	if r := in.HRCeilingReason; r != nil && len(*r) > protocols.MaxReasonLen {
		return apierr.Invalid("hr_ceiling_reason", fmt.Sprintf("at most %d bytes", protocols.MaxReasonLen))
	}
	return nil
}

// checkCeiling: a ceiling off or in bpm is a deliberate departure from the
// default and must say why (CLINICAL.md §5). Checked on the record as it
// would be saved, so a PATCH cannot leave one without a reason.
func checkCeiling(row store.Patient) error {
	if (row.HRCeilingOff || row.HRCeilingBPM > 0) && strings.TrimSpace(row.HRCeilingReason) == "" {
		return apierr.Invalid("hr_ceiling_reason", "required when the heart-rate ceiling is off or in bpm")
	}
	return nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (s *Service) list(c echo.Context) error {
	p := auth.From(c)
	var rows []store.Patient
	// The training patient of practice sessions is never among the real ones.
	if err := s.store.DB.WithContext(c.Request().Context()).Where("clinic_id = ? AND training = ?", p.User.ClinicID, false).Order("code").Find(&rows).Error; err != nil {
		return apierr.Errorf("clinic: listing patients: %w", err)
	}
	out := make([]PatientView, len(rows))
	ids := make([]string, len(rows))
	for i, r := range rows {
		v, err := View(r)
		if err != nil {
			return err
		}
		out[i], ids[i] = v, r.ID
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	// The list holds every record in full (notes, screening): it is a read
	// of each of them, recorded before anything is sent.
	if err := store.Audit(c.Request().Context(), s.store.DB, store.AuditEvent{ClinicID: p.User.ClinicID, ActorID: p.User.ID,
		Action: "patient.list", Target: "patient", Detail: strings.Join(ids, " ")}); err != nil {
		return apierr.Wrap(apierr.Internal, err)
	}
	return c.JSON(http.StatusOK, map[string]any{"patients": out, "screening_items": ScreeningItems})
}

func (s *Service) create(c echo.Context) error {
	p := auth.From(c)
	var in patientInput
	if err := web.BindJSON(c, &in); err != nil {
		return err
	}
	if err := s.validate(&in, true); err != nil {
		return s.coded(c, err)
	}
	row := store.Patient{ID: store.NewID(), ClinicID: p.User.ClinicID, Code: strings.TrimSpace(*in.Code), BirthYear: *in.BirthYear,
		Screening: "{}", CreatedAt: s.now().UTC(), UpdatedAt: s.now().UTC()}
	apply(&row, in, s.now().UTC())
	if err := checkCeiling(row); err != nil {
		return s.coded(c, err)
	}
	err := s.store.DB.WithContext(c.Request().Context()).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&store.Patient{}).Where("clinic_id = ? AND code = ?", row.ClinicID, row.Code).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return apierr.New(apierr.PatientCodeTaken)
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return store.Audit(c.Request().Context(), tx, store.AuditEvent{ClinicID: row.ClinicID, ActorID: p.User.ID, Action: "patient.create", Target: "patient", TargetID: row.ID})
	})
	if err != nil {
		return apierr.From(err)
	}
	return respond(c, http.StatusCreated, row)
}

// apply copies a validated input onto a record. Any screening in it,
// even one with nothing flagged, records that the patient was screened now.
func apply(row *store.Patient, in patientInput, now time.Time) {
	if in.BirthYear != nil {
		row.BirthYear = *in.BirthYear
	}
	if in.Locale != nil {
		row.Locale = *in.Locale
	}
	if in.Notes != nil {
		row.Notes = *in.Notes
	}
	if in.HRCeilingPct != nil {
		row.HRCeilingPct = *in.HRCeilingPct
	}
	if in.HRCeilingOff != nil {
		row.HRCeilingOff = *in.HRCeilingOff
	}
	if in.HRCeilingBPM != nil {
		row.HRCeilingBPM = *in.HRCeilingBPM
	}
	if in.HRCeilingReason != nil {
		row.HRCeilingReason = strings.TrimSpace(*in.HRCeilingReason)
	}
	if in.Screening != nil {
		row.ScreenedAt = &now
		b, _ := json.Marshal(in.Screening)
		if string(b) != row.Screening {
			row.Screening = string(b)
			// A changed checklist needs a fresh acknowledgement.
			row.ScreeningAckAt, row.ScreeningAckBy = nil, ""
		}
	}
}

// Load returns a patient of the clinic; another clinic's patient is NotFound (no existence leak).
func (s *Service) Load(ctx context.Context, clinicID, id string) (store.Patient, error) {
	return store.InClinic[store.Patient](ctx, s.store.DB, "patient", clinicID, id)
}

func (s *Service) get(c echo.Context) error {
	p := auth.From(c)
	row, err := s.Load(c.Request().Context(), p.User.ClinicID, c.Param("id"))
	if err != nil {
		return err
	}
	if err := store.Audit(c.Request().Context(), s.store.DB, store.AuditEvent{ClinicID: row.ClinicID, ActorID: p.User.ID, Action: "patient.read", Target: "patient", TargetID: row.ID}); err != nil {
		return apierr.Wrap(apierr.Internal, err)
	}
	return respond(c, http.StatusOK, row)
}

func (s *Service) update(c echo.Context) error {
	p := auth.From(c)
	var in patientInput
	if err := web.BindJSON(c, &in); err != nil {
		return err
	}
	if in.Code != nil {
		return apierr.Invalid("code", "a patient's code cannot change")
	}
	if err := s.validate(&in, false); err != nil {
		return s.coded(c, err)
	}
	var row store.Patient
	err := s.store.DB.WithContext(c.Request().Context()).Transaction(func(tx *gorm.DB) error {
		var err error
		if row, err = store.InClinic[store.Patient](c.Request().Context(), tx, "patient", p.User.ClinicID, c.Param("id")); err != nil {
			return err
		}
		apply(&row, in, s.now().UTC())
		if err := checkCeiling(row); err != nil {
			return err
		}
		row.UpdatedAt = s.now().UTC()
		if err := tx.Save(&row).Error; err != nil {
			return err
		}
		return store.Audit(c.Request().Context(), tx, store.AuditEvent{ClinicID: row.ClinicID, ActorID: p.User.ID, Action: "patient.update", Target: "patient", TargetID: row.ID})
	})
	if err != nil {
		return apierr.From(err)
	}
	return respond(c, http.StatusOK, row)
}

func (s *Service) ackScreening(c echo.Context) error {
	p := auth.From(c)
	var row store.Patient
	err := s.store.DB.WithContext(c.Request().Context()).Transaction(func(tx *gorm.DB) error {
		var err error
		if row, err = store.InClinic[store.Patient](c.Request().Context(), tx, "patient", p.User.ClinicID, c.Param("id")); err != nil {
			return err
		}
		v, err := View(row)
		if err != nil {
			return err // an acknowledgement of a checklist nobody can read is refused
		}
		now := s.now().UTC()
		row.ScreeningAckAt, row.ScreeningAckBy = &now, p.User.ID
		if err := tx.Save(&row).Error; err != nil {
			return err
		}
		return store.Audit(c.Request().Context(), tx, store.AuditEvent{ClinicID: row.ClinicID, ActorID: p.User.ID, Action: "patient.screening_ack", Target: "patient", TargetID: row.ID, Detail: strings.Join(v.Flagged, ",")})
	})
	if err != nil {
		return apierr.From(err)
	}
	return respond(c, http.StatusOK, row)
}

// trainingCode is the training patient's code; a clinic whose own patient
// already has it gets a suffixed one.
const trainingCode = "TRAINING"

// TrainingPatient returns the clinic's training patient, creating it on
// first use: the record practice sessions with a simulated patient run
// against, so nothing simulated is ever written to a real patient's record.
// It is left out of the patient list and screened clear (it is nobody).
func (s *Service) TrainingPatient(ctx context.Context, clinicID string) (store.Patient, error) {
	var row store.Patient
	err := s.store.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Where("clinic_id = ? AND training = ?", clinicID, true).Order("created_at").Take(&row).Error
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		var taken int64
		if err := tx.Model(&store.Patient{}).Where("clinic_id = ? AND code = ?", clinicID, trainingCode).Count(&taken).Error; err != nil {
			return err
		}
		now := s.now().UTC()
		row = store.Patient{ID: store.NewID(), ClinicID: clinicID, Code: trainingCode, BirthYear: now.Year() - 40,
			Screening: "{}", ScreenedAt: &now, Training: true, Notes: "Training patient for practice sessions (simulated data only).",
			CreatedAt: now, UpdatedAt: now}
		if taken > 0 {
			row.Code = trainingCode + "-" + store.RandomToken(3)
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return store.Audit(ctx, tx, store.AuditEvent{ClinicID: clinicID, Action: "patient.create_training", Target: "patient", TargetID: row.ID})
	})
	if err != nil {
		return row, apierr.Errorf("clinic: training patient: %w", err)
	}
	return row, nil
}
