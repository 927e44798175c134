package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

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
					chromedp.SendKeys(`textarea[name="text.other"]`, "Clients"), chromedp.Click(`#ov-h ~ form button[type=submit]`))
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
		})
	}
}
