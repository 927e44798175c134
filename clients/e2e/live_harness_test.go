package e2e

// The live-session browser toolkit: the REAL Haven server (apptest, loopback
// only, serving the built patient client at /xr/), a therapist signed in
// through the API who schedules a session, and a simulated console
// (simpeer.DialTherapist: a real pion peer on the console WHIP endpoint)
// that drives it. The patient is headless Chromium with its own WebRTC stack.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/havenvr/haven/server/apptest"
	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

// liveEnv is a running server with one scheduled session and its console peer.
type liveEnv struct {
	t       *testing.T
	srv     *apptest.Server
	th      *apptest.Client
	session string
	con     *simpeer.Therapist
}

// heightsAt3 is the composition the safety tests run: a balcony on the third floor.
var heightsAt3 = map[string]any{"template": "heights", "params": map[string]any{"floor": 3}}

// startLive starts the server, signs a therapist in, schedules a practice
// session on composition and connects the therapist's console peer.
func startLive(t *testing.T, composition map[string]any) *liveEnv {
	t.Helper()
	return startLiveFor(t, composition, nil)
}

// startLiveFor is startLive for a patient record with the given extra
// fields (e.g. {"locale": "es"}).
func startLiveFor(t *testing.T, composition, patient map[string]any) *liveEnv {
	t.Helper()
	RequireBuilt(t, "webxr")
	srv := apptest.Start(t, nil)
	cl := srv.NewClinic(t, "Clinic "+store.RandomToken(4))
	e := &liveEnv{t: t, srv: srv, th: srv.SignIn(t, cl.ID, store.RoleTherapist)}
	// A practice session (the clinic's training patient): the only kind in
	// which the headset runs its labelled simulated sensor by itself. With
	// patient fields, a session for a new patient of that record instead
	// (screening overridden, as a therapist would record it).
	body := map[string]any{"practice": true, "composition": composition}
	if patient != nil {
		var pat struct{ ID string }
		fields := map[string]any{"code": "P-" + store.RandomToken(4), "birth_year": 1990}
		for k, v := range patient {
			fields[k] = v
		}
		if st := e.th.Do(http.MethodPost, "/api/patients", fields, &pat); st != http.StatusCreated && st != http.StatusOK {
			t.Fatalf("live: creating patient: status %d", st)
		}
		body = map[string]any{"patient_id": pat.ID, "composition": composition, "screening_override": map[string]any{"reason": "screened on paper at intake"}}
	}
	var sess struct{ ID, State string }
	if st := e.th.Do(http.MethodPost, "/api/sessions", body, &sess); st != http.StatusCreated || sess.State != store.LiveScheduled {
		t.Fatalf("live: scheduling: status %d %+v", st, sess)
	}
	e.session = sess.ID
	h := http.Header{}
	h.Set("X-CSRF-Token", e.th.CSRF)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	con, err := simpeer.DialTherapist(ctx, simpeer.TherapistOptions{
		URL: srv.URL + "/api/sessions/" + sess.ID + "/console/whip", Header: h, HTTP: e.th.HTTP})
	if err != nil {
		t.Fatalf("live: console peer: %v", err)
	}
	t.Cleanup(func() { _ = con.Close() })
	e.con = con
	t.Cleanup(e.logConsoleOnFailure)
	e.waitConsole(5*time.Second, "console hello", simpeer.Type("hello"))
	return e
}

// logConsoleOnFailure lists, for a failed test, what the server told the
// therapist's console (heartbeats and metrics aside): a link the server
// declared lost, a refusal or a pause the page never mentions shows here.
func (e *liveEnv) logConsoleOnFailure() {
	if !e.t.Failed() {
		return
	}
	for _, r := range e.con.All() {
		if r.Type == "heartbeat" || r.Type == "metrics" {
			continue
		}
		b, _ := json.Marshal(r.Body)
		e.t.Logf("console got %s %s (src %d): %.300s", r.At.Format("15:04:05.000"), r.Type, r.SrcSeq, b)
	}
}

