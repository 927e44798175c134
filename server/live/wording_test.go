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

// TestHeadsetGetsItsClinicsWording: the join answer names no clinic; the
// headset fetches its clinic's overrides (its own word for SUDS) with its
// patient token, and only that clinic's. An anonymous ?clinic=ID reads no
// clinic's overrides (it read any clinic's by id).
func TestHeadsetGetsItsClinicsWording(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	body, _ := json.Marshal(map[string]string{"code": f.joinCode(f.session)})
	resp, err := http.Post(f.srv.URL+"/api/join", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var joined map[string]any
	err = jsonDecode(resp.Body, &joined)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || joined["session_id"] != f.session || joined["token"] == "" {
		t.Fatalf("join: %d %+v (%v)", resp.StatusCode, joined, err)
	}
	if _, ok := joined["clinic_id"]; ok {
		t.Fatalf("the join answer names the clinic: %v", joined)
	}
	var sess store.LiveSession
	if err := f.srv.App.Store.DB.Take(&sess, "id = ?", f.session).Error; err != nil {
		t.Fatal(err)
	}
	admin := f.srv.SignIn(t, sess.ClinicID, store.RoleAdmin)
	const ours = "How tense do you feel right now, 0 to 100?"
	if st := admin.Do(http.MethodPut, "/api/i18n/overrides", map[string]any{"locale": "en", "id": "client.suds.prompt", "text": map[string]string{"other": ours}}, nil); st != http.StatusOK {
		t.Fatalf("override: %d", st)
	}
	prompt := func(query, token string) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/api/i18n/messages?prefix=client.&locale=en"+query, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		r, err := http.DefaultClient.Do(req)
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
	if got := prompt("", joined["token"].(string)); got != ours {
		t.Fatalf("headset of this clinic reads %q, want the override", got)
	}
	if got := prompt("&clinic="+sess.ClinicID, ""); got == ours || got == "" {
		t.Fatalf("an anonymous ?clinic= reads %q: the clinic's override leaks", got)
	}
	if got := prompt("", "not-a-token"); got == ours || got == "" {
		t.Fatalf("a wrong token reads %q", got)
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
