package e2e

// The moderator's own voice in a support circle, from the console: the
// moderator's Chromium (a fake microphone playing a 440 Hz test voice)
// runs the circle from the console's room page and sits in the marked
// seat 0, with a figure chosen there; a member's Chromium (660 Hz) joins
// the circle's page and sees that figure in seat 0. Push to
// talk held: the member receives the moderator's voice (getStats) and
// plays it from the moderator's seat; released: nothing arrives any more.
// The open microphone likewise, and off. The member speaks: the console
// names them as speaking and plays their voice. Screenshots of the
// console in English and Arabic.

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/havenvr/haven/server/groups"
	"github.com/havenvr/haven/server/store"
)

// modHold presses (true) or releases the console's talk button as a
// pointer would (group_voice.js listens for pointerdown and pointerup).
func modHold(t *testing.T, p *Page, on bool) {
	t.Helper()
	ev := "pointerup"
	if on {
		ev = "pointerdown"
	}
	MustEval[bool](p, `(() => { document.querySelector('#circle-talk').dispatchEvent(new PointerEvent(`+jsString(ev)+`, {bubbles: true, pointerId: 1})); return true; })()`)
}

// roomShot is the console's room page from its heading down, in a
// viewport tall enough for the voice panel and the member list together.
func roomShot(t *testing.T, p *Page) []byte {
	t.Helper()
	Do(t, p, chromedp.EmulateViewport(1280, 1700))
	MustEval[bool](p, `(() => { document.querySelector('#room-h').closest('section').scrollIntoView(); return true; })()`)
	png := p.Screenshot()
	Do(t, p, chromedp.EmulateViewport(1280, 900))
	return png
}

// modMic picks the console's microphone mode (off, push, open).
func modMic(t *testing.T, p *Page, mode string) {
	t.Helper()
	clickQ(t, p, `#circle-mic-`+mode)
	Wait(t, p, `window.havenConsole.group.voice.state().mode === `+jsString(mode), 10*time.Second)
}

// goesQuiet waits until p receives no voice packet at all for a whole
// second (getStats: inbound packets and decoded samples unchanged): after
// the speaker stops, the server keeps a silent speaker's slot for 1.2 s
// (server/groups/voice.go releaseSlot) and then forwards nothing.
func goesQuiet(t *testing.T, p *Page, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		packets, decoded := received(t, p, time.Second)
		if packets == 0 && decoded < 960 { // less than one 20 ms frame at 48 kHz: a tail, not a voice
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %.0f packets, %.0f decoded samples a second after 20 s", what, packets, decoded)
		}
	}
}

