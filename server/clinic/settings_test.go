package clinic_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/havenvr/haven/server/apptest"
	"github.com/havenvr/haven/server/store"
)

// apiError is the JSON error body.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

type settings struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	DefaultLocale string   `json:"default_locale"`
	Country       string   `json:"country"`
	Countries     []string `json:"countries"`
	Locales       []struct {
		Tag, Name, Dir string
	} `json:"locales"`
}

// send is Client.Raw with an Accept-Language header ("" sends none).
func send(t *testing.T, s *apptest.Server, c *apptest.Client, method, path, lang string, body any) (int, []byte) {
	t.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(method, s.URL+path, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", c.CSRF)
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func loadClinic(t *testing.T, s *apptest.Server, id string) store.Clinic {
	t.Helper()
	var c store.Clinic
	if err := s.App.Store.DB.Take(&c, "id = ?", id).Error; err != nil {
		t.Fatal(err)
	}
	return c
}

func auditCount(t *testing.T, s *apptest.Server, clinicID, action string) int64 {
	t.Helper()
	var n int64
	if err := s.App.Store.DB.Model(&store.AuditEvent{}).Where("clinic_id = ? AND action = ?", clinicID, action).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// TestClinicSettingsByRoleAndTenant: the clinic admin sets the name, default
// language and country (canonicalized, audited, served at once to
// negotiation and the crisis line); therapists and moderators read them but
// get 403 on a change; another clinic's admin changes only their own clinic.
func TestClinicSettingsByRoleAndTenant(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	a, b := s.NewClinic(t, "Clinic A"), s.NewClinic(t, "Clinic B")
	adminA, therapistA, moderatorA := s.SignIn(t, a.ID, store.RoleAdmin), s.SignIn(t, a.ID, store.RoleTherapist), s.SignIn(t, a.ID, store.RoleModerator)
	adminB := s.SignIn(t, b.ID, store.RoleAdmin)

	var got settings
	if st := therapistA.Do(http.MethodGet, "/api/clinic", nil, &got); st != http.StatusOK || got.ID != a.ID || got.DefaultLocale != "en" || got.Country != "" {
		t.Fatalf("therapist reads %d %+v", st, got)
	}
	if len(got.Countries) != 249 || len(got.Locales) != 7 {
		t.Fatalf("choices: %d countries, %d locales", len(got.Countries), len(got.Locales))
	}
	// No country, no crisis line for the headset.
	if _, ok := s.App.Groups.CrisisLine(context.Background(), a.ID); ok {
		t.Fatal("a clinic without a country has a crisis line")
	}

	for _, c := range []struct {
		name   string
		client *apptest.Client
	}{{"therapist", therapistA}, {"moderator", moderatorA}} {
		var e apiError
		if st := c.client.Do(http.MethodPatch, "/api/clinic", map[string]any{"default_locale": "de"}, &e); st != http.StatusForbidden || e.Error.Code != "forbidden" {
			t.Errorf("%s PATCH: %d %q, want 403 forbidden", c.name, st, e.Error.Code)
		}
	}
	if c := loadClinic(t, s, a.ID); c.DefaultLocale != "en" || c.Country != "" {
		t.Fatalf("a refused change was stored: %+v", c)
	}

	// The admin's change, in the spellings people type.
	if st := adminA.Do(http.MethodPatch, "/api/clinic", map[string]any{"name": "  Praxis am See ", "default_locale": "de-de", "country": "de"}, &got); st != http.StatusOK {
		t.Fatalf("admin PATCH: %d", st)
	}
	if got.Name != "Praxis am See" || got.DefaultLocale != "de" || got.Country != "DE" {
		t.Fatalf("stored as %+v, want trimmed name, de, DE", got)
	}
	if c := loadClinic(t, s, a.ID); c.Name != "Praxis am See" || c.DefaultLocale != "de" || c.Country != "DE" {
		t.Fatalf("store holds %+v", c)
	}
	var me struct {
		Clinic store.Clinic `json:"clinic"`
	}
	if adminA.Do(http.MethodGet, "/api/me", nil, &me); me.Clinic.DefaultLocale != "de" || me.Clinic.Country != "DE" {
		t.Fatalf("/api/me clinic %+v", me.Clinic)
	}
	events, err := s.App.Store.ListAudit(context.Background(), a.ID, 0, 10)
	if err != nil || len(events) == 0 || events[0].Action != "clinic.update" || events[0].ActorID != adminA.User["id"] ||
		events[0].TargetID != a.ID || !strings.Contains(events[0].Detail, `"country":["","DE"]`) || !strings.Contains(events[0].Detail, `"default_locale":["en","de"]`) {
		t.Fatalf("audit: %+v %v", events, err)
	}
	// The same values again change nothing and record nothing.
	if st := adminA.Do(http.MethodPatch, "/api/clinic", map[string]any{"default_locale": "de", "country": "DE"}, &got); st != http.StatusOK {
		t.Fatalf("idempotent PATCH: %d", st)
	}
	if n := auditCount(t, s, a.ID, "clinic.update"); n != 1 {
		t.Fatalf("%d clinic.update events, want 1", n)
	}

	// What the settings are for: negotiation falls back to the clinic's
	// language, and the headset's crisis line follows the country.
	title := func(lang string) string {
		t.Helper()
		var pv struct {
			TitleKey string `json:"title_key"`
			Title    string `json:"title"`
		}
		st, raw := send(t, s, therapistA, http.MethodGet, "/api/protocols/library/box_breathing", lang, nil)
		if err := json.Unmarshal(raw, &pv); st != http.StatusOK || err != nil || pv.TitleKey == "" {
			t.Fatalf("library protocol: %d %v %.200s", st, err, raw)
		}
		if want, err := s.App.Localize.Bundle.ForLocale(a.ID, map[string]string{"": "de", "ja, es;q=0.5": "es"}[lang]).Lookup(pv.TitleKey, nil); err != nil || pv.Title != want {
			t.Fatalf("Accept-Language %q: title %q, want %q (%v)", lang, pv.Title, want, err)
		}
		return pv.Title
	}
	if title("") == title("ja, es;q=0.5") {
		t.Fatal("German and Spanish titles are the same")
	}
	// Errors too: a refusal answered after the request's own context ended
	// still looks the clinic's language up.
	var refused apiError
	st, raw := send(t, s, therapistA, http.MethodGet, "/api/patients/no-such-patient", "", nil)
	if err := json.Unmarshal(raw, &refused); err != nil || st != http.StatusNotFound {
		t.Fatalf("unknown patient: %d %v %.200s", st, err, raw)
	}
	if want, err := s.App.Localize.Bundle.ForLocale(a.ID, "de").Lookup("error."+refused.Error.Code, nil); err != nil || refused.Error.Message != want {
		t.Fatalf("error without Accept-Language: %q, want the clinic's German %q (%v)", refused.Error.Message, want, err)
	}
	if line, ok := s.App.Groups.CrisisLine(context.Background(), a.ID); !ok || line.Country != "DE" {
		t.Fatalf("crisis line for DE: %+v %v", line, ok)
	}

	// The other clinic's admin reaches only their own clinic.
	var other settings
	if st := adminB.Do(http.MethodGet, "/api/clinic", nil, &other); st != http.StatusOK || other.ID != b.ID || other.Name != "Clinic B" {
		t.Fatalf("other admin reads %d %+v", st, other)
	}
	if st := adminB.Do(http.MethodPatch, "/api/clinic", map[string]any{"name": "Taken over", "country": "FR"}, &other); st != http.StatusOK || other.ID != b.ID {
		t.Fatalf("other admin PATCH: %d %+v", st, other)
	}
	if c := loadClinic(t, s, a.ID); c.Name != "Praxis am See" || c.Country != "DE" {
		t.Fatalf("clinic A changed by clinic B's admin: %+v", c)
	}
	if loadClinic(t, s, b.ID).Country != "FR" || auditCount(t, s, a.ID, "clinic.update") != 1 || auditCount(t, s, b.ID, "clinic.update") != 1 {
		t.Fatal("clinic B's change not stored or audited in its own clinic")
	}
	// Not signed in: 401, coded.
	var e apiError
	if st := s.Anonymous(t).Do(http.MethodGet, "/api/clinic", nil, &e); st != http.StatusUnauthorized || e.Error.Code != "unauthorized" {
		t.Fatalf("anonymous: %d %q", st, e.Error.Code)
	}
}

// TestClinicSettingsBadInput: a language Haven does not ship, a country
// that is not an assigned ISO 3166-1 code, a bad name or a malformed body
// is a coded error naming the field, and nothing is stored or audited.
func TestClinicSettingsBadInput(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	cl := s.NewClinic(t, "Clinic")
	admin := s.SignIn(t, cl.ID, store.RoleAdmin)
	tests := []struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}{
		{"language Haven does not ship", map[string]any{"default_locale": "ja"}, 422, "validation", "default_locale"},
		{"traditional Chinese is not simplified", map[string]any{"default_locale": "zh-Hant"}, 422, "validation", "default_locale"},
		{"pseudo-locale is for tests", map[string]any{"default_locale": "en-XA"}, 422, "validation", "default_locale"},
		{"malformed tag", map[string]any{"default_locale": "english!"}, 422, "validation", "default_locale"},
		{"empty language", map[string]any{"default_locale": ""}, 422, "validation", "default_locale"},
		{"reserved country UK", map[string]any{"country": "UK"}, 422, "validation", "country"},
		{"alpha-3 country", map[string]any{"country": "DEU"}, 422, "validation", "country"},
		{"unassigned country", map[string]any{"country": "XX"}, 422, "validation", "country"},
		{"empty name", map[string]any{"name": "  "}, 422, "validation", "name"},
		{"name too long", map[string]any{"name": strings.Repeat("n", 201)}, 422, "validation", "name"},
		{"name on two lines", map[string]any{"name": "A\nB"}, 422, "validation", "name"},
		{"good fields do not slip through with a bad one", map[string]any{"name": "New name", "country": "FR", "default_locale": "ja"}, 422, "validation", "default_locale"},
		{"unknown field", map[string]any{"timezone": "UTC"}, 400, "unknown_field", "timezone"},
		{"wrong type", map[string]any{"country": 49}, 422, "validation", "country"},
		{"malformed json", []byte(`{"country":`), 400, "invalid_json", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e apiError
			st, raw := admin.Raw(http.MethodPatch, "/api/clinic", tc.body)
			_ = json.Unmarshal(raw, &e)
			if st != tc.status || e.Error.Code != tc.code || e.Error.Field != tc.field || e.Error.Message == "" {
				t.Fatalf("got %d %s", st, raw)
			}
		})
	}
	if got := loadClinic(t, s, cl.ID); got.Name != "Clinic" || got.DefaultLocale != "en" || got.Country != "" {
		t.Fatalf("bad input changed the clinic: %+v", got)
	}
	if n := auditCount(t, s, cl.ID, "clinic.update"); n != 0 {
		t.Fatalf("%d audit events for refused changes", n)
	}

	// The refusal is in the reader's language: field label and detail.
	var e apiError
	_, raw := send(t, s, admin, http.MethodPatch, "/api/clinic", "ar", map[string]any{"default_locale": "ja"})
	if _ = json.Unmarshal(raw, &e); !strings.Contains(e.Error.Message, "اللغة الافتراضية") || !strings.Contains(e.Error.Message, "«ja»") ||
		!strings.Contains(e.Error.Message, "Deutsch") {
		t.Fatalf("Arabic refusal: %q", e.Error.Message)
	}
	t.Logf("ar: %s", e.Error.Message)
	_, raw = send(t, s, admin, http.MethodPatch, "/api/clinic", "de", map[string]any{"country": "uk"})
	if _ = json.Unmarshal(raw, &e); !strings.Contains(e.Error.Message, "Land") || !strings.Contains(e.Error.Message, "„uk“ ist kein Ländercode") {
		t.Fatalf("German refusal: %q", e.Error.Message)
	}
	t.Logf("de: %s", e.Error.Message)
}

// TestPatientLocaleShippedOnly: a patient's preferred language must be one
// Haven ships, canonicalized by the bundle's parser; anything else is a
// coded 422 and nothing is stored.
func TestPatientLocaleShippedOnly(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	cl := s.NewClinic(t, "Clinic")
	th := s.SignIn(t, cl.ID, store.RoleTherapist)
	for _, tc := range []struct{ in, want string }{{"pt-br", "pt-BR"}, {"zh-CN", "zh-Hans"}, {"AR", "ar"}, {"", ""}} {
		var p struct{ ID, Locale string }
		if st := th.Do(http.MethodPost, "/api/patients", map[string]any{"code": "P-" + store.RandomToken(4), "birth_year": 1990, "locale": tc.in}, &p); st != http.StatusCreated || p.Locale != tc.want {
			t.Errorf("locale %q: %d stored %q, want %q", tc.in, st, p.Locale, tc.want)
		}
	}
	var before int64
	s.App.Store.DB.Model(&store.Patient{}).Count(&before)
	for _, bad := range []string{"ja", "zh-Hant", "en-XA", "klingon", "x-"} {
		var e apiError
		if st := th.Do(http.MethodPost, "/api/patients", map[string]any{"code": "BAD-" + store.RandomToken(4), "birth_year": 1990, "locale": bad}, &e); st != http.StatusUnprocessableEntity ||
			e.Error.Code != "validation" || e.Error.Field != "locale" {
			t.Errorf("create with %q: %d %+v", bad, st, e.Error)
		}
	}
	var after int64
	s.App.Store.DB.Model(&store.Patient{}).Count(&after)
	if after != before {
		t.Fatalf("refused patients were stored: %d → %d", before, after)
	}
	var p struct{ ID, Locale string }
	th.Do(http.MethodPost, "/api/patients", map[string]any{"code": "KEEP", "birth_year": 1990, "locale": "fr"}, &p)
	var e apiError
	if st := th.Do(http.MethodPatch, "/api/patients/"+p.ID, map[string]any{"locale": "ja", "notes": "changed"}, &e); st != http.StatusUnprocessableEntity || e.Error.Field != "locale" {
		t.Fatalf("update with ja: %d %+v", st, e.Error)
	}
	var row store.Patient
	s.App.Store.DB.Take(&row, "id = ?", p.ID)
	if row.Locale != "fr" || row.Notes != "" {
		t.Fatalf("refused update stored: locale %q notes %q", row.Locale, row.Notes)
	}
	if st := th.Do(http.MethodPatch, "/api/patients/"+p.ID, map[string]any{"locale": "es-MX"}, &p); st != http.StatusOK || p.Locale != "es" {
		t.Fatalf("update with es-MX: %d %q", st, p.Locale)
	}
}

// TestPatientListAudited: listing patients reads every record in full, so
// each list read leaves an audit entry naming the reader and the records.
func TestPatientListAudited(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	cl, other := s.NewClinic(t, "Clinic"), s.NewClinic(t, "Other")
	th, admin := s.SignIn(t, cl.ID, store.RoleTherapist), s.SignIn(t, cl.ID, store.RoleAdmin)
	thOther := s.SignIn(t, other.ID, store.RoleTherapist)
	var p1, p2, po struct{ ID string }
	th.Do(http.MethodPost, "/api/patients", map[string]any{"code": "A-1", "birth_year": 1980}, &p1)
	th.Do(http.MethodPost, "/api/patients", map[string]any{"code": "A-2", "birth_year": 1981}, &p2)
	thOther.Do(http.MethodPost, "/api/patients", map[string]any{"code": "O-1", "birth_year": 1982}, &po)

	for i, c := range []*apptest.Client{th, admin} {
		var list struct {
			Patients []struct{ ID string } `json:"patients"`
		}
		if st := c.Do(http.MethodGet, "/api/patients", nil, &list); st != http.StatusOK || len(list.Patients) != 2 {
			t.Fatalf("list: %d %+v", st, list)
		}
		if n := auditCount(t, s, cl.ID, "patient.list"); n != int64(i+1) {
			t.Fatalf("after %d list reads, %d patient.list events", i+1, n)
		}
		var ev store.AuditEvent
		s.App.Store.DB.Where("clinic_id = ? AND action = ?", cl.ID, "patient.list").Order("id DESC").Take(&ev)
		if ev.ActorID != c.User["id"] || ev.Target != "patient" || !strings.Contains(ev.Detail, p1.ID) || !strings.Contains(ev.Detail, p2.ID) || strings.Contains(ev.Detail, po.ID) {
			t.Fatalf("audit event %+v", ev)
		}
	}
	if n := auditCount(t, s, other.ID, "patient.list"); n != 0 {
		t.Fatalf("the other clinic has %d list events", n)
	}
}

// TestClinicMaxIntensityJump: the intensity-jump confirmation threshold is
// a clinic setting, 20 points unless the admin changes it (the console's
// former fixed MAX_JUMP and issue 15's default), from 5 to 100; /api/me
// carries it under the name the console's live view reads.
func TestClinicMaxIntensityJump(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	cl := s.NewClinic(t, "Clinic")
	admin, therapist := s.SignIn(t, cl.ID, store.RoleAdmin), s.SignIn(t, cl.ID, store.RoleTherapist)
	type jump struct {
		MaxIntensityJump int `json:"max_intensity_jump"`
	}
	meJump := func(c *apptest.Client) int {
		var me struct {
			Clinic jump `json:"clinic"`
		}
		if st := c.Do(http.MethodGet, "/api/me", nil, &me); st != http.StatusOK {
			t.Fatalf("/api/me: %d", st)
		}
		return me.Clinic.MaxIntensityJump
	}
	var got jump
	if st := therapist.Do(http.MethodGet, "/api/clinic", nil, &got); st != http.StatusOK || got.MaxIntensityJump != 20 {
		t.Fatalf("default: %d %+v, want 20", st, got)
	}
	if j := meJump(therapist); j != 20 {
		t.Fatalf("/api/me clinic.max_intensity_jump = %d, want 20", j)
	}
	for _, v := range []any{4, 101, 0, -20, 12.5, "30"} {
		var e apiError
		st, raw := admin.Raw(http.MethodPatch, "/api/clinic", map[string]any{"max_intensity_jump": v})
		if _ = json.Unmarshal(raw, &e); st != 422 || e.Error.Field != "max_intensity_jump" || e.Error.Message == "" {
			t.Fatalf("max_intensity_jump %v: %d %s", v, st, raw)
		}
	}
	var e apiError
	_, raw := send(t, s, admin, http.MethodPatch, "/api/clinic", "ar", map[string]any{"max_intensity_jump": 101})
	if _ = json.Unmarshal(raw, &e); !strings.Contains(e.Error.Message, "النقاط المئوية") {
		t.Fatalf("Arabic refusal: %q", e.Error.Message)
	}
	if c := loadClinic(t, s, cl.ID); c.MaxIntensityJump != 20 || auditCount(t, s, cl.ID, "clinic.update") != 0 {
		t.Fatalf("refused changes were stored: %+v", c)
	}
	if st := therapist.Do(http.MethodPatch, "/api/clinic", map[string]any{"max_intensity_jump": 35}, nil); st != http.StatusForbidden {
		t.Fatalf("therapist PATCH: %d, want 403", st)
	}
	for _, want := range []int{5, 100, 35} { // both bounds are allowed
		if st := admin.Do(http.MethodPatch, "/api/clinic", map[string]any{"max_intensity_jump": want}, &got); st != http.StatusOK || got.MaxIntensityJump != want {
			t.Fatalf("PATCH %d: %d %+v", want, st, got)
		}
	}
	if c := loadClinic(t, s, cl.ID); c.MaxIntensityJump != 35 {
		t.Fatalf("store holds %d, want 35", c.MaxIntensityJump)
	}
	if j := meJump(therapist); j != 35 {
		t.Fatalf("the live view would read %d, want 35", j)
	}
	if n := auditCount(t, s, cl.ID, "clinic.update"); n != 3 {
		t.Fatalf("%d audit events, want 3", n)
	}
}
