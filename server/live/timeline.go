package live

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/havenvr/haven/server/store"
)

// timelineWriter appends timeline events in group commits from one
// goroutine, so the hub never waits on SQLite while holding a room. done
// callbacks run after the commit (ack-after-commit for ratings and notes);
// they must not take a room's lock.
type timelineWriter struct {
	st   *store.Store
	log  *slog.Logger
	in   chan tlItem
	mu   sync.RWMutex
	shut bool
	done chan struct{}
}

type tlItem struct {
	ev   store.TimelineEvent
	sess *store.LiveSession // a session row to save instead of an event
	done func(error)
}

func newTimelineWriter(st *store.Store, log *slog.Logger) *timelineWriter {
	w := &timelineWriter{st: st, log: log, in: make(chan tlItem, 16384), done: make(chan struct{})}
	go w.loop()
	return w
}

func event(sessionID, kind, actor string, body any) store.TimelineEvent {
	b, _ := json.Marshal(body)
	return store.TimelineEvent{SessionID: sessionID, At: time.Now().UTC(), Kind: kind, Actor: actor, Body: string(b)}
}

// add queues an event; it blocks only when 16k events are pending.
func (w *timelineWriter) add(ev store.TimelineEvent, done func(error)) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.shut {
		if done != nil {
			done(errUnavailable)
		}
		return
	}
	w.in <- tlItem{ev: ev, done: done}
}

// saveSession queues a write of the session row (state, times), ordered with
// the timeline events around it.
func (w *timelineWriter) saveSession(sess store.LiveSession) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if !w.shut {
		w.in <- tlItem{sess: &sess}
	}
}

func (w *timelineWriter) loop() {
	defer close(w.done)
	for it := range w.in {
		group := []tlItem{it}
	more:
		for len(group) < 500 {
			select {
			case x, ok := <-w.in:
				if !ok {
					break more
				}
				group = append(group, x)
			default:
				break more
			}
		}
		w.flush(group)
	}
}

func (w *timelineWriter) flush(group []tlItem) {
	rows := make([]store.TimelineEvent, 0, len(group))
	sessions := map[string]*store.LiveSession{}
	for _, it := range group {
		if it.sess != nil {
			sessions[it.sess.ID] = it.sess // the last state of each session wins
		} else {
			rows = append(rows, it.ev)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var err error
	if len(rows) > 0 {
		err = w.st.DB.WithContext(ctx).CreateInBatches(rows, 200).Error
	}
	for _, sess := range sessions {
		if e := w.st.DB.WithContext(ctx).Model(&store.LiveSession{}).Where("id = ?", sess.ID).Updates(map[string]any{
			"state": sess.State, "state_reason": sess.StateReason, "started_at": sess.StartedAt, "ended_at": sess.EndedAt}).Error; e != nil {
			w.log.Error("live: saving session state", slog.Any("err", e), slog.String("session", sess.ID))
		}
	}
	if err != nil {
		w.log.Error("live: writing timeline", slog.Any("err", err), slog.Int("events", len(rows)))
	}
	for _, it := range group {
		if it.done != nil {
			it.done(err)
		}
	}
}

func (w *timelineWriter) close(ctx context.Context) error {
	w.mu.Lock()
	if !w.shut {
		w.shut = true
		close(w.in)
	}
	w.mu.Unlock()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
