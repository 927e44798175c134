package live

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/pion/webrtc/v4"
	"gorm.io/gorm"

	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/auth"
	"github.com/havenvr/haven/server/rtc"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/web"
)

// maxOfferBytes bounds an SDP offer (a data-channel-only offer is ~1 KB).
const maxOfferBytes = 32 << 10

func (s *Service) registerWHIP(w *web.Server, th []echo.MiddlewareFunc) {
	pat := func(method, path, summary string, h echo.HandlerFunc) {
		w.Handle(web.Route{Method: method, Path: path, Summary: summary, Access: web.Patient, Tag: "signalling", Handler: h,
			Middleware: []echo.MiddlewareFunc{s.toOwner}, RequestBody: "application/sdp offer", Response: "application/sdp answer"})
	}
	pat(http.MethodPost, "/api/sessions/:id/whip", "Patient WHIP: POST an SDP offer, get the answer (201, Location).", s.patientOffer)
	pat(http.MethodPatch, "/api/sessions/:id/whip/:peer", "Patient ICE restart: PATCH a new offer.", s.patientRestart)
	pat(http.MethodDelete, "/api/sessions/:id/whip/:peer", "Patient leaves.", s.patientLeave)
	con := func(method, path, summary string, h echo.HandlerFunc) {
		w.Handle(web.Route{Method: method, Path: path, Summary: summary, Access: web.Therapist, Tag: "signalling", Handler: h,
			Middleware: append(th[:len(th):len(th)], s.toOwner), RequestBody: "application/sdp offer", Response: "application/sdp answer"})
	}
	con(http.MethodPost, "/api/sessions/:id/console/whip", "Console WHIP (?role=observer: read-only).", s.consoleOffer)
	con(http.MethodPatch, "/api/sessions/:id/console/whip/:peer", "Console ICE restart.", s.consoleRestart)
	con(http.MethodDelete, "/api/sessions/:id/console/whip/:peer", "Console leaves.", s.consoleLeave)
}

// patientSession authenticates the patient's bearer token for the session.
func (s *Service) patientSession(c echo.Context) (store.LiveSession, error) {
	var sess store.LiveSession
	tok, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return sess, apierr.New(apierr.Unauthorized)
	}
	err := s.opts.Store.DB.WithContext(c.Request().Context()).
		Where("id = ? AND token_hash = ?", c.Param("id"), store.HashToken(tok)).Take(&sess).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return sess, apierr.New(apierr.Unauthorized)
	}
	if err != nil {
		return sess, apierr.Errorf("live: loading session: %w", err)
	}
	if sess.State == store.LiveEnded {
		return sess, apierr.New(apierr.SessionState)
	}
	return sess, nil
}

// readOffer reads and checks an offer from a peer of role.
func readOffer(c echo.Context, role string) (string, error) {
	body, err := web.ReadSDP(c, maxOfferBytes)
	if err != nil {
		return "", err
	}
	offer := string(body)
	switch err := rtc.ValidateOffer(offer); {
	case errors.Is(err, rtc.ErrNoDataChannel):
		return "", apierr.Wrap(apierr.NoDataChannel, err)
	case err != nil:
		return "", apierr.Wrap(apierr.SDPInvalid, err)
	}
	return offer, mediaAllowed(role, offer)
}

func (s *Service) patientOffer(c echo.Context) error {
	sess, err := s.patientSession(c)
	if err != nil {
		return err
	}
	if err := s.limitSignal(patientSignalKey(sess.ID)); err != nil {
		return err
	}
	offer, err := readOffer(c, rolePatient)
	if err != nil {
		return err
	}
	r, err := s.loadRoom(c.Request().Context(), sess)
	if err != nil {
		return err
	}
	seen, err := askREST(c.Request().Context(), r, newQuery[patientSeen](patientQ{linkLoss: s.opts.LinkLoss}))
	if err != nil {
		return err
	}
	if seen.talking {
		// A second headset while the first is alive and talking.
		return apierr.New(apierr.SessionFull)
	}
	return s.answer(c, r, rolePatient, "", offer, "/api/sessions/"+sess.ID+"/whip/")
}

func (s *Service) consoleOffer(c echo.Context) error {
	sess, err := s.loadSession(c)
	if err != nil {
		return err
	}
	if err := s.limitSignal(consoleSignalKey(auth.From(c).User.ID, sess.ID)); err != nil {
		return err
	}
	if sess.State == store.LiveEnded {
		return apierr.New(apierr.SessionState)
	}
	role := roleTherapist
	if c.QueryParam("role") == roleObserver {
		role = roleObserver
	}
	offer, err := readOffer(c, role)
	if err != nil {
		return err
	}
	r, err := s.loadRoom(c.Request().Context(), sess)
	if err != nil {
		return err
	}
	return s.answer(c, r, role, auth.From(c).User.ID, offer, "/api/sessions/"+sess.ID+"/console/whip/")
}