// joinCode asks the server for a fresh join code, as the console does.
func (e *liveEnv) joinCode() string {
	e.t.Helper()
	var jc struct{ Code, Link string }
	if st := e.th.Do(http.MethodPost, "/api/sessions/"+e.session+"/join-code", nil, &jc); st != http.StatusOK || jc.Code == "" {
		e.t.Fatalf("live: join code: status %d %+v", st, jc)
	}
	return jc.Code
}

// waitConsole waits for a message to the therapist's console matching pred.
func (e *liveEnv) waitConsole(d time.Duration, what string, pred func(simpeer.Received) bool) simpeer.Received {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	r, err := e.con.Wait(ctx, pred)
	if err != nil {
		e.t.Fatalf("live: console never got %s within %s: %v", what, d, err)
	}
	return r
}

// since restricts pred to messages that arrived after t0 (the inbox keeps history).
func since(t0 time.Time, pred func(simpeer.Received) bool) func(simpeer.Received) bool {
	return func(r simpeer.Received) bool { return !r.At.Before(t0) && pred(r) }
}

func alertCode(code string) func(simpeer.Received) bool {
	return func(r simpeer.Received) bool {
		a, ok := r.Body.(*wire.Alert)
		return ok && r.Type == "alert" && a.Code == code
	}
}

func sessionState(state string, patient bool) func(simpeer.Received) bool {
	return func(r simpeer.Received) bool {
		s, ok := r.Body.(*wire.SessionState)
		return ok && s.State == state && s.Patient == patient
	}
}

func stateIs(state string) func(simpeer.Received) bool {
	return func(r simpeer.Received) bool {
		s, ok := r.Body.(*wire.SessionState)
		return ok && s.State == state
	}
}

func srcType(typ string, src uint64) func(simpeer.Received) bool {
	return func(r simpeer.Received) bool { return r.Type == typ && r.SrcSeq == src }
}

// stored is the session row as the API reports it.
func (e *liveEnv) stored() (state, reason string) {
	e.t.Helper()
	var s struct {
		State       string `json:"state"`
		StateReason string `json:"state_reason"`
	}
	if st := e.th.Do(http.MethodGet, "/api/sessions/"+e.session, nil, &s); st != http.StatusOK {
		e.t.Fatalf("live: reading session: status %d", st)
	}
	return s.State, s.StateReason
}

// signalSeqs are the seqs of the biosignal batches committed to the store, ascending.
func (e *liveEnv) signalSeqs() []int {
	e.t.Helper()
	var seqs []int
	if err := e.srv.App.Store.DB.Raw("SELECT seq FROM sample_chunks WHERE session_id = ? ORDER BY seq", e.session).Scan(&seqs).Error; err != nil {
		e.t.Fatalf("live: reading sample chunks: %v", err)
	}
	return seqs
}

// checkSeqsComplete fails unless the committed batch seqs run 1..max with no
// gap and no repeat: nothing lost, nothing stored twice.
func checkSeqsComplete(t *testing.T, seqs []int) {
	t.Helper()
	if len(seqs) == 0 {
		t.Fatal("no biosignal batch committed")
	}
	sort.Ints(seqs)
	for i, s := range seqs {
		if s != i+1 {
			t.Fatalf("committed batch seqs are not 1..%d without gaps or repeats: position %d holds %d (%v)", len(seqs), i, s, shortInts(seqs))
		}
	}
}

func shortInts(v []int) string {
	if len(v) > 40 {
		return fmt.Sprintf("%v … %v", v[:20], v[len(v)-20:])
	}
	return fmt.Sprint(v)
}

// openPatient opens the patient client served by the real server in its own browser context.
func (e *liveEnv) openPatient(b *Browser, path string, w, h int64) *Page {
	e.t.Helper()
	return openPatientPage(e.t, b, e.srv.URL+path, w, h)
}

