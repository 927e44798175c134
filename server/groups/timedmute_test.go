package groups_test

import (
	"testing"
	"time"

	"github.com/havenvr/haven/server/apptest/wait"
	"github.com/havenvr/haven/server/bench/circlebench"
	"github.com/havenvr/haven/server/groups"
)

// TestCircleTimedMuteHoldsVoiceUntilItEnds: a moderator pauses a circle
// member's messages for ten minutes; their voice stops reaching the room
// with them, and the member is told in words and in voice.you (muted, with
// the pause's end). When the time runs out — the service's clock stepped
// past it — the member is told, voice.you says they may speak, and their
// voice reaches the others again with nobody acting. A second, shorter
// pause ends on the room's own timer (the clock stepped to one second
// before its end, the last second left to the wall clock).
func TestCircleTimedMuteHoldsVoiceUntilItEnds(t *testing.T) {
	e := start(t, nil)
	room := e.room(t, map[string]any{"lobby": false, "require_moderator": false, "space": "forest"})
	ms := e.voiceMembers(t, room.Code, 2)
	a, b := ms[0], ms[1]
	stop := speak(t, map[*circlebench.Member]uint8{a: 20})
	defer stop()
	hearsAgain := func(what string) {
		t.Helper()
		from := b.Total()
		wait.Until(t, 10*time.Second, what, func() bool { return b.Total()-from >= 25 })
	}
	hearsAgain("B hears A")

	muted := func(want bool) func(circlebench.Frame) bool {
		return func(f circlebench.Frame) bool { return f.Body["muted"] == want }
	}
	e.act(t, room.ID, groups.ActionRequest{Action: groups.ActMute, MemberID: a.ID, Seconds: 600, Reason: "a pause"})
	if _, err := a.Expect(5*time.Second, "notice", func(f circlebench.Frame) bool { return f.Body["id"] == "group.notice.muted_circle" }); err != nil {
		t.Fatal(err)
	}
	you, err := a.Expect(5*time.Second, "voice.you", muted(true))
	if err != nil {
		t.Fatal(err)
	}
	until, err := time.Parse(time.RFC3339, toString(you.Body["until"]))
	if err != nil || you.Body["may_speak"] != false {
		t.Fatalf("voice.you during the pause: %v (until: %v)", you.Body, err)
	}
	if d := time.Until(until); d < 590*time.Second || d > 601*time.Second {
		t.Errorf("the pause ends in %s: want 10 min", d)
	}
	silentWhile(t, b, a, 50, "B while A's messages are paused")

	// ten minutes on: the pause is over by itself
	e.srv.App.Groups.AdvanceClock(601 * time.Second)
	if _, err := a.Expect(5*time.Second, "notice", func(f circlebench.Frame) bool { return f.Body["id"] == "group.notice.unmuted_circle" }); err != nil {
		t.Fatal(err)
	}
	you, err = a.Expect(5*time.Second, "voice.you", muted(false))
	if err != nil {
		t.Fatal(err)
	}
	if you.Body["may_speak"] != true || you.Body["until"] != nil {
		t.Errorf("voice.you after the pause: %v", you.Body)
	}
	hearsAgain("B hears A once the pause is over")

	// a minute's pause, its last second on the room's timer
	e.act(t, room.ID, groups.ActionRequest{Action: groups.ActMute, MemberID: a.ID, Seconds: 60, Reason: "another pause"})
	if _, err := a.Expect(5*time.Second, "voice.you", muted(true)); err != nil {
		t.Fatal(err)
	}
	silentWhile(t, b, a, 25, "B during the second pause")
	e.srv.App.Groups.AdvanceClock(59 * time.Second)
	if _, err := a.Expect(10*time.Second, "voice.you", muted(false)); err != nil {
		t.Fatal(err)
	}
	hearsAgain("B hears A after the second pause")
}

func toString(v any) string { s, _ := v.(string); return s }
