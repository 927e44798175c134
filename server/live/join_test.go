package live_test

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/havenvr/haven/server/config"
	"github.com/havenvr/haven/server/store"
)

// TestICEServersReachBothClients: the STUN/TURN servers given with
// --ice-server reach the headset (with its join answer) and the therapist's
// console (with the session it opens), so both can connect behind NAT; a
// TURN server's credential, given in the flag's query, reaches them as the
// RTCIceServer's username and credential, not in its URL.
func TestICEServersReachBothClients(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse([]string{"--ice-server", "stun:stun.clinic.test:3478, turn:turn.clinic.test:3478?transport=udp&username=haven&credential=s%2Fcret"},
		func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixtureWith(t, func(c *config.Config) { c.ICEServers = cfg.ICEServers }, nil)
	type iceServer struct {
		URLs       []string `json:"urls"`
		Username   string   `json:"username"`
		Credential string   `json:"credential"`
	}
	want := []iceServer{{URLs: []string{"stun:stun.clinic.test:3478"}},
		{URLs: []string{"turn:turn.clinic.test:3478?transport=udp"}, Username: "haven", Credential: "s/cret"}}
	check := func(who string, got []iceServer) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: ice_servers %+v, want %+v", who, got, want)
		}
		for i := range want {
			if len(got[i].URLs) != 1 || got[i].URLs[0] != want[i].URLs[0] || got[i].Username != want[i].Username || got[i].Credential != want[i].Credential {
				t.Fatalf("%s: ice_servers[%d] = %+v, want %+v", who, i, got[i], want[i])
			}
		}
	}
	var sess struct {
		ID         string
		ICEServers []iceServer `json:"ice_servers"`
	}
	if st := f.th.Do(http.MethodGet, "/api/sessions/"+f.session, nil, &sess); st != http.StatusOK || sess.ID != f.session {
		t.Fatalf("session: %d %+v", st, sess)
	}
	check("console", sess.ICEServers)

	var joined struct {
		SessionID  string      `json:"session_id"`
		ICEServers []iceServer `json:"ice_servers"`
	}
	if st := f.srv.Anonymous(t).Do(http.MethodPost, "/api/join", map[string]string{"code": f.joinCode(f.session)}, &joined); st != http.StatusOK || joined.SessionID != f.session {
		t.Fatalf("join: %d %+v", st, joined)
	}
	check("headset", joined.ICEServers)
}

// TestJoinCodeExpires: a join code past its expiry is refused like a wrong
// one (join_code_invalid, no hint that it existed) and changes nothing; a
// fresh code for the same session works once.
func TestJoinCodeExpires(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	code := f.joinCode(f.session)
	if err := f.srv.App.Store.DB.Model(&store.LiveSession{}).Where("id = ?", f.session).
		Update("join_expires", time.Now().UTC().Add(-time.Second)).Error; err != nil {
		t.Fatal(err)
	}
	join := func(code string) (int, string) {
		var e struct{ Error struct{ Code string } }
		st := f.srv.Anonymous(t).Do(http.MethodPost, "/api/join", map[string]string{"code": code}, &e)
		return st, e.Error.Code
	}
	if st, c := join(code); st != http.StatusNotFound || c != "join_code_invalid" {
		t.Fatalf("expired code: %d %s, want 404 join_code_invalid", st, c)
	}
	var sess store.LiveSession
	if err := f.srv.App.Store.DB.Take(&sess, "id = ?", f.session).Error; err != nil || sess.JoinUsedAt != nil || sess.State != store.LiveScheduled {
		t.Fatalf("after the expired code: used %v state %s (%v)", sess.JoinUsedAt, sess.State, err)
	}
	fresh := f.joinCode(f.session)
	if st, _ := join(fresh); st != http.StatusOK {
		t.Fatalf("fresh code: %d", st)
	}
	if st, c := join(fresh); st != http.StatusNotFound || c != "join_code_invalid" {
		t.Fatalf("the fresh code again: %d %s, want 404 join_code_invalid (single use)", st, c)
	}
}

// TestJoinAnswerCarriesPatientLanguage: the join answer names the patient
// record's language, which the headset applies unless the patient picks
// another; a record without one answers "" (the headset keeps its own).
func TestJoinAnswerCarriesPatientLanguage(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	for _, locale := range []string{"es", ""} {
		var p struct{ ID string }
		if st := f.th.Do(http.MethodPost, "/api/patients", map[string]any{"code": "P-" + store.RandomToken(4), "birth_year": 1990, "locale": locale}, &p); st != http.StatusCreated && st != http.StatusOK {
			t.Fatalf("creating patient: %d", st)
		}
		session := f.schedule(map[string]any{"protocol_id": "heights_ladder", "patient_id": p.ID, "screening_override": map[string]any{"reason": "screened on paper at intake"}})
		var joined struct {
			SessionID string  `json:"session_id"`
			Locale    *string `json:"locale"`
		}
		if st := f.srv.Anonymous(t).Do(http.MethodPost, "/api/join", map[string]string{"code": f.joinCode(session)}, &joined); st != http.StatusOK || joined.SessionID != session {
			t.Fatalf("join: %d %+v", st, joined)
		}
		if joined.Locale == nil || *joined.Locale != locale {
			t.Errorf("join answer locale %v, want %q (the patient record's)", joined.Locale, locale)
		}
	}
}
