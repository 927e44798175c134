// Package live runs therapy sessions over WebRTC (DESIGN.md §3): the session
// lifecycle and its REST routes, WHIP-style signalling for the patient's
// headset and the therapist's console, and the hub that routes therapist
// commands through the protocol engine to the patient and the patient's
// ratings, state and biosignals back — durably, with per-peer limits, and
// with the link-loss safety pause.
package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/havenvr/haven/environments"
	"github.com/havenvr/haven/server/auth"
	"github.com/havenvr/haven/server/clinic"
	"github.com/havenvr/haven/server/compose"
	"github.com/havenvr/haven/server/ingest"
	"github.com/havenvr/haven/server/metrics"
	"github.com/havenvr/haven/server/notify"
	"github.com/havenvr/haven/server/ratelimit"
	"github.com/havenvr/haven/server/rtc"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

// Sink stores biosignal chunks durably and acknowledges them after commit
// (server/ingest.Writer implements it).
type Sink interface {
	Submit(ctx context.Context, c ingest.Chunk, done func(ingest.Ack)) error
}

// Resolver finds the exact protocol and composition revisions a clinic's
// session runs: the clinic's own first, then the built-in library
// (server/compose implements it).
type Resolver interface {
	ResolveProtocol(ctx context.Context, clinicID, id string, rev int) (compose.ResolvedProtocol, error)
	ResolveComposition(ctx context.Context, clinicID, id string, rev int) (compose.ResolvedComposition, error)
}

// Options configure the live service. Zero durations take the defaults that
// DESIGN.md §3 fixes (500 ms heartbeats, link loss after 1.5 s of silence).
type Options struct {
	Store   *store.Store
	Auth    *auth.Service
	Clinic  *clinic.Service
	RTC     *rtc.Engine
	Sink    Sink
	Resolve Resolver
	Metrics *metrics.Metrics
	Logger  *slog.Logger
	// Crisis is the clinic's crisis line for the patient's safety panel
	// (server/groups curates them); nil or an empty line: the headset shows
	// its built-in localized advice.
	Crisis func(ctx context.Context, clinicID string) wire.Crisis
	// PublicURL is the origin join links and QR codes point at (--public-url
	// or the listen address); links are never built from a request's Host.
	PublicURL func() string
	// Translate localizes an error message id for a clinic and the patient's
	// preferred locale, negotiated as any request is (pt-PT is served
	// pt-BR); nil: the code is the message.
	Translate func(clinicID, locale, id string, data map[string]any) string
	// Owner decides which node of a cluster serves each room; nil: this
	// node serves every room (a single node).
	Owner Ownership
	// SharedLimits, in a cluster, holds the join-code guessing limit for
	// every node; nil: this node's own.
	SharedLimits ratelimit.Shared
	// Notify carries session list changes and alerts to staff pages, on
	// this node and, in a cluster, the others (server/notify); nil: none.
	Notify notify.Publisher

	Heartbeat   time.Duration
	LinkLoss    time.Duration
	JoinCodeTTL time.Duration
	// EngineSpeed makes protocol time run faster than wall time (training
	// drills and tests: a 3-minute baseline in seconds). Default 1.
	EngineSpeed float64
	// SignalsBatch is the biosignal batch cadence patients are told in their
	// hello (wire.MinBatch to wire.MaxBatch; default MinBatch).
	SignalsBatch time.Duration
	// QueueLen bounds each peer's send queue per channel (messages).
	QueueLen int
	// ControlPerMin / SignalsPerMin bound each peer's inbound message rate.
	ControlPerMin, SignalsPerMin float64
}

func (o *Options) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Heartbeat, 500*time.Millisecond)
	def(&o.LinkLoss, 1500*time.Millisecond)
	def(&o.JoinCodeTTL, 15*time.Minute)
	def(&o.SignalsBatch, wire.MinBatch)
	o.SignalsBatch = min(max(o.SignalsBatch, wire.MinBatch), wire.MaxBatch)
	if o.EngineSpeed <= 0 {
		o.EngineSpeed = 1
	}
	if o.QueueLen <= 0 {
		o.QueueLen = 512
	}
	if o.ControlPerMin <= 0 {
		// Heartbeats (120/min) plus state, ratings and bursts of commands.
		o.ControlPerMin = 1200
	}
	if o.SignalsPerMin <= 0 {
		// HR 1 Hz + RR per beat + EDA 4 batches/s + headroom for resends.
		o.SignalsPerMin = 3000
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = metrics.New()
	}
}

