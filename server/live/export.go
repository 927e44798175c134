package live

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/auth"
	"github.com/havenvr/haven/server/biosignal"
	"github.com/havenvr/haven/server/ingest"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/web"
	"github.com/havenvr/haven/server/wire"
)

// registerExport adds the biosignal export route: CSV (one stream a file),
// FHIR R4 Bundle of Observations, Open mHealth JSON.
func (s *Service) registerExport(w *web.Server, th []echo.MiddlewareFunc) {
	w.Handle(web.Route{Method: http.MethodGet, Path: "/api/sessions/:id/export/:format",
		Summary: "Export a session's biosignals, ratings and avoidance measures: csv (?stream=hr|rr|eda|…|ratings|avoidance), fhir (R4 Bundle with Patient, Encounter, Devices), omh (Open mHealth); every sample names its provenance.",
		Access:  web.Therapist, Tag: "sessions", Handler: s.export, Middleware: th, Response: "file download"})
}

func (s *Service) export(c echo.Context) error {
	sess, err := s.loadSession(c)
	if err != nil {
		return err
	}
	format := c.Param("format")
	var streams []biosignal.Stream
	ratingsCSV := format == "csv" && c.QueryParam("stream") == "ratings"
	avoidanceCSV := format == "csv" && c.QueryParam("stream") == "avoidance"
	if format == "csv" && !ratingsCSV && !avoidanceCSV {
		st := biosignal.Stream(c.QueryParam("stream"))
		if _, ok := biosignal.SpecOf(st); !ok || st == biosignal.BLEHRS {
			return apierr.Invalid("stream", "one of hr, rr, eda, resp, spo2, skin_temp, ratings, avoidance")
		}
		streams = []biosignal.Stream{st}
		if st == biosignal.HR || st == biosignal.RR {
			// A chest strap's raw measurements are stored as ble_hrs chunks
			// of decoded hr and rr samples; ExportCSV keeps only st's.
			streams = append(streams, biosignal.BLEHRS)
		}
	} else if format != "fhir" && format != "omh" && format != "csv" {
		return apierr.Invalid("format", "one of csv, fhir, omh")
	}
	var samples []biosignal.Sample
	var sources []biosignal.Source
	if !ratingsCSV && !avoidanceCSV {
		if samples, sources, err = ingest.ReadSessionSources(c.Request().Context(), s.opts.Store.DB, sess.ID, streams...); err != nil {
			return apierr.Errorf("live: reading samples: %w", err)
		}
	}
	p := auth.From(c)
	if err := store.Audit(c.Request().Context(), s.opts.Store.DB, store.AuditEvent{ClinicID: p.User.ClinicID, ActorID: p.User.ID,
		Action: "session.export", Target: "session", TargetID: sess.ID, Detail: format}); err != nil {
		return apierr.Wrap(apierr.Internal, err)
	}
	meta, err := s.exportMeta(c.Request().Context(), sess, sources)
	if err != nil {
		return err
	}
	name := "haven-" + sess.ID
	switch {
	case avoidanceCSV:
		var buf bytes.Buffer
		if err := biosignal.ExportAvoidanceCSV(&buf, meta); err != nil {
			return apierr.Errorf("live: avoidance CSV export: %w", err)
		}
		return download(c, name+"-avoidance.csv", "text/csv; charset=utf-8", buf.Bytes())
	case ratingsCSV:
		var buf bytes.Buffer
		if err := biosignal.ExportRatingsCSV(&buf, meta); err != nil {
			return apierr.Errorf("live: ratings CSV export: %w", err)
		}
		return download(c, name+"-ratings.csv", "text/csv; charset=utf-8", buf.Bytes())
	case format == "csv":
		var buf bytes.Buffer
		if err := biosignal.ExportCSV(&buf, streams[0], samples, meta.Sources); err != nil {
			return apierr.Errorf("live: CSV export: %w", err)
		}
		return download(c, fmt.Sprintf("%s-%s.csv", name, streams[0]), "text/csv; charset=utf-8", buf.Bytes())
	case format == "fhir":
		data, err := biosignal.ExportFHIR(meta, samples)
		if err != nil {
			return apierr.Errorf("live: FHIR export: %w", err)
		}
		return download(c, name+"-fhir.json", "application/fhir+json", data)
	default:
		data, err := biosignal.ExportOMH(meta, samples)
		if err != nil {
			return apierr.Errorf("live: Open mHealth export: %w", err)
		}
		return download(c, name+"-omh.json", "application/json", data)
	}
}

func download(c echo.Context, filename, contentType string, data []byte) error {
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	return c.Blob(http.StatusOK, contentType, data)
}

