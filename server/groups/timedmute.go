package groups

import "time"

// A moderator's timed mute (ActMute, N seconds) pauses a member's messages
// and, in a circle, their voice (maySpeakLocked), and it ends by itself:
// one timer per room, set for the earliest mute end among the peers
// present, lifts every mute that is due, tells the member in their
// language (their voice.you says they may speak again) and brings the
// voice forwarding in line. The stored muted_until needs no change: it is
// simply in the past. A member who reconnects during a mute gets the rest
// of it (memberPeer), and one who reconnects after it has none.

// muteStartedLocked applies a committed timed mute to a connected member.
func (r *room) muteStartedLocked(c *conn, until time.Time) {
	now := r.s.now()
	c.mutedUntil = until
	id := "group.notice.muted"
	if c.voice != nil {
		id = "group.notice.muted_circle"
	}
	r.sendLocked(c, r.noticeLocked(c.loc, id, map[string]any{"Minutes": minutesLeft(until, now)}))
	if c.voice != nil && inRoom(c) {
		r.sendLocked(c, r.voiceYouLocked(c, now))
	}
	r.scheduleMuteLiftLocked()
}

// muteEndedLocked tells a member whose mute a moderator lifted, or whose
// time ran out, that they may write (and speak) again.
func (r *room) muteEndedLocked(c *conn) {
	c.mutedUntil = time.Time{}
	id := "group.notice.unmuted"
	if c.voice != nil {
		id = "group.notice.unmuted_circle"
	}
	r.sendLocked(c, r.noticeLocked(c.loc, id, nil))
	if c.voice != nil && inRoom(c) {
		r.sendLocked(c, r.voiceYouLocked(c, r.s.now()))
	}
}

// scheduleMuteLiftLocked sets the room's timer for the earliest mute end
// (or stops it when no one present is muted).
func (r *room) scheduleMuteLiftLocked() {
	if r.muteLift != nil {
		r.muteLift.Stop()
		r.muteLift = nil
	}
	var next time.Time
	for _, c := range r.conns {
		if !c.mutedUntil.IsZero() && (next.IsZero() || c.mutedUntil.Before(next)) {
			next = c.mutedUntil
		}
	}
	if next.IsZero() || r.ended {
		return
	}
	r.muteLift = time.AfterFunc(max(next.Sub(r.s.now()), 0), r.liftMutes)
}

// liftMutes ends the mutes that are due by the service's clock and sets
// the timer for the next.
func (r *room) liftMutes() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return
	}
	now := r.s.now()
	lifted := false
	for _, c := range r.conns {
		if !c.mutedUntil.IsZero() && !now.Before(c.mutedUntil) {
			r.muteEndedLocked(c)
			if inRoom(c) {
				r.joinedLocked(presenceOf(c)) // the moderators' lists follow
			}
			lifted = true
		}
	}
	if lifted {
		r.voiceSyncLocked()
	}
	r.scheduleMuteLiftLocked()
}
