package live

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/havenvr/haven/protocols"
	"github.com/havenvr/haven/server/store"
)

// resume rebuilds the room of a session that had started before this room
// existed: on a node that died (its lease passed to this one, DESIGN.md
// §10) or before this server restarted. The engine replays the session's
// recorded inputs (the event log is deterministic), which restores its
// step and the scene the patient had. It only reads: the room may yet be
// dropped unused (loadRoom), and resumed records the rest once it is kept.
func (r *room) resume(ctx context.Context) error {
	if r.sess.StartedAt == nil || (r.sess.State != store.LiveLive && r.sess.State != store.LivePaused) {
		return nil
	}
	events := []protocols.Event{{Type: protocols.EvStart}} // a composition records no inputs
	if r.proto != nil {
		var bodies []string
		if err := r.svc.opts.Store.DB.WithContext(ctx).Model(&store.TimelineEvent{}).
			Where("session_id = ? AND kind = ?", r.id, inputKind).Order("id").Pluck("body", &bodies).Error; err != nil {
			return fmt.Errorf("live: reading the event log to resume: %w", err)
		}
		events = events[:0]
		for _, b := range bodies {
			var ev protocols.Event
			if err := json.Unmarshal([]byte(b), &ev); err != nil {
				return fmt.Errorf("live: event log of %s: %w", r.id, err)
			}
			events = append(events, ev)
		}
	}
	for _, ev := range events {
		for _, c := range r.drv.Handle(ev) {
			r.replayScene(c)
		}
	}
	now := time.Now()
	r.started, r.lastTick, r.resuming = true, now, len(events)
	r.eval.Start(now.UnixMilli())
	return nil
}

// resumed finishes resume on the room loadRoom kept: the link counts as
// lost, so the patient comes back to the calm scene and the session stays
// paused until the therapist resumes (DESIGN.md §3). Runs on the room's owner.
func (r *room) resumed() {
	if r.resuming == 0 {
		return
	}
	r.svc.tl.add(event(r.id, "room.resumed", "server", resumedEvent{Inputs: r.resuming}), nil)
	r.resuming = 0
	r.connLost("server_moved")
}

// replayScene keeps the scene a replayed command leaves the patient in.
func (r *room) replayScene(c protocols.Command) {
	switch cmd := c.Body.(type) {
	case protocols.SceneLoad:
		sl := wireScene(cmd)
		r.scene = &sl
		r.sceneAnchors()
	case protocols.SceneSet:
		r.mergeScene(cmd.Params)
	}
}