// simulatedRatings names the generator of a simulated patient's ratings.
var simulatedRatings = biosignal.Source{Kind: biosignal.SourceSimulator, Name: "Haven simulated patient"}

// exportMeta gathers what every export carries besides the samples: the
// pseudonymous patient, the session as an encounter, the provenance table
// and the SUDS and expectancy ratings from the timeline. A simulated or
// practice session's ratings come from the simulator, never the patient.
func (s *Service) exportMeta(ctx context.Context, sess store.LiveSession, sources []biosignal.Source) (biosignal.ExportMeta, error) {
	pat, err := store.InClinic[store.Patient](ctx, s.opts.Store.DB, "the export's patient", sess.ClinicID, sess.PatientID)
	if err != nil {
		return biosignal.ExportMeta{}, err
	}
	enc := &biosignal.ExportEncounter{ID: sess.ID, Status: encounterStatus(sess.State)}
	if sess.StartedAt != nil {
		enc.Start = *sess.StartedAt
	} else if sess.ScheduledFor != nil {
		enc.Start = *sess.ScheduledFor
	}
	if sess.EndedAt != nil {
		enc.End = *sess.EndedAt
	}
	meta := biosignal.ExportMeta{SessionID: sess.ID, Created: time.Now().UTC(), Sources: sources,
		Patient: &biosignal.ExportPatient{ID: pat.ID, Code: pat.Code}, Encounter: enc}
	var rows []store.TimelineEvent
	if err := s.opts.Store.DB.WithContext(ctx).Where("session_id = ? AND kind IN ?", sess.ID, []string{"suds.rating", "expectancy.rating", "avoidance"}).
		Order("id").Find(&rows).Error; err != nil {
		return meta, apierr.Errorf("live: export ratings: %w", err)
	}
	src := biosignal.SelfReported
	if sess.Simulated || sess.Practice {
		src = slices.Index(meta.Sources, simulatedRatings)
		if src < 0 {
			src = len(meta.Sources)
			meta.Sources = append(meta.Sources, simulatedRatings)
		}
	}
	for _, r := range rows {
		if r.Kind == "avoidance" {
			a, err := avoidanceStep(r, src)
			if err != nil {
				return biosignal.ExportMeta{}, apierr.Errorf("live: export avoidance: %w", err)
			}
			meta.Avoidance = append(meta.Avoidance, a)
			continue
		}
		var b struct {
			Value      *int   `json:"value"`
			Likelihood *int   `json:"likelihood"`
			Phase      string `json:"phase"`
		}
		if err := store.DecodeJSON(fmt.Sprintf("timeline event %d (%s)", r.ID, r.Kind), r.Body, &b); err != nil {
			return biosignal.ExportMeta{}, apierr.Errorf("live: export ratings: %w", err)
		}
		rt := biosignal.Rating{T: r.At.UnixMilli(), Src: src, Phase: b.Phase}
		switch {
		case r.Kind == "suds.rating" && b.Value != nil:
			rt.Kind, rt.V = biosignal.RatingSUDS, float64(*b.Value)
		case r.Kind == "expectancy.rating" && b.Likelihood != nil:
			rt.Kind, rt.V = biosignal.RatingExpectancy, float64(*b.Likelihood)
		default:
			continue
		}
		meta.Ratings = append(meta.Ratings, rt)
	}
	return meta, nil
}

// avoidanceStep reads a step's avoidance measures from its timeline entry
// (poseStep writes it at the step's end).
func avoidanceStep(r store.TimelineEvent, src int) (biosignal.AvoidanceStep, error) {
	var a wire.Avoidance
	if err := store.DecodeJSON(fmt.Sprintf("timeline event %d (%s)", r.ID, r.Kind), r.Body, &a); err != nil {
		return biosignal.AvoidanceStep{}, err
	}
	m := a.Measures
	return biosignal.AvoidanceStep{StepID: a.StepID, Template: a.Template, T: r.At.UnixMilli(), ObservedMs: m.ObservedMs,
		OnStimulusMs: m.OnStimulusMs, Share: m.Share, AwayEpisodes: m.AwayEpisodes, AwayMs: m.AwayMs,
		LongestAwayMs: m.LongestAwayMs, ClosestM: m.ClosestM, Src: src}, nil
}

// encounterStatus maps a session state to FHIR R4 encounter-status
// (http://hl7.org/fhir/R4/valueset-encounter-status.html).
func encounterStatus(state string) string {
	switch state {
	case store.LiveScheduled, store.LiveWaiting:
		return "planned"
	case store.LiveEnded:
		return "finished"
	}
	return "in-progress"
}
