package auth_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/havenvr/haven/server/apptest"
	"github.com/havenvr/haven/server/store"
)

// signInAs signs an existing account in and returns the client (nil and the
// status when refused).
func signInAs(t *testing.T, s *apptest.Server, email, password string) (*apptest.Client, int) {
	t.Helper()
	c := s.Anonymous(t)
	var me struct {
		CSRFToken string         `json:"csrf_token"`
		User      map[string]any `json:"user"`
	}
	st := c.Do(http.MethodPost, "/api/auth/login", map[string]string{"email": email, "password": password}, &me)
	if st != http.StatusOK {
		return nil, st
	}
	c.CSRF, c.User = me.CSRFToken, me.User
	return c, st
}

func codeOf(raw []byte) string {
	var b struct {
		Error struct{ Code, Field string } `json:"error"`
	}
	_ = json.Unmarshal(raw, &b)
	return b.Error.Code + "/" + b.Error.Field
}

func auditCount(t *testing.T, s *apptest.Server, action, target string) int64 {
	t.Helper()
	var n int64
	s.App.Store.DB.Model(&store.AuditEvent{}).Where("action = ? AND target_id = ?", action, target).Count(&n)
	return n
}

// A signed-in account changes its own password with the current one; its
// other sessions end, this one stays (issue 17: no password change existed).
func TestPasswordChange(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	cl := s.NewClinic(t, "Pw")
	const email, old, next = "pw@clinic.test", "the old password 1", "the new password 2"
	u, err := s.App.Auth.SetPassword(t.Context(), cl.ID, email, "Pw", store.RoleTherapist, old)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := signInAs(t, s, email, old)
	b, _ := signInAs(t, s, email, old)
	for _, tc := range []struct {
		body map[string]string
		want string
	}{
		{map[string]string{"current_password": "not it at all", "new_password": next}, "validation/current_password"},
		{map[string]string{"current_password": old, "new_password": "short"}, "validation/new_password"},
		{map[string]string{"current_password": old, "new_password": strings.Repeat("x", 257)}, "validation/new_password"},
	} {
		if st, raw := a.Raw(http.MethodPost, "/api/me/password", tc.body); st != http.StatusUnprocessableEntity || codeOf(raw) != tc.want {
			t.Errorf("%v: %d %s, want 422 %s", tc.body, st, raw, tc.want)
		}
	}
	if _, st := signInAs(t, s, email, old); st != http.StatusOK {
		t.Fatalf("a refused change altered the password: sign-in %d", st)
	}
	if st, raw := a.Raw(http.MethodPost, "/api/me/password", map[string]string{"current_password": old, "new_password": next}); st != http.StatusNoContent {
		t.Fatalf("change: %d %s", st, raw)
	}
	if st := a.Do(http.MethodGet, "/api/me", nil, nil); st != http.StatusOK {
		t.Errorf("the session that changed the password was signed out: %d", st)
	}
	if st := b.Do(http.MethodGet, "/api/me", nil, nil); st != http.StatusUnauthorized {
		t.Errorf("another session survived the change: %d", st)
	}
	if _, st := signInAs(t, s, email, old); st != http.StatusUnauthorized {
		t.Errorf("old password still signs in: %d", st)
	}
	if _, st := signInAs(t, s, email, next); st != http.StatusOK {
		t.Errorf("new password does not sign in: %d", st)
	}
	if n := auditCount(t, s, "user.password_change", u.ID); n != 1 {
		t.Errorf("%d audit rows for the change, want 1", n)
	}
}

