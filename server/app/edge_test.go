package app_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/skip2/go-qrcode"

	"github.com/havenvr/haven/server/apptest"
	"github.com/havenvr/haven/server/config"
	"github.com/havenvr/haven/server/store"
)

// send makes one request with extra headers and returns status, headers and body.
func send(t *testing.T, c *apptest.Client, base, method, path string, body []byte, hdr map[string]string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.CSRF != "" {
		req.Header.Set("X-CSRF-Token", c.CSRF)
	}
	client := c.HTTP
	for k, v := range hdr {
		if k == "Host" {
			// The jar files cookies under the Host a request names: hand them over.
			req.Host = v
			for _, ck := range c.HTTP.Jar.Cookies(req.URL) {
				req.AddCookie(ck)
			}
			client = &http.Client{Timeout: c.HTTP.Timeout}
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data
}

func errCode(raw []byte) string {
	var body struct {
		Error struct{ Code, Field string } `json:"error"`
	}
	_ = json.Unmarshal(raw, &body)
	return body.Error.Code + "/" + body.Error.Field
}

// newSession makes a patient and a scheduled session in a fresh clinic.
func newSession(t *testing.T, s *apptest.Server) (clinicID string, th *apptest.Client, sessionID string) {
	t.Helper()
	cl := s.NewClinic(t, "Clinic "+store.RandomToken(4))
	th = s.SignIn(t, cl.ID, store.RoleTherapist)
	var p, sess struct{ ID string }
	if st := th.Do(http.MethodPost, "/api/patients", map[string]any{"code": "P-" + store.RandomToken(4), "birth_year": 1985, "screening": map[string]bool{}}, &p); st != http.StatusCreated {
		t.Fatalf("patient: %d", st)
	}
	if st := th.Do(http.MethodPost, "/api/sessions", map[string]any{"patient_id": p.ID, "protocol_id": "heights_ladder"}, &sess); st != http.StatusCreated {
		t.Fatalf("session: %d", st)
	}
	return cl.ID, th, sess.ID
}

// The join link and QR code name the configured public URL (or the listen
// address), whatever Host and X-Forwarded-Proto a request carries (issue 17,
// finding 1: Host: evil.example gave http://evil.example/j/CODE).
func TestJoinLinkUsesPublicURLNotHost(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, public string
	}{{"configured", "https://haven.example.org"}, {"listen address", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := apptest.Start(t, func(c *config.Config) { c.PublicURL = tc.public })
			_, th, id := newSession(t, s)
			want := tc.public
			if want == "" {
				want = s.URL
			}
			st, _, raw := send(t, th, s.URL, http.MethodPost, "/api/sessions/"+id+"/join-code", nil,
				map[string]string{"Host": "evil.example", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"})
			var jc struct {
				Link  string `json:"link"`
				URL   string `json:"url"`
				QRPNG string `json:"qr_png"`
			}
			if err := json.Unmarshal(raw, &jc); err != nil || st != http.StatusOK {
				t.Fatalf("join-code: %d %s", st, raw)
			}
			if jc.URL != want+jc.Link || !strings.HasPrefix(jc.Link, "/xr/#code=") {
				t.Fatalf("url %q link %q, want %q + link", jc.URL, jc.Link, want)
			}
			png, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(jc.QRPNG, "data:image/png;base64,"))
			// The QR encoder is deterministic: the same text gives the same PNG.
			good, _ := qrcode.Encode(want+jc.Link, qrcode.Medium, 256)
			evil, _ := qrcode.Encode("https://evil.example"+jc.Link, qrcode.Medium, 256)
			if !bytes.Equal(png, good) || bytes.Equal(png, evil) {
				t.Fatalf("QR code does not encode %s%s", want, jc.Link)
			}
		})
	}
}

// Per-address limits key on the real client behind a trusted proxy, on the
// direct peer otherwise (X-Forwarded-For from anyone else is ignored), and
// on the /64 for IPv6 (issue 17, finding 5).
func TestAddressLimitsBehindTrustedProxy(t *testing.T) {
	t.Parallel()
	// /api/join allows a burst of 10 attempts per address, then 429.
	exhaust := func(t *testing.T, s *apptest.Server, xff string) {
		t.Helper()
		c := s.Anonymous(t)
		for i := 0; i < 10; i++ {
			if st, _, raw := send(t, c, s.URL, http.MethodPost, "/api/join", []byte(`{"code":"ZZZZ-ZZZZ"}`), map[string]string{"X-Forwarded-For": xff}); st != http.StatusNotFound {
				t.Fatalf("attempt %d from %s: %d %s", i+1, xff, st, raw)
			}
		}
	}
	try := func(t *testing.T, s *apptest.Server, xff string) int {
		st, _, _ := send(t, s.Anonymous(t), s.URL, http.MethodPost, "/api/join", []byte(`{"code":"ZZZZ-ZZZZ"}`), map[string]string{"X-Forwarded-For": xff})
		return st
	}
	t.Run("untrusted peer", func(t *testing.T) {
		t.Parallel()
		s := apptest.Start(t, nil)
		exhaust(t, s, "198.51.100.1")
		if st := try(t, s, "198.51.100.2"); st != http.StatusTooManyRequests {
			t.Fatalf("a forged X-Forwarded-For bought a fresh bucket: %d", st)
		}
	})
	t.Run("trusted proxy", func(t *testing.T) {
		t.Parallel()
		_, lo, _ := net.ParseCIDR("127.0.0.1/32")
		s := apptest.Start(t, func(c *config.Config) { c.TrustedProxies = []*net.IPNet{lo} })
		exhaust(t, s, "198.51.100.1")
		if st := try(t, s, "198.51.100.1"); st != http.StatusTooManyRequests {
			t.Fatalf("the abuser is not limited: %d", st)
		}
		if st := try(t, s, "198.51.100.2"); st != http.StatusNotFound {
			t.Fatalf("another client behind the proxy shares the abuser's bucket: %d", st)
		}
		// 2001:db8::/32 is the documentation prefix (RFC 3849).
		exhaust(t, s, "2001:db8:1:2::1")
		if st := try(t, s, "2001:db8:1:2:ffff::9"); st != http.StatusTooManyRequests {
			t.Fatalf("another address in the same /64 is a fresh bucket: %d", st)
		}
		if st := try(t, s, "2001:db8:1:3::1"); st != http.StatusNotFound {
			t.Fatalf("the next /64 shares the bucket: %d", st)
		}
	})
}

// Every read of clinical session data leaves an audit row, like a patient
// read (issue 17, finding 4).
func TestSessionReadsAudited(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	clinicID, th, id := newSession(t, s)
	reads := []struct{ path, detail string }{
		{"/api/sessions/" + id, "session"},
		{"/api/sessions/" + id + "/timeline", "timeline"},
		{"/api/sessions/" + id + "/events", "events"},
		{"/api/sessions/" + id + "/report", "report"},
		{"/api/sessions/" + id + "/report/series", "report.series"},
	}
	for _, r := range reads {
		if st, raw := th.Raw(http.MethodGet, r.path, nil); st != http.StatusOK {
			t.Fatalf("GET %s: %d %s", r.path, st, raw)
		}
	}
	if st, raw := th.Raw(http.MethodGet, "/api/sessions", nil); st != http.StatusOK {
		t.Fatalf("GET /api/sessions: %d %s", st, raw)
	}
	var rows []store.AuditEvent
	s.App.Store.DB.Where("clinic_id = ? AND target = ?", clinicID, "session").Order("id").Find(&rows)
	got := map[string]store.AuditEvent{}
	for _, r := range rows {
		got[r.Action+" "+r.Detail] = r
	}
	actor, _ := th.User["id"].(string)
	for _, r := range reads {
		ev, ok := got["session.read "+r.detail]
		if !ok || ev.TargetID != id || ev.ActorID != actor {
			t.Errorf("GET %s: no audit row naming session and reader (%+v)", r.path, ev)
		}
	}
	if ev, ok := got["session.list "+id]; !ok || ev.ActorID != actor {
		t.Errorf("GET /api/sessions: no audit row naming the listed session (rows %+v)", rows)
	}
}

// ?before= takes an audit id; anything else is a 422 naming the parameter
// (issue 17: 2⁶³ gave a 500, negatives and words were silently ignored).
func TestAuditBeforeValidated(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	admin := s.SignIn(t, s.NewClinic(t, "Audit").ID, store.RoleAdmin)
	for _, tc := range []struct {
		before string
		status int
		code   string
	}{
		{"9223372036854775808", 422, "validation/before"}, // 2⁶³: one past SQLite's largest integer
		{"-1", 422, "validation/before"},
		{"0", 422, "validation/before"},
		{"abc", 422, "validation/before"},
		{"1.5", 422, "validation/before"},
		{"9223372036854775807", 200, "/"},
		{"1", 200, "/"},
	} {
		st, raw := admin.Raw(http.MethodGet, "/api/audit?before="+tc.before, nil)
		if st != tc.status || errCode(raw) != tc.code {
			t.Errorf("before=%s: %d %s, want %d %s", tc.before, st, raw, tc.status, tc.code)
		}
	}
}

// Unknown API paths are JSON 404s, wrong methods 405 with Allow, and HEAD
// works wherever GET does (issue 17: the console's HTML with 200, HEAD 404
// everywhere, /healthz included, and wrong methods 404).
func TestNotFoundMethodNotAllowedAndHead(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	c := s.SignIn(t, s.NewClinic(t, "Edge").ID, store.RoleAdmin)
	for _, tc := range []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{"GET", "/api/nope", 404, "not_found/", ""},
		{"POST", "/api/nope", 404, "not_found/", ""},
		{"GET", "/api/sessions/x/nope", 404, "not_found/", ""},
		{"GET", "/api", 404, "not_found/", ""},
		{"HEAD", "/healthz", 200, "", ""},
		{"HEAD", "/readyz", 200, "", ""},
		{"HEAD", "/api/me", 200, "", ""},
		{"HEAD", "/", 200, "", ""},
		{"HEAD", "/xr/", 200, "", ""},
		{"POST", "/healthz", 405, "method_not_allowed/", "OPTIONS, GET, HEAD"},
		{"POST", "/api/me", 405, "method_not_allowed/", "OPTIONS, GET, HEAD"},
		{"DELETE", "/api/sessions", 405, "method_not_allowed/", "OPTIONS, GET, POST, HEAD"},
		{"GET", "/api/auth/login", 405, "method_not_allowed/", "OPTIONS, POST"},
		{"PUT", "/xr/", 405, "method_not_allowed/", "OPTIONS, GET, HEAD"},
	} {
		st, h, raw := send(t, c, s.URL, tc.method, tc.path, nil, nil)
		if tc.method == "HEAD" {
			_, gh, graw := send(t, c, s.URL, "GET", tc.path, nil, nil)
			if st != tc.status || len(raw) != 0 || h.Get("Content-Type") != gh.Get("Content-Type") || len(graw) == 0 {
				t.Errorf("HEAD %s: %d %q body %d bytes; GET %q", tc.path, st, h.Get("Content-Type"), len(raw), gh.Get("Content-Type"))
			}
			continue
		}
		if st != tc.status || errCode(raw) != tc.code || h.Get("Allow") != tc.allow || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
			t.Errorf("%s %s: %d %q Allow %q %s; want %d %s Allow %q", tc.method, tc.path, st, h.Get("Content-Type"), h.Get("Allow"), raw, tc.status, tc.code, tc.allow)
		}
	}
}

