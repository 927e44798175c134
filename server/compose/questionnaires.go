package compose

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/havenvr/haven/protocols"
	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/auth"
	"github.com/havenvr/haven/server/store"
)

// Questionnaires scored here from their items; every other kind is stored as
// a therapist-entered total (item text is not bundled, CLINICAL.md §8).
const (
	KindSSQ  = "ssq"
	KindPCL5 = "pcl5"
)

// itemSpec is the item count and rating range of an itemised questionnaire.
var itemSpec = map[string]struct{ n, max int }{
	KindSSQ:  {16, 3}, // Kennedy et al. 1993: 16 symptoms rated 0–3
	KindPCL5: {20, 4}, // PCL-5: 20 items rated 0–4
}

// ssqMaxTotal is the SSQ total with every symptom at 3: (21+21+21) × 3.74.
const ssqMaxTotal = 235.62

// maxOtherScore bounds totals of instruments without a known range.
const maxOtherScore = 1000

var kindPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

type questionnaireInput struct {
	Kind  string   `json:"kind"`
	When  string   `json:"when"`
	Items []int    `json:"items"`
	Score *float64 `json:"score"`
}

// QuestionnaireView is one stored questionnaire result.
type QuestionnaireView struct {
	ID        string         `json:"id"`
	Kind      string         `json:"kind"`
	When      string         `json:"when"`
	Items     []int          `json:"items,omitempty"`
	Score     float64        `json:"score"`
	SSQ       *protocols.SSQ `json:"ssq,omitempty"`
	EnteredBy string         `json:"entered_by"`
	CreatedAt time.Time      `json:"created_at"`
}

func questionnaireView(q store.QuestionnaireScore) (QuestionnaireView, error) {
	v := QuestionnaireView{ID: q.ID, Kind: q.Kind, When: q.When, Score: q.Score, EnteredBy: q.EnteredBy, CreatedAt: q.CreatedAt}
	if err := store.DecodeJSON("questionnaire "+q.ID+" items", q.Items, &v.Items); err != nil {
		return v, apierr.Errorf("compose: %w", err)
	}
	if q.Subscales != "" {
		v.SSQ = &protocols.SSQ{}
		if err := store.DecodeJSON("questionnaire "+q.ID+" subscales", q.Subscales, v.SSQ); err != nil {
			return v, apierr.Errorf("compose: %w", err)
		}
	}
	return v, nil
}

// score validates the input and computes the stored total (and SSQ
// subscales); every error names the field.
func score(in questionnaireInput) (total float64, ssq *protocols.SSQ, err error) {
	if !kindPattern.MatchString(in.Kind) {
		return 0, nil, apierr.Invalid("kind", "a short lower-case name such as ssq, pcl5 or gad7")
	}
	if in.When != "pre" && in.When != "post" {
		return 0, nil, apierr.Invalid("when", "must be pre or post")
	}
	spec, itemised := itemSpec[in.Kind]
	switch {
	case in.Items != nil && in.Score != nil:
		return 0, nil, apierr.Invalid("score", "give the items or a score, not both")
	case in.Items != nil && !itemised:
		return 0, nil, apierr.Invalid("items", "only a score is stored for "+in.Kind)
	case in.Items != nil:
		return scoreItems(in.Kind, in.Items, spec.n, spec.max)
	case in.Score == nil:
		return 0, nil, apierr.Invalid("score", "required")
	}
	lo, hi := 0.0, float64(maxOtherScore)
	if r, ok := protocols.EnteredScoreRange[in.Kind]; ok {
		lo, hi = r[0], r[1]
	} else if in.Kind == KindSSQ {
		hi = ssqMaxTotal
	}
	if *in.Score < lo || *in.Score > hi {
		return 0, nil, apierr.Invalid("score", fmt.Sprintf("%g is outside %g–%g", *in.Score, lo, hi))
	}
	return *in.Score, nil, nil
}

func scoreItems(kind string, items []int, n, maxRating int) (float64, *protocols.SSQ, error) {
	if len(items) != n {
		return 0, nil, apierr.Invalid("items", fmt.Sprintf("has %d ratings, needs %d", len(items), n))
	}
	for i, v := range items {
		if v < 0 || v > maxRating {
			return 0, nil, apierr.Invalid("items["+strconv.Itoa(i)+"]", fmt.Sprintf("%d is outside 0–%d", v, maxRating))
		}
	}
	if kind == KindSSQ {
		ssq, err := protocols.ScoreSSQ(items)
		if err != nil {
			return 0, nil, apierr.Invalid("items", err.Error())
		}
		return ssq.Total, &ssq, nil
	}
	t, err := protocols.ScorePCL5(items)
	if err != nil {
		return 0, nil, apierr.Invalid("items", err.Error())
	}
	return float64(t), nil, nil
}

func (s *Service) addQuestionnaire(c echo.Context) error {
	pr := auth.From(c)
	ctx := c.Request().Context()
	patient, err := s.clinic.Load(ctx, pr.User.ClinicID, c.Param("id"))
	if err != nil {
		return err
	}
	var in questionnaireInput
	if err := readDoc(c, 4<<10, &in); err != nil {
		return err
	}
	total, ssq, err := score(in)
	if err != nil {
		return err
	}
	q := store.QuestionnaireScore{ID: store.NewID(), ClinicID: pr.User.ClinicID, PatientID: patient.ID, Kind: in.Kind, When: in.When,
		Score: total, EnteredBy: pr.User.ID, CreatedAt: s.now().UTC()}
	if in.Items != nil {
		b, _ := json.Marshal(in.Items)
		q.Items = string(b)
	}
	if ssq != nil {
		b, _ := json.Marshal(ssq)
		q.Subscales = string(b)
	}
	err = s.store.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&q).Error; err != nil {
			return err
		}
		return audit(ctx, tx, pr, "patient.questionnaire", "patient", patient.ID, q.Kind+" "+q.When)
	})
	if err != nil {
		return apierr.Errorf("compose: storing questionnaire: %w", err)
	}
	v, err := questionnaireView(q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, v)
}

func (s *Service) listQuestionnaires(c echo.Context) error {
	pr := auth.From(c)
	ctx := c.Request().Context()
	patient, err := s.clinic.Load(ctx, pr.User.ClinicID, c.Param("id"))
	if err != nil {
		return err
	}
	var rows []store.QuestionnaireScore
	if err := s.store.DB.WithContext(ctx).Where("patient_id = ? AND clinic_id = ?", patient.ID, pr.User.ClinicID).
		Order("created_at DESC, id").Find(&rows).Error; err != nil {
		return apierr.Errorf("compose: listing questionnaires: %w", err)
	}
	if err := audit(ctx, s.store.DB, pr, "patient.questionnaires_read", "patient", patient.ID, ""); err != nil {
		return apierr.Wrap(apierr.Internal, err)
	}
	out := make([]QuestionnaireView, len(rows))
	for i, r := range rows {
		if out[i], err = questionnaireView(r); err != nil {
			return err
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"questionnaires": out})
}
