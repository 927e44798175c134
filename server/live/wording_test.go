package live_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

// TestHeadsetGetsItsClinicsWording: the join answer names the clinic, so the
// headset fetches that clinic's overrides (its own word for SUDS), and only
// that clinic's.
func TestHeadsetGetsItsClinicsWording(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	body, _ := json.Marshal(map[string]string{"code": f.joinCode(f.session)})
	resp, err := http.Post(f.srv.URL+"/api/join", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var joined struct {
		SessionID string `json:"session_id"`
		ClinicID  string `json:"clinic_id"`
	}
	err = jsonDecode(resp.Body, &joined)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || joined.SessionID != f.session || joined.ClinicID == "" {
		t.Fatalf("join: %d %+v (%v)", resp.StatusCode, joined, err)
	}
	admin := f.srv.SignIn(t, joined.ClinicID, store.RoleAdmin)
	const ours = "How tense do you feel right now, 0 to 100?"
	if st := admin.Do(http.MethodPut, "/api/i18n/overrides", map[string]any{"locale": "en", "id": "client.suds.prompt", "text": map[string]string{"other": ours}}, nil); st != http.StatusOK {
		t.Fatalf("override: %d", st)
	}
	prompt := func(clinic string) string {
		t.Helper()
		r, err := http.Get(f.srv.URL + "/api/i18n/messages?prefix=client.&locale=en&clinic=" + clinic)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		var m struct{ Messages map[string]string }
		if err := jsonDecode(r.Body, &m); err != nil || r.StatusCode != http.StatusOK {
			t.Fatalf("messages: %d %v", r.StatusCode, err)
		}
		return m.Messages["client.suds.prompt"]
	}
	if got := prompt(joined.ClinicID); got != ours {
		t.Fatalf("headset of this clinic reads %q, want the override", got)
	}
	other := f.srv.NewClinic(t, "Other clinic")
	if got := prompt(other.ID); got == ours || got == "" {
		t.Fatalf("another clinic's headset reads %q", got)
	}
}

// TestHelloCarriesTheCrisisLine: the headset learns its clinic's country's
// helpline (built-in and dated when the clinic curated none) in hello, for
// the connection-lost panel.
func TestHelloCarriesTheCrisisLine(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	var sess store.LiveSession
	if err := f.srv.App.Store.DB.Take(&sess, "id = ?", f.session).Error; err != nil {
		t.Fatal(err)
	}
	if err := f.srv.App.Store.DB.Model(&store.Clinic{}).Where("id = ?", sess.ClinicID).Update("country", "BR").Error; err != nil {
		t.Fatal(err)
	}
	pat := f.patient(f.session, simpeer.PatientOptions{Seed: 11, NoSignals: true})
	h := wait(t, pat, 5*time.Second, "hello", simpeer.Type("hello")).Body.(*wire.Hello)
	if c := h.Crisis; c.Number != "188" || c.Name == "" || c.LastVerified == "" {
		t.Fatalf("hello crisis %+v, want the dated built-in Brazilian line", c)
	}
}
