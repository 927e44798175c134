package live_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/havenvr/haven/server/apptest"
	"github.com/havenvr/haven/server/config"
	"github.com/havenvr/haven/server/rtc"
	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

// fixture is a running server with a therapist, a patient record and a session.
type fixture struct {
	t       testing.TB
	srv     *apptest.Server
	th      *apptest.Client
	session string

	mu    sync.Mutex // parallel subtests share a fixture
	token string     // the last patient's bearer token
}

// setToken and lastToken guard the last patient's token: subtests that share
// a fixture join patients concurrently.
func (f *fixture) setToken(tok string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.token = tok
}

func (f *fixture) lastToken() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.token
}

func newFixture(t testing.TB, body map[string]any) *fixture {
	t.Helper()
	return newFixtureWith(t, nil, body)
}

// newFixtureIn keeps the database in dir (restart tests).
func newFixtureIn(t testing.TB, dir string) *fixture {
	t.Helper()
	return newFixtureWith(t, func(c *config.Config) { c.DataDir = dir }, nil)
}

func newFixtureWith(t testing.TB, modify func(*config.Config), body map[string]any) *fixture {
	t.Helper()
	srv := apptest.Start(t, modify)
	srv.App.Live.SetEngineSpeed(200) // the 3-minute baseline passes in under a second
	cl := srv.NewClinic(t, "Clinic")
	th := srv.SignIn(t, cl.ID, store.RoleTherapist)
	f := &fixture{t: t, srv: srv, th: th}
	f.session = f.schedule(body)
	return f
}

func (f *fixture) patientID() string {
	f.t.Helper()
	var p struct{ ID string }
	st := f.th.Do(http.MethodPost, "/api/patients", map[string]any{"code": "P-" + store.RandomToken(4), "birth_year": 1990, "screening": map[string]bool{}}, &p)
	if st != http.StatusCreated && st != http.StatusOK {
		f.t.Fatalf("creating patient: %d", st)
	}
	return p.ID
}

func (f *fixture) schedule(body map[string]any) string {
	f.t.Helper()
	if body == nil {
		body = map[string]any{"protocol_id": "heights_ladder"}
	}
	if _, ok := body["patient_id"]; !ok {
		body["patient_id"] = f.patientID()
	}
	var sess struct{ ID, State string }
	if st := f.th.Do(http.MethodPost, "/api/sessions", body, &sess); st != http.StatusCreated || sess.State != store.LiveScheduled {
		f.t.Fatalf("scheduling: %d %+v", st, sess)
	}
	return sess.ID
}

func (f *fixture) joinCode(id string) string {
	f.t.Helper()
	var jc struct {
		Code, Link string
		QRPNG      string `json:"qr_png"`
	}
	st := f.th.Do(http.MethodPost, "/api/sessions/"+id+"/join-code", nil, &jc)
	if st != http.StatusOK || len(jc.Code) != 9 || !strings.HasPrefix(jc.QRPNG, "data:image/png;base64,") {
		f.t.Fatalf("join code: %d %+v", st, jc)
	}
	// The printed link opens the patient client with the code in the
	// fragment only: nothing of it reaches a server or proxy log.
	if want := "/xr/#code=" + strings.ReplaceAll(jc.Code, "-", ""); jc.Link != want {
		f.t.Fatalf("join link %q, want %q", jc.Link, want)
	}
	return jc.Code
}

func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// patient joins with a fresh code and connects a simulated headset.
func (f *fixture) patient(id string, opts simpeer.PatientOptions) *simpeer.Patient {
	f.t.Helper()
	ctx := ctxT(f.t, 15*time.Second)
	sid, tok, err := simpeer.Join(ctx, http.DefaultClient, f.srv.URL, f.joinCode(id))
	if err != nil || sid != id {
		f.t.Fatalf("join: %v (%s)", err, sid)
	}
	opts.BaseURL, opts.SessionID, opts.Token = f.srv.URL, sid, tok
	f.setToken(tok)
	p := simpeer.NewPatient(opts)
	if err := p.Connect(ctx); err != nil {
		f.t.Fatalf("patient connect: %v", err)
	}
	p.Start()
	f.t.Cleanup(p.Close)
	return p
}

func (f *fixture) console(id, query string) *simpeer.Therapist {
	f.t.Helper()
	h := http.Header{}
	h.Set("X-CSRF-Token", f.th.CSRF)
	c, err := simpeer.DialTherapist(ctxT(f.t, 15*time.Second), simpeer.TherapistOptions{
		URL: f.srv.URL + "/api/sessions/" + id + "/console/whip" + query, Header: h, HTTP: f.th.HTTP})
	if err != nil {
		f.t.Fatalf("console: %v", err)
	}
	f.t.Cleanup(func() { _ = c.Close() })
	return c
}

func wait(t testing.TB, in interface {
	Wait(context.Context, func(simpeer.Received) bool) (simpeer.Received, error)
}, d time.Duration, what string, pred func(simpeer.Received) bool) simpeer.Received {
	t.Helper()
	r, err := in.Wait(ctxT(t, d), pred)
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
	return r
}

func state(want string) func(simpeer.Received) bool {
	return func(r simpeer.Received) bool {
		s, ok := r.Body.(*wire.SessionState)
		return ok && s.State == want
	}
}

func engineKind(kind string, src uint64) func(simpeer.Received) bool {
	return func(r simpeer.Received) bool {
		e, ok := r.Body.(*wire.Engine)
		return ok && e.Kind == kind && (src == 0 || r.SrcSeq == src)
	}
}

// heartbeats waits until in has heard n heartbeats after since, and returns
// when the last arrived. A test that must let the room run on a while before
// it asserts that something did not happen waits on these: n heartbeats
// mean the room's clock has run at least n-1 heartbeat periods (375–500 ms
// each), however slowly a busy machine runs it.
func heartbeats(t testing.TB, in interface {
	Wait(context.Context, func(simpeer.Received) bool) (simpeer.Received, error)
}, since time.Time, n int, within time.Duration) time.Time {
	t.Helper()
	for range n {
		r := wait(t, in, within, "a heartbeat", func(r simpeer.Received) bool { return r.Type == "heartbeat" && r.At.After(since) })
		since = r.At
	}
	return since
}

// engineBody is the record an engine message carries, as a console reads
// it (nil for another message or one without a body).
func engineBody(r simpeer.Received) map[string]any {
	e, ok := r.Body.(*wire.Engine)
	if !ok || e.Body == nil {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(e.Body, &m); err != nil {
		panic(fmt.Sprintf("engine %s: body %s: %v", e.Kind, e.Body, err))
	}
	return m
}

func typeSrc(typ string, src uint64) func(simpeer.Received) bool {
	return func(r simpeer.Received) bool { return r.Type == typ && r.SrcSeq == src }
}

func errCode(code string) func(simpeer.Received) bool {
	return func(r simpeer.Received) bool {
		e, ok := r.Body.(*wire.Error)
		return ok && r.Type == "error" && e.Code == code
	}
}

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }

func asSignalError(err error) (*rtc.SignalError, bool) {
	var se *rtc.SignalError
	ok := errors.As(err, &se)
	return se, ok
}

func itoa(i int) string { return strconv.Itoa(i) }

// count counts a session's rows of a table matching a condition.
func (f *fixture) count(table, where string, args ...any) int64 {
	f.t.Helper()
	var n int64
	if err := f.srv.App.Store.DB.Table(table).Where("session_id = ?", f.session).Where(where, args...).Count(&n).Error; err != nil {
		f.t.Fatal(err)
	}
	return n
}
