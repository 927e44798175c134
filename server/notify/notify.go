// Package notify carries notifications to staff pages: changes to a
// clinic's session list, live-session alerts, and changes to support rooms'
// moderator queues (held crisis messages, reports, deletions). Pages read
// them as a Server-Sent Events stream, GET /api/events.
//
// On a single node an event goes from its publisher to the subscribers in
// this process. In a cluster (--nats) every event is published on the NATS
// subject haven.events.<clinic id> and every node, the publisher included,
// delivers what it receives to its own subscribers: a therapist whose page
// reached node B sees an alert that the session's owner, node A, raised.
// NATS core subjects are at-most-once, so events are hints: the page
// re-reads its lists (PostgreSQL) when it gets one, and a `resync` event
// tells it to re-read everything when it may have missed some.
//
// Events carry ids, codes and states, never names or message text: what
// a page shows it reads through the API, under its own access checks.
package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/strictjson"
)

// Event kinds.
const (
	// KindSession: a session was created or changed state (Change, State).
	KindSession = "session"
	// KindAlert: a live session's alert fired or cleared (Code, Fired).
	KindAlert = "alert"
	// KindQueue: a support room's moderator queue gained (Change "added") or
	// lost ("resolved") an item (RoomID, QueueID, QueueKind).
	KindQueue = "queue"
	// KindResync tells a page that it may have missed events: re-read its
	// lists. Sent by the stream, never published.
	KindResync = "resync"
)

// Event is one notification.
type Event struct {
	ID        string `json:"id"`
	Kind      string `json:"kind"`
	ClinicID  string `json:"clinic_id"`
	SessionID string `json:"session_id,omitempty"`
	Change    string `json:"change,omitempty"`
	State     string `json:"state,omitempty"`
	Reason    string `json:"reason,omitempty"`
	Code      string `json:"code,omitempty"`
	Fired     bool   `json:"fired,omitempty"`
	RoomID    string `json:"room_id,omitempty"`
	QueueID   string `json:"queue_id,omitempty"`
	QueueKind string `json:"queue_kind,omitempty"`
	// Node is the node that published the event (in a cluster).
	Node string `json:"node,omitempty"`
	// At is the publisher's clock, Unix milliseconds.
	At int64 `json:"at"`
}

// Publisher is what the services that raise events need; a nil Publisher
// is allowed and publishes nothing.
type Publisher interface {
	Publish(ev Event)
}

// subjectPrefix + clinic id is an event's NATS subject.
const subjectPrefix = "haven.events."

// idToken is what may stand in a subject token (no dots, wildcards or
// spaces); store ids are of this alphabet.
var idToken = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ringSize is how many recent events a hub keeps for a page that
// reconnects with Last-Event-ID.
const ringSize = 512

// subBuffer is each subscriber's queue; a page that falls further behind
// loses events and is told to resync.
const subBuffer = 64

// Options configure a Hub.
type Options struct {
	// Conn is the cluster's NATS connection; nil on a single node.
	Conn *nats.Conn
	// Node names this node in the events it publishes.
	Node   string
	Logger *slog.Logger
}

// Hub delivers events to this node's subscribers, and in a cluster sends
// and receives them over NATS.
type Hub struct {
	opts Options
	log  *slog.Logger
	sub  *nats.Subscription
	// streamFor is one stream's lifetime (nanoseconds).
	streamFor atomic.Int64

	mu     sync.Mutex
	subs   map[*Sub]struct{}
	ring   []Event // the last ringSize events, oldest first
	closed bool
}

// Sub is one page's subscription.
type Sub struct {
	clinic string
	ch     chan Event
	// lost is set when the queue was full and an event was dropped.
	lost bool
}

// New builds a hub; with a NATS connection it subscribes to every clinic's
// subject.
func New(opts Options) (*Hub, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	// A marker (never delivered) gives the first streams a cursor, so a page
	// that reconnects before any event still gets what it missed.
	h := &Hub{opts: opts, log: opts.Logger, subs: map[*Sub]struct{}{}, ring: []Event{{ID: store.RandomToken(9)}}}
	h.SetStreamFor(0)
	if opts.Conn != nil {
		sub, err := opts.Conn.Subscribe(subjectPrefix+"*", h.receive)
		if err != nil {
			return nil, fmt.Errorf("notify: subscribing to %s*: %w", subjectPrefix, err)
		}
		h.sub = sub
	}
	return h, nil
}

