package auth_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/havenvr/haven/server/apptest"
	"github.com/havenvr/haven/server/auth"
	"github.com/havenvr/haven/server/store"
)

// TestBootstrapOneTimeAdminLink: on an empty database Bootstrap creates the
// clinic and a one-time admin link and no account (so no password of any
// kind exists); the link signs its holder in once, as the clinic's admin,
// with a server-side session; a second use is refused with invite_used and
// changes nothing; afterwards Bootstrap does nothing.
func TestBootstrapOneTimeAdminLink(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	ctx := t.Context()
	db := s.App.Store.DB
	start := time.Now().UTC()

	link, err := s.App.Auth.Bootstrap(ctx, "Lakeside Clinic")
	if err != nil {
		t.Fatalf("Bootstrap: %v", err)
	}
	const prefix = "/#/invite/"
	token := strings.TrimPrefix(link, prefix)
	if !strings.HasPrefix(link, prefix) || len(token) < 32 {
		t.Fatalf("link %q: want %sTOKEN with a token of ≥ 128 bits", link, prefix)
	}
	var clinics []store.Clinic
	var invites []store.Invite
	var users int64
	db.Find(&clinics)
	db.Find(&invites)
	db.Model(&store.User{}).Count(&users)
	if len(clinics) != 1 || clinics[0].Name != "Lakeside Clinic" {
		t.Fatalf("clinics after bootstrap: %+v", clinics)
	}
	if len(invites) != 1 {
		t.Fatalf("%d invites after bootstrap, want 1", len(invites))
	}
	inv := invites[0]
	if inv.Role != store.RoleAdmin || inv.ClinicID != clinics[0].ID || inv.UsedAt != nil ||
		inv.TokenHash != store.HashToken(token) || inv.TokenHash == token {
		t.Fatalf("bootstrap invite %+v: want an unused admin invite of the clinic, stored as the token's hash", inv)
	}
	if ttl := inv.ExpiresAt.Sub(start); ttl < auth.InviteTTL-time.Minute || ttl > auth.InviteTTL+time.Minute {
		t.Fatalf("bootstrap link valid for %v, want %v", ttl, auth.InviteTTL)
	}
	// Never a default password: there is no account at all until the link is used.
	if users != 0 {
		t.Fatalf("%d accounts exist before the link is used: a default account", users)
	}
	for _, pw := range []string{"admin", "password", "haven"} {
		var e struct{ Error struct{ Code string } }
		st := s.Anonymous(t).Do(http.MethodPost, "/api/auth/login", map[string]string{"email": inv.Email, "password": pw}, &e)
		if st != http.StatusUnauthorized || e.Error.Code != "login_failed" {
			t.Fatalf("sign-in as %s with %q: %d %s, want 401 login_failed", inv.Email, pw, st, e.Error.Code)
		}
	}

	anon := s.Anonymous(t)
	var info struct{ Email, Role, Clinic string }
	if st := anon.Do(http.MethodGet, "/api/invites/"+token, nil, &info); st != http.StatusOK || info.Role != "admin" || info.Clinic != "Lakeside Clinic" {
		t.Fatalf("invite info: %d %+v", st, info)
	}
	// The first admin chooses an address; without one nothing is used up.
	before := takeSnapshot(t, s)
	var e struct{ Error struct{ Code, Field string } }
	if st := anon.Do(http.MethodPost, "/api/invites/"+token+"/accept", map[string]string{"name": "Ada", "password": "a long admin password"}, &e); st != http.StatusUnprocessableEntity || e.Error.Code != "validation" || e.Error.Field != "email" {
		t.Fatalf("accept without e-mail: %d %+v", st, e.Error)
	}
	sameSnapshot(t, "accept without an e-mail", before, takeSnapshot(t, s))

	const email, password = "ada@lakeside.test", "a long admin password"
	var me struct {
		User struct {
			ID, Email string
			Role      store.Role
		}
		Clinic    struct{ ID, Name string }
		CSRFToken string `json:"csrf_token"`
	}
	st, raw := anon.Raw(http.MethodPost, "/api/invites/"+token+"/accept", map[string]string{"name": "Ada", "email": email, "password": password})
	if st != http.StatusOK {
		t.Fatalf("accept: %d %s", st, raw)
	}
	decode(t, raw, &me)
	if me.User.Role != store.RoleAdmin || me.User.Email != email || me.Clinic.ID != clinics[0].ID || me.CSRFToken == "" {
		t.Fatalf("accept answered %+v", me)
	}
	// The link signed its holder in: the cookie jar now holds a live session.
	var again struct{ User struct{ ID string } }
	if st := anon.Do(http.MethodGet, "/api/me", nil, &again); st != http.StatusOK || again.User.ID != me.User.ID {
		t.Fatalf("/api/me after accepting: %d %+v", st, again)
	}
	var sessions []store.AuthSession
	db.Where("user_id = ?", me.User.ID).Find(&sessions)
	if len(sessions) != 1 || sessions[0].RevokedAt != nil {
		t.Fatalf("sessions after accepting: %+v, want one live session", sessions)
	}
	var created store.User
	db.Take(&created, "id = ?", me.User.ID)
	if !strings.HasPrefix(created.PasswordHash, "$argon2id$") {
		t.Fatalf("admin's password stored as %q, want an argon2id hash", created.PasswordHash)
	}

	// Second use, by anyone: refused with a coded error, nothing changed.
	used := takeSnapshot(t, s)
	for _, tc := range []struct {
		name   string
		method string
		path   string
		body   any
	}{
		{"accept again", http.MethodPost, "/api/invites/" + token + "/accept", map[string]string{"name": "Eve", "email": "eve@lakeside.test", "password": "another long password"}},
		{"accept again with the same address", http.MethodPost, "/api/invites/" + token + "/accept", map[string]string{"name": "Ada", "email": email, "password": password}},
		{"look the link up again", http.MethodGet, "/api/invites/" + token, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e struct {
				Error struct{ Code, Message string }
			}
			if st := s.Anonymous(t).Do(tc.method, tc.path, tc.body, &e); st != http.StatusGone || e.Error.Code != "invite_used" || e.Error.Message == "" {
				t.Fatalf("%d %+v, want 410 invite_used", st, e.Error)
			}
		})
	}
	sameSnapshot(t, "reusing the sign-in link", used, takeSnapshot(t, s))

	// With an account in place, Bootstrap creates nothing more.
	if link, err := s.App.Auth.Bootstrap(ctx, "Lakeside Clinic"); err != nil || link != "" {
		t.Fatalf("Bootstrap on a database with accounts: %q, %v; want no link", link, err)
	}
	sameSnapshot(t, "a second Bootstrap", used, takeSnapshot(t, s))
	// The admin's own password works from now on.
	if st := s.Anonymous(t).Do(http.MethodPost, "/api/auth/login", map[string]string{"email": email, "password": password}, nil); st != http.StatusOK {
		t.Fatalf("admin sign-in with the chosen password: %d", st)
	}
}

