package groups

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/pion/webrtc/v4"

	"github.com/havenvr/haven/i18n"
	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/owner"
	"github.com/havenvr/haven/server/rtc"
	"github.com/havenvr/haven/server/store"
)

// Roles shown in the member list.
const (
	RoleMember    = "member"
	RoleModerator = "moderator"
)

// recentCap is how many recent messages a room keeps in memory (never on
// disk) so a member can report one and a moderator can delete one.
const recentCap = 500

// conn is one connected peer on a room's chat channel.
type conn struct {
	key       string // member id, or "mod:" + a random id
	memberID  string
	userID    string
	pseudonym string
	role      string
	region    string    // ISO 3166-1 alpha-2 from the member's language tag (pt-BR → BR), or ""
	since     time.Time // member's first join, for the new-member limits
	loc       *i18n.Localizer
	pc        *webrtc.PeerConnection
	dc        *webrtc.DataChannel
	out       *rtc.Outbox

	// guarded by room.mu
	admitted   bool
	mutedUntil time.Time
	lastSent   time.Time
	lastTyping time.Time
	gone       bool

	// circle state (circle.go), guarded by room.mu, never stored
	seated     bool      // has a seat (a circle, admitted)
	seat       int       // which: 0 is the moderator's
	avatar     Avatar    // the member's chosen figure
	pose       []float64 // latest quantized pose (quantizePose)
	poseDirty  bool      // pose changed since the last relay tick (full-rate listeners)
	poseSwept  bool      // pose relayed in the round-robin since it last changed (poserelay.go)
	poseEnc    []byte    // pose as a circle.poses entry, made at most once per change
	hand       bool      // hand raised (speaking order)
	handAt     time.Time // when it was raised, for the queue's order
	voiceMuted bool      // a moderator muted this member's voice
	voice      *speaker  // voice slots and microphone (voice.go); nil without voice
}

type chatRecord struct {
	ID, MemberID, Pseudonym, Role, Text string
	At                                  time.Time
}

// presence is one peer in the member list. Clients key it by ID, never by
// pseudonym: two peers may show the same name (a moderator's display name
// is not a pseudonym), and a list keyed by name would merge them.
type presence struct {
	ID        string `json:"id"`
	Pseudonym string `json:"pseudonym"`
	Role      string `json:"role"`
	// In a circle: the seat (0 is the moderator's), the figure, whether
	// the hand is raised and whether a moderator muted the voice.
	Seat       *int    `json:"seat,omitempty"`
	Avatar     *Avatar `json:"avatar,omitempty"`
	Hand       bool    `json:"hand,omitempty"`
	VoiceMuted bool    `json:"voice_muted,omitempty"`
}

// presenceOf is c as listed: a member by member id, staff by the
// connection's own random key.
func presenceOf(c *conn) presence {
	id := c.memberID
	if c.role == RoleModerator {
		id = c.key
	}
	p := presence{ID: id, Pseudonym: c.pseudonym, Role: c.role}
	if c.seated {
		seat, avatar := c.seat, c.avatar
		p.Seat, p.Avatar, p.Hand, p.VoiceMuted = &seat, &avatar, c.hand, c.voiceMuted
	}
	return p
}

// room is a room's live state: its peers, recent messages and settings.
type room struct {
	s   *Service
	loc *i18n.Localizer // the room's language, for notices to everyone

	mu      sync.Mutex
	row     store.GroupRoom
	conns   map[string]*conn
	holds   map[string]time.Time // member id → seat held until (seats.go)
	seq     uint64
	recent  []chatRecord
	joined  []presence
	left    []presence
	pending bool
	ended   bool

	// circle state (circle.go): never stored
	seatOf   map[string]int // connection key → last seat, to return to it after a dropped link
	relaying bool           // the pose relay is running
	lastPose time.Time
	sweptTo  int    // seat of the last member in the pose round-robin (poserelay.go)
	order    bool   // speaking order on: only the turn's holder (and moderators) are heard
	turn     string // member id holding the turn
	voice    *voice // voice forwarding (voice.go), made with the first voice peer

	muteLift *time.Timer // ends the next timed mute (timedmute.go)
}

