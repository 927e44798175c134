package groups

import (
	"hash/fnv"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/havenvr/haven/server/apierr"
)

// A support room with a Space opens as a circle: a calming scene (one of
// the headset's calm templates) with a seat for each person present, the
// moderator's seat marked, and an anonymous avatar on each seat whose head
// and hands follow the member's pose. Seats, avatars, poses, raised hands
// and the speaking order live in the room's memory only: nothing about a
// member's position or voice is written to the database (docs/threat-model.md).

// Spaces are the calming scenes a circle can open in (webxr template ids).
var Spaces = []string{"forest", "beach", "night_sky", "neutral_room"}

// Avatar is a member's chosen figure: a simple shape, a colour and an
// accessory, never a photo, a camera image or a face. The choices are
// abstract on purpose: no skin tones, no gendered or religious items.
type Avatar struct {
	Shape     string `json:"shape"`
	Colour    string `json:"colour"`
	Accessory string `json:"accessory"`
}

// The avatar choices (clients/room draws each; docs/groups.md lists them).
var (
	AvatarShapes      = []string{"pebble", "bell", "block", "drop", "column"}
	AvatarColours     = []string{"teal", "amber", "violet", "sky", "leaf", "coral", "sand", "slate"}
	AvatarAccessories = []string{"none", "scarf", "beanie", "flower", "headphones", "glasses"}
)

func (a Avatar) valid() bool {
	return slices.Contains(AvatarShapes, a.Shape) && slices.Contains(AvatarColours, a.Colour) &&
		slices.Contains(AvatarAccessories, a.Accessory)
}

// defaultAvatar is the figure of someone who has not chosen one: derived
// from the connection's id, so a circle of newcomers is varied rather than
// a row of identical figures, and nothing about the person goes into it.
func defaultAvatar(id string) Avatar {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	n := h.Sum32()
	return Avatar{Shape: AvatarShapes[n%uint32(len(AvatarShapes))], Colour: AvatarColours[(n/7)%uint32(len(AvatarColours))], Accessory: "none"}
}

// maxPoseMetres bounds a head or hand's distance from its seat's origin.
const maxPoseMetres = 3

// PoseBody is a member's pose relative to their seat (metres, the seat's
// frame: x right, y up, −z towards the centre of the circle). H is the head
// (x, y, z, qx, qy, qz, qw); L and R are the hands' positions, empty when
// the member has no tracked hands (a phone or a laptop).
type PoseBody struct {
	H []float64 `json:"h"`
	L []float64 `json:"l"`
	R []float64 `json:"r"`
}

// HandBody raises or lowers a member's hand (speaking order).
type HandBody struct {
	Up bool `json:"up"`
}

// validPose checks a pose's shape and range; the error names the field.
func validPose(p PoseBody) error {
	if len(p.H) != 7 {
		return apierr.Invalid("h", "x, y, z and a unit quaternion")
	}
	for i, v := range p.H {
		if math.IsNaN(v) || math.IsInf(v, 0) || (i < 3 && math.Abs(v) > maxPoseMetres) || (i >= 3 && math.Abs(v) > 1.01) {
			return apierr.Invalid("h", "finite, within 3 m of the seat, quaternion components within ±1")
		}
	}
	if n := math.Sqrt(p.H[3]*p.H[3] + p.H[4]*p.H[4] + p.H[5]*p.H[5] + p.H[6]*p.H[6]); n < 0.9 || n > 1.1 {
		return apierr.Invalid("h", "the quaternion must have unit length")
	}
	for field, hand := range map[string][]float64{"l": p.L, "r": p.R} {
		if len(hand) != 0 && len(hand) != 3 {
			return apierr.Invalid(field, "x, y, z or nothing")
		}
		for _, v := range hand {
			if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > maxPoseMetres {
				return apierr.Invalid(field, "finite, within 3 m of the seat")
			}
		}
	}
	return nil
}

// quantizePose rounds positions to 1 cm and rotations to 0.001: finer
// detail adds bytes to every relay and nothing a viewer could see, and a
// coarser pose says less about the body it came from. Missing hands are
// sent as zeros (a seated figure's resting hands in the client).
func quantizePose(p PoseBody) []float64 {
	out := make([]float64, 13)
	for i, v := range p.H {
		if i < 3 {
			out[i] = math.Round(v*100) / 100
		} else {
			out[i] = math.Round(v*1000) / 1000
		}
	}
	for i, v := range p.L {
		out[7+i] = math.Round(v*100) / 100
	}
	for i, v := range p.R {
		out[10+i] = math.Round(v*100) / 100
	}
	return out
}

// circleLocked reports whether the room opens as a circle.
func (r *room) circleLocked() bool { return r.row.Space != "" }

// seatLocked gives c a seat in the circle when it has none: the seat it
// had before a dropped link if that is still free, seat 0 (the marked
// moderator's seat) for the first moderator, otherwise the lowest free one.
func (r *room) seatLocked(c *conn) {
	if !r.circleLocked() || c.seated || !inRoom(c) {
		return
	}
	used := map[int]bool{}
	for _, o := range r.conns {
		if o != c && o.seated {
			used[o.seat] = true
		}
	}
	if prev, ok := r.seatOf[c.key]; ok && !used[prev] && (prev != 0 || c.role == RoleModerator) {
		c.seat = prev
	} else if c.role == RoleModerator && !used[0] {
		c.seat = 0
	} else {
		c.seat = 1
		for used[c.seat] {
			c.seat++
		}
	}
	c.seated = true
	r.seatOf[c.key] = c.seat
	if c.avatar == (Avatar{}) {
		c.avatar = defaultAvatar(c.key)
	}
}