// /metrics is off the public listener unless a token guards it, or on a
// listener of its own (issue 17: it was public).
func TestMetricsGuarded(t *testing.T) {
	t.Parallel()
	metrics := func(t *testing.T, base, auth string) (int, []byte) {
		t.Helper()
		hdr := map[string]string{}
		if auth != "" {
			hdr["Authorization"] = auth
		}
		st, _, raw := send(t, apptest.NewClient(t, base), base, http.MethodGet, "/metrics", nil, hdr)
		return st, raw
	}
	t.Run("default", func(t *testing.T) {
		t.Parallel()
		s := apptest.Start(t, nil)
		if st, raw := metrics(t, s.URL, ""); st != http.StatusNotFound || errCode(raw) != "not_found/" {
			t.Fatalf("/metrics without a token configured: %d %.80s", st, raw)
		}
	})
	t.Run("token", func(t *testing.T) {
		t.Parallel()
		s := apptest.Start(t, func(c *config.Config) { c.MetricsToken = "s3cret-metrics-token" })
		for _, auth := range []string{"", "Bearer wrong", "s3cret-metrics-token x", "Basic czNjcmV0"} {
			if st, raw := metrics(t, s.URL, auth); st != http.StatusUnauthorized {
				t.Errorf("/metrics with %q: %d %.80s", auth, st, raw)
			}
		}
		if st, raw := metrics(t, s.URL, "Bearer s3cret-metrics-token"); st != http.StatusOK || !bytes.Contains(raw, []byte("haven_http_requests_total")) {
			t.Fatalf("/metrics with the token: %d %.80s", st, raw)
		}
	})
	t.Run("own listener", func(t *testing.T) {
		t.Parallel()
		s := apptest.Start(t, func(c *config.Config) { c.MetricsAddr = "127.0.0.1:0" })
		if st, _ := metrics(t, s.URL, ""); st != http.StatusNotFound {
			t.Fatalf("/metrics on the public listener: %d", st)
		}
		if st, raw := metrics(t, "http://"+s.App.MetricsAddr, ""); st != http.StatusOK || !bytes.Contains(raw, []byte("haven_live_peers")) {
			t.Fatalf("/metrics on --metrics-addr: %d %.80s", st, raw)
		}
	})
}

