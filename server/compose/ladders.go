package compose

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/havenvr/haven/protocols"
	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/auth"
	"github.com/havenvr/haven/server/store"
)

type generateInput struct {
	Template  string `json:"template"`
	Steps     int    `json:"steps"`
	StartSUDS int    `json:"start_suds"`
	Mode      string `json:"mode"`
}

// generateLadder returns a default ladder for the therapist to edit and save
// with POST /api/protocols; nothing is stored here.
func (s *Service) generateLadder(c echo.Context) error {
	var in generateInput
	if err := readDoc(c, 4<<10, &in); err != nil {
		return err
	}
	t, ok := s.cat.Get(in.Template)
	if !ok {
		return apierr.Invalid("template", strconv.Quote(in.Template)+" is not a known template")
	}
	if in.Steps == 0 {
		in.Steps = protocols.DefaultLadder
	}
	// Start SUDS: CLINICAL.md §1 suggests around 40; a clinic may start lower
	// or higher but the ladder still needs room to climb towards the top.
	if in.StartSUDS != 0 && (in.StartSUDS < 10 || in.StartSUDS > 80) {
		return apierr.Invalid("start_suds", strconv.Itoa(in.StartSUDS)+" is outside 10–80")
	}
	if in.Mode != "" && in.Mode != protocols.ModeHabituation && in.Mode != protocols.ModeInhibitory {
		return apierr.Invalid("mode", strconv.Quote(in.Mode)+" is not habituation or inhibitory")
	}
	p, err := protocols.GenerateLadder(t, in.Mode, in.Steps)
	if err != nil {
		return s.invalid(c, err)
	}
	if in.StartSUDS != 0 {
		respreadSUDS(p, in.StartSUDS)
	}
	if err := p.Validate(s.cat); err != nil {
		return apierr.Errorf("compose: generated ladder for %s is invalid: %w", t.ID, err)
	}
	v := s.protocolView(c, "", "generated", p, 0, 0)
	return c.JSON(http.StatusOK, map[string]any{"protocol": v.Protocol, "warnings": v.Warnings, "hash": v.Hash})
}

// respreadSUDS spaces expected SUDS evenly from start to the generator's top.
func respreadSUDS(p *protocols.Protocol, start int) {
	n := len(p.Steps)
	for i := range p.Steps {
		frac := float64(i) / float64(max(n-1, 1))
		p.Steps[i].ExpectedSUDS = int(math.Round(float64(start) + frac*float64(protocols.LadderTopSUDS-start)))
	}
}

type assignInput struct {
	ProtocolID string `json:"protocol_id"`
	Revision   int    `json:"revision"`
}

// AssignmentView is a patient's ladder: the exact revision and its content.
type AssignmentView struct {
	PatientID  string          `json:"patient_id"`
	ProtocolID string          `json:"protocol_id"`
	Source     string          `json:"source"`
	Revision   int             `json:"revision"`
	Hash       string          `json:"hash"`
	Template   string          `json:"template"`
	TitleKey   string          `json:"title_key"`
	Protocol   json.RawMessage `json:"protocol"`
	AssignedBy string          `json:"assigned_by"`
	AssignedAt time.Time       `json:"assigned_at"`
}

func assignmentView(a store.LadderAssignment, r ResolvedProtocol) AssignmentView {
	body, _ := json.Marshal(r.Protocol)
	return AssignmentView{PatientID: a.PatientID, ProtocolID: a.ProtocolID, Source: a.Source, Revision: a.Rev, Hash: a.Hash,
		Template: r.Protocol.Template, TitleKey: r.Protocol.TitleKey, Protocol: body, AssignedBy: a.AssignedBy, AssignedAt: a.CreatedAt}
}

// assignLadder pins a patient to one exact exposure-ladder revision
// (revision 0 pins the current latest).
func (s *Service) assignLadder(c echo.Context) error {
	pr := auth.From(c)
	ctx := c.Request().Context()
	patient, err := s.clinic.Load(ctx, pr.User.ClinicID, c.Param("id"))
	if err != nil {
		return err
	}
	var in assignInput
	if err := readDoc(c, 4<<10, &in); err != nil {
		return err
	}
	if in.ProtocolID == "" {
		return apierr.Invalid("protocol_id", "required")
	}
	if in.Revision < 0 {
		return apierr.Invalid("revision", "cannot be negative")
	}
	res, err := s.ResolveProtocol(ctx, pr.User.ClinicID, in.ProtocolID, in.Revision)
	if err != nil {
		if e := apierr.From(err); e.Code == apierr.NotFound {
			e.Field = "protocol_id"
			if in.Revision != 0 {
				e.Field = "revision"
			}
		}
		return err
	}
	if res.Protocol.Kind != protocols.KindExposure {
		return apierr.Invalid("protocol_id", "is a calming protocol, not an exposure ladder")
	}
	a := store.LadderAssignment{ClinicID: pr.User.ClinicID, PatientID: patient.ID, ProtocolID: res.ID, Source: res.Source,
		Rev: res.Revision, Hash: res.Hash, AssignedBy: pr.User.ID, CreatedAt: s.now().UTC()}
	err = s.store.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&a).Error; err != nil {
			return err
		}
		return audit(ctx, tx, pr, "patient.ladder_assign", "patient", patient.ID,
			res.Source+":"+res.ID+" rev "+strconv.Itoa(res.Revision))
	})
	if err != nil {
		return apierr.Errorf("compose: assigning ladder: %w", err)
	}
	return c.JSON(http.StatusCreated, assignmentView(a, res))
}

func (s *Service) getLadder(c echo.Context) error {
	pr := auth.From(c)
	ctx := c.Request().Context()
	res, a, ok, err := s.PatientLadder(ctx, pr.User.ClinicID, c.Param("id"))
	if err != nil {
		return err
	}
	// A patient's treatment plan is part of their record: reading it is
	// audited like reading the patient or their questionnaires.
	detail := ""
	if ok {
		detail = a.Source + ":" + a.ProtocolID + " rev " + strconv.Itoa(a.Rev)
	}
	if err := audit(ctx, s.store.DB, pr, "patient.ladder_read", "patient", c.Param("id"), detail); err != nil {
		return apierr.Wrap(apierr.Internal, err)
	}
	if !ok {
		return c.JSON(http.StatusOK, map[string]any{"assignment": nil})
	}
	return c.JSON(http.StatusOK, map[string]any{"assignment": assignmentView(a, res)})
}
