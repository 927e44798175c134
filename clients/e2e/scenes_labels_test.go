package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/havenvr/haven/server/store"
)

// TestComposerSpiderOnHand opens the spiders template in the console's
// composer in English and Arabic and moves the intensity slider: the top
// step's parameter reads as a clinician says it (the message catalogue's
// label for env.spiders.on_hand, i18n/locales/env.<locale>.json), is off at
// 95 and on at 100 (the template's mapping: "at": 100, while the walk to
// the hand is on from 80), and the page passes
// the console's page checks (axe, no missing message ids, right to left in
// Arabic) with the field on screen; the screenshots are kept as artifacts.
func TestComposerSpiderOnHand(t *testing.T) {
	env := StartConsole(t)
	b := NewBrowser(t)
	for _, locale := range []string{"en", "ar"} {
		t.Run(locale, func(t *testing.T) {
			want := catalogueLabel(t, locale, "env.spiders.on_hand.label")
			p := env.SignIn(t, b, locale, store.RoleTherapist)
			Go(t, p, "#/environments/new?template=spiders")
			Wait(t, p, `document.querySelector('input[name="params.on_hand"]')`, 30*time.Second)
			got := MustEval[string](p, `(() => { const i = document.querySelector('input[name="params.on_hand"]'); return i.labels && i.labels[0] ? i.labels[0].textContent.trim() : ''; })()`)
			if got != want {
				t.Errorf("[%s] the on_hand field is labelled %q, want %q", locale, got, want)
			}
			for _, step := range []struct {
				level string
				on    bool
			}{{"95", false}, {"100", true}} {
				Do(t, p, chromedp.SetValue(`#intensity`, step.level))
				MustEval[bool](p, `(() => { document.querySelector('#intensity').dispatchEvent(new Event('input', {bubbles: true})); return true; })()`)
				// approaches_hand (from 80) is on at both: the form has taken the slider's parameters
				Wait(t, p, fmt.Sprintf(`document.querySelector('input[name="params.on_hand"]').checked === %t && document.querySelector('input[name="params.approaches_hand"]').checked`, step.on), 10*time.Second)
			}
			MustEval[bool](p, `(document.querySelector('input[name="params.on_hand"]').scrollIntoView({block: 'center'}), true)`)
			CheckPage(t, p, locale, "composer-spiders-100")
		})
	}
}

// catalogueLabel reads a message from the shipped catalogue, not from the page.
func catalogueLabel(t *testing.T, locale, id string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "i18n", "locales", "env."+locale+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var cat map[string]struct {
		Other string `json:"other"`
	}
	if err := json.Unmarshal(raw, &cat); err != nil {
		t.Fatal(err)
	}
	m, ok := cat[id]
	if !ok || m.Other == "" {
		t.Fatalf("%s has no %s", locale, id)
	}
	return m.Other
}
