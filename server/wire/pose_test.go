package wire

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"testing"

	"github.com/havenvr/haven/server/apierr"
)

// TestPoseBytes pins the frame layout of docs/protocol.md with a frame
// written out by hand: version 1, flags 0b10 (right hand only), t = 1000 ms
// = 0x000003e8, head at (0.10, 1.60, −0.50) m = (10, 160, −50) cm =
// 0x000a 0x00a0 0xffce, orientation identity (0, 0, 0, 32767 = 0x7fff),
// right hand at (0.25, 1.00, −0.30) m = (25, 100, −30) cm = 0x0019 0x0064
// 0xffe2, turned 90° about y: (0, sin 45°, 0, cos 45°) × 32767 = (0, 23170,
// 0, 23170) = 0x5a82.
func TestPoseBytes(t *testing.T) {
	h := math.Sqrt2 / 2
	f := PoseFrame{T: 1000, Head: Xf{Pos: [3]float64{0.10, 1.60, -0.50}, Rot: [4]float64{0, 0, 0, 1}},
		Right: &Xf{Pos: [3]float64{0.25, 1.00, -0.30}, Rot: [4]float64{0, h, 0, h}}}
	want, _ := hex.DecodeString("0102" + "e8030000" +
		"0a00" + "a000" + "ceff" + "0000" + "0000" + "0000" + "ff7f" +
		"1900" + "6400" + "e2ff" + "0000" + "825a" + "0000" + "825a")
	got := AppendPose(nil, f)
	if !bytes.Equal(got, want) {
		t.Fatalf("frame\n got %x\nwant %x", got, want)
	}
	back, err := DecodePose(got)
	if err != nil {
		t.Fatal(err)
	}
	if back.T != 1000 || back.Left != nil || back.Right == nil || back.Head.Pos != [3]float64{0.10, 1.60, -0.50} {
		t.Fatalf("decoded %+v", back)
	}
	if d := back.Right.Rot[1] - h; math.Abs(d) > 1.0/32767 {
		t.Errorf("right hand y rotation %v, want %v ± 1/32767", back.Right.Rot[1], h)
	}
}

// TestPoseRefused: each malformed frame is a coded error, never a panic.
func TestPoseRefused(t *testing.T) {
	good := AppendPose(nil, PoseFrame{T: 5, Head: Xf{Rot: [4]float64{0, 0, 0, 1}}})
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := []struct {
		name string
		b    []byte
		code apierr.Code
	}{
		{"empty", nil, apierr.Validation},
		{"short", good[:19], apierr.Validation},
		{"long", append(append([]byte(nil), good...), make([]byte, 40)...), apierr.Validation},
		{"version", mut(func(b []byte) []byte { b[0] = 2; return b }), apierr.UnsupportedVersion},
		{"flag bits", mut(func(b []byte) []byte { b[1] = 4; return b }), apierr.Validation},
		{"flags without hand", mut(func(b []byte) []byte { b[1] = 1; return b }), apierr.Validation},
		{"zero quaternion", mut(func(b []byte) []byte { b[18], b[19] = 0, 0; return b }), apierr.Validation},
	}
	for _, c := range cases {
		_, err := DecodePose(c.b)
		var e *apierr.Error
		if !errors.As(err, &e) || e.Code != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
}

// FuzzPose: DecodePose takes any bytes without panicking, and a frame it
// accepts encodes back to the same bytes (the format has one spelling).
func FuzzPose(f *testing.F) {
	h := math.Sqrt2 / 2
	f.Add(AppendPose(nil, PoseFrame{T: 1, Head: Xf{Rot: [4]float64{0, 0, 0, 1}}}))
	f.Add(AppendPose(nil, PoseFrame{T: 9, Head: Xf{Rot: [4]float64{0, h, 0, h}}, Left: &Xf{Rot: [4]float64{0, 0, 0, 1}}, Right: &Xf{Rot: [4]float64{h, 0, 0, h}}}))
	f.Add([]byte{1, 3, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodePose(b)
		if err != nil {
			return
		}
		if again := AppendPose(nil, p); !bytes.Equal(again, b) {
			t.Fatalf("round trip\n in %x\nout %x", b, again)
		}
	})
}
