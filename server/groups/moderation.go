package groups

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/auth"
	"github.com/havenvr/haven/server/clinic"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/web"
)

// Moderator actions.
const (
	ActMute     = "mute"
	ActUnmute   = "unmute"
	ActRemove   = "remove"
	ActBan      = "ban"
	ActDelete   = "delete"
	ActSlowMode = "slow_mode"
	ActLock     = "lock"
	ActUnlock   = "unlock"
	ActAdmit    = "admit"
	ActEnd      = "end"
	// Voice in a circle (circle.go): held in the room's memory, audited
	// like every action, and never stored with the member.
	ActVoiceMute    = "voice_mute"
	ActVoiceUnmute  = "voice_unmute"
	ActVoiceMuteAll = "voice_mute_all"
	ActOrderOn      = "speaking_order_on"
	ActOrderOff     = "speaking_order_off"
	ActGiveTurn     = "give_turn"
)

var memberActions = map[string]bool{ActMute: true, ActUnmute: true, ActRemove: true, ActBan: true, ActAdmit: true,
	ActVoiceMute: true, ActVoiceUnmute: true, ActGiveTurn: true}

// ActionRequest is one moderator action.
type ActionRequest struct {
	Action    string `json:"action"`
	MemberID  string `json:"member_id"`
	MessageID string `json:"message_id"`
	Seconds   int    `json:"seconds"`
	Reason    string `json:"reason"`
}

func detail(m map[string]any) string {
	b, _ := json.Marshal(m)
	return string(b)
}

// action applies a moderator action. Every action is an audit event naming
// the moderator, the target pseudonym and the reason, committed before the
// room is told.
func (s *Service) action(c echo.Context) error {
	p := auth.From(c)
	row, err := s.roomOf(c)
	if err != nil {
		return err
	}
	var req ActionRequest
	if err := web.BindJSON(c, &req); err != nil {
		return err
	}
	req.Reason = Sanitize(req.Reason)
	if len([]rune(req.Reason)) > 500 {
		return apierr.Invalid("reason", "at most 500 characters")
	}
	if row.EndedAt != nil {
		return apierr.New(apierr.SessionState).With("State", string(StateEnded))
	}
	ctx := c.Request().Context()
	var m store.GroupMember
	if memberActions[req.Action] {
		if err := s.store.DB.WithContext(ctx).Take(&m, "id = ? AND room_id = ?", req.MemberID, row.ID).Error; err != nil {
			return apierr.Invalid("member_id", "not a member of this room")
		}
	}
	ev := store.AuditEvent{ClinicID: row.ClinicID, ActorID: p.User.ID, Action: "group." + req.Action, Target: "group_room", TargetID: row.ID}
	info := map[string]any{"reason": req.Reason}
	if m.ID != "" {
		info["pseudonym"], info["member_id"] = m.Pseudonym, m.ID
	}
	apply, err := s.prepare(ctx, row, m, req, info)
	if err != nil {
		return err
	}
	undoSeat, err := s.seatToAdmit(ctx, m, req.Action)
	if err != nil {
		return err
	}
	ev.Detail = detail(info)
	err = s.store.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := apply(tx); err != nil {
			return err
		}
		return store.Audit(ctx, tx, ev)
	})
	if err != nil {
		undoSeat()
		if errors.Is(err, errAlreadyEnded) {
			return apierr.New(apierr.SessionState).With("State", string(StateEnded))
		}
		return apierr.Errorf("groups: %s: %w", req.Action, err)
	}
	s.announce(ctx, row, m, req, info)
	if id, ok := info["queue_id"].(string); ok && req.Action == ActDelete {
		s.queueChanged(row, store.GroupQueueItem{ID: id, Kind: "deleted"}, "added")
	}
	return c.JSON(http.StatusOK, map[string]any{"ok": true, "action": req.Action})
}

