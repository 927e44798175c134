package groups_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/havenvr/haven/server/groups"
	"github.com/havenvr/haven/server/rtc"
	"github.com/havenvr/haven/server/store"
)

// seats drives one room's capacity scenario: members by name, their peers,
// and the moderator peer that watches them come and go.
type seats struct {
	t     *testing.T
	e     *env
	room  groups.RoomView
	mod   *peer
	who   map[string]groups.JoinResponse
	peers map[string]*peer
}

func newSeats(t *testing.T, e *env, room groups.RoomView) *seats {
	return &seats{t: t, e: e, room: room, mod: e.moderator(t, room.ID), who: map[string]groups.JoinResponse{}, peers: map[string]*peer{}}
}

// call is one HTTP exchange of a step, answered by status and body.
type call func() (int, []byte)

func (s *seats) join(as string) call {
	return func() (int, []byte) {
		st, raw := s.e.anon(s.t).Raw(http.MethodPost, "/api/groups/join", map[string]any{"code": s.room.Code, "accept_rules": true})
		if st == http.StatusCreated {
			var jr groups.JoinResponse
			if err := json.Unmarshal(raw, &jr); err != nil {
				s.t.Fatal(err)
			}
			s.who[as] = jr
		}
		return st, raw
	}
}

func (s *seats) rejoin(as string) call {
	return func() (int, []byte) {
		return s.e.anon(s.t).Raw(http.MethodPost, "/api/groups/join", map[string]any{"code": s.room.Code, "token": s.who[as].Token})
	}
}

func (s *seats) admit(as string) call {
	return func() (int, []byte) {
		req := groups.ActionRequest{Action: groups.ActAdmit, MemberID: s.who[as].MemberID, Reason: "welcome"}
		return s.e.mod.Raw(http.MethodPost, "/api/groups/rooms/"+s.room.ID+"/actions", req)
	}
}

// dial offers a member peer and answers 201 once its chat channel is open
// (the peer stays connected), or the refusal's status and body.
func (s *seats) dial(as string) call {
	return func() (int, []byte) {
		h := http.Header{"Authorization": {"Bearer " + s.who[as].Token}}
		p, err := dialPeer(s.t, s.e.srv.URL+"/api/groups/rooms/"+s.room.ID+"/peer", &http.Client{Timeout: 10 * time.Second}, h)
		var refused *rtc.SignalError
		if errors.As(err, &refused) {
			return refused.Status, []byte(refused.Body)
		}
		if err != nil {
			s.t.Fatalf("dialling %s: %v", as, err)
		}
		p.expect("welcome", nil)
		s.peers[as] = p
		return http.StatusCreated, nil
	}
}

// connect connects a member's peer (it must be let in).
func (s *seats) connect(as string) {
	s.t.Helper()
	if st, raw := s.dial(as)(); st != http.StatusCreated {
		s.t.Fatalf("connecting %s: %d %s", as, st, raw)
	}
}

// leave closes a member's peer and waits until the room has seen it go.
func (s *seats) leave(as string) {
	s.t.Helper()
	_ = s.peers[as].cp.Close()
	s.mod.expect("members.delta", func(f frame) bool { return strings.Contains(toJSON(f.Body["left"]), s.who[as].Pseudonym) })
}

func (s *seats) act(action, as string) {
	s.t.Helper()
	s.e.act(s.t, s.room.ID, groups.ActionRequest{Action: action, MemberID: s.who[as].MemberID, Reason: "seat check"})
}

// seatStep is one step of a capacity scenario: optional setup, then one call
// whose exact answer (status and error code) is checked. Steps build on one
// another, in order.
type seatStep struct {
	name   string
	before func()
	call   call
	want   int
	code   string
}

func (s *seats) run(steps []seatStep) {
	s.t.Helper()
	for _, st := range steps {
		if st.before != nil {
			st.before()
		}
		status, raw := st.call()
		wantStatus(s.t, st.name, status, raw, st.want, st.code, "")
	}
}