// A failed sign-in is audited with the account, the address bucket and the
// reason, and the password is stored nowhere (issue 17).
func TestFailedSignInAudited(t *testing.T) {
	t.Parallel()
	_, lo, _ := net.ParseCIDR("127.0.0.1/32")
	s := apptest.Start(t, func(c *config.Config) { c.TrustedProxies = []*net.IPNet{lo} })
	cl := s.NewClinic(t, "Sign-in")
	email := "jo@" + cl.ID + ".test"
	u, err := s.App.Auth.SetPassword(t.Context(), cl.ID, email, "Jo", store.RoleTherapist, "right-password-123")
	if err != nil {
		t.Fatal(err)
	}
	const wrong = "wrong-password-XYZ"
	login := func(email, xff string) {
		st, _, raw := send(t, s.Anonymous(t), s.URL, http.MethodPost, "/api/auth/login",
			[]byte(`{"email":"`+email+`","password":"`+wrong+`"}`), map[string]string{"X-Forwarded-For": xff})
		if st != http.StatusUnauthorized || errCode(raw) != "login_failed/" {
			t.Fatalf("login %s: %d %s", email, st, raw)
		}
	}
	login(email, "203.0.113.9")
	login("nobody@"+cl.ID+".test", "2001:db8:aa:bb:1:2:3:4")
	var known, unknown store.AuditEvent
	s.App.Store.DB.Where("action = ? AND clinic_id = ?", "auth.login_failed", cl.ID).Take(&known)
	if known.TargetID != u.ID || known.Detail != "reason=wrong_password address=203.0.113.9" {
		t.Errorf("known account: %+v", known)
	}
	s.App.Store.DB.Where("action = ? AND clinic_id = ?", "auth.login_failed", "").Take(&unknown)
	if !strings.HasPrefix(unknown.Detail, "reason=unknown_account address=2001:db8:aa:bb::/64 account=sha256:") || strings.Contains(unknown.Detail, "nobody") {
		t.Errorf("unknown account: %+v", unknown)
	}
	var leaks int64
	s.App.Store.DB.Model(&store.AuditEvent{}).Where("detail LIKE ?", "%"+wrong+"%").Count(&leaks)
	if leaks != 0 {
		t.Errorf("%d audit rows hold the password", leaks)
	}
}