// prepare validates an action and returns its database change.
func (s *Service) prepare(ctx context.Context, row store.GroupRoom, m store.GroupMember, req ActionRequest, info map[string]any) (func(*gorm.DB) error, error) {
	now := s.now().UTC()
	memberUpdate := func(cols map[string]any) func(*gorm.DB) error {
		return func(tx *gorm.DB) error {
			return tx.Model(&store.GroupMember{}).Where("id = ?", m.ID).Updates(cols).Error
		}
	}
	roomUpdate := func(cols map[string]any) func(*gorm.DB) error {
		return func(tx *gorm.DB) error {
			return tx.Model(&store.GroupRoom{}).Where("id = ?", row.ID).Updates(cols).Error
		}
	}
	switch req.Action {
	case ActMute:
		if req.Seconds < 10 || req.Seconds > 7*86400 {
			return nil, apierr.Invalid("seconds", "10 seconds to 7 days")
		}
		until := now.Add(time.Duration(req.Seconds) * time.Second)
		info["until"] = until
		return memberUpdate(map[string]any{"muted_until": until}), nil
	case ActUnmute:
		return memberUpdate(map[string]any{"muted_until": nil}), nil
	case ActRemove:
		return memberUpdate(map[string]any{"removed_at": now, "admitted_at": nil}), nil
	case ActBan:
		return memberUpdate(map[string]any{"banned_at": now, "admitted_at": nil}), nil
	case ActAdmit:
		return memberUpdate(map[string]any{"admitted_at": now, "removed_at": nil}), nil
	case ActSlowMode:
		if req.Seconds < 0 || req.Seconds > 600 {
			return nil, apierr.Invalid("seconds", "0 to 600")
		}
		info["seconds"] = req.Seconds
		return roomUpdate(map[string]any{"slow_mode_seconds": req.Seconds}), nil
	case ActLock, ActUnlock:
		return roomUpdate(map[string]any{"locked": req.Action == ActLock}), nil
	case ActVoiceMute, ActVoiceUnmute, ActVoiceMuteAll, ActOrderOn, ActOrderOff, ActGiveTurn:
		if row.Space == "" {
			return nil, apierr.Invalid("action", "voice actions are for a room that opens as a circle")
		}
		return func(*gorm.DB) error { return nil }, nil // the audit event is the only record
	case ActDelete:
		return s.prepareDelete(row, req, info)
	case ActEnd:
		return s.prepareEnd(row, now), nil
	}
	return nil, apierr.Invalid("action", "unknown action")
}

// prepareDelete hides a message from the room at once but keeps it for the
// review window, so a moderator's deletion can itself be reviewed.
func (s *Service) prepareDelete(row store.GroupRoom, req ActionRequest, info map[string]any) (func(*gorm.DB) error, error) {
	r := s.loaded(row.ID)
	if r == nil {
		return nil, apierr.Invalid("message_id", "no such message")
	}
	r.mu.Lock()
	rec, i := r.findLocked(req.MessageID)
	r.mu.Unlock()
	if i < 0 {
		return nil, apierr.Invalid("message_id", "no such message")
	}
	info["pseudonym"], info["message_id"], info["member_id"] = rec.Pseudonym, rec.ID, rec.MemberID
	purge := s.now().UTC().Add(s.limits().DeleteReview)
	item := store.GroupQueueItem{ID: store.NewID(), RoomID: row.ID, Kind: "deleted", MessageID: rec.ID, Pseudonym: rec.Pseudonym,
		Text: rec.Text, CreatedAt: s.now().UTC(), PurgeAt: &purge}
	info["queue_id"] = item.ID
	return func(tx *gorm.DB) error { return tx.Create(&item).Error }, nil
}

// errAlreadyEnded rolls back an end that another one got to first.
var errAlreadyEnded = errors.New("groups: room already ended")

// prepareEnd ends the room: member records (token hashes, pseudonyms) go at
// once; review items go now or after the room's retention days. The audit
// trail stays, by clinic policy.
func (s *Service) prepareEnd(row store.GroupRoom, now time.Time) func(*gorm.DB) error {
	return func(tx *gorm.DB) error {
		// Only a room not yet ended: a moderator and the schedule may end
		// it at the same moment, and it ends (and is audited) once.
		res := tx.Model(&store.GroupRoom{}).Where("id = ? AND ended_at IS NULL", row.ID).Update("ended_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errAlreadyEnded
		}
		if row.RetainDays == 0 {
			if err := tx.Where("room_id = ?", row.ID).Delete(&store.GroupQueueItem{}).Error; err != nil {
				return err
			}
		} else {
			// Items already due sooner (soft-deleted messages, gone after
			// their review window) keep their date: retention never
			// lengthens a deletion's life.
			purge := now.Add(time.Duration(row.RetainDays) * 24 * time.Hour)
			if err := tx.Model(&store.GroupQueueItem{}).Where("room_id = ? AND (purge_at IS NULL OR purge_at > ?)", row.ID, purge).
				Update("purge_at", purge).Error; err != nil {
				return err
			}
		}
		return tx.Where("room_id = ?", row.ID).Delete(&store.GroupMember{}).Error
	}
}

