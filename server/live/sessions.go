package live

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/skip2/go-qrcode"
	"gorm.io/gorm"

	"github.com/havenvr/haven/environments"
	"github.com/havenvr/haven/protocols"
	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/auth"
	"github.com/havenvr/haven/server/clinic"
	"github.com/havenvr/haven/server/ratelimit"
	"github.com/havenvr/haven/server/rtc"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/web"
)

// Register adds the session, join and signalling routes.
func (s *Service) Register(w *web.Server) {
	th := []echo.MiddlewareFunc{s.opts.Auth.Require(web.Therapist)}
	add := func(method, path, summary string, h echo.HandlerFunc, body, resp string) {
		w.Handle(web.Route{Method: method, Path: path, Summary: summary, Access: web.Therapist, Tag: "sessions",
			Handler: h, Middleware: th, RequestBody: body, Response: resp})
	}
	add(http.MethodPost, "/api/sessions", "Schedule a live session for a patient (protocol id or one composition).", s.create,
		"{patient_id, protocol_id?, composition?{template, params, layers}}", "the session")
	add(http.MethodGet, "/api/sessions", "The clinic's sessions (newest first; ?patient_id= filters).", s.list, "", "[session]")
	add(http.MethodGet, "/api/sessions/:id", "One session, with the STUN/TURN servers the console dials with.", s.get, "", "session + {ice_servers}")
	add(http.MethodPost, "/api/sessions/:id/join-code", "Issue (or replace) the patient's single-use join code.", s.joinCode, "",
		"{code, link, url, qr_png, expires_at}")
	add(http.MethodGet, "/api/sessions/:id/timeline", "The append-only timeline.", s.timeline, "", "[event]")
	add(http.MethodGet, "/api/sessions/:id/events", "The protocol engine's inputs as an event log (JSON Lines) that `haven protocols simulate` replays to the recorded commands.",
		s.eventLog, "", "application/x-ndjson: one event per line")
	add(http.MethodGet, "/api/sessions/:id/report", "Session report: states, SUDS, alerts, notes, commands, samples.", s.report, "", "report")
	add(http.MethodGet, "/api/sessions/:id/report/series", "Session physiology on a time grid for the report: heart rate, RMSSD, EDA tonic level.", s.reportSeries, "", "{step_ms, t[], hr_bpm[], rmssd_ms[], eda_tonic_us[]}")
	add(http.MethodPost, "/api/sessions/:id/end", "End the session now.", s.endHandler, "", "session")
	add(http.MethodPost, "/api/sessions/:id/simulate", "Attach a simulated patient (training).", s.simulate, "", "session")
	w.Handle(web.Route{Method: http.MethodPost, Path: "/api/join", Summary: "Redeem a join code for the patient's session token.",
		Access: web.Public, Tag: "sessions", Handler: s.join, RequestBody: "{code}", Response: "{session_id, token, ice_servers}"})
	s.registerWHIP(w, th)
	s.registerExport(w, th)
}

