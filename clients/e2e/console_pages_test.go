package e2e

import (
	"testing"

	"github.com/havenvr/haven/server/store"
)

// consolePages are the routes every locale is checked on (admin sees them all).
var consolePages = []struct{ name, hash string }{
	{"patients", "#/patients"},
	{"environments", "#/environments"},
	{"protocols", "#/protocols"},
	{"sessions", "#/sessions"},
	{"groups", "#/groups"},
	{"users", "#/users"},
	{"settings", "#/settings"},
	{"crisis-resources", "#/crisis-resources"},
	{"phrases", "#/phrases"},
	{"audit", "#/audit"},
	{"translations", "#/translations"},
	{"account", "#/account"},
}

// TestConsolePagesAccessibleAndLocalized opens the sign-in page and every
// console page in English, the pseudo-locale and Arabic: axe-core finds no
// WCAG 2.2 AA violation, no message id is missing, en-XA shows no
// unlocalized text and Arabic is laid out right to left.
func TestConsolePagesAccessibleAndLocalized(t *testing.T) {
	env := StartConsole(t)
	b := NewBrowser(t)
	for _, locale := range []string{"en", "en-XA", "ar"} {
		t.Run(locale, func(t *testing.T) {
			signin := env.OpenConsole(t, b, locale, "#/signin")
			CheckPage(t, signin, locale, "signin")
			p := env.SignIn(t, b, locale, store.RoleAdmin)
			for _, pg := range consolePages {
				Go(t, p, pg.hash)
				CheckPage(t, p, locale, pg.name)
			}
		})
	}
}
