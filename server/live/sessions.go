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
	s.self = w.Echo
	th := []echo.MiddlewareFunc{s.opts.Auth.Require(web.Therapist)}
	add := func(method, path, summary string, h echo.HandlerFunc, body, resp string) {
		mw := th
		if roomRoutes[path] {
			mw = append(mw[:len(mw):len(mw)], s.toOwner)
		}
		w.Handle(web.Route{Method: method, Path: path, Summary: summary, Access: web.Therapist, Tag: "sessions",
			Handler: h, Middleware: mw, RequestBody: body, Response: resp})
	}
	add(http.MethodPost, "/api/sessions", "Schedule a live session for a patient (protocol id or one composition) at a time, or for now; "+
		"practice: true runs it with the clinic's training patient; an exposure session for a patient not screened needs screening_override.reason.", s.create,
		"{patient_id, protocol_id?, composition?{template, params, layers}, scheduled_for?, practice?, screening_override?{reason}}", "the session")
	add(http.MethodGet, "/api/sessions", "The clinic's sessions (newest first; ?patient_id= filters; ?upcoming=1: scheduled ones, soonest first).", s.list, "", "[session]")
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
		Access: web.Public, Tag: "sessions", Handler: s.join, RequestBody: "{code}", Response: "{session_id, token, ice_servers, practice, locale}"})
	s.registerWHIP(w, th)
	s.registerExport(w, th)
}

// roomRoutes act on a session's in-memory room: in a cluster, the node that
// owns the room serves them (toOwner forwards them there).
var roomRoutes = map[string]bool{"/api/sessions/:id": true, "/api/sessions/:id/end": true, "/api/sessions/:id/simulate": true}

// SessionView is the JSON shape of a session.
type SessionView struct {
	ID          string `json:"id"`
	PatientID   string `json:"patient_id"`
	TherapistID string `json:"therapist_id"`
	ProtocolID  string `json:"protocol_id,omitempty"`
	ProtocolRev int    `json:"protocol_revision,omitempty"`
	// CompositionID and CompositionRev name a stored composition's revision.
	CompositionID  string `json:"composition_id,omitempty"`
	CompositionRev int    `json:"composition_revision,omitempty"`
	Kind           string `json:"kind"`
	State          string `json:"state"`
	StateReason    string `json:"state_reason,omitempty"`
	Composition    any    `json:"composition,omitempty"`
	// ScheduledFor is the planned start; absent for a session started now.
	ScheduledFor *time.Time `json:"scheduled_for,omitempty"`
	// Practice: a training session with the clinic's training patient.
	Practice bool `json:"practice,omitempty"`
	// Simulated: a simulated headset (not a patient) joined.
	Simulated bool `json:"simulated,omitempty"`
	// Provenance is "simulated" for a practice session or one a simulated
	// headset joined: its data is never the patient's body.
	Provenance string `json:"provenance,omitempty"`
	// ScreeningOverride is the therapist's recorded reason for running an
	// exposure session without a screening.
	ScreeningOverride string     `json:"screening_override,omitempty"`
	CreatedAt         time.Time  `json:"created_at"`
	StartedAt         *time.Time `json:"started_at,omitempty"`
	EndedAt           *time.Time `json:"ended_at,omitempty"`
}

func view(s store.LiveSession) SessionView {
	v := SessionView{ID: s.ID, PatientID: s.PatientID, TherapistID: s.TherapistID, ProtocolID: s.ProtocolID,
		ProtocolRev: s.ProtocolRev, CompositionID: s.CompositionID, CompositionRev: s.CompositionRev, Kind: s.Kind,
		State: s.State, StateReason: s.StateReason, CreatedAt: s.CreatedAt, StartedAt: s.StartedAt, EndedAt: s.EndedAt,
		ScheduledFor: s.ScheduledFor, Practice: s.Practice, Simulated: s.Simulated, ScreeningOverride: s.ScreeningOverride}
	if s.Practice || s.Simulated {
		v.Provenance = "simulated"
	}
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
	ScheduledFor        *time.Time                `json:"scheduled_for"`
	Practice            bool                      `json:"practice"`
	ScreeningOverride   *struct {
		Reason string `json:"reason"`
	} `json:"screening_override"`
}

