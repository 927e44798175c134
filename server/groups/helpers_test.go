package groups_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"gorm.io/gorm"

	"github.com/havenvr/haven/server/app"
	"github.com/havenvr/haven/server/apptest"
	"github.com/havenvr/haven/server/config"
	"github.com/havenvr/haven/server/groups"
	"github.com/havenvr/haven/server/rtc"
	"github.com/havenvr/haven/server/store"
)

// testUA marks every request so the privacy scan can look for it.
const testUA = "HavenScanUA/9.9 (X11; secret-device)"

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type env struct {
	srv    *apptest.Server
	logs   *syncBuffer
	clinic store.Clinic
	mod    *apptest.Client
}

// uaTransport stamps the test user agent on every request.
type uaTransport struct{ base http.RoundTripper }

func (u uaTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", testUA)
	r.Header.Set("X-Forwarded-For", "203.0.113.77")
	return u.base.RoundTrip(r)
}

// start runs a real server (as apptest does) but keeps its debug log for the
// privacy scan, with test-friendly limits.
func start(t *testing.T, tune func(*groups.Limits)) *env {
	t.Helper()
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := config.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Synchronous: "NORMAL", LoopbackOnly: true}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	lim := groups.DefaultLimits()
	lim.PresenceInterval = 50 * time.Millisecond
	lim.JoinsPerMinute, lim.JoinBurst = 6000, 1000
	lim.NewPerMinute, lim.NewBurst = 600, 50
	if tune != nil {
		tune(&lim)
	}
	a.Groups.SetLimits(lim)
	ln, err := a.Listen()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("server did not stop")
		}
	})
	srv := &apptest.Server{App: a, URL: a.BaseURL(ln)}
	clinic := store.Clinic{ID: store.NewID(), Name: "Test clinic", DefaultLocale: "en", Country: "GB", CreatedAt: time.Now().UTC()}
	if err := a.Store.DB.Create(&clinic).Error; err != nil {
		t.Fatal(err)
	}
	mod := srv.SignIn(t, clinic.ID, store.RoleModerator)
	mod.HTTP.Transport = uaTransport{http.DefaultTransport}
	return &env{srv: srv, logs: logs, clinic: clinic, mod: mod}
}

func (e *env) anon(t *testing.T) *apptest.Client {
	c := e.srv.Anonymous(t)
	c.HTTP.Transport = uaTransport{http.DefaultTransport}
	return c
}

func (e *env) room(t *testing.T, body map[string]any) groups.RoomView {
	t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	if body["topic"] == nil {
		body["topic"] = "Fear of flying — evening group"
	}
	if body["locale"] == nil {
		body["locale"] = "en"
	}
	var v groups.RoomView
	if st, raw := e.mod.Raw(http.MethodPost, "/api/groups/rooms", body); st != http.StatusCreated {
		t.Fatalf("create room: %d %s", st, raw)
	} else if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func (e *env) join(t *testing.T, code string, extra map[string]any) groups.JoinResponse {
	t.Helper()
	body := map[string]any{"code": code, "accept_rules": true}
	for k, v := range extra {
		body[k] = v
	}
	var jr groups.JoinResponse
	if st, raw := e.anon(t).Raw(http.MethodPost, "/api/groups/join", body); st != http.StatusCreated {
		t.Fatalf("join: %d %s", st, raw)
	} else if err := json.Unmarshal(raw, &jr); err != nil {
		t.Fatal(err)
	}
	return jr
}

func (e *env) act(t *testing.T, roomID string, req groups.ActionRequest) {
	t.Helper()
	if st, raw := e.mod.Raw(http.MethodPost, "/api/groups/rooms/"+roomID+"/actions", req); st != http.StatusOK {
		t.Fatalf("action %s: %d %s", req.Action, st, raw)
	}
}

// frame is a decoded server frame.
type frame struct {
	Type string         `json:"type"`
	Seq  uint64         `json:"seq"`
	Body map[string]any `json:"body"`
}

// peer is a real pion client on a room's chat channel.
type peer struct {
	t      *testing.T
	cp     *rtc.ClientPeer
	frames chan frame
	closed chan struct{}
}

func dialPeer(t *testing.T, url string, hc *http.Client, header http.Header) (*peer, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p := &peer{t: t, frames: make(chan frame, 4096), closed: make(chan struct{})}
	cp, err := rtc.Dial(ctx, rtc.NewClientAPI(), rtc.DialOptions{URL: url, Header: header, HTTP: hc, Channels: []string{"chat"},
		OnMessage: func(_ string, m webrtc.DataChannelMessage) {
			// frames that queued up for a busy peer arrive together, one per line
			for line := range bytes.SplitSeq(m.Data, []byte{'\n'}) {
				var f frame
				if json.Unmarshal(line, &f) == nil {
					select {
					case p.frames <- f:
					default:
					}
				}
			}
		}})
	if err != nil {
		return nil, err
	}
	cp.Channels["chat"].OnClose(func() { close(p.closed) })
	p.cp = cp
	t.Cleanup(func() { _ = cp.Close() })
	return p, nil
}

func (e *env) member(t *testing.T, roomID, token string) *peer {
	t.Helper()
	h := http.Header{"Authorization": {"Bearer " + token}}
	p, err := dialPeer(t, e.srv.URL+"/api/groups/rooms/"+roomID+"/peer", &http.Client{Transport: uaTransport{http.DefaultTransport}, Timeout: 10 * time.Second}, h)
	if err != nil {
		t.Fatalf("member peer: %v", err)
	}
	p.expect("welcome", nil)
	return p
}

// roomWithTwo opens a room without a lobby, its moderator connected and
// two members joined and connected: the room most tests start from.
func (e *env) roomWithTwo(t *testing.T) (room groups.RoomView, mod *peer, a groups.JoinResponse, pa *peer, b groups.JoinResponse, pb *peer) {
	t.Helper()
	room = e.room(t, map[string]any{"lobby": false})
	mod = e.moderator(t, room.ID)
	a = e.join(t, room.Code, nil)
	pa = e.member(t, room.ID, a.Token)
	b = e.join(t, room.Code, nil)
	pb = e.member(t, room.ID, b.Token)
	return room, mod, a, pa, b, pb
}

func (e *env) moderator(t *testing.T, roomID string) *peer {
	t.Helper()
	p, err := dialPeer(t, e.srv.URL+"/api/groups/rooms/"+roomID+"/moderator-peer", e.mod.HTTP, http.Header{"X-CSRF-Token": {e.mod.CSRF}})
	if err != nil {
		t.Fatalf("moderator peer: %v", err)
	}
	p.expect("welcome", nil)
	return p
}

func (p *peer) send(typ string, body any) {
	p.t.Helper()
	b, _ := json.Marshal(map[string]any{"v": 1, "type": typ, "body": body})
	p.raw(b)
}

func (p *peer) raw(b []byte) {
	p.t.Helper()
	if err := p.cp.Channels["chat"].Send(b); err != nil {
		p.t.Fatalf("send: %v", err)
	}
}

// expect waits for a frame of typ for which match holds, skipping others.
func (p *peer) expect(typ string, match func(frame) bool) frame {
	p.t.Helper()
	return p.expectWithin(5*time.Second, typ, match)
}

func (p *peer) expectWithin(d time.Duration, typ string, match func(frame) bool) frame {
	p.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case f := <-p.frames:
			if f.Type == typ && (match == nil || match(f)) {
				return f
			}
		case <-deadline:
			p.t.Fatalf("no %s frame within %s", typ, d)
			return frame{}
		}
	}
}