// openPatientPage opens the patient client at url and waits until it is
// ready; a failed wait then reports the client's connection state.
func openPatientPage(t testing.TB, b *Browser, url string, w, h int64) *Page {
	t.Helper()
	p := b.NewPage(t, url, w, h, `document.documentElement.dataset.ready === "1"`)
	p.Diag = patientDiag
	return p
}

// patientDiag summarises the patient client for a failure message: the
// transport, what the screen says and the errors the app recorded.
const patientDiag = `JSON.stringify((() => {
  const s = window.haven ? window.haven.state : {};
  const text = (id) => document.getElementById(id)?.textContent || '';
  return {connected: s.connected, lost: s.lost, session: s.session_id, paused: s.paused, panel: s.panel,
    scene: s.scene && s.scene.template, errors: s.errors, status: text('status'), join_error: text('join-error'),
    join_hidden: document.getElementById('join')?.hidden, visibility: document.visibilityState};
})())`

// patientErrors lists what the client logged as refused or broken: the
// server's coded errors and console exceptions (WebGL chatter aside).
func patientErrors(p *Page) []string {
	out := MustEval[[]string](p, `window.haven.state.errors`)
	for _, l := range p.Console() {
		if strings.HasPrefix(l, "exception") {
			out = append(out, l)
		}
	}
	return out
}

// tapJS records every data-channel frame the page sends and receives (label,
// channel instance, text, arrival time on the shared wall clock), so a test
// can check the patient's frames against server/wire and time relays. It
// wraps the browser's own RTCDataChannel; nothing in the app changes.
const tapJS = `(() => {
  if (window.__tap) return true;
  const tap = window.__tap = {sent: [], recv: [], n: 0};
  const now = () => performance.timeOrigin + performance.now();
  const keep = (list, rec) => { list.push(rec); if (list.length > 4000) list.splice(0, 1000); };
  // text frames as they are; binary ones both as text (JSON may travel in
  // binary frames) and as base64 bytes (the pose channel's frames)
  const bytes = (d) => d instanceof ArrayBuffer ? new Uint8Array(d) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  const body = (d) => typeof d === 'string' ? {data: d} : {data: new TextDecoder().decode(d), bin: btoa(String.fromCharCode(...bytes(d)))};
  const send = RTCDataChannel.prototype.send;
  RTCDataChannel.prototype.send = function (d) {
    this.__tapID ??= ++tap.n;
    keep(tap.sent, {label: this.label, dc: this.__tapID, ...body(d), t: now()});
    return send.call(this, d);
  };
  const create = RTCPeerConnection.prototype.createDataChannel;
  RTCPeerConnection.prototype.createDataChannel = function (...args) {
    const dc = create.apply(this, args);
    dc.__tapID ??= ++tap.n;
    dc.addEventListener('message', (e) => keep(tap.recv, {label: dc.label, dc: dc.__tapID, ...(e.data instanceof Blob ? {data: ''} : body(e.data)), t: now()}));
    return dc;
  };
  return true;
})()`

// tapFrame is one recorded frame.
type tapFrame struct {
	Label string  `json:"label"`
	DC    int     `json:"dc"`
	Data  string  `json:"data"`
	Bin   []byte  `json:"bin"` // a binary frame's bytes (the pose channel)
	T     float64 `json:"t"`   // unix ms with sub-ms resolution
}

func installTap(p *Page) { MustEval[bool](p, tapJS) }

func tapped(p *Page, list string) []tapFrame {
	return MustEval[[]tapFrame](p, `window.__tap.`+list)
}

