package groups

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// relaySim is a circle's pose relay driven tick by tick without a network:
// the same plan relayTick sends, recorded per listener.
type relaySim struct {
	r       *room
	members []*conn
	version map[*conn]int // changes so far
	pending map[[2]*conn]int
	tick    int
}

// newRelaySim seats a moderator on seat 0 and m members on seats 1…, with
// every fifth seat after the first ten left empty (members who left): the
// ring is by occupied seats, not seat numbers.
func newRelaySim(m int) *relaySim {
	s := &relaySim{r: &room{conns: map[string]*conn{}}, version: map[*conn]int{}, pending: map[[2]*conn]int{}}
	mod := &conn{key: "mod:x", role: RoleModerator, seated: true, seat: 0}
	s.r.conns[mod.key] = mod
	s.members = append(s.members, mod)
	seat := 1
	for i := range m {
		if seat > 10 && seat%5 == 0 {
			seat++
		}
		c := &conn{key: fmt.Sprintf("m%03d", i), memberID: fmt.Sprintf("m%03d", i), role: RoleMember, admitted: true, seated: true, seat: seat}
		s.r.conns[c.key] = c
		s.members = append(s.members, c)
		seat++
	}
	return s
}

// move gives c a new pose; every listener now owes it one.
func (s *relaySim) move(c *conn) {
	s.version[c]++
	c.setPose([]float64{float64(s.version[c]%300) / 100, 1.2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0})
	for _, l := range s.members {
		if k := [2]*conn{l, c}; l != c {
			if _, owed := s.pending[k]; !owed {
				s.pending[k] = s.tick
			}
		}
	}
}

// step runs one relay tick and returns what each listener got.
func (s *relaySim) step(speakers []*conn) map[*conn][]*conn {
	pt := s.r.poseTickLocked(speakers)
	got := map[*conn][]*conn{}
	for _, l := range s.members {
		sel := pt.forListener(l, nil)
		got[l] = sel
		for _, o := range sel {
			delete(s.pending, [2]*conn{l, o})
		}
	}
	pt.done()
	s.tick++
	return got
}

// TestPoseRelayBudgetAndStaleness: at 24 and 100 members (the issue's
// sizes), with the moderator and members moving — some every tick, some
// now and then, some never — and the speakers changing, for 10 seconds of
// ticks:
//   - no listener is sent more than PoseFrameMax poses a tick (14), so at
//     most 280 a second in at most PoseHz frames, the same at 24 and at
//     100 (relaying all, as before, was 24 × 20 = 480 a second at 24
//     members and a moderator, 2,000 at 100);
//   - no one is sent their own pose, nor a pose twice in a frame;
//   - every change reaches every listener within PoseHz ticks (1 s);
//   - the speakers, the moderator and the two seats on either side are
//     sent in the same tick as they move.
func TestPoseRelayBudgetAndStaleness(t *testing.T) {
	for _, tc := range []struct {
		m      int
		chance []float64 // members move in a tick with these chances, in turn
	}{
		{24, []float64{1, 1, 0.3, 0.05, 0}}, {100, []float64{1, 1, 0.3, 0.05, 0}},
		{24, []float64{1}}, {100, []float64{1}}, // everyone every tick, as in haven bench circle
	} {
		m := tc.m
		t.Run(fmt.Sprint(m, tc.chance), func(t *testing.T) {
			s := newRelaySim(m)
			rng := rand.New(rand.NewPCG(22, uint64(m)))
			every := make([]float64, len(s.members)) // each member's chance to move in a tick
			for i := range every {
				every[i] = tc.chance[i%len(tc.chance)]
			}
			maxStale, perSecond, total := 0, map[*conn]int{}, 0
			worst := 0
			for tick := range 10 * PoseHz {
				for i, c := range s.members {
					if rng.Float64() < every[i] {
						s.move(c)
					}
				}
				speakers := []*conn{s.members[1+(tick/40)%m], s.members[1+(tick/40+7)%m], s.members[1+(tick/40+13)%m]}
				moved := map[*conn]bool{}
				for _, c := range s.members {
					moved[c] = c.poseDirty
				}
				got := s.step(speakers)
				for l, sel := range got {
					if len(sel) > PoseFrameMax {
						t.Fatalf("tick %d: listener %s got %d poses, more than %d", tick, l.key, len(sel), PoseFrameMax)
					}
					seen := map[*conn]bool{}
					for _, o := range sel {
						if o == l || seen[o] {
							t.Fatalf("tick %d: listener %s got its own pose or one twice", tick, l.key)
						}
						seen[o] = true
					}
					// who matters to l gets there in the same tick
					i := slices.Index(s.sortedRing(), l)
					ring := s.sortedRing()
					n := len(ring)
					near := append([]*conn{s.members[0]}, speakers...)
					for d := 1; d <= PoseNeighbours; d++ {
						near = append(near, ring[(i+d)%n], ring[((i-d)%n+n)%n])
					}
					for _, o := range near {
						if o != l && moved[o] && !seen[o] {
							t.Fatalf("tick %d: %s moved and matters to %s (speaker, moderator or neighbour) but was not sent", tick, o.key, l.key)
						}
					}
					perSecond[l] += len(sel)
					total += len(sel)
				}
				for _, since := range s.pending {
					maxStale = max(maxStale, s.tick-since)
				}
				if (tick+1)%PoseHz == 0 {
					for l, n := range perSecond {
						worst = max(worst, n)
						delete(perSecond, l)
					}
				}
			}
			if maxStale > PoseHz {
				t.Errorf("a change waited %d ticks for a listener: more than %d (1 s)", maxStale, PoseHz)
			}
			if worst > PoseFrameMax*PoseHz {
				t.Errorf("a listener got %d poses in a second: more than %d", worst, PoseFrameMax*PoseHz)
			}
			t.Logf("M=%d: at most %d poses per listener per second (budget %d, all-to-all %d), mean %.0f; longest wait %d ticks",
				m, worst, PoseFrameMax*PoseHz, m*PoseHz, float64(total)/float64(len(s.members))/10, maxStale)
		})
	}
}

func (s *relaySim) sortedRing() []*conn { return s.r.ringLocked() }

// TestPosesFrameMatchesOutbound: the frame written from cached entries
// decodes to what encoding/json makes of the same poses (outbound), ids
// that need escaping included.
func TestPosesFrameMatchesOutbound(t *testing.T) {
	a := &conn{key: "m1", memberID: `m"1\u2028`, role: RoleMember}
	a.setPose([]float64{-0.05, 1.23, 0, 0, 0.259, 0, 0.966, -0.2, 0.9, -0.3, 0, 0, 0})
	b := &conn{key: "mod:k", role: RoleModerator}
	b.setPose([]float64{0, 1.6, 2.99, -0.001, 0, 0, 1, 0, 0, 0, 0.25, 1.5, -3})
	var got, want map[string]any
	if err := json.Unmarshal(posesFrame(42, []*conn{a, b}), &got); err != nil {
		t.Fatalf("frame is not JSON: %v", err)
	}
	if err := json.Unmarshal(outbound("circle.poses", 0, map[string]any{"p": map[string][]float64{a.memberID: a.pose, "mod:k": b.pose}}), &want); err != nil {
		t.Fatal(err)
	}
	want["t"] = float64(42)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("frame %v\nwant  %v", got, want)
	}
}
