package live

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/store"
)

// simulate attaches a simulated patient to a session so a trainee can run it
// from the console (medical training). The simulated headset joins through
// the same signalling as a real one and leaves when the session ends.
func (s *Service) simulate(c echo.Context) error {
	sess, err := s.loadSession(c)
	if err != nil {
		return err
	}
	if sess.State == store.LiveEnded {
		return apierr.New(apierr.SessionState)
	}
	if r := s.room(sess.ID); r != nil {
		r.mu.Lock()
		busy := r.patient != nil
		r.mu.Unlock()
		if busy {
			return apierr.New(apierr.SessionFull)
		}
	}
	token, err := s.PatientToken(c.Request().Context(), sess.ID, true)
	if err != nil {
		return err
	}
	base := c.Scheme() + "://" + c.Request().Host
	// The server dials itself; with a self-signed certificate that is the
	// one case where skipping verification is right (loopback only).
	hc := &http.Client{Timeout: 10 * time.Second}
	if host, _, _ := net.SplitHostPort(c.Request().Host); c.Scheme() == "https" && isLoopback(host) {
		hc.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // own loopback listener
	}
	pat := simpeer.NewPatient(simpeer.PatientOptions{BaseURL: base, SessionID: sess.ID, Token: token, HTTP: hc, Keep: 256,
		Seed: uint64(time.Now().UnixNano()), PacedAfter: 8 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := pat.Connect(ctx); err != nil {
		return apierr.Wrap(apierr.Unavailable, err)
	}
	pat.Start()
	if !s.background(func() { s.runSim(pat) }) {
		pat.Close()
		return apierr.New(apierr.Unavailable)
	}
	return c.JSON(http.StatusAccepted, view(sess))
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
	s.tl.add(event(sessionID, "patient.token", "server", map[string]any{"simulated": simulated}), nil)
	if r := s.room(sessionID); r != nil {
		r.mu.Lock()
		if r.sess.State == store.LiveScheduled {
			r.sess.State = store.LiveWaiting
		}
		r.mu.Unlock()
	}
	return token, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
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