// checkPatientFrames decodes every frame the patient sent with the server's
// own decoder and checks seq never goes backwards on a channel instance.
func checkPatientFrames(t *testing.T, frames []tapFrame) {
	t.Helper()
	last := map[int]uint64{}
	bad := 0
	for _, f := range frames {
		if f.Label == wire.Pose {
			if _, err := wire.DecodePose(f.Bin); err != nil {
				if bad++; bad <= 5 {
					t.Errorf("server/wire refuses a patient pose frame: %v: % x", err, f.Bin)
				}
			}
			continue
		}
		m, err := wire.Decode([]byte(f.Data), f.Label, wire.FromPatient)
		if err == nil && m.Seq <= last[f.DC] {
			err = fmt.Errorf("seq %d after %d on the same channel", m.Seq, last[f.DC])
		}
		if err != nil {
			if bad++; bad <= 5 {
				t.Errorf("server/wire refuses a patient frame on %s: %v: %.200s", f.Label, err, f.Data)
			}
			continue
		}
		last[f.DC] = m.Seq
	}
}

// emulateLink sets Chromium's network emulation for the page, p2p included:
// loss 100 drops every WebRTC packet both ways (a dead Wi-Fi link), 0
// restores it. Chromium attaches its p2p throttler only to sockets created
// while some emulation is active, so call emulateLink(p, 0) before the patient
// connects. HTTP is unaffected: the client's reconnect requests still go out.
func emulateLink(t *testing.T, p *Page, loss float64) {
	t.Helper()
	if _, err := chromedp.Call(p.Ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("live: network domain: %v", err)
	}
	cond := &network.Conditions{DownloadThroughput: 1e9, UploadThroughput: 1e9, PacketQueueLength: 100000, PacketLoss: loss}
	if _, err := chromedp.Call(p.Ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{cond}}); err != nil {
		t.Fatalf("live: network emulation: %v", err)
	}
}

// openJoined opens the client at path, arms the link emulation and the frame
// tap, presses Join (the code is typed unless the link filled it in) and
// waits until the server reports the headset connected.
func (e *liveEnv) openJoined(b *Browser, path, code string) *Page {
	e.t.Helper()
	t0 := time.Now()
	p := e.openPatient(b, path, 800, 450)
	emulateLink(e.t, p, 0)
	installTap(p)
	if code != "" {
		if err := p.Do(chromedp.SendKeys(`#code`, code)); err != nil {
			e.t.Fatalf("live: typing the code: %v", err)
		}
	}
	if err := p.Do(chromedp.Click(`#join-btn`)); err != nil {
		e.t.Fatalf("live: pressing Join: %v", err)
	}
	p.WaitFor(`window.haven.state.connected === true`, 20*time.Second)
	e.waitConsole(10*time.Second, "patient connected", since(t0, sessionState(store.LiveLive, true)))
	return p
}

// silenceBeforeCalm waits until the patient's page shows the lost panel in
// the calm scene and returns how long after the last control frame it
// received that happened, on the page's own clock (the frame tap must be
// installed): the client's 2 s contract, free of the test driver's latency.
// It also returns the longest the page's main thread was busy meanwhile
// (the largest gap between ticks of a 10 ms timer): software-rendered XR
// frames on a loaded machine delay the client's watchdog by that much, and
// a headset's frames take ~14 ms.
func silenceBeforeCalm(t *testing.T, p *Page, timeout time.Duration) (silence, stall time.Duration) {
	t.Helper()
	got := MustEval[map[string]float64](p, fmt.Sprintf(`new Promise((resolve) => {
  const deadline = performance.now() + %d;
  let prev = performance.now(), top = [0, 0];
  const beat = setInterval(() => {
    const now = performance.now(), gap = now - prev - 10;
    prev = now;
    if (gap > top[1]) top = gap > top[0] ? [gap, top[0]] : [top[0], gap];
  }, 10);
  const done = (silence) => { clearInterval(beat); resolve({silence, stall: top[0] + top[1]}); };
  const check = () => {
    const s = window.haven.state;
    if (s.scene && s.scene.template === 'neutral_room' && s.panel === 'lost') {
      const at = performance.timeOrigin + performance.now();
      const last = window.__tap.recv.filter((f) => f.label === 'control' && f.t <= at).pop();
      done(last ? at - last.t : -1);
    } else if (performance.now() > deadline) done(-2);
    else setTimeout(check, 50);
  };
  check();
})`, timeout.Milliseconds()))
	switch got["silence"] {
	case -1:
		t.Fatalf("live: the page went calm before it had received anything on control")
	case -2:
		t.Fatalf("live: no calm scene with the lost panel within %v of the link dying%s", timeout, p.diagnosis())
	}
	ms := func(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }
	return ms(got["silence"]), ms(got["stall"])
}

