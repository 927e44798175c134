package avoidance

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// readTrace loads a pose trace: t_ms,x,y,z,qx,qy,qz,qw per line, '#' comments.
func readTrace(t *testing.T, name string) []Pose {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Pose
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "t_ms") {
			continue
		}
		var v [8]float64
		for i, s := range strings.Split(line, ",") {
			if v[i], err = strconv.ParseFloat(s, 64); err != nil {
				t.Fatalf("%s: %q: %v", name, line, err)
			}
		}
		out = append(out, Pose{T: int64(v[0]), Pos: Vec3{v[1], v[2], v[3]}, Rot: Quat{v[4], v[5], v[6], v[7]}})
	}
	return out
}

func run(t *testing.T, trace string, anchors []Anchor) Summary {
	tr := New(Config{}, anchors)
	for _, p := range readTrace(t, trace) {
		tr.Add(p)
	}
	return tr.Summary()
}

// TestGlance: glance.csv holds a seated head at (0, 1.2, 0) sampled every
// 100 ms, the stimulus a point 2 m ahead at eye height, so the gaze angle
// is the head's yaw:
//
//	t 0–2000      yaw 0°   21 poses  angle 0°  ≤ 30: on the stimulus
//	t 2100–6000   yaw 90°  40 poses  angle 90° > 55: out of view
//	t 6100–8000   yaw 20°  20 poses  angle 20° ≤ 30: on
//	(t 8000 → 9500: a 1.5 s hole, longer than the 1 s a pose may hold: not observed, ends any spell)
//	t 9500–11000  yaw 90°  16 poses  out of view
//	t 11100–12000 yaw 40°  10 poses  30 < 40 ≤ 55: in view, not on it
//
// Each pose holds until the next (sample and hold):
//
//	on     = 21×100 (0→2100) + 19×100 (6100→8000)                          = 4000 ms
//	out    = 40×100 (2100→6100) + 16×100 (9500→11100)                       = 5600 ms
//	in view, off = 9×100 (11100→12000)                                      =  900 ms
//	observed = 4000 + 5600 + 900                                            = 10500 ms
//	share  = 4000 / 10500                                                    = 0.380952…
//	spells out of view: 4000 ms (> 3000: an episode), 1600 ms (not one)
func TestGlance(t *testing.T) {
	s := run(t, "glance.csv", []Anchor{{ID: "stimulus", From: Vec3{0, 1.2, -2}, To: Vec3{0, 1.2, -2}}})
	if s.ObservedMs != 10500 || s.OnStimulusMs != 4000 {
		t.Errorf("observed %d ms, on %d ms; want 10500, 4000", s.ObservedMs, s.OnStimulusMs)
	}
	if math.Abs(s.Share-4000.0/10500) > 1e-9 {
		t.Errorf("share %v, want %v", s.Share, 4000.0/10500)
	}
	if s.AwayEpisodes != 1 || s.AwayMs != 4000 || s.LongestAwayMs != 4000 {
		t.Errorf("away %d episodes, %d ms, longest %d; want 1, 4000, 4000", s.AwayEpisodes, s.AwayMs, s.LongestAwayMs)
	}
	if s.ClosestM != nil {
		t.Errorf("closest %v for a stimulus the patient cannot approach; want none", *s.ClosestM)
	}
}

