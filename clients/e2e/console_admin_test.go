package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/havenvr/haven/server/store"
)

// TestConsoleAdminFlow is a clinic admin's round, in English, the
// pseudo-locale and Arabic: invite a therapist and accept the copied link in
// a second browser context, open a support room and moderate it, and give
// the clinic its own wording of a message (served at once), then reset it.
func TestConsoleAdminFlow(t *testing.T) {
	env := StartConsole(t)
	b := NewBrowser(t)
	for _, locale := range []string{"en", "en-XA", "ar"} {
		t.Run(locale, func(t *testing.T) {
			p := env.SignIn(t, b, locale, store.RoleAdmin)
			MustEval[bool](p, `(() => { window.confirm = () => true; return true; })()`)

			t.Run("invite", func(t *testing.T) {
				Go(t, p, "#/users")
				email := "new-" + strings.ToLower(store.RandomToken(5)) + "@clinic.test"
				Do(t, p, chromedp.SendKeys(`#invite-h ~ .row input[name=email]`, email), chromedp.Click(`#invite-h ~ button[type=submit]`))
				Wait(t, p, `document.querySelector('.linkbox code')`, 10*time.Second)
				CheckPage(t, p, locale, "admin-invite")
				link := MustEval[string](p, `document.querySelector('.linkbox code').textContent`)
				if !strings.Contains(link, "#/invite/") {
					t.Fatalf("invite link %q has no #/invite/ token", link)
				}
				q := env.URL + "/?locale=" + locale + link[strings.Index(link, "#"):]
				invitee := b.NewPage(t, q, 1280, 900, consoleReady)
				CheckPage(t, invitee, locale, "admin-accept-invite")
				Do(t, invitee, chromedp.SendKeys(`input[name=name]`, "Dr Rivera"), chromedp.SendKeys(`input[name=password]`, "a-long-enough-password"),
					chromedp.Click(`form button[type=submit]`))
				WaitAcrossReload(t, invitee, `window.havenConsole.ready && location.hash.startsWith('#/patients') && document.querySelector('nav')`, 15*time.Second)
			})

			t.Run("support room", func(t *testing.T) {
				Go(t, p, "#/groups")
				Do(t, p, chromedp.SendKeys(`input[name=topic]`, "Evening circle"), chromedp.Click(`#new-room-h ~ button[type=submit]`))
				Wait(t, p, `location.hash.includes('room=') && window.havenConsole.ready && document.querySelector('#room-h')`, 15*time.Second)
				if code := MustEval[string](p, `document.querySelector('#room-h ~ p code').textContent`); code == "" {
					t.Errorf("room code not shown")
				}
				CheckPage(t, p, locale, "admin-room")
			})

			t.Run("clinic wording", func(t *testing.T) {
				Go(t, p, "#/translations")
				Wait(t, p, `document.querySelector('#cov-h ~ div table')`, 10*time.Second)
				if n := MustEval[int](p, `document.querySelectorAll('#cov-h ~ div tbody tr').length`); n != 7 {
					t.Errorf("coverage rows = %d, want the 7 shipped locales", n)
				}
				Do(t, p, chromedp.SetValue(`select[name=locale]`, "en"), chromedp.SendKeys(`input[name=id]`, "console.nav.patients"),
					chromedp.SendKeys(`textarea[name="text.other"]`, "Clients"))
				// Leaving the id field shows the built-in text above the form's
				// fields, which moves the Save button: click once it is there,
				// as a person would, not where the button was a moment before.
				Wait(t, p, `document.querySelector('#ov-h ~ form > p.hint').textContent.length > 0`, 10*time.Second)
				Do(t, p, chromedp.Click(`#ov-h ~ form button[type=submit]`))
				if _, err := chromedp.Run(p.Ctx, chromedp.Poll[bool](`[...document.querySelectorAll('#ov-h ~ div tbody tr')].some(r => r.textContent.includes('Clients'))`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
					t.Fatalf("override not listed: %v; form says %q", err, MustEval[string](p, `[...document.querySelectorAll('#ov-h ~ form .error, #ov-h ~ form .field-error')].map(e => e.textContent).join(' ')`))
				}
				served := MustEval[string](p, `fetch('/api/i18n/messages?prefix=console.nav.&locale=en&clinic='+window.havenConsole.clinic).then(r => r.json()).then(d => d.messages['console.nav.patients'])`)
				if served != "Clients" {
					t.Errorf("after the override the clinic is served %q, want Clients", served)
				}
				CheckPage(t, p, locale, "admin-translations")
				Do(t, p, chromedp.Click(`#ov-h ~ div tbody tr button`))
				Wait(t, p, `!document.querySelector('#ov-h ~ div tbody')`, 10*time.Second)
				served = MustEval[string](p, `fetch('/api/i18n/messages?prefix=console.nav.&locale=en&clinic='+window.havenConsole.clinic).then(r => r.json()).then(d => d.messages['console.nav.patients'])`)
				if served != "Patients" {
					t.Errorf("after reset the clinic is served %q, want the built-in Patients", served)
				}
			})

			t.Run("counted message in Arabic asks for its five plural forms", func(t *testing.T) {
				if locale != "en" {
					t.Skip("the form's plural fields follow the edited language, not the console's: one pass is enough")
				}
				Go(t, p, "#/translations")
				Wait(t, p, `document.querySelector('#ov-h ~ form select[name=locale]')`, 10*time.Second)
				chooseByKeyboard(t, p, `#ov-h ~ form select[name=locale]`, "ar")
				Wait(t, p, `document.querySelectorAll('#plural-forms input[data-form]').length === 5`, 5*time.Second)
				if got := MustEval[string](p, `[...document.querySelectorAll('#plural-forms input[data-form]')].map(i => i.dataset.form).join()`); got != "zero,one,two,few,many" {
					t.Fatalf("Arabic plural fields %q", got)
				}
				Do(t, p, chromedp.SendKeys(`input[name=id]`, "console.patients.count"), chromedp.SendKeys(`textarea[name="text.other"]`, "{{.Count}} مراجع"))
				Wait(t, p, `document.querySelector('#ov-h ~ form > p.hint').textContent.length > 0`, 10*time.Second)
				Do(t, p, chromedp.Click(`#plural-forms summary`), chromedp.SendKeys(`#plural-forms input[data-form=one]`, "مراجع واحد"),
					chromedp.Click(`#ov-h ~ form button[type=submit]`))
				// Four forms missing: refused, with the reason, and nothing stored.
				Wait(t, p, `[...document.querySelectorAll('#ov-h ~ form .error, #ov-h ~ form .field-error')].some(e => e.textContent.trim())`, 10*time.Second)
				var n int64
				env.Server.App.Store.DB.Model(&store.MessageOverride{}).Where("clinic_id = ? AND message_id = ?", env.Clinic.ID, "console.patients.count").Count(&n)
				if n != 0 {
					t.Fatalf("an override missing plural forms was stored")
				}
				for form, text := range map[string]string{"zero": "لا مراجعين", "two": "مراجعان", "few": "{{.Count}} مراجعين", "many": "{{.Count}} مراجعًا"} {
					Do(t, p, chromedp.SendKeys(`#plural-forms input[data-form=`+form+`]`, text))
				}
				Do(t, p, chromedp.Click(`#ov-h ~ form button[type=submit]`))
				Wait(t, p, `[...document.querySelectorAll('#ov-h ~ div tbody tr')].some(r => r.textContent.includes('console.patients.count'))`, 10*time.Second)
				var ov store.MessageOverride
				if err := env.Server.App.Store.DB.Take(&ov, "clinic_id = ? AND message_id = ?", env.Clinic.ID, "console.patients.count").Error; err != nil ||
					ov.Locale != "ar" || !strings.Contains(ov.Text, `"few":"{{.Count}} مراجعين"`) {
					t.Fatalf("stored %+v (%v)", ov, err)
				}
				Do(t, p, chromedp.Click(`#ov-h ~ div tbody tr button`))
				Wait(t, p, `!document.querySelector('#ov-h ~ div tbody')`, 10*time.Second)
			})

			t.Run("clinic settings", func(t *testing.T) {
				want := map[string]struct{ lang, country string }{"en": {"de", "DE"}, "en-XA": {"fr", "FR"}, "ar": {"ar", "EG"}}[locale]
				db := env.Server.App.Store.DB
				reset := func() {
					if err := db.Model(&store.Clinic{}).Where("id = ?", env.Clinic.ID).Updates(map[string]any{"default_locale": "en", "country": ""}).Error; err != nil {
						t.Fatal(err)
					}
				}
				reset()
				t.Cleanup(reset)
				Go(t, p, "#/settings")
				Wait(t, p, `document.querySelector('#clinic-settings select[name=country] option[value=DE]')`, 10*time.Second)
				if MustEval[bool](p, `document.querySelector('#no-country').hidden`) {
					t.Errorf("a clinic without a country shows no warning")
				}
				CheckPage(t, p, locale, "admin-settings")

				// A refused change, by keyboard: the reason sits on the field, nothing is stored.
				Do(t, p, chromedp.SetValue(`#clinic-settings input[name=name]`, " "), chromedp.Focus(`#clinic-settings input[name=name]`), chromedp.KeyEvent(kb.Enter))
				Wait(t, p, `document.querySelector('#clinic-settings input[name=name][aria-invalid=true]') && document.querySelector('#clinic-settings [data-field=name] .field-error').textContent`, 10*time.Second)
				CheckPage(t, p, locale, "admin-settings-refused")

				// The default language and country chosen with the arrow keys, saved with Enter.
				Do(t, p, chromedp.SetValue(`#clinic-settings input[name=name]`, env.Clinic.Name))
				chooseByKeyboard(t, p, `#clinic-settings select[name=default_locale]`, want.lang)
				chooseByKeyboard(t, p, `#clinic-settings select[name=country]`, want.country)
				Do(t, p, chromedp.Focus(`#clinic-settings input[name=name]`), chromedp.KeyEvent(kb.Enter))
				Wait(t, p, `document.querySelector('#clinic-settings .saved').textContent && document.querySelector('#no-country').hidden`, 10*time.Second)
				var got store.Clinic
				if err := db.Take(&got, "id = ?", env.Clinic.ID).Error; err != nil || got.DefaultLocale != want.lang || got.Country != want.country || got.Name != env.Clinic.Name {
					t.Fatalf("stored %+v (%v), want %s/%s", got, err, want.lang, want.country)
				}
				var audited int64
				db.Model(&store.AuditEvent{}).Where("clinic_id = ? AND action = ?", env.Clinic.ID, "clinic.update").Count(&audited)
				if audited == 0 {
					t.Errorf("the change left no audit entry")
				}
				// Someone whose browser asks for a language Haven lacks now reads the clinic's.
				title := MustEval[string](p, `fetch('/api/protocols/library/box_breathing', {headers: {'Accept-Language': 'ja'}}).then(r => r.json()).then(d => d.title)`)
				key := MustEval[string](p, `fetch('/api/protocols/library/box_breathing').then(r => r.json()).then(d => d.title_key)`)
				if w, err := env.Server.App.Localize.Bundle.ForLocale(env.Clinic.ID, want.lang).Lookup(key, nil); err != nil || title != w {
					t.Errorf("with Accept-Language ja the title is %q, want the clinic's %s %q (%v)", title, want.lang, w, err)
				}
			})
		})
	}
}

// chooseByKeyboard picks value in a <select> with the arrow keys, as a
// keyboard user does.
func chooseByKeyboard(t *testing.T, p *Page, sel, value string) {
	t.Helper()
	steps := MustEval[int](p, `(() => { const s = document.querySelector(`+jsString(sel)+`); return [...s.options].findIndex(o => o.value === `+jsString(value)+`) - s.selectedIndex; })()`)
	key := kb.ArrowDown
	if steps < 0 {
		key, steps = kb.ArrowUp, -steps
	}
	actions := []chromedp.Action[chromedp.Void]{chromedp.Focus(sel)}
	for range steps {
		actions = append(actions, chromedp.KeyEvent(key))
	}
	Do(t, p, actions...)
	if got := MustEval[string](p, `document.querySelector(`+jsString(sel)+`).value`); got != value {
		t.Fatalf("%s: the arrow keys reached %q, want %q", sel, got, value)
	}
}
