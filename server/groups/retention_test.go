package groups_test

import (
	"bytes"
	"errors"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/havenvr/haven/server/groups"
	"github.com/havenvr/haven/server/store"
)

// reviewKinds counts a room's stored review items by kind.
func (e *env) reviewKinds(t *testing.T, roomID string) map[string]int {
	t.Helper()
	var items []store.GroupQueueItem
	if err := e.srv.App.Store.DB.Where("room_id = ?", roomID).Find(&items).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, it := range items {
		out[it.Kind]++
	}
	return out
}

// rawHolds reports which of secrets are anywhere in the database file or its
// WAL after a checkpoint: deleted rows must be zeroed, not left in free pages.
func (e *env) rawHolds(t *testing.T, secrets []string) []string {
	t.Helper()
	checkpoint(t, e.srv.App.Store.DB)
	var found []string
	for _, path := range []string{e.srv.App.Store.Path, e.srv.App.Store.Path + "-wal"} {
		raw, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("reading %s: %v", path, err)
		}
		for _, s := range secrets {
			if bytes.Contains(raw, []byte(s)) {
				found = append(found, filepath.Base(path)+": "+s)
			}
		}
	}
	return found
}

// TestRetention steps the service's clock and has the running sweeper pass
// after each step (no sleeps). Review items are the only message text ever
// stored: a held crisis message, a reported message and a soft-deleted one.
//   - A soft-deleted message stays reviewable for DeleteReview, then is gone,
//     whether the room is live or ended, whatever the room's retention.
//   - An ephemeral room (retain_days 0) loses every review item when it ends.
//   - A room with retain_days keeps held and reported messages that many days
//     after it ends, then the sweeper purges them.
//
// At the end no message text is left, not even in the file's free pages.
func TestRetention(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	review := groups.DefaultLimits().DeleteReview
	day := 24 * time.Hour
	all := map[string]int{"crisis": 1, "report_worried": 1, "deleted": 1}
	heldAndReported := map[string]int{"crisis": 1, "report_worried": 1}
	none := map[string]int{}
	type step struct {
		name    string
		end     bool // the moderator ends the room first
		advance time.Duration
		want    map[string]int
	}
	for _, tc := range []struct {
		name       string
		retainDays int
		steps      []step
	}{
		{"ephemeral room", 0, []step{
			{name: "live: all kept", want: all},
			{name: "deleted message still reviewable a minute before its window closes", advance: review - time.Minute, want: all},
			{name: "deleted message gone after its window", advance: 2 * time.Minute, want: heldAndReported},
			{name: "held and reported gone when the room ends", end: true, want: none},
		}},
		{"room keeping review items 7 days", 7, []step{
			{name: "live: all kept", want: all},
			{name: "ended: all still kept", end: true, want: all},
			{name: "deleted message gone after its review window, room ended or not", advance: review + time.Minute, want: heldAndReported},
			{name: "held and reported kept a minute before retain_days", advance: 7*day - review - 2*time.Minute, want: heldAndReported},
			{name: "all purged after retain_days", advance: 2 * time.Minute, want: none},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			room := e.room(t, map[string]any{"lobby": false, "retain_days": tc.retainDays})
			if room.RetainDays != tc.retainDays {
				t.Fatalf("room retain_days = %d, want %d", room.RetainDays, tc.retainDays)
			}
			secrets := []string{store.NewID() + "-reported", store.NewID() + "-crisis", store.NewID() + "-deleted"}
			mod := e.moderator(t, room.ID)
			a := e.join(t, room.Code, nil)
			pa := e.member(t, room.ID, a.Token)
			b := e.join(t, room.Code, nil)
			pb := e.member(t, room.ID, b.Token)
			pa.send("chat.send", map[string]any{"text": "hello " + secrets[0]})
			m := pb.expect("chat.msg", textHas(secrets[0]))
			pb.send("chat.report", map[string]any{"msg": m.Body["id"], "reason": "worried"})
			mod.expect("mod.alert", func(f frame) bool { return f.Body["kind"] == "report_worried" })
			pa.send("chat.send", map[string]any{"text": "I want to end my life " + secrets[1]})
			mod.expect("mod.alert", func(f frame) bool { return f.Body["kind"] == "crisis" })
			pa.send("chat.send", map[string]any{"text": "regrettable " + secrets[2]})
			d := mod.expect("chat.msg", textHas(secrets[2]))
			e.act(t, room.ID, groups.ActionRequest{Action: groups.ActDelete, MessageID: d.Body["id"].(string), Reason: "privacy"})

			for _, st := range tc.steps {
				if st.end {
					e.act(t, room.ID, groups.ActionRequest{Action: groups.ActEnd, Reason: "session over"})
				}
				e.srv.App.Groups.AdvanceClock(st.advance)
				if err := e.srv.App.Groups.SweepNow(); err != nil {
					t.Fatalf("%s: sweeping: %v", st.name, err)
				}
				if got := e.reviewKinds(t, room.ID); !maps.Equal(got, st.want) {
					t.Fatalf("%s: review items %v, want %v", st.name, got, st.want)
				}
			}
			var queue []groups.QueueItem
			if st := e.mod.Do(http.MethodGet, "/api/groups/rooms/"+room.ID+"/queue", nil, &queue); st != http.StatusOK || len(queue) != 0 {
				t.Fatalf("queue after the purge: %d %+v", st, queue)
			}
			if found := e.rawHolds(t, secrets); len(found) > 0 {
				t.Fatalf("message text left in the database after the purge: %v", found)
			}
		})
	}
}