// Service is the live-session service.
type Service struct {
	opts    Options
	log     *slog.Logger
	catalog *environments.Catalog
	tl      *timelineWriter

	joinLimit    *ratelimit.Limiter
	controlLimit *ratelimit.Limiter
	signalsLimit *ratelimit.Limiter
	lim          abuseLimits // signalling limit and the limits' clock

	speed    atomic.Uint64                                      // float64 bits of the engine speed
	draining atomic.Bool                                        // shutting down: no new batches are accepted
	voiceObs atomic.Pointer[func(in, out time.Time, wrote int)] // ObserveVoice

	mu     sync.Mutex
	rooms  map[string]*room
	closed bool
	stop   chan struct{}
	wg     sync.WaitGroup
	bg     sync.WaitGroup // simulated peers and delayed closes
	owners sync.WaitGroup // the rooms' owner goroutines
	// self serves the server's own routes to in-process peers (the
	// simulated patient); set once by Register, before serving.
	self http.Handler
}

// New builds the service and starts its hub clock.
func New(opts Options) (*Service, error) {
	opts.defaults()
	if opts.Store == nil || opts.RTC == nil || opts.Resolve == nil {
		return nil, errors.New("live: store, rtc engine and resolver are required")
	}
	cat, err := environments.Builtin()
	if err != nil {
		return nil, fmt.Errorf("live: loading environments: %w", err)
	}
	s := &Service{
		opts: opts, log: opts.Logger, catalog: cat,
		tl:           newTimelineWriter(opts.Store, opts.Logger),
		joinLimit:    ratelimit.New(20, 10),
		controlLimit: ratelimit.New(opts.ControlPerMin, int(opts.ControlPerMin/6)),
		signalsLimit: ratelimit.New(opts.SignalsPerMin, int(opts.SignalsPerMin/6)),
		rooms:        map[string]*room{}, stop: make(chan struct{}),
	}
	if opts.SharedLimits != nil {
		s.joinLimit.Share(opts.SharedLimits, "live-join")
	}
	s.SetEngineSpeed(opts.EngineSpeed)
	s.wg.Add(1)
	go s.clock()
	return s, nil
}

// notify publishes a staff-page notification, if anyone listens.
func (s *Service) notify(ev notify.Event) {
	if s.opts.Notify != nil {
		s.opts.Notify.Publish(ev)
	}
}

// notifyState tells staff pages that sess is now in state (reason).
func (s *Service) notifyState(sess store.LiveSession, change string) {
	s.notify(notify.Event{Kind: notify.KindSession, ClinicID: sess.ClinicID, SessionID: sess.ID, Change: change,
		State: sess.State, Reason: sess.StateReason})
}

// SetEngineSpeed changes how fast protocol time runs (training drills, tests).
func (s *Service) SetEngineSpeed(f float64) {
	if f <= 0 {
		f = 1
	}
	s.speed.Store(math.Float64bits(f))
}

func (s *Service) engineSpeed() float64 { return math.Float64frombits(s.speed.Load()) }

// Close tells every peer the server is going away (session.end for
// patients whose session ended, error unavailable otherwise), waits for
// pending timeline writes and closes the peers. Biosignal batches already
// submitted are flushed by the sink's own Close, which the app calls after.
func (s *Service) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	rooms := make([]*room, 0, len(s.rooms))
	for _, r := range s.rooms {
		rooms = append(rooms, r)
	}
	s.mu.Unlock()
	close(s.stop)
	s.wg.Wait()
	s.bg.Wait()
	s.drain(ctx, rooms)
	var peers []*peer
	for _, r := range rooms {
		ps, err := ask(ctx, r, newQuery[[]*peer](detachQ{farewell: true}))
		if err != nil {
			s.log.Warn("live: room did not detach its peers", slog.String("session", r.id), slog.Any("err", err))
		}
		peers = append(peers, ps...)
	}
	// One moment for every outbox to put its goodbye on the wire, then the
	// connections close side by side: one by one, a thousand sessions'
	// peers would take longer than the whole shutdown may.
	time.Sleep(50 * time.Millisecond)
	closeAll(ctx, peers)
	err := s.tl.close(ctx)
	// The rooms' owners go last: the timeline's final commits post to them.
	for _, r := range rooms {
		r.stop()
	}
	s.owners.Wait()
	return err
}

