package app_test

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/havenvr/haven/server/apptest"
	"github.com/havenvr/haven/server/config"
	"github.com/havenvr/haven/server/store"
)

func TestHealthReadyMetricsOpenAPI(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, func(c *config.Config) { c.MetricsToken = "metrics-token" })
	c := s.Anonymous(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		if st := c.Do(http.MethodGet, path, nil, nil); st != http.StatusOK {
			t.Fatalf("%s: status %d", path, st)
		}
	}
	st, _, body := send(t, c, s.URL, http.MethodGet, "/metrics", nil, map[string]string{"Authorization": "Bearer metrics-token"})
	if st != http.StatusOK || !bytes.Contains(body, []byte("haven_http_requests_total")) || !bytes.Contains(body, []byte("haven_live_peers")) {
		t.Fatalf("/metrics: status %d, haven_ series missing", st)
	}
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if st := c.Do(http.MethodGet, "/api/openapi.json", nil, &doc); st != http.StatusOK || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi: status %d version %q", st, doc.OpenAPI)
	}
	// Every route Echo serves is documented, and nothing undocumented is served.
	for _, r := range s.App.Web.Echo.Routes() {
		if r.Method == "echo_route_not_found" || !strings.HasPrefix(r.Path, "/api/") && !strings.HasSuffix(r.Path, "z") && r.Path != "/metrics" {
			continue
		}
		p := r.Path
		for _, part := range strings.Split(p, "/") {
			if strings.HasPrefix(part, ":") {
				p = strings.Replace(p, part, "{"+part[1:]+"}", 1)
			}
		}
		if _, ok := doc.Paths[p][strings.ToLower(r.Method)]; !ok {
			t.Errorf("route %s %s is not in the OpenAPI document", r.Method, r.Path)
		}
	}
}

func TestUnauthenticatedGetsCodedJSON401(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	c := s.Anonymous(t)
	for _, r := range s.App.Web.Routes() {
		if r.Access == "public" || r.Access == "patient" || r.Access == "member" {
			continue
		}
		path := strings.NewReplacer(":id", "x", ":token", "x").Replace(r.Path)
		var body struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		st, raw := c.Raw(r.Method, path, nil)
		_ = json.Unmarshal(raw, &body)
		if st != http.StatusUnauthorized || body.Error.Code != "unauthorized" || body.Error.Message == "" {
			t.Errorf("%s %s: status %d body %s", r.Method, r.Path, st, raw)
		}
	}
}

func TestTenantIsolationAndBadInput(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	a, b := s.NewClinic(t, "A"), s.NewClinic(t, "B")
	ta, tb := s.SignIn(t, a.ID, store.RoleTherapist), s.SignIn(t, b.ID, store.RoleTherapist)
	var p struct{ ID string }
	if st := tb.Do(http.MethodPost, "/api/patients", map[string]any{"code": "B-1", "birth_year": 1980}, &p); st != http.StatusCreated {
		t.Fatalf("create patient: %d", st)
	}
	tests := []struct {
		name   string
		client *apptest.Client
		method string
		path   string
		body   any
		status int
		code   string
	}{
		{"other clinic's patient is 404", ta, http.MethodGet, "/api/patients/" + p.ID, nil, 404, "not_found"},
		{"other clinic's patient cannot be changed", ta, http.MethodPatch, "/api/patients/" + p.ID, map[string]any{"notes": "x"}, 404, "not_found"},
		{"own clinic reads it", tb, http.MethodGet, "/api/patients/" + p.ID, nil, 200, ""},
		{"code taken", tb, http.MethodPost, "/api/patients", map[string]any{"code": "B-1", "birth_year": 1980}, 409, "patient_code_taken"},
		{"unknown field", tb, http.MethodPost, "/api/patients", map[string]any{"code": "B-2", "birth_year": 1980, "name": "Jo"}, 400, "unknown_field"},
		{"malformed json", tb, http.MethodPost, "/api/patients", []byte(`{"code":`), 400, "invalid_json"},
		{"out of range", tb, http.MethodPost, "/api/patients", map[string]any{"code": "B-3", "birth_year": 1800}, 422, "validation"},
		{"oversized body", tb, http.MethodPost, "/api/patients", []byte(`{"notes":"` + strings.Repeat("x", 2<<20) + `"}`), 413, "body_too_large"},
		{"key in another case", tb, http.MethodPost, "/api/patients", []byte(`{"Code":"B-4","birth_year":1980}`), 400, "unknown_field"},
		{"duplicate key", tb, http.MethodPost, "/api/patients", []byte(`{"code":"B-5","code":"B-6","birth_year":1980}`), 400, "duplicate_field"},
		{"invalid UTF-8", tb, http.MethodPost, "/api/patients", []byte("{\"code\":\"B-\xff7\",\"birth_year\":1980}"), 400, "invalid_json"},
		{"therapist cannot invite", tb, http.MethodPost, "/api/invites", map[string]any{"email": "x@y.z", "role": "admin"}, 403, "forbidden"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body struct {
				Error struct{ Code string } `json:"error"`
			}
			st, raw := tc.client.Raw(tc.method, tc.path, tc.body)
			_ = json.Unmarshal(raw, &body)
			if st != tc.status || body.Error.Code != tc.code {
				t.Fatalf("got %d %q, want %d %q (%s)", st, body.Error.Code, tc.status, tc.code, raw)
			}
		})
	}
	var n int64
	s.App.Store.DB.Model(&store.Patient{}).Count(&n)
	if n != 1 {
		t.Fatalf("bad input changed the store: %d patients", n)
	}
}

