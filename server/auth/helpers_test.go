package auth_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/havenvr/haven/server/app"
	"github.com/havenvr/haven/server/apptest"
	"github.com/havenvr/haven/server/store"
)

// clock is a test clock the server reads concurrently; tests step it
// instead of sleeping.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2030, 1, 2, 9, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *clock) Now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Add(d time.Duration) { c.ns.Add(int64(d)) }

// startClocked is apptest.Start with the account service reading clk,
// installed before the server handles any request.
func startClocked(t *testing.T, clk *clock) *apptest.Server {
	t.Helper()
	return apptest.StartWith(t, nil, func(a *app.App) { a.Auth.SetClock(clk.Now) })
}

// reply is a response's status, coded error and Retry-After header.
type reply struct {
	status     int
	code       string
	message    string
	retryAfter string
	body       []byte
}

// post sends a JSON POST with hc (no CSRF: only public routes use it).
func post(t *testing.T, hc *http.Client, url string, body any) reply {
	t.Helper()
	return send(t, hc, http.MethodPost, url, body)
}

func send(t *testing.T, hc *http.Client, method, url string, body any) reply {
	t.Helper()
	var req *http.Request
	var err error
	if body != nil {
		data, merr := json.Marshal(body)
		if merr != nil {
			t.Fatal(merr)
		}
		req, err = http.NewRequest(method, url, bytes.NewReader(data))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
	} else {
		req, err = http.NewRequest(method, url, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	_ = json.Unmarshal(data, &e)
	return reply{status: resp.StatusCode, code: e.Error.Code, message: e.Error.Message, retryAfter: resp.Header.Get("Retry-After"), body: data}
}

// snapshot is every row the account flows write, to prove a refusal changed nothing.
type snapshot struct {
	Users, Sessions, Clinics, Audit int64
	Invites                         []store.Invite
}

func takeSnapshot(t *testing.T, s *apptest.Server) snapshot {
	t.Helper()
	var out snapshot
	db := s.App.Store.DB
	for _, c := range []struct {
		model any
		n     *int64
	}{{&store.User{}, &out.Users}, {&store.AuthSession{}, &out.Sessions}, {&store.Clinic{}, &out.Clinics}, {&store.AuditEvent{}, &out.Audit}} {
		if err := db.Model(c.model).Count(c.n).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Order("token_hash").Find(&out.Invites).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

func sameSnapshot(t *testing.T, what string, before, after snapshot) {
	t.Helper()
	b, _ := json.Marshal(before)
	a, _ := json.Marshal(after)
	if string(a) != string(b) {
		t.Errorf("%s changed the store:\nbefore %s\nafter  %s", what, b, a)
	}
}

func decode(t *testing.T, raw []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
}
