package live

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/auth"
	"github.com/havenvr/haven/server/rtc"
	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/store"
)

// simulate starts a practice run of a session with a simulated patient, so
// a trainee can run it from the console (medical training). The practice
// session is a copy of the session's plan for the clinic's training patient:
// nothing it records reaches the real patient's record, and the real
// session's join code and token stay as they were. The simulated headset
// joins in-process — the server never dials an address taken from the
// request (its Host or X-Forwarded-* headers) — through the same signalling
// as a real one, and leaves when the practice session ends.
func (s *Service) simulate(c echo.Context) error {
	sess, err := s.loadSession(c)
	if err != nil {
		return err
	}
	if sess.State == store.LiveEnded {
		return apierr.New(apierr.SessionState).With("State", sess.State)
	}
	ctx := c.Request().Context()
	practice := sess
	if !sess.Practice {
		if practice, err = s.practiceCopy(ctx, sess, auth.From(c).User.ID); err != nil {
			return err
		}
	} else if r := s.room(sess.ID); r != nil {
		seen, err := askREST(ctx, r, newQuery[patientSeen](patientQ{}))
		if err != nil {
			return err
		}
		if seen.connected {
			return apierr.New(apierr.SessionFull)
		}
	}
	if err := s.attachSimulated(ctx, practice.ID); err != nil {
		if practice.ID != sess.ID {
			s.abandonPractice(practice.ID)
		}
		return err
	}
	practice, err = s.sessionByID(ctx, practice.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, view(practice))
}

// practiceCopy schedules a practice session with sess's plan (the same
// protocol or composition revision) for the clinic's training patient.
func (s *Service) practiceCopy(ctx context.Context, sess store.LiveSession, therapistID string) (store.LiveSession, error) {
	trainee, err := s.opts.Clinic.TrainingPatient(ctx, sess.ClinicID)
	if err != nil {
		return store.LiveSession{}, err
	}
	p := store.LiveSession{ID: store.NewID(), ClinicID: sess.ClinicID, PatientID: trainee.ID, TherapistID: therapistID,
		ProtocolID: sess.ProtocolID, ProtocolHash: sess.ProtocolHash, ProtocolRev: sess.ProtocolRev, Protocol: sess.Protocol,
		Composition: sess.Composition, CompositionID: sess.CompositionID, CompositionRev: sess.CompositionRev,
		Kind: sess.Kind, State: store.LiveScheduled, Practice: true, CreatedAt: time.Now().UTC()}
	err = s.opts.Store.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&p).Error; err != nil {
			return err
		}
		if err := tx.Create(ptr(event(p.ID, "state", therapistID, stateEvent{To: store.LiveScheduled, PracticeOf: sess.ID}))).Error; err != nil {
			return err
		}
		return store.Audit(ctx, tx, store.AuditEvent{ClinicID: p.ClinicID, ActorID: therapistID,
			Action: "session.practice", Target: "session", TargetID: p.ID, Detail: sess.ID})
	})
	if err != nil {
		return p, apierr.Errorf("live: creating practice session: %w", err)
	}
	return p, nil
}

// abandonPractice ends a practice session whose simulated patient never
// connected, so it is not left waiting in the clinic's list.
func (s *Service) abandonPractice(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if r := s.room(id); r != nil {
		if _, err := ask(ctx, r, newQuery[string](endQ{reason: "simulation_failed"})); err != nil {
			s.log.Warn("ending a failed practice session", "session", id, "err", err)
		}
		return
	}
	now := time.Now().UTC()
	if err := s.opts.Store.DB.WithContext(ctx).Model(&store.LiveSession{}).Where("id = ? AND state <> ?", id, store.LiveEnded).
		Updates(map[string]any{"state": store.LiveEnded, "state_reason": "simulation_failed", "ended_at": now}).Error; err != nil {
		s.log.Warn("ending a failed practice session", "session", id, "err", err)
		return
	}
	s.tl.add(event(id, "state", "server", stateEvent{To: store.LiveEnded, Reason: "simulation_failed"}), nil)
}