// TestBootstrapKeepsTheClinic: a restart before anyone used the link (so
// still no account) issues a new link for the same clinic, never a second
// clinic, and the earlier link (perhaps kept in an old log) stops working:
// it can never create a second admin.
func TestBootstrapKeepsTheClinic(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	first, err := s.App.Auth.Bootstrap(t.Context(), "Clinic")
	if err != nil || first == "" {
		t.Fatalf("first Bootstrap: %q, %v", first, err)
	}
	second, err := s.App.Auth.Bootstrap(t.Context(), "Clinic")
	if err != nil || second == "" || second == first {
		t.Fatalf("second Bootstrap: %q, %v; want a fresh link", second, err)
	}
	var clinics, users int64
	s.App.Store.DB.Model(&store.Clinic{}).Count(&clinics)
	s.App.Store.DB.Model(&store.User{}).Count(&users)
	if clinics != 1 || users != 0 {
		t.Fatalf("%d clinics and %d accounts after two Bootstraps, want 1 and 0", clinics, users)
	}
	const prefix = "/#/invite/"
	accept := func(link, email string) (int, string) {
		var e struct{ Error struct{ Code string } }
		st := s.Anonymous(t).Do(http.MethodPost, "/api/invites/"+strings.TrimPrefix(link, prefix)+"/accept",
			map[string]string{"name": "Admin", "email": email, "password": "a long admin password"}, &e)
		return st, e.Error.Code
	}
	if st, code := accept(first, "old-log@clinic.test"); st != http.StatusGone || code != "invite_used" {
		t.Fatalf("the earlier first-start link: %d %s, want 410 invite_used", st, code)
	}
	if st, _ := accept(second, "admin@clinic.test"); st != http.StatusOK {
		t.Fatalf("the newest first-start link: %d, want 200", st)
	}
	s.App.Store.DB.Model(&store.User{}).Count(&users)
	if users != 1 {
		t.Fatalf("%d accounts after both links were tried, want the one admin", users)
	}
}