// announce applies a committed action to the live room.
func (s *Service) announce(ctx context.Context, row store.GroupRoom, m store.GroupMember, req ActionRequest, info map[string]any) {
	r := s.loaded(row.ID)
	if r == nil {
		return
	}
	if req.Action == ActEnd {
		s.closeEnded(row.ID, r)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	target := r.conns[m.ID]
	switch req.Action {
	case ActMute:
		if target != nil {
			r.muteStartedLocked(target, info["until"].(time.Time))
		}
	case ActUnmute:
		if target != nil {
			r.muteEndedLocked(target)
			r.scheduleMuteLiftLocked()
		}
	case ActRemove, ActBan:
		if target != nil {
			id := "group.notice.removed"
			r.sendLocked(target, r.noticeLocked(target.loc, id, nil))
			r.dropLocked(target)
		}
		delete(r.holds, m.ID) // the seat is free at once
	case ActAdmit:
		if target != nil && !target.admitted {
			target.admitted = true
			r.seatLocked(target)
			if target.voice != nil {
				r.voiceLocked()
				r.sendLocked(target, r.voiceYouLocked(target, s.now()))
			}
			r.sendLocked(target, r.welcomeLocked(target))
			if r.circleLocked() {
				r.sendVoiceStateLocked(target)
				r.sendPosesLocked(target)
			}
			r.sendLocked(target, r.noticeLocked(target.loc, "group.notice.admitted", nil))
			r.joinedLocked(presenceOf(target))
			r.lobbyChangedLocked()
		}
	case ActDelete:
		if _, i := r.findLocked(req.MessageID); i >= 0 {
			r.recent = append(r.recent[:i], r.recent[i+1:]...)
		}
		r.broadcastLocked(outbound("chat.deleted", r.nextSeq(), map[string]any{"msg": req.MessageID,
			"text": r.loc.T("group.notice.message_deleted", nil)}), inRoom)
	case ActSlowMode:
		r.row.SlowModeSeconds = req.Seconds
		id := "group.notice.slow_mode_on"
		if req.Seconds == 0 {
			id = "group.notice.slow_mode_off"
		}
		r.broadcastLocked(r.noticeLocked(r.loc, id, map[string]any{"Seconds": req.Seconds}), inRoom)
	case ActLock, ActUnlock:
		r.row.Locked = req.Action == ActLock
		r.broadcastLocked(r.noticeLocked(r.loc, "group.notice."+req.Action+"ed", nil), inRoom)
	case ActVoiceMute, ActVoiceUnmute, ActVoiceMuteAll, ActOrderOn, ActOrderOff, ActGiveTurn:
		r.voiceActionLocked(req.Action, target)
	}
	r.voiceSyncLocked() // a mute, an admission or a removal changes who is heard
	// Every moderator sees every action at once.
	r.broadcastLocked(outbound("mod.action", r.nextSeq(), map[string]any{"action": req.Action, "info": info}), isModerator)
}

// closeEnded tells everyone in an ended room and closes its peers.
func (s *Service) closeEnded(roomID string, r *room) {
	r.mu.Lock()
	r.broadcastLocked(outbound("room.ended", r.nextSeq(), map[string]any{}), nil)
	r.mu.Unlock()
	r.closeAll("group.notice.ended")
	s.mu.Lock()
	delete(s.rooms, roomID)
	s.mu.Unlock()
	s.router().Release(groupKey(roomID))
}

// AuditEntry is one moderation event as moderators see it.
type AuditEntry struct {
	ID        uint64         `json:"id"`
	Action    string         `json:"action"`
	ActorID   string         `json:"actor_id"`
	ActorName string         `json:"actor_name,omitempty"`
	Detail    map[string]any `json:"detail"`
	At        time.Time      `json:"at"`
}

func (s *Service) audit(c echo.Context) error {
	row, err := s.roomOf(c)
	if err != nil {
		return err
	}
	var evs []store.AuditEvent
	if err := s.store.DB.WithContext(c.Request().Context()).Where("clinic_id = ? AND target = ? AND target_id = ?", row.ClinicID, "group_room", row.ID).
		Order("id").Limit(2000).Find(&evs).Error; err != nil {
		return apierr.Errorf("groups: listing audit: %w", err)
	}
	names := map[string]string{}
	var users []store.User
	s.store.DB.WithContext(c.Request().Context()).Select("id", "name", "email").Where("clinic_id = ?", row.ClinicID).Find(&users)
	for _, u := range users {
		names[u.ID] = u.Name
		if u.Name == "" {
			names[u.ID] = u.Email
		}
	}
	out := make([]AuditEntry, 0, len(evs))
	for _, e := range evs {
		d := map[string]any{}
		_ = json.Unmarshal([]byte(e.Detail), &d)
		out = append(out, AuditEntry{ID: e.ID, Action: e.Action, ActorID: e.ActorID, ActorName: names[e.ActorID], Detail: d, At: e.CreatedAt})
	}
	return c.JSON(http.StatusOK, out)
}

// QueueItem is a message awaiting a moderator.
type QueueItem struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	MessageID string    `json:"message_id"`
	Pseudonym string    `json:"pseudonym"`
	Text      string    `json:"text"`
	Reporter  string    `json:"reporter,omitempty"`
	At        time.Time `json:"at"`
}