// An admin re-enables a disabled account, and resets a password by a
// one-time link the account's owner opens; re-inviting a disabled
// account's address works too (issue 17: it answered 409).
func TestAdminResetAndReenable(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	cl := s.NewClinic(t, "Reset")
	admin := s.SignIn(t, cl.ID, store.RoleAdmin)
	const email, pw = "staff@reset.test", "first password 11"
	u, err := s.App.Auth.SetPassword(t.Context(), cl.ID, email, "Staff", store.RoleModerator, pw)
	if err != nil {
		t.Fatal(err)
	}
	other := s.SignIn(t, s.NewClinic(t, "Other").ID, store.RoleAdmin)
	if st := other.Do(http.MethodPost, "/api/users/"+u.ID+"/enable", nil, nil); st != http.StatusNotFound {
		t.Fatalf("another clinic's admin enables: %d", st)
	}
	if st := admin.Do(http.MethodDelete, "/api/users/"+u.ID, nil, nil); st != http.StatusNoContent {
		t.Fatalf("disable: %d", st)
	}
	if _, st := signInAs(t, s, email, pw); st != http.StatusUnauthorized {
		t.Fatalf("disabled account signs in: %d", st)
	}
	if st := admin.Do(http.MethodPost, "/api/users/"+u.ID+"/enable", nil, nil); st != http.StatusNoContent {
		t.Fatalf("enable: %d", st)
	}
	staff, st := signInAs(t, s, email, pw)
	if st != http.StatusOK {
		t.Fatalf("re-enabled account cannot sign in: %d", st)
	}
	if n := auditCount(t, s, "user.enable", u.ID); n != 1 {
		t.Errorf("%d audit rows for enable, want 1", n)
	}
	// Reset: a link, never a password, for the admin.
	var reset struct{ Link string }
	if st := admin.Do(http.MethodPost, "/api/users/"+u.ID+"/password-reset", nil, &reset); st != http.StatusCreated || !strings.HasPrefix(reset.Link, "/#/invite/") {
		t.Fatalf("reset: %d %q", st, reset.Link)
	}
	token := reset.Link[strings.LastIndex(reset.Link, "/")+1:]
	const pw2 = "second password 22"
	if st, raw := s.Anonymous(t).Raw(http.MethodPost, "/api/invites/"+token+"/accept", map[string]string{"password": pw2}); st != http.StatusOK {
		t.Fatalf("accepting the reset link: %d %s", st, raw)
	}
	if st := staff.Do(http.MethodGet, "/api/me", nil, nil); st != http.StatusUnauthorized {
		t.Errorf("a session from before the reset survived: %d", st)
	}
	if _, st := signInAs(t, s, email, pw); st != http.StatusUnauthorized {
		t.Errorf("the old password survived the reset: %d", st)
	}
	me, st := signInAs(t, s, email, pw2)
	if st != http.StatusOK || me.User["id"] != u.ID || me.User["role"] != "moderator" {
		t.Fatalf("after reset: %d %v (want the same account, same role)", st, me)
	}
	// Re-invite after a disable: the invite takes the account over.
	if st := admin.Do(http.MethodDelete, "/api/users/"+u.ID, nil, nil); st != http.StatusNoContent {
		t.Fatalf("disable again: %d", st)
	}
	var inv struct{ Link string }
	if st := admin.Do(http.MethodPost, "/api/invites", map[string]string{"email": email, "role": "therapist"}, &inv); st != http.StatusCreated {
		t.Fatalf("re-invite: %d", st)
	}
	const pw3 = "third password 333"
	if st, raw := s.Anonymous(t).Raw(http.MethodPost, "/api/invites/"+inv.Link[strings.LastIndex(inv.Link, "/")+1:]+"/accept", map[string]string{"password": pw3}); st != http.StatusOK {
		t.Fatalf("accepting the re-invite of a disabled account: %d %s", st, raw)
	}
	if me, st := signInAs(t, s, email, pw3); st != http.StatusOK || me.User["id"] != u.ID || me.User["role"] != "therapist" {
		t.Fatalf("after re-invite: %d", st)
	}
}

// Accepting an invite for an address that has an account in another clinic
// answers exactly as for a fresh address, and both accounts sign in with
// their own passwords (issue 17: 409 revealed the other clinic's account).
func TestInviteAcceptNoCrossClinicSignal(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	b := s.NewClinic(t, "B")
	const shared, pwB, pwA = "person@shared.test", "password of clinic B", "password of clinic A"
	if _, err := s.App.Auth.SetPassword(t.Context(), b.ID, shared, "In B", store.RoleTherapist, pwB); err != nil {
		t.Fatal(err)
	}
	a := s.NewClinic(t, "A")
	admin := s.SignIn(t, a.ID, store.RoleAdmin)
	accept := func(email, pw string) (int, map[string]any) {
		var inv struct{ Link string }
		if st := admin.Do(http.MethodPost, "/api/invites", map[string]string{"email": email, "role": "therapist"}, &inv); st != http.StatusCreated {
			t.Fatalf("invite %s: %d", email, st)
		}
		var me map[string]any
		st := s.Anonymous(t).Do(http.MethodPost, "/api/invites/"+inv.Link[strings.LastIndex(inv.Link, "/")+1:]+"/accept", map[string]string{"password": pw}, &me)
		return st, me
	}
	stFresh, fresh := accept("fresh@shared.test", pwA)
	stShared, got := accept(shared, pwA)
	if stFresh != http.StatusOK || stShared != stFresh || len(got) != len(fresh) {
		t.Fatalf("fresh address: %d %v; address known elsewhere: %d %v", stFresh, fresh, stShared, got)
	}
	for _, tc := range []struct{ pw, clinic string }{{pwA, a.ID}, {pwB, b.ID}} {
		me, st := signInAs(t, s, shared, tc.pw)
		if st != http.StatusOK {
			t.Fatalf("sign-in with clinic %s's password: %d", tc.clinic, st)
		}
		var full struct {
			Clinic struct{ ID string } `json:"clinic"`
		}
		me.Do(http.MethodGet, "/api/me", nil, &full)
		if full.Clinic.ID != tc.clinic {
			t.Errorf("password of %s signed into %s", tc.clinic, full.Clinic.ID)
		}
	}
}

// An invite address longer than SMTP carries (254 characters, RFC 5321
// §4.5.3.1.3) is refused, naming the field, and stores nothing.
func TestInviteEmailTooLong(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	cl := s.NewClinic(t, "Long")
	admin := s.SignIn(t, cl.ID, store.RoleAdmin)
	long := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 58) + ".test" // 256 characters
	if st, raw := admin.Raw(http.MethodPost, "/api/invites", map[string]string{"email": long, "role": "therapist"}); st != http.StatusUnprocessableEntity || codeOf(raw) != "validation/email" {
		t.Fatalf("%d-character address: %d %s", len(long), st, raw)
	}
	var n int64
	s.App.Store.DB.Model(&store.Invite{}).Where("clinic_id = ?", cl.ID).Count(&n)
	if n != 0 {
		t.Fatalf("%d invites stored", n)
	}
}