// TestRoomCapacity: capacity counts admitted members present in the room,
// not member records. In a room without a lobby a seat is taken on joining
// and kept while the member is connected, or for SeatHold after joining or
// leaving; a removal or a ban frees it at once. A member still seated always
// gets back in; one whose seat lapsed is refused like any newcomer, by
// rejoining and by reconnecting alike. The service's clock is stepped past
// SeatHold, never slept.
func TestRoomCapacity(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	for _, tc := range []struct {
		capacity int
		want     int
	}{{1, http.StatusUnprocessableEntity}, {groups.MaxCapacity + 1, http.StatusUnprocessableEntity}, {2, http.StatusCreated}} {
		st, raw := e.mod.Raw(http.MethodPost, "/api/groups/rooms", map[string]any{"topic": "Capacity check", "locale": "en", "capacity": tc.capacity})
		if tc.want == http.StatusCreated {
			wantStatus(t, fmt.Sprintf("capacity %d", tc.capacity), st, raw, tc.want, "", "")
		} else {
			wantStatus(t, fmt.Sprintf("capacity %d", tc.capacity), st, raw, tc.want, "validation", "capacity")
		}
	}
	s := newSeats(t, e, e.room(t, map[string]any{"lobby": false, "capacity": 2}))
	past := func() { e.srv.App.Groups.AdvanceClock(groups.SeatHold + time.Second) }
	s.run([]seatStep{
		{name: "first seat", call: s.join("a"), want: http.StatusCreated},
		{name: "second seat (capacity 2)", call: s.join("b"), want: http.StatusCreated},
		{name: "third: full", call: s.join("c"), want: http.StatusConflict, code: "room_full"},
		{name: "a seated member rejoins a full room", call: s.rejoin("a"), want: http.StatusOK},
		{name: "a seated member connects to a full room", call: s.dial("a"), want: http.StatusCreated},
		{name: "a connected member rejoins a full room", before: func() { s.connect("b") }, call: s.rejoin("b"), want: http.StatusOK},
		{name: "a removal frees a seat at once", before: func() { s.act(groups.ActRemove, "a") }, call: s.join("c"), want: http.StatusCreated},
		{name: "full again", call: s.join("d"), want: http.StatusConflict, code: "room_full"},
		{name: "a ban frees a seat at once", before: func() { s.act(groups.ActBan, "b") }, call: s.join("d"), want: http.StatusCreated},
		{name: "full once more", call: s.join("e"), want: http.StatusConflict, code: "room_full"},
		{name: "one who just left keeps the seat a while", before: func() { s.connect("c"); s.connect("d"); s.leave("c") },
			call: s.join("e"), want: http.StatusConflict, code: "room_full"},
		{name: "and gets back in", call: s.dial("c"), want: http.StatusCreated},
		{name: "one who left long ago has no seat", before: func() { s.leave("c"); past() }, call: s.join("e"), want: http.StatusCreated},
		{name: "so cannot rejoin the full room", call: s.rejoin("c"), want: http.StatusConflict, code: "room_full"},
		{name: "nor reconnect to it", call: s.dial("c"), want: http.StatusConflict, code: "room_full"},
		{name: "one who joined but never came frees the seat", before: past, call: s.rejoin("c"), want: http.StatusOK},
		{name: "rejoining took the seat back", call: s.join("f"), want: http.StatusConflict, code: "room_full"},
	})
}

