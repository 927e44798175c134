package groups_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/havenvr/haven/server/apptest/wait"
	"github.com/havenvr/haven/server/bench/circlebench"
	"github.com/havenvr/haven/server/groups"
	"github.com/havenvr/haven/server/rtc"
)

// voiceMembers joins n circle members with voice (real pion peers).
func (e *env) voiceMembers(t *testing.T, code string, n int) []*circlebench.Member {
	t.Helper()
	api := rtc.NewClientAPI()
	hc := &http.Client{Transport: uaTransport{http.DefaultTransport}, Timeout: 10 * time.Second}
	out := make([]*circlebench.Member, n)
	for i := range out {
		m, err := circlebench.Join(context.Background(), api, hc, e.srv.URL, code, nil)
		if err != nil {
			t.Fatalf("member %d: %v", i, err)
		}
		t.Cleanup(func() { _ = m.Close() })
		if _, err := m.Expect(5*time.Second, "voice.you", nil); err != nil {
			t.Fatalf("member %d: %v", i, err)
		}
		out[i] = m
	}
	return out
}

// speak has each member send 20 ms packets at its level until stop closes.
func speak(t *testing.T, levels map[*circlebench.Member]uint8) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tk := time.NewTicker(20 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-done:
				return
			case <-tk.C:
			}
			for m, l := range levels {
				_ = m.Speak(l)
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func activeSlots(m *circlebench.Member, before [groups.MaxSpeakers]int64) int {
	n := 0
	for i := range m.Received {
		if m.Received[i].Load() > before[i] {
			n++
		}
	}
	return n
}

func snapshot(m *circlebench.Member) (s [groups.MaxSpeakers]int64) {
	for i := range m.Received {
		s[i] = m.Received[i].Load()
	}
	return s
}

// TestCircleVoiceForwardsLoudestThree: one speaker is heard by everyone
// else and not by themselves; with four people talking a listener gets only
// three voices (the bound: cost does not grow with the square of
// the room), the quietest newcomer waiting; digital silence (−127 dBov)
// takes no slot; a member the moderator mutes stops reaching anyone at
// once and the waiting voice takes the slot; voice.speakers names who is
// on which slot.
func TestCircleVoiceForwardsLoudestThree(t *testing.T) {
	e := start(t, nil)
	room := e.room(t, map[string]any{"lobby": false, "require_moderator": false, "space": "neutral_room"})
	ms := e.voiceMembers(t, room.Code, 6)
	a, b, c, d, quiet, listener := ms[0], ms[1], ms[2], ms[3], ms[4], ms[5]

	stop := speak(t, map[*circlebench.Member]uint8{a: 20, quiet: 127})
	wait.Until(t, 5*time.Second, "A heard by the others", func() bool { return b.Total() > 25 && listener.Total() > 25 })
	if _, err := listener.Expect(2*time.Second, "voice.speakers", func(f circlebench.Frame) bool {
		return toJSON(f.Body["ids"]) == toJSON([]string{a.ID})
	}); err != nil {
		t.Error(err)
	}
	if n := a.Total(); n != 0 {
		t.Errorf("A received %d packets of their own voice", n)
	}
	stop()

	// A, B and C speak; D, quieter, starts after them: listeners get three voices
	stop = speak(t, map[*circlebench.Member]uint8{a: 20, b: 25, c: 30})
	abc := snapshot(listener)
	wait.Until(t, 5*time.Second, "three speakers on three slots", func() bool { return activeSlots(listener, abc) == 3 })
	if _, err := listener.Expect(5*time.Second, "voice.speakers", func(f circlebench.Frame) bool {
		return sameIDs(f.Body["ids"], a.ID, b.ID, c.ID)
	}); err != nil {
		t.Fatal(err)
	}
	stop()
	stop = speak(t, map[*circlebench.Member]uint8{a: 20, b: 25, c: 30, d: 45})
	// D, waiting, takes no slot: for 75 of D's packets (1.5 s), every slot
	// keeps carrying the voice it had and no voice.speakers names D; a
	// listener's packets grow by three voices, never four
	dFrom, before := d.Sent(), listener.Total()
	stays(t, func() bool { return d.Sent()-dFrom >= 75 }, func() string {
		if f, ok := listener.Seen("voice.speakers", func(f circlebench.Frame) bool { return strings.Contains(toJSON(f.Body["ids"]), d.ID) }); ok {
			return "D took a slot while three louder voices held them: " + toJSON(f.Body)
		}
		return ""
	})
	// three voices × 75 packets while D sent 75; four would be 300
	if got := listener.Total() - before; got > 3*75*12/10 {
		t.Errorf("listener got %d packets while D sent 75 with four speaking: want about 225 (three voices)", got)
	}

	// the moderator mutes A: A's voice stops, D (waiting) takes the slot
	e.act(t, room.ID, groups.ActionRequest{Action: groups.ActVoiceMute, MemberID: a.ID, Reason: "background noise"})
	if _, err := a.Expect(3*time.Second, "voice.you", func(f circlebench.Frame) bool { return f.Body["muted"] == true }); err != nil {
		t.Fatal(err)
	}
	if _, err := listener.Expect(3*time.Second, "voice.speakers", func(f circlebench.Frame) bool {
		ids := toJSON(f.Body["ids"])
		return !strings.Contains(ids, a.ID) && strings.Contains(ids, d.ID)
	}); err != nil {
		t.Error(err)
	}
	stop()
	stop = speak(t, map[*circlebench.Member]uint8{a: 20})
	defer stop()
	silentWhile(t, b, a, 50, "B, after A was muted")
}

// stays waits until done holds (a deadline of 15 s), failing at once when
// wrong returns a reason.
func stays(t *testing.T, done func() bool, wrong func() string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !done() {
		if why := wrong(); why != "" {
			t.Fatal(why)
		}
		if time.Now().After(deadline) {
			t.Fatal("not done within 15 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if why := wrong(); why != "" {
		t.Fatal(why)
	}
}

// silentWhile asserts that listener receives no voice while speaker sends
// n packets (n/50 seconds), once the packets already on their way have
// arrived: the count must settle (stay still for 10 of the speaker's
// packets) within 2 s, then stay still for n more.
func silentWhile(t *testing.T, listener, speaker *circlebench.Member, n int64, what string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		was, from := listener.Total(), speaker.Sent()
		wait.Until(t, 5*time.Second, "the speaker sending", func() bool { return speaker.Sent()-from >= 10 })
		if listener.Total() == was {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: voice still arriving 2 s on", what)
		}
	}
	was, from := listener.Total(), speaker.Sent()
	wait.Until(t, 15*time.Second, "the speaker sending", func() bool { return speaker.Sent()-from >= n })
	if got := listener.Total() - was; got != 0 {
		t.Errorf("%s: %d voice packets arrived while the speaker sent %d", what, got, n)
	}
}

// sameIDs reports whether a JSON list holds exactly want, in any order.
func sameIDs(list any, want ...string) bool {
	got, _ := list.([]any)
	if len(got) != len(want) {
		return false
	}
	for _, w := range want {
		if !strings.Contains(toJSON(got), `"`+w+`"`) {
			return false
		}
	}
	return true
}

// TestCirclePrivacyNothingStored runs a circle through voice, poses,
// figures, raised hands, the speaking order and voice mutes, ends it, and
// finds none of it in any column of any table, in the database's raw bytes
// or in the log: the pose values, the chosen figure, the speaking state.
// The audit keeps the moderator's actions (by policy), without any of it.
func TestCirclePrivacyNothingStored(t *testing.T) {
	e := start(t, nil)
	room := e.room(t, map[string]any{"lobby": false, "require_moderator": false, "space": "beach"})
	ms := e.voiceMembers(t, room.Code, 3)
	a, b := ms[0], ms[1]
	if err := a.Send("circle.avatar", map[string]any{"shape": "column", "colour": "coral", "accessory": "headphones"}); err != nil {
		t.Fatal(err)
	}
	// A's pose goes out until the room's relay has carried it to B
	pose := map[string]any{"h": []float64{0.47, 1.29, -0.83, 0, 0.259, 0, 0.966}, "l": []float64{-0.31, 0.97, -0.44}}
	wait.Until(t, 10*time.Second, "A's pose relayed to B", func() bool {
		_ = a.Send("circle.pose", pose)
		return b.Poses() > 0
	})
	stop := speak(t, map[*circlebench.Member]uint8{a: 17})
	wait.Until(t, 5*time.Second, "A heard", func() bool { return b.Total() > 25 })
	stop()
	_ = b.Send("voice.hand", map[string]any{"up": true})
	e.act(t, room.ID, groups.ActionRequest{Action: groups.ActOrderOn, Reason: "turns"})
	e.act(t, room.ID, groups.ActionRequest{Action: groups.ActGiveTurn, MemberID: b.ID, Reason: "B"})
	e.act(t, room.ID, groups.ActionRequest{Action: groups.ActVoiceMute, MemberID: a.ID, Reason: "noise"})
	if _, err := b.Expect(5*time.Second, "voice.floor", func(f circlebench.Frame) bool { return f.Body["turn"] == b.ID }); err != nil {
		t.Fatal(err)
	}
	e.act(t, room.ID, groups.ActionRequest{Action: groups.ActEnd, Reason: "done"})
	for i, m := range ms { // the server has closed every peer: nothing of the circle is left to write
		select {
		case <-m.Gone():
		case <-time.After(10 * time.Second):
			t.Fatalf("member %d was not disconnected when the circle ended", i)
		}
	}

	cols := map[string]bool{}
	var info []struct{ Name string }
	for _, table := range []string{"group_rooms", "group_members"} {
		if err := e.srv.App.Store.DB.Raw("SELECT name FROM pragma_table_info(?)", table).Scan(&info).Error; err != nil {
			t.Fatal(err)
		}
		for _, c := range info {
			cols[table+"."+c.Name] = true
		}
	}
	for c := range cols {
		for _, w := range []string{"seat", "avatar", "pose", "voice", "level", "hand"} {
			if strings.Contains(c, w) {
				t.Errorf("column %s: circle state has a place in the database", c)
			}
		}
	}
	scanStore(t, e, []string{"[0.47,1.29,-0.83", "0.47,1.29", "-0.31,0.97", "headphones", "coral", `"voice.speakers"`, `"may_speak"`, "127.0.0.1"})
}

// TestCircleLateJoinerLearnsWhoSpeaks: someone who comes into a circle
// while a member is speaking, with the speaking order on, learns at once
// who is on which voice slot and whose turn it is — without waiting for
// the next change — so their page places the voice already playing and
// shows the order (a moderator's console names the speaker likewise).
func TestCircleLateJoinerLearnsWhoSpeaks(t *testing.T) {
	e := start(t, nil)
	room := e.room(t, map[string]any{"lobby": false, "require_moderator": false, "space": "night_sky"})
	ms := e.voiceMembers(t, room.Code, 2)
	a, b := ms[0], ms[1]
	e.act(t, room.ID, groups.ActionRequest{Action: groups.ActOrderOn, Reason: "turns"})
	e.act(t, room.ID, groups.ActionRequest{Action: groups.ActGiveTurn, MemberID: a.ID, Reason: "A"})
	stop := speak(t, map[*circlebench.Member]uint8{a: 20})
	defer stop()
	wait.Until(t, 10*time.Second, "B hears A", func() bool { return b.Total() > 25 })

	late := e.voiceMembers(t, room.Code, 1)[0]
	if _, err := late.Expect(5*time.Second, "voice.speakers", func(f circlebench.Frame) bool {
		slots, _ := f.Body["slots"].([]any)
		return sameIDs(f.Body["ids"], a.ID) && len(slots) == groups.MaxSpeakers
	}); err != nil {
		t.Error(err)
	}
	if _, err := late.Expect(5*time.Second, "voice.floor", func(f circlebench.Frame) bool { return f.Body["order"] == true && f.Body["turn"] == a.ID }); err != nil {
		t.Error(err)
	}
	wait.Until(t, 10*time.Second, "the late joiner hears A", func() bool { return late.Total() > 25 })
}