// calmWithin is the client's link-loss contract: calm within 2 s of the
// last server message, plus the watchdog's 100 ms tick, the 50 ms poll
// above and however long the page's main thread was blocked meanwhile.
// silenceBeforeCalm's stall is its two longest blocks added: the watchdog's
// tick and the poll that sees the calm scene can each be held up by a
// different one (a CI run beside other processes saw calm 1.4 ms past a
// bound that counted only the longest).
func calmWithin(stall time.Duration) time.Duration { return 2150*time.Millisecond + stall }

// waitShowing waits until the patient's page shows a loaded scene matching
// cond (a JS expression over the page's state s) in a live, not paused,
// session. Compiling a scene's shaders in software WebGL on a busy machine
// can block the page long enough for the server to declare the link lost and
// pause the session (calm scene); the therapist then resumes it, as after any
// link-loss pause, and the scene comes back.
func (e *liveEnv) waitShowing(t *testing.T, p *Page, cond string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	var asked time.Time // the last resume; the server refuses one while the link is still down
	shownAt := -1.0     // the frame at which cond first held, live
	for time.Now().Before(deadline) {
		s := MustEval[struct {
			Paused, OK bool
			Frame      float64
		}](p, `(s => ({Paused: s.paused, OK: !!s.scene && !s.scene.loading && !!(`+cond+`), Frame: s.info.frame}))(window.haven.state)`)
		switch {
		case s.Paused && time.Since(asked) > 3*time.Second:
			t.Log("the session is paused (link lost while the page compiled); the therapist resumes it")
			e.con.Send("cmd.resume", wire.Empty{})
			asked, shownAt = time.Now(), -1
		case !s.Paused && s.OK && shownAt < 0:
			shownAt = s.Frame
		case !s.Paused && s.OK && s.Frame >= shownAt+3:
			return // drawn a few times: its shaders are compiled, the page is responsive again
		case !s.OK:
			shownAt = -1
		}
		pauseIn(p, 100) // poll interval, not a wait for an outcome
	}
	p.WaitFor(`(s => !s.paused && !!s.scene && !s.scene.loading && !!(`+cond+`))(window.haven.state)`, time.Second) // fails, with the page's state
}

// pause sleeps in the page (keeps the XR loop drawing) for ms milliseconds.
func pauseIn(p *Page, ms int) {
	MustEval[bool](p, fmt.Sprintf(`new Promise(r => setTimeout(() => r(true), %d))`, ms))
}

// saw reports whether the console has already received a message matching pred.
func (e *liveEnv) saw(pred func(simpeer.Received) bool) bool {
	return e.count(pred) > 0
}

// count is how many messages the console received that match pred.
func (e *liveEnv) count(pred func(simpeer.Received) bool) int {
	n := 0
	for _, r := range e.con.All() {
		if pred(r) {
			n++
		}
	}
	return n
}

// envType is the type of an envelope ("" when it is not one).
func envType(data string) string {
	var env struct{ Type string }
	if json.Unmarshal([]byte(data), &env) != nil {
		return ""
	}
	return env.Type
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// recvAfter counts the control frames the patient page received after t
// (unix ms on the shared wall clock), from its tap.
func recvAfter(p *Page, label string, t float64) int {
	n := 0
	for _, f := range tapped(p, "recv") {
		if f.Label == label && f.T > t {
			n++
		}
	}
	return n
}
