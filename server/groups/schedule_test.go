package groups_test

import (
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/havenvr/haven/server/groups"
	"github.com/havenvr/haven/server/store"
)

// TestScheduledCloseEndsRoom: a room nobody ends by hand is ended by the
// sweeper once its closes_at passes, exactly as a moderator's "end": everyone
// inside gets room.ended and the ended notice and is disconnected, member
// records go, held and reported messages go at once or after retain_days,
// and the end is audited once, by the system. The service's clock is
// stepped and the sweeper run on demand (no sleeps).
func TestScheduledCloseEndsRoom(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	held := map[string]int{"crisis": 1, "report_worried": 1}
	for _, tc := range []struct {
		name       string
		retainDays int
		atEnd      map[string]int // review items right after the scheduled end
	}{
		{"ephemeral room", 0, map[string]int{}},
		{"room keeping review items 7 days", 7, held},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := start(t, nil) // its own clock: the steps below move it by days
			svc := e.srv.App.Groups
			room := e.room(t, map[string]any{"lobby": false, "retain_days": tc.retainDays,
				"closes_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
			mod := e.moderator(t, room.ID)
			a := e.join(t, room.Code, nil)
			pa := e.member(t, room.ID, a.Token)
			b := e.join(t, room.Code, nil)
			pb := e.member(t, room.ID, b.Token)
			pa.send("chat.send", map[string]any{"text": "I want to end my life"})
			mod.expect("mod.alert", func(f frame) bool { return f.Body["kind"] == "crisis" })
			pa.send("chat.send", map[string]any{"text": "rough week"})
			m := pb.expect("chat.msg", textIs("rough week"))
			pb.send("chat.report", map[string]any{"msg": m.Body["id"], "reason": "worried"})
			mod.expect("mod.alert", func(f frame) bool { return f.Body["kind"] == "report_worried" })

			sweep := func(step string, advance time.Duration) {
				t.Helper()
				svc.AdvanceClock(advance)
				if err := svc.SweepNow(); err != nil {
					t.Fatalf("%s: sweeping: %v", step, err)
				}
			}
			sweep("before the close", 50*time.Minute)
			if got := e.reviewKinds(t, room.ID); !maps.Equal(got, held) {
				t.Fatalf("before the close: review items %v, want %v", got, held)
			}
			sweep("past the close", 11*time.Minute)
			for name, p := range map[string]*peer{"member": pa, "moderator": mod} {
				p.expect("room.ended", nil)
				p.expect("notice", notice("group.notice.ended"))
				waitClosed(t, p)
				t.Logf("%s told and disconnected", name)
			}
			var n int64
			e.srv.App.Store.DB.Model(&store.GroupMember{}).Where("room_id = ?", room.ID).Count(&n)
			if n != 0 {
				t.Fatalf("%d member records left after the scheduled end", n)
			}
			if got := e.reviewKinds(t, room.ID); !maps.Equal(got, tc.atEnd) {
				t.Fatalf("after the scheduled end: review items %v, want %v", got, tc.atEnd)
			}
			var view struct{ Room groups.RoomView }
			if st := e.mod.Do(http.MethodGet, "/api/groups/rooms/"+room.ID, nil, &view); st != http.StatusOK || view.Room.State != groups.StateEnded {
				t.Fatalf("room after the scheduled end: %d %+v", st, view.Room)
			}
			sweep("a day later", day)
			ends := e.auditOf(t, room.ID)["group.end"]
			if len(ends) != 1 || ends[0].ActorID != "system" || ends[0].Detail["reason"] != "scheduled close" {
				t.Fatalf("group.end audit = %+v, want one, by the system, for the scheduled close", ends)
			}
			sweep("past retain_days", time.Duration(tc.retainDays)*day)
			if got := e.reviewKinds(t, room.ID); len(got) != 0 {
				t.Fatalf("after retain_days: review items %v, want none", got)
			}
		})
	}
}