// expectClean waits like expect but fails if a frame matching bad comes first.
func (p *peer) expectClean(typ string, match func(frame) bool, bad func(frame) bool) frame {
	p.t.Helper()
	return p.expect(typ, func(f frame) bool {
		if bad(f) {
			p.t.Fatalf("unexpected frame %s: %v", f.Type, f.Body)
		}
		return match == nil || match(f)
	})
}

// none asserts that no frame matching typ and match arrives within d.
func (p *peer) none(typ string, match func(frame) bool, d time.Duration) {
	p.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case f := <-p.frames:
			if f.Type == typ && (match == nil || match(f)) {
				p.t.Fatalf("unexpected %s frame: %v", typ, f.Body)
			}
		case <-deadline:
			return
		}
	}
}

func notice(id string) func(frame) bool {
	return func(f frame) bool { return f.Body["id"] == id }
}

func textIs(s string) func(frame) bool {
	return func(f frame) bool { t, _ := f.Body["text"].(string); return t == s }
}

func textHas(s string) func(frame) bool {
	return func(f frame) bool { t, _ := f.Body["text"].(string); return strings.Contains(t, s) }
}

// admitted joins a member and lets them in through the moderator.
func (e *env) admitted(t *testing.T, room groups.RoomView, mod *peer) (groups.JoinResponse, *peer) {
	t.Helper()
	jr := e.join(t, room.Code, nil)
	p := e.member(t, room.ID, jr.Token)
	if !jr.Admitted {
		mod.expect("lobby", func(f frame) bool { return strings.Contains(toJSON(f.Body), jr.MemberID) })
		e.act(t, room.ID, groups.ActionRequest{Action: groups.ActAdmit, MemberID: jr.MemberID, Reason: "welcome"})
		p.expect("notice", notice("group.notice.admitted"))
	}
	return jr, p
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// checkpoint moves the WAL into the database file before a scan of the raw
// bytes (the scans read the WAL too, in case a reader kept part of it).
// Raw and Scan, not Exec: the pragma answers a row (busy, log,
// checkpointed), and a result left unread keeps its pooled connection's
// statement open, which holds back later commits.
func checkpoint(t *testing.T, db *gorm.DB) {
	t.Helper()
	var ck struct{ Busy, Log, Checkpointed int }
	if err := db.Raw("PRAGMA wal_checkpoint(TRUNCATE)").Scan(&ck).Error; err != nil {
		t.Fatalf("checkpointing: %v", err)
	}
}
