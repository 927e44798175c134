package auth_test

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/havenvr/haven/server/apptest"
	"github.com/havenvr/haven/server/auth"
	"github.com/havenvr/haven/server/store"
)

// account is a signed-up clinic account a test signs in as.
type account struct{ email, password string }

// seedAccounts creates n therapist accounts sharing one password hash (one
// argon2id hash instead of n keeps the test fast).
func seedAccounts(t *testing.T, s *apptest.Server, clinicID, prefix string, n int) []account {
	t.Helper()
	const password = "a long therapist password"
	hash := auth.HashPassword(password)
	out := make([]account, n)
	for i := range out {
		out[i] = account{email: fmt.Sprintf("%s-%02d@limits.test", prefix, i), password: password}
		u := store.User{ID: store.NewID(), ClinicID: clinicID, Email: out[i].email, Name: "T", Role: store.RoleTherapist,
			PasswordHash: hash, CreatedAt: time.Now().UTC()}
		if err := s.App.Store.DB.Create(&u).Error; err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// clientFrom returns an HTTP client whose connections come from local
// address ip (any 127.0.0.0/8 address reaches the loopback listener on Linux).
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}, Timeout: 30 * time.Second}
}

func login(t *testing.T, hc *http.Client, s *apptest.Server, email, password string) reply {
	t.Helper()
	return post(t, hc, s.URL+"/api/auth/login", map[string]string{"email": email, "password": password})
}

// wantLimited asserts the coded 429: rate_limited, a localized message
// naming the wait, and Retry-After in whole seconds equal to wait.
func wantLimited(t *testing.T, what string, r reply, wait int) {
	t.Helper()
	if r.status != http.StatusTooManyRequests || r.code != "rate_limited" {
		t.Fatalf("%s: %d %q (%s), want 429 rate_limited", what, r.status, r.code, r.body)
	}
	if r.retryAfter != strconv.Itoa(wait) {
		t.Fatalf("%s: Retry-After %q, want %d", what, r.retryAfter, wait)
	}
	if !strings.Contains(r.message, strconv.Itoa(wait)) {
		t.Fatalf("%s: message %q does not name the %d s wait", what, r.message, wait)
	}
}

// TestLoginLimitPerAddress exercises the per-address sign-in limit on its own
// (README: 30/min per address): one address signing in to many different
// accounts — each tried once or twice, far below the per-account limit — is
// let through for a burst of 20, then refused with the coded 429 and
// Retry-After whatever the account or password, with no session or audit
// line written; another address is unaffected; over a sustained minute the
// address gets exactly 30 sign-ins. The clock is stepped, never slept.
func TestLoginLimitPerAddress(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := startClocked(t, clk)
	cl := s.NewClinic(t, "Busy Clinic")
	accts := seedAccounts(t, s, cl.ID, "addr", 24)
	hc := s.Anonymous(t).HTTP
	next := 0 // accounts are used round-robin, each far below 5 tries
	signIn := func() reply {
		a := accts[next%len(accts)]
		next++
		return login(t, hc, s, a.email, a.password)
	}

	const burst = 20
	for i := range burst {
		if r := signIn(); r.status != http.StatusOK {
			t.Fatalf("sign-in %d of the burst (account %d): %d %s", i+1, i, r.status, r.body)
		}
	}
	before := takeSnapshot(t, s)
	fresh := accts[burst] // never tried: its own limit is untouched
	for _, tc := range []struct{ name, email, password string }{
		{"fresh account, right password", fresh.email, fresh.password},
		{"another fresh account, wrong password", accts[burst+1].email, "wrong password"},
		{"no such account", "nobody@limits.test", "whatever"},
		{"an account that already signed in", accts[0].email, accts[0].password},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// 30/min is one sign-in every 2 s.
			wantLimited(t, tc.name, login(t, hc, s, tc.email, tc.password), 2)
		})
	}
	sameSnapshot(t, "refused sign-ins", before, takeSnapshot(t, s))

	// The limit is per address: another loopback address signs in at once.
	if r := login(t, clientFrom("127.0.0.2"), s, fresh.email, fresh.password); r.status != http.StatusOK {
		t.Fatalf("sign-in from another address while the first is limited: %d %s", r.status, r.body)
	}

	clk.Add(time.Second)
	wantLimited(t, "1 s later", login(t, hc, s, fresh.email, fresh.password), 1)
	clk.Add(time.Second)
	if r := login(t, hc, s, fresh.email, fresh.password); r.status != http.StatusOK {
		t.Fatalf("2 s later: %d %s, want one sign-in allowed", r.status, r.body)
	}
	wantLimited(t, "right after", login(t, hc, s, fresh.email, fresh.password), 2)

	// A steady minute from an exhausted bucket: exactly 30 sign-ins.
	allowed, refused := 0, 0
	for range 60 {
		clk.Add(time.Second)
		switch r := signIn(); r.status {
		case http.StatusOK:
			allowed++
		case http.StatusTooManyRequests:
			refused++
		default:
			t.Fatalf("sustained sign-in: %d %s", r.status, r.body)
		}
	}
	if allowed != 30 || refused != 30 {
		t.Fatalf("one attempt a second for a minute: %d allowed, %d refused; want 30 and 30", allowed, refused)
	}
}

// TestLoginLimitPerAccount: 5 tries per account, then one per 12 s; a
// successful sign-in clears the account's count.
func TestLoginLimitPerAccount(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := startClocked(t, clk)
	cl := s.NewClinic(t, "Quiet Clinic")
	a := seedAccounts(t, s, cl.ID, "acct", 1)[0]
	hc := s.Anonymous(t).HTTP
	steps := []struct {
		name     string
		advance  time.Duration
		password string
		status   int
		wait     int // Retry-After when limited
	}{
		{"try 1", 0, "wrong", http.StatusUnauthorized, 0},
		{"try 2", 0, "wrong", http.StatusUnauthorized, 0},
		{"try 3", 0, "wrong", http.StatusUnauthorized, 0},
		{"try 4", 0, "wrong", http.StatusUnauthorized, 0},
		{"try 5", 0, "wrong", http.StatusUnauthorized, 0},
		{"sixth try, even with the right password", 0, a.password, http.StatusTooManyRequests, 12},
		{"11 s later", 11 * time.Second, a.password, http.StatusTooManyRequests, 1},
		{"12 s later", time.Second, a.password, http.StatusOK, 0},
		{"after the success, try 1", 0, "wrong", http.StatusUnauthorized, 0},
		{"after the success, try 2", 0, "wrong", http.StatusUnauthorized, 0},
		{"after the success, try 3", 0, "wrong", http.StatusUnauthorized, 0},
		{"after the success, try 4", 0, "wrong", http.StatusUnauthorized, 0},
		{"after the success, try 5", 0, "wrong", http.StatusUnauthorized, 0},
		{"after the success, sixth try", 0, "wrong", http.StatusTooManyRequests, 12},
	}
	for _, st := range steps {
		clk.Add(st.advance)
		r := login(t, hc, s, a.email, st.password)
		if st.status == http.StatusTooManyRequests {
			wantLimited(t, st.name, r, st.wait)
			continue
		}
		if r.status != st.status {
			t.Fatalf("%s: %d %s, want %d", st.name, r.status, r.body, st.status)
		}
		if st.status == http.StatusUnauthorized && r.code != "login_failed" {
			t.Fatalf("%s: code %q, want login_failed", st.name, r.code)
		}
	}
}