func (s *Service) create(c echo.Context) error {
	var in createInput
	if err := web.BindJSON(c, &in); err != nil {
		return err
	}
	p := auth.From(c)
	now := time.Now().UTC()
	sess := store.LiveSession{ID: store.NewID(), ClinicID: p.User.ClinicID, TherapistID: p.User.ID,
		State: store.LiveScheduled, CreatedAt: now, Practice: in.Practice}
	if err := checkSchedule(in.ScheduledFor, now); err != nil {
		return err
	}
	if in.ScheduledFor != nil {
		at := in.ScheduledFor.UTC()
		sess.ScheduledFor = &at
	}
	pat, err := s.sessionPatient(c.Request().Context(), p.User.ClinicID, in)
	if err != nil {
		return err
	}
	sess.PatientID, sess.Practice = pat.ID, pat.Training
	if err := s.plan(c.Request().Context(), &sess, in); err != nil {
		return err
	}
	if sess.Kind == protocols.KindExposure {
		pv, err := clinic.View(pat)
		if err != nil {
			return err
		}
		if err := screeningGate(pv, in, &sess); err != nil {
			return err
		}
	}
	db := s.opts.Store.DB.WithContext(c.Request().Context())
	err = db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&sess).Error; err != nil {
			return err
		}
		if err := tx.Create(ptr(event(sess.ID, "state", p.User.ID, stateEvent{To: store.LiveScheduled}))).Error; err != nil {
			return err
		}
		if sess.ScreeningOverride != "" {
			if err := tx.Create(ptr(event(sess.ID, "screening.override", p.User.ID, reasonEvent{Reason: sess.ScreeningOverride}))).Error; err != nil {
				return err
			}
			if err := store.Audit(c.Request().Context(), tx, store.AuditEvent{ClinicID: sess.ClinicID, ActorID: p.User.ID,
				Action: "session.screening_override", Target: "patient", TargetID: sess.PatientID, Detail: sess.ScreeningOverride}); err != nil {
				return err
			}
		}
		return store.Audit(c.Request().Context(), tx, store.AuditEvent{ClinicID: sess.ClinicID, ActorID: p.User.ID,
			Action: "session.create", Target: "session", TargetID: sess.ID})
	})
	if err != nil {
		return apierr.Errorf("live: creating session: %w", err)
	}
	s.notifyState(sess, "created")
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
	sess, err := store.InClinic[store.LiveSession](c.Request().Context(), s.opts.Store.DB, "session", auth.From(c).User.ClinicID, c.Param("id"))
	if err != nil {
		return sess, err
	}
	return s.withRoomState(c.Request().Context(), sess)
}

// withRoomState overlays a live room's current state on a stored session.
func (s *Service) withRoomState(ctx context.Context, sess store.LiveSession) (store.LiveSession, error) {
	r := s.room(sess.ID)
	if r == nil {
		return sess, nil
	}
	live, err := askREST(ctx, r, newQuery[store.LiveSession](stateQ{}))
	if err != nil {
		return sess, err
	}
	sess.State, sess.StateReason, sess.StartedAt, sess.EndedAt = live.State, live.StateReason, live.StartedAt, live.EndedAt
	return sess, nil
}

