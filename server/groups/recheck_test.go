package groups_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/havenvr/haven/server/store"
)

// TestCrisisLinesPastRecheckPeriod: the clinic sets how long a crisis line's
// last check stays current (30–1095 days; a bad value is refused with a
// localized error naming the field and changes nothing) and whether stale
// lines are marked or left out. Marked, the member's panel lists them after
// the current ones of their country, flagged; hidden, they are gone — unless
// none would be left, when all are shown, flagged.
func TestCrisisLinesPastRecheckPeriod(t *testing.T) {
	t.Parallel()
	e := start(t, nil) // the clinic is in GB
	admin := e.srv.SignIn(t, e.clinic.ID, store.RoleAdmin)
	now := time.Now().UTC()
	put := func(ages ...int) {
		t.Helper()
		var lines []map[string]any
		for i, days := range ages {
			lines = append(lines, map[string]any{"country": "GB", "name": "Line " + string(rune('A'+i)), "phone": "0800 000 00" + string(rune('0'+i)),
				"last_verified": now.AddDate(0, 0, -days)})
		}
		if st := admin.Do(http.MethodPut, "/api/groups/resources", lines, nil); st != http.StatusOK {
			t.Fatalf("saving lines: %d", st)
		}
	}
	panel := func() []map[string]any {
		t.Helper()
		room := e.room(t, map[string]any{"lobby": false, "require_moderator": false})
		p := e.member(t, room.ID, e.join(t, room.Code, nil).Token)
		p.send("chat.send", map[string]any{"text": "I want to end my life"})
		f := p.expect("crisis.resources", nil)
		var out []map[string]any
		for _, r := range f.Body["resources"].([]any) {
			out = append(out, r.(map[string]any))
		}
		return out
	}
	names := func(rs []map[string]any) string {
		var s []string
		for _, r := range rs {
			n := r["name"].(string)
			if r["stale"] == true {
				n += "*"
			}
			s = append(s, n)
		}
		return strings.Join(s, ",")
	}

	for _, tc := range []struct {
		lang string
		days any
	}{{"en", 10}, {"ar", 2000}, {"de", "365"}} {
		st, raw := admin.Raw(http.MethodPatch, "/api/clinic?lang="+tc.lang, map[string]any{"crisis_recheck_days": tc.days})
		var body struct {
			Error struct{ Field, Message string }
		}
		_ = json.Unmarshal(raw, &body)
		if st < 400 || st >= 500 {
			t.Fatalf("recheck %v accepted: %d %s", tc.days, st, raw)
		}
		if _, ok := tc.days.(int); ok {
			want := e.srv.App.Localize.Bundle.ForLocale(e.clinic.ID, tc.lang).T("error.detail.recheck_days", map[string]any{"Min": 30, "Max": 1095})
			if body.Error.Field != "crisis_recheck_days" || !strings.Contains(body.Error.Message, want) {
				t.Fatalf("recheck %v (%s): %s, want the field and %q", tc.days, tc.lang, raw, want)
			}
		}
	}
	var cl store.Clinic
	if err := e.srv.App.Store.DB.Take(&cl, "id = ?", e.clinic.ID).Error; err != nil || cl.CrisisRecheckDays != 365 || cl.HideStaleCrisisLines {
		t.Fatalf("after refused changes the clinic holds %d days, hide %v (%v)", cl.CrisisRecheckDays, cl.HideStaleCrisisLines, err)
	}

	put(500, 100, 20)
	if got := names(panel()); got != "Line B,Line C,Line A*" {
		t.Fatalf("default 365 days, marked: %s", got)
	}
	if st := admin.Do(http.MethodPatch, "/api/clinic", map[string]any{"crisis_recheck_days": 60, "hide_stale_crisis_lines": true}, nil); st != http.StatusOK {
		t.Fatalf("setting 60 days and hide: %d", st)
	}
	if got := names(panel()); got != "Line C" {
		t.Fatalf("60 days, hidden: %s", got)
	}
	put(500, 400)
	if got := names(panel()); got != "Line A*,Line B*" {
		t.Fatalf("every line stale and hidden: the panel shows %s, want all of them marked", got)
	}
}
