package live_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/havenvr/haven/server/apptest"
	"github.com/havenvr/haven/server/live"
)

// steppedClock is a clock tests move forward instead of sleeping.
type steppedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *steppedClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *steppedClock) step(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fromAddr is an HTTP client whose connections leave from ip (any 127/8
// address reaches the loopback listener), so the server sees another address.
func fromAddr(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{DialContext: d.DialContext}}
}

type reply struct {
	status int
	code   string
	msg    string
	retry  string
}

func send(t *testing.T, hc *http.Client, method, url, ctype string, body []byte, hdr http.Header) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Accept-Language", "es")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var e struct {
		Error struct{ Code, Message string }
	}
	_ = json.Unmarshal(data, &e)
	return reply{status: resp.StatusCode, code: e.Error.Code, msg: e.Error.Message, retry: resp.Header.Get("Retry-After")}
}

// wantLimited asserts the coded 429: Retry-After in whole seconds and the
// message localized (Spanish, from Accept-Language) with that number in it.
func wantLimited(t *testing.T, srv *apptest.Server, r reply, what string) {
	t.Helper()
	if r.status != http.StatusTooManyRequests || r.code != "rate_limited" {
		t.Fatalf("%s: got %d %q, want 429 rate_limited", what, r.status, r.code)
	}
	n, err := strconv.Atoi(r.retry)
	if err != nil || n < 1 {
		t.Fatalf("%s: Retry-After %q", what, r.retry)
	}
	want, err := srv.App.Localize.Bundle.ForLocale("", "es").Lookup("error.rate_limited", map[string]any{"Count": n})
	if err != nil {
		t.Fatalf("localizing: %v", err)
	}
	if r.msg != want || !strings.Contains(r.msg, r.retry) {
		t.Fatalf("%s: message %q, want %q", what, r.msg, want)
	}
}

// TestJoinCodeGuessingLimit guesses join codes from one address past the
// limit (10 at once, 20 a minute), then shows the limit is per address and
// per window: the right code is refused from the guessing address, accepted
// from another, and accepted from the first once the window has passed.
func TestJoinCodeGuessingLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	clock := &steppedClock{t: time.Now()}
	f.srv.App.Live.SetLimitClock(clock.now)
	join := func(hc *http.Client, code string) reply {
		body, _ := json.Marshal(map[string]string{"code": code})
		return send(t, hc, http.MethodPost, f.srv.URL+"/api/join", "application/json", body, nil)
	}
	guesser, other := fromAddr("127.0.0.1"), fromAddr("127.0.0.2")
	if r := join(other, "ZZZZZZZZ"); r.status != http.StatusNotFound {
		t.Skipf("127.0.0.2 is not usable as a source address here: %d", r.status)
	}
	for i := 0; i < 10; i++ {
		if r := join(guesser, fmt.Sprintf("WRONG%03d", i)); r.status != http.StatusNotFound || r.code != "join_code_invalid" {
			t.Fatalf("guess %d: %d %q, want 404 join_code_invalid", i, r.status, r.code)
		}
	}
	wantLimited(t, f.srv, join(guesser, "WRONG999"), "11th guess")

	second := f.schedule(nil)
	for _, tc := range []struct {
		name    string
		hc      *http.Client
		session string
		advance time.Duration
		want    int
	}{
		{"right code, guessing address", guesser, f.session, 0, http.StatusTooManyRequests},
		{"right code, other address", other, f.session, 0, http.StatusOK},
		{"right code, guessing address after the window", guesser, second, time.Minute, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock.step(tc.advance)
			r := join(tc.hc, f.joinCode(tc.session))
			if tc.want == http.StatusTooManyRequests {
				wantLimited(t, f.srv, r, tc.name)
				return
			}
			if r.status != tc.want {
				t.Fatalf("%d %q, want %d", r.status, r.code, tc.want)
			}
		})
	}
}

// TestSignallingLimit sends offers past the per-credential limit to the
// patient's and the console's WHIP endpoints. Garbage offers count: the limit
// is taken before the SDP is parsed. Another session's credential is not
// affected, and after the window a real console connects.
func TestSignallingLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	clock := &steppedClock{t: time.Now()}
	f.srv.App.Live.SetLimitClock(clock.now)
	var j struct{ Token string }
	if st := f.srv.Anonymous(t).Do(http.MethodPost, "/api/join", map[string]string{"code": f.joinCode(f.session)}, &j); st != http.StatusOK {
		t.Fatalf("join: %d", st)
	}
	other := f.schedule(nil)
	csrf := http.Header{"X-Csrf-Token": {f.th.CSRF}}
	bearer := http.Header{"Authorization": {"Bearer " + j.Token}}
	for _, tc := range []struct {
		name string
		hc   *http.Client
		url  func(session string) string
		hdr  http.Header
	}{
		{"patient offer", http.DefaultClient, func(id string) string { return f.srv.URL + "/api/sessions/" + id + "/whip" }, bearer},
		{"console offer", f.th.HTTP, func(id string) string { return f.srv.URL + "/api/sessions/" + id + "/console/whip" }, csrf},
	} {
		t.Run(tc.name, func(t *testing.T) {
			offer := func(id string) reply {
				return send(t, tc.hc, http.MethodPost, tc.url(id), "application/sdp", []byte("v=0 not an offer"), tc.hdr)
			}
			for i := 0; i < live.DefaultSignalBurst; i++ {
				if r := offer(f.session); r.status != http.StatusBadRequest || r.code != "sdp_invalid" {
					t.Fatalf("offer %d: %d %q, want 400 sdp_invalid", i, r.status, r.code)
				}
			}
			wantLimited(t, f.srv, offer(f.session), "offer past the burst")
			if tc.name == "console offer" {
				// The same account on another session has its own bucket.
				if r := offer(other); r.status != http.StatusBadRequest {
					t.Fatalf("other session: %d %q, want 400 (not limited)", r.status, r.code)
				}
			}
		})
	}
	clock.step(time.Minute)
	f.console(f.session, "") // fails the test unless the real offer is answered
}
