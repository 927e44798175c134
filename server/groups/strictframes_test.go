package groups_test

import (
	"testing"

	"github.com/havenvr/haven/server/store"
)

// TestStrictFrames sends frames encoding/json would accept but the strict
// decoder (package strictjson) refuses, over a real pion peer in a German
// room: each is answered with its coded error in German naming the key,
// and nothing reaches the others or the database.
func TestStrictFrames(t *testing.T) {
	e := start(t, nil)
	room := e.room(t, map[string]any{"lobby": false, "locale": "de"})
	mod := e.moderator(t, room.ID)
	a := e.join(t, room.Code, nil)
	pa := e.member(t, room.ID, a.Token)
	b := e.join(t, room.Code, nil)
	pb := e.member(t, room.ID, b.Token)

	// Expected messages: i18n/locales/error.de.json, error.duplicate_field,
	// error.unknown_field and error.invalid_json, with the key filled in.
	cases := []struct {
		name, frame, code, message string
	}{
		{"duplicate key in the body",
			`{"v":1,"type":"chat.send","body":{"text":"harmless","text":"smuggled past the filter"}}`,
			"duplicate_field", "Das Feld body.text kommt mehr als einmal vor."},
		{"duplicate key in the envelope",
			`{"v":1,"type":"chat.typing","type":"chat.send","body":{"text":"smuggled type"}}`,
			"duplicate_field", "Das Feld type kommt mehr als einmal vor."},
		{"wrongly cased body key",
			`{"v":1,"type":"chat.send","body":{"Text":"cased key"}}`,
			"unknown_field", "Unbekanntes Feld: Text."},
		{"wrongly cased envelope key",
			`{"v":1,"Type":"chat.send","body":{"text":"cased envelope"}}`,
			"unknown_field", "Unbekanntes Feld: Type."},
		{"invalid UTF-8",
			"{\"v\":1,\"type\":\"chat.send\",\"body\":{\"text\":\"bad \xff\xfe bytes\"}}",
			"invalid_json", "Die gesendeten Daten konnten nicht gelesen werden."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pa.raw([]byte(tc.frame))
			f := pa.expect("error", nil)
			if f.Body["code"] != tc.code || f.Body["message"] != tc.message {
				t.Fatalf("error frame = %v, want code %s, message %q", f.Body, tc.code, tc.message)
			}
		})
	}

	// The chat channel is ordered: once the next good message arrives, any
	// broadcast of a refused frame would have come before it.
	pa.send("chat.send", map[string]any{"text": "after the refused frames"})
	notAfter := func(f frame) bool { return f.Type == "chat.msg" && !textIs("after the refused frames")(f) }
	for _, p := range []*peer{pb, mod} {
		p.expectClean("chat.msg", textIs("after the refused frames"), notAfter)
	}
	var n int64
	if err := e.srv.App.Store.DB.Model(&store.GroupQueueItem{}).Where("room_id = ?", room.ID).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d queue items stored for refused frames", n)
	}
}