// TestConsoleCircleModeratorVoice is the moderator's voice and seat from the console.
func TestConsoleCircleModeratorVoice(t *testing.T) {
	RequireBuilt(t, "room")
	env := StartConsole(t)
	admin := env.Server.SignIn(t, env.Clinic.ID, store.RoleAdmin)
	var room groups.RoomView
	if st := admin.Do(http.MethodPost, "/api/groups/rooms", map[string]any{"topic": "Evening circle", "locale": "en", "country": "GB",
		"require_moderator": false, "lobby": false, "space": "neutral_room"}, &room); st != http.StatusCreated {
		t.Fatalf("creating the circle: status %d", st)
	}
	bm, bb := NewMediaBrowser(t, writeVoiceWAV(t, 440)), NewMediaBrowser(t, writeVoiceWAV(t, 660))

	// the moderator runs the circle from the console: first in, the marked seat 0
	openRoom := func(locale string) *Page {
		p := env.SignIn(t, bm, locale, store.RoleModerator)
		MustEval[bool](p, `(() => { window.havenConsole.go('#/groups?room=`+room.ID+`'); return true; })()`)
		Wait(t, p, `window.havenConsole.group && document.querySelector('#mod-join') && document.querySelector('#circle-voice')`, 20*time.Second)
		p.Diag = `JSON.stringify({link: window.havenConsole.group?.link, frames: window.havenConsole.group?.frames.slice(-20), voice: window.havenConsole.group?.voice?.state(), mine: document.querySelector('#circle-mine')?.textContent})`
		click(t, p, `#mod-join`)
		Wait(t, p, `window.havenConsole.group.link === 'open' && window.havenConsole.group.voice && window.havenConsole.group.frames.includes('voice.you')`, 30*time.Second)
		return p
	}
	mod := openRoom("en")
	if seat := MustEval[int](mod, `window.havenConsole.group.view.you.seat`); seat != 0 {
		t.Fatalf("the moderator sits in seat %d: want the marked seat 0", seat)
	}

	m := joinCircle(t, bb, env, room.Code, "en", "", 1280, 800)
	MustEval[any](m, `document.querySelector('#avatar-picker').open = false`)

	// the moderator's figure, chosen in the console, sits in seat 0 on the member's page
	MustEval[bool](mod, `(() => { for (const [id, v] of [['figure-shape', 'column'], ['figure-colour', 'violet'], ['figure-accessory', 'headphones']]) {
		const s = document.querySelector('#' + id); s.value = v; s.dispatchEvent(new Event('change')); } return true; })()`)
	Wait(t, m, `(() => { const p = [...window.havenRoom.members.values()].find(p => p.role === 'moderator' && p.seat === 0);
		return p && p.avatar && p.avatar.shape === 'column' && p.avatar.colour === 'violet' && p.avatar.accessory === 'headphones'; })()`, 10*time.Second)
	Wait(t, m, `window.havenRoom.circle && window.havenRoom.circle.info().figures === 2`, 30*time.Second)
	saveDoc(t, "circle-moderator-seat.png", m.Screenshot())
	clickQ(t, m, `#view-list`) // the list view draws nothing: two browsers in software rendering
	memberSeat := MustEval[int](m, `window.havenRoom.members.get(window.havenRoom.you.id).seat`)
	const ring = 8 // two people: the smallest ring (clients/room/src/layout.js ringSize)
	fromSeat0 := func(what string) {
		t.Helper()
		// the moderator as the member's page lists them: in the marked seat 0
		seat0 := `[...window.havenRoom.members.values()].find(p => p.role === 'moderator' && p.seat === 0)?.id || ''`
		Wait(t, m, seat0, 10*time.Second)
		e := hears(t, m, MustEval[string](m, seat0), what)
		if want := seatSide(memberSeat, 0, ring); math.Copysign(1, e.X) != want || (want < 0) != (e.Left > e.Right) {
			t.Errorf("%s at x=%.2f, left %.3f, right %.3f: want the moderator's seat 0 on the %s of seat %d",
				what, e.X, e.Left, e.Right, map[float64]string{-1: "left", 1: "right"}[want], memberSeat)
		}
	}

	// push to talk, held: the member hears the moderator from seat 0; the console says the circle hears them
	modMic(t, mod, "push")
	if packets, _ := received(t, m, time.Second); packets > 0 {
		t.Fatalf("the member received %.0f packets before the moderator pressed talk", packets)
	}
	modHold(t, mod, true)
	Wait(t, mod, `window.havenConsole.group.voice.state().sending && document.querySelector('#circle-mine').classList.contains('voice-live')`, 10*time.Second)
	fromSeat0("the member hears the moderator holding push to talk")
	Wait(t, mod, `window.havenConsole.group.view.speaking.some(id => id.startsWith('mod:')) && document.querySelector('#circle-speaking bdi') !== null`, 10*time.Second)
	// the moderator's own entry in "Speaking now" is marked as theirs
	Wait(t, mod, `document.querySelector('#circle-speaking').textContent.includes(`+jsString(MustEval[string](mod, `window.havenConsole.group.view.you.pseudonym`)+" (you)")+`)`, 10*time.Second)
	SaveArtifact(t, "console-circle-voice-talking-en.png", roomShot(t, mod))
	// released: the voice stops reaching the member
	modHold(t, mod, false)
	Wait(t, mod, `!window.havenConsole.group.voice.state().sending && !document.querySelector('#circle-mine').classList.contains('voice-live')`, 10*time.Second)
	goesQuiet(t, m, "the member after the moderator released push to talk")

	// the open microphone: heard until switched off
	modMic(t, mod, "open")
	fromSeat0("the member hears the moderator's open microphone")
	modMic(t, mod, "off")
	goesQuiet(t, m, "the member after the moderator switched the microphone off")

	// the member speaks: the console names them and plays their voice
	setMic(t, m, "open")
	memberID := MustEval[string](m, `window.havenRoom.you.id`)
	memberName := MustEval[string](m, `window.havenRoom.you.pseudonym`)
	Wait(t, mod, `document.querySelector('#circle-speaking').textContent.includes(`+jsString(memberName)+`) && document.querySelector('#members-box').textContent.includes('speaking')`, 20*time.Second)
	Wait(t, mod, `(window.havenConsole.group.voice.ears().find(e => e.member === `+jsString(memberID)+`) || {left: 0, right: 0}).left + (window.havenConsole.group.voice.ears().find(e => e.member === `+jsString(memberID)+`) || {left: 0, right: 0}).right >= 0.05`, 20*time.Second)
	// the moderator's figure turns its head towards the member speaking (a turn about the vertical
	// axis, as a pose in seat 0's frame: a negative qy turns to the right; layout.js bearing)
	modID := MustEval[string](mod, `[...window.havenConsole.group.view.members.values()].find(m => m.seat === window.havenConsole.group.view.you.seat).id`)
	side := seatSide(0, memberSeat, ring)
	Wait(t, m, `(() => { const p = window.havenRoom.circle.info().poses[`+jsString(modID)+`];
		return Array.isArray(p) && p[1] === 1.2 && Math.abs(p[3]) < 1e-9 && Math.abs(p[5]) < 1e-9 && Math.sign(p[4]) === `+fmt.Sprint(-side)+` && Math.abs(p[4]) > 0.1; })()`, 10*time.Second)
	modMic(t, mod, "push")
	// push to talk chosen, not held: the member alone is speaking
	Wait(t, mod, `window.havenConsole.group.view.speaking.join() === `+jsString(memberID), 10*time.Second)
	saveDoc(t, "circle-console-en.png", roomShot(t, mod))
	CheckPage(t, mod, "en", "circle-room")

	// the console in Arabic: the same panel right to left, in the moderator's seat again
	click(t, mod, `#mod-leave`)
	ar := openRoom("ar")
	Wait(t, ar, `document.querySelector('#circle-speaking').textContent.includes(`+jsString(memberName)+`)`, 20*time.Second)
	modMic(t, ar, "open")
	Wait(t, ar, `document.querySelector('#circle-mine').classList.contains('voice-live')`, 10*time.Second)
	for _, sel := range []string{"html", "#circle-voice", "#members-box"} {
		if dir := MustEval[string](ar, `getComputedStyle(document.querySelector(`+jsString(sel)+`)).direction`); dir != "rtl" {
			t.Errorf("Arabic console: %s runs %s", sel, dir)
		}
	}
	if missing := MissingMessages(t, ar); len(missing) > 0 {
		t.Errorf("Arabic console: messages missing: %v", missing)
	}
	fromSeat0("the member hears the Arabic console's moderator")
	saveDoc(t, "circle-console-ar.png", roomShot(t, ar))
	CheckPage(t, ar, "ar", "circle-room")

	// every word of the panel comes from the catalogue (the pseudo-locale brackets each)
	click(t, ar, `#mod-leave`)
	xa := openRoom("en-XA")
	Wait(t, xa, `document.querySelector('#circle-speaking bdi') !== null`, 20*time.Second)
	CheckPage(t, xa, "en-XA", "circle-room")
}