func (s *Service) queue(c echo.Context) error {
	row, err := s.roomOf(c)
	if err != nil {
		return err
	}
	var items []store.GroupQueueItem
	if err := s.store.DB.WithContext(c.Request().Context()).Where("room_id = ? AND resolved_at IS NULL", row.ID).
		Order("created_at").Find(&items).Error; err != nil {
		return apierr.Errorf("groups: listing queue: %w", err)
	}
	out := make([]QueueItem, 0, len(items))
	for _, it := range items {
		out = append(out, QueueItem{ID: it.ID, Kind: it.Kind, MessageID: it.MessageID, Pseudonym: it.Pseudonym, Text: it.Text, Reporter: it.Reporter, At: it.CreatedAt})
	}
	return c.JSON(http.StatusOK, out)
}

// resolve closes a queue item. "release" publishes a held message (the
// moderator judged it safe to share, e.g. after talking with the member);
// "dismiss" keeps it out. Either is audited.
func (s *Service) resolve(c echo.Context) error {
	p := auth.From(c)
	row, err := s.roomOf(c)
	if err != nil {
		return err
	}
	var req struct {
		Decision string `json:"decision"`
		Reason   string `json:"reason"`
	}
	if err := web.BindJSON(c, &req); err != nil {
		return err
	}
	if req.Decision != "release" && req.Decision != "dismiss" {
		return apierr.Invalid("decision", "release or dismiss")
	}
	ctx := c.Request().Context()
	var it store.GroupQueueItem
	if err := s.store.DB.WithContext(ctx).Take(&it, "id = ? AND room_id = ? AND resolved_at IS NULL", c.Param("item"), row.ID).Error; err != nil {
		return apierr.New(apierr.NotFound)
	}
	if req.Decision == "release" && it.Kind != "crisis" {
		return apierr.Invalid("decision", "only held messages can be released")
	}
	now := s.now().UTC()
	err = s.store.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&store.GroupQueueItem{}).Where("id = ?", it.ID).
			Updates(map[string]any{"resolved_at": now, "resolved_by": p.User.ID, "decision": req.Decision}).Error; err != nil {
			return err
		}
		return store.Audit(ctx, tx, store.AuditEvent{ClinicID: row.ClinicID, ActorID: p.User.ID, Action: "group.queue_" + req.Decision,
			Target: "group_room", TargetID: row.ID, Detail: detail(map[string]any{"pseudonym": it.Pseudonym, "queue_id": it.ID, "kind": it.Kind, "reason": Sanitize(req.Reason)})})
	})
	if err != nil {
		return apierr.Errorf("groups: resolving queue item: %w", err)
	}
	s.queueChanged(row, it, "resolved")
	if r := s.loaded(row.ID); r != nil && req.Decision == "release" {
		r.publish(chatRecord{ID: it.MessageID, MemberID: s.senderID(ctx, it), Pseudonym: it.Pseudonym, Role: RoleMember,
			Text: it.Text, At: now}, false)
	}
	return c.JSON(http.StatusOK, map[string]any{"ok": true})
}

