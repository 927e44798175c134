package groups

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/pion/webrtc/v4"
	"gorm.io/gorm"

	"github.com/havenvr/haven/i18n"
	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/auth"
	"github.com/havenvr/haven/server/ratelimit"
	"github.com/havenvr/haven/server/rtc"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/web"
)

// maxOffer bounds an SDP offer.
const maxOffer = 64 << 10

// RoomState is what a would-be member may see of a room before joining.
type RoomState string

// Room states.
const (
	StateOpen    RoomState = "open"
	StateClosed  RoomState = "closed" // outside its schedule
	StateLocked  RoomState = "locked"
	StateEnded   RoomState = "ended"
	StateWaiting RoomState = "waiting_moderator"
)

func (s *Service) stateOf(row store.GroupRoom) RoomState {
	now := s.now()
	switch {
	case row.EndedAt != nil:
		return StateEnded
	case !withinSchedule(row, now):
		return StateClosed
	case row.Locked:
		return StateLocked
	}
	if row.RequireModerator {
		if r := s.loaded(row.ID); r == nil || func() bool { r.mu.Lock(); defer r.mu.Unlock(); return r.moderatorsLocked() == 0 }() {
			return StateWaiting
		}
	}
	return StateOpen
}

// byCodeAtOwner finds the room a code names. In a cluster, a request for a
// room another node serves is forwarded there (row nil, the owner has
// answered) and spends its join-guessing token there; every other request
// spends one here, a code that names no room included.
func (s *Service) byCodeAtOwner(c echo.Context, code string) (*store.GroupRoom, error) {
	row, err := s.byCode(c.Request().Context(), code)
	if err == nil {
		if forwarded, ferr := s.router().ToOwner(c, groupKey(row.ID)); forwarded || ferr != nil {
			return nil, ferr
		}
	}
	if lerr := s.limitJoin(c); lerr != nil {
		return nil, lerr
	}
	if err != nil {
		return nil, err
	}
	return &row, nil
}

func (s *Service) byCode(ctx context.Context, code string) (store.GroupRoom, error) {
	var row store.GroupRoom
	code = strings.ToUpper(strings.TrimSpace(code))
	if len(code) < 4 || len(code) > 16 {
		return row, apierr.New(apierr.JoinCodeInvalid)
	}
	err := s.store.DB.WithContext(ctx).Take(&row, "code = ?", code).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return row, apierr.New(apierr.JoinCodeInvalid)
	}
	if err != nil {
		return row, apierr.Errorf("groups: loading room by code: %w", err)
	}
	return row, nil
}

// lookup shows a room's face before joining: topic, rules, state and
// opening times. It names no clinic: the member page loads the clinic's own
// wording of the group.* texts by room code (/api/i18n/messages?room=), so
// nothing an anonymous visitor sees identifies the tenant.
func (s *Service) lookup(c echo.Context) error {
	row, err := s.byCodeAtOwner(c, c.Param("code"))
	if err != nil || row == nil {
		return err
	}
	loc := s.requestLocalizer(c, *row)
	return c.JSON(http.StatusOK, map[string]any{
		"topic": row.Topic, "locale": row.Locale, "dir": i18n.Dir(row.Locale), "state": s.stateOf(*row),
		"rules": rulesText(loc, *row), "opens_at": row.OpensAt, "closes_at": row.ClosesAt, "suggested_pseudonym": NewPseudonym(),
		"space": row.Space,
	})
}

func rulesText(loc *i18n.Localizer, row store.GroupRoom) string {
	if row.Rules != "" {
		return row.Rules
	}
	return loc.T("group.rules.default", nil)
}

func (s *Service) requestLocalizer(c echo.Context, row store.GroupRoom) *i18n.Localizer {
	return s.opts.Bundle.Localizer(row.ClinicID, c.QueryParam("lang"), c.Request().Header.Get("Accept-Language"), row.Locale)
}

// limitJoin rate-limits join attempts per requester. The address is only
// hashed into an in-memory bucket key: it is never stored or logged.
func (s *Service) limitJoin(c echo.Context) error {
	sum := sha256.Sum256([]byte(ratelimit.AddressKey(c.RealIP())))
	s.mu.Lock()
	lim := s.joinLimit
	s.mu.Unlock()
	if ok, wait := lim.Allow(hex.EncodeToString(sum[:8]), s.now()); !ok {
		return apierr.Limited(wait)
	}
	return nil
}

