package groups

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/store"
)

// handle processes one frame from a peer. Decoding errors are answered with
// a coded error frame; nothing a peer sends can stop the room.
func (r *room) handle(ctx context.Context, c *conn, data []byte) {
	if m := r.s.opts.Metrics; m != nil {
		m.Messages.WithLabelValues("chat", "in").Inc()
	}
	in, err := Decode(data)
	if err != nil {
		r.mu.Lock()
		r.sendLocked(c, r.codedFrameLocked(c, apierr.From(err)))
		r.mu.Unlock()
		return
	}
	switch in.Type {
	case TypePing:
		r.private(c, outbound("pong", 0, map[string]any{"t": in.T}))
	case TypeSend:
		r.onSend(ctx, c, in.Send.Text)
	case TypeTyping:
		r.onTyping(c)
	case TypeReact:
		r.onReact(c, in.React)
	case TypeReport:
		r.onReport(ctx, c, in.Report)
	case TypeAvatar:
		r.onAvatar(c, in.Avatar)
	case TypePose:
		r.onPose(c, in.Pose)
	case TypeHand:
		r.onHand(c, in.Hand.Up)
	}
}

func (r *room) private(c *conn, frame []byte) {
	r.mu.Lock()
	r.sendLocked(c, frame)
	r.mu.Unlock()
}

func (r *room) replyError(c *conn, code string) {
	r.mu.Lock()
	r.sendLocked(c, r.errorFrameLocked(c, code))
	r.mu.Unlock()
}

func (r *room) notify(c *conn, id string, data map[string]any) {
	r.mu.Lock()
	r.sendLocked(c, r.noticeLocked(c.loc, id, data))
	r.mu.Unlock()
}

// mayPost checks the member's standing: admitted, room open, not muted, slow
// mode and the rate limits (tighter while the member is new). It returns the
// notice to send instead, or "".
func (r *room) mayPost(c *conn, now time.Time) (string, map[string]any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c.role == RoleModerator {
		return "", nil
	}
	switch {
	case !c.admitted:
		return "group.notice.lobby", nil
	case !r.openLocked(now):
		return "group.notice.waiting_moderator", nil
	case now.Before(c.mutedUntil):
		return "group.notice.muted", map[string]any{"Minutes": minutesLeft(c.mutedUntil, now)}
	}
	if sm := r.row.SlowModeSeconds; sm > 0 && now.Sub(c.lastSent) < time.Duration(sm)*time.Second {
		return "group.notice.slow_mode", map[string]any{"Seconds": sm}
	}
	lim := r.s.msgLimit
	if now.Sub(c.since) < r.s.limits().NewMemberWindow {
		lim = r.s.newLimit
	}
	if ok, _ := lim.Allow(c.key, now); !ok {
		return "group.notice.throttled", nil
	}
	c.lastSent = now
	return "", nil
}

func minutesLeft(until, now time.Time) int {
	return int(until.Sub(now)/time.Minute) + 1
}

// onSend runs a chat message through automatic moderation, in order:
// clean → crisis (held, private resources, moderators alerted) → word filter
// → PII redaction (sender told) → fan-out.
func (r *room) onSend(ctx context.Context, c *conn, raw string) {
	now := r.s.now()
	if id, data := r.mayPost(c, now); id != "" {
		r.notify(c, id, data)
		return
	}
	text := Sanitize(raw)
	if text == "" {
		return
	}
	f, err := r.s.phrase.get(ctx, r.row.ClinicID)
	if err != nil {
		r.s.log.Error("loading filters", slog.Any("err", err))
		r.replyError(c, string(apierr.Internal))
		return
	}
	folded := foldForMatch(text)
	redacted, kinds := Redact(text, r.loc.T("group.redacted", nil))
	if c.role == RoleMember && f.crisis.Match(folded) != "" {
		r.holdCrisis(ctx, c, redacted)
		return
	}
	if f.block.Match(folded) != "" {
		r.notify(c, "group.notice.filtered", nil)
		return
	}
	if len(kinds) > 0 {
		r.notify(c, "group.notice.redacted_why", nil)
	}
	rec := chatRecord{ID: store.NewID(), MemberID: c.memberID, Pseudonym: c.pseudonym, Role: c.role, Text: redacted, At: now}
	r.publish(rec, len(kinds) > 0)
}

// publish fans one message out to everyone in the room.
func (r *room) publish(rec chatRecord, redacted bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rememberLocked(rec)
	frame := outbound("chat.msg", r.nextSeq(), map[string]any{"id": rec.ID, "from": rec.Pseudonym, "from_id": rec.MemberID,
		"role": rec.Role, "text": rec.Text, "redacted": redacted, "at": rec.At.UnixMilli()})
	r.broadcastLocked(frame, inRoom)
}

