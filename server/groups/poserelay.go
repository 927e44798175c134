package groups

import (
	"encoding/json"
	"slices"
	"strconv"
	"time"
)

// The pose relay with interest management. Relaying every member's pose to
// every other member 20 times a second costs the server O(M²) bytes a
// second (each of M listeners gets M−1 poses a tick), which is what made a
// circle's CPU per member grow with its size. Instead each listener gets,
// once per tick and in one circle.poses frame:
//
//   - at the full rate (PoseHz), the poses that changed since the last tick
//     of the members that matter to them: whoever is on a voice slot (the
//     current speakers, at most MaxSpeakers), the moderator's seat (seat 0)
//     and the PoseNeighbours nearest occupied seats on either side of their
//     own;
//   - the tick's share of a round-robin over the whole circle: the next
//     PoseSweep members, in seat order, whose pose changed since their last
//     turn. The share is the same for every listener.
//
// A frame therefore carries at most PoseFrameMax poses whatever the size of
// the circle, a listener gets at most PoseHz frames a second, and every
// change reaches every listener within ⌈movers / PoseSweep⌉ ticks — under
// a second while at most PoseHz × PoseSweep members move (120; a room of
// more is slower in proportion, never heavier). Nothing of this is stored:
// a member's latest pose and two flags live on its connection.

// PoseHz is the highest rate at which a member's pose is relayed to the
// others: enough for a head turn and a wave to read as natural.
const PoseHz = 20

// PoseNeighbours is how many occupied seats on each side of a listener's
// own are relayed to them at the full rate: the figures beside one, seen
// close and in the corner of the eye.
const PoseNeighbours = 2

// PoseSweep is how many members' poses the round-robin adds to each tick.
const PoseSweep = 6

// PoseFrameMax bounds the poses in one circle.poses frame: the speakers, the
// moderator's seat, the neighbours and the round-robin's share.
const PoseFrameMax = MaxSpeakers + 1 + 2*PoseNeighbours + PoseSweep

// poseIdle stops a room's pose relay after this long without a new pose.
const poseIdle = 2 * time.Second

// onPose keeps a member's latest pose for the next relay tick. Poses
// faster than PoseHz only replace one another.
func (r *room) onPose(c *conn, p PoseBody) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !inRoom(c) || !c.seated {
		return
	}
	c.setPose(quantizePose(p))
	r.lastPose = r.s.now()
	if !r.relaying && !r.ended {
		r.relaying = true
		r.s.peers.Add(1)
		go r.relayPoses()
	}
}

// setPose records c's new quantized pose (under room.mu): due at the full
// rate to those it matters to, and due its turn in the round-robin.
func (c *conn) setPose(pose []float64) {
	c.pose, c.poseEnc = pose, nil
	c.poseDirty, c.poseSwept = true, false
}

// relayPoses runs the relay's ticks until no pose has come for poseIdle.
func (r *room) relayPoses() {
	defer r.s.peers.Done()
	t := time.NewTicker(time.Second / PoseHz)
	defer t.Stop()
	for {
		select {
		case <-r.s.stop:
			return
		case <-t.C:
		}
		if !r.relayTick() {
			return
		}
	}
}

// relayTick sends one tick's poses; false ends the relay. A peer whose
// queue is already a quarter full skips the tick: its poses are replaced by
// later ones, and chat frames keep their room in the queue.
func (r *room) relayTick() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended || r.s.now().Sub(r.lastPose) > poseIdle {
		r.relaying = false
		return false
	}
	var speakers []*conn
	if v := r.voice; v != nil {
		v.mu.Lock()
		for _, sp := range v.slots {
			if sp != nil {
				speakers = append(speakers, sp.c)
			}
		}
		v.mu.Unlock()
	}
	pt := r.poseTickLocked(speakers)
	limit := r.s.limits().OutboxCapacity / 4
	now := time.Now().UnixMilli()
	var sel []*conn
	for _, c := range r.conns {
		if !inRoom(c) || c.out == nil || c.out.Len() >= limit {
			continue
		}
		if sel = pt.forListener(c, sel[:0]); len(sel) > 0 {
			r.sendLocked(c, posesFrame(now, sel))
		}
	}
	pt.done()
	return true
}

// poseTick is one tick's plan: who is seated where, who every listener
// gets at the full rate, and the round-robin's share.
type poseTick struct {
	ring  []*conn       // seated peers in the room, by seat
	at    map[*conn]int // index in ring
	focus []*conn       // on a voice slot or in the moderator's seat
	swept []*conn       // this tick's share of the round-robin
}