func (s *Service) sessionByID(ctx context.Context, id string) (store.LiveSession, error) {
	var sess store.LiveSession
	if err := s.opts.Store.DB.WithContext(ctx).Where("id = ?", id).Take(&sess).Error; err != nil {
		return sess, apierr.Errorf("live: loading session %s: %w", id, err)
	}
	return s.withRoomState(ctx, sess)
}

// attachSimulated connects a simulated headset to a practice session
// through the server's own handler, in this process.
func (s *Service) attachSimulated(ctx context.Context, id string) error {
	if s.self == nil {
		return apierr.Wrap(apierr.Unavailable, errors.New("live: simulate: routes not registered"))
	}
	token, err := s.PatientToken(ctx, id, true)
	if err != nil {
		return err
	}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: inProcess{h: s.self}}
	pat := simpeer.NewPatient(simpeer.PatientOptions{BaseURL: "http://in-process", SessionID: id, Token: token, HTTP: hc, Keep: 256,
		Seed: uint64(time.Now().UnixNano()), PacedAfter: 8 * time.Second})
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := pat.Connect(cctx); err != nil {
		pat.Close()
		return apierr.Wrap(apierr.Unavailable, err)
	}
	pat.Start()
	if !s.background(func() { s.runSim(pat) }) {
		pat.Close()
		return apierr.New(apierr.Unavailable)
	}
	return nil
}

// inProcess is an http.RoundTripper that serves requests with the server's
// own handler: the simulated patient's signalling never leaves the process,
// and its context marks the peer as local (rtc.WithLocal) so the answer
// offers loopback candidates on any machine.
type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(rtc.WithLocal(req.Context()))
	r.RemoteAddr = "127.0.0.1:0"
	r.RequestURI = r.URL.RequestURI()
	if r.Body == nil {
		r.Body = http.NoBody
	}
	w := &responseBuffer{header: http.Header{}, code: http.StatusOK}
	t.h.ServeHTTP(w, r)
	return &http.Response{StatusCode: w.code, Status: http.StatusText(w.code), Header: w.header, Proto: "HTTP/1.1",
		ProtoMajor: 1, ProtoMinor: 1, Body: io.NopCloser(&w.body), ContentLength: int64(w.body.Len()), Request: req}, nil
}

// responseBuffer collects a handler's response for inProcess.
type responseBuffer struct {
	header http.Header
	body   bytes.Buffer
	code   int
	wrote  bool
}

func (w *responseBuffer) Header() http.Header { return w.header }

func (w *responseBuffer) WriteHeader(code int) {
	if !w.wrote {
		w.code, w.wrote = code, true
	}
}

func (w *responseBuffer) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

// PatientToken issues a patient bearer token for a session without a join
// code: simulated patients from the console and `haven bench live`, which
// connect hundreds of headsets from one address (the join route's per-address
// guess limit would rightly refuse them). It replaces any earlier token.
func (s *Service) PatientToken(ctx context.Context, sessionID string, simulated bool) (string, error) {
	token := store.RandomToken(32)
	db := s.opts.Store.DB.WithContext(ctx)
	upd := map[string]any{"token_hash": store.HashToken(token), "simulated": simulated, "join_used_at": time.Now().UTC()}
	res := db.Model(&store.LiveSession{}).Where("id = ? AND state <> ?", sessionID, store.LiveEnded).Updates(upd)
	if res.Error != nil {
		return "", apierr.Errorf("live: issuing patient token: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return "", apierr.New(apierr.NotFound)
	}
	if err := db.Model(&store.LiveSession{}).Where("id = ? AND state = ?", sessionID, store.LiveScheduled).
		Update("state", store.LiveWaiting).Error; err != nil {
		return "", apierr.Errorf("live: issuing patient token: %w", err)
	}
	s.tl.add(event(sessionID, "patient.token", "server", tokenEvent{Simulated: simulated}), nil)
	if err := s.roomWaiting(ctx, sessionID); err != nil {
		return "", err
	}
	return token, nil
}

// runSim keeps the simulated patient until its session ends or the server stops.
func (s *Service) runSim(p *simpeer.Patient) {
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.stop:
		case <-ctx.Done():
		}
		cancel()
	}()
	_, _ = p.Wait(ctx, simpeer.Type("session.end"))
}
