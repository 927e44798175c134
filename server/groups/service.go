// Package groups runs Haven's anonymous, moderated support rooms: rooms and
// their schedule, anonymous joining with a room code, the `chat` data
// channel of every member's pion peer, bounded fan-out, automatic moderation
// (PII redaction, word filters, crisis-language detection with private
// crisis resources), moderator actions with an audit trail, and retention.
package groups

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/havenvr/haven/i18n"
	"github.com/havenvr/haven/server/auth"
	"github.com/havenvr/haven/server/metrics"
	"github.com/havenvr/haven/server/notify"
	"github.com/havenvr/haven/server/owner"
	"github.com/havenvr/haven/server/ratelimit"
	"github.com/havenvr/haven/server/rtc"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/web"
)

// Limits are the rate limits of joining and chatting. New members are held
// to tighter limits for NewMemberWindow: most abuse of anonymous rooms comes
// from fresh throw-away identities.
type Limits struct {
	JoinsPerMinute   float64 // per room code and requesting address (hashed, memory only)
	JoinBurst        int
	NewMemberWindow  time.Duration
	NewPerMinute     float64
	NewBurst         int
	PerMinute        float64
	Burst            int
	TypingInterval   time.Duration
	OutboxCapacity   int           // frames queued per peer before it counts as too slow
	DeleteReview     time.Duration // how long a deleted message stays reviewable
	PresenceInterval time.Duration // how often joins and leaves are announced (coalesced)
	// SignalPerMinute / SignalBurst bound WebRTC offers per member token
	// (or moderator account) and room.
	SignalPerMinute float64
	SignalBurst     int
}

// DefaultLimits are the production limits.
func DefaultLimits() Limits {
	return Limits{JoinsPerMinute: 10, JoinBurst: 5, NewMemberWindow: 3 * time.Minute, NewPerMinute: 6, NewBurst: 3,
		PerMinute: 30, Burst: 8, TypingInterval: 2 * time.Second, OutboxCapacity: 512,
		DeleteReview: 24 * time.Hour, PresenceInterval: time.Second, SignalPerMinute: 20, SignalBurst: 10}
}

// Options configure the service.
type Options struct {
	Store   *store.Store
	Auth    *auth.Service
	Engine  *rtc.Engine
	Bundle  *i18n.Bundle
	Metrics *metrics.Metrics
	Logger  *slog.Logger
	Limits  Limits
	// Localize localizes HTTP responses (the request's negotiated locale).
	Localize func(c echo.Context) *i18n.Localizer
	// SharedLimits, in a cluster, holds the room-code guessing limit for
	// every node; nil: this node's own.
	SharedLimits ratelimit.Shared
	// Notify tells moderators' pages, on every node of a cluster, that a
	// room's queue changed (server/notify); nil: nobody.
	Notify notify.Publisher
	// Owner decides which node of a cluster serves each room (its members
	// and moderators meet in that node's memory); nil: this node serves
	// every room.
	Owner owner.Ownership
}

// queueChanged tells moderators' pages that row's queue gained (change
// "added") or lost ("resolved") item.
func (s *Service) queueChanged(row store.GroupRoom, item store.GroupQueueItem, change string) {
	if s.opts.Notify != nil {
		s.opts.Notify.Publish(notify.Event{Kind: notify.KindQueue, ClinicID: row.ClinicID, RoomID: row.ID,
			QueueID: item.ID, QueueKind: item.Kind, Change: change})
	}
}

// Service is the support-group service.
type Service struct {
	opts  Options
	store *store.Store
	log   *slog.Logger
	now   func() time.Time
	skew  atomic.Int64 // nanoseconds AdvanceClock added to the wall clock

	joinLimit *ratelimit.Limiter
	newLimit  *ratelimit.Limiter
	msgLimit  *ratelimit.Limiter
	sigLimit  *ratelimit.Limiter

	mu     sync.Mutex
	rooms  map[string]*room
	phrase *phraseCache

	onForward atomic.Pointer[ForwardHook] // SetForwardHook

	stop     chan struct{}
	sweepNow chan chan error // a sweep on demand (tests step the clock, then sweep: export_test.go)
	wg       sync.WaitGroup  // the sweeper
	peers    sync.WaitGroup  // peers being closed
}