// holdCrisis keeps a message with crisis language out of the room: the
// sender privately sees the clinic's crisis resources, moderators are
// alerted at once, and the message waits in the queue for a moderator.
// The member is never asked where they are: resources are the room's or
// clinic's country first, then the country of the member's browser
// language tag, then the rest (CLINICAL.md, safe-messaging practice).
func (r *room) holdCrisis(ctx context.Context, c *conn, text string) {
	item := store.GroupQueueItem{ID: store.NewID(), RoomID: r.row.ID, Kind: "crisis", MessageID: store.NewID(),
		Pseudonym: c.pseudonym, Text: text, CreatedAt: r.s.now().UTC()}
	if err := r.recordHold(ctx, item); err != nil {
		// The hold goes on: the message is never broadcast from here, and
		// the member's resources and the moderators' alert matter more than
		// the record. The error is logged for the operator (no text in it).
		r.s.log.Error("recording held crisis message", slog.String("room_id", item.RoomID),
			slog.String("queue_id", item.ID), slog.Any("err", err))
	}
	res, err := r.s.resourcesFor(ctx, r.row, c.region)
	if err != nil {
		r.s.log.Error("loading crisis resources", slog.Any("err", err))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sendLocked(c, outbound("crisis.resources", r.nextSeq(), map[string]any{
		"title": c.loc.T("group.crisis.title", nil), "text": c.loc.T("group.crisis.body", nil),
		"emergency": c.loc.T("group.crisis.emergency", nil), "held": c.loc.T("group.crisis.held", nil),
		"verified_label": c.loc.T("group.crisis.verified", nil), "resources": res}))
	r.alertLocked(map[string]any{"kind": "crisis", "queue_id": item.ID, "member_id": c.memberID, "pseudonym": c.pseudonym,
		"text": text, "message": r.loc.T("group.alert.crisis", map[string]any{"Name": c.pseudonym})})
}

// recordHold queues a held message for review and audits the hold. Each is
// tried even if the other fails: the audit says the message was held, which
// is true whether or not the queue took it.
func (r *room) recordHold(ctx context.Context, item store.GroupQueueItem) error {
	var errs []error
	if err := r.s.store.DB.WithContext(ctx).Create(&item).Error; err != nil {
		errs = append(errs, fmt.Errorf("groups: queueing held crisis message: %w", err))
	} else {
		r.s.queueChanged(r.row, item, "added")
	}
	ev := store.AuditEvent{ClinicID: r.row.ClinicID, ActorID: "automod", Action: "group.crisis_held", Target: "group_room",
		TargetID: item.RoomID, Detail: detail(map[string]any{"pseudonym": item.Pseudonym, "queue_id": item.ID})}
	if err := store.Audit(ctx, r.s.store.DB, ev); err != nil {
		errs = append(errs, fmt.Errorf("groups: auditing held crisis message: %w", err))
	}
	return errors.Join(errs...)
}

func (r *room) onTyping(c *conn) {
	now := r.s.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if !inRoom(c) || now.Before(c.mutedUntil) || now.Sub(c.lastTyping) < r.s.limits().TypingInterval {
		return
	}
	c.lastTyping = now
	frame := outbound("chat.typing", r.nextSeq(), map[string]any{"from": c.pseudonym})
	r.broadcastLocked(frame, func(o *conn) bool { return o != c && inRoom(o) })
}

func (r *room) onReact(c *conn, b ReactBody) {
	now := r.s.now()
	if id, data := r.mayPost(c, now); id != "" {
		r.notify(c, id, data)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, i := r.findLocked(b.Msg); i < 0 {
		return
	}
	frame := outbound("chat.react", r.nextSeq(), map[string]any{"msg": b.Msg, "emoji": b.Emoji, "from": c.pseudonym})
	r.broadcastLocked(frame, inRoom)
}

// onReport puts a message in the moderator queue ("I'm worried about this
// person" or "this is harmful") and alerts moderators.
func (r *room) onReport(ctx context.Context, c *conn, b ReportBody) {
	if ok, _ := r.s.newLimit.Allow("report:"+c.key, r.s.now()); !ok {
		r.notify(c, "group.notice.throttled", nil)
		return
	}
	r.mu.Lock()
	rec, i := r.findLocked(b.Msg)
	r.mu.Unlock()
	if i < 0 || !inRoomSafe(r, c) {
		return
	}
	item := store.GroupQueueItem{ID: store.NewID(), RoomID: r.row.ID, Kind: "report_" + b.Reason, MessageID: rec.ID,
		Pseudonym: rec.Pseudonym, Text: rec.Text, Reporter: c.pseudonym, CreatedAt: r.s.now().UTC()}
	if err := r.s.store.DB.WithContext(ctx).Create(&item).Error; err != nil {
		r.s.log.Error("queueing report", slog.Any("err", err))
		r.replyError(c, string(apierr.Internal))
		return
	}
	r.s.queueChanged(r.row, item, "added")
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sendLocked(c, r.noticeLocked(c.loc, "group.notice.reported", nil))
	r.alertLocked(map[string]any{"kind": item.Kind, "queue_id": item.ID, "member_id": rec.MemberID, "pseudonym": rec.Pseudonym,
		"text": rec.Text, "reporter": c.pseudonym, "message": r.loc.T("group.alert.report", map[string]any{"Name": rec.Pseudonym})})
}

func inRoomSafe(r *room, c *conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return inRoom(c)
}

func itoa(n int) string { return strconv.Itoa(n) }
