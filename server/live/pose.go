package live

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/havenvr/haven/protocols"
	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/avoidance"
	"github.com/havenvr/haven/server/rtc"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

const (
	// poseQueue bounds a console's pose outbox: a console that falls behind
	// loses frames (the next one replaces them), never its connection.
	poseQueue = 8
	// poseMinGap drops frames closer than this to the last one taken: at
	// most 100 a second reach the consoles however fast a headset sends
	// (a headset sends 20–30; a timer's jitter must not cost frames).
	poseMinGap = 10 * time.Millisecond
)

// poses is a room's pose relay and avoidance tracker. It has a lock of its
// own, shared by the pose channel's goroutine and the room's owner: 20–30
// frames a second never wait in the room's inbox behind the engine.
type poses struct {
	mu       sync.Mutex
	sinks    map[*peer]*rtc.Outbox // consoles' pose channels
	list     []*rtc.Outbox         // sinks as a slice, rebuilt when they change
	tracker  *avoidance.Tracker
	template string
	measured string // the template whose stimulus the step's measures are of
	stepID   string
	anchors  []wire.AvoidanceAnchor
	away     bool // the stimulus was out of view at the last frame
	last     struct {
		raw  uint32
		t    int64 // unwrapped sender ms
		ok   bool
		at   time.Time
		head wire.Xf
	}
	frames  int64 // frames taken since the last avoidance message
	changed bool  // anchors or step changed since the last avoidance message
	fedAt   int64 // observed ms when the engine last heard the measures
	// record keeps one head pose a second in the timeline (the clinic's
	// record_poses setting, read when the room loads).
	record bool
}

// loadRecording reads whether the clinic keeps head poses.
func (ps *poses) loadRecording(ctx context.Context, st *store.Store, clinicID string) error {
	var c store.Clinic
	if err := st.DB.WithContext(ctx).Select("record_poses").Where("id = ?", clinicID).Take(&c).Error; err != nil {
		return fmt.Errorf("live: loading the clinic's pose setting: %w", err)
	}
	ps.record = c.RecordPoses
	return nil
}

// PoseRecord is a head pose kept once a second when the clinic records poses
// (timeline kind "pose"): the headset's clock, position in metres and
// orientation (x, y, z, w), in the scene's frame.
type PoseRecord struct {
	T    int64      `json:"t"`
	Pos  [3]float64 `json:"pos"`
	Quat [4]float64 `json:"quat"`
}

// engineEveryMs is how much new head pose makes the measures worth telling
// the engine again (adaptive protocols): each telling is an input in the
// session's replayable log.
const engineEveryMs = 10_000

func newPoses() *poses {
	return &poses{sinks: map[*peer]*rtc.Outbox{}, tracker: avoidance.New(avoidance.Config{}, nil)}
}

// attachPose wires a peer's pose channel: a patient's carries frames in, a
// console's carries them out.
func (p *peer) attachPose(dc *webrtc.DataChannel) {
	if p.role == rolePatient {
		dc.OnMessage(func(m webrtc.DataChannelMessage) { p.room.onPose(p, m.Data) })
		return
	}
	dc.OnOpen(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.closed {
			return
		}
		ob := rtc.NewOutbox(dc, poseQueue)
		p.out[wire.Pose] = ob // closed with the peer's other outboxes
		p.room.pose.addSink(p, ob)
	})
}

func (ps *poses) addSink(p *peer, ob *rtc.Outbox) {
	ps.mu.Lock()
	ps.sinks[p] = ob
	ps.rebuild()
	ps.mu.Unlock()
}

func (ps *poses) removeSink(p *peer) {
	ps.mu.Lock()
	if _, ok := ps.sinks[p]; ok {
		delete(ps.sinks, p)
		ps.rebuild()
	}
	ps.mu.Unlock()
}

// rebuild makes a new slice, so a relay iterating the old one is undisturbed.
func (ps *poses) rebuild() {
	list := make([]*rtc.Outbox, 0, len(ps.sinks))
	for _, ob := range ps.sinks {
		list = append(list, ob)
	}
	ps.list = list
}

