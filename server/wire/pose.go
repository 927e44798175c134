package wire

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/havenvr/haven/server/apierr"
)

// Pose is the label of the unreliable, unordered channel that carries head
// and hand poses (DESIGN.md §3): a lost or late pose is replaced by the
// next, so nothing waits for a retransmission.
const Pose = "pose"

// Pose frames are binary, not JSON: at 20–30 Hz a JSON envelope would cost
// ten times the bytes. Little-endian:
//
//	0     u8   version (PoseVersion)
//	1     u8   flags: bit 0 left hand, bit 1 right hand follow the head
//	2–5   u32  t, the sender's clock in ms (wraps; orders the frames)
//	6–19  head: position x, y, z as i16 centimetres, then orientation
//	      x, y, z, w as i16 × 1/32767 (a unit quaternion, WebXR's order)
//	…     the same 14 bytes for each hand present, left first
//
// Positions are in the scene's frame (metres ÷ 100; y up, −z ahead of the
// patient's starting place), after the headset's own turning.
const (
	PoseVersion   = 1
	poseHeader    = 6
	poseXfBytes   = 14
	MaxPoseBytes  = poseHeader + 3*poseXfBytes
	poseLeft      = 1 << 0
	poseRight     = 1 << 1
	poseQuatScale = 32767
)

// PoseLayout documents the frame in docs/protocol.md.
var PoseLayout = []struct{ Bytes, Type, Field string }{
	{"0", "u8", "version, 1"},
	{"1", "u8", "flags: bit 0 a left hand follows, bit 1 a right hand follows; other bits 0"},
	{"2–5", "u32", "`t`: the sender's clock in ms (wraps); a frame older than the last one is dropped"},
	{"6–11", "3 × i16", "head position x, y, z in centimetres, scene frame"},
	{"12–19", "4 × i16", "head orientation quaternion x, y, z, w × 32767 (unit length ± 5 %)"},
	{"20–33", "14 bytes", "left hand (grip) position and orientation as the head's, when flag bit 0"},
	{"…", "14 bytes", "right hand, when flag bit 1 (at 20–33 when there is no left hand)"},
}

// Xf is one tracked pose: position (metres) and orientation (x, y, z, w).
type Xf struct {
	Pos [3]float64
	Rot [4]float64
}

// PoseFrame is one decoded pose frame.
type PoseFrame struct {
	T           uint32
	Head        Xf
	Left, Right *Xf
}

// DecodePose parses a pose frame; every failure is a validation error
// naming the part of the frame at fault.
func DecodePose(b []byte) (PoseFrame, error) {
	var f PoseFrame
	if len(b) < poseHeader+poseXfBytes || len(b) > MaxPoseBytes {
		return f, apierr.Invalid("pose", fmt.Sprintf("frame of %d bytes; 20–%d", len(b), MaxPoseBytes))
	}
	if b[0] != PoseVersion {
		return f, apierr.New(apierr.UnsupportedVersion).With("Version", int(b[0]))
	}
	flags := b[1]
	if flags&^(poseLeft|poseRight) != 0 {
		return f, apierr.Invalid("pose.flags", "unknown bits")
	}
	want := poseHeader + poseXfBytes
	for _, bit := range []byte{poseLeft, poseRight} {
		if flags&bit != 0 {
			want += poseXfBytes
		}
	}
	if len(b) != want {
		return f, apierr.Invalid("pose", fmt.Sprintf("frame of %d bytes; its flags say %d", len(b), want))
	}
	f.T = binary.LittleEndian.Uint32(b[2:])
	off := poseHeader
	next := func(name string) (Xf, error) {
		x, err := decodeXf(b[off:off+poseXfBytes], name)
		off += poseXfBytes
		return x, err
	}
	var err error
	if f.Head, err = next("pose.head"); err != nil {
		return f, err
	}
	for _, h := range []struct {
		bit byte
		dst **Xf
		nm  string
	}{{poseLeft, &f.Left, "pose.left"}, {poseRight, &f.Right, "pose.right"}} {
		if flags&h.bit == 0 {
			continue
		}
		x, err := next(h.nm)
		if err != nil {
			return f, err
		}
		*h.dst = &x
	}
	return f, nil
}

func decodeXf(b []byte, name string) (Xf, error) {
	var x Xf
	for i := range 3 {
		x.Pos[i] = float64(int16(binary.LittleEndian.Uint16(b[2*i:]))) / 100
	}
	n := 0.0
	for i := range 4 {
		x.Rot[i] = float64(int16(binary.LittleEndian.Uint16(b[6+2*i:]))) / poseQuatScale
		n += x.Rot[i] * x.Rot[i]
	}
	// i16 rounding moves a unit quaternion's length by < 0.01 %; anything
	// further off is not an orientation.
	if n < 0.95*0.95 || n > 1.05*1.05 {
		return x, apierr.Invalid(name+".orientation", "is not a unit quaternion")
	}
	return x, nil
}

// SimulatedHead is the head of Haven's simulated headsets (the simulated
// patient, the benchmark's fleet): seated at 1.2 m, looking 35° left and
// right of ahead over 8 s; T is elapsed ms.
func SimulatedHead(elapsed time.Duration) PoseFrame {
	yaw := 0.6 * math.Sin(2*math.Pi*elapsed.Seconds()/8)
	return PoseFrame{T: uint32(elapsed.Milliseconds()), Head: Xf{Pos: [3]float64{0, 1.2, 0}, Rot: [4]float64{0, math.Sin(yaw / 2), 0, math.Cos(yaw / 2)}}}
}

// AppendPose encodes f onto dst (the headset's encoder, in Go for the
// benchmark's simulated headsets and the tests).
func AppendPose(dst []byte, f PoseFrame) []byte {
	flags := byte(0)
	if f.Left != nil {
		flags |= poseLeft
	}
	if f.Right != nil {
		flags |= poseRight
	}
	dst = append(dst, PoseVersion, flags)
	dst = binary.LittleEndian.AppendUint32(dst, f.T)
	for _, x := range []*Xf{&f.Head, f.Left, f.Right} {
		if x == nil {
			continue
		}
		for _, v := range x.Pos {
			dst = binary.LittleEndian.AppendUint16(dst, uint16(clamp16(v*100)))
		}
		for _, v := range x.Rot {
			dst = binary.LittleEndian.AppendUint16(dst, uint16(clamp16(v*poseQuatScale)))
		}
	}
	return dst
}

func clamp16(v float64) int16 {
	if math.IsNaN(v) {
		return 0
	}
	return int16(math.Max(math.MinInt16, math.Min(math.MaxInt16, math.Round(v))))
}
