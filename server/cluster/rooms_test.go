package cluster_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/havenvr/haven/server/apptest"
	"github.com/havenvr/haven/server/groups"
	"github.com/havenvr/haven/server/store"
)

// A support room has one owning node, as a live session does. The
// moderator connects through node a, which takes the room's lease; a
// member who joins and connects through node b is forwarded to a, so both
// meet in a's memory: the member's message reaches the moderator, and b
// reports the room open (its moderator is on a). Then a dies without a
// word: once its lease expires, the moderator and the member reconnect
// through b, which takes the room from PostgreSQL, and they talk again.
func TestSupportRoomServedByItsOwner(t *testing.T) {
	const ttl = 2 * time.Second
	a, b := twoNodes(t, ttl)
	clinic := a.NewClinic(t, "Clinic")
	mod := a.SignIn(t, clinic.ID, store.RoleModerator)
	var room groups.RoomView
	if st := mod.Do(http.MethodPost, "/api/groups/rooms", map[string]any{"topic": "Evening group", "locale": "en", "lobby": false,
		"require_moderator": true}, &room); st != http.StatusCreated {
		t.Fatalf("create room: %d", st)
	}
	state := func(base string) string {
		var v struct{ State string }
		if st := apptest.NewClient(t, base).Do(http.MethodGet, "/api/groups/join/"+room.Code, nil, &v); st != http.StatusOK {
			t.Fatalf("lookup through %s: %d", base, st)
		}
		return v.State
	}
	if got := state(b.URL); got != string(groups.StateWaiting) {
		t.Fatalf("before any moderator: state %q, want waiting", got)
	}

	modPeer := dialModerator(t, mod, a.URL, room.ID)
	if h, ok, err := b.App.Cluster.Lookup(t.Context(), "group."+room.ID); err != nil || !ok || h.Node != "a" {
		t.Fatalf("room owner after the moderator reached a: %+v %v %v", h, ok, err)
	}
	// b answers for the room as a sees it: open, its moderator is there.
	if got := state(b.URL); got != string(groups.StateOpen) {
		t.Fatalf("lookup through b: state %q, want open", got)
	}
	token := joinRoom(t, b.URL, room.Code)
	viaB := dialMember(t, b.URL, room.ID, token)
	viaB.send(t, "chat.send", map[string]any{"text": "hello from b"})
	modPeer.expectText(t, "chat.msg", "hello from b")
	if b.App.Groups.Loaded(room.ID) {
		t.Fatal("b holds the room in memory too")
	}

	// a dies: cut from NATS first (no lease is released), then stopped.
	a.App.Cluster.Conn().Close()
	killed := time.Now()
	a.Close()
	var modBack *member
	for modBack == nil {
		if time.Since(killed) > ttl+10*time.Second {
			t.Fatal("the moderator could not reconnect through b")
		}
		modBack = tryDialModerator(mod, b.URL, room.ID)
		if modBack == nil {
			time.Sleep(200 * time.Millisecond)
		}
	}
	t.Cleanup(func() { _ = modBack.cp.Close() })
	t.Logf("moderator back through b %s after a died (lease TTL %s)", time.Since(killed).Round(time.Millisecond), ttl)
	if h, ok, err := b.App.Cluster.Lookup(t.Context(), "group."+room.ID); err != nil || !ok || h.Node != "b" {
		t.Fatalf("room owner after a died: %+v %v %v", h, ok, err)
	}
	again := dialMember(t, b.URL, room.ID, token)
	again.send(t, "chat.send", map[string]any{"text": "still here"})
	modBack.expectText(t, "chat.msg", "still here")
}