// A ladder of the wrong length is refused with its limits filled in
// (issue 17: "A ladder needs  to  steps"). The limits are CLINICAL.md's
// 8–15 steps.
func TestLadderLengthMessageFilled(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	th := s.SignIn(t, s.NewClinic(t, "Ladders").ID, store.RoleTherapist)
	var body struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	st := th.Do(http.MethodPost, "/api/ladders/generate", map[string]any{"template": "heights", "steps": 3}, &body)
	if want := "Please check steps: A ladder needs 8 to 15 steps; this one has 3."; st != http.StatusUnprocessableEntity || body.Error.Message != want {
		t.Fatalf("%d %q, want 422 %q", st, body.Error.Message, want)
	}
}

// Support-room inputs are refused whole, naming the field, rather than
// trimmed or taken as they come (issue 17: phrases over 200 characters
// were dropped with 200, any crisis-line country was kept, any content
// type reached the SDP parser).
func TestGroupInputsRefused(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	cl := s.NewClinic(t, "Rooms")
	th := s.SignIn(t, cl.ID, store.RoleTherapist)
	mod := s.SignIn(t, cl.ID, store.RoleModerator)
	long := strings.Repeat("ب", 201) // 201 characters, 402 bytes
	ok200 := strings.Repeat("ب", 200)
	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"phrase over 200 characters", "PUT", "/api/groups/phrases/ar/block", map[string]any{"phrases": []string{"short", long}}, 422, "validation/phrases[1]"},
		{"phrase of 200 characters", "PUT", "/api/groups/phrases/ar/block", map[string]any{"phrases": []string{ok200}}, 200, "/"},
		{"crisis line country not a code", "PUT", "/api/groups/resources", []map[string]any{{"name": "Line", "phone": "116 123", "country": "Narnia", "last_verified": "2026-01-01T00:00:00Z"}}, 422, "validation/resources[0].country"},
		{"crisis line country unassigned", "PUT", "/api/groups/resources", []map[string]any{{"name": "Line", "phone": "116 123", "country": "ZZ", "last_verified": "2026-01-01T00:00:00Z"}}, 422, "validation/resources[0].country"},
	} {
		st, raw := th.Raw(tc.method, tc.path, tc.body)
		if st != tc.status || errCode(raw) != tc.code {
			t.Errorf("%s: %d %.200s, want %d %s", tc.name, st, raw, tc.status, tc.code)
		}
	}
	var phrases store.GroupPhraseList
	s.App.Store.DB.Take(&phrases, "clinic_id = ?", cl.ID)
	if strings.Contains(phrases.Phrases, "short") {
		t.Errorf("a refused list was stored: %s", phrases.Phrases)
	}
	var lines int64
	s.App.Store.DB.Model(&store.GroupCrisisResource{}).Where("clinic_id = ?", cl.ID).Count(&lines)
	if lines != 0 {
		t.Errorf("%d crisis lines stored from refused input", lines)
	}
	var room struct{ ID, Code string }
	if st := mod.Do(http.MethodPost, "/api/groups/rooms", map[string]any{"topic": "Evening group", "locale": "en", "lobby": false}, &room); st != http.StatusCreated {
		t.Fatalf("room: %d", st)
	}
	var member struct{ Token string }
	if st := s.Anonymous(t).Do(http.MethodPost, "/api/groups/join", map[string]any{"code": room.Code, "accept_rules": true}, &member); st != http.StatusCreated && st != http.StatusOK {
		t.Fatalf("join: %d", st)
	}
	offer := []byte("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n")
	for _, tc := range []struct {
		path string
		c    *apptest.Client
		hdr  map[string]string
	}{
		{"/api/groups/rooms/" + room.ID + "/peer", s.Anonymous(t), map[string]string{"Authorization": "Bearer " + member.Token}},
		{"/api/groups/rooms/" + room.ID + "/moderator-peer", mod, nil},
	} {
		for _, ct := range []string{"text/plain", "application/json", "application/x-www-form-urlencoded"} {
			hdr := map[string]string{"Content-Type": ct}
			for k, v := range tc.hdr {
				hdr[k] = v
			}
			if st, _, raw := send(t, tc.c, s.URL, http.MethodPost, tc.path, offer, hdr); st != http.StatusUnsupportedMediaType || errCode(raw) != "unsupported_media_type/" {
				t.Errorf("%s as %s: %d %.120s, want 415", tc.path, ct, st, raw)
			}
		}
	}
}
