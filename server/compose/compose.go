// Package compose is the HTTP API of Haven's clinical domain: scene
// templates, a clinic's compositions and protocols as immutable revisions,
// ladder generation and assignment, and therapist-entered questionnaire
// scores. It adapts the pure environments and protocols packages to Echo
// and GORM, and resolves exact revisions for live sessions.
package compose

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/havenvr/haven/environments"
	"github.com/havenvr/haven/protocols"
	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/auth"
	"github.com/havenvr/haven/server/clinic"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/web"
)

// Service serves templates, compositions, protocols, ladders and questionnaires.
type Service struct {
	store  *store.Store
	auth   *auth.Service
	clinic *clinic.Service
	log    *slog.Logger
	web    *web.Server
	cat    *environments.Catalog
	lib    *protocols.Library
	now    func() time.Time
}

// New loads the embedded template catalog and protocol library (both are
// validated on load, so a broken build fails here rather than mid-session).
func New(st *store.Store, a *auth.Service, cl *clinic.Service, log *slog.Logger) (*Service, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cat, err := environments.Builtin()
	if err != nil {
		return nil, fmt.Errorf("compose: loading templates: %w", err)
	}
	lib, err := protocols.BuiltinLibrary(cat)
	if err != nil {
		return nil, fmt.Errorf("compose: loading protocol library: %w", err)
	}
	return &Service{store: st, auth: a, clinic: cl, log: log, cat: cat, lib: lib, now: time.Now}, nil
}

// Catalog is the template catalog every composition is validated against.
func (s *Service) Catalog() *environments.Catalog { return s.cat }

// Library is the embedded protocol library.
func (s *Service) Library() *protocols.Library { return s.lib }

// Register adds the routes; every one needs a therapist or clinic admin.
func (s *Service) Register(w *web.Server) {
	s.web = w
	mw := []echo.MiddlewareFunc{s.auth.Require(web.Therapist)}
	add := func(method, path, tag, summary string, h echo.HandlerFunc, body, resp string) {
		w.Handle(web.Route{Method: method, Path: path, Summary: summary, Access: web.Therapist, Tag: tag,
			Handler: h, Middleware: mw, RequestBody: body, Response: resp})
	}
	get, post, put, del := http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete
	add(get, "/api/templates", "environments", "Scene templates with localized labels.", s.listTemplates, "", "{templates:[…]}")
	add(get, "/api/templates/:id", "environments", "One scene template.", s.getTemplate, "", "template")
	add(get, "/api/templates/:id/params", "environments", "Parameters at an intensity 0–100 (?intensity=N).", s.templateParams, "", "{template, intensity, params}")

	add(post, "/api/compositions", "environments", "Create a composition (revision 1).", s.createComposition, "{name, template, params, layers}", "composition revision")
	add(get, "/api/compositions", "environments", "The clinic's compositions (latest revisions); archived ones too with ?archived=1.", s.listCompositions, "", "{compositions:[…]}")
	add(get, "/api/compositions/:id", "environments", "A composition's latest revision.", s.getComposition, "", "composition revision")
	add(put, "/api/compositions/:id", "environments", "Save a new revision (older revisions never change).", s.updateComposition, "{name, template, params, layers}", "composition revision")
	add(get, "/api/compositions/:id/revisions", "environments", "Every revision of a composition.", s.listCompositionRevisions, "", "{revisions:[…]}")
	add(get, "/api/compositions/:id/revisions/:rev", "environments", "One exact revision.", s.getCompositionRevision, "", "composition revision")
	add(del, "/api/compositions/:id", "environments", "Archive a composition (revisions stay readable; no new revision or session until restored).", s.archiveComposition, "", "204, no body")
	add(post, "/api/compositions/:id/restore", "environments", "Restore an archived composition.", s.restoreComposition, "", "composition revision")

	add(get, "/api/protocols/library", "protocols", "The built-in protocol library.", s.listLibrary, "", "{protocols:[…]}")
	add(get, "/api/protocols/library/:id", "protocols", "One built-in protocol.", s.getLibrary, "", "protocol")
	add(post, "/api/protocols", "protocols", "Create a clinic protocol (revision 1); warnings come back with it.", s.createProtocol, "protocol document", "protocol revision with warnings")
	add(get, "/api/protocols", "protocols", "The clinic's protocols (latest revisions); archived ones too with ?archived=1.", s.listProtocols, "", "{protocols:[…]}")
	add(get, "/api/protocols/:id", "protocols", "A clinic protocol's latest revision.", s.getProtocol, "", "protocol revision")
	add(put, "/api/protocols/:id", "protocols", "Save a new protocol revision.", s.updateProtocol, "protocol document", "protocol revision with warnings")
	add(get, "/api/protocols/:id/revisions", "protocols", "Every revision of a clinic protocol.", s.listProtocolRevisions, "", "{revisions:[…]}")
	add(get, "/api/protocols/:id/revisions/:rev", "protocols", "One exact protocol revision.", s.getProtocolRevision, "", "protocol revision")
	add(del, "/api/protocols/:id", "protocols", "Archive a clinic protocol (revisions stay readable; no new revision, session or assignment until restored).", s.archiveProtocol, "", "204, no body")
	add(post, "/api/protocols/:id/restore", "protocols", "Restore an archived clinic protocol.", s.restoreProtocol, "", "protocol revision")
	add(post, "/api/ladders/generate", "protocols", "Generate a default ladder from an exposure template (not stored).", s.generateLadder, "{template, steps?, start_suds?, mode?}", "{protocol, warnings}")

	add(post, "/api/patients/:id/ladder", "patients", "Assign an exact ladder revision to a patient.", s.assignLadder, "{protocol_id, revision}", "assignment")
	add(get, "/api/patients/:id/ladder", "patients", "The patient's current ladder (null when none).", s.getLadder, "", "{assignment}")
	add(post, "/api/patients/:id/questionnaires", "patients", "Record a questionnaire (SSQ and PCL-5 scored from items; others as scores).", s.addQuestionnaire, "{kind, when, items? | score?}", "questionnaire")
	add(get, "/api/patients/:id/questionnaires", "patients", "The patient's questionnaires, newest first.", s.listQuestionnaires, "", "{questionnaires:[…]}")
}

