// Package avoidance measures behavioural avoidance in a VR exposure from the
// patient's head pose and the scene's stimulus anchors (docs/domain.md,
// "Avoidance"): the share of time the stimulus lies within 30° of the gaze
// direction, looking-away episodes (the stimulus out of view for more than
// 3 s) and the closest approach to it where the patient can move.
//
// Coordinates are the scenes' (three.js, WebXR): metres, right-handed, y up,
// and a head at rest looks down −z.
package avoidance

import "math"

// Vec3 is a point or direction in the scene, in metres.
type Vec3 struct{ X, Y, Z float64 }

// Sub returns a − b.
func (a Vec3) Sub(b Vec3) Vec3 { return Vec3{a.X - b.X, a.Y - b.Y, a.Z - b.Z} }

// Add returns a + b.
func (a Vec3) Add(b Vec3) Vec3 { return Vec3{a.X + b.X, a.Y + b.Y, a.Z + b.Z} }

// Scale returns a·k.
func (a Vec3) Scale(k float64) Vec3 { return Vec3{a.X * k, a.Y * k, a.Z * k} }

// Dot is the scalar product.
func (a Vec3) Dot(b Vec3) float64 { return a.X*b.X + a.Y*b.Y + a.Z*b.Z }

// Cross is the vector product a × b.
func (a Vec3) Cross(b Vec3) Vec3 {
	return Vec3{a.Y*b.Z - a.Z*b.Y, a.Z*b.X - a.X*b.Z, a.X*b.Y - a.Y*b.X}
}

// Len is the Euclidean length.
func (a Vec3) Len() float64 { return math.Sqrt(a.Dot(a)) }

// Quat is a rotation as a unit quaternion (x, y, z, w), WebXR's
// XRRigidTransform.orientation order.
type Quat struct{ X, Y, Z, W float64 }

// Rotate applies q to v: v + 2w(u×v) + 2u×(u×v) with u = (x, y, z), the
// expansion of q·v·q* for a unit quaternion.
func (q Quat) Rotate(v Vec3) Vec3 {
	u := Vec3{q.X, q.Y, q.Z}
	t := u.Cross(v).Scale(2)
	return v.Add(t.Scale(q.W)).Add(u.Cross(t))
}

// Forward is the gaze direction of a head with orientation q: −z rotated.
func (q Quat) Forward() Vec3 { return q.Rotate(Vec3{0, 0, -1}) }

// Yaw returns the quaternion of a turn by rad about the vertical axis
// (positive: to the left, counter-clockwise seen from above, as in three.js).
func Yaw(rad float64) Quat { return Quat{0, math.Sin(rad / 2), 0, math.Cos(rad / 2)} }

// YawPitch returns a head turned by yaw about y, then pitched by pitch about
// its own x axis (positive pitch looks up): three.js Euler order 'YXZ'.
func YawPitch(yaw, pitch float64) Quat {
	sy, cy := math.Sin(yaw/2), math.Cos(yaw/2)
	sp, cp := math.Sin(pitch/2), math.Cos(pitch/2)
	// q = qy · qx
	return Quat{cy * sp, sy * cp, -sy * sp, cy * cp}
}

// angle is the angle between a and b in degrees (0 when either is zero).
func angle(a, b Vec3) float64 {
	la, lb := a.Len(), b.Len()
	if la == 0 || lb == 0 {
		return 0
	}
	c := math.Max(-1, math.Min(1, a.Dot(b)/(la*lb)))
	return math.Acos(c) * 180 / math.Pi
}