// Publish stamps ev (id, node, time) and delivers it: over NATS in a
// cluster (this node gets its own copy back from the subscription), else
// here. It never blocks: rooms publish from their own goroutine.
func (h *Hub) Publish(ev Event) {
	if h == nil {
		return
	}
	if !idToken.MatchString(ev.ClinicID) {
		h.log.Warn("notify: event without a valid clinic id dropped", slog.String("kind", ev.Kind))
		return
	}
	ev.ID, ev.Node = store.RandomToken(9), h.opts.Node
	if ev.At == 0 {
		ev.At = time.Now().UnixMilli()
	}
	if h.opts.Conn != nil {
		b, _ := json.Marshal(ev)
		err := h.opts.Conn.Publish(subjectPrefix+ev.ClinicID, b)
		if err == nil {
			return
		}
		// Closed or reconnect buffer full: this node's pages still hear it.
		h.log.Warn("notify: publishing on NATS", slog.String("kind", ev.Kind), slog.Any("err", err))
	}
	h.deliver(ev)
}

// receive is the NATS subscription's handler.
func (h *Hub) receive(m *nats.Msg) {
	ev, err := Decode(m.Data)
	if err != nil {
		h.log.Warn("notify: dropping a malformed event", slog.String("subject", m.Subject), slog.Any("err", err))
		return
	}
	if m.Subject != subjectPrefix+ev.ClinicID {
		h.log.Warn("notify: dropping an event on another clinic's subject", slog.String("subject", m.Subject))
		return
	}
	h.deliver(ev)
}

// Decode reads an event received from another node, strictly: a malformed
// or incomplete one is refused.
func Decode(b []byte) (Event, error) { return decode(b, false) }

// decode is Decode; streamed also admits the stream's own resync event,
// which has no id.
func decode(b []byte, streamed bool) (Event, error) {
	var ev Event
	if err := strictjson.Unmarshal(b, &ev); err != nil {
		return Event{}, fmt.Errorf("notify: %w", err)
	}
	if streamed && ev.Kind == KindResync && ev.ID == "" && idToken.MatchString(ev.ClinicID) {
		return ev, nil
	}
	switch {
	case ev.ID == "" || len(ev.ID) > 64:
		return Event{}, errors.New("notify: event id missing or too long")
	case !idToken.MatchString(ev.ClinicID):
		return Event{}, errors.New("notify: clinic id missing or malformed")
	case ev.Kind != KindSession && ev.Kind != KindAlert && ev.Kind != KindQueue:
		return Event{}, fmt.Errorf("notify: unknown kind %q", ev.Kind)
	}
	return ev, nil
}

func (h *Hub) deliver(ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	if len(h.ring) == ringSize {
		copy(h.ring, h.ring[1:])
		h.ring = h.ring[:ringSize-1]
	}
	h.ring = append(h.ring, ev)
	for s := range h.subs {
		if s.clinic != ev.ClinicID {
			continue
		}
		select {
		case s.ch <- ev:
		default:
			s.lost = true
		}
	}
}

// Subscribe registers a page of clinic. If lastID names an event this hub
// still remembers, the clinic's events after it are queued first (a page
// that reconnected misses nothing); otherwise, when lastID is not empty,
// the first event is a resync. cursor is the id of the newest event
// remembered: where this subscription starts.
func (h *Hub) Subscribe(clinic, lastID string) (s *Sub, cursor string, err error) {
	s = &Sub{clinic: clinic, ch: make(chan Event, subBuffer+ringSize)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, "", errors.New("notify: hub closed")
	}
	cursor = h.ring[len(h.ring)-1].ID
	if lastID != "" {
		at := -1
		for i, ev := range h.ring {
			if ev.ID == lastID {
				at = i
				break
			}
		}
		if at < 0 {
			s.ch <- Event{Kind: KindResync, ClinicID: clinic, At: time.Now().UnixMilli()}
		} else {
			for _, ev := range h.ring[at+1:] {
				if ev.ClinicID == clinic && ev.Kind != "" {
					s.ch <- ev
				}
			}
		}
	}
	h.subs[s] = struct{}{}
	return s, cursor, nil
}

// Unsubscribe removes s.
func (h *Hub) Unsubscribe(s *Sub) {
	h.mu.Lock()
	delete(h.subs, s)
	h.mu.Unlock()
}

// Next waits for s's next event. After events were dropped for a full
// queue, it returns a resync first.
func (h *Hub) Next(ctx context.Context, s *Sub) (Event, error) {
	h.mu.Lock()
	lost := s.lost
	s.lost = false
	h.mu.Unlock()
	if lost {
		return Event{Kind: KindResync, ClinicID: s.clinic, At: time.Now().UnixMilli()}, nil
	}
	select {
	case ev := <-s.ch:
		return ev, nil
	case <-ctx.Done():
		return Event{}, ctx.Err()
	}
}

// Close stops receiving from NATS; subscribers' streams end with their
// requests.
func (h *Hub) Close(context.Context) error {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	if h.sub != nil {
		return h.sub.Unsubscribe()
	}
	return nil
}