// senderID finds the member who wrote a held message, so that clients
// attribute the released message to the right pseudonym as they do any
// other (from_id). Pseudonyms are unique within a room, and member records
// last as long as the room. "" (logged) if the sender cannot be found: the
// message still goes out, under its pseudonym.
func (s *Service) senderID(ctx context.Context, it store.GroupQueueItem) string {
	var m store.GroupMember
	err := s.store.DB.WithContext(ctx).Select("id").Take(&m, "room_id = ? AND pseudonym = ?", it.RoomID, it.Pseudonym).Error
	if err != nil {
		s.log.Warn("releasing a held message without its sender's id", slog.String("queue_id", it.ID),
			slog.Any("err", fmt.Errorf("groups: finding the sender: %w", err)))
		return ""
	}
	return m.ID
}

// RecheckDays is how long a helpline's last check stays current unless the
// clinic set its own period: a line not re-checked for longer is sent marked
// stale, and the member page says so beside it, or, if the clinic chose
// so, left out (numbers change; a dead line in a crisis does harm).
const RecheckDays = 365

// resourcesFor lists crisis resources for a member of a room: the clinic's
// curated list if it has one, else the built-in defaults; the room's (or
// clinic's) country first — the lines the clinic vetted for the people it
// serves — then the member's own (the region of their browser's language
// tag, never asked), then the rest, then the international directory.
// Within each group, lines checked recently come before stale ones; a
// clinic that hides stale lines sees them left out, unless that would leave
// the panel empty.
func (s *Service) resourcesFor(ctx context.Context, row store.GroupRoom, region string) ([]CrisisResource, error) {
	var cl store.Clinic
	if err := s.store.DB.WithContext(ctx).Select("country", "crisis_recheck_days", "hide_stale_crisis_lines").Take(&cl, "id = ?", row.ClinicID).Error; err != nil {
		s.log.Warn("crisis resources: reading the clinic's settings", slog.Any("err", err))
	}
	country := row.Country
	if country == "" {
		country = cl.Country
	}
	days := cl.CrisisRecheckDays
	if days <= 0 {
		days = RecheckDays
	}
	list, err := s.clinicResources(ctx, row.ClinicID)
	if err != nil || len(list) == 0 {
		list = BuiltinResources()
	}
	staleBefore := s.now().Add(-time.Duration(days) * 24 * time.Hour)
	for i := range list {
		list[i].Stale = list[i].LastVerified.Before(staleBefore)
	}
	if cl.HideStaleCrisisLines {
		if fresh := slices.DeleteFunc(slices.Clone(list), func(r CrisisResource) bool { return r.Stale }); len(fresh) > 0 {
			list = fresh
		}
	}
	rank := func(r CrisisResource) int {
		switch {
		case r.Country != "" && r.Country == country:
			return 0
		case r.Country != "" && r.Country == region:
			return 1
		case r.Country != "":
			return 2
		}
		return 3
	}
	out := slices.Clone(list)
	slices.SortStableFunc(out, func(a, b CrisisResource) int {
		if d := rank(a) - rank(b); d != 0 {
			return d
		}
		switch {
		case a.Stale == b.Stale:
			return 0
		case b.Stale:
			return -1
		}
		return 1
	})
	return out, err
}