// SessionView is the JSON shape of a session.
type SessionView struct {
	ID          string `json:"id"`
	PatientID   string `json:"patient_id"`
	TherapistID string `json:"therapist_id"`
	ProtocolID  string `json:"protocol_id,omitempty"`
	ProtocolRev int    `json:"protocol_revision,omitempty"`
	// CompositionID and CompositionRev name a stored composition's revision.
	CompositionID  string     `json:"composition_id,omitempty"`
	CompositionRev int        `json:"composition_revision,omitempty"`
	Kind           string     `json:"kind"`
	State          string     `json:"state"`
	StateReason    string     `json:"state_reason,omitempty"`
	Composition    any        `json:"composition,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	StartedAt      *time.Time `json:"started_at,omitempty"`
	EndedAt        *time.Time `json:"ended_at,omitempty"`
}

func view(s store.LiveSession) SessionView {
	v := SessionView{ID: s.ID, PatientID: s.PatientID, TherapistID: s.TherapistID, ProtocolID: s.ProtocolID,
		ProtocolRev: s.ProtocolRev, CompositionID: s.CompositionID, CompositionRev: s.CompositionRev, Kind: s.Kind,
		State: s.State, StateReason: s.StateReason, CreatedAt: s.CreatedAt, StartedAt: s.StartedAt, EndedAt: s.EndedAt}
	if s.Composition != "" {
		v.Composition = json.RawMessage(s.Composition)
	}
	return v
}

// createInput plans a session: a protocol (the clinic's own or the
// library's; revision 0 = the latest), a stored composition, or an inline one.
type createInput struct {
	PatientID           string                    `json:"patient_id"`
	ProtocolID          string                    `json:"protocol_id"`
	ProtocolRevision    int                       `json:"protocol_revision"`
	CompositionID       string                    `json:"composition_id"`
	CompositionRevision int                       `json:"composition_revision"`
	Composition         *environments.Composition `json:"composition"`
}

func (s *Service) create(c echo.Context) error {
	var in createInput
	if err := web.BindJSON(c, &in); err != nil {
		return err
	}
	p := auth.From(c)
	pat, err := s.opts.Clinic.Load(c.Request().Context(), p.User.ClinicID, in.PatientID)
	if err != nil {
		return err
	}
	sess := store.LiveSession{ID: store.NewID(), ClinicID: p.User.ClinicID, PatientID: pat.ID, TherapistID: p.User.ID,
		State: store.LiveScheduled, CreatedAt: time.Now().UTC()}
	if err := s.plan(c.Request().Context(), &sess, in); err != nil {
		return err
	}
	// CLINICAL.md §5: a flagged screening item blocks exposure until acknowledged.
	if sess.Kind == protocols.KindExposure && !clinic.View(pat).ScreeningAcked {
		return apierr.Invalid("patient_id", "screening items are flagged and not acknowledged")
	}
	db := s.opts.Store.DB.WithContext(c.Request().Context())
	err = db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&sess).Error; err != nil {
			return err
		}
		if err := tx.Create(ptr(event(sess.ID, "state", p.User.ID, map[string]any{"to": store.LiveScheduled}))).Error; err != nil {
			return err
		}
		return store.Audit(c.Request().Context(), tx, store.AuditEvent{ClinicID: sess.ClinicID, ActorID: p.User.ID,
			Action: "session.create", Target: "session", TargetID: sess.ID})
	})
	if err != nil {
		return apierr.Errorf("live: creating session: %w", err)
	}
	return c.JSON(http.StatusCreated, view(sess))
}

func ptr[T any](v T) *T { return &v }

// plan resolves the exact protocol or composition revision of a new session
// and keeps a copy of it with the session.
func (s *Service) plan(ctx context.Context, sess *store.LiveSession, in createInput) error {
	plans := 0
	for _, set := range []bool{in.ProtocolID != "", in.CompositionID != "", in.Composition != nil} {
		if set {
			plans++
		}
	}
	if plans > 1 {
		return apierr.Invalid("protocol_id", "give one of a protocol, a composition id or a composition")
	}
	switch {
	case in.ProtocolID != "":
		res, err := s.opts.Resolve.ResolveProtocol(ctx, sess.ClinicID, in.ProtocolID, in.ProtocolRevision)
		if err != nil {
			if apierr.From(err).Code == apierr.NotFound {
				return apierr.Invalid("protocol_id", "unknown protocol or revision")
			}
			return err
		}
		if err := res.Protocol.Validate(s.catalog); err != nil {
			return apierr.Invalid("protocol_id", err.Error())
		}
		doc, err := json.Marshal(res.Protocol)
		if err != nil {
			return apierr.Errorf("live: copying protocol %s: %w", res.ID, err)
		}
		sess.ProtocolID, sess.ProtocolRev, sess.ProtocolHash = res.ID, res.Revision, res.Hash
		sess.Protocol, sess.Kind = string(doc), res.Protocol.Kind
		return nil
	case in.CompositionID != "":
		res, err := s.opts.Resolve.ResolveComposition(ctx, sess.ClinicID, in.CompositionID, in.CompositionRevision)
		if err != nil {
			if apierr.From(err).Code == apierr.NotFound {
				return apierr.Invalid("composition_id", "unknown composition or revision")
			}
			return err
		}
		sess.CompositionID, sess.CompositionRev = res.ID, res.Revision
		return s.planComposition(sess, res.Composition)
	case in.Composition != nil:
		return s.planComposition(sess, *in.Composition)
	}
	return apierr.Invalid("protocol_id", "a protocol or a composition is required")
}

func (s *Service) planComposition(sess *store.LiveSession, in environments.Composition) error {
	comp, err := in.Validate(s.catalog)
	if err != nil {
		var ve environments.ValidationErrors
		if errors.As(err, &ve) && len(ve) > 0 {
			return apierr.Invalid("composition."+ve[0].Field, ve[0].Msg)
		}
		return apierr.Invalid("composition", err.Error())
	}
	t, _ := s.catalog.Get(comp.Template)
	b, err := json.Marshal(comp)
	if err != nil {
		return apierr.Errorf("live: copying composition: %w", err)
	}
	sess.Composition, sess.Kind = string(b), t.Kind
	return nil
}

// loadSession returns a session of the caller's clinic.
func (s *Service) loadSession(c echo.Context) (store.LiveSession, error) {
	var sess store.LiveSession
	p := auth.From(c)
	err := s.opts.Store.DB.WithContext(c.Request().Context()).
		Where("id = ? AND clinic_id = ?", c.Param("id"), p.User.ClinicID).Take(&sess).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return sess, apierr.New(apierr.NotFound)
	}
	if err != nil {
		return sess, apierr.Errorf("live: loading session: %w", err)
	}
	if r := s.room(sess.ID); r != nil {
		r.mu.Lock()
		sess.State, sess.StateReason, sess.StartedAt, sess.EndedAt = r.sess.State, r.sess.StateReason, r.sess.StartedAt, r.sess.EndedAt
		r.mu.Unlock()
	}
	return sess, nil
}

func (s *Service) list(c echo.Context) error {
	q := s.opts.Store.DB.WithContext(c.Request().Context()).Where("clinic_id = ?", auth.From(c).User.ClinicID)
	if pid := c.QueryParam("patient_id"); pid != "" {
		q = q.Where("patient_id = ?", pid)
	}
	var rows []store.LiveSession
	if err := q.Order("created_at DESC").Limit(500).Find(&rows).Error; err != nil {
		return apierr.Errorf("live: listing sessions: %w", err)
	}
	out := make([]SessionView, len(rows))
	ids := make([]string, len(rows))
	for i, r := range rows {
		out[i], ids[i] = view(r), r.ID
	}
	if err := s.auditList(c, ids); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Service) get(c echo.Context) error {
	sess, err := s.loadSession(c)
	if err != nil {
		return err
	}
	if err := s.auditRead(c, sess.ID, "session"); err != nil {
		return err
	}
	// The console dials the server like the headset does: it needs the same
	// STUN/TURN servers behind NAT (the headset gets them with /api/join).
	return c.JSON(http.StatusOK, struct {
		SessionView
		ICEServers []rtc.ICEServer `json:"ice_servers"`
	}{view(sess), s.opts.RTC.ClientICEServers()})
}

// codeAlphabet leaves out 0/O and 1/I/L: the code is typed in a headset.
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// newJoinCode returns 8 characters (31^8 ≈ 8.5·10^11; with per-address
// limits a guess succeeds with negligible probability within the TTL).
func newJoinCode() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b)
}

func normalizeCode(code string) string {
	return strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(code))
}

func (s *Service) joinCode(c echo.Context) error {
	sess, err := s.loadSession(c)
	if err != nil {
		return err
	}
	if sess.State == store.LiveEnded {
		return apierr.New(apierr.SessionState)
	}
	code := newJoinCode()
	exp := time.Now().UTC().Add(s.opts.JoinCodeTTL)
	err = s.opts.Store.DB.WithContext(c.Request().Context()).Model(&store.LiveSession{}).Where("id = ?", sess.ID).
		Updates(map[string]any{"join_code_hash": store.HashToken(code), "join_expires": exp, "join_used_at": nil}).Error
	if err != nil {
		return apierr.Errorf("live: saving join code: %w", err)
	}
	// The code travels to the patient client in the URL fragment, which
	// browsers never send: no server or proxy log sees it. (Old /j/CODE
	// links still redirect to this form.)
	link := "/xr/#code=" + code
	png, err := qrcode.Encode(s.publicURL()+link, qrcode.Medium, 256)
	if err != nil {
		return apierr.Errorf("live: QR code: %w", err)
	}
	return c.JSON(http.StatusOK, map[string]any{"code": code[:4] + "-" + code[4:], "link": link,
		"url": s.publicURL() + link, "qr_png": "data:image/png;base64," + base64.StdEncoding.EncodeToString(png), "expires_at": exp})
}

// publicURL is the origin for links; without one configured (tests that
// build the service alone) links stay relative.
func (s *Service) publicURL() string {
	if s.opts.PublicURL == nil {
		return ""
	}
	return s.opts.PublicURL()
}

type joinInput struct {
	Code string `json:"code"`
}

// join redeems a join code once; the token it returns is the patient's
// bearer for this session (reconnects included) until the session ends.
func (s *Service) join(c echo.Context) error {
	if ok, wait := s.joinLimit.Allow(ratelimit.AddressKey(c.RealIP()), s.lim.clock()); !ok {
		return apierr.Limited(wait)
	}
	var in joinInput
	if err := web.BindJSON(c, &in); err != nil {
		return err
	}
	code := normalizeCode(in.Code)
	if len(code) != 8 {
		return apierr.New(apierr.JoinCodeInvalid)
	}
	token := store.RandomToken(32)
	var sess store.LiveSession
	now := time.Now().UTC()
	err := s.opts.Store.DB.WithContext(c.Request().Context()).Transaction(func(tx *gorm.DB) error {
		err := tx.Where("join_code_hash = ? AND join_used_at IS NULL AND join_expires > ? AND state <> ?",
			store.HashToken(code), now, store.LiveEnded).Take(&sess).Error
		if err != nil {
			return err
		}
		upd := map[string]any{"join_used_at": now, "token_hash": store.HashToken(token)}
		if sess.State == store.LiveScheduled {
			upd["state"] = store.LiveWaiting
		}
		res := tx.Model(&store.LiveSession{}).Where("id = ? AND join_used_at IS NULL", sess.ID).Updates(upd)
		if res.Error == nil && res.RowsAffected == 0 {
			return gorm.ErrRecordNotFound // redeemed concurrently
		}
		if res.Error == nil && sess.State == store.LiveScheduled {
			res.Error = tx.Create(ptr(event(sess.ID, "state", "patient", map[string]any{"from": store.LiveScheduled, "to": store.LiveWaiting}))).Error
		}
		return res.Error
	})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return apierr.New(apierr.JoinCodeInvalid)
	}
	if err != nil {
		return apierr.Errorf("live: redeeming join code: %w", err)
	}
	if r := s.room(sess.ID); r != nil {
		r.mu.Lock()
		if r.sess.State == store.LiveScheduled {
			r.sess.State = store.LiveWaiting
		}
		r.mu.Unlock()
	}
	// No clinic id: the headset fetches its clinic's wording with this
	// token (GET /api/i18n/messages with Authorization: Bearer), so an
	// anonymous caller learns nothing about the tenant.
	return c.JSON(http.StatusOK, map[string]any{"session_id": sess.ID, "token": token, "ice_servers": s.opts.RTC.ClientICEServers()})
}

func (s *Service) timeline(c echo.Context) error {
	sess, err := s.loadSession(c)
	if err != nil {
		return err
	}
	if err := s.auditRead(c, sess.ID, "timeline"); err != nil {
		return err
	}
	var rows []store.TimelineEvent
	if err := s.opts.Store.DB.WithContext(c.Request().Context()).Where("session_id = ?", sess.ID).Order("id").Find(&rows).Error; err != nil {
		return apierr.Errorf("live: reading timeline: %w", err)
	}
	out := make([]map[string]any, len(rows))
	for i, r := range rows {
		out[i] = map[string]any{"id": r.ID, "at": r.At, "kind": r.Kind, "actor": r.Actor, "body": json.RawMessage(orEmpty(r.Body))}
		if r.Seq > 0 {
			out[i]["seq"] = r.Seq
		}
	}
	return c.JSON(http.StatusOK, out)
}

// eventLog serves the engine inputs recorded in the timeline, oldest first,
// one JSON event per line: the format `haven protocols simulate --events`
// reads. A composition session (no engine) has an empty log.
func (s *Service) eventLog(c echo.Context) error {
	sess, err := s.loadSession(c)
	if err != nil {
		return err
	}
	if err := s.auditRead(c, sess.ID, "events"); err != nil {
		return err
	}
	var bodies []string
	if err := s.opts.Store.DB.WithContext(c.Request().Context()).Model(&store.TimelineEvent{}).
		Where("session_id = ? AND kind = ?", sess.ID, inputKind).Order("id").Pluck("body", &bodies).Error; err != nil {
		return apierr.Errorf("live: reading the event log: %w", err)
	}
	var b strings.Builder
	for _, line := range bodies {
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return c.Blob(http.StatusOK, "application/x-ndjson; charset=utf-8", []byte(b.String()))
}

func orEmpty(s string) string {
	if s == "" {
		return "null"
	}
	return s
}

func (s *Service) endHandler(c echo.Context) error {
	sess, err := s.loadSession(c)
	if err != nil {
		return err
	}
	if sess.State == store.LiveEnded {
		return apierr.New(apierr.SessionState)
	}
	if r := s.room(sess.ID); r != nil {
		r.mu.Lock()
		r.svc.tl.add(event(r.id, "command", roleTherapist, map[string]any{"type": "rest.end"}), nil)
		r.end("therapist_end")
		sess.State = r.sess.State
		r.mu.Unlock()
	} else {
		now := time.Now().UTC()
		if err := s.opts.Store.DB.WithContext(c.Request().Context()).Model(&store.LiveSession{}).Where("id = ?", sess.ID).
			Updates(map[string]any{"state": store.LiveEnded, "state_reason": "therapist_end", "ended_at": now}).Error; err != nil {
			return apierr.Errorf("live: ending session: %w", err)
		}
		s.tl.add(event(sess.ID, "state", auth.From(c).User.ID, map[string]any{"from": sess.State, "to": store.LiveEnded, "reason": "therapist_end"}), nil)
		sess.State, sess.EndedAt = store.LiveEnded, &now
	}
	return c.JSON(http.StatusOK, view(sess))
}