// limitSignal bounds WebRTC offers per credential and room: each costs a
// PeerConnection, ICE gathering and DTLS. The key is the member (or the
// moderator's account), never the address.
func (s *Service) limitSignal(key string) error {
	s.mu.Lock()
	lim := s.sigLimit
	s.mu.Unlock()
	if ok, wait := lim.Allow(key, s.now()); !ok {
		return apierr.Limited(wait)
	}
	return nil
}

type joinRequest struct {
	Code        string `json:"code"`
	AcceptRules bool   `json:"accept_rules"`
	Pseudonym   string `json:"pseudonym"`
	Token       string `json:"token"`
	Locale      string `json:"locale"`
}

// JoinResponse is what a member receives on joining: keep the token to
// reconnect; it is shown once and stored only hashed.
type JoinResponse struct {
	RoomID    string `json:"room_id"`
	MemberID  string `json:"member_id"`
	Token     string `json:"token,omitempty"`
	Pseudonym string `json:"pseudonym"`
	Admitted  bool   `json:"admitted"`
	Rules     string `json:"rules"`
	Topic     string `json:"topic"`
	// Space is the calming scene of a room that opens as a circle ("" for
	// a text room): the member's page then offers voice in its peer.
	Space string `json:"space"`
}

// join admits an anonymous member: no name, e-mail, IP or user agent is
// read into the record, only a random token's hash and a pseudonym.
func (s *Service) join(c echo.Context) error {
	// The body is kept: a join is served where the room is (it may take a
	// seat there), and the owner reads the body again.
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return apierr.Wrap(apierr.InvalidJSON, err)
	}
	c.Request().Body = io.NopCloser(bytes.NewReader(body))
	var req joinRequest
	if err := web.BindJSON(c, &req); err != nil {
		if lerr := s.limitJoin(c); lerr != nil {
			return lerr
		}
		return err
	}
	ctx := c.Request().Context()
	c.Request().Body = io.NopCloser(bytes.NewReader(body))
	found, err := s.byCodeAtOwner(c, req.Code)
	if err != nil || found == nil {
		return err
	}
	row := *found
	if req.Token != "" {
		return s.rejoin(c, row, req.Token)
	}
	if !req.AcceptRules {
		return apierr.Invalid("accept_rules", "the rules must be accepted")
	}
	switch s.stateOf(row) {
	case StateEnded, StateClosed, StateLocked:
		return apierr.New(apierr.SessionState).With("State", string(s.stateOf(row)))
	}
	name := NewPseudonym()
	if req.Pseudonym != "" {
		var ok bool
		staff, err := s.staffNames(ctx, row.ClinicID)
		if err != nil {
			return err
		}
		if name, ok = ValidPseudonym(req.Pseudonym, staff...); !ok {
			loc := s.requestLocalizer(c, row)
			return apierr.InvalidLocalized("pseudonym", loc.T("group.error.pseudonym_rule", nil)).
				With("Field", loc.T("group.page.pseudonym_label", nil))
		}
	}
	token := store.RandomToken(32)
	now := s.now().UTC()
	m := store.GroupMember{ID: store.NewID(), RoomID: row.ID, TokenHash: store.HashToken(token), Pseudonym: name,
		RulesAcceptedAt: now, CreatedAt: now}
	if !row.Lobby {
		m.AdmittedAt = &now
	}
	if err := s.createMember(ctx, row, &m, req.Pseudonym != ""); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, JoinResponse{RoomID: row.ID, MemberID: m.ID, Token: token, Pseudonym: m.Pseudonym,
		Admitted: m.AdmittedAt != nil, Rules: rulesText(s.requestLocalizer(c, row), row), Topic: row.Topic, Space: row.Space})
}

// createMember stores a new member: one admitted at once takes a seat
// first (a full room refuses it), one for the lobby needs room in the lobby.
func (s *Service) createMember(ctx context.Context, row store.GroupRoom, m *store.GroupMember, chosenName bool) error {
	if m.AdmittedAt == nil {
		if err := s.lobbyHasRoom(ctx, row.ID); err != nil {
			return err
		}
		return s.insertMember(ctx, m, chosenName)
	}
	undo, err := s.seat(ctx, row.ID, m.ID)
	if err != nil {
		return err
	}
	if err := s.insertMember(ctx, m, chosenName); err != nil {
		undo()
		return err
	}
	return nil
}

