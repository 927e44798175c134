package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestConsoleCalmSuggestion: SUDS ≥ 90 on the lowest step of a ladder
// suggests the calm scene (CLINICAL.md §2/§5: step back one item or calm;
// there is no lower item), and the console offers it with one click, in
// words, in English and Arabic (screenshots). The simulated patient's
// distress rises with every scene change (server/simpeer: +10 exposure a
// change, SUDS ≈ 10 + 0.9 × exposure), so six intensity changes on step 1
// bring a rating of about 100.
func TestConsoleCalmSuggestion(t *testing.T) {
	env := StartConsole(t)
	if !env.HasRoute("POST", "/api/sessions/:id/simulate") {
		t.Skip("e2e: the server has no simulated patient")
	}
	live := env.Server.App.Live
	b := NewBrowser(t)
	for _, locale := range []string{"en", "ar"} {
		t.Run(locale, func(t *testing.T) {
			p, _ := startPractice(t, env, b, locale, "C-")
			live.SetEngineSpeed(200)
			Wait(t, p, `window.havenConsole.live.suggestion && window.havenConsole.live.suggestion.action === 'advance'`, 15*time.Second)
			live.SetEngineSpeed(1)
			Do(t, p, chromedp.Click(`.suggestion button.primary`))
			Wait(t, p, `window.havenConsole.live.step && window.havenConsole.live.step.index === 0`, 10*time.Second)
			for i := 1; i <= 6; i++ {
				v := strconv.Itoa(5 * i)
				MustEval[bool](p, `(() => { const s = document.querySelector('#live-intensity'); s.value = '`+v+`'; s.dispatchEvent(new Event('pointerup')); return true; })()`)
				Wait(t, p, `(window.havenConsole.live.intensitySent || 0) >= `+strconv.Itoa(i), 5*time.Second)
			}
			Wait(t, p, `window.havenConsole.live.suggestion && window.havenConsole.live.suggestion.action === 'calm_now' && !document.querySelector('.suggestion').hidden`, 20*time.Second)
			sugg := MustEval[string](p, `document.querySelector('.suggestion').textContent`)
			for _, id := range []string{"console.suggest.action.calm_now", "console.suggest.reason.suds_high_lowest_step"} {
				if want := msg(t, env, locale, id); !strings.Contains(sugg, want) {
					t.Errorf("suggestion %q lacks %s (%q)", sugg, id, want)
				}
			}
			MustEval[bool](p, `(document.querySelector('.suggestion').scrollIntoView({block: 'center'}), true)`)
			SaveArtifact(t, "console-"+locale+"-calm-suggestion.png", p.Screenshot())
			// one click: the calm scene, and the session pauses for the therapist's word
			Do(t, p, chromedp.Click(`.suggestion button.primary`))
			Wait(t, p, `window.havenConsole.live.state === 'paused' || (window.havenConsole.live.refused || []).length > 0`, 10*time.Second)
			if n := MustEval[int](p, `(window.havenConsole.live.refused || []).length`); n != 0 {
				t.Fatalf("the accepted suggestion was refused: %v", MustEval[any](p, `window.havenConsole.live.refused`))
			}
			Do(t, p, chromedp.Click(`button.end-session`))
		})
	}
}