func (s *Service) list(c echo.Context) error {
	q := s.opts.Store.DB.WithContext(c.Request().Context()).Where("clinic_id = ?", auth.From(c).User.ClinicID)
	if pid := c.QueryParam("patient_id"); pid != "" {
		q = q.Where("patient_id = ?", pid)
	}
	order := "created_at DESC"
	switch c.QueryParam("upcoming") {
	case "":
	case "1", "true":
		// Upcoming: planned for a time and not yet begun, soonest first
		// (a session planned for now is on the list from its creation).
		q = q.Where("state IN ? AND scheduled_for IS NOT NULL", []string{store.LiveScheduled, store.LiveWaiting})
		order = "scheduled_for, created_at"
	default:
		return apierr.Invalid("upcoming", "1 or true")
	}
	var rows []store.LiveSession
	if err := q.Order(order).Limit(500).Find(&rows).Error; err != nil {
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
			res.Error = tx.Create(ptr(event(sess.ID, "state", "patient", stateEvent{From: store.LiveScheduled, To: store.LiveWaiting}))).Error
		}
		return res.Error
	})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return apierr.New(apierr.JoinCodeInvalid)
	}
	if err != nil {
		return apierr.Errorf("live: redeeming join code: %w", err)
	}
	if sess.State == store.LiveScheduled {
		sess.State = store.LiveWaiting
		s.notifyState(sess, "state")
	}
	if err := s.roomWaiting(c.Request().Context(), sess.ID); err != nil {
		return err
	}
	// No clinic id: the headset fetches its clinic's wording with this
	// token (GET /api/i18n/messages with Authorization: Bearer), so an
	// anonymous caller learns nothing about the tenant. practice tells the
	// headset it may run its labelled simulated sensor (a practice session
	// the therapist chose); otherwise it never does. locale is the patient
	// record's language ("" when none is set), which the headset applies
	// unless the patient picks another on the headset.
	pat, err := store.InClinic[store.Patient](c.Request().Context(), s.opts.Store.DB.Select("locale"), "the patient's language", sess.ClinicID, sess.PatientID)
	if err != nil && apierr.From(err).Code != apierr.NotFound {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"session_id": sess.ID, "token": token, "ice_servers": s.opts.RTC.ClientICEServers(),
		"practice": sess.Practice, "locale": pat.Locale})
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
		if sess.State, err = askREST(c.Request().Context(), r, newQuery[string](endQ{reason: "therapist_end", command: true})); err != nil {
			return err
		}
	} else {
		now := time.Now().UTC()
		if err := s.opts.Store.DB.WithContext(c.Request().Context()).Model(&store.LiveSession{}).Where("id = ?", sess.ID).
			Updates(map[string]any{"state": store.LiveEnded, "state_reason": "therapist_end", "ended_at": now}).Error; err != nil {
			return apierr.Errorf("live: ending session: %w", err)
		}
		s.tl.add(event(sess.ID, "state", auth.From(c).User.ID, stateEvent{From: sess.State, To: store.LiveEnded, Reason: "therapist_end"}), nil)
		sess.State, sess.EndedAt = store.LiveEnded, &now
		ended := sess
		ended.StateReason = "therapist_end"
		s.notifyState(ended, "state")
	}
	return c.JSON(http.StatusOK, view(sess))
}

// maxScheduleAhead bounds how far ahead a session may be planned, and
// scheduleSlack how far in the past a time may lie (a form filled in a
// minute ago is still "now").
const (
	maxScheduleAhead = 366 * 24 * time.Hour
	scheduleSlack    = 5 * time.Minute
)

func checkSchedule(at *time.Time, now time.Time) error {
	if at == nil {
		return nil
	}
	if at.Before(now.Add(-scheduleSlack)) {
		return apierr.Invalid("scheduled_for", "must not be in the past")
	}
	if at.After(now.Add(maxScheduleAhead)) {
		return apierr.Invalid("scheduled_for", "at most a year ahead")
	}
	return nil
}

// sessionPatient is the patient a new session runs for: the clinic's
// training patient for a practice session (never a real record), else the
// named patient.
func (s *Service) sessionPatient(ctx context.Context, clinicID string, in createInput) (store.Patient, error) {
	if in.Practice {
		if in.PatientID != "" {
			return store.Patient{}, apierr.Invalid("patient_id", "a practice session runs with the training patient: leave it out")
		}
		return s.opts.Clinic.TrainingPatient(ctx, clinicID)
	}
	return s.opts.Clinic.Load(ctx, clinicID, in.PatientID)
}

// screeningGate applies CLINICAL.md §5 to an exposure session: a flagged
// item blocks it until a therapist acknowledges it; a patient nobody has
// screened is refused (screening_required) unless the therapist records a
// reason for going ahead, which the session keeps.
func screeningGate(pv clinic.PatientView, in createInput, sess *store.LiveSession) error {
	switch pv.ScreeningState {
	case clinic.ScreeningFlagged:
		return apierr.Invalid("patient_id", "screening items are flagged and not acknowledged")
	case clinic.NotScreened:
		if in.ScreeningOverride == nil {
			return apierr.New(apierr.ScreeningRequired)
		}
		reason := strings.TrimSpace(in.ScreeningOverride.Reason)
		if n := len([]rune(reason)); n < 3 || n > 2000 || strings.ContainsRune(reason, 0) {
			return apierr.Invalid("screening_override.reason", "3 to 2000 characters")
		}
		sess.ScreeningOverride = reason
	}
	return nil
}