func (s *Service) insertMember(ctx context.Context, m *store.GroupMember, chosenName bool) error {
	if err := s.store.DB.WithContext(ctx).Create(m).Error; err != nil {
		if chosenName {
			return apierr.New(apierr.Conflict)
		}
		// A generated name collided inside the room: one retry with a fresh one.
		m.Pseudonym = NewPseudonym()
		if err := s.store.DB.WithContext(ctx).Create(m).Error; err != nil {
			return apierr.Errorf("groups: creating member: %w", err)
		}
	}
	return nil
}

// staffNames are the display names of the clinic's active staff, which no
// member may take (or imitate) as a pseudonym.
func (s *Service) staffNames(ctx context.Context, clinicID string) ([]string, error) {
	var names []string
	err := s.store.DB.WithContext(ctx).Model(&store.User{}).Where("clinic_id = ? AND disabled_at IS NULL AND name <> ''", clinicID).
		Pluck("name", &names).Error
	if err != nil {
		return nil, apierr.Errorf("groups: loading staff names: %w", err)
	}
	return names, nil
}

// rejoin checks a returning member's token. A banned, unknown or other-room
// token gets the same answer, which tells an attacker nothing.
func (s *Service) rejoin(c echo.Context, row store.GroupRoom, token string) error {
	m, err := s.memberByToken(c.Request().Context(), row.ID, token)
	if err != nil {
		return err
	}
	if st := s.stateOf(row); st == StateEnded || st == StateClosed {
		return apierr.New(apierr.SessionState).With("State", string(st))
	}
	// A member still seated always gets back in; one whose seat lapsed
	// while away needs a free one, like anyone joining.
	if err := s.seatIfAdmitted(c.Request().Context(), m); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, JoinResponse{RoomID: row.ID, MemberID: m.ID, Pseudonym: m.Pseudonym,
		Admitted: m.AdmittedAt != nil && m.RemovedAt == nil, Rules: rulesText(s.requestLocalizer(c, row), row), Topic: row.Topic, Space: row.Space})
}

func (s *Service) memberByToken(ctx context.Context, roomID, token string) (store.GroupMember, error) {
	var m store.GroupMember
	if token == "" || len(token) > 128 {
		return m, apierr.New(apierr.Unauthorized)
	}
	err := s.store.DB.WithContext(ctx).Take(&m, "token_hash = ? AND room_id = ?", store.HashToken(token), roomID).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && m.BannedAt != nil) {
		return m, apierr.New(apierr.Unauthorized)
	}
	if err != nil {
		return m, apierr.Errorf("groups: loading member: %w", err)
	}
	return m, nil
}

// regionOf accepts an ISO 3166-1 alpha-2 code (the region subtag of the
// member's browser language, e.g. "BR" of pt-BR) and nothing else.
func regionOf(s string) string {
	if len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' {
		return s
	}
	return ""
}

