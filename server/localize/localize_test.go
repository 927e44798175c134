package localize_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/havenvr/haven/i18n"
	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/apptest"
	"github.com/havenvr/haven/server/store"
)

func TestEveryErrorCodeIsLocalized(t *testing.T) {
	t.Parallel()
	b, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, loc := range i18n.Shipped {
		l := b.ForLocale("", loc)
		for _, code := range apierr.Codes() {
			if _, err := l.Lookup("error."+string(code), map[string]any{"Field": "f", "Detail": "d", "Seconds": "3"}); err != nil {
				t.Errorf("%s: error.%s: %v", loc, code, err)
			}
		}
	}
}

func errorMessage(t *testing.T, url, acceptLanguage string) (string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url+"/api/patients", nil)
	req.Header.Set("Accept-Language", acceptLanguage)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Error struct{ Code, Message string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return body.Error.Code, body.Error.Message
}

func TestErrorsFollowAcceptLanguage(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	b := s.App.Localize.Bundle
	want := func(loc string) string { return b.ForLocale("", loc).T("error.unauthorized", nil) }
	tests := []struct{ header, locale string }{
		{"ar", "ar"},
		{"ar-EG,ar;q=0.9", "ar"},
		{"pt-PT", "pt-BR"}, // Portuguese through pt-BR's chain, never a mixed page
		{"de-CH, en;q=0.5", "de"},
		{"zh-Hans-CN", "zh-Hans"},
		{"xx-garbage;;", "en"},
		{"", "en"},
	}
	for _, tc := range tests {
		code, msg := errorMessage(t, s.URL, tc.header)
		if code != "unauthorized" || msg != want(tc.locale) {
			t.Errorf("Accept-Language %q: got %q %q, want the %s text %q", tc.header, code, msg, tc.locale, want(tc.locale))
		}
	}
	if want("ar") == want("en") {
		t.Fatal("Arabic and English texts are equal: the test proves nothing")
	}
}

func TestClinicOverrideAppliesToThatClinicOnly(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	a, b := s.NewClinic(t, "A"), s.NewClinic(t, "B")
	adminA := s.SignIn(t, a.ID, store.RoleAdmin)
	adminB := s.SignIn(t, b.ID, store.RoleAdmin)
	const id = "console.nav.patients"
	msgs := func(c *apptest.Client) string {
		var m struct{ Messages map[string]string }
		if st := c.Do(http.MethodGet, "/api/i18n/messages?prefix=console.&locale=en", nil, &m); st != http.StatusOK {
			t.Fatalf("messages: %d", st)
		}
		return m.Messages[id]
	}
	before := msgs(adminB)
	if before == "" {
		t.Fatalf("message %s missing from the bundle", id)
	}
	var e struct{ Error struct{ Code, Field string } }
	for _, bad := range []map[string]any{
		{"locale": "en", "id": "console.no_such_message", "text": map[string]string{"other": "x"}},
		{"locale": "tlh", "id": id, "text": map[string]string{"other": "x"}},
		{"locale": "en", "id": id, "text": map[string]string{"other": "{{.Broken"}},
	} {
		if st := adminA.Do(http.MethodPut, "/api/i18n/overrides", bad, &e); st != http.StatusUnprocessableEntity {
			t.Fatalf("bad override %v: status %d", bad, st)
		}
	}
	var n int64
	s.App.Store.DB.Model(&store.MessageOverride{}).Count(&n)
	if n != 0 || msgs(adminA) != before {
		t.Fatalf("a rejected override changed something: %d rows", n)
	}
	if st := adminA.Do(http.MethodPut, "/api/i18n/overrides", map[string]any{"locale": "en", "id": id, "text": map[string]string{"other": "Clients"}}, nil); st != http.StatusOK {
		t.Fatalf("override: %d", st)
	}
	if got := msgs(adminA); got != "Clients" {
		t.Fatalf("clinic A sees %q after its override", got)
	}
	if got := msgs(adminB); got != before {
		t.Fatalf("clinic B sees %q: an override leaked across clinics", got)
	}
	if st := adminA.Do(http.MethodDelete, "/api/i18n/overrides/en/"+id, nil, nil); st != http.StatusNoContent {
		t.Fatalf("reset: %d", st)
	}
	if got := msgs(adminA); got != before {
		t.Fatalf("after reset clinic A sees %q", got)
	}
}

// TestValidationNeverMixesLanguages: a validator's explanation that exists
// only in English is never spliced into another language's sentence: the
// message names the field in the reader's language and the English detail
// travels beside it.
func TestValidationNeverMixesLanguages(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	cl := s.NewClinic(t, "Clinic")
	th := s.SignIn(t, cl.ID, store.RoleTherapist)
	b := s.App.Localize.Bundle
	for _, loc := range []string{"ar", "de", "en"} {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/api/patients", strings.NewReader(`{"code":"P-1"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", th.CSRF)
		req.Header.Set("Accept-Language", loc)
		resp, err := th.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Error struct{ Code, Message, Field, Detail string }
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusUnprocessableEntity || body.Error.Field != "birth_year" {
			t.Fatalf("%s: %d %+v %v", loc, resp.StatusCode, body.Error, err)
		}
		want := b.ForLocale("", loc).T("error.validation_field", map[string]any{"Field": "birth_year"})
		if body.Error.Message != want || body.Error.Detail != "required" {
			t.Errorf("%s: message %q detail %q, want %q and the English detail beside it", loc, body.Error.Message, body.Error.Detail, want)
		}
		if loc != "en" && strings.Contains(body.Error.Message, "required") {
			t.Errorf("%s: the English detail is inside the %s message %q", loc, loc, body.Error.Message)
		}
	}
}

// TestMessagesCarryPluralForms: counted messages reach the browser with
// every CLDR form of the locale, not only "other". Arabic counts 3–10 with
// the "few" form and 11–99 with "many" (CLDR plural rules for ar); the
// texts are the shipped bundle's Arabic sample count.
func TestMessagesCarryPluralForms(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	c := s.SignIn(t, s.NewClinic(t, "A").ID, store.RoleTherapist)
	var m struct {
		Messages map[string]string
		Plurals  map[string]i18n.Text
	}
	if st := c.Do(http.MethodGet, "/api/i18n/messages?prefix=console.&locale=ar", nil, &m); st != http.StatusOK {
		t.Fatalf("messages: %d", st)
	}
	got := m.Plurals["console.report.sample_count"]
	if got.Few != "{{.Count}} عينات" || got.Many != "{{.Count}} عينة" || got.One != "عينة واحدة" || got.Two != "عينتان" {
		t.Errorf("Arabic plural forms of console.report.sample_count: %+v", got)
	}
	if m.Messages["console.report.sample_count"] != got.Other || got.Other == "" {
		t.Errorf("messages keep the other form: %q vs %q", m.Messages["console.report.sample_count"], got.Other)
	}
	if _, ok := m.Plurals["console.nav.patients"]; ok {
		t.Error("a message without counted forms is listed among plurals")
	}
}