// readDoc decodes a JSON request body strictly into v, refusing documents
// above limit bytes with an error naming the whole document ("$").
func readDoc(c echo.Context, limit int, v any) error {
	mt, _, err := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if err != nil || mt != echo.MIMEApplicationJSON {
		return apierr.New(apierr.UnsupportedMedia)
	}
	data, err := web.ReadLimited(c, int64(limit))
	if err != nil {
		if e := apierr.From(err); e.Code == apierr.BodyTooLarge {
			e.Field = "$"
			return e.With("Limit", limit)
		}
		return err
	}
	return web.DecodeJSON(bytes.NewReader(data), v)
}

// invalid turns a domain validation error into the API's coded 422 naming
// the first offending field. The detail is the domain's message id localized
// for the request when a translation exists, else the domain's own text.
func (s *Service) invalid(c echo.Context, err error) error {
	var list environments.ValidationErrors
	var one *environments.FieldError
	switch {
	case errors.As(err, &list) && len(list) > 0:
		one = list[0]
	case errors.As(err, &one):
	default:
		return apierr.Invalid("$", err.Error())
	}
	e := apierr.Invalid(one.Field, one.Msg)
	if s.web != nil && one.MessageID != "" {
		if t := s.web.Localize(c, one.MessageID, one.Args); t != "" && t != one.MessageID {
			e = apierr.InvalidLocalized(one.Field, t)
		}
	}
	e = e.With("Rule", one.Rule)
	e.Err = err
	return e
}

// audit records a change in the same transaction as the change.
func audit(ctx context.Context, tx *gorm.DB, p *auth.Principal, action, target, id, detail string) error {
	return store.Audit(ctx, tx, store.AuditEvent{ClinicID: p.User.ClinicID, ActorID: p.User.ID,
		Action: action, Target: target, TargetID: id, Detail: detail})
}