func bearer(c echo.Context) string {
	h := c.Request().Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// memberPeer answers a member's WebRTC offer (WHIP-style, non-trickle).
func (s *Service) memberPeer(c echo.Context) error {
	ctx := c.Request().Context()
	m, err := s.memberByToken(ctx, c.Param("id"), bearer(c))
	if err != nil {
		return err
	}
	if err := s.limitSignal("member:" + m.ID); err != nil {
		return err
	}
	r, err := s.live(ctx, m.RoomID)
	if err != nil {
		return err
	}
	r.mu.Lock()
	ended, busy := r.ended || r.row.EndedAt != nil, r.conns[m.ID] != nil
	r.mu.Unlock()
	if ended {
		return apierr.New(apierr.SessionState).With("State", string(StateEnded))
	}
	if busy {
		// The token is already connected: a second holder is refused rather
		// than allowed to push the first one out.
		return apierr.New(apierr.Conflict)
	}
	if err := s.seatIfAdmitted(ctx, m); err != nil {
		return err
	}
	locale := c.QueryParam("lang")
	if locale == "" {
		locale = r.row.Locale
	}
	cn := &conn{key: m.ID, memberID: m.ID, pseudonym: m.Pseudonym, role: RoleMember, since: m.CreatedAt, region: regionOf(c.QueryParam("region")),
		loc:      s.opts.Bundle.Localizer(r.row.ClinicID, locale, c.Request().Header.Get("Accept-Language"), r.row.Locale),
		admitted: m.AdmittedAt != nil && m.RemovedAt == nil}
	if m.MutedUntil != nil && m.MutedUntil.After(s.now()) {
		cn.mutedUntil = *m.MutedUntil // the rest of a timed mute; one that ended is history
	}
	return s.answer(c, r, cn)
}

// moderatorPeer answers a moderator's offer: signed in by session cookie
// (and CSRF token), of the room's clinic.
func (s *Service) moderatorPeer(c echo.Context) error {
	p := auth.From(c)
	row, err := s.roomOf(c)
	if err != nil {
		return err
	}
	if row.EndedAt != nil {
		return apierr.New(apierr.SessionState).With("State", string(StateEnded))
	}
	if err := s.limitSignal("mod:" + p.User.ID + ":" + row.ID); err != nil {
		return err
	}
	r, err := s.live(c.Request().Context(), row.ID)
	if err != nil {
		return err
	}
	name := StaffDisplayName(p.User.Name, r.loc.T("group.role.moderator", nil))
	cn := &conn{key: "mod:" + store.RandomToken(8), userID: p.User.ID, pseudonym: name, role: RoleModerator, since: time.Time{},
		loc: s.opts.Bundle.Localizer(row.ClinicID, p.User.Locale, c.Request().Header.Get("Accept-Language"), row.Locale), admitted: true}
	return s.answer(c, r, cn)
}

// answer negotiates the peer and wires its chat channel to the room.
func (s *Service) answer(c echo.Context, r *room, cn *conn) error {
	if s.opts.Engine == nil {
		return apierr.New(apierr.Unavailable)
	}
	offer, err := web.ReadSDP(c, maxOffer)
	if err != nil {
		return err
	}
	var m rtc.Media
	r.mu.Lock()
	if r.circleLocked() {
		m = r.mediaFor(cn) // a circle carries voice; a text room's peer stays data-only
	}
	r.mu.Unlock()
	pc, answer, err := s.opts.Engine.AnswerMedia(c.Request().Context(), string(offer), func(dc *webrtc.DataChannel) {
		if dc.Label() != "chat" {
			_ = dc.Close()
			return
		}
		s.wireChannel(r, cn, dc)
	}, m)
	switch {
	case errors.Is(err, rtc.ErrNoDataChannel):
		return apierr.New(apierr.NoDataChannel)
	case errors.Is(err, rtc.ErrBadSDP):
		return apierr.New(apierr.SDPInvalid)
	case err != nil:
		return apierr.Errorf("groups: answering offer: %w", err)
	}
	r.mu.Lock()
	cn.pc = pc
	gone := cn.gone
	r.mu.Unlock()
	if gone {
		_ = pc.Close()
		return apierr.New(apierr.SessionState)
	}
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		if st == webrtc.PeerConnectionStateFailed || st == webrtc.PeerConnectionStateClosed {
			r.mu.Lock()
			opened := cn.out != nil
			r.mu.Unlock()
			if opened {
				r.detach(cn)
			} else {
				_ = pc.Close()
			}
		}
	})
	// A peer that never opens its chat channel is closed.
	time.AfterFunc(15*time.Second, func() {
		r.mu.Lock()
		opened := cn.out != nil
		r.mu.Unlock()
		if !opened {
			_ = pc.Close()
		}
	})
	return c.Blob(http.StatusCreated, "application/sdp", []byte(answer))
}

func (s *Service) wireChannel(r *room, cn *conn, dc *webrtc.DataChannel) {
	dc.OnOpen(func() {
		r.mu.Lock()
		if cn.out != nil {
			r.mu.Unlock()
			_ = dc.Close() // one chat channel per peer
			return
		}
		cn.dc = dc
		cn.out = rtc.NewBatchingOutbox(dc, s.limits().OutboxCapacity, 16<<10)
		r.mu.Unlock()
		r.attach(cn)
	})
	dc.OnMessage(func(msg webrtc.DataChannelMessage) {
		r.mu.Lock()
		ok := cn.dc == dc && !cn.gone
		r.mu.Unlock()
		if ok {
			r.handle(context.Background(), cn, msg.Data)
		}
	})
	dc.OnClose(func() {
		r.mu.Lock()
		ok := cn.dc == dc
		r.mu.Unlock()
		if ok {
			r.detach(cn)
		}
	})
}