// TestEdge: edge.csv walks a standing head (eye at 1.6 m) towards a balcony
// edge, the segment x −2…2 at floor level, z = −3, every 250 ms, looking
// level. The gaze is nearest the edge's middle, 1.6 m below the eye and
// d = 3 + z ahead, at atan(1.6 / d) below the horizon:
//
//	t 0     z 0     d 3.0  atan(0.533) = 28.07° ≤ 30: on
//	t 250   z −0.5  d 2.5  atan(0.640) = 32.62°: in view
//	t 500   z −1.0  d 2.0  atan(0.800) = 38.66°: in view
//	t 750   z −1.5  d 1.5  atan(1.067) = 46.85°: in view
//	t 1000  z −2.0  d 1.0  atan(1.600) = 57.99° > 55: out of view
//	t 1250–4500 z −2.5 d 0.5 atan(3.200) = 72.65°: out of view
//	t 4750, 5000 z −2.5, pitched 70° down: |72.65 − 70| = 2.65°: on
//
//	observed = 5000 ms (0 → 5000, no hole)
//	on       = 250 (0→250) + 250 (4750→5000) = 500 ms; share 0.1
//	out      = 1000 → 4750 = 3750 ms > 3000: one episode
//	closest  = 3 − 2.5 = 0.5 m (horizontal, to the edge)
func TestEdge(t *testing.T) {
	edge := Anchor{ID: "edge", From: Vec3{-2, 0, -3}, To: Vec3{2, 0, -3}, Approach: true}
	s := run(t, "edge.csv", []Anchor{edge})
	if s.ObservedMs != 5000 || s.OnStimulusMs != 500 || math.Abs(s.Share-0.1) > 1e-9 {
		t.Errorf("observed %d, on %d, share %v; want 5000, 500, 0.1", s.ObservedMs, s.OnStimulusMs, s.Share)
	}
	if s.AwayEpisodes != 1 || s.AwayMs != 3750 {
		t.Errorf("away %d episodes, %d ms; want 1, 3750", s.AwayEpisodes, s.AwayMs)
	}
	if s.ClosestM == nil || *s.ClosestM != 0.5 {
		t.Errorf("closest %v, want 0.5 m", s.ClosestM)
	}
}

// TestSpellInProgress: the glance trace cut at t = 5500 is 3400 ms into its
// first out-of-view spell (2100 → 5500): already an episode, not yet closed.
func TestSpellInProgress(t *testing.T) {
	tr := New(Config{}, []Anchor{{From: Vec3{0, 1.2, -2}, To: Vec3{0, 1.2, -2}}})
	for _, p := range readTrace(t, "glance.csv") {
		if p.T <= 5500 {
			tr.Add(p)
		}
	}
	if s := tr.Summary(); s.AwayEpisodes != 1 || s.AwayMs != 3400 {
		t.Errorf("away %d episodes, %d ms; want 1, 3400 (in progress)", s.AwayEpisodes, s.AwayMs)
	}
}

// TestOrderAndReset: a late pose (the channel is unordered) is ignored, a
// scene without a stimulus measures nothing, and Reset starts a new step.
func TestOrderAndReset(t *testing.T) {
	a := []Anchor{{From: Vec3{0, 1.6, -2}, To: Vec3{0, 1.6, -2}}}
	head := Vec3{0, 1.6, 0}
	tr := New(Config{}, a)
	tr.Add(Pose{T: 1000, Pos: head, Rot: Yaw(0)})
	tr.Add(Pose{T: 500, Pos: head, Rot: Yaw(math.Pi)}) // late: ignored
	tr.Add(Pose{T: 1500, Pos: head, Rot: Yaw(0)})
	if s := tr.Summary(); s.ObservedMs != 500 || s.OnStimulusMs != 500 {
		t.Errorf("after a late pose: observed %d, on %d; want 500, 500", s.ObservedMs, s.OnStimulusMs)
	}
	tr.Reset()
	if s := tr.Summary(); s.ObservedMs != 0 || s.Share != 0 {
		t.Errorf("after Reset: %+v", s)
	}
	tr.SetAnchors(nil)
	tr.Add(Pose{T: 2000, Pos: head, Rot: Yaw(0)})
	tr.Add(Pose{T: 2500, Pos: head, Rot: Yaw(0)})
	if s := tr.Summary(); s.ObservedMs != 0 {
		t.Errorf("no stimulus declared: observed %d, want 0", s.ObservedMs)
	}
}

// TestRotation checks the quaternion maths against three.js's conventions:
// a head turned 90° left (yaw +π/2) looks down −x; pitched 45° up from
// there it looks at (−cos 45°, sin 45°, 0).
func TestRotation(t *testing.T) {
	near := func(a, b Vec3) bool { return a.Sub(b).Len() < 1e-9 }
	if f := Yaw(math.Pi / 2).Forward(); !near(f, Vec3{-1, 0, 0}) {
		t.Errorf("yaw 90° forward %v, want (−1, 0, 0)", f)
	}
	h := math.Sqrt2 / 2
	if f := YawPitch(math.Pi/2, math.Pi/4).Forward(); !near(f, Vec3{-h, h, 0}) {
		t.Errorf("yaw 90° pitch 45° forward %v, want (−0.707, 0.707, 0)", f)
	}
}
