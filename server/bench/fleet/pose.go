package fleet

import (
	"time"

	"github.com/havenvr/haven/server/wire"
)

// poseChannel is the unreliable channel list of a peer sending or
// receiving poses at hz (none when 0).
func poseChannel(hz int) []string {
	if hz > 0 {
		return []string{wire.Pose}
	}
	return nil
}

// sendPose sends the simulated head for elapsed on the pose channel.
func (p *Patient) sendPose(elapsed time.Duration) {
	frame := wire.AppendPose(make([]byte, 0, wire.MaxPoseBytes), wire.SimulatedHead(elapsed))
	p.mu.Lock()
	cp := p.cp
	p.mu.Unlock()
	if cp == nil || cp.Channels[wire.Pose] == nil || cp.Channels[wire.Pose].Send(frame) != nil {
		return
	}
	p.C.PosesSent.Add(1)
	p.C.PoseBytes.Add(int64(len(frame)))
}