// New returns the service and starts its retention sweeper.
func New(opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Limits.OutboxCapacity == 0 {
		opts.Limits = DefaultLimits()
	}
	s := &Service{opts: opts, store: opts.Store, log: opts.Logger.With(slog.String("component", "groups")), now: time.Now,
		rooms: map[string]*room{}, stop: make(chan struct{}), sweepNow: make(chan chan error)}
	s.now = func() time.Time { return time.Now().Add(time.Duration(s.skew.Load())) }
	s.setLimiters()
	s.phrase = newPhraseCache(opts.Store)
	s.wg.Add(1)
	go s.sweep()
	return s
}

// AdvanceClock moves the service's clock forward by d (tests step past a
// rate-limit window or a mute instead of sleeping). Timed mutes that are
// due by the new time end at once, the others' timers are set again.
func (s *Service) AdvanceClock(d time.Duration) {
	s.skew.Add(int64(d))
	for _, r := range s.liveRooms() {
		r.liftMutes()
	}
}

// SetForwardHook has h see every voice packet a circle forwards (`haven
// bench circle` measures the forwarding delay with it); nil removes it.
func (s *Service) SetForwardHook(h ForwardHook) {
	if h == nil {
		s.onForward.Store(nil)
		return
	}
	s.onForward.Store(&h)
}

// SetLimits replaces the rate limits (tests and `haven bench groups`).
func (s *Service) SetLimits(l Limits) {
	s.mu.Lock()
	s.opts.Limits = l
	s.mu.Unlock()
	s.setLimiters()
}

// liveRooms lists the rooms loaded in memory.
func (s *Service) liveRooms() []*room {
	s.mu.Lock()
	defer s.mu.Unlock()
	rooms := make([]*room, 0, len(s.rooms))
	for _, r := range s.rooms {
		rooms = append(rooms, r)
	}
	return rooms
}

func (s *Service) limits() Limits {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opts.Limits
}

func (s *Service) setLimiters() {
	l := s.limits()
	s.mu.Lock()
	s.joinLimit = ratelimit.New(l.JoinsPerMinute, l.JoinBurst)
	if s.opts.SharedLimits != nil {
		s.joinLimit.Share(s.opts.SharedLimits, "room-join")
	}
	s.newLimit = ratelimit.New(l.NewPerMinute, l.NewBurst)
	s.msgLimit = ratelimit.New(l.PerMinute, l.Burst)
	s.sigLimit = ratelimit.New(l.SignalPerMinute, l.SignalBurst)
	s.mu.Unlock()
}

