package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/havenvr/haven/server/store"
)

// TestConsoleScheduleUnscreened walks issue 15's schedule path as a
// therapist would, in English and Arabic: a patient nobody screened reads
// "Not screened" (not the green "no items flagged") on the list and the
// record; scheduling an exposure session for a date and time is refused
// with the localized screening message and asks for a reason; with the
// reason the session is listed with its planned start.
func TestConsoleScheduleUnscreened(t *testing.T) {
	env := StartConsole(t)
	api := env.Server.SignIn(t, env.Clinic.ID, store.RoleTherapist)
	b := NewBrowser(t)
	for _, locale := range []string{"en", "ar"} {
		t.Run(locale, func(t *testing.T) {
			var pat struct{ ID string }
			if st := api.Do(http.MethodPost, "/api/patients", map[string]any{"code": "NEW-" + store.RandomToken(4), "birth_year": 1990}, &pat); st != http.StatusCreated {
				t.Fatalf("patient: %d", st)
			}
			p := env.SignIn(t, b, locale, store.RoleTherapist)
			notScreened := msg(t, env, locale, "console.screening.not_screened", nil)

			Go(t, p, "#/patients/"+pat.ID)
			Wait(t, p, `document.querySelector('#screen-h') !== null`, 10*time.Second)
			if got := MustEval[string](p, `document.querySelector('#screen-h ~ p.warn strong')?.textContent || ''`); got != notScreened {
				t.Errorf("patient record screening reads %q, want %q", got, notScreened)
			}
			CheckPage(t, p, locale, "patient-not-screened")

			Go(t, p, "#/sessions?patient="+pat.ID+"&protocol=heights_ladder")
			Do(t, p, chromedp.Click(`#when-later`))
			Wait(t, p, `!document.querySelector('input[name=scheduled_for]').disabled`, 5*time.Second)
			at := time.Now().Add(72 * time.Hour).Format("2006-01-02T15:04")
			MustEval[bool](p, `(() => { const i = document.querySelector('input[name=scheduled_for]'); i.value = '`+at+`'; return true; })()`)
			Do(t, p, chromedp.Click(`#sched-h ~ button[type=submit]`))
			Wait(t, p, `!document.querySelector('textarea[name=override_reason]').closest('[hidden]')`, 10*time.Second)
			refusal := msg(t, env, locale, "error.screening_required", nil)
			if got := MustEval[string](p, `[...document.querySelectorAll('#sched-h ~ .error, form .error, form [role=alert]')].map((e) => e.textContent).join(' ')`); got == "" || !strings.Contains(got, refusal) {
				t.Errorf("refusal reads %q, want %q", got, refusal)
			}
			CheckPage(t, p, locale, "schedule-not-screened")

			Do(t, p, chromedp.SendKeys(`textarea[name=override_reason]`, "Screened on paper at intake."),
				chromedp.Click(`#sched-h ~ button[type=submit]`))
			// The list may already show the previous locale's session: wait for
			// this patient's to be stored, then for the page to list it.
			var up []struct {
				ID                string `json:"id"`
				ScreeningOverride string `json:"screening_override"`
			}
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
				up = up[:0]
				api.Do(http.MethodGet, "/api/sessions?upcoming=1&patient_id="+pat.ID, nil, &up)
				if len(up) > 0 || time.Now().After(deadline) {
					break
				}
			}
			if len(up) != 1 || up[0].ScreeningOverride == "" {
				t.Fatalf("upcoming sessions %+v, want one with the recorded reason", up)
			}
			Wait(t, p, `[...document.querySelectorAll('section[aria-labelledby=list-h] a[href]')].some((a) => a.getAttribute('href').includes(`+jsString(up[0].ID)+`))`, 10*time.Second)
			CheckPage(t, p, locale, "schedule-upcoming")
		})
	}
}