// poseTickLocked plans a tick and advances the round-robin. speakers are
// the peers on voice slots now.
func (r *room) poseTickLocked(speakers []*conn) poseTick {
	pt := poseTick{ring: r.ringLocked(), at: map[*conn]int{}}
	for i, c := range pt.ring {
		pt.at[c] = i
		if c.seat == 0 {
			pt.focus = append(pt.focus, c)
		}
	}
	for _, c := range speakers {
		if _, ok := pt.at[c]; ok && c.seat != 0 {
			pt.focus = append(pt.focus, c)
		}
	}
	// the round-robin starts after the seat it reached last tick
	n := len(pt.ring)
	start, _ := slices.BinarySearchFunc(pt.ring, r.sweptTo+1, func(c *conn, seat int) int { return c.seat - seat })
	for k := 0; k < n && len(pt.swept) < PoseSweep; k++ {
		c := pt.ring[(start+k)%n]
		if c.pose != nil && !c.poseSwept {
			c.poseSwept = true
			pt.swept = append(pt.swept, c)
			r.sweptTo = c.seat
		}
	}
	return pt
}

// ringLocked is the seated peers in the room by seat.
func (r *room) ringLocked() []*conn {
	var ring []*conn
	for _, c := range r.conns {
		if inRoom(c) && c.seated {
			ring = append(ring, c)
		}
	}
	slices.SortFunc(ring, func(a, b *conn) int { return a.seat - b.seat })
	return ring
}

// forListener appends to dst the poses c gets this tick: the changed poses
// of its focus and neighbours, and the round-robin's share; never its own,
// each at most once, at most PoseFrameMax.
func (pt poseTick) forListener(c *conn, dst []*conn) []*conn {
	add := func(o *conn, changedOnly bool) {
		if o == c || o.pose == nil || (changedOnly && !o.poseDirty) || slices.Contains(dst, o) {
			return
		}
		dst = append(dst, o)
	}
	for _, o := range pt.focus {
		add(o, true)
	}
	if i, ok := pt.at[c]; ok {
		n := len(pt.ring)
		for d := 1; d <= PoseNeighbours; d++ { // in a small ring these meet: add keeps each once
			add(pt.ring[(i+d)%n], true)
			add(pt.ring[((i-d)%n+n)%n], true)
		}
	}
	for _, o := range pt.swept {
		add(o, false)
	}
	return dst
}

// done ends the tick: the changes it relayed are no longer new.
func (pt poseTick) done() {
	for _, c := range pt.ring {
		c.poseDirty = false
	}
}

// posesFrame is a circle.poses frame carrying sel's poses, written from
// each pose's cached entry rather than marshalled per listener: the same
// bytes outbound would make (TestPosesFrameMatchesOutbound).
func posesFrame(t int64, sel []*conn) []byte {
	b := make([]byte, 0, 64+80*len(sel))
	b = append(b, `{"v":1,"type":"circle.poses","seq":0,"t":`...)
	b = strconv.AppendInt(b, t, 10)
	b = append(b, `,"body":{"p":{`...)
	for i, c := range sel {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, poseEntry(c)...)
	}
	return append(b, "}}}"...)
}

// poseEntry is c's pose as a JSON object member, "id":[13 numbers], made
// once per change.
func poseEntry(c *conn) []byte {
	if c.poseEnc != nil {
		return c.poseEnc
	}
	id, _ := json.Marshal(presenceOf(c).ID) // a string: cannot fail
	b := append(id, ':', '[')
	for i, v := range c.pose {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, v, 'f', -1, 64)
	}
	c.poseEnc = append(b, ']')
	return c.poseEnc
}

// sendPosesLocked gives a peer just come in everyone's latest pose, in
// frames of at most PoseFrameMax, so that still figures stand as they are
// rather than waiting for a change that may not come.
func (r *room) sendPosesLocked(c *conn) {
	var all []*conn
	for _, o := range r.conns {
		if o != c && o.pose != nil && inRoom(o) && o.seated {
			all = append(all, o)
		}
	}
	now := time.Now().UnixMilli()
	for len(all) > 0 {
		n := min(len(all), PoseFrameMax)
		r.sendLocked(c, posesFrame(now, all[:n]))
		all = all[n:]
	}
}