// live returns the room's runtime, loading it on first use. In a cluster
// this node first claims the room: if another node owns it, the error is
// owner.ErrUnavailable (the client's retry is forwarded there).
func (s *Service) live(ctx context.Context, roomID string) (*room, error) {
	s.mu.Lock()
	r := s.rooms[roomID]
	s.mu.Unlock()
	if r != nil {
		return r, nil
	}
	var row store.GroupRoom
	if err := s.store.DB.WithContext(ctx).Take(&row, "id = ?", roomID).Error; err != nil {
		return nil, apierr.Errorf("groups: loading room: %w", err)
	}
	if err := s.router().Claim(ctx, groupKey(roomID), func() { s.evict(roomID) }); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r = s.rooms[roomID]; r == nil {
		r = &room{s: s, row: row, conns: map[string]*conn{}, holds: map[string]time.Time{}, seatOf: map[string]int{},
			loc: s.localizer(row.ClinicID, row.Locale)}
		s.rooms[roomID] = r
	}
	return r, nil
}

func groupKey(roomID string) string { return "group." + roomID }

// router routes the rooms to their owners (server/owner).
func (s *Service) router() owner.Router {
	return owner.Router{Owner: s.opts.Owner, Log: s.log, What: "room"}
}

// toOwner is the middleware of the routes that act on a room in memory.
func (s *Service) toOwner(next echo.HandlerFunc) echo.HandlerFunc {
	return s.router().Middleware(func(c echo.Context) string { return groupKey(c.Param("id")) })(next)
}

// evict stops serving a room whose lease this node lost: its peers are
// told and closed, and rejoin with the same link at the new owner, which
// loads the room from the store (support rooms keep nothing else).
func (s *Service) evict(roomID string) {
	s.mu.Lock()
	r := s.rooms[roomID]
	delete(s.rooms, roomID)
	s.mu.Unlock()
	if r != nil {
		s.log.Warn("groups: room handed to another node", slog.String("room_id", roomID))
		r.closeAll("group.notice.server_stopping")
	}
}

// Loaded reports whether this node holds the room in memory (serves it).
func (s *Service) Loaded(roomID string) bool { return s.loaded(roomID) != nil }

// loaded returns the runtime only if the room is live in memory.
func (s *Service) loaded(roomID string) *room {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rooms[roomID]
}

// openLocked reports whether members may chat: within schedule, not ended,
// and (if configured) with a moderator present.
func (r *room) openLocked(now time.Time) bool {
	if r.ended || r.row.EndedAt != nil {
		return false
	}
	if !withinSchedule(r.row, now) {
		return false
	}
	return !r.row.RequireModerator || r.moderatorsLocked() > 0
}

func withinSchedule(row store.GroupRoom, now time.Time) bool {
	if row.OpensAt != nil && now.Before(*row.OpensAt) {
		return false
	}
	return row.ClosesAt == nil || now.Before(*row.ClosesAt)
}

func (r *room) moderatorsLocked() int {
	n := 0
	for _, c := range r.conns {
		if c.role == RoleModerator {
			n++
		}
	}
	return n
}

// sendLocked queues frame for c; a peer whose queue is full is too slow and
// is dropped (told why) so that it never delays anyone else.
func (r *room) sendLocked(c *conn, frame []byte) {
	if c.gone {
		return
	}
	if err := c.out.Send(frame); err != nil {
		if errors.Is(err, rtc.ErrTooSlow) {
			r.s.countDrop("too_slow")
			_ = c.dc.SendText(string(r.errorFrameLocked(c, "peer_too_slow")))
		}
		r.dropLocked(c)
	}
}

// broadcastLocked sends one frame to every peer for which want is true.
func (r *room) broadcastLocked(frame []byte, want func(*conn) bool) int {
	n := 0
	for _, c := range r.conns {
		if want == nil || want(c) {
			r.sendLocked(c, frame)
			n++
		}
	}
	if m := r.s.opts.Metrics; m != nil {
		m.Messages.WithLabelValues("chat", "out").Add(float64(n))
	}
	return n
}

func inRoom(c *conn) bool      { return c.admitted || c.role == RoleModerator }
func isModerator(c *conn) bool { return c.role == RoleModerator }

func (r *room) nextSeq() uint64 { r.seq++; return r.seq }

// noticeLocked builds a localized system notice in loc.
func (r *room) noticeLocked(loc *i18n.Localizer, id string, data map[string]any) []byte {
	return outbound("notice", r.nextSeq(), map[string]any{"id": id, "text": loc.T(id, data), "data": data})
}

func (r *room) errorFrameLocked(c *conn, code string) []byte {
	return r.codedFrameLocked(c, apierr.New(apierr.Code(code)))
}