// TestLobbyHoldsNoSeat: in a room with a lobby, waiting members hold no
// seat (the lobby of a full room still takes people), and a moderator
// cannot admit anyone into a full room: room_full, and nothing changes — the
// member stays in the lobby, unaudited and untold — until a seat is free.
func TestLobbyHoldsNoSeat(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	room := e.room(t, map[string]any{"lobby": true, "capacity": 2})
	s := newSeats(t, e, room)
	for _, as := range []string{"a", "b"} {
		jr, p := e.admitted(t, room, s.mod)
		s.who[as], s.peers[as] = jr, p
	}
	waiting := func(as string) func() {
		return func() {
			s.connect(as)
			s.peers[as].expect("notice", notice("group.notice.lobby"))
			s.mod.expect("lobby", func(f frame) bool { return strings.Contains(toJSON(f.Body), s.who[as].MemberID) })
		}
	}
	s.run([]seatStep{
		{name: "the lobby of a full room takes a newcomer", call: s.join("c"), want: http.StatusCreated},
		{name: "admitting into a full room", before: waiting("c"), call: s.admit("c"), want: http.StatusConflict, code: "room_full"},
	})
	t.Run("the refused admit changed nothing", func(t *testing.T) {
		s.peers["c"].t = t
		s.peers["c"].none("notice", notice("group.notice.admitted"), 300*time.Millisecond)
		var m store.GroupMember
		if err := e.srv.App.Store.DB.Take(&m, "id = ?", s.who["c"].MemberID).Error; err != nil || m.AdmittedAt != nil {
			t.Fatalf("member after a refused admit: %+v (%v)", m, err)
		}
		if n := len(e.auditOf(t, room.ID)["group.admit"]); n != 2 {
			t.Fatalf("%d group.admit events, want 2 (a and b)", n)
		}
		s.peers["c"].t = s.t
	})
	s.run([]seatStep{
		{name: "a removal frees a seat for the lobby", before: func() { s.act(groups.ActRemove, "a") }, call: s.admit("c"), want: http.StatusOK},
		{name: "the lobby still takes people", call: s.join("d"), want: http.StatusCreated},
		{name: "but the room is full again", call: s.admit("d"), want: http.StatusConflict, code: "room_full"},
	})
	s.peers["c"].expect("notice", notice("group.notice.admitted"))
}

// TestLobbyIsBounded: the lobby holds no seats but is not endless: once
// MaxLobby members wait, the next newcomer is refused with room_full, and a
// removal (which sends its member out of the lobby's count) makes room.
func TestLobbyIsBounded(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	room := e.room(t, map[string]any{"lobby": true, "capacity": 2})
	now := time.Now().UTC()
	waiting := make([]store.GroupMember, groups.MaxLobby)
	for i := range waiting {
		waiting[i] = store.GroupMember{ID: store.NewID(), RoomID: room.ID, TokenHash: store.HashToken(store.RandomToken(16)),
			Pseudonym: fmt.Sprintf("Waiting %d", i), RulesAcceptedAt: now, CreatedAt: now}
	}
	if err := e.srv.App.Store.DB.CreateInBatches(waiting, 200).Error; err != nil {
		t.Fatal(err)
	}
	s := &seats{t: t, e: e, room: room, who: map[string]groups.JoinResponse{"w": {MemberID: waiting[0].ID}}}
	s.run([]seatStep{
		{name: "a full lobby", call: s.join("x"), want: http.StatusConflict, code: "room_full"},
		{name: "after a removal from the lobby", before: func() { s.act(groups.ActRemove, "w") }, call: s.join("x"), want: http.StatusCreated},
	})
}

// TestConcurrentJoinsFillExactlyCapacity: seats are checked and taken
// together, so a burst of joins fills the room exactly.
func TestConcurrentJoinsFillExactlyCapacity(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	room := e.room(t, map[string]any{"lobby": false, "capacity": 3})
	const n = 12
	var wg sync.WaitGroup
	got := make(chan string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, raw := e.anon(t).Raw(http.MethodPost, "/api/groups/join", map[string]any{"code": room.Code, "accept_rules": true})
			code := ""
			if st != http.StatusCreated {
				var b struct{ Error struct{ Code string } }
				_ = json.Unmarshal(raw, &b)
				code = b.Error.Code
			}
			got <- fmt.Sprintf("%d %s", st, code)
		}()
	}
	wg.Wait()
	close(got)
	count := map[string]int{}
	for g := range got {
		count[g]++
	}
	if want := map[string]int{"201 ": 3, "409 room_full": n - 3}; fmt.Sprint(count) != fmt.Sprint(want) {
		t.Fatalf("answers %v, want %v", count, want)
	}
}
