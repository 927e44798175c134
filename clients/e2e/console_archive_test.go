package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/havenvr/haven/server/store"
)

// TestConsoleArchive is a therapist archiving, in English, the pseudo-locale
// and Arabic, an environment and a ladder by clicking Archive in their
// lists: a cancelled confirm keeps the item, a confirmed one takes it out of
// the list (archived in the database, by them); "Show archived" lists it
// with Restore, which brings it back; archived again, its own page says so
// and restores it from there. Each state is checked for accessibility and
// localization, with screenshots kept.
func TestConsoleArchive(t *testing.T) {
	env := StartConsole(t)
	if !env.HasRoute(http.MethodDelete, "/api/compositions/:id") {
		t.Fatal("the server does not archive compositions")
	}
	b := NewBrowser(t)
	api := env.Server.SignIn(t, env.Clinic.ID, store.RoleTherapist)
	db := env.Server.App.Store.DB
	for _, locale := range []string{"en", "en-XA", "ar"} {
		t.Run(locale, func(t *testing.T) {
			p := env.SignIn(t, b, locale, store.RoleTherapist)
			var comp, proto struct{ ID string }
			if st := api.Do(http.MethodPost, "/api/compositions", map[string]any{"name": "Balcony " + locale, "template": "heights"}, &comp); st != http.StatusCreated {
				t.Fatalf("creating a composition: %d", st)
			}
			var lib struct {
				Protocol map[string]any `json:"protocol"`
			}
			if st := api.Do(http.MethodGet, "/api/protocols/library/heights_ladder", nil, &lib); st != http.StatusOK {
				t.Fatalf("library ladder: %d", st)
			}
			if st := api.Do(http.MethodPost, "/api/protocols", lib.Protocol, &proto); st != http.StatusCreated {
				t.Fatalf("creating a ladder: %d", st)
			}
			for _, pg := range []struct {
				name, table, id string
				list, box, row  string // the list's route, its container and the item's name in it
				detail          string // the item's own page
			}{
				{"environments", "compositions", comp.ID, "#/environments", "#env-list", "env-name-" + comp.ID, "#/environments/" + comp.ID},
				{"protocols", "clinic_protocols", proto.ID, "#/protocols", "#clinic-ladders", "ladder-name-" + proto.ID, "#/protocols/" + proto.ID},
			} {
				t.Run(pg.name, func(t *testing.T) {
					// stored reads the item's archive columns from the database.
					stored := func() (at *time.Time, by string) {
						var h struct {
							ArchivedAt *time.Time
							ArchivedBy string
						}
						if err := db.Table(pg.table).Where("id = ?", pg.id).Take(&h).Error; err != nil {
							t.Fatal(err)
						}
						return h.ArchivedAt, h.ArchivedBy
					}
					archive := `button.archive[data-archive="` + pg.id + `"]`
					restore := `button.restore[data-restore="` + pg.id + `"]`
					row := `document.getElementById(` + jsString(pg.row) + `)`
					// showing waits until the list of that kind ("all", "in-use") is drawn.
					showing := func(which string) string {
						return `document.querySelector(` + jsString(pg.box+`[data-showing="`+which+`"]:not([aria-busy])`) + `)`
					}
					Go(t, p, pg.list)
					Wait(t, p, `document.querySelector(`+jsString(archive)+`)`, 10*time.Second)

					// A cancelled confirm archives nothing.
					MustEval[bool](p, `(() => { window.asked = []; window.confirm = (m) => { window.asked.push(m); return false; }; return true; })()`)
					Do(t, p, chromedp.Click(archive))
					asked := MustEval[[]string](p, `window.asked`)
					if len(asked) != 1 || asked[0] == "" || strings.Contains(asked[0], "console.") {
						t.Fatalf("confirm asked %q, want one localized question", asked)
					}
					if at, _ := stored(); at != nil || !MustEval[bool](p, `!!`+row) {
						t.Fatal("a cancelled confirm archived the item")
					}

					// Confirmed: archived by this therapist, and gone from the list.
					MustEval[bool](p, `(() => { window.confirm = () => true; return true; })()`)
					Do(t, p, chromedp.Click(archive))
					Wait(t, p, `!`+row, 10*time.Second)
					at, by := stored()
					var u store.User
					if at == nil || db.Take(&u, "id = ?", by).Error != nil || u.ClinicID != env.Clinic.ID || by == api.User["id"] {
						t.Fatalf("the item left the list; stored archived_at %v by %q, want now by the signed-in therapist", at, by)
					}
					CheckPage(t, p, locale, "archive-"+pg.name+"-archived")

					// Show archived: listed with its state and Restore.
					Do(t, p, chromedp.Click(`input[name=show_archived]`))
					Wait(t, p, showing("all")+` && document.querySelector(`+jsString(restore)+`) && `+row+`.closest('tr').querySelector('time')`, 10*time.Second)
					CheckPage(t, p, locale, "archive-"+pg.name+"-shown")
					SaveArtifact(t, "console-archive-"+locale+"-"+pg.name+".png", p.Screenshot())
					Do(t, p, chromedp.Click(restore))
					Wait(t, p, `document.querySelector(`+jsString(archive)+`)`, 10*time.Second)
					if at, _ := stored(); at != nil {
						t.Fatal("Restore left the item archived")
					}
					Do(t, p, chromedp.Click(`input[name=show_archived]`))
					Wait(t, p, showing("in-use")+` && `+row, 10*time.Second)

					// Archived again, the item's own page says so and restores it.
					Do(t, p, chromedp.Click(archive))
					Wait(t, p, `!`+row, 10*time.Second)
					Go(t, p, pg.detail)
					Wait(t, p, `document.querySelector('[data-archived="`+pg.id+`"] `+restore+`')`, 15*time.Second)
					CheckPage(t, p, locale, "archive-"+pg.name+"-detail")
					Do(t, p, chromedp.Click(`[data-archived="`+pg.id+`"] `+restore))
					Wait(t, p, `window.havenConsole.ready && !document.querySelector('[data-archived]') && document.querySelector('form button[type=submit]')`, 15*time.Second)
					if at, _ := stored(); at != nil {
						t.Fatal("Restore on the item's page left it archived")
					}
				})
			}
		})
	}
}
