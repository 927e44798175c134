package notify

import (
	"context"
	"errors"
	"testing"
	"time"
)

func next(t *testing.T, h *Hub, s *Sub) Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ev, err := h.Next(ctx, s)
	if err != nil {
		t.Fatalf("no event: %v", err)
	}
	return ev
}

func none(t *testing.T, h *Hub, s *Sub) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if ev, err := h.Next(ctx, s); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("unexpected event %+v (%v)", ev, err)
	}
}

// On one node, events go straight to the clinic's pages, stamped with an
// id and the node; another clinic's pages never see them.
func TestSingleNodeDeliversToTheClinicOnly(t *testing.T) {
	h, err := New(Options{Node: "solo"})
	if err != nil {
		t.Fatal(err)
	}
	a, _, _ := h.Subscribe("clinicA", "")
	b, _, _ := h.Subscribe("clinicB", "")
	h.Publish(Event{Kind: KindAlert, ClinicID: "clinicA", SessionID: "s1", Code: "link_lost", Fired: true})
	ev := next(t, h, a)
	if ev.Code != "link_lost" || ev.SessionID != "s1" || ev.ID == "" || ev.Node != "solo" || ev.At == 0 {
		t.Fatalf("event %+v", ev)
	}
	none(t, h, b)
	// A clinic id that cannot stand in a NATS subject is refused, not sent.
	h.Publish(Event{Kind: KindAlert, ClinicID: "a.b", SessionID: "s1"})
	h.Publish(Event{Kind: KindAlert, ClinicID: "", SessionID: "s1"})
	none(t, h, a)
}

// A page that reconnects with the last id it saw gets what it missed, in
// order; one whose id this hub does not know (another node's restart, an
// old id) gets a resync first. A page that falls more than its queue
// behind also gets a resync.
func TestReconnectReplaysOrResyncs(t *testing.T) {
	h, _ := New(Options{})
	first, cursor, _ := h.Subscribe("c1", "")
	if cursor == "" {
		t.Fatal("no cursor before any event")
	}
	h.Publish(Event{Kind: KindSession, ClinicID: "c1", SessionID: "s1", Change: "created"})
	seen := next(t, h, first)
	h.Unsubscribe(first)
	h.Publish(Event{Kind: KindSession, ClinicID: "c1", SessionID: "s2", Change: "created"})
	h.Publish(Event{Kind: KindSession, ClinicID: "c2", SessionID: "x", Change: "created"})
	h.Publish(Event{Kind: KindSession, ClinicID: "c1", SessionID: "s3", Change: "created"})

	again, _, _ := h.Subscribe("c1", seen.ID)
	if got := next(t, h, again).SessionID; got != "s2" {
		t.Fatalf("first replayed event is %q, want s2", got)
	}
	if got := next(t, h, again).SessionID; got != "s3" {
		t.Fatalf("second replayed event is %q, want s3 (c2's event is not c1's)", got)
	}
	none(t, h, again)

	// A quiet stream's cursor: nothing was published after it.
	_, quiet, _ := h.Subscribe("c1", "")
	h.Publish(Event{Kind: KindQueue, ClinicID: "c1", RoomID: "r1", Change: "added"})
	back, _, _ := h.Subscribe("c1", quiet)
	if ev := next(t, h, back); ev.RoomID != "r1" {
		t.Fatalf("after a quiet stream, replay gave %+v, want the room event", ev)
	}

	lost, _, _ := h.Subscribe("c1", "no-such-id")
	if ev := next(t, h, lost); ev.Kind != KindResync {
		t.Fatalf("unknown Last-Event-ID: first event %+v, want a resync", ev)
	}

	slow, _, _ := h.Subscribe("c1", "")
	for i := 0; i < cap(slow.ch)+5; i++ {
		h.Publish(Event{Kind: KindAlert, ClinicID: "c1", SessionID: "s1", Code: "hr_high", Fired: true})
	}
	if ev := next(t, h, slow); ev.Kind != KindResync {
		t.Fatalf("a page that fell behind got %+v first, want a resync", ev)
	}
}

// Decode refuses what a node would never publish.
func TestDecodeRefuses(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"not JSON", `{`},
		{"unknown field", `{"id":"x","kind":"alert","clinic_id":"c","at":1,"text":"name"}`},
		{"duplicate key", `{"id":"x","id":"y","kind":"alert","clinic_id":"c","at":1}`},
		{"no id", `{"kind":"alert","clinic_id":"c","at":1}`},
		{"unknown kind", `{"id":"x","kind":"chat","clinic_id":"c","at":1}`},
		{"resync from a node", `{"kind":"resync","clinic_id":"c","at":1}`},
		{"clinic id with a dot", `{"id":"x","kind":"alert","clinic_id":"a.b","at":1}`},
		{"trailing data", `{"id":"x","kind":"alert","clinic_id":"c","at":1} {}`},
	} {
		if _, err := Decode([]byte(tc.in)); err == nil {
			t.Errorf("%s: %s decoded", tc.name, tc.in)
		}
	}
	if ev, err := Decode([]byte(`{"id":"x","kind":"alert","clinic_id":"c","session_id":"s","code":"link_lost","fired":true,"at":1}`)); err != nil || ev.Code != "link_lost" {
		t.Errorf("a good event: %+v %v", ev, err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"id":"x","kind":"alert","clinic_id":"c","at":1}`))
	f.Add([]byte(`{"id":"x","kind":"queue","clinic_id":"c","room_id":"r","queue_id":"q","queue_kind":"crisis","change":"added","at":1}`))
	f.Add([]byte(`{"kind":"resync","clinic_id":"c","at":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := Decode(b)
		if err != nil {
			return
		}
		if ev.ID == "" || !idToken.MatchString(ev.ClinicID) || (ev.Kind != KindSession && ev.Kind != KindAlert && ev.Kind != KindQueue) {
			t.Fatalf("decoded an event a node never publishes: %+v", ev)
		}
	})
}