// codedFrameLocked is the error frame for e, its message in the member's
// language with the error's data (the offending key) filled in.
func (r *room) codedFrameLocked(c *conn, e *apierr.Error) []byte {
	msg := c.loc.Error(string(e.Code), e.Data)
	if e.Code == apierr.Validation {
		// Validation details are English: name the field, as REST does.
		msg = c.loc.T(e.MessageID(), e.Data)
	}
	return outbound("error", r.nextSeq(), map[string]any{"code": string(e.Code), "message": msg})
}

// dropLocked removes c from the room and closes its peer in the background.
func (r *room) dropLocked(c *conn) {
	if c.gone {
		return
	}
	c.gone = true
	if r.conns[c.key] == c {
		delete(r.conns, c.key)
	}
	if c.admitted || c.role == RoleModerator {
		r.leftLocked(presenceOf(c))
	}
	if c.hand || (r.turn != "" && r.turn == c.memberID) {
		c.hand = false
		if r.turn == c.memberID {
			r.turn = ""
		}
		r.floorChangedLocked()
	}
	if c.admitted && c.role == RoleMember {
		// Keep the seat a while: a dropped link is usually back in seconds.
		r.holds[c.memberID] = r.s.now().Add(SeatHold)
	}
	if c.role == RoleModerator && r.row.RequireModerator && r.moderatorsLocked() == 0 && !r.ended {
		r.broadcastLocked(r.noticeLocked(r.loc, "group.notice.waiting_moderator", nil), inRoom)
	}
	if c.role == RoleMember {
		r.lobbyChangedLocked()
		if m := r.s.opts.Metrics; m != nil {
			m.LivePeers.WithLabelValues("member").Dec()
		}
	}
	r.voiceSyncLocked()
	pc, out := c.pc, c.out
	r.s.peers.Add(1)
	go func() {
		defer r.s.peers.Done()
		// Let the last frames (a notice, an error) leave before closing.
		time.Sleep(100 * time.Millisecond)
		if out != nil {
			out.Close()
		}
		if pc != nil { // nil only if dropped before signalling finished; answer closes it then
			_ = pc.GracefulClose()
		}
	}()
}

// attach adds a peer whose chat channel just opened.
func (r *room) attach(c *conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		r.sendLocked(c, r.noticeLocked(c.loc, "group.notice.ended", nil))
		r.dropLocked(c)
		return
	}
	if old := r.conns[c.key]; old != nil {
		r.dropLocked(old)
	}
	wasOpen := r.openLocked(r.s.now())
	r.conns[c.key] = c
	r.seatLocked(c)
	if c.role == RoleMember {
		if m := r.s.opts.Metrics; m != nil {
			m.LivePeers.WithLabelValues("member").Inc()
		}
	}
	r.sendLocked(c, r.welcomeLocked(c))
	switch {
	case c.role == RoleModerator:
		r.joinedLocked(presenceOf(c))
		r.sendLocked(c, r.lobbyFrameLocked())
		if !wasOpen && r.openLocked(r.s.now()) {
			r.broadcastLocked(r.noticeLocked(r.loc, "group.notice.room_open", nil), inRoom)
		}
	case c.admitted:
		r.joinedLocked(presenceOf(c))
		if !r.openLocked(r.s.now()) {
			r.sendLocked(c, r.noticeLocked(c.loc, "group.notice.waiting_moderator", nil))
		}
	default:
		r.sendLocked(c, r.noticeLocked(c.loc, "group.notice.lobby", nil))
		r.lobbyChangedLocked()
	}
	if c.voice != nil {
		r.voiceLocked()
		r.voiceSyncLocked()
		if inRoom(c) {
			r.sendLocked(c, r.voiceYouLocked(c, r.s.now()))
		}
	}
	if r.circleLocked() && inRoom(c) {
		r.sendVoiceStateLocked(c) // who speaks now and the speaking order, for someone who came in after they began
		r.sendPosesLocked(c)      // and how everyone sits
	}
	if !c.mutedUntil.IsZero() {
		r.scheduleMuteLiftLocked() // a member back during a timed mute gets its end
	}
}

// detach removes a peer whose connection ended.
func (r *room) detach(c *conn) {
	r.mu.Lock()
	r.dropLocked(c)
	r.mu.Unlock()
}