// closeAll closes peers, a few at a time, until done or ctx ends.
func closeAll(ctx context.Context, peers []*peer) {
	work := make(chan *peer)
	var wg sync.WaitGroup
	for range min(len(peers), 16) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				p.close()
			}
		}()
	}
	for _, p := range peers {
		select {
		case work <- p:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
}

// drain stops accepting biosignal batches and waits until every batch
// already submitted is committed and acknowledged to its peer, so a graceful
// shutdown leaves no client with a batch the server stored but never acked.
func (s *Service) drain(ctx context.Context, rooms []*room) {
	s.draining.Store(true)
	for {
		busy := false
		for _, r := range rooms {
			b, err := ask(ctx, r, newQuery[bool](inflightQ{}))
			busy = busy || (b && err == nil)
		}
		if !busy {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// clock drives every room: heartbeats, engine ticks, link-loss checks and
// the 1 s metrics, from one ticker rather than a timer per session.
func (s *Service) clock() {
	defer s.wg.Done()
	t := time.NewTicker(s.opts.Heartbeat / 2)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case now := <-t.C:
			for _, r := range s.snapshotRooms() {
				r.tickNow(now)
			}
		}
	}
}

// background runs f on a goroutine that Close waits for; after Close it
// does nothing (Close itself then closes every peer).
func (s *Service) background(f func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		f()
	}()
	return true
}

func (s *Service) snapshotRooms() []*room {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*room, 0, len(s.rooms))
	for _, r := range s.rooms {
		out = append(out, r)
	}
	return out
}

// loadRoom returns the in-memory room of a session, creating it from the
// store. The room is built outside s.mu: its database reads must not hold
// up every other session's lookups and clock ticks (heartbeats, link-loss
// checks). Two connections loading the same session at once each build
// one; the first to register wins and the other is dropped unused.
func (s *Service) loadRoom(ctx context.Context, sess store.LiveSession) (*room, error) {
	s.mu.Lock()
	r, closed := s.rooms[sess.ID], s.closed
	s.mu.Unlock()
	if closed {
		return nil, errUnavailable
	}
	if r != nil {
		return r, nil
	}
	if err := s.claim(ctx, sess.ID); err != nil {
		return nil, err
	}
	built, err := newRoom(ctx, s, sess)
	if err != nil {
		s.release(sess.ID)
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errUnavailable
	}
	if r := s.rooms[sess.ID]; r != nil {
		return r, nil
	}
	s.rooms[sess.ID] = built
	s.opts.Metrics.LiveSessions.Set(float64(len(s.rooms)))
	if built.resuming > 0 {
		built.in <- resumedIn{} // its owner's first input: nobody else has the room yet
	}
	s.owners.Go(built.own)
	return built, nil
}

// dropRoom forgets an ended room and stops its owner.
func (s *Service) dropRoom(r *room) {
	s.mu.Lock()
	kept := s.rooms[r.id] == r
	if kept {
		delete(s.rooms, r.id)
	}
	s.opts.Metrics.LiveSessions.Set(float64(len(s.rooms)))
	s.mu.Unlock()
	r.stop()
	if kept {
		s.release(r.id)
	}
}

// roomWaiting tells a loaded room that its session now waits for the
// patient (a join code redeemed, a token issued).
func (s *Service) roomWaiting(ctx context.Context, id string) error {
	if r := s.room(id); r != nil {
		_, err := askREST(ctx, r, newQuery[struct{}](waitingQ{}))
		return err
	}
	return nil
}

func (s *Service) room(id string) *room {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rooms[id]
}
