package live

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/auth"
	"github.com/havenvr/haven/server/biosignal"
	"github.com/havenvr/haven/server/ingest"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/web"
)

// registerExport adds the biosignal export route: CSV (one stream a file),
// FHIR R4 Bundle of Observations, Open mHealth JSON.
func (s *Service) registerExport(w *web.Server, th []echo.MiddlewareFunc) {
	w.Handle(web.Route{Method: http.MethodGet, Path: "/api/sessions/:id/export/:format",
		Summary: "Export a session's biosignals: csv (?stream=hr|rr|eda|…), fhir (R4 Bundle), omh (Open mHealth).",
		Access:  web.Therapist, Tag: "sessions", Handler: s.export, Middleware: th, Response: "file download"})
}

func (s *Service) export(c echo.Context) error {
	sess, err := s.loadSession(c)
	if err != nil {
		return err
	}
	format := c.Param("format")
	var streams []biosignal.Stream
	if format == "csv" {
		st := biosignal.Stream(c.QueryParam("stream"))
		if _, ok := biosignal.SpecOf(st); !ok || st == biosignal.BLEHRS {
			return apierr.Invalid("stream", "one of hr, rr, eda, resp, spo2, skin_temp")
		}
		streams = []biosignal.Stream{st}
		if st == biosignal.HR || st == biosignal.RR {
			// A chest strap's raw measurements are stored as ble_hrs chunks
			// of decoded hr and rr samples; ExportCSV keeps only st's.
			streams = append(streams, biosignal.BLEHRS)
		}
	} else if format != "fhir" && format != "omh" {
		return apierr.Invalid("format", "one of csv, fhir, omh")
	}
	samples, err := ingest.ReadSession(c.Request().Context(), s.opts.Store.DB, sess.ID, streams...)
	if err != nil {
		return apierr.Errorf("live: reading samples: %w", err)
	}
	p := auth.From(c)
	if err := store.Audit(c.Request().Context(), s.opts.Store.DB, store.AuditEvent{ClinicID: p.User.ClinicID, ActorID: p.User.ID,
		Action: "session.export", Target: "session", TargetID: sess.ID, Detail: format}); err != nil {
		return apierr.Wrap(apierr.Internal, err)
	}
	meta := biosignal.ExportMeta{SessionID: sess.ID, PatientRef: "Patient/" + sess.PatientID, Created: time.Now().UTC()}
	name := "haven-" + sess.ID
	switch format {
	case "csv":
		var buf bytes.Buffer
		if err := biosignal.ExportCSV(&buf, streams[0], samples); err != nil {
			return apierr.Errorf("live: CSV export: %w", err)
		}
		return download(c, fmt.Sprintf("%s-%s.csv", name, streams[0]), "text/csv; charset=utf-8", buf.Bytes())
	case "fhir":
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