// CrisisLine is the helpline a patient's headset shows when its link is lost:
// the clinic's curated line for the clinic's country, else the built-in one
// for that country. ok is false when neither has a number: a line for
// another country would be worse than none (the headset then shows its
// localized advice alone).
func (s *Service) CrisisLine(ctx context.Context, clinicID string) (CrisisResource, bool) {
	var cl store.Clinic
	if err := s.store.DB.WithContext(ctx).Select("country").Take(&cl, "id = ?", clinicID).Error; err != nil || cl.Country == "" {
		return CrisisResource{}, false
	}
	curated, err := s.clinicResources(ctx, clinicID)
	if err != nil {
		s.log.Warn("crisis line: falling back to the built-in helplines", slog.String("error", err.Error()))
	}
	for _, list := range [][]CrisisResource{curated, BuiltinResources()} {
		for _, r := range list {
			if r.Country == cl.Country && r.Phone != "" {
				return r, true
			}
		}
	}
	return CrisisResource{}, false
}

func (s *Service) clinicResources(ctx context.Context, clinicID string) ([]CrisisResource, error) {
	var rows []store.GroupCrisisResource
	if err := s.store.DB.WithContext(ctx).Where("clinic_id = ?", clinicID).Order("country, name").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("groups: loading crisis resources: %w", err)
	}
	out := make([]CrisisResource, 0, len(rows))
	for _, r := range rows {
		out = append(out, CrisisResource{ID: r.ID, Country: r.Country, Name: r.Name, Phone: r.Phone, Text: r.Text, URL: r.URL, Hours: r.Hours, LastVerified: r.LastVerified})
	}
	return out, nil
}

func (s *Service) listResources(c echo.Context) error {
	list, err := s.clinicResources(c.Request().Context(), auth.From(c).User.ClinicID)
	if err != nil {
		return apierr.Wrap(apierr.Internal, err)
	}
	return c.JSON(http.StatusOK, map[string]any{"clinic": list, "builtin": BuiltinResources()})
}

func (s *Service) putResources(c echo.Context) error {
	p := auth.From(c)
	var req []CrisisResource
	if err := web.BindJSON(c, &req); err != nil {
		return err
	}
	if len(req) > 200 {
		return apierr.Invalid("resources", "at most 200")
	}
	rows := make([]store.GroupCrisisResource, 0, len(req))
	for i, r := range req {
		f := "resources[" + strconv.Itoa(i) + "]"
		r.Name, r.Phone, r.Text, r.URL, r.Hours = Sanitize(r.Name), Sanitize(r.Phone), Sanitize(r.Text), Sanitize(r.URL), Sanitize(r.Hours)
		if r.Name == "" || len(r.Name) > 200 || len(r.Phone) > 40 || len(r.Text) > 40 || len(r.URL) > 300 || len(r.Hours) > 100 {
			return apierr.Invalid(f, "name required; fields within their sizes")
		}
		if r.Phone == "" && r.URL == "" && r.Text == "" {
			return apierr.Invalid(f, "a phone number, text line or web address is required")
		}
		if r.Country != "" {
			code, ok := clinic.ParseCountry(r.Country)
			if !ok {
				return apierr.Invalid(f+".country", "an ISO 3166-1 two-letter country code, or empty for every country")
			}
			r.Country = code
		}
		if r.LastVerified.IsZero() || r.LastVerified.After(s.now().Add(24*time.Hour)) {
			return apierr.Invalid(f+".last_verified", "the date the number was last checked")
		}
		rows = append(rows, store.GroupCrisisResource{ID: store.NewID(), ClinicID: p.User.ClinicID, Country: r.Country, Name: r.Name,
			Phone: r.Phone, Text: r.Text, URL: r.URL, Hours: r.Hours, LastVerified: r.LastVerified.UTC(), UpdatedBy: p.User.ID})
	}
	ctx := c.Request().Context()
	err := s.store.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("clinic_id = ?", p.User.ClinicID).Delete(&store.GroupCrisisResource{}).Error; err != nil {
			return err
		}
		if len(rows) > 0 {
			if err := tx.Create(&rows).Error; err != nil {
				return err
			}
		}
		return store.Audit(ctx, tx, store.AuditEvent{ClinicID: p.User.ClinicID, ActorID: p.User.ID, Action: "group.resources_update",
			Target: "clinic", TargetID: p.User.ClinicID, Detail: detail(map[string]any{"count": len(rows)})})
	})
	if err != nil {
		return apierr.Errorf("groups: saving crisis resources: %w", err)
	}
	return c.JSON(http.StatusOK, map[string]any{"count": len(rows)})
}

