package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/havenvr/haven/server/store"
)

// TestConsoleResonanceAssessment: the therapist runs a resonance assessment
// (CLINICAL.md §7) with a simulated patient and sees each recorded breathing
// rate reported in the live view, in English and Arabic. The drill runs 30×
// faster than real time, so every window holds too few heartbeats for a
// spectrum and says so (the LF peak itself is tested in server/live).
func TestConsoleResonanceAssessment(t *testing.T) {
	env := StartConsole(t)
	env.Server.App.Live.SetEngineSpeed(30)
	api := env.Server.SignIn(t, env.Clinic.ID, store.RoleTherapist)
	b := NewBrowser(t)
	for _, locale := range []string{"en", "ar"} {
		t.Run(locale, func(t *testing.T) {
			var pat, sess struct{ ID string }
			if st := api.Do(http.MethodPost, "/api/patients", map[string]any{"code": "P-" + store.RandomToken(4), "birth_year": 1985, "screening": map[string]bool{}}, &pat); st != http.StatusCreated {
				t.Fatalf("patient: %d", st)
			}
			if st := api.Do(http.MethodPost, "/api/sessions", map[string]any{"patient_id": pat.ID, "protocol_id": "resonance_assessment"}, &sess); st != http.StatusCreated {
				t.Fatalf("session: %d", st)
			}
			p := env.SignIn(t, b, locale, store.RoleTherapist)
			Go(t, p, "#/sessions/"+sess.ID)
			Wait(t, p, `window.havenConsole.live && window.havenConsole.live.link === 'open'`, 15*time.Second)
			Do(t, p, chromedp.Click(`#join-h ~ .actions button.primary`))
			Wait(t, p, `document.querySelector('#join-h ~ .actions button:not(.primary)')`, 10*time.Second)
			Do(t, p, chromedp.Click(`#join-h ~ .actions button:not(.primary)`)) // practise with a simulated patient
			// the practice copy of the session opens, its simulated patient already in
			Wait(t, p, `!location.hash.endsWith('/`+sess.ID+`') && window.havenConsole.ready && window.havenConsole.live?.link === 'open'`, 20*time.Second)
			Wait(t, p, `window.havenConsole.live.resonance.length >= 1 && document.querySelector('#resonance li')`, 40*time.Second)
			got := MustEval[string](p, `document.querySelector('#resonance li').textContent`)
			rate := MustEval[string](p, `new Intl.NumberFormat(document.documentElement.lang, {minimumFractionDigits: 1}).format(6)`)
			if want := msg(t, env, locale, "console.resonance.too_short", map[string]any{"Rate": rate}); got != want {
				t.Errorf("first window reads %q, want %q", got, want)
			}
			CheckPage(t, p, locale, "live-resonance")
		})
	}
}
