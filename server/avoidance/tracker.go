package avoidance

import "math"

// Config holds the thresholds of the measures (docs/domain.md).
type Config struct {
	// GazeDeg: the stimulus counts as looked at when some part of it lies
	// within this angle of the gaze direction (30°, CLINICAL.md §9).
	GazeDeg float64
	// ViewDeg: beyond this angle from the gaze the stimulus is out of view.
	// 55° is half of a Quest 3's ≈110° horizontal field of view.
	ViewDeg float64
	// AwayMs: an out-of-view spell longer than this is a looking-away episode.
	AwayMs int64
	// MaxGapMs: a pose holds until the next one, at most this long; a longer
	// gap (a lost link, a paused headset) is not observed time and ends any
	// spell in progress.
	MaxGapMs int64
}

// Defaults are the thresholds Haven uses.
var Defaults = Config{GazeDeg: 30, ViewDeg: 55, AwayMs: 3000, MaxGapMs: 1000}

// Pose is one head pose at T (ms on the sender's clock).
type Pose struct {
	T   int64
	Pos Vec3
	Rot Quat
}

// Summary is the measures over the poses seen so far.
type Summary struct {
	// ObservedMs is the time covered by poses while a stimulus was declared.
	ObservedMs int64 `json:"observed_ms"`
	// OnStimulusMs is the part of it with the stimulus within GazeDeg.
	OnStimulusMs int64 `json:"on_stimulus_ms"`
	// Share is OnStimulusMs / ObservedMs (0 when nothing was observed).
	Share float64 `json:"on_stimulus_share"`
	// AwayEpisodes counts out-of-view spells longer than AwayMs, the one in
	// progress included once it is that long; AwayMs is their total time and
	// LongestAwayMs the longest.
	AwayEpisodes  int   `json:"away_episodes"`
	AwayMs        int64 `json:"away_ms"`
	LongestAwayMs int64 `json:"longest_away_ms"`
	// ClosestM is the closest horizontal distance from the head to an
	// approachable anchor; nil when the scene declares none.
	ClosestM *float64 `json:"closest_m,omitempty"`
}

// Tracker accumulates the measures from a stream of poses. It is not safe
// for concurrent use: its owner serialises Add, SetAnchors and Summary.
type Tracker struct {
	cfg     Config
	anchors []Anchor
	sum     Summary
	closest float64 // +Inf until an approachable anchor is measured
	run     int64   // the out-of-view spell in progress, ms
	last    struct {
		ok           bool
		t            int64
		onStim, seen bool
	}
}

// New starts a tracker with cfg (zero fields take Defaults) and anchors.
func New(cfg Config, anchors []Anchor) *Tracker {
	if cfg.GazeDeg <= 0 {
		cfg.GazeDeg = Defaults.GazeDeg
	}
	if cfg.ViewDeg <= 0 {
		cfg.ViewDeg = Defaults.ViewDeg
	}
	if cfg.AwayMs <= 0 {
		cfg.AwayMs = Defaults.AwayMs
	}
	if cfg.MaxGapMs <= 0 {
		cfg.MaxGapMs = Defaults.MaxGapMs
	}
	t := &Tracker{cfg: cfg, closest: math.Inf(1)}
	t.SetAnchors(anchors)
	return t
}

// SetAnchors replaces the stimulus (a scene change moved it). Time already
// attributed stays; the next pose is judged against the new anchors.
func (t *Tracker) SetAnchors(anchors []Anchor) {
	t.anchors = append(t.anchors[:0], anchors...)
	if len(anchors) == 0 {
		t.endSpell()
		t.last.ok = false
	}
}

// Reset starts the measures afresh (a new exposure step), keeping anchors.
func (t *Tracker) Reset() {
	t.sum, t.closest, t.run, t.last.ok = Summary{}, math.Inf(1), 0, false
}

// Add takes one pose. A pose no later than the previous one (an unordered
// channel may deliver late) is ignored.
func (t *Tracker) Add(p Pose) {
	if len(t.anchors) == 0 || (t.last.ok && p.T <= t.last.t) {
		return
	}
	if t.last.ok {
		t.hold(p.T - t.last.t)
	}
	onStim, seen := t.judge(p)
	if seen {
		t.endSpell()
	}
	t.last.ok, t.last.t, t.last.onStim, t.last.seen = true, p.T, onStim, seen
}

// hold credits dt ms to the previous pose's state (sample and hold).
func (t *Tracker) hold(dt int64) {
	if dt > t.cfg.MaxGapMs {
		t.endSpell()
		return
	}
	t.sum.ObservedMs += dt
	if t.last.onStim {
		t.sum.OnStimulusMs += dt
	}
	if !t.last.seen {
		t.run += dt
	}
}

// judge classifies a pose: stimulus within the gaze cone, within view.
func (t *Tracker) judge(p Pose) (onStim, seen bool) {
	fwd := p.Rot.Forward()
	best := 180.0
	for _, a := range t.anchors {
		best = math.Min(best, a.gazeAngle(p.Pos, fwd))
		if a.Approach {
			t.closest = math.Min(t.closest, a.floorDistance(p.Pos))
		}
	}
	return best <= t.cfg.GazeDeg, best <= t.cfg.ViewDeg
}

// endSpell closes the out-of-view spell in progress.
func (t *Tracker) endSpell() {
	if t.run > t.cfg.AwayMs {
		t.sum.AwayEpisodes++
		t.sum.AwayMs += t.run
		t.sum.LongestAwayMs = max(t.sum.LongestAwayMs, t.run)
	}
	t.run = 0
}

// Away reports whether the stimulus was out of view at the last pose.
func (t *Tracker) Away() bool { return t.last.ok && !t.last.seen }

// Summary returns the measures so far, a spell in progress counted once it
// is longer than AwayMs.
func (t *Tracker) Summary() Summary {
	s := t.sum
	if t.run > t.cfg.AwayMs {
		s.AwayEpisodes++
		s.AwayMs += t.run
		s.LongestAwayMs = max(s.LongestAwayMs, t.run)
	}
	if s.ObservedMs > 0 {
		s.Share = float64(s.OnStimulusMs) / float64(s.ObservedMs)
	}
	if !math.IsInf(t.closest, 1) {
		c := math.Round(t.closest*100) / 100
		s.ClosestM = &c
	}
	return s
}
