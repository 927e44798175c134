package e2e

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/havenvr/haven/server/auth"
	"github.com/havenvr/haven/server/store"
)

// TestConsoleAccountLadderJumpForms walks, in English and Arabic, the
// console screens for what the server already offered API-only: changing
// one's own password (each refusal beside its field), a clinic admin's
// disable / enable / password-reset link on the users page, a ladder's own
// name and a one-line description per step (shown, with its template, where
// a ladder is chosen), and the clinic's intensity-jump confirmation
// threshold, which must reach a therapist's live view.
func TestConsoleAccountLadderJumpForms(t *testing.T) {
	env := StartConsole(t)
	if !env.HasRoute("POST", "/api/me/password") || !env.HasRoute("POST", "/api/users/:id/password-reset") {
		t.Fatal("e2e: the server lacks the account routes")
	}
	db := env.Server.App.Store.DB
	b := NewBrowser(t)
	for _, locale := range []string{"en", "ar"} {
		t.Run(locale, func(t *testing.T) {
			lt := t // the locale's test: cleanups that outlive one step
			// The admin signs in with an account whose password the test knows.
			email, password := env.Account(t, store.RoleAdmin)
			admin := env.OpenConsole(t, b, locale, "#/signin")
			Do(t, admin, chromedp.SendKeys(`input[name=email]`, email), chromedp.SendKeys(`input[name=password]`, password),
				chromedp.Click(`form button[type=submit]`))
			WaitAcrossReload(t, admin, `window.havenConsole.ready && !location.hash.startsWith('#/signin') && document.querySelector('nav')`, 15*time.Second)
			MustEval[bool](admin, `(() => { window.confirm = () => true; return true; })()`)

			t.Run("change my password", func(t *testing.T) {
				Do(t, admin, chromedp.Click(`#account-link`))
				Wait(t, admin, `location.hash === '#/account' && document.querySelector('#change-password')`, 10*time.Second)
				submit := func(current, next, again string) {
					t.Helper()
					for name, v := range map[string]string{"current_password": current, "new_password": next, "repeat_password": again} {
						Do(t, admin, chromedp.SetValue(`#change-password input[name=`+name+`]`, v))
					}
					Do(t, admin, chromedp.Click(`#change-password button[type=submit]`))
				}
				// fieldRefused waits for the refusal beside name: marked invalid, described by its message.
				fieldRefused := func(name, id string) {
					t.Helper()
					want := msg(t, env, locale, id)
					sel := `#change-password input[name=` + name + `]`
					Wait(t, admin, `document.querySelector('`+sel+`[aria-invalid=true]')`, 10*time.Second)
					got := MustEval[string](admin, `(() => { const i = document.querySelector('`+sel+`'); return i.getAttribute('aria-describedby').split(' ').map(id => document.getElementById(id).textContent).join(' | '); })()`)
					if !strings.Contains(got, want) {
						t.Errorf("%s is described by %q, want %q", name, got, want)
					}
				}
				submit(password, "new-long-password-1", "new-long-password-2")
				fieldRefused("repeat_password", "console.account.mismatch")
				submit(password, "short", "short")
				fieldRefused("new_password", "console.account.password_rule")
				submit("not-my-password", "new-long-password-1", "new-long-password-1")
				fieldRefused("current_password", "console.account.current_wrong")
				CheckPage(t, admin, locale, "forms-account-refused")
				var u store.User
				if err := db.Take(&u, "clinic_id = ? AND email = ?", env.Clinic.ID, email).Error; err != nil {
					t.Fatal(err)
				}
				if ok, _ := auth.VerifyPassword(u.PasswordHash, password); !ok {
					t.Fatal("a refused change replaced the password")
				}
				submit(password, "new-long-password-1", "new-long-password-1")
				Wait(t, admin, `document.querySelector('#change-password .saved').textContent === `+jsString(msg(t, env, locale, "console.account.changed")), 10*time.Second)
				if err := db.Take(&u, "id = ?", u.ID).Error; err != nil {
					t.Fatal(err)
				}
				if ok, _ := auth.VerifyPassword(u.PasswordHash, "new-long-password-1"); !ok {
					t.Fatal("the new password was not stored")
				}
				CheckPage(t, admin, locale, "forms-account-changed")
			})

			t.Run("disable, enable, reset link", func(t *testing.T) {
				otherEmail, _ := env.Account(t, store.RoleTherapist)
				var other store.User
				if err := db.Take(&other, "clinic_id = ? AND email = ?", env.Clinic.ID, otherEmail).Error; err != nil {
					t.Fatal(err)
				}
				row := func(cls string) string { return `button.` + cls + `[data-user="` + other.ID + `"]` }
				Go(t, admin, "#/users")
				Wait(t, admin, `document.querySelector('`+row("disable")+`')`, 10*time.Second)
				Do(t, admin, chromedp.Click(row("disable")))
				Wait(t, admin, `document.querySelector('`+row("enable")+`')`, 10*time.Second)
				if err := db.Take(&other, "id = ?", other.ID).Error; err != nil || other.DisabledAt == nil {
					t.Fatalf("not disabled: %+v %v", other.DisabledAt, err)
				}
				Do(t, admin, chromedp.Click(row("enable")))
				Wait(t, admin, `document.querySelector('`+row("disable")+`') && document.querySelector('#user-action .ok')`, 10*time.Second)
				if got, want := MustEval[string](admin, `document.querySelector('#user-action .ok').textContent`), msg(t, env, locale, "console.users.enabled", map[string]any{"Email": otherEmail}); got != want {
					t.Errorf("enabled says %q, want %q", got, want)
				}
				var now store.User // a fresh row: scanning NULL leaves an old pointer in place
				if err := db.Take(&now, "id = ?", other.ID).Error; err != nil || now.DisabledAt != nil {
					t.Fatalf("still disabled: %+v %v", now.DisabledAt, err)
				}
				Do(t, admin, chromedp.Click(row("reset")))
				Wait(t, admin, `document.querySelector('#reset-made .linkbox code')`, 10*time.Second)
				link := MustEval[string](admin, `document.querySelector('#reset-made .linkbox code').textContent`)
				if !strings.Contains(link, "#/invite/") {
					t.Fatalf("reset link %q has no #/invite/ token", link)
				}
				var inv int64
				db.Model(&store.Invite{}).Where("clinic_id = ? AND email = ?", env.Clinic.ID, otherEmail).Count(&inv)
				if inv != 1 {
					t.Fatalf("%d reset invites stored for %s, want 1", inv, otherEmail)
				}
				MustEval[bool](admin, `(document.querySelector('#reset-made').scrollIntoView({block: 'center'}), true)`)
				CheckPage(t, admin, locale, "forms-users-reset")
			})

			t.Run("intensity jump setting", func(t *testing.T) {
				Go(t, admin, "#/settings")
				sel := `#clinic-settings input[name=max_intensity_jump]`
				Wait(t, admin, `document.querySelector('`+sel+`') && document.querySelector('`+sel+`').value === '20'`, 10*time.Second)
				Do(t, admin, chromedp.SetValue(sel, "101"), chromedp.Click(`#clinic-settings button[type=submit]`))
				Wait(t, admin, `document.querySelector('`+sel+`[aria-invalid=true]') && document.querySelector('#clinic-settings [data-field=max_intensity_jump] .field-error').textContent`, 10*time.Second)
				if got, label := MustEval[string](admin, `document.querySelector('#clinic-settings [data-field=max_intensity_jump] .field-error').textContent`), msg(t, env, locale, "console.clinic.max_jump"); !strings.Contains(got, label) {
					t.Errorf("refusal %q does not name the field %q", got, label)
				}
				MustEval[bool](admin, `(document.querySelector('`+sel+`').scrollIntoView({block: 'center'}), true)`)
				CheckPage(t, admin, locale, "forms-settings-jump-refused")
				var cl store.Clinic
				if db.Take(&cl, "id = ?", env.Clinic.ID); cl.MaxIntensityJump != 20 {
					t.Fatalf("a refused jump was stored: %d", cl.MaxIntensityJump)
				}
				Do(t, admin, chromedp.SetValue(sel, "50"), chromedp.Click(`#clinic-settings button[type=submit]`))
				Wait(t, admin, `document.querySelector('#clinic-settings .saved').textContent && !document.querySelector('`+sel+`[aria-invalid]')`, 10*time.Second)
				if db.Take(&cl, "id = ?", env.Clinic.ID); cl.MaxIntensityJump != 50 {
					t.Fatalf("stored jump %d, want 50", cl.MaxIntensityJump)
				}
				lt.Cleanup(func() { db.Model(&store.Clinic{}).Where("id = ?", env.Clinic.ID).Update("max_intensity_jump", 20) })
			})

			th := env.SignIn(t, b, locale, store.RoleTherapist)
			MustEval[bool](th, `(() => { window.confirm = () => true; return true; })()`)
			name := "Balcony ladder " + locale + " " + store.RandomToken(3)
			var ladderID string
			t.Run("ladder name and step description", func(t *testing.T) {
				Go(t, th, "#/protocols/new?library=heights_ladder")
				Wait(t, th, `document.querySelector('#lb-h ~ .field input[name=name]') && document.querySelector('input[name="steps[0].description"]')`, 10*time.Second)
				// The library names safety behaviours by message id; the builder must show words.
				if got := MustEval[string](th, `document.querySelector('textarea[name="steps[0].safety_behaviours"]').value`); got == "" || strings.Contains(got, "proto.") {
					t.Errorf("safety behaviours shown as %q, want the clinic's words", got)
				} else if want := msg(t, env, locale, "proto.safety.holding_railing", nil); !strings.Contains(got, want) {
					t.Errorf("safety behaviours %q lack %q", got, want)
				}
				setDesc := func(v string) {
					MustEval[bool](th, `(() => { const i = document.querySelector('input[name="steps[0].description"]'); i.value = `+jsString(v)+`; i.dispatchEvent(new Event('input')); return true; })()`)
				}
				Do(t, th, chromedp.SendKeys(`input[name=name]`, name))
				// 301 characters: one more than the server's limit (a script bypasses maxlength, a person pasting would not).
				setDesc(strings.Repeat("x", 301))
				var before int64
				db.Model(&store.ClinicProtocol{}).Where("clinic_id = ?", env.Clinic.ID).Count(&before)
				Do(t, th, chromedp.Click(`#lb-h ~ .actions button[type=submit]`))
				Wait(t, th, `document.querySelector('input[name="steps[0].description"][aria-invalid=true]')`, 10*time.Second)
				got := MustEval[string](th, `document.getElementById(document.querySelector('input[name="steps[0].description"]').id + '-err').textContent`)
				if want := msg(t, env, locale, "proto.error.text_length", map[string]any{"Max": 300}); !strings.Contains(got, want) && !strings.Contains(got, strings.Split(want, "300")[0]) {
					t.Errorf("description refusal %q, want it to say %q", got, want)
				}
				if strings.Contains(got, "steps[0]") {
					t.Errorf("description refusal %q names the field by its JSON path", got)
				}
				MustEval[bool](th, `(document.querySelector('input[name="steps[0].description"]').scrollIntoView({block: 'center'}), true)`)
				CheckPage(t, th, locale, "forms-ladder-refused")
				var after int64
				if db.Model(&store.ClinicProtocol{}).Where("clinic_id = ?", env.Clinic.ID).Count(&after); after != before {
					t.Fatalf("a refused ladder was stored")
				}
				desc := "Stand at the railing on the 10th floor"
				setDesc(desc)
				Do(t, th, chromedp.Click(`#lb-h ~ .actions button[type=submit]`))
				Wait(t, th, `/^#\/protocols\/[^/?]+$/.test(location.hash) && !location.hash.startsWith('#/protocols/new') && window.havenConsole.ready && document.querySelector('#lb-h')`, 15*time.Second)
				ladderID = MustEval[string](th, `decodeURIComponent(location.hash.split('/')[2])`)
				var view struct {
					Title    string `json:"title"`
					Protocol struct {
						Name  string `json:"name"`
						Steps []struct {
							Description string `json:"description"`
						} `json:"steps"`
					} `json:"protocol"`
				}
				raw := MustEval[string](th, `fetch('/api/protocols/'+`+jsString(ladderID)+`).then(r => r.text())`)
				if err := json.Unmarshal([]byte(raw), &view); err != nil || view.Title != name || view.Protocol.Name != name || len(view.Protocol.Steps) == 0 || view.Protocol.Steps[0].Description != desc {
					t.Fatalf("stored ladder %s (%v)", raw, err)
				}
				Wait(t, th, `document.querySelector('#lb-h').textContent === `+jsString(name)+` && document.querySelector('input[name="steps[0].description"]').value === `+jsString(desc), 10*time.Second)
				CheckPage(t, th, locale, "forms-ladder-saved")
			})
			if ladderID == "" {
				t.Fatal("no ladder to choose")
			}

			t.Run("ladder chosen by name and template; jump threshold live", func(t *testing.T) {
				patientID := createPatient(t, th, locale, "F-"+strings.ToUpper(store.RandomToken(4)))
				Go(t, th, "#/sessions?patient="+patientID+"&protocol="+ladderID)
				opt := MustEval[string](th, `document.querySelector('select[name=protocol_id]').selectedOptions[0].textContent`)
				if tpl := msg(t, env, locale, "env.heights.label"); !strings.Contains(opt, name) || !strings.Contains(opt, tpl) {
					t.Errorf("the chosen ladder reads %q, want its name %q and template %q", opt, name, tpl)
				}
				CheckPage(t, th, locale, "forms-session-choose-ladder")
				Do(t, th, chromedp.Click(`#sched-h ~ button[type=submit]`))
				Wait(t, th, `/^#\/sessions\/[^/?]+$/.test(location.hash) && window.havenConsole.ready && window.havenConsole.live && document.querySelector('#live-intensity')`, 15*time.Second)
				Wait(t, th, `window.havenConsole.live.link === 'open'`, 15*time.Second)
				MustEval[bool](th, `(() => { window.asked = []; window.confirm = (m) => { window.asked.push(m); return false; }; return true; })()`)
				slide := func(v int) {
					MustEval[bool](th, `(() => { const s = document.querySelector('#live-intensity'); s.value = '`+strconv.Itoa(v)+`'; s.dispatchEvent(new Event('pointerup')); return true; })()`)
				}
				// 0 → 40 is within the clinic's 50 points (the built-in 20 would have asked).
				slide(40)
				Wait(t, th, `(window.havenConsole.live.intensitySent || 0) === 1`, 10*time.Second)
				if n := MustEval[int](th, `window.asked.length`); n != 0 {
					t.Fatalf("a 40-point change asked for confirmation under a 50-point threshold")
				}
				// 40 → 100 is 60 points: asked, refused, not sent.
				slide(100)
				Wait(t, th, `window.asked.length === 1 && document.querySelector('#live-intensity').value === '40'`, 10*time.Second)
				if n := MustEval[int](th, `window.havenConsole.live.intensitySent`); n != 1 {
					t.Fatalf("a refused jump was sent (%d commands)", n)
				}
			})
		})
	}
}
