package e2e

// The support groups' safety lists, curated in the console and felt in a
// room (DESIGN.md §6). A clinic admin working in German opens "Crisis
// resources" from the navigation, adds a crisis line by clicking and typing,
// forgets its last-verified date and is told so next to the date field in
// German (the server's validation error, worded by the console), sets the
// date, saves, reloads and finds the line again; then opens "Phrase lists",
// adds a German crisis phrase, saves and reloads. A member who had written
// that phrase in a room a minute before (posted: not crisis language yet)
// joins the room in the browser, writes it again: the message is held and
// the member privately sees the clinic's new line, only it (the clinic's
// list replaces Haven's built-in lines). Both pages pass the page checks
// (axe, no missing message, pseudo-locale fully localized, Arabic right to
// left) and a moderator reads both lists without editing them.

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/havenvr/haven/server/groups"
	"github.com/havenvr/haven/server/store"
)

// clickQ clicks the first element matching the CSS selector sel (retried
// once the page has redrawn it, like click).
func clickQ(t *testing.T, p *Page, sel string) {
	t.Helper()
	var err error
	for range 3 {
		if err = p.Do(chromedp.Click(chromedp.CSS(sel))); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("e2e: clicking %s: %v\nconsole: %s", sel, err, strings.Join(p.Console(), "\n"))
}

// typeQ types text into the element matching the CSS selector sel.
func typeQ(t *testing.T, p *Page, sel, text string) {
	t.Helper()
	Do(t, p, chromedp.SendKeys(chromedp.CSS(sel), text))
}

func TestGroupResourcesCuratedInConsole(t *testing.T) {
	env := StartConsole(t)
	for _, r := range [][2]string{{"PUT", "/api/groups/resources"}, {"PUT", "/api/groups/phrases/:locale/:kind"}} {
		if !env.HasRoute(r[0], r[1]) {
			t.Fatalf("the server has no %s %s", r[0], r[1])
		}
	}
	b := NewBrowser(t)
	db := env.Server.App.Store.DB
	const (
		lineName  = "SOS Voz Amiga"
		linePhone = "213 544 545"
		lineHours = "15:30–00:30"
		phrase    = "ich halte das alles nicht mehr aus"
	)

	// A room in Portugal that opens without a moderator. Before the edit the
	// phrase is ordinary chat: a member's message with it is posted.
	api := env.Server.SignIn(t, env.Clinic.ID, store.RoleAdmin)
	var room groups.RoomView
	if st := api.Do(http.MethodPost, "/api/groups/rooms", map[string]any{"topic": "Abendrunde", "locale": "de", "country": "PT",
		"require_moderator": false, "lobby": false}, &room); st != http.StatusCreated {
		t.Fatalf("creating the room: status %d", st)
	}
	_, early := joinMember(t, env, room.Code)
	early.send("chat.send", map[string]any{"text": "Ehrlich gesagt: " + phrase})
	early.expect("chat.msg", func(f chatFrame) bool { s, _ := f.Body["text"].(string); return strings.Contains(s, phrase) })

	p := env.SignIn(t, b, "de", store.RoleAdmin)
	p.Diag = `JSON.stringify({hash: location.hash, errors: [...document.querySelectorAll('.field-error:not([hidden]), .error:not([hidden])')].map(e => e.textContent), status: (document.querySelector('#crisis-status, #phrase-status') || {}).textContent})`

	// The two screens sit in the navigation right after the clinic settings.
	nav := MustEval[[]string](p, `[...document.querySelectorAll('nav a')].map(a => a.dataset.nav)`)
	if i := strings.Index(strings.Join(nav, " "), "settings crisis-resources phrases"); i < 0 {
		t.Errorf("navigation %v: want crisis-resources and phrases after settings", nav)
	}

	t.Run("crisis line", func(t *testing.T) {
		clickQ(t, p, `nav a[data-nav="crisis-resources"]`)
		Wait(t, p, `window.havenConsole.ready && location.hash === '#/crisis-resources' && document.querySelector('#crisis-form')`, 15*time.Second)
		if MustEval[bool](p, `document.querySelector('#crisis-none').hidden`) {
			t.Error("a clinic without lines of its own is not told members see the built-in ones")
		}
		if n := MustEval[int](p, `document.querySelectorAll('#crisis-builtin-h ~ .table-wrap table tbody tr').length`); n < 5 {
			t.Errorf("built-in lines listed: %d", n)
		}

		// Add a line, by mouse and keyboard; the date is forgotten.
		clickQ(t, p, `#crisis-add`)
		Wait(t, p, `document.activeElement === document.querySelector('select[name="resources[0].country"]')`, 5*time.Second)
		chooseByKeyboard(t, p, `select[name="resources[0].country"]`, "PT")
		typeQ(t, p, `input[name="resources[0].name"]`, lineName)
		typeQ(t, p, `input[name="resources[0].phone"]`, linePhone)
		typeQ(t, p, `input[name="resources[0].hours"]`, lineHours)
		if s := MustEval[string](p, `document.querySelector('#crisis-status').textContent`); s != msg(t, env, "de", "console.unsaved") {
			t.Errorf("status after editing = %q, want the unsaved-changes note", s)
		}
		clickQ(t, p, `#crisis-save`)

		// The server refuses the line; the reason sits next to the date field, in German, and the field has focus.
		date := `input[name="resources[0].last_verified"]`
		want := msg(t, env, "de", "console.crisis.error.last_verified")
		Wait(t, p, `document.querySelector('`+date+`').getAttribute('aria-invalid') === 'true' && document.querySelector('[data-field="resources[0].last_verified"] .field-error').textContent === `+jsString(want), 10*time.Second)
		if !MustEval[bool](p, `(() => { const i = document.querySelector('`+date+`'); const e = document.querySelector('[data-field="resources[0].last_verified"] .field-error');
			return document.activeElement === i && i.getAttribute('aria-describedby').split(' ').includes(e.id) && !e.hidden; })()`) {
			t.Error("the date field is not focused or not described by its error")
		}
		var stored int64
		db.Model(&store.GroupCrisisResource{}).Where("clinic_id = ?", env.Clinic.ID).Count(&stored)
		if stored != 0 {
			t.Fatalf("a refused list stored %d lines", stored)
		}
		SaveArtifact(t, "group-resources-de-refused.png", p.Screenshot())

		// "Verified today", then save with the keyboard.
		clickQ(t, p, `[data-field="resources[0].last_verified"] button.verified-today`)
		today := MustEval[string](p, `(() => { const d = new Date(), z = (n) => String(n).padStart(2, '0'); return d.getFullYear() + '-' + z(d.getMonth() + 1) + '-' + z(d.getDate()); })()`)
		if v := MustEval[string](p, `document.querySelector('`+date+`').value`); v != today {
			t.Fatalf("date after 'verified today' = %q, want %s", v, today)
		}
		Do(t, p, chromedp.Focus(chromedp.CSS(`#crisis-save`)), chromedp.KeyEvent(kb.Enter))
		Wait(t, p, `document.querySelector('#crisis-status').textContent === `+jsString(msg(t, env, "de", "console.saved"))+` && !document.querySelector('`+date+`[aria-invalid]')`, 10*time.Second)

		var rows []store.GroupCrisisResource
		if err := db.Where("clinic_id = ?", env.Clinic.ID).Find(&rows).Error; err != nil || len(rows) != 1 {
			t.Fatalf("stored lines: %+v (%v)", rows, err)
		}
		if r := rows[0]; r.Country != "PT" || r.Name != lineName || r.Phone != linePhone || r.Hours != lineHours || r.LastVerified.UTC().Format(time.DateOnly) != today {
			t.Errorf("stored line %+v, want PT %s %s %s verified %s", r, lineName, linePhone, lineHours, today)
		}

		// After a reload the line is there, with its date shown.
		Do(t, p, chromedp.Reload())
		WaitAcrossReload(t, p, `window.havenConsole.ready && document.querySelector('input[name="resources[0].name"]')`, 15*time.Second)
		got := MustEval[map[string]string](p, `Object.fromEntries([...document.querySelectorAll('#crisis-lines [name^="resources[0]."]')].map(e => [e.name.split('.')[1], e.value]))`)
		if got["country"] != "PT" || got["name"] != lineName || got["phone"] != linePhone || got["hours"] != lineHours || got["last_verified"] != today {
			t.Errorf("after a reload the line reads %v", got)
		}
		if MustEval[int](p, `document.querySelectorAll('#crisis-lines fieldset').length`) != 1 || !MustEval[bool](p, `document.querySelector('#crisis-none').hidden`) {
			t.Error("after a reload the list is not the one saved line")
		}
		if s := MustEval[string](p, `document.querySelector('[data-field="resources[0].last_verified"] .verified-on time').getAttribute('datetime')`); s != today {
			t.Errorf("shown last-verified date %q, want %s", s, today)
		}
		CheckPage(t, p, "de", "group-resources")
	})

	t.Run("crisis phrase", func(t *testing.T) {
		clickQ(t, p, `nav a[data-nav="phrases"]`)
		Wait(t, p, `window.havenConsole.ready && document.querySelector('#phrase-list li') && location.hash.includes('locale=de') && location.hash.includes('kind=crisis')`, 15*time.Second)
		if MustEval[string](p, `document.querySelector('#phrase-source').textContent`) != msg(t, env, "de", "console.phrases.builtin") {
			t.Error("the built-in list is not marked as such")
		}
		// A phrase the list already holds is refused next to the field, by the page.
		typeQ(t, p, `#phrase-new`, "SUIZID")
		Do(t, p, chromedp.KeyEvent(kb.Enter))
		Wait(t, p, `document.querySelector('#phrase-new[aria-invalid=true]') && document.querySelector('[data-field=phrase] .field-error').textContent === `+jsString(msg(t, env, "de", "console.phrases.error.duplicate")), 5*time.Second)
		Do(t, p, chromedp.Focus(chromedp.CSS(`#phrase-new`)), chromedp.KeyEvent(strings.Repeat(kb.Backspace, len("SUIZID"))))
		typeQ(t, p, `#phrase-new`, phrase)
		clickQ(t, p, `#phrase-add button[type=submit]`)
		Wait(t, p, `[...document.querySelectorAll('#phrase-list li .phrase')].some(s => s.textContent === `+jsString(phrase)+`) && document.querySelector('#phrase-new').value === ''`, 5*time.Second)
		clickQ(t, p, `#phrase-save`)
		Wait(t, p, `document.querySelector('#phrase-status').textContent === `+jsString(msg(t, env, "de", "console.saved")), 10*time.Second)

		Do(t, p, chromedp.Reload())
		WaitAcrossReload(t, p, `window.havenConsole.ready && document.querySelector('#phrase-list li')`, 15*time.Second)
		if !MustEval[bool](p, `[...document.querySelectorAll('#phrase-list li .phrase')].some(s => s.textContent === `+jsString(phrase)+`)`) {
			t.Fatal("after a reload the new phrase is gone")
		}
		if MustEval[string](p, `document.querySelector('#phrase-source').textContent`) != msg(t, env, "de", "console.phrases.custom") {
			t.Error("after saving the list is not marked as the clinic's own")
		}
		var row store.GroupPhraseList
		if err := db.Take(&row, "clinic_id = ? AND locale = ? AND kind = ?", env.Clinic.ID, "de", "crisis").Error; err != nil || !strings.Contains(row.Phrases, phrase) || !strings.Contains(row.Phrases, "suizid") {
			t.Errorf("stored list %q (%v): want the built-in phrases and the new one", row.Phrases, err)
		}
		CheckPage(t, p, "de", "group-phrases")

		// The word filters are the other list of the same language.
		clickQ(t, p, `input[name=kind][value=block]`)
		Wait(t, p, `location.hash.includes('kind=block') && document.querySelector('#phrase-list-h').textContent.includes(`+jsString(msg(t, env, "de", "console.phrases.kind.block"))+`) && document.querySelector('#phrase-list li')`, 10*time.Second)
		var audits []string
		db.Model(&store.AuditEvent{}).Where("clinic_id = ? AND action IN ?", env.Clinic.ID, []string{"group.resources_update", "group.phrases_update"}).Pluck("action", &audits)
		if len(audits) != 2 {
			t.Errorf("audited edits %v, want the crisis lines and the phrase list", audits)
		}
	})
	if t.Failed() {
		return
	}

	t.Run("member in crisis", func(t *testing.T) {
		m := joinRoom(t, b, env, room, "de", 1024, 800)
		typeQ(t, m, `#message`, "Es ist spät, und "+phrase)
		clickQ(t, m, `#send-form button[type=submit]`)
		Wait(t, m, `!document.querySelector('#crisis').hidden && document.querySelector('#crisis-list li')`, 10*time.Second)
		items := MustEval[[]string](m, `[...document.querySelectorAll('#crisis-list li')].map(li => li.textContent)`)
		if len(items) != 1 || !strings.Contains(items[0], lineName) || !strings.Contains(items[0], linePhone) || !strings.Contains(items[0], lineHours) {
			t.Errorf("crisis panel lists %q, want only the clinic's %s (%s)", items, lineName, linePhone)
		}
		if href := MustEval[string](m, `document.querySelector('#crisis-list a[href^="tel:"]').getAttribute('href')`); href != "tel:"+strings.ReplaceAll(linePhone, " ", "") {
			t.Errorf("call link %q", href)
		}
		if MustEval[bool](m, `[...document.querySelectorAll('#log li.msg')].some(li => li.textContent.includes(`+jsString(phrase)+`))`) {
			t.Error("the held message reached the room")
		}
		SaveArtifact(t, "group-resources-member-crisis-de.png", m.Screenshot())

		// Held for a moderator, not posted to the others.
		var queue []groups.QueueItem
		if st := api.Do(http.MethodGet, "/api/groups/rooms/"+room.ID+"/queue", nil, &queue); st != http.StatusOK {
			t.Fatalf("queue: status %d", st)
		}
		held := false
		for _, it := range queue {
			held = held || (it.Kind == "crisis" && strings.Contains(it.Text, phrase))
		}
		if !held {
			raw, _ := json.Marshal(queue)
			t.Errorf("no held crisis message in the queue: %s", raw)
		}
		// The other member's own next message comes back to it after
		// anything the room sent it before: had the held message been
		// posted, it would be among the frames before that echo.
		marker := "Guten Abend " + store.RandomToken(4)
		early.send("chat.send", map[string]any{"text": marker})
		early.expect("chat.msg", func(f chatFrame) bool {
			s, _ := f.Body["text"].(string)
			if strings.Contains(s, phrase) {
				t.Error("the other member received the held message")
			}
			return strings.Contains(s, marker)
		})
	})

	// Every locale's words: the pseudo-locale shows no unlocalized text (the
	// refused field's message included), Arabic runs right to left.
	for _, locale := range []string{"en-XA", "ar"} {
		t.Run(locale, func(t *testing.T) {
			q := env.SignIn(t, b, locale, store.RoleAdmin)
			Go(t, q, "#/crisis-resources")
			clickQ(t, q, `#crisis-add`)
			clickQ(t, q, `#crisis-save`)
			Wait(t, q, `document.querySelector('input[name="resources[1].name"][aria-invalid=true]') && document.querySelector('[data-field="resources[1].name"] .field-error').textContent === `+jsString(msg(t, env, locale, "console.crisis.error.name")), 10*time.Second)
			CheckPage(t, q, locale, "group-resources-refused")
			// Haven's built-in lines copied in as a starting point (not saved here).
			builtin := MustEval[int](q, `document.querySelectorAll('#crisis-builtin-h ~ .table-wrap table tbody tr').length`)
			clickQ(t, q, `#crisis-copy-builtin`)
			Wait(t, q, `document.querySelectorAll('#crisis-lines fieldset').length === `+strconv.Itoa(2+builtin)+` && document.activeElement === document.querySelector('select[name="resources[2].country"]')`, 5*time.Second)
			Go(t, q, "#/phrases?locale=de&kind=crisis")
			Wait(t, q, `document.querySelector('#phrase-list li')`, 10*time.Second)
			CheckPage(t, q, locale, "group-phrases")
		})
	}

	// A moderator reads both lists and cannot change them.
	t.Run("moderator reads", func(t *testing.T) {
		q := env.SignIn(t, b, "en", store.RoleModerator)
		Go(t, q, "#/crisis-resources")
		Wait(t, q, `document.querySelector('#crisis-clinic-h ~ .table-wrap table')`, 10*time.Second)
		if MustEval[bool](q, `!!document.querySelector('#crisis-form, #crisis-copy-builtin')`) || !MustEval[bool](q, `document.querySelector('#crisis-clinic-h ~ .table-wrap table').textContent.includes(`+jsString(lineName)+`)`) {
			t.Error("a moderator should see the clinic's line and no editor")
		}
		CheckPage(t, q, "en", "group-resources-moderator")
		Go(t, q, "#/phrases?locale=de&kind=crisis")
		Wait(t, q, `[...document.querySelectorAll('#phrase-list li .phrase')].some(s => s.textContent === `+jsString(phrase)+`)`, 10*time.Second)
		if MustEval[bool](q, `!!document.querySelector('#phrase-add, #phrase-save, #phrase-list button')`) {
			t.Error("a moderator should not be offered editing")
		}
		CheckPage(t, q, "en", "group-phrases-moderator")
	})

	// Dropping the clinic's list brings Haven's built-in one back (asked first).
	t.Run("restore the built-in list", func(t *testing.T) {
		Go(t, p, "#/phrases?locale=de&kind=crisis")
		Wait(t, p, `document.querySelector('#phrase-restore') && !document.querySelector('#phrase-restore').hidden`, 10*time.Second)
		MustEval[bool](p, `(() => { window.confirm = () => true; return true; })()`)
		clickQ(t, p, `#phrase-restore`)
		Wait(t, p, `document.querySelector('#phrase-status').textContent === `+jsString(msg(t, env, "de", "console.phrases.restored"))+` && document.querySelector('#phrase-restore').hidden`, 10*time.Second)
		if MustEval[string](p, `document.querySelector('#phrase-source').textContent`) != msg(t, env, "de", "console.phrases.builtin") ||
			MustEval[bool](p, `[...document.querySelectorAll('#phrase-list li .phrase')].some(s => s.textContent === `+jsString(phrase)+`)`) {
			t.Error("after the restore the page does not show Haven's built-in list")
		}
		var rows, audits int64
		db.Model(&store.GroupPhraseList{}).Where("clinic_id = ? AND locale = ? AND kind = ?", env.Clinic.ID, "de", "crisis").Count(&rows)
		db.Model(&store.AuditEvent{}).Where("clinic_id = ? AND action = ?", env.Clinic.ID, "group.phrases_reset").Count(&audits)
		if rows != 0 || audits != 1 {
			t.Errorf("after the restore: %d clinic lists stored (want 0), %d reset audit events (want 1)", rows, audits)
		}
		SaveArtifact(t, "group-phrases-restored-de.png", p.Screenshot())
	})
}
