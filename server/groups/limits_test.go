package groups_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/havenvr/haven/server/groups"
)

// fromAddr is an HTTP client whose connections leave from ip (any 127/8
// address reaches the loopback listener), so the server sees another address.
func fromAddr(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{DialContext: d.DialContext}}
}

type reply struct {
	status          int
	code, msg, wait string
	body            []byte
}

func (e *env) send(t *testing.T, hc *http.Client, method, path, ctype string, body []byte, hdr http.Header) reply {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
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
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var er struct {
		Error struct{ Code, Message string }
	}
	_ = json.Unmarshal(data, &er)
	return reply{status: resp.StatusCode, code: er.Error.Code, msg: er.Error.Message, wait: resp.Header.Get("Retry-After"), body: data}
}

// wantLimited asserts the coded 429: Retry-After in whole seconds and the
// message localized (Spanish, from Accept-Language) with that number in it.
func (e *env) wantLimited(t *testing.T, r reply, what string) {
	t.Helper()
	if r.status != http.StatusTooManyRequests || r.code != "rate_limited" {
		t.Fatalf("%s: got %d %q, want 429 rate_limited", what, r.status, r.code)
	}
	n, err := strconv.Atoi(r.wait)
	if err != nil || n < 1 {
		t.Fatalf("%s: Retry-After %q", what, r.wait)
	}
	want, err := e.srv.App.Localize.Bundle.ForLocale("", "es").Lookup("error.rate_limited", map[string]any{"Count": n})
	if err != nil {
		t.Fatalf("localizing: %v", err)
	}
	if r.msg != want || !strings.Contains(r.msg, r.wait) {
		t.Fatalf("%s: message %q, want %q", what, r.msg, want)
	}
}

// TestJoinLimit guesses room codes from one address past the production
// limit, then shows the limit is per address and per window: the right code
// is refused from the guessing address, accepted from another one, and
// accepted from the first after the window (the service's clock stepped).
func TestJoinLimit(t *testing.T) {
	t.Parallel()
	def := groups.DefaultLimits()
	e := start(t, func(l *groups.Limits) { l.JoinsPerMinute, l.JoinBurst = def.JoinsPerMinute, def.JoinBurst })
	room := e.room(t, map[string]any{"lobby": false})
	join := func(hc *http.Client, code string) reply {
		body, _ := json.Marshal(map[string]any{"code": code, "accept_rules": true})
		return e.send(t, hc, http.MethodPost, "/api/groups/join", "application/json", body, nil)
	}
	guesser, other := fromAddr("127.0.0.1"), fromAddr("127.0.0.2")
	if r := join(other, "NOPE-NOPE"); r.status != http.StatusNotFound {
		t.Skipf("127.0.0.2 is not usable as a source address here: %d %s", r.status, r.body)
	}
	for i := 0; i < def.JoinBurst; i++ {
		if r := join(guesser, fmt.Sprintf("WRONG-%03d", i)); r.status != http.StatusNotFound {
			t.Fatalf("guess %d: %d %q, want 404", i, r.status, r.code)
		}
	}
	e.wantLimited(t, join(guesser, "WRONG-999"), "guess past the burst")
	for _, tc := range []struct {
		name    string
		hc      *http.Client
		advance time.Duration
		want    int
	}{
		{"right code, guessing address", guesser, 0, http.StatusTooManyRequests},
		{"right code, other address", other, 0, http.StatusCreated},
		{"right code, guessing address after the window", guesser, time.Minute, http.StatusCreated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.srv.App.Groups.AdvanceClock(tc.advance)
			r := join(tc.hc, room.Code)
			if tc.want == http.StatusTooManyRequests {
				e.wantLimited(t, r, tc.name)
				return
			}
			if r.status != tc.want {
				t.Fatalf("%d %s, want %d", r.status, r.body, tc.want)
			}
		})
	}
}

// TestSignallingLimit sends offers past the per-credential limit to the
// member and moderator peer endpoints (garbage offers count: the limit is
// taken before the SDP is read). Another member is not affected, and after
// the window real peers connect.
func TestSignallingLimit(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	room := e.room(t, map[string]any{"lobby": false})
	a, b := e.join(t, room.Code, nil), e.join(t, room.Code, nil)
	burst := groups.DefaultLimits().SignalBurst
	member := func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }
	for _, tc := range []struct {
		name   string
		hc     *http.Client
		path   string
		hdr    http.Header
		others http.Header // another credential on the same endpoint (nil: none)
	}{
		{"member peer", http.DefaultClient, "/api/groups/rooms/" + room.ID + "/peer", member(a.Token), member(b.Token)},
		{"moderator peer", e.mod.HTTP, "/api/groups/rooms/" + room.ID + "/moderator-peer", http.Header{"X-Csrf-Token": {e.mod.CSRF}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			offer := func(h http.Header) reply {
				return e.send(t, tc.hc, http.MethodPost, tc.path, "application/sdp", []byte("v=0 not an offer"), h)
			}
			for i := 0; i < burst; i++ {
				if r := offer(tc.hdr); r.status != http.StatusBadRequest {
					t.Fatalf("offer %d: %d %s, want 400", i, r.status, r.body)
				}
			}
			e.wantLimited(t, offer(tc.hdr), "offer past the burst")
			if tc.others != nil {
				if r := offer(tc.others); r.status != http.StatusBadRequest {
					t.Fatalf("another member: %d %s, want 400 (not limited)", r.status, r.body)
				}
			}
		})
	}
	e.srv.App.Groups.AdvanceClock(time.Minute)
	e.member(t, room.ID, a.Token) // fail the test unless the real offers are answered
	e.moderator(t, room.ID)
}
