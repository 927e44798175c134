package live

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/avoidance"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

// Report summarises a session from its timeline and stored samples.
type Report struct {
	Session    SessionView       `json:"session"`
	DurationMs int64             `json:"duration_ms"`
	SUDS       []ReportRating    `json:"suds"`
	PeakSUDS   *int              `json:"peak_suds,omitempty"`
	Alerts     []json.RawMessage `json:"alerts"`
	Notes      []string          `json:"notes"`
	Commands   int               `json:"commands"`
	Steps      []string          `json:"steps"`
	States     []json.RawMessage `json:"states"`
	Samples    map[string]int64  `json:"samples"`
	Incidents  int               `json:"incidents"`
	// Sources is what produced the stored samples, and Provenance sums it
	// up: "simulated" when any data was generated (a simulator's samples, a
	// simulated patient's ratings), else "sensor", else "unknown" (samples
	// from a sender that named no source); "" when nothing was recorded.
	Sources    []ReportSource `json:"sources"`
	Provenance string         `json:"provenance,omitempty"`
	// Avoidance is each exposure step's avoidance measures from the
	// headset's head pose (docs/domain.md), in step order.
	Avoidance []ReportAvoidance `json:"avoidance"`
	// Poses is the head pose once a second, when the clinic records poses
	// (Clinic settings, record_poses); empty otherwise.
	Poses []ReportPose `json:"poses"`
}

// ReportPose is one recorded head pose.
type ReportPose struct {
	At time.Time `json:"at"`
	PoseRecord
}

// ReportAvoidance is one step's avoidance measures.
type ReportAvoidance struct {
	At       time.Time         `json:"at"`
	StepID   string            `json:"step_id,omitempty"`
	Template string            `json:"template"`
	Measures avoidance.Summary `json:"measures"`
}

// ReportSource is one provenance of a session's samples.
type ReportSource struct {
	Kind    string `json:"kind"`
	Name    string `json:"name,omitempty"`
	Samples int64  `json:"samples"`
}

// ReportRating is one SUDS rating.
type ReportRating struct {
	At    time.Time `json:"at"`
	Value int       `json:"value"`
}

func (s *Service) report(c echo.Context) error {
	sess, err := s.loadSession(c)
	if err != nil {
		return err
	}
	rep, err := s.buildReport(c.Request().Context(), sess)
	if err != nil {
		return err
	}
	if err := s.auditRead(c, sess.ID, "report"); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rep)
}

func (s *Service) buildReport(ctx context.Context, sess store.LiveSession) (Report, error) {
	rep := Report{Session: view(sess), SUDS: []ReportRating{}, Alerts: []json.RawMessage{}, Notes: []string{},
		Steps: []string{}, States: []json.RawMessage{}, Samples: map[string]int64{}, Sources: []ReportSource{}, Avoidance: []ReportAvoidance{}, Poses: []ReportPose{}}
	if sess.StartedAt != nil {
		end := time.Now().UTC()
		if sess.EndedAt != nil {
			end = *sess.EndedAt
		}
		rep.DurationMs = end.Sub(*sess.StartedAt).Milliseconds()
	}
	db := s.opts.Store.DB.WithContext(ctx)
	var rows []store.TimelineEvent
	if err := db.Where("session_id = ?", sess.ID).Order("id").Find(&rows).Error; err != nil {
		return rep, apierr.Errorf("live: report timeline: %w", err)
	}
	for _, r := range rows {
		if err := reportLine(&rep, r); err != nil {
			return rep, apierr.Errorf("live: report: %w", err)
		}
	}
	var counts []struct {
		Stream string
		N      int64
	}
	if err := db.Table("sample_chunks").Select("stream, SUM(n) AS n").Where("session_id = ?", sess.ID).Group("stream").Scan(&counts).Error; err != nil {
		return rep, apierr.Errorf("live: report samples: %w", err)
	}
	for _, c := range counts {
		rep.Samples[c.Stream] = c.N
	}
	if err := db.Table("sample_chunks").Select("source_kind AS kind, source_name AS name, SUM(n) AS samples").Where("session_id = ?", sess.ID).
		Group("source_kind, source_name").Order("source_kind, source_name").Scan(&rep.Sources).Error; err != nil {
		return rep, apierr.Errorf("live: report sources: %w", err)
	}
	rep.Provenance = provenance(sess, rep.Sources)
	return rep, nil
}

// provenance sums up where a session's data came from (Report.Provenance).
func provenance(sess store.LiveSession, sources []ReportSource) string {
	if sess.Simulated || sess.Practice {
		return "simulated"
	}
	out := ""
	for _, src := range sources {
		switch {
		case src.Kind == "simulator":
			return "simulated"
		case src.Kind == "sensor":
			out = "sensor"
		case out == "":
			out = "unknown"
		}
	}
	return out
}

// reportLine adds one timeline event to the report; an event whose body
// does not decode is an error naming it, never a line silently left out.
func reportLine(rep *Report, r store.TimelineEvent) error {
	column := fmt.Sprintf("timeline event %d (%s)", r.ID, r.Kind)
	switch r.Kind {
	case "suds.rating":
		var b struct{ Value int }
		if err := store.DecodeJSON(column, r.Body, &b); err != nil {
			return err
		}
		rep.SUDS = append(rep.SUDS, ReportRating{At: r.At, Value: b.Value})
		if rep.PeakSUDS == nil || b.Value > *rep.PeakSUDS {
			v := b.Value
			rep.PeakSUDS = &v
		}
	case "alert":
		rep.Alerts = append(rep.Alerts, json.RawMessage(orEmpty(r.Body)))
	case "note":
		var b struct{ Text string }
		if err := store.DecodeJSON(column, r.Body, &b); err != nil {
			return err
		}
		rep.Notes = append(rep.Notes, b.Text)
	case "command":
		rep.Commands++
	case "state":
		rep.States = append(rep.States, json.RawMessage(orEmpty(r.Body)))
	case "engine.step.enter":
		var b struct {
			StepID string `json:"step_id"`
		}
		if err := store.DecodeJSON(column, r.Body, &b); err != nil {
			return err
		}
		rep.Steps = append(rep.Steps, b.StepID)
	case "engine.incident":
		rep.Incidents++
	case "avoidance":
		var a wire.Avoidance
		if err := store.DecodeJSON(column, r.Body, &a); err != nil {
			return err
		}
		rep.Avoidance = append(rep.Avoidance, ReportAvoidance{At: r.At, StepID: a.StepID, Template: a.Template, Measures: a.Measures})
	case "pose":
		var p PoseRecord
		if err := store.DecodeJSON(column, r.Body, &p); err != nil {
			return err
		}
		rep.Poses = append(rep.Poses, ReportPose{At: r.At, PoseRecord: p})
	}
	return nil
}