// maxPhrase is the longest block or crisis phrase, in characters.
const maxPhrase = 200

func phraseParams(c echo.Context) (string, string, error) {
	loc, kind := c.Param("locale"), c.Param("kind")
	if !shipped(loc) {
		return "", "", apierr.Invalid("locale", "a shipped locale")
	}
	if kind != KindBlock && kind != KindCrisis {
		return "", "", apierr.Invalid("kind", "block or crisis")
	}
	return loc, kind, nil
}

func (s *Service) getPhrases(c echo.Context) error {
	loc, kind, err := phraseParams(c)
	if err != nil {
		return err
	}
	list, custom, err := s.PhraseList(c.Request().Context(), auth.From(c).User.ClinicID, loc, kind)
	if err != nil {
		return apierr.Wrap(apierr.Internal, err)
	}
	return c.JSON(http.StatusOK, map[string]any{"locale": loc, "kind": kind, "phrases": list, "custom": custom})
}

func (s *Service) putPhrases(c echo.Context) error {
	p := auth.From(c)
	loc, kind, err := phraseParams(c)
	if err != nil {
		return err
	}
	var req struct {
		// A pointer: a body without the list is a mistake, not "clear it"
		// (an explicit [] clears the list).
		Phrases *[]string `json:"phrases"`
	}
	if err := web.BindJSON(c, &req); err != nil {
		return err
	}
	if req.Phrases == nil {
		return apierr.Invalid("phrases", "required (an empty list clears it)")
	}
	if len(*req.Phrases) > 1000 {
		return apierr.Invalid("phrases", "at most 1000")
	}
	clean := make([]string, 0, len(*req.Phrases))
	for i, ph := range *req.Phrases {
		if utf8.RuneCountInString(ph) > maxPhrase {
			return apierr.Invalid("phrases["+strconv.Itoa(i)+"]", "at most 200 characters")
		}
		if ph = Sanitize(ph); ph != "" {
			clean = append(clean, ph)
		}
	}
	data, _ := json.Marshal(clean)
	row := store.GroupPhraseList{ClinicID: p.User.ClinicID, Locale: loc, Kind: kind, Phrases: string(data), UpdatedBy: p.User.ID, UpdatedAt: s.now().UTC()}
	ctx := c.Request().Context()
	err = s.store.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Save(&row).Error; err != nil {
			return err
		}
		return store.Audit(ctx, tx, store.AuditEvent{ClinicID: p.User.ClinicID, ActorID: p.User.ID, Action: "group.phrases_update",
			Target: "clinic", TargetID: p.User.ClinicID, Detail: detail(map[string]any{"locale": loc, "kind": kind, "count": len(clean)})})
	})
	if err != nil {
		return apierr.Errorf("groups: saving phrases: %w", err)
	}
	s.phrase.invalidate(p.User.ClinicID)
	return c.JSON(http.StatusOK, map[string]any{"locale": loc, "kind": kind, "phrases": clean})
}

// resetPhrases drops the clinic's own list for a locale and kind, so the
// built-in one applies again (an empty saved list would mean "none").
func (s *Service) resetPhrases(c echo.Context) error {
	p := auth.From(c)
	loc, kind, err := phraseParams(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	err = s.store.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Where("clinic_id = ? AND locale = ? AND kind = ?", p.User.ClinicID, loc, kind).Delete(&store.GroupPhraseList{})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		return store.Audit(ctx, tx, store.AuditEvent{ClinicID: p.User.ClinicID, ActorID: p.User.ID, Action: "group.phrases_reset",
			Target: "clinic", TargetID: p.User.ClinicID, Detail: detail(map[string]any{"locale": loc, "kind": kind})})
	})
	if err != nil {
		return apierr.Errorf("groups: resetting phrases: %w", err)
	}
	s.phrase.invalidate(p.User.ClinicID)
	list, _, err := s.PhraseList(ctx, p.User.ClinicID, loc, kind)
	if err != nil {
		return apierr.Wrap(apierr.Internal, err)
	}
	return c.JSON(http.StatusOK, map[string]any{"locale": loc, "kind": kind, "phrases": list, "custom": false})
}