// onPose takes one frame from the headset: a malformed one is refused (rate
// limited, like any refusal), a late or too early one dropped; the rest
// feed the avoidance tracker and go to every console unchanged.
func (r *room) onPose(p *peer, data []byte) {
	f, err := wire.DecodePose(data)
	if err != nil {
		r.svc.opts.Metrics.Messages.WithLabelValues(wire.Pose, "refused").Inc()
		p.sendError(apierr.From(err), 0)
		return
	}
	now := time.Now()
	ps := r.pose
	ps.mu.Lock()
	t := int64(f.T)
	if ps.last.ok {
		// the sender's u32 ms clock wraps every 49.7 days: unwrap near it
		t = ps.last.t + int64(int32(f.T-ps.last.raw))
		if t <= ps.last.t || now.Sub(ps.last.at) < poseMinGap {
			ps.mu.Unlock()
			return
		}
	}
	ps.last.raw, ps.last.t, ps.last.ok, ps.last.at, ps.last.head = f.T, t, true, now, f.Head
	ps.frames++
	h := f.Head
	ps.tracker.Add(avoidance.Pose{T: t, Pos: avoidance.Vec3{X: h.Pos[0], Y: h.Pos[1], Z: h.Pos[2]},
		Rot: avoidance.Quat{X: h.Rot[0], Y: h.Rot[1], Z: h.Rot[2], W: h.Rot[3]}})
	ps.away = ps.tracker.Away()
	list := ps.list
	ps.mu.Unlock()
	r.svc.opts.Metrics.Messages.WithLabelValues(wire.Pose, "in").Inc()
	for _, ob := range list {
		if ob.Send(data) != nil {
			r.svc.opts.Metrics.Messages.WithLabelValues(wire.Pose, "dropped").Inc()
		}
	}
}

// sceneAnchors places the template's stimulus for the scene the headset was
// sent. Runs on the room's owner.
func (r *room) sceneAnchors() {
	var anchors []wire.AvoidanceAnchor
	tplID := ""
	if r.scene != nil {
		tplID = r.scene.Template
		if tpl, ok := r.svc.catalog.Get(tplID); ok {
			for _, s := range tpl.Stimulus {
				from, to := s.At(tpl, r.scene.Params)
				anchors = append(anchors, wire.AvoidanceAnchor{ID: s.ID, LabelKey: s.LabelKey, From: from, To: to, Approach: s.Approach})
			}
		}
	}
	r.pose.setScene(tplID, anchors)
}

// calmAnchors: the headset left the exposure scene (calm, hard stop), so
// there is no stimulus to look at or away from. Runs on the room's owner.
func (r *room) calmAnchors() { r.pose.setScene("", nil) }

func (ps *poses) setScene(template string, anchors []wire.AvoidanceAnchor) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.template, ps.anchors, ps.changed = template, anchors, true
	if len(anchors) > 0 {
		ps.measured = template // a calm scene at the step's end does not rename it
	}
	av := make([]avoidance.Anchor, len(anchors))
	for i, a := range anchors {
		av[i] = avoidance.Anchor{ID: a.ID, Approach: a.Approach,
			From: avoidance.Vec3{X: a.From[0], Y: a.From[1], Z: a.From[2]}, To: avoidance.Vec3{X: a.To[0], Y: a.To[1], Z: a.To[2]}}
	}
	ps.tracker.SetAnchors(av)
}

// poseStep closes the step's measures into the timeline (the report's and
// the exports' source) and starts the next step's. Runs on the room's owner.
func (r *room) poseStep(next string) {
	ps := r.pose
	ps.mu.Lock()
	s, step, tpl := ps.tracker.Summary(), ps.stepID, ps.measured
	ps.tracker.Reset()
	ps.stepID, ps.changed, ps.measured, ps.fedAt = next, true, "", 0
	if len(ps.anchors) > 0 {
		ps.measured = ps.template
	}
	ps.mu.Unlock()
	if s.ObservedMs > 0 {
		r.svc.tl.add(event(r.id, "avoidance", "server", wire.Avoidance{StepID: step, Template: tpl, Anchors: []wire.AvoidanceAnchor{}, Measures: s}), nil)
	}
}

// poseTick sends the consoles the live measures, once a second while frames
// arrive or the stimulus moved. Runs on the room's owner.
func (r *room) poseTick() {
	ps := r.pose
	ps.mu.Lock()
	if ps.frames == 0 && !ps.changed {
		ps.mu.Unlock()
		return
	}
	msg := wire.Avoidance{StepID: ps.stepID, Template: ps.template, Anchors: ps.anchors, Measures: ps.tracker.Summary(), Away: ps.away}
	if msg.Anchors == nil {
		msg.Anchors = []wire.AvoidanceAnchor{}
	}
	var rec *PoseRecord
	if ps.record && ps.frames > 0 {
		rec = &PoseRecord{T: ps.last.t, Pos: ps.last.head.Pos, Quat: ps.last.head.Rot}
	}
	ps.frames, ps.changed = 0, false
	m := msg.Measures
	feed := r.adaptive && m.ObservedMs-ps.fedAt >= engineEveryMs
	if feed {
		ps.fedAt = m.ObservedMs
	}
	ps.mu.Unlock()
	r.toConsoles(wire.Control, "avoidance", 0, msg)
	if rec != nil {
		r.svc.tl.add(event(r.id, "pose", "headset", rec), nil)
	}
	if feed {
		r.apply(r.feed(protocols.Event{Type: protocols.EvAvoidance, Avoidance: &protocols.Avoidance{
			Share: m.Share, AwayEpisodes: m.AwayEpisodes, ObservedMs: m.ObservedMs}}), 0)
	}
}