func TestCSRFAndContentType(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	cl := s.NewClinic(t, "A")
	c := s.SignIn(t, cl.ID, store.RoleTherapist)
	tok := c.CSRF
	c.CSRF = ""
	var e struct{ Error struct{ Code string } }
	if st := c.Do(http.MethodPost, "/api/patients", map[string]any{"code": "X", "birth_year": 1990}, &e); st != 403 || e.Error.Code != "csrf_missing" {
		t.Fatalf("missing CSRF: %d %s", st, e.Error.Code)
	}
	c.CSRF = "wrong"
	if st := c.Do(http.MethodPost, "/api/patients", map[string]any{"code": "X", "birth_year": 1990}, &e); st != 403 || e.Error.Code != "csrf_invalid" {
		t.Fatalf("wrong CSRF: %d %s", st, e.Error.Code)
	}
	c.CSRF = tok
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/api/patients", strings.NewReader(`{"code":"X","birth_year":1990}`))
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("X-CSRF-Token", tok)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("text/plain body: status %d", resp.StatusCode)
	}
}

func TestInviteFlow(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	cl := s.NewClinic(t, "A")
	admin := s.SignIn(t, cl.ID, store.RoleAdmin)
	var inv struct{ Link string }
	if st := admin.Do(http.MethodPost, "/api/invites", map[string]any{"email": "new@a.test", "role": "therapist"}, &inv); st != 201 {
		t.Fatalf("invite: %d", st)
	}
	token := inv.Link[strings.LastIndex(inv.Link, "/")+1:]
	anon := s.Anonymous(t)
	if st := anon.Do(http.MethodPost, "/api/invites/"+token+"/accept", map[string]any{"name": "N", "password": "short"}, nil); st != 422 {
		t.Fatalf("short password: %d", st)
	}
	var me struct {
		User struct{ Email, Role string }
	}
	if st := anon.Do(http.MethodPost, "/api/invites/"+token+"/accept", map[string]any{"name": "N", "password": "a long enough password"}, &me); st != 200 || me.User.Role != "therapist" {
		t.Fatalf("accept: %d %+v", st, me)
	}
	var e struct{ Error struct{ Code string } }
	if st := s.Anonymous(t).Do(http.MethodPost, "/api/invites/"+token+"/accept", map[string]any{"name": "N", "password": "a long enough password"}, &e); st != 410 || e.Error.Code != "invite_used" {
		t.Fatalf("reuse: %d %s", st, e.Error.Code)
	}
	if st := s.Anonymous(t).Do(http.MethodGet, "/api/invites/nonsense", nil, &e); st != 404 || e.Error.Code != "invite_invalid" {
		t.Fatalf("unknown invite: %d %s", st, e.Error.Code)
	}
	var audit struct{ Events []store.AuditEvent }
	admin.Do(http.MethodGet, "/api/audit", nil, &audit)
	if len(audit.Events) < 2 {
		t.Fatalf("audit log has %d events", len(audit.Events))
	}
}

func TestLoginRateLimited(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	c := s.Anonymous(t)
	var last int
	var e struct{ Error struct{ Code string } }
	for i := 0; i < 8; i++ {
		last = c.Do(http.MethodPost, "/api/auth/login", map[string]any{"email": "nobody@x.test", "password": "wrong"}, &e)
	}
	if last != http.StatusTooManyRequests || e.Error.Code != "rate_limited" {
		t.Fatalf("after 8 failed logins: %d %s", last, e.Error.Code)
	}
}

func TestTLSHeadersAndCookieFlags(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, func(c *config.Config) { c.TLSSelfSigned = true })
	if !strings.HasPrefix(s.URL, "https://") {
		t.Fatalf("URL %s is not https", s.URL)
	}
	cl := s.NewClinic(t, "A")
	email, pw := "t@a.test", "password-long-enough"
	if _, err := s.App.Auth.SetPassword(t.Context(), cl.ID, email, "T", store.RoleTherapist, pw); err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := hc.Post(s.URL+"/api/auth/login", "application/json", strings.NewReader(`{"email":"`+email+`","password":"`+pw+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h := resp.Header
	for name, want := range map[string]string{
		"Strict-Transport-Security": "max-age=", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
		"Content-Security-Policy": "frame-ancestors 'none'",
	} {
		if !strings.Contains(h.Get(name), want) {
			t.Errorf("%s = %q, want it to contain %q", name, h.Get(name), want)
		}
	}
	for _, want := range []string{"object-src 'none'", "base-uri 'none'"} {
		if !strings.Contains(h.Get("Content-Security-Policy"), want) {
			t.Errorf("CSP lacks %s", want)
		}
	}
	// Every page, not only the API, carries the same headers.
	for _, page := range []string{"/", "/xr/", "/room/", "/healthz", "/api/openapi.json", "/no-such-page"} {
		r, err := hc.Get(s.URL + page)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		for _, name := range []string{"Strict-Transport-Security", "Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"} {
			if r.Header.Get(name) == "" {
				t.Errorf("%s: header %s missing", page, name)
			}
		}
	}
	ck := resp.Cookies()
	if len(ck) != 1 || ck[0].Name != "__Host-haven_session" || !ck[0].Secure || !ck[0].HttpOnly || ck[0].SameSite != http.SameSiteStrictMode || ck[0].Path != "/" {
		t.Fatalf("session cookie flags wrong: %+v", ck)
	}
	if len(ck[0].Value) < 26 {
		t.Fatalf("session token too short for 128 bits: %d chars", len(ck[0].Value))
	}
}
