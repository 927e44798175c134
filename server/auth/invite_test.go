package auth_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/havenvr/haven/server/apptest"
	"github.com/havenvr/haven/server/auth"
	"github.com/havenvr/haven/server/store"
)

// inviteEnv is a clocked server with an admin who has just invited a therapist.
type inviteEnv struct {
	s     *apptest.Server
	clk   *clock
	token string
	email string
}

func newInviteEnv(t *testing.T) *inviteEnv {
	t.Helper()
	clk := newClock()
	s := startClocked(t, clk)
	cl := s.NewClinic(t, "Harbour Clinic")
	admin := s.SignIn(t, cl.ID, store.RoleAdmin)
	e := &inviteEnv{s: s, clk: clk, email: "new.therapist@harbour.test"}
	var inv struct {
		Link      string    `json:"link"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if st := admin.Do(http.MethodPost, "/api/invites", map[string]any{"email": e.email, "role": "therapist"}, &inv); st != http.StatusCreated {
		t.Fatalf("creating the invite: %d", st)
	}
	if !inv.ExpiresAt.Equal(clk.Now().Add(auth.InviteTTL)) {
		t.Fatalf("invite expires at %v, want now + %v = %v", inv.ExpiresAt, auth.InviteTTL, clk.Now().Add(auth.InviteTTL))
	}
	e.token = inv.Link[strings.LastIndex(inv.Link, "/")+1:]
	return e
}

func (e *inviteEnv) accept(t *testing.T, token, name string) reply {
	t.Helper()
	return post(t, e.s.Anonymous(t).HTTP, e.s.URL+"/api/invites/"+token+"/accept",
		map[string]string{"name": name, "password": "a long enough password for " + name})
}

// TestInviteExpiredOrReused: an invite link past its 72 h, used once already,
// or unknown is refused with its coded error, both when looked up and when
// accepted, and the refusal changes nothing in the store (no account, no
// session, the invite untouched, no audit line). Expiry is exact: a second
// before it the link still works. The clock is stepped, never slept.
func TestInviteExpiredOrReused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		useFirst bool          // accept the link once before the attempt
		advance  time.Duration // clock step after the invite was created
		token    string        // overrides the invite's token
		status   int
		code     string
	}{
		{name: "a second before expiry still works", advance: auth.InviteTTL - time.Second, status: http.StatusOK},
		{name: "expired by a second", advance: auth.InviteTTL + time.Second, status: http.StatusGone, code: "invite_expired"},
		{name: "expired a month ago", advance: 30 * 24 * time.Hour, status: http.StatusGone, code: "invite_expired"},
		{name: "reused at once", useFirst: true, status: http.StatusGone, code: "invite_used"},
		{name: "reused after expiry", useFirst: true, advance: auth.InviteTTL + time.Hour, status: http.StatusGone, code: "invite_used"},
		{name: "unknown token", token: store.RandomToken(24), status: http.StatusNotFound, code: "invite_invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newInviteEnv(t)
			token := e.token
			if tc.token != "" {
				token = tc.token
			}
			if tc.useFirst {
				if r := e.accept(t, token, "First"); r.status != http.StatusOK {
					t.Fatalf("first use: %d %s", r.status, r.body)
				}
			}
			e.clk.Add(tc.advance)
			before := takeSnapshot(t, e.s)
			info := send(t, e.s.Anonymous(t).HTTP, http.MethodGet, e.s.URL+"/api/invites/"+token, nil)
			r := e.accept(t, token, "Second")
			if tc.status == http.StatusOK {
				if info.status != http.StatusOK || r.status != http.StatusOK {
					t.Fatalf("lookup %d, accept %d %s; want both 200", info.status, r.status, r.body)
				}
				var u store.User
				if err := e.s.App.Store.DB.Take(&u, "email = ?", e.email).Error; err != nil || u.Role != store.RoleTherapist {
					t.Fatalf("accepted invite left no therapist account: %+v %v", u, err)
				}
				return
			}
			for what, got := range map[string]reply{"lookup": info, "accept": r} {
				if got.status != tc.status || got.code != tc.code || got.message == "" {
					t.Errorf("%s: %d %q %q; want %d %s with a message", what, got.status, got.code, got.message, tc.status, tc.code)
				}
			}
			sameSnapshot(t, "a refused invite", before, takeSnapshot(t, e.s))
			var n int64
			e.s.App.Store.DB.Model(&store.User{}).Where("name = ?", "Second").Count(&n)
			if n != 0 {
				t.Errorf("the refused attempt created an account")
			}
		})
	}
}

// TestInviteAcceptedOnceUnderConcurrency: several holders of one link accept
// it at the same moment; exactly one gets an account and a session, every
// other is refused with invite_used.
func TestInviteAcceptedOnceUnderConcurrency(t *testing.T) {
	t.Parallel()
	e := newInviteEnv(t)
	const n = 4
	replies := make([]reply, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			replies[i] = e.accept(t, e.token, "Holder"+string(rune('A'+i)))
		}()
	}
	close(start)
	wg.Wait()
	won := 0
	for i, r := range replies {
		switch {
		case r.status == http.StatusOK:
			won++
		case r.status != http.StatusGone || r.code != "invite_used":
			t.Errorf("attempt %d: %d %q, want 200 or 410 invite_used", i, r.status, r.code)
		}
	}
	var users []store.User
	e.s.App.Store.DB.Where("email = ?", e.email).Find(&users)
	var sessions int64
	if len(users) == 1 {
		e.s.App.Store.DB.Model(&store.AuthSession{}).Where("user_id = ?", users[0].ID).Count(&sessions)
	}
	if won != 1 || len(users) != 1 || sessions != 1 {
		t.Fatalf("%d accepted, %d accounts, %d sessions; want exactly one of each", won, len(users), sessions)
	}
}