// TestCircleTimedMuteMemberPage: a member speaking with an open microphone
// is paused by a moderator for ten minutes; their page says until when
// (the clock time of the stored mute's end, formatted here by Go for the
// browser's time zone, in the page's words) and their microphone stops
// sending; when the time is up — the server's clock stepped past it — the
// page says the pause is over and the microphone is live again, with
// nobody acting.
func TestCircleTimedMuteMemberPage(t *testing.T) {
	RequireBuilt(t, "room")
	env := StartConsole(t)
	admin := env.Server.SignIn(t, env.Clinic.ID, store.RoleAdmin)
	var room groups.RoomView
	if st := admin.Do(http.MethodPost, "/api/groups/rooms", map[string]any{"topic": "Evening circle", "locale": "en", "country": "GB",
		"require_moderator": false, "lobby": false, "space": "beach"}, &room); st != http.StatusCreated {
		t.Fatalf("creating the circle: status %d", st)
	}
	mb := NewMediaBrowser(t, writeVoiceWAV(t, 660))
	m := joinCircle(t, mb, env, room.Code, "en", "", 800, 500) // the list view is what is tested: less software GL
	clickQ(t, m, `#view-list`)
	ar := joinCircle(t, mb, env, room.Code, "ar", "", 390, 844) // a second member, in Arabic on a phone
	clickQ(t, ar, `#view-list`)
	setMic(t, m, "open")
	live := msg(t, env, "en", "group.page.mic_live")
	Wait(t, m, `window.havenRoom.voice.state().sending && document.querySelector('#voice-status').textContent === `+jsString(live), 10*time.Second)

	memberID := MustEval[string](m, `window.havenRoom.you.id`)
	for _, id := range []string{memberID, MustEval[string](ar, `window.havenRoom.you.id`)} {
		if st, raw := admin.Raw(http.MethodPost, "/api/groups/rooms/"+room.ID+"/actions", groups.ActionRequest{Action: groups.ActMute, MemberID: id, Seconds: 600, Reason: "a pause"}); st != http.StatusOK {
			t.Fatalf("mute: %d %s", st, raw)
		}
	}
	var row store.GroupMember
	if err := env.Server.App.Store.DB.First(&row, "id = ?", memberID).Error; err != nil || row.MutedUntil == nil {
		t.Fatalf("the member's row: %v (muted_until %v)", err, row.MutedUntil)
	}
	zone, err := time.LoadLocation(MustEval[string](m, `Intl.DateTimeFormat().resolvedOptions().timeZone`))
	if err != nil {
		t.Fatal(err)
	}
	paused := msg(t, env, "en", "group.page.voice_paused", map[string]any{"Time": row.MutedUntil.In(zone).Format("3:04 PM")})
	status := `document.querySelector('#voice-status').textContent.replace(/\s/g, ' ')` // Intl may put a narrow no-break space before PM
	Wait(t, m, `!window.havenRoom.voice.state().sending && `+status+` === `+jsString(paused), 10*time.Second)
	Wait(t, m, `[...document.querySelectorAll('#log li')].some(li => li.textContent.includes(`+jsString(msg(t, env, "en", "group.notice.muted_circle", map[string]any{"Minutes": 10}))+`))`, 10*time.Second)
	SaveArtifact(t, "circle-timed-mute-en.png", m.Screenshot())
	// in Arabic: the page's words (the clock time in its own digits follows them), right to left
	arPaused := strings.TrimSpace(strings.Split(msg(t, env, "ar", "group.page.voice_paused", map[string]any{"Time": "\x00"}), "\x00")[0])
	Wait(t, ar, `document.querySelector('#voice-status').textContent.startsWith(`+jsString(arPaused)+`)`, 10*time.Second)
	if dir := MustEval[string](ar, `getComputedStyle(document.querySelector('#voice-status')).direction`); dir != "rtl" {
		t.Errorf("Arabic member page: the voice status runs %s", dir)
	}
	SaveArtifact(t, "circle-timed-mute-ar.png", ar.Screenshot())

	env.Server.App.Groups.AdvanceClock(601 * time.Second)
	Wait(t, m, `window.havenRoom.voice.state().sending && `+status+` === `+jsString(live), 10*time.Second)
	Wait(t, m, `[...document.querySelectorAll('#log li')].some(li => li.textContent.includes(`+jsString(msg(t, env, "en", "group.notice.unmuted_circle"))+`))`, 10*time.Second)
}