// onAvatar stores a member's chosen figure and shows it to the room.
func (r *room) onAvatar(c *conn, a Avatar) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c.avatar = a
	if inRoom(c) {
		r.joinedLocked(presenceOf(c))
	}
}

// onHand raises or lowers a member's hand; moderators see the queue.
func (r *room) onHand(c *conn, up bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !inRoom(c) || c.role != RoleMember || c.hand == up {
		return
	}
	c.hand = up
	if up {
		c.handAt = r.s.now()
	}
	r.joinedLocked(presenceOf(c))
	r.floorChangedLocked()
}

// maySpeakLocked reports whether c's voice reaches the room now: admitted,
// the room open, not muted by a moderator (voice or chat), and, while the
// speaking order is on, holding the turn (moderators always may).
func (r *room) maySpeakLocked(c *conn, now time.Time) bool {
	if c.role == RoleModerator {
		return true
	}
	if !c.admitted || c.voiceMuted || now.Before(c.mutedUntil) || !r.openLocked(now) {
		return false
	}
	return !r.order || r.turn == c.memberID
}

// handsLocked lists raised hands, first raised first.
func (r *room) handsLocked() []string {
	var up []*conn
	for _, c := range r.conns {
		if c.hand && inRoom(c) {
			up = append(up, c)
		}
	}
	sort.Slice(up, func(i, j int) bool { return up[i].handAt.Before(up[j].handAt) })
	ids := make([]string, 0, len(up))
	for _, c := range up {
		ids = append(ids, c.memberID)
	}
	return ids
}

// sendVoiceStateLocked tells a peer just come in how the circle's voice
// stands: who is on which slot and who is speaking (voice.speakers), and
// the speaking order (voice.floor).
func (r *room) sendVoiceStateLocked(c *conn) {
	slots := make([]string, MaxSpeakers)
	if v := r.voice; v != nil {
		v.mu.Lock()
		slots = v.slotIDsLocked()
		v.mu.Unlock()
	}
	r.sendLocked(c, speakersFrame(slots, r.nextSeq()))
	r.sendLocked(c, r.floorFrameLocked())
}

// floorFrameLocked is the speaking order's state: on or off, whose turn
// it is, the raised hands in order.
func (r *room) floorFrameLocked() []byte {
	return outbound("voice.floor", r.nextSeq(), map[string]any{"order": r.order, "turn": r.turn, "hands": r.handsLocked()})
}

// floorChangedLocked tells everyone in the room the speaking order's state
// (on or off, whose turn it is, the raised hands in order) and each member
// whether they may speak now.
func (r *room) floorChangedLocked() {
	r.voiceSyncLocked()
	r.broadcastLocked(r.floorFrameLocked(), inRoom)
	now := r.s.now()
	for _, c := range r.conns {
		if c.role == RoleMember && inRoom(c) {
			r.sendLocked(c, r.voiceYouLocked(c, now))
		}
	}
}

// voiceYouLocked is c's own voice state: muted by a moderator (they always
// know it), whether their voice reaches the room now and, while a timed
// mute of their messages holds their voice too, when it ends (until).
func (r *room) voiceYouLocked(c *conn, now time.Time) []byte {
	body := map[string]any{"muted": c.voiceMuted, "may_speak": r.maySpeakLocked(c, now)}
	if now.Before(c.mutedUntil) {
		body["muted"], body["until"] = true, c.mutedUntil.UTC().Format(time.RFC3339)
	}
	return outbound("voice.you", r.nextSeq(), body)
}

// voiceActionLocked applies a committed voice action to the live circle.
// A muted member is told privately, in their language, and their voice
// stops reaching the room at once; target is nil when the member is not
// connected (the action then changes nothing live).
func (r *room) voiceActionLocked(action string, target *conn) {
	now := r.s.now()
	switch action {
	case ActVoiceMute, ActVoiceUnmute:
		if target == nil {
			return
		}
		target.voiceMuted = action == ActVoiceMute
		id := "group.notice.voice_muted"
		if !target.voiceMuted {
			id = "group.notice.voice_unmuted"
		}
		r.sendLocked(target, r.noticeLocked(target.loc, id, nil))
		r.sendLocked(target, r.voiceYouLocked(target, now))
		r.joinedLocked(presenceOf(target))
	case ActVoiceMuteAll:
		for _, c := range r.conns {
			if c.role == RoleMember && inRoom(c) && !c.voiceMuted {
				c.voiceMuted = true
				r.sendLocked(c, r.noticeLocked(c.loc, "group.notice.voice_muted", nil))
				r.sendLocked(c, r.voiceYouLocked(c, now))
				r.joinedLocked(presenceOf(c))
			}
		}
	case ActOrderOn, ActOrderOff:
		r.order = action == ActOrderOn
		r.turn = ""
		id := "group.notice.speaking_order_on"
		if !r.order {
			id = "group.notice.speaking_order_off"
		}
		r.broadcastLocked(r.noticeLocked(r.loc, id, nil), inRoom)
		r.floorChangedLocked()
	case ActGiveTurn:
		if target == nil || !inRoom(target) || target.role != RoleMember {
			return
		}
		r.turn = target.memberID
		target.hand = false
		r.sendLocked(target, r.noticeLocked(target.loc, "group.notice.your_turn", nil))
		r.floorChangedLocked()
		r.joinedLocked(presenceOf(target))
	}
	r.voiceSyncLocked()
}