// Register adds the support-group routes.
func (s *Service) Register(w *web.Server) {
	mod := []echo.MiddlewareFunc{s.opts.Auth.Require(web.Moderator)}
	th := []echo.MiddlewareFunc{s.opts.Auth.Require(web.Therapist)}
	add := func(method, path, summary string, access web.Access, mw []echo.MiddlewareFunc, h echo.HandlerFunc, body string) {
		w.Handle(web.Route{Method: method, Path: path, Summary: summary, Access: access, Tag: "groups",
			Handler: h, Middleware: mw, RequestBody: body})
	}
	// Routes that act on a room in memory are served by its owning node.
	modRoom := append(mod[:len(mod):len(mod)], s.toOwner)
	add("GET", "/api/groups/rooms", "The clinic's support rooms.", web.Moderator, mod, s.listRooms, "")
	add("POST", "/api/groups/rooms", "Create a support room.", web.Moderator, mod, s.createRoom,
		"{topic, locale, country?, capacity?, rules?, opens_at?, closes_at?, require_moderator?, lobby?, retain_days?}")
	add("GET", "/api/groups/rooms/:id", "One room with its live state (members, lobby).", web.Moderator, modRoom, s.getRoom, "")
	add("POST", "/api/groups/rooms/:id/actions", "A moderator action (audited).", web.Moderator, modRoom, s.action,
		"{action: mute|unmute|remove|ban|delete|slow_mode|lock|unlock|admit|end, member_id?, message_id?, seconds?, reason}")
	add("GET", "/api/groups/rooms/:id/audit", "The room's moderation audit.", web.Moderator, mod, s.audit, "")
	add("GET", "/api/groups/rooms/:id/queue", "Held, reported and deleted messages awaiting review.", web.Moderator, mod, s.queue, "")
	add("POST", "/api/groups/rooms/:id/queue/:item", "Resolve a queue item (release or dismiss).", web.Moderator, modRoom, s.resolve, "{decision, reason}")
	add("POST", "/api/groups/rooms/:id/moderator-peer", "Moderator's WebRTC offer (application/sdp) for the chat channel.", web.Moderator, modRoom, s.moderatorPeer, "SDP offer")
	add("GET", "/api/groups/resources", "The clinic's crisis resources (and the built-in defaults).", web.Moderator, mod, s.listResources, "")
	add("PUT", "/api/groups/resources", "Replace the clinic's crisis resources.", web.Therapist, th, s.putResources, "[{country, name, phone?, text?, url?, hours?, last_verified}]")
	add("GET", "/api/groups/phrases/:locale/:kind", "A word-filter or crisis phrase list.", web.Moderator, mod, s.getPhrases, "")
	add("PUT", "/api/groups/phrases/:locale/:kind", "Replace a word-filter or crisis phrase list.", web.Therapist, th, s.putPhrases, "{phrases: []}")
	add("DELETE", "/api/groups/phrases/:locale/:kind", "Drop the clinic's list: Haven's built-in one applies again.", web.Therapist, th, s.resetPhrases, "")
	add("GET", "/api/groups/join/:code", "A room's public face before joining: topic, rules, state, clinic_id (for the clinic's wording).", web.Public, nil, s.lookup, "")
	add("POST", "/api/groups/join", "Join anonymously with a room code (or rejoin with a member token).", web.Public, nil, s.join,
		"{code, accept_rules, pseudonym?, token?, locale?}")
	add("POST", "/api/groups/rooms/:id/peer", "A member's WebRTC offer (application/sdp), Bearer member token.", web.Member, []echo.MiddlewareFunc{s.toOwner}, s.memberPeer, "SDP offer")
}

// Close tells every connected peer the server is stopping and closes them.
func (s *Service) Close(ctx context.Context) error {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	for _, r := range s.liveRooms() {
		r.closeAll("group.notice.server_stopping")
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); s.peers.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// sweep ends rooms whose scheduled close has passed and purges review
// items whose retention ran out (and deleted messages whose review window
// closed), once a minute.
func (s *Service) sweep() {
	defer s.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.wg.Add(1)
	go func() { // a pass under way stops with the service
		defer s.wg.Done()
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if err := s.sweepPass(ctx); err != nil {
				s.log.Warn("retention sweep", slog.Any("err", err))
			}
		case done := <-s.sweepNow:
			done <- s.sweepPass(ctx)
		}
	}
}

// sweepPass ends due rooms first, so that their review items get their
// purge date (or go) in the same pass.
func (s *Service) sweepPass(ctx context.Context) error {
	return errors.Join(s.endDue(ctx), s.purgeExpired(ctx))
}

func (s *Service) purgeExpired(ctx context.Context) error {
	err := s.store.DB.WithContext(ctx).Where("purge_at IS NOT NULL AND purge_at < ?", s.now().UTC()).
		Delete(&store.GroupQueueItem{}).Error
	if err != nil {
		return fmt.Errorf("groups: purging expired review items: %w", err)
	}
	return nil
}

func (s *Service) localizer(clinicID, locale string) *i18n.Localizer {
	return s.opts.Bundle.ForLocale(clinicID, locale)
}