// answer creates the server peer for an offer and returns the answer SDP.
func (s *Service) answer(c echo.Context, r *room, role, userID, offer, base string) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 10*time.Second)
	defer cancel()
	p := newPeer(r, role, userID)
	v, err := r.newPeerVoice(role)
	if err != nil {
		return apierr.Wrap(apierr.Internal, err)
	}
	p.voice = v
	pc, answer, err := s.opts.RTC.AnswerMedia(ctx, offer, p.attach, v.media())
	if err != nil {
		v.stop()
		return whipError(err)
	}
	p.pc = pc
	if _, err := askREST(ctx, r, newQuery[struct{}](registerQ{p})); err != nil {
		p.close()
		return err
	}
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) { r.connState(p, st) })
	c.Response().Header().Set("Location", base+p.id)
	return c.Blob(http.StatusCreated, "application/sdp", []byte(answer))
}

func whipError(err error) error {
	switch {
	case errors.Is(err, rtc.ErrNoDataChannel):
		return apierr.Wrap(apierr.NoDataChannel, err)
	case errors.Is(err, rtc.ErrBadSDP):
		return apierr.Wrap(apierr.SDPInvalid, err)
	}
	return apierr.Wrap(apierr.Unavailable, err)
}

// connState reacts to pion's view of the link: disconnected pauses at once
// (DESIGN.md §3), failed or closed removes the peer.
func (r *room) connState(p *peer, st webrtc.PeerConnectionState) {
	switch st {
	case webrtc.PeerConnectionStateDisconnected:
		r.submit(linkDownIn{p, "ice_disconnected"})
	case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
		// Not inline: closing waits for pion's goroutines, this callback among them.
		go p.leave("ice_" + st.String())
	}
}

// lookup finds a peer of the room by id.
func (r *room) lookup(c echo.Context) (*peer, error) {
	return askREST(c.Request().Context(), r, newQuery[*peer](lookupQ{c.Param("peer")}))
}

func (s *Service) restart(c echo.Context, r *room, wantRole string) error {
	p, err := r.lookup(c)
	if err != nil {
		return err
	}
	if p == nil || markRole(p.role) != wantRole {
		return apierr.New(apierr.NotFound)
	}
	offer, err := readOffer(c, p.role)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 10*time.Second)
	defer cancel()
	answer, err := s.opts.RTC.Restart(ctx, p.pc, offer, p.voice.prepare)
	if err != nil {
		return whipError(err)
	}
	return c.Blob(http.StatusOK, "application/sdp", []byte(answer))
}

func (s *Service) leaveHandler(c echo.Context, r *room, wantRole string) error {
	p, err := r.lookup(c)
	if err != nil {
		return err
	}
	if p == nil || markRole(p.role) != wantRole {
		return apierr.New(apierr.NotFound)
	}
	p.leave("left")
	return c.NoContent(http.StatusNoContent)
}

func (s *Service) patientRoom(c echo.Context) (*room, error) {
	sess, err := s.patientSession(c)
	if err != nil {
		return nil, err
	}
	if r := s.room(sess.ID); r != nil {
		return r, nil
	}
	return nil, apierr.New(apierr.NotFound)
}

func (s *Service) consoleRoom(c echo.Context) (*room, error) {
	sess, err := s.loadSession(c)
	if err != nil {
		return nil, err
	}
	if r := s.room(sess.ID); r != nil {
		return r, nil
	}
	return nil, apierr.New(apierr.NotFound)
}

func (s *Service) patientRestart(c echo.Context) error {
	r, err := s.patientRoom(c)
	if err != nil {
		return err
	}
	if err := s.limitSignal(patientSignalKey(r.id)); err != nil {
		return err
	}
	return s.restart(c, r, rolePatient)
}

func (s *Service) patientLeave(c echo.Context) error {
	r, err := s.patientRoom(c)
	if err != nil {
		return err
	}
	return s.leaveHandler(c, r, rolePatient)
}

func (s *Service) consoleRestart(c echo.Context) error {
	r, err := s.consoleRoom(c)
	if err != nil {
		return err
	}
	if err := s.limitSignal(consoleSignalKey(auth.From(c).User.ID, r.id)); err != nil {
		return err
	}
	return s.restart(c, r, roleTherapist)
}

func (s *Service) consoleLeave(c echo.Context) error {
	r, err := s.consoleRoom(c)
	if err != nil {
		return err
	}
	return s.leaveHandler(c, r, roleTherapist)
}