func (r *room) welcomeLocked(c *conn) []byte {
	members := []presence{}
	if inRoom(c) { // someone waiting in the lobby does not yet see who is inside
		members = r.membersLocked()
	}
	you := presenceOf(c)
	you.ID = c.memberID // "" for staff: their messages carry no member id either
	body := map[string]any{
		"you":       you,
		"room":      map[string]any{"id": r.row.ID, "topic": r.row.Topic, "locale": r.row.Locale, "dir": i18n.Dir(r.row.Locale), "slow_mode": r.row.SlowModeSeconds, "locked": r.row.Locked, "open": r.openLocked(r.s.now()), "space": r.row.Space},
		"admitted":  inRoom(c),
		"members":   members,
		"reactions": Reactions,
	}
	return outbound("welcome", r.nextSeq(), body)
}

func (r *room) membersLocked() []presence {
	out := []presence{}
	for _, c := range r.conns {
		if inRoom(c) {
			out = append(out, presenceOf(c))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Pseudonym < out[j].Pseudonym })
	return out
}

// joinedLocked and leftLocked record a presence change for the next delta,
// netted by id: the last change of a peer inside one interval wins.
// Clients apply "left" before "joined".
func (r *room) joinedLocked(p presence) {
	r.left = slices.DeleteFunc(r.left, func(q presence) bool { return q.ID == p.ID })
	r.joined = append(r.joined, p)
	r.schedulePresenceLocked()
}

func (r *room) leftLocked(p presence) {
	r.joined = slices.DeleteFunc(r.joined, func(q presence) bool { return q.ID == p.ID })
	r.left = append(r.left, p)
	r.schedulePresenceLocked()
}

// schedulePresenceLocked coalesces joins and leaves into one frame a
// PresenceInterval: a room filling with 500 members sends 500 small deltas
// in total per member, not a growing list per join.
func (r *room) schedulePresenceLocked() {
	if r.pending {
		return
	}
	r.pending = true
	time.AfterFunc(r.s.limits().PresenceInterval, r.flushPresence)
}

func (r *room) flushPresence() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pending = false
	if len(r.joined) == 0 && len(r.left) == 0 || r.ended {
		return
	}
	frame := outbound("members.delta", r.nextSeq(), map[string]any{"joined": r.joined, "left": r.left})
	r.joined, r.left = nil, nil
	r.broadcastLocked(frame, inRoom)
}

type lobbyEntry struct {
	ID        string `json:"id"`
	Pseudonym string `json:"pseudonym"`
}

func (r *room) lobbyFrameLocked() []byte {
	list := []lobbyEntry{}
	for _, c := range r.conns {
		if c.role == RoleMember && !c.admitted {
			list = append(list, lobbyEntry{c.memberID, c.pseudonym})
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Pseudonym < list[j].Pseudonym })
	return outbound("lobby", r.nextSeq(), map[string]any{"members": list})
}

func (r *room) lobbyChangedLocked() {
	if r.moderatorsLocked() > 0 {
		r.broadcastLocked(r.lobbyFrameLocked(), isModerator)
	}
}

// alertLocked tells every connected moderator at once.
func (r *room) alertLocked(body map[string]any) {
	r.broadcastLocked(outbound("mod.alert", r.nextSeq(), body), isModerator)
}

func (r *room) rememberLocked(m chatRecord) {
	if len(r.recent) >= recentCap {
		copy(r.recent, r.recent[1:])
		r.recent = r.recent[:recentCap-1]
	}
	r.recent = append(r.recent, m)
}

func (r *room) findLocked(id string) (chatRecord, int) {
	for i := len(r.recent) - 1; i >= 0; i-- {
		if r.recent[i].ID == id {
			return r.recent[i], i
		}
	}
	return chatRecord{}, -1
}

// closeAll tells every peer why and closes them (room ended, server stopping).
func (r *room) closeAll(noticeID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ended = true
	r.scheduleMuteLiftLocked() // stops the timer: an ended room lifts nothing
	frame := r.noticeLocked(r.loc, noticeID, nil)
	for _, c := range r.conns {
		r.sendLocked(c, frame)
	}
	for _, c := range r.conns {
		r.dropLocked(c)
	}
	r.recent = nil
}

func (s *Service) countDrop(reason string) {
	if m := s.opts.Metrics; m != nil {
		m.Dropped.WithLabelValues(reason).Inc()
	}
	s.log.Info("peer dropped", slog.String("reason", reason))
}
