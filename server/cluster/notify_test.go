package cluster_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/havenvr/haven/server/apptest"
	"github.com/havenvr/haven/server/groups"
	"github.com/havenvr/haven/server/notify"
	"github.com/havenvr/haven/server/rtc"
	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/store"
	"github.com/pion/webrtc/v4"
)

// follower is a staff page's event stream on one node, as the browser's
// EventSource reads it (reconnecting with Last-Event-ID).
type follower struct {
	mu     sync.Mutex
	events []notify.Event
	opens  int
}

func follow(t *testing.T, c *apptest.Client, base string) *follower {
	t.Helper()
	f := &follower{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- notify.Follow(ctx, c.HTTP, base+"/api/events",
			func() { f.mu.Lock(); f.opens++; f.mu.Unlock() },
			func(ev notify.Event) { f.mu.Lock(); f.events = append(f.events, ev); f.mu.Unlock() })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && err != context.Canceled {
			t.Errorf("event stream: %v", err)
		}
	})
	f.wait(t, "the stream opens", 10*time.Second, func(*follower) bool { return f.opens > 0 })
	return f
}

// wait polls until cond holds on the events so far, or fails at the deadline.
func (f *follower) wait(t *testing.T, what string, d time.Duration, cond func(*follower) bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		f.mu.Lock()
		ok := cond(f)
		f.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			f.mu.Lock()
			defer f.mu.Unlock()
			t.Fatalf("%s: not within %s; events so far: %+v", what, d, f.events)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// find returns the first event for which match holds.
func (f *follower) find(match func(notify.Event) bool) (notify.Event, bool) {
	for _, ev := range f.events {
		if match(ev) {
			return ev, true
		}
	}
	return notify.Event{}, false
}

// Two nodes on one PostgreSQL database and one NATS server. The
// therapist's page follows the event stream of node b; the session is
// created, joined and served on node a. The page on b hears the session
// created and going live, and the link_lost alert that a (the room's
// owner) raises when the headset goes away, within a few seconds.
// A moderator's page on b hears a crisis message held in a support room
// served by a. b's streams last 300 ms: the therapist's page reconnects,
// with Last-Event-ID, before the session goes live, and misses nothing. A
// moderator's page never receives live sessions' events.
func TestNotificationsReachAnotherNode(t *testing.T) {
	a, b := twoNodes(t, 3*time.Second)
	b.App.Notify.SetStreamFor(300 * time.Millisecond)
	clinic := a.NewClinic(t, "Clinic")
	th := a.SignIn(t, clinic.ID, store.RoleTherapist) // its cookie is good on b: sessions are in PostgreSQL
	mod := a.SignIn(t, clinic.ID, store.RoleModerator)
	thPage, modPage := follow(t, th, b.URL), follow(t, mod, b.URL)

	jc := joinCode(t, th) // on a
	var sid string
	thPage.wait(t, "the new session on b's page", 10*time.Second, func(f *follower) bool {
		ev, ok := f.find(func(ev notify.Event) bool { return ev.Kind == notify.KindSession && ev.Change == "created" })
		sid = ev.SessionID
		return ok && ev.Node == "a" && ev.State == store.LiveScheduled
	})
	// The rest arrives on later streams: the page reconnects (after 300 ms)
	// with the id it saw last.
	thPage.mu.Lock()
	opened := thPage.opens
	thPage.mu.Unlock()
	thPage.wait(t, "the page reconnects", 10*time.Second, func(f *follower) bool { return f.opens > opened })

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	joined, tok, err := simpeer.Join(ctx, http.DefaultClient, a.URL, jc)
	if err != nil || joined != sid {
		t.Fatalf("join: session %q (want %q), %v", joined, sid, err)
	}
	p := simpeer.NewPatient(simpeer.PatientOptions{BaseURL: a.URL, SessionID: sid, Token: tok, Seed: 7})
	if err := p.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	p.Start()
	t.Cleanup(p.Close)
	if h, ok, err := b.App.Cluster.Lookup(ctx, "live."+sid); err != nil || !ok || h.Node != "a" {
		t.Fatalf("owner: %+v %v %v; want a", h, ok, err)
	}
	thPage.wait(t, "the session live on b's page", 10*time.Second, func(f *follower) bool {
		_, ok := f.find(func(ev notify.Event) bool {
			return ev.Kind == notify.KindSession && ev.SessionID == sid && ev.State == store.LiveLive && ev.Node == "a"
		})
		return ok
	})

	// The headset goes away: a raises link_lost (at once when the peer
	// connection closes, at the latest after 1.5 s of silence, DESIGN.md
	// §3). The page on b must have it within 10 s.
	silent := time.Now() // before: the server may see the link close while Disconnect still runs
	p.Disconnect()
	thPage.wait(t, "the link_lost alert on b's page", 10*time.Second, func(f *follower) bool {
		_, ok := f.find(func(ev notify.Event) bool {
			return ev.Kind == notify.KindAlert && ev.SessionID == sid && ev.Code == "link_lost" && ev.Fired && ev.Node == "a" &&
				ev.At >= silent.UnixMilli()
		})
		return ok
	})
	t.Logf("link_lost reached node b's page %s after the headset went away", time.Since(silent).Round(time.Millisecond))

	// A support room served by a: a member's crisis message is held, and
	// the moderator's page on b learns that the room's queue grew.
	room := createRoom(t, mod)
	modPeer := dialModerator(t, mod, a.URL, room.ID) // the room opens when its moderator is there
	token := joinRoom(t, a.URL, room.Code)
	member := dialMember(t, a.URL, room.ID, token)
	member.send(t, "chat.send", map[string]any{"text": "some days I want to end my life"})
	member.expect(t, "crisis.resources") // held, and the member sees where to get help
	modPage.wait(t, "the held message on b's moderator page", 10*time.Second, func(f *follower) bool {
		_, ok := f.find(func(ev notify.Event) bool {
			return ev.Kind == notify.KindQueue && ev.RoomID == room.ID && ev.Change == "added" && ev.QueueKind == "crisis" && ev.Node == "a"
		})
		return ok
	})
	// A moderator deletes a message through b (forwarded to a, which
	// serves the room): the deleted message waits in the queue for review.
	member.send(t, "chat.send", map[string]any{"text": "an ordinary message"})
	msg := modPeer.expectText(t, "chat.msg", "an ordinary message")
	modOnB := apptest.NewClient(t, b.URL) // the same signed-in moderator, asking b
	modOnB.HTTP, modOnB.CSRF = mod.HTTP, mod.CSRF
	if st, raw := modOnB.Raw(http.MethodPost, "/api/groups/rooms/"+room.ID+"/actions",
		map[string]any{"action": "delete", "message_id": msg["id"], "reason": "off topic"}); st != http.StatusOK {
		t.Fatalf("delete through b: %d %s", st, raw)
	}
	modPage.wait(t, "the deleted message on b's moderator page", 10*time.Second, func(f *follower) bool {
		_, ok := f.find(func(ev notify.Event) bool {
			return ev.Kind == notify.KindQueue && ev.RoomID == room.ID && ev.QueueKind == "deleted" && ev.Node == "a"
		})
		return ok
	})
	modPage.mu.Lock()
	if _, ok := modPage.find(func(ev notify.Event) bool { return ev.Kind == notify.KindSession || ev.Kind == notify.KindAlert }); ok {
		t.Errorf("a moderator's page got a live session's event")
	}
	modPage.mu.Unlock()
}

// createRoom opens a support room without a lobby, through mod's node.
func createRoom(t *testing.T, mod *apptest.Client) groups.RoomView {
	t.Helper()
	var v groups.RoomView
	if st := mod.Do(http.MethodPost, "/api/groups/rooms", map[string]any{"topic": "Evening group", "locale": "en", "lobby": false}, &v); st != http.StatusCreated {
		t.Fatalf("create room: %d", st)
	}
	return v
}

// joinRoom joins a room anonymously at base and returns the member token.
func joinRoom(t *testing.T, base, code string) string {
	t.Helper()
	c := apptest.NewClient(t, base)
	var jr groups.JoinResponse
	if st, raw := c.Raw(http.MethodPost, "/api/groups/join", map[string]any{"code": code, "accept_rules": true}); st != http.StatusCreated {
		t.Fatalf("join room: %d %s", st, raw)
	} else if err := json.Unmarshal(raw, &jr); err != nil {
		t.Fatal(err)
	}
	return jr.Token
}

// member is a support-room member's or moderator's real pion peer on the
// chat channel.
type member struct {
	cp     *rtc.ClientPeer
	frames chan map[string]any
}

// dialMember connects a member's peer through the node at base.
func dialMember(t *testing.T, base, roomID, token string) *member {
	t.Helper()
	return dialChat(t, base+"/api/groups/rooms/"+roomID+"/peer", &http.Client{Timeout: 20 * time.Second},
		http.Header{"Authorization": {"Bearer " + token}})
}

// dialModerator connects mod's peer to a room through the node at base.
func dialModerator(t *testing.T, mod *apptest.Client, base, roomID string) *member {
	t.Helper()
	return dialChat(t, base+"/api/groups/rooms/"+roomID+"/moderator-peer", mod.HTTP, http.Header{"X-CSRF-Token": {mod.CSRF}})
}

// dialChat connects a chat peer (member or moderator) and waits for its welcome.
func dialChat(t *testing.T, url string, hc *http.Client, header http.Header) *member {
	t.Helper()
	m, err := tryDialChat(url, hc, header)
	if err != nil {
		t.Fatalf("chat peer %s: %v", url, err)
	}
	t.Cleanup(func() { _ = m.cp.Close() })
	return m
}

// tryDialModerator is dialModerator that may fail (the room changing
// hands); the caller closes the peer.
func tryDialModerator(mod *apptest.Client, base, roomID string) *member {
	m, err := tryDialChat(base+"/api/groups/rooms/"+roomID+"/moderator-peer", mod.HTTP, http.Header{"X-CSRF-Token": {mod.CSRF}})
	if err != nil {
		return nil
	}
	return m
}

func tryDialChat(url string, hc *http.Client, header http.Header) (*member, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m := &member{frames: make(chan map[string]any, 1024)}
	cp, err := rtc.Dial(ctx, rtc.NewClientAPI(), rtc.DialOptions{URL: url, Header: header, HTTP: hc, Channels: []string{"chat"},
		OnMessage: func(_ string, msg webrtc.DataChannelMessage) {
			for line := range bytes.SplitSeq(msg.Data, []byte{'\n'}) {
				var f map[string]any
				if json.Unmarshal(line, &f) == nil {
					select {
					case m.frames <- f:
					default:
					}
				}
			}
		}})
	if err != nil {
		return nil, err
	}
	m.cp = cp
	if _, err := m.next("welcome", nil, 10*time.Second); err != nil {
		_ = cp.Close()
		return nil, err
	}
	return m, nil
}

func (m *member) send(t *testing.T, typ string, body any) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"v": 1, "type": typ, "body": body})
	if err := m.cp.Channels["chat"].Send(b); err != nil {
		t.Fatalf("member send: %v", err)
	}
}

// expect waits up to 10 s for a frame of typ and returns its body.
func (m *member) expect(t *testing.T, typ string) map[string]any {
	t.Helper()
	body, err := m.next(typ, nil, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// expectText waits up to 10 s for a frame of typ whose text is text and
// returns its body.
func (m *member) expectText(t *testing.T, typ, text string) map[string]any {
	t.Helper()
	body, err := m.next(typ, func(body map[string]any) bool { return body["text"] == text }, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// next waits for a frame of typ (for which match holds, if given).
func (m *member) next(typ string, match func(map[string]any) bool, d time.Duration) (map[string]any, error) {
	deadline := time.After(d)
	for {
		select {
		case f := <-m.frames:
			body, _ := f["body"].(map[string]any)
			if f["type"] == typ && (match == nil || match(body)) {
				return body, nil
			}
		case <-deadline:
			return nil, fmt.Errorf("no %s frame within %s", typ, d)
		}
	}
}
