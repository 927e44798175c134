package simpeer

import (
	"time"

	"github.com/havenvr/haven/server/wire"
)

func (p *Patient) poseChannels() []string {
	if p.opts.PoseHz > 0 {
		return []string{wire.Pose}
	}
	return nil
}

// sendPose sends the frame for now on the pose channel (not while muted).
func (p *Patient) sendPose(now time.Time) {
	if p.muted.Load() || !p.connected.Load() {
		return
	}
	elapsed := now.Sub(p.started)
	f := wire.SimulatedHead(elapsed)
	if p.opts.Pose != nil {
		f = p.opts.Pose(elapsed)
	}
	f.T = uint32(elapsed.Milliseconds())
	p.SendPose(f)
}

// SendPose sends one frame as it is (its T included).
func (p *Patient) SendPose(f wire.PoseFrame) {
	frame := wire.AppendPose(make([]byte, 0, wire.MaxPoseBytes), f)
	if p.SendRaw(wire.Pose, frame) == nil {
		p.mu.Lock()
		p.stats.PosesSent++
		p.stats.PoseBytes += int64(len(frame))
		p.mu.Unlock()
	}
}

// PoseFrames is how many pose frames the console received, and the last.
func (t *Therapist) PoseFrames() (n int64, last []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.poses, t.lastPose
}
