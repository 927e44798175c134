package groups_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

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

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
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
	waitFor(t, 5*time.Second, "A heard by the others", func() bool { return b.Total() > 25 && listener.Total() > 25 })
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
	waitFor(t, 5*time.Second, "three speakers on three slots", func() bool {
		s := snapshot(listener)
		time.Sleep(200 * time.Millisecond)
		return activeSlots(listener, s) == 3
	})
	stop()
	stop = speak(t, map[*circlebench.Member]uint8{a: 20, b: 25, c: 30, d: 45})
	before := listener.Total()
	time.Sleep(time.Second)
	got := listener.Total() - before
	// 3 voices × 50 packets a second; 4 would be 200
	if got > 3*50*12/10 || got < 3*50*6/10 {
		t.Errorf("listener got %d packets in 1 s with four speaking: want about 150 (three voices of 50 a second)", got)
	}
	if n := activeSlots(listener, [groups.MaxSpeakers]int64{}); n > groups.MaxSpeakers {
		t.Errorf("%d slots active", n)
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
	time.Sleep(300 * time.Millisecond) // the last packets before the mute drain
	before = b.Total()
	time.Sleep(time.Second)
	if n := b.Total() - before; n != 0 {
		t.Errorf("B received %d packets in 1 s from A after A was muted", n)
	}
	stop()
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
	pose := map[string]any{"h": []float64{0.47, 1.29, -0.83, 0, 0.259, 0, 0.966}, "l": []float64{-0.31, 0.97, -0.44}}
	for range 10 {
		_ = a.Send("circle.pose", pose)
		time.Sleep(30 * time.Millisecond)
	}
	stop := speak(t, map[*circlebench.Member]uint8{a: 17})
	waitFor(t, 5*time.Second, "A heard", func() bool { return b.Total() > 25 })
	stop()
	_ = b.Send("voice.hand", map[string]any{"up": true})
	e.act(t, room.ID, groups.ActionRequest{Action: groups.ActOrderOn, Reason: "turns"})
	e.act(t, room.ID, groups.ActionRequest{Action: groups.ActGiveTurn, MemberID: b.ID, Reason: "B"})
	e.act(t, room.ID, groups.ActionRequest{Action: groups.ActVoiceMute, MemberID: a.ID, Reason: "noise"})
	if _, err := b.Expect(5*time.Second, "voice.floor", func(f circlebench.Frame) bool { return f.Body["turn"] == b.ID }); err != nil {
		t.Fatal(err)
	}
	e.act(t, room.ID, groups.ActionRequest{Action: groups.ActEnd, Reason: "done"})
	time.Sleep(200 * time.Millisecond)

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
