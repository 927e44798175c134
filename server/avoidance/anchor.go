package avoidance

import "math"

// Anchor is where a scene's feared stimulus is: a point, or a segment from
// From to To (an edge, a row of seats, an aisle). Approach marks a stimulus
// the patient can walk or lean towards, so the closest approach means
// something (the edge of a balcony, the spiders on the table).
type Anchor struct {
	ID       string `json:"id"`
	From     Vec3   `json:"from"`
	To       Vec3   `json:"to"`
	Approach bool   `json:"approach,omitempty"`
}

// segmentSamples is how many points of a segment the gaze test looks at: a
// 4 m edge is sampled every 25 cm, finer than a 30° cone at any distance a
// patient stands from it.
const segmentSamples = 17

// at is the anchor's point at u ∈ [0, 1] along its segment.
func (a Anchor) at(u float64) Vec3 { return a.From.Add(a.To.Sub(a.From).Scale(u)) }

// gazeAngle is the smallest angle, in degrees, between the gaze forward from
// eye and the direction to any point of the anchor.
func (a Anchor) gazeAngle(eye, forward Vec3) float64 {
	if a.From == a.To {
		return angle(forward, a.From.Sub(eye))
	}
	best := 180.0
	for i := range segmentSamples {
		best = math.Min(best, angle(forward, a.at(float64(i)/(segmentSamples-1)).Sub(eye)))
	}
	return best
}

// floorDistance is the horizontal (x–z) distance from p to the nearest point
// of the anchor: how close the patient's head came, whatever their height.
func (a Anchor) floorDistance(p Vec3) float64 {
	flat := func(v Vec3) Vec3 { return Vec3{v.X, 0, v.Z} }
	from, d, q := flat(a.From), flat(a.To).Sub(flat(a.From)), flat(p)
	u := 0.0
	if l2 := d.Dot(d); l2 > 0 {
		u = math.Max(0, math.Min(1, q.Sub(from).Dot(d)/l2))
	}
	return q.Sub(from.Add(d.Scale(u))).Len()
}
